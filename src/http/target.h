// Request-target normalisation (RFC 3986 §6.2.2, RFC 9110 §4.2.3), so that River and the
// server behind it can never read a path differently.
//
// Route matching, access rules and the forwarded request all use the normalised form:
//   - percent-encoded unreserved characters are decoded ("%61" → "a", "%2e" → ".");
//   - other percent-encodings are kept, with upper-case hex ("%3f" → "%3F");
//   - an encoded '/', '\' or NUL ("%2F", "%5C", "%00"), a raw '\', and a malformed
//     escape are refused: decoding them would change the path's structure;
//   - dot segments are resolved (RFC 3986 §5.2.4) and repeated slashes merged; a path
//     that climbs above the root is refused.
// The query is kept unchanged.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace river::http {

struct NormalizedTarget {
  std::string path;   ///< starts with '/'
  std::string query;  ///< without the '?', empty when there was none
  bool has_query = false;
  /// For absolute-form targets ("http://host/p"), the authority, which replaces Host
  /// (RFC 9112 §3.2.2).
  std::string authority;

  /// The origin-form target to forward: path plus "?query".
  std::string origin_form() const;
};

/// True when `authority` is `uri-host [ ":" port ]` (RFC 3986 §3.2.2–3.2.3), the value a
/// Host field must have (RFC 9112 §3.2, RFC 9110 §7.2): a reg-name of unreserved,
/// pct-encoded and sub-delim characters (possibly empty), an IPv4 address, or an IP literal
/// in brackets; then an optional port of decimal digits no greater than 65535. No userinfo,
/// no path, no whitespace.
bool is_valid_authority(std::string_view authority);

/// The authority of an absolute-form request-target (`http://host:port/path` → `host:port`,
/// scheme http or https, case-insensitive), or nullopt when `target` is not in absolute-form.
/// The view points into `target`. The authority is not validated.
std::optional<std::string_view> absolute_form_authority(std::string_view target);

/// Normalises an origin-form or absolute-form (http/https) request-target. Returns nullopt
/// for anything that must be refused with 400.
std::optional<NormalizedTarget> normalize_target(std::string_view target);

}  // namespace river::http
