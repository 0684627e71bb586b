#include "config/duration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace river::config {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(ConfigDuration, ParsesEachUnit) {
  EXPECT_EQ(parse_duration("250ms").value(), 250ms);
  EXPECT_EQ(parse_duration("30s").value(), 30s);
  EXPECT_EQ(parse_duration("5m").value(), 5min);
  EXPECT_EQ(parse_duration("1h").value(), 1h);
}

TEST(ConfigDuration, ParsesZero) {
  // Zero is a valid duration; whether a key allows it is the loader's rule.
  EXPECT_EQ(parse_duration("0s").value(), 0ms);
}

TEST(ConfigDuration, RejectsMissingUnitNamingTheForm) {
  const auto result = parse_duration("30");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::Config);
  EXPECT_THAT(result.error().context, HasSubstr("no unit"));
  EXPECT_THAT(result.error().context, HasSubstr("\"30s\""));
}

TEST(ConfigDuration, RejectsUnknownUnit) {
  for (const char* text : {"5x", "5sec", "5S", "5 s", "5us", "5d"}) {
    const auto result = parse_duration(text);
    ASSERT_FALSE(result) << text;
    EXPECT_THAT(result.error().context, HasSubstr("unit")) << text;
  }
}

TEST(ConfigDuration, RejectsMissingNumber) {
  for (const char* text : {"", "s", "-5s", "+5s", " 5s", "1.5s", "ms"}) {
    EXPECT_FALSE(parse_duration(text)) << '"' << text << '"';
  }
}

TEST(ConfigDuration, AcceptsUpToOneYear) {
  EXPECT_EQ(parse_duration("8760h").value(), kMaxDuration);
  EXPECT_EQ(parse_duration("525600m").value(), kMaxDuration);
}

TEST(ConfigDuration, RejectsMoreThanOneYearWithoutOverflow) {
  for (const char* text : {"8761h", "31536000001ms", "99999999999999999999999h"}) {
    const auto result = parse_duration(text);
    ASSERT_FALSE(result) << text;
    EXPECT_THAT(result.error().context, HasSubstr("too long")) << text;
  }
}

}  // namespace
}  // namespace river::config
