#include "config/toml_reader.h"

#include <gtest/gtest.h>

namespace river::config {
namespace {

TEST(ConfigClosestMatch, SuggestsKeyWithinATypoOrTwo) {
  const std::vector<std::string> keys = {"connect", "keepalive", "response_header"};
  EXPECT_EQ(closest_match("conect", keys), "connect");
  EXPECT_EQ(closest_match("CONNECT", keys), "connect");
  EXPECT_EQ(closest_match("keep_alive", keys), "keepalive");
  EXPECT_EQ(closest_match("response_headers", keys), "response_header");
}

TEST(ConfigClosestMatch, SuggestsNothingForUnrelatedKey) {
  const std::vector<std::string> keys = {"connect", "keepalive"};
  EXPECT_EQ(closest_match("banana", keys), std::nullopt);
  EXPECT_EQ(closest_match("x", keys), std::nullopt);
  EXPECT_EQ(closest_match("conn", keys), std::nullopt);
  EXPECT_EQ(closest_match("connect", {}), std::nullopt);
}

TEST(ConfigClosestMatch, PrefersTheNearestCandidate) {
  const std::vector<std::string> keys = {"max_header_bytes", "max_header_count"};
  EXPECT_EQ(closest_match("max_header_countt", keys), "max_header_count");
  EXPECT_EQ(closest_match("max_header_byte", keys), "max_header_bytes");
}

}  // namespace
}  // namespace river::config
