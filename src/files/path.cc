#include "files/path.h"

#include "base/strings.h"

namespace river::files {
namespace {

Error bad_path(std::string_view why) {
  return Error{ErrorKind::InvalidMessage, Side::Downstream, false, std::string(why)};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  const char lower = ascii_lower(c);
  if (lower >= 'a' && lower <= 'f') {
    return lower - 'a' + 10;
  }
  return -1;
}

constexpr char kHexDigits[] = "0123456789ABCDEF";

void append_escaped(std::string& out, unsigned char byte) {
  out.push_back('%');
  out.push_back(kHexDigits[byte >> 4]);
  out.push_back(kHexDigits[byte & 0x0f]);
}

// Splits an absolute-form target (RFC 9112 §3.2.2) into its path and query part. Returns
// nullopt when `target` is not "http://" or "https://" followed by an authority.
std::optional<std::string_view> strip_scheme_and_authority(std::string_view target) {
  std::size_t scheme_end = 0;
  constexpr std::string_view kHttp = "http://";
  constexpr std::string_view kHttps = "https://";
  if (target.size() >= kHttp.size() && iequals(target.substr(0, kHttp.size()), kHttp)) {
    scheme_end = kHttp.size();
  } else if (target.size() >= kHttps.size() && iequals(target.substr(0, kHttps.size()), kHttps)) {
    scheme_end = kHttps.size();
  } else {
    return std::nullopt;
  }

  const auto rest = target.substr(scheme_end);
  const auto authority_end = rest.find_first_of("/?#");
  if (rest.empty() || authority_end == 0) {
    return std::nullopt;  // RFC 9110 §4.2.1: an http URI with an empty host is invalid.
  }
  if (authority_end == std::string_view::npos) {
    return std::string_view();
  }
  // Either "/path?q" or, for "http://host?q", just "?q": an empty path, which the caller
  // reads as "/" (RFC 9110 §4.2.3).
  return rest.substr(authority_end);
}

// Percent-decodes one path segment (no '/' inside) onto the end of `out`.
Result<void> decode_segment(std::string_view segment, std::string& out) {
  for (std::size_t i = 0; i < segment.size(); ++i) {
    const char c = segment[i];
    if (c == '\\') {
      // Not a separator on Linux, but on other systems and in some tools it is; a name that
      // means different things to different readers is refused, not guessed at.
      return bad_path("backslash in path");
    }
    if (c == '\0') {
      return bad_path("NUL in path");
    }
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= segment.size()) {
      return bad_path("truncated percent-escape");
    }
    const int high = hex_value(segment[i + 1]);
    const int low = hex_value(segment[i + 2]);
    if (high < 0 || low < 0) {
      return bad_path("invalid percent-escape");
    }
    const auto byte = static_cast<char>(high * 16 + low);
    // Decoding these would turn data into structure: an encoded '/' or '\' into a separator
    // the dot-segment pass never saw, a NUL into the end of the C string open() receives.
    if (byte == '/' || byte == '\\' || byte == '\0') {
      return bad_path("encoded separator or NUL in path");
    }
    out.push_back(byte);
    i += 2;
  }
  return {};
}

}  // namespace

Result<RequestPath> parse_request_path(std::string_view target) {
  std::string_view path_and_query = target;
  if (target.empty() || target.front() != '/') {
    auto stripped = strip_scheme_and_authority(target);
    if (!stripped) {
      return bad_path("request-target is not origin-form or absolute-form");
    }
    path_and_query = *stripped;
  }

  RequestPath result;
  // RFC 3986 §3.4: the query starts at the first '?'; a fragment never belongs in a
  // request-target, so anything from '#' on is dropped rather than looked up as a file.
  const auto hash = path_and_query.find('#');
  if (hash != std::string_view::npos) {
    path_and_query = path_and_query.substr(0, hash);
  }
  std::string_view path = path_and_query;
  const auto question = path_and_query.find('?');
  if (question != std::string_view::npos) {
    path = path_and_query.substr(0, question);
    result.query.emplace(path_and_query.substr(question + 1));
  }
  if (path.empty()) {
    path = "/";  // "http://host?q"
  }

  // Decode each segment, then apply RFC 3986 §5.2.4 to the decoded segments, so that
  // "%2e%2e" is a ".." like any other. Unlike §5.2.4, a ".." with nothing left to remove is
  // an error: it can only be an attempt to leave the root. Empty segments ("//") are
  // merged, as they name the same directory on a POSIX file system.
  std::string& out = result.relative;
  out.reserve(path.size());
  std::size_t segments = 0;
  path.remove_prefix(1);  // the leading '/'
  while (true) {
    const auto slash = path.find('/');
    const bool is_last = slash == std::string_view::npos;
    const auto raw = path.substr(0, slash);

    const auto start = out.size();
    if (segments > 0) {
      out.push_back('/');
    }
    const auto name_start = out.size();
    if (auto decoded = decode_segment(raw, out); !decoded) {
      return decoded.error();
    }
    const std::string_view name = std::string_view(out).substr(name_start);

    if (name.empty() || name == ".") {
      out.resize(start);
      result.has_trailing_slash = is_last;
    } else if (name == "..") {
      if (segments == 0) {
        return bad_path("path climbs above the root");
      }
      out.resize(start);
      const auto previous = out.rfind('/');
      out.resize(previous == std::string::npos ? 0 : previous);
      --segments;
      result.has_trailing_slash = is_last;
    } else {
      ++segments;
      result.has_trailing_slash = false;
    }

    if (is_last) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  return result;
}

std::string encode_path(std::string_view path) {
  // RFC 3986 §3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@".
  static constexpr std::string_view kKeep =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/";
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (kKeep.find(c) != std::string_view::npos) {
      out.push_back(c);
    } else {
      append_escaped(out, static_cast<unsigned char>(c));
    }
  }
  return out;
}

std::string encode_query(std::string_view query) {
  std::string out;
  out.reserve(query.size());
  for (char c : query) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == '#') {
      append_escaped(out, byte);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace river::files
