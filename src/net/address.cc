#include "net/address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <charconv>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace river::net {
namespace {

Error address_error(std::string_view text, std::string_view why) {
  return Error{ErrorKind::Config, Side::Config, false,
               fmt::format("invalid address '{}': {}", text, why)};
}

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  bool bracketed = false;
};

Result<HostPort> split_host_port(std::string_view text) {
  HostPort out;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return address_error(text, "expected [IPv6]:port");
    }
    out.host = std::string(text.substr(1, close - 1));
    out.bracketed = true;
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return address_error(text, "expected host:port");
    }
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }

  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    return address_error(text, "port must be a number from 0 to 65535");
  }
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

}  // namespace

Endpoint SocketAddress::endpoint() const {
  if (kind == Kind::Unix) {
    return Endpoint(asio::local::stream_protocol::endpoint(path));
  }
  return Endpoint(tcp);
}

std::string SocketAddress::to_string() const {
  if (kind == Kind::Unix) {
    return "unix:" + path;
  }
  if (tcp.address().is_v6()) {
    return fmt::format("[{}]:{}", tcp.address().to_string(), tcp.port());
  }
  return fmt::format("{}:{}", tcp.address().to_string(), tcp.port());
}

Result<SocketAddress> parse_listen_address(std::string_view text) {
  if (text.starts_with("unix:")) {
    SocketAddress out;
    out.kind = SocketAddress::Kind::Unix;
    out.path = std::string(text.substr(5));
    if (out.path.empty() || out.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return address_error(text, "unix socket path is empty or too long");
    }
    return out;
  }

  auto host_port = split_host_port(text);
  if (!host_port) {
    return host_port.error();
  }
  ErrorCode ec;
  const auto ip = asio::ip::make_address(host_port->host, ec);
  if (ec || (ip.is_v6() != host_port->bracketed)) {
    return address_error(text, "expected an IPv4 address or a bracketed IPv6 address");
  }
  SocketAddress out;
  out.tcp = asio::ip::tcp::endpoint(ip, host_port->port);
  return out;
}

Result<std::vector<SocketAddress>> resolve_peer_address(std::string_view text) {
  auto host_port = split_host_port(text);
  if (!host_port) {
    return host_port.error();
  }
  if (host_port->port == 0) {
    return address_error(text, "port 0 is not a valid peer port");
  }

  ErrorCode ec;
  const auto ip = asio::ip::make_address(host_port->host, ec);
  if (!ec) {
    SocketAddress out;
    out.tcp = asio::ip::tcp::endpoint(ip, host_port->port);
    return std::vector<SocketAddress>{out};
  }

  // A hostname: resolve it once, now (start-up only; dynamic discovery is a later feature).
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host_port->host.c_str(), nullptr, &hints, &found);
  if (rc != 0) {
    return address_error(text, fmt::format("cannot resolve host: {}", ::gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);

  std::vector<SocketAddress> out;
  for (auto* info = found; info != nullptr; info = info->ai_next) {
    SocketAddress address;
    if (info->ai_family == AF_INET) {
      sockaddr_in sin{};
      std::memcpy(&sin, info->ai_addr, sizeof(sin));
      address.tcp = asio::ip::tcp::endpoint(
          asio::ip::address_v4(ntohl(sin.sin_addr.s_addr)), host_port->port);
    } else if (info->ai_family == AF_INET6) {
      sockaddr_in6 sin6{};
      std::memcpy(&sin6, info->ai_addr, sizeof(sin6));
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &sin6.sin6_addr, bytes.size());
      address.tcp = asio::ip::tcp::endpoint(asio::ip::address_v6(bytes), host_port->port);
    } else {
      continue;
    }
    out.push_back(address);
  }
  if (out.empty()) {
    return address_error(text, "host resolves to no usable address");
  }
  return out;
}

std::string remote_ip(const Endpoint& endpoint) {
  const auto* raw = endpoint.data();
  char text[INET6_ADDRSTRLEN] = {};
  if (raw->sa_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, raw, sizeof(sin));
    ::inet_ntop(AF_INET, &sin.sin_addr, text, sizeof(text));
    return text;
  }
  if (raw->sa_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, raw, sizeof(sin6));
    ::inet_ntop(AF_INET6, &sin6.sin6_addr, text, sizeof(text));
    return text;
  }
  return "unix";
}

std::uint16_t port_of(const Endpoint& endpoint) {
  const auto* raw = endpoint.data();
  if (raw->sa_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, raw, sizeof(sin));
    return ntohs(sin.sin_port);
  }
  if (raw->sa_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, raw, sizeof(sin6));
    return ntohs(sin6.sin6_port);
  }
  return 0;
}

std::string to_string(const Endpoint& endpoint) {
  const auto* raw = endpoint.data();
  if (raw->sa_family == AF_INET) {
    return fmt::format("{}:{}", remote_ip(endpoint), port_of(endpoint));
  }
  if (raw->sa_family == AF_INET6) {
    return fmt::format("[{}]:{}", remote_ip(endpoint), port_of(endpoint));
  }
  sockaddr_un sun{};
  std::memcpy(&sun, raw, std::min<std::size_t>(endpoint.size(), sizeof(sun)));
  const auto path_length = strnlen(sun.sun_path, sizeof(sun.sun_path));
  return fmt::format("unix:{}", std::string_view(sun.sun_path, path_length));
}

}  // namespace river::net
