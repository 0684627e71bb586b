// Turning a request-target into a path below the served root, safely.
//
// `parse_request_path` runs before anything touches the file system. It takes the path of an
// origin-form or absolute-form target, percent-decodes it segment by segment, and resolves
// dot segments. It refuses, rather than repairs, anything that could name a file outside the
// root or be read differently by another layer: invalid escapes, an encoded '/', '\' or NUL,
// a raw '\', and a ".." that would climb above the root.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace river::files {

/// A request path, decoded and normalised.
struct RequestPath {
  /// The path relative to the root: decoded segments joined by '/', with no leading, trailing
  /// or repeated '/' and no "." or ".." segment. Empty for the root itself.
  std::string relative;
  /// The request names a directory: it ended in '/', "/." or "/..".
  bool has_trailing_slash = false;
  /// The query after '?', still percent-encoded; absent when the target had no '?'.
  std::optional<std::string> query;
};

/// Parses the path of `target` (origin-form "/a/b?q" or absolute-form "http://host/a/b?q").
/// Fails with ErrorKind::InvalidMessage (side Downstream) on any other form, an invalid
/// percent-escape, an encoded '/', '\' or NUL, a raw '\' or NUL, or a ".." above the root.
Result<RequestPath> parse_request_path(std::string_view target);

/// Returns `path` ("/"-separated, decoded) percent-encoded for use in a URI path: bytes other
/// than unreserved characters, sub-delims, ':', '@' and '/' become %XX. The result is always
/// safe as a field value (no CTL, SP or non-ASCII byte).
std::string encode_path(std::string_view path);

/// Returns `query` with every byte that may not appear in a field value or URI (CTL, SP,
/// '#', non-ASCII) percent-encoded; other bytes, existing escapes included, are kept.
std::string encode_query(std::string_view query);

}  // namespace river::files
