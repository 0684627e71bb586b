#include "config/address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace river::config {
namespace {

using ::testing::HasSubstr;

TEST(ConfigAddress, AcceptsListenForms) {
  for (const char* text : {"127.0.0.1:8080", "0.0.0.0:0", "0.0.0.0:65535", "[::1]:8080", "[::]:443",
                           "[2001:db8::1]:80", "[::ffff:10.0.0.1]:80", "unix:/tmp/river.sock",
                           "unix:run/river.sock"}) {
    EXPECT_TRUE(check_listen_address(text)) << text;
  }
}

TEST(ConfigAddress, ListenSocketsOverlapWhenTheyBindTheSameAddressAndPort) {
  auto overlap = [](const char* a, const char* b) {
    return listen_socket(a)->overlaps(*listen_socket(b));
  };
  EXPECT_TRUE(overlap("127.0.0.1:80", "127.0.0.1:80"));
  EXPECT_TRUE(overlap("[::1]:80", "[0:0::1]:80"));
  EXPECT_TRUE(overlap("0.0.0.0:80", "127.0.0.1:80"));
  EXPECT_TRUE(overlap("[2001:db8::1]:80", "[::]:80"));
  EXPECT_TRUE(overlap("unix:/run/a", "unix:/run/a"));
  EXPECT_FALSE(overlap("127.0.0.1:80", "127.0.0.2:80"));
  EXPECT_FALSE(overlap("127.0.0.1:80", "127.0.0.1:81"));
  EXPECT_FALSE(overlap("0.0.0.0:80", "[::]:80"));
  EXPECT_FALSE(overlap("unix:/run/a", "unix:/run/b"));
  // Port 0 picks a free port for each listener: never a collision.
  EXPECT_FALSE(listen_socket("127.0.0.1:0"));
  EXPECT_FALSE(listen_socket("localhost:80"));
}

TEST(ConfigAddress, RejectsBadListenForms) {
  struct Case {
    const char* text;
    const char* problem;
  };
  const Case cases[] = {
      {"127.0.0.1", "missing port"},
      {"localhost:8080", "not an IP address"},
      {"10.0.0.256:80", "not an IP address"},
      {"127.0.0.1:65536", "from 0 to 65535"},
      {"127.0.0.1:", "from 0 to 65535"},
      {"127.0.0.1:-1", "from 0 to 65535"},
      {"127.0.0.1:80a", "from 0 to 65535"},
      {"::1:8080", "needs brackets"},
      {"[::1]", "expected"},
      {"[::1]8080", "expected"},
      {"[::g]:80", "not a valid IPv6"},
      {"[127.0.0.1]:80", "not a valid IPv6"},
      {"[fe80::1%eth0]:80", "not a valid IPv6"},
      {"unix:", "path is empty"},
      {"", "missing port"},
  };
  for (const auto& c : cases) {
    const auto result = check_listen_address(c.text);
    ASSERT_FALSE(result) << c.text;
    EXPECT_THAT(result.error().context, HasSubstr(c.problem)) << c.text;
  }
}

TEST(ConfigAddress, RejectsUnixPathLongerThanSockaddr) {
  const std::string longest = "unix:/" + std::string(106, 'a');  // 107 bytes of path
  EXPECT_TRUE(check_listen_address(longest));
  const auto result = check_listen_address(longest + "a");
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().context, HasSubstr("longer than 107 bytes"));
}

TEST(ConfigAddress, AcceptsUpstreamForms) {
  for (const char* text : {"127.0.0.1:9000", "[::1]:9000", "localhost:1", "api.internal:65535",
                           "my_app:8080", "example.com.:443", "10-0-0-1.nip.io:80", "a1.b2:80"}) {
    EXPECT_TRUE(check_upstream_address(text)) << text;
  }
}

TEST(ConfigAddress, RejectsBadUpstreamForms) {
  struct Case {
    const char* text;
    const char* problem;
  };
  const Case cases[] = {
      {"127.0.0.1:0", "from 1 to 65535"},
      {"127.0.0.1:65536", "from 1 to 65535"},
      {"localhost", "missing port"},
      {"10.0.0.256:80", "not a valid IPv4 address or host name"},
      {"1.2.3:80", "not a valid IPv4 address or host name"},
      {"-bad.example:80", "not a valid IPv4 address or host name"},
      {"bad-.example:80", "not a valid IPv4 address or host name"},
      {"a..b:80", "not a valid IPv4 address or host name"},
      {"exa mple:80", "not a valid IPv4 address or host name"},
      {":80", "not a valid IPv4 address or host name"},
      {"::1:80", "needs brackets"},
      {"[::1]:0", "from 1 to 65535"},
      {"unix:/tmp/upstream.sock", "not supported"},
  };
  for (const auto& c : cases) {
    const auto result = check_upstream_address(c.text);
    ASSERT_FALSE(result) << c.text;
    EXPECT_THAT(result.error().context, HasSubstr(c.problem)) << c.text;
  }
}

TEST(ConfigAddress, RejectsOverlongHostNameLabel) {
  const std::string label63(63, 'a');
  EXPECT_TRUE(check_upstream_address(label63 + ".example:80"));
  EXPECT_FALSE(check_upstream_address(label63 + "a.example:80"));
}

TEST(ConfigAddress, AcceptsAddressesAndCidrRanges) {
  for (const char* text : {"127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "192.168.1.1/32", "::1",
                           "fd00::/8", "::/0", "2001:db8::/128"}) {
    EXPECT_TRUE(check_address_or_cidr(text)) << text;
  }
}

TEST(ConfigAddress, RejectsBadCidrRanges) {
  for (const char* text : {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8",
                           "10.0.0/8", "localhost", "", "/8", "10.0.0.0/x"}) {
    EXPECT_FALSE(check_address_or_cidr(text)) << '"' << text << '"';
  }
}

}  // namespace
}  // namespace river::config
