#include "http/target.h"

#include <vector>

#include "base/strings.h"

namespace river::http {
namespace {

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

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

/// Decodes unreserved escapes and canonicalises the others; nullopt for what is refused.
std::optional<std::string> decode_unreserved(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '\\') {
      return std::nullopt;
    }
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= path.size()) {
      return std::nullopt;
    }
    const int high = hex_value(path[i + 1]);
    const int low = hex_value(path[i + 2]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    const auto byte = static_cast<unsigned char>(high * 16 + low);
    // Decoding these would change which segments the path has, or smuggle a terminator.
    if (byte == '/' || byte == '\\' || byte == 0) {
      return std::nullopt;
    }
    if (is_unreserved(byte)) {
      out.push_back(static_cast<char>(byte));
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
    i += 2;
  }
  return out;
}

/// RFC 3986 §5.2.4 on a decoded path, merging empty segments; nullopt above the root.
std::optional<std::string> resolve_dot_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  const bool trailing_slash = path.size() > 1 && path.back() == '/';
  bool ends_in_dot = false;
  std::size_t start = 1;  // skip the leading '/'
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    const auto segment = path.substr(start, end - start);
    ends_in_dot = false;
    if (segment == "..") {
      if (segments.empty()) {
        return std::nullopt;
      }
      segments.pop_back();
      ends_in_dot = true;
    } else if (segment == ".") {
      ends_in_dot = true;
    } else if (!segment.empty()) {
      segments.push_back(segment);
    }
    start = end + 1;
  }

  std::string out;
  for (const auto segment : segments) {
    out.push_back('/');
    out.append(segment);
  }
  // "/a/" and "/a/." and "/a/b/.." all name the directory "/a/".
  if (out.empty() || trailing_slash || ends_in_dot) {
    out.push_back('/');
  }
  return out;
}

}  // namespace

std::string NormalizedTarget::origin_form() const {
  if (!has_query) {
    return path;
  }
  std::string out = path;
  out.push_back('?');
  out.append(query);
  return out;
}

std::optional<NormalizedTarget> normalize_target(std::string_view target) {
  NormalizedTarget out;

  // Absolute-form: take the authority out and keep the rest as origin-form.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() > scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
      target.remove_prefix(scheme.size());
      const auto path_start = target.find_first_of("/?");
      out.authority = std::string(target.substr(0, path_start));
      if (out.authority.empty() || out.authority.find('@') != std::string::npos) {
        return std::nullopt;  // RFC 9110 §4.2.4: userinfo is not allowed in http URIs
      }
      target = path_start == std::string_view::npos ? std::string_view("/")
                                                    : target.substr(path_start);
      if (target.front() == '?') {
        out.has_query = true;
        out.query = std::string(target.substr(1));
        out.path = "/";
        return out;
      }
      break;
    }
  }
  if (target.empty() || target.front() != '/') {
    return std::nullopt;
  }

  const auto question = target.find('?');
  const auto raw_path = target.substr(0, question);
  if (question != std::string_view::npos) {
    out.has_query = true;
    out.query = std::string(target.substr(question + 1));
  }
  if (raw_path.find('#') != std::string_view::npos) {
    return std::nullopt;
  }

  auto decoded = decode_unreserved(raw_path);
  if (!decoded) {
    return std::nullopt;
  }
  auto resolved = resolve_dot_segments(*decoded);
  if (!resolved) {
    return std::nullopt;
  }
  out.path = std::move(*resolved);
  return out;
}

}  // namespace river::http
