#include "files/range.h"

#include <gtest/gtest.h>

namespace river::files {
namespace {

using Kind = RangeDecision::Kind;

void expect_partial(std::string_view range, std::uint64_t size, std::uint64_t first,
                    std::uint64_t length) {
  const auto decision = decide_range(range, size);
  EXPECT_EQ(decision.kind, Kind::Partial) << range;
  EXPECT_EQ(decision.first, first) << range;
  EXPECT_EQ(decision.length, length) << range;
}

TEST(DecideRange, SelectsSingleRanges) {
  expect_partial("bytes=0-0", 10, 0, 1);
  expect_partial("bytes=0-9", 10, 0, 10);
  expect_partial("bytes=2-5", 10, 2, 4);
  expect_partial("bytes=9-", 10, 9, 1);
  expect_partial("bytes=3-100", 10, 3, 7);
  expect_partial("bytes=-3", 10, 7, 3);
  expect_partial("bytes=-10", 10, 0, 10);
  expect_partial("bytes=-11", 10, 0, 10);
  expect_partial("Bytes=1-1", 10, 1, 1);
  expect_partial("bytes=, 1-1 ,", 10, 1, 1);
  expect_partial("bytes=0-18446744073709551615", 10, 0, 10);
}

TEST(DecideRange, ReportsUnsatisfiableRanges) {
  for (const auto* range :
       {"bytes=10-", "bytes=10-20", "bytes=-0", "bytes=18446744073709551615-"}) {
    EXPECT_EQ(decide_range(range, 10).kind, Kind::Unsatisfiable) << range;
  }
}

TEST(DecideRange, IgnoresMalformedMultipleAndEmpty) {
  for (const auto* range :
       {"", "bytes", "bytes=", "bytes=,", "bytes=a-b", "bytes=5-4", "bytes=-", "bytes=1",
        "bytes=1-2-3", "bytes=-1-2", "bytes= 1-2x", "bytes=0x1-2", "bytes =1-2", "bits=1-2",
        "bytes=1-2,3-4", "bytes=0-1,-1", "bytes=1 -2", "bytes=18446744073709551616-"}) {
    EXPECT_EQ(decide_range(range, 10).kind, Kind::Full) << range;
  }
  // Nothing in an empty representation can be named by a Content-Range.
  EXPECT_EQ(decide_range("bytes=0-1", 0).kind, Kind::Full);
  EXPECT_EQ(decide_range("bytes=-1", 0).kind, Kind::Full);
}

}  // namespace
}  // namespace river::files
