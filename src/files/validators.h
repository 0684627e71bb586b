// Validators and conditional-request helpers for the file server (RFC 9110 §8.8, §13).
//
// Files are validated by modification time and size: Last-Modified carries the time as an
// HTTP-date, and the ETag is built from both as "<hex mtime>-<hex size>" in quotes, so it
// changes whenever either does and needs no read of the file's content.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace river::files {

/// Formats `seconds` since the Unix epoch as an IMF-fixdate (RFC 9110 §5.6.7), for example
/// "Sun, 06 Nov 1994 08:49:37 GMT". Returns an empty string for a time whose year lies
/// outside 0000..9999, which the format cannot express.
std::string format_http_date(std::int64_t seconds);

/// Parses an HTTP-date in any of the three forms RFC 9110 §5.6.7 obliges recipients to
/// accept (IMF-fixdate, rfc850-date, asctime-date) into seconds since the Unix epoch.
/// Returns nullopt for anything else, including impossible dates such as 31 February.
std::optional<std::int64_t> parse_http_date(std::string_view text);

/// Returns the strong entity-tag, quotes included, for a file with the given modification
/// time and size: "\"<hex mtime>-<hex size>\"".
std::string make_etag(std::int64_t mtime_seconds, std::uint64_t size);

/// RFC 9110 §8.8.3.2: strong comparison requires both tags to be strong; weak comparison
/// ignores the W/ prefix.
enum class EtagComparison { Strong, Weak };

/// True when `list`, the value of If-Match or If-None-Match ("*" or a comma-separated list of
/// entity-tags), contains "*" or a tag equal to `etag` under `comparison`. `etag` is one of
/// our strong tags, quotes included. Reading stops at the first malformed element; tags
/// before it still count.
bool etag_list_matches(std::string_view list, std::string_view etag, EtagComparison comparison);

}  // namespace river::files
