#include "net/cidr.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace river::net {
namespace {

Cidr parse_ok(std::string_view text) {
  auto cidr = Cidr::parse(text);
  EXPECT_TRUE(cidr) << text;
  return cidr.value_or(*Cidr::parse("::/128"));
}

TEST(NetCidr, ParsesIpv4RangeAndAddress) {
  const auto range = parse_ok("10.0.0.0/8");
  EXPECT_TRUE(range.is_v4());
  EXPECT_EQ(range.prefix_length(), 8u);
  EXPECT_EQ(range.to_string(), "10.0.0.0/8");

  const auto single = parse_ok("127.0.0.1");
  EXPECT_TRUE(single.is_v4());
  EXPECT_EQ(single.prefix_length(), 32u);
  EXPECT_EQ(single.to_string(), "127.0.0.1/32");
}

TEST(NetCidr, ParsesIpv6RangeAndAddress) {
  const auto range = parse_ok("2001:db8::/32");
  EXPECT_FALSE(range.is_v4());
  EXPECT_EQ(range.prefix_length(), 32u);
  EXPECT_EQ(range.to_string(), "2001:db8::/32");
  EXPECT_EQ(parse_ok("::1").to_string(), "::1/128");
  EXPECT_EQ(parse_ok("::/0").to_string(), "::/0");
}

TEST(NetCidr, ClearsHostBitsPastThePrefix) {
  EXPECT_EQ(parse_ok("10.1.2.3/8").to_string(), "10.0.0.0/8");
  EXPECT_EQ(parse_ok("192.168.1.77/26").to_string(), "192.168.1.64/26");
  EXPECT_EQ(parse_ok("2001:db8:ffff::1/33").to_string(), "2001:db8:8000::/33");
  EXPECT_EQ(Cidr::parse("10.1.2.3/8"), Cidr::parse("10.0.0.0/8"));
}

TEST(NetCidr, RejectsMalformedText) {
  for (const char* text : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8",
                           "10.0.0.0/8/8", "10.0.0.0/0008", "10.0.0/8", "10.0.0.256", "010.0.0.1x",
                           "localhost", "/8", "fe80::1%eth0", "[::1]", " 10.0.0.1", "10.0.0.1 "}) {
    EXPECT_FALSE(Cidr::parse(text)) << '"' << text << '"';
  }
  EXPECT_FALSE(Cidr::parse(std::string_view("10.0.0.1\0/8", 11)));
}

TEST(NetCidr, ContainsIpv4AddressesInRange) {
  const auto range = parse_ok("10.0.0.0/8");
  EXPECT_TRUE(range.contains("10.0.0.0"));
  EXPECT_TRUE(range.contains("10.255.255.255"));
  EXPECT_FALSE(range.contains("11.0.0.0"));
  EXPECT_FALSE(range.contains("9.255.255.255"));

  const auto odd = parse_ok("192.168.1.64/26");
  EXPECT_TRUE(odd.contains("192.168.1.64"));
  EXPECT_TRUE(odd.contains("192.168.1.127"));
  EXPECT_FALSE(odd.contains("192.168.1.63"));
  EXPECT_FALSE(odd.contains("192.168.1.128"));
}

TEST(NetCidr, ContainsBinaryAddresses) {
  const auto range = parse_ok("172.16.0.0/12");
  EXPECT_TRUE(range.contains(std::array<std::uint8_t, 4>{172, 31, 255, 1}));
  EXPECT_FALSE(range.contains(std::array<std::uint8_t, 4>{172, 32, 0, 1}));

  const auto v6 = parse_ok("fd00::/8");
  std::array<std::uint8_t, 16> inside{0xfd, 0x12};
  std::array<std::uint8_t, 16> outside{0xfe, 0x80};
  EXPECT_TRUE(v6.contains(inside));
  EXPECT_FALSE(v6.contains(outside));
}

TEST(NetCidr, RejectsAddressesOfOtherSizes) {
  const auto everything = parse_ok("::/0");
  EXPECT_FALSE(everything.contains(std::array<std::uint8_t, 5>{}));
  EXPECT_FALSE(everything.contains(std::span<const std::uint8_t>()));
}

TEST(NetCidr, SingleAddressContainsOnlyItself) {
  const auto one = parse_ok("127.0.0.1");
  EXPECT_TRUE(one.contains("127.0.0.1"));
  EXPECT_FALSE(one.contains("127.0.0.2"));
  const auto v6 = parse_ok("::1");
  EXPECT_TRUE(v6.contains("::1"));
  EXPECT_TRUE(v6.contains("0:0:0:0:0:0:0:1"));
  EXPECT_FALSE(v6.contains("::2"));
}

TEST(NetCidr, ZeroPrefixContainsItsWholeFamily) {
  const auto all_v4 = parse_ok("0.0.0.0/0");
  EXPECT_TRUE(all_v4.contains("1.2.3.4"));
  EXPECT_TRUE(all_v4.contains("255.255.255.255"));
  // An IPv4 range never covers native IPv6 addresses.
  EXPECT_FALSE(all_v4.contains("2001:db8::1"));

  const auto all_v6 = parse_ok("::/0");
  EXPECT_TRUE(all_v6.contains("2001:db8::1"));
}

TEST(NetCidr, Ipv4RangeMatchesMappedIpv6Client) {
  // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
  const auto range = parse_ok("10.0.0.0/8");
  EXPECT_TRUE(range.contains("::ffff:10.1.2.3"));
  EXPECT_FALSE(range.contains("::ffff:11.1.2.3"));
  // The same bytes without the ::ffff: marker are a different address.
  EXPECT_FALSE(range.contains("::10.1.2.3"));
}

TEST(NetCidr, UnparsableAddressIsNotContained) {
  const auto everything = parse_ok("::/0");
  EXPECT_FALSE(everything.contains("not-an-address"));
  EXPECT_FALSE(everything.contains(""));
}

}  // namespace
}  // namespace river::net
