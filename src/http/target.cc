#include "http/target.h"

#include <algorithm>
#include <cstdint>
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

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// RFC 3986 §2.2: sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
bool is_sub_delim(char c) {
  switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=':
      return true;
    default:
      return false;
  }
}

/// RFC 3986 §3.2.2: reg-name = *( unreserved / pct-encoded / sub-delims ). An IPv4 address
/// is a reg-name as far as the characters go, so it needs no separate branch here.
bool is_reg_name(std::string_view host) {
  for (std::size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    if (c == '%') {
      if (i + 2 >= host.size() || hex_value(host[i + 1]) < 0 || hex_value(host[i + 2]) < 0) {
        return false;
      }
      i += 2;
      continue;
    }
    if (!is_unreserved(static_cast<unsigned char>(c)) && !is_sub_delim(c)) {
      return false;
    }
  }
  return true;
}

/// RFC 3986 §3.2.2: IP-literal = "[" ( IPv6address / IPvFuture ) "]". Checked by character
/// class only: enough to keep delimiters, whitespace and userinfo out of the Host River
/// forwards; the peer that routes on it parses the address itself.
bool is_ip_literal(std::string_view host) {
  if (host.size() < 3 || host.front() != '[' || host.back() != ']') {
    return false;
  }
  const auto inner = host.substr(1, host.size() - 2);
  if (inner.front() == 'v' || inner.front() == 'V') {
    // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
    const auto dot = inner.find('.');
    if (dot == std::string_view::npos || dot < 2 || dot + 1 == inner.size()) {
      return false;
    }
    for (std::size_t i = 1; i < dot; ++i) {
      if (hex_value(inner[i]) < 0) {
        return false;
      }
    }
    for (const char c : inner.substr(dot + 1)) {
      if (!is_unreserved(static_cast<unsigned char>(c)) && !is_sub_delim(c) && c != ':') {
        return false;
      }
    }
    return true;
  }
  // IPv6address: hex groups, colons, and a dotted IPv4 tail.
  return std::all_of(inner.begin(), inner.end(),
                     [](char c) { return hex_value(c) >= 0 || c == ':' || c == '.'; }) &&
         inner.find(':') != std::string_view::npos;
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

bool is_valid_authority(std::string_view authority) {
  // The port follows the last ':' outside an IP literal.
  std::string_view host = authority;
  std::string_view port;
  const auto bracket = authority.rfind(']');
  const auto colon = authority.rfind(':');
  const bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  if (has_port) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }

  // RFC 3986 §3.2.3: port = *DIGIT; a TCP port is at most 65535 (RFC 9293). Leading zeros
  // are allowed by the grammar, so the value is what is bounded, not the length.
  std::uint32_t value = 0;
  for (const char c : port) {
    if (!is_digit(c)) {
      return false;
    }
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
    if (value > 65535) {
      return false;
    }
  }

  if (!host.empty() && host.front() == '[') {
    return is_ip_literal(host);
  }
  return is_reg_name(host);
}

std::optional<std::string_view> absolute_form_authority(std::string_view target) {
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
      const auto rest = target.substr(scheme.size());
      return rest.substr(0, rest.find_first_of("/?#"));
    }
  }
  return std::nullopt;
}

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
      // RFC 9110 §4.2.1: an http URI has a non-empty host; §4.2.4: no userinfo, which
      // is_valid_authority refuses along with every other byte a host cannot hold.
      if (out.authority.empty() || out.authority.front() == ':' ||
          !is_valid_authority(out.authority)) {
        return std::nullopt;
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
