#include "config/address.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <array>
#include <cstdint>
#include <string>

#include "base/strings.h"

namespace river::config {
namespace {

Error address_error(std::string problem) {
  return Error{ErrorKind::Config, Side::Config, false, std::move(problem)};
}

/// True when `text` is an IP literal of `family` (AF_INET or AF_INET6). inet_pton accepts
/// only the strict forms: dotted quads for IPv4 (no octal or short forms), no zone ids.
bool is_ip_literal(int family, std::string_view text) {
  if (text.empty() || text.find('\0') != std::string_view::npos) {
    return false;
  }
  const std::string terminated(text);
  in6_addr storage{};
  return ::inet_pton(family, terminated.c_str(), &storage) == 1;
}

/// True when `digits` is a decimal port number from `min_port` to 65535.
bool is_port(std::string_view digits, std::uint64_t min_port) {
  const auto value = parse_decimal(digits);
  return value && *value >= min_port && *value <= 65535;
}

/// Host and port text of "host:port" or "[host]:port", before either is validated.
struct HostPort {
  std::string_view host;
  std::string_view port;
  bool is_bracketed = false;
};

/// Splits at the last ':' (after the ']' for a bracketed IPv6 literal). Fails when there is
/// no port separator, with `expected` naming the accepted forms.
Result<HostPort> split_host_port(std::string_view text, std::string_view expected) {
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return address_error(fmt::format("\"{}\": expected {}", escape_for_log(text), expected));
    }
    return HostPort{text.substr(1, close - 1), text.substr(close + 2), true};
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return address_error(
        fmt::format("\"{}\": missing port; expected {}", escape_for_log(text), expected));
  }
  const auto host = text.substr(0, colon);
  if (host.find(':') != std::string_view::npos) {
    return address_error(fmt::format("\"{}\": an IPv6 address needs brackets, as in \"[::1]:8080\"",
                                     escape_for_log(text)));
  }
  return HostPort{host, text.substr(colon + 1), false};
}

/// RFC 1123 §2.1 host name syntax, plus '_' (see check_upstream_address).
bool is_hostname(std::string_view name) {
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  if (name.empty() || name.size() > 253) {
    return false;
  }
  bool has_non_digit = false;
  std::size_t label_size = 0;
  char previous = '.';
  for (char c : name) {
    if (c == '.') {
      // A label may neither be empty nor end with '-'.
      if (label_size == 0 || previous == '-') {
        return false;
      }
      label_size = 0;
    } else {
      const bool is_alnum =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!is_alnum && c != '-' && c != '_') {
        return false;
      }
      if (c == '-' && label_size == 0) {
        return false;
      }
      if (++label_size > 63) {
        return false;
      }
      has_non_digit = has_non_digit || !(c >= '0' && c <= '9');
    }
    previous = c;
  }
  // RFC 3696 §2: a top-level name is never all-numeric, so digits and dots only is an IPv4
  // address with a typo ("10.0.0.256"), which must not be sent to the resolver.
  return label_size > 0 && previous != '-' && has_non_digit;
}

}  // namespace

Result<void> check_listen_address(std::string_view text) {
  constexpr std::string_view kExpected = "\"IPv4:port\", \"[IPv6]:port\" or \"unix:/path\"";

  if (text.starts_with("unix:")) {
    const auto path = text.substr(5);
    if (path.empty()) {
      return address_error(
          fmt::format("\"{}\": the Unix socket path is empty", escape_for_log(text)));
    }
    if (path.find('\0') != std::string_view::npos) {
      return address_error("the Unix socket path contains a NUL byte");
    }
    // sun_path holds the path and its terminating NUL.
    constexpr std::size_t kMaxPath = sizeof(sockaddr_un{}.sun_path) - 1;
    if (path.size() > kMaxPath) {
      return address_error(fmt::format("\"{}\": the Unix socket path is longer than {} bytes",
                                       escape_for_log(text), kMaxPath));
    }
    return {};
  }

  auto parts = split_host_port(text, kExpected);
  if (!parts) {
    return parts.error();
  }
  if (!is_port(parts->port, 0)) {
    return address_error(
        fmt::format("\"{}\": the port must be a number from 0 to 65535", escape_for_log(text)));
  }
  if (parts->is_bracketed) {
    if (!is_ip_literal(AF_INET6, parts->host)) {
      return address_error(fmt::format("\"{}\": not a valid IPv6 address", escape_for_log(text)));
    }
    return {};
  }
  if (!is_ip_literal(AF_INET, parts->host)) {
    return address_error(fmt::format(
        "\"{}\": not an IP address; a listener binds to an address ({}), not a host name",
        escape_for_log(text), kExpected));
  }
  return {};
}

bool ListenSocket::overlaps(const ListenSocket& other) const {
  if (family != other.family) {
    return false;
  }
  if (family == Family::Unix) {
    return address == other.address;
  }
  return port == other.port &&
         (address == other.address || is_unspecified || other.is_unspecified);
}

std::optional<ListenSocket> listen_socket(std::string_view text) {
  if (!check_listen_address(text)) {
    return std::nullopt;
  }
  ListenSocket out;
  if (text.starts_with("unix:")) {
    out.family = ListenSocket::Family::Unix;
    out.address = std::string(text.substr(5));
    return out;
  }

  const auto parts = split_host_port(text, "");
  const auto port = parse_decimal(parts->port);
  if (*port == 0) {
    return std::nullopt;
  }
  out.port = static_cast<std::uint16_t>(*port);
  const int family = parts->is_bracketed ? AF_INET6 : AF_INET;
  out.family = parts->is_bracketed ? ListenSocket::Family::Ipv6 : ListenSocket::Family::Ipv4;

  // Safety: check_listen_address has accepted the host as an IP literal of this family.
  const std::string host(parts->host);
  in6_addr binary{};
  (void)::inet_pton(family, host.c_str(), &binary);
  std::array<char, INET6_ADDRSTRLEN> canonical{};
  if (::inet_ntop(family, &binary, canonical.data(), canonical.size()) == nullptr) {
    return std::nullopt;
  }
  out.address = canonical.data();
  out.is_unspecified = out.address == "0.0.0.0" || out.address == "::";
  return out;
}

Result<void> check_upstream_address(std::string_view text) {
  constexpr std::string_view kExpected = "\"IPv4:port\", \"[IPv6]:port\" or \"hostname:port\"";

  if (text.starts_with("unix:")) {
    return address_error(
        fmt::format("\"{}\": Unix socket upstreams are not supported", escape_for_log(text)));
  }
  auto parts = split_host_port(text, kExpected);
  if (!parts) {
    return parts.error();
  }
  if (!is_port(parts->port, 1)) {
    return address_error(
        fmt::format("\"{}\": the port must be a number from 1 to 65535", escape_for_log(text)));
  }
  if (parts->is_bracketed) {
    if (!is_ip_literal(AF_INET6, parts->host)) {
      return address_error(fmt::format("\"{}\": not a valid IPv6 address", escape_for_log(text)));
    }
    return {};
  }
  if (is_ip_literal(AF_INET, parts->host)) {
    return {};
  }
  if (!is_hostname(parts->host)) {
    return address_error(fmt::format("\"{}\": not a valid IPv4 address or host name; expected {}",
                                     escape_for_log(text), kExpected));
  }
  return {};
}

Result<void> check_address_or_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = text.substr(0, slash);
  const bool is_v4 = is_ip_literal(AF_INET, address);
  if (!is_v4 && !is_ip_literal(AF_INET6, address)) {
    return address_error(
        fmt::format("\"{}\": expected an IPv4 or IPv6 address or CIDR range, "
                    "such as \"10.0.0.0/8\" or \"fd00::/8\"",
                    escape_for_log(text)));
  }
  if (slash == std::string_view::npos) {
    return {};
  }
  const unsigned max_prefix = is_v4 ? 32 : 128;
  const auto prefix = parse_decimal(text.substr(slash + 1));
  if (!prefix || *prefix > max_prefix) {
    return address_error(fmt::format("\"{}\": the prefix length must be a number from 0 to {}",
                                     escape_for_log(text), max_prefix));
  }
  return {};
}

}  // namespace river::config
