#include "net/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "base/strings.h"

namespace river::net {
namespace {

using Bytes16 = std::array<std::uint8_t, 16>;

/// The IPv4-mapped IPv6 form of a 4-byte address: ::ffff:a.b.c.d (RFC 4291 §2.5.5.2).
Bytes16 map_v4(std::span<const std::uint8_t> v4) {
  Bytes16 mapped{};
  mapped[10] = 0xff;
  mapped[11] = 0xff;
  std::copy(v4.begin(), v4.end(), mapped.begin() + 12);
  return mapped;
}

/// Parses a textual IPv4 or IPv6 address into its 16-byte form; `is_v4` tells which it was.
std::optional<Bytes16> parse_address(std::string_view text, bool& is_v4) {
  // inet_pton needs a NUL-terminated string; an embedded NUL would cut the text short.
  if (text.empty() || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string terminated(text);
  std::array<std::uint8_t, 4> v4{};
  if (::inet_pton(AF_INET, terminated.c_str(), v4.data()) == 1) {
    is_v4 = true;
    return map_v4(v4);
  }
  Bytes16 v6{};
  if (::inet_pton(AF_INET6, terminated.c_str(), v6.data()) == 1) {
    is_v4 = false;
    return v6;
  }
  return std::nullopt;
}

/// Clears every bit of `address` past the first `prefix` bits.
Bytes16 mask(Bytes16 address, unsigned prefix) {
  for (unsigned i = 0; i < address.size(); ++i) {
    const unsigned first_bit = i * 8;
    if (prefix >= first_bit + 8) {
      continue;
    }
    const unsigned kept = prefix > first_bit ? prefix - first_bit : 0;
    address[i] &= static_cast<std::uint8_t>(0xff00u >> kept);
  }
  return address;
}

}  // namespace

Cidr::Cidr(const Bytes16& network, unsigned prefix, bool is_v4)
    : network_(mask(network, prefix)), prefix_(prefix), is_v4_(is_v4) {}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  bool is_v4 = false;
  const auto address = parse_address(text.substr(0, slash), is_v4);
  if (!address) {
    return std::nullopt;
  }
  const unsigned max_prefix = is_v4 ? 32 : 128;
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    // Three digits are enough for 128 and keep parse_decimal far from overflow checks.
    const auto value = digits.size() <= 3 ? parse_decimal(digits) : std::nullopt;
    if (!value || *value > max_prefix) {
      return std::nullopt;
    }
    prefix = static_cast<unsigned>(*value);
  }
  return Cidr(*address, is_v4 ? prefix + 96 : prefix, is_v4);
}

bool Cidr::contains(std::span<const std::uint8_t> address) const {
  Bytes16 candidate{};
  if (address.size() == 4) {
    candidate = map_v4(address);
  } else if (address.size() == 16) {
    std::copy(address.begin(), address.end(), candidate.begin());
  } else {
    return false;
  }
  return mask(candidate, prefix_) == network_;
}

bool Cidr::contains(std::string_view address) const {
  bool is_v4 = false;
  const auto parsed = parse_address(address, is_v4);
  return parsed && contains(std::span<const std::uint8_t>(*parsed));
}

std::string Cidr::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (is_v4_) {
    ::inet_ntop(AF_INET, network_.data() + 12, text.data(), text.size());
  } else {
    ::inet_ntop(AF_INET6, network_.data(), text.data(), text.size());
  }
  return std::string(text.data()) + "/" + std::to_string(prefix_length());
}

}  // namespace river::net
