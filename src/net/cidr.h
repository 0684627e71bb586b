// Cidr: an IPv4 or IPv6 address range, such as "10.0.0.0/8" or "fd00::/8".
//
// The proxy uses it to decide whether a client is a trusted proxy whose X-Forwarded-*
// fields are believed. A Cidr is a plain immutable value, safe to share between workers.
//
//   auto range = net::Cidr::parse("10.0.0.0/8");
//   range->contains(peer.address().to_v4().to_bytes());  // 4 or 16 bytes
//
// IPv4 ranges are kept as IPv4-mapped IPv6 ranges (RFC 4291 §2.5.5.2), so an IPv4 range
// also matches a client seen as "::ffff:10.1.2.3" on a dual-stack socket.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace river::net {

class Cidr {
 public:
  /// Parses "address" or "address/prefix", IPv4 or IPv6, such as "127.0.0.1", "10.0.0.0/8",
  /// "::1" or "2001:db8::/32". An address alone is a range of one (/32 or /128). Bits
  /// beyond the prefix are ignored: "10.1.2.3/8" is 10.0.0.0/8. Returns nullopt for
  /// anything else, including zone ids ("fe80::1%eth0") and prefixes longer than the
  /// address.
  static std::optional<Cidr> parse(std::string_view text);

  /// True when `address`, in network byte order, lies in the range. `address` holds 4 bytes
  /// (IPv4) or 16 bytes (IPv6); any other size is never contained.
  bool contains(std::span<const std::uint8_t> address) const;

  /// True when the textual IPv4 or IPv6 `address` lies in the range; false when `address`
  /// does not parse.
  bool contains(std::string_view address) const;

  /// True when the range was written as IPv4.
  bool is_v4() const { return is_v4_; }

  /// The prefix length as written: 0-32 for IPv4, 0-128 for IPv6.
  unsigned prefix_length() const { return is_v4_ ? prefix_ - 96 : prefix_; }

  /// The canonical text, e.g. "10.0.0.0/8" or "2001:db8::/32".
  std::string to_string() const;

  bool operator==(const Cidr&) const = default;

 private:
  Cidr(const std::array<std::uint8_t, 16>& network, unsigned prefix, bool is_v4);

  /// The network address as IPv6 (IPv4 mapped), with bits past the prefix cleared.
  std::array<std::uint8_t, 16> network_{};
  /// Prefix length over the 128-bit form: 96 + n for an IPv4 /n.
  unsigned prefix_ = 128;
  bool is_v4_ = false;
};

}  // namespace river::net
