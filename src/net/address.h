// Addresses as written in the configuration, parsed into endpoints.
//
// Listen addresses: "127.0.0.1:8080", "[::1]:8080", "unix:/run/river.sock".
// Peer addresses:   the same IP forms plus "hostname:port", resolved once at start-up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/asio.h"

namespace river::net {

struct SocketAddress {
  enum class Kind { Tcp, Unix };
  Kind kind = Kind::Tcp;
  asio::ip::tcp::endpoint tcp;  ///< when kind == Tcp
  std::string path;             ///< when kind == Unix

  Endpoint endpoint() const;
  /// "127.0.0.1:8080", "[::1]:8080" or "unix:/path".
  std::string to_string() const;
};

/// Parses a listen address; hostnames are not accepted here.
Result<SocketAddress> parse_listen_address(std::string_view text);

/// Parses and resolves a peer address ("host:port"); may block on DNS, so it runs only at
/// start-up. Returns every address the name resolves to.
Result<std::vector<SocketAddress>> resolve_peer_address(std::string_view text);

/// The textual IP of a connected socket's remote end ("203.0.113.7", "2001:db8::1"), or
/// "unix" for Unix domain sockets.
std::string remote_ip(const Endpoint& endpoint);

/// Port of a TCP endpoint, 0 for Unix sockets.
std::uint16_t port_of(const Endpoint& endpoint);

/// Formats an endpoint like SocketAddress::to_string.
std::string to_string(const Endpoint& endpoint);

}  // namespace river::net
