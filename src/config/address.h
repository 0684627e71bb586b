// Checks of the address forms the configuration file accepts.
//
// The loader validates every address when the file is read, so `river check` catches a bad
// one. The engine parses the same strings into endpoints when it binds and connects
// (net/address.h); the configuration layer does not depend on the engine, hence these
// checks of its own. They are no more lenient than the engine's parsers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace river::config {

/// Checks a `listen` entry: "IPv4:port", "[IPv6]:port" (port 0-65535, 0 meaning any free
/// port) or "unix:path" (path non-empty and short enough for sockaddr_un). Host names are
/// rejected: a listener binds to an address. On failure the Error's context says what is
/// wrong with `text`.
Result<void> check_listen_address(std::string_view text);

/// The socket a valid `listen` entry binds, in a canonical form, so that two spellings of
/// one address ("[::1]:80", "[0:0::1]:80") compare equal.
struct ListenSocket {
  enum class Family { Ipv4, Ipv6, Unix };
  Family family = Family::Ipv4;
  /// The address as inet_ntop writes it, or the Unix socket path.
  std::string address;
  std::uint16_t port = 0;
  /// 0.0.0.0 or [::]: binds the port on every address of its family.
  bool is_unspecified = false;

  /// True when binding both would fail or share one port: the same path, or the same family
  /// and port with the same address or with an unspecified one on either side. (IPv6
  /// listeners are bound IPv6-only, so they never overlap IPv4 ones.)
  bool overlaps(const ListenSocket& other) const;
};

/// What `text` binds, or nullopt when it is not a valid listen address or its port is 0
/// (each such listener gets a port of its own, so it overlaps nothing).
std::optional<ListenSocket> listen_socket(std::string_view text);

/// Checks an `upstream` entry: "IPv4:port", "[IPv6]:port" or "hostname:port" with port
/// 1-65535. Host names follow RFC 1123 (letters, digits, '-', labels of at most 63 bytes, 253
/// in all), with '_' also allowed because container platforms use it; a name of only digits
/// and dots must be a valid IPv4 address.
Result<void> check_upstream_address(std::string_view text);

/// Checks that `text` is an IPv4 or IPv6 address, optionally followed by "/prefix" with a
/// prefix length of at most 32 (IPv4) or 128 (IPv6). net::Cidr parses the same syntax.
Result<void> check_address_or_cidr(std::string_view text);

}  // namespace river::config
