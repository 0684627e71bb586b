#include "net/address.h"

#include <gtest/gtest.h>

namespace river::net {
namespace {

TEST(ListenAddress, ParsesIpv4Ipv6AndUnix) {
  auto v4 = parse_listen_address("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->to_string(), "127.0.0.1:8080");

  auto v6 = parse_listen_address("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->tcp.address().is_v6());
  EXPECT_EQ(v6->to_string(), "[::1]:0");

  auto local = parse_listen_address("unix:/tmp/river.sock");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->kind, SocketAddress::Kind::Unix);
  EXPECT_EQ(local->path, "/tmp/river.sock");
}

TEST(ListenAddress, RejectsMalformedAddresses) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1:65536", "::1:80", "[127.0.0.1]:80",
                          "localhost:80", "unix:", "1.2.3.4:-1", "1.2.3.4:8o"}) {
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
  }
}

TEST(PeerAddress, ResolvesLiteralAndLocalhost) {
  auto literal = resolve_peer_address("127.0.0.1:9000");
  ASSERT_TRUE(literal);
  ASSERT_EQ(literal->size(), 1u);
  EXPECT_EQ(literal->front().to_string(), "127.0.0.1:9000");

  auto named = resolve_peer_address("localhost:9000");
  ASSERT_TRUE(named);
  EXPECT_FALSE(named->empty());
  EXPECT_FALSE(resolve_peer_address("127.0.0.1:0"));
}

}  // namespace
}  // namespace river::net
