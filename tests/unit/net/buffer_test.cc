#include "net/buffer.h"

#include <cstring>

#include <gtest/gtest.h>

namespace river::net {
namespace {

void append(Buffer& buffer, std::string_view text) {
  auto space = buffer.prepare(text.size());
  std::memcpy(space.data(), text.data(), text.size());
  buffer.commit(text.size());
}

TEST(Buffer, ConsumesFromTheFrontAndAppendsAtTheBack) {
  Buffer buffer(8);
  append(buffer, "hello");
  buffer.consume(2);
  append(buffer, " world");
  EXPECT_EQ(buffer.readable(), "llo world");
  EXPECT_EQ(buffer.size(), 9u);
}

TEST(Buffer, GrowsBeyondItsInitialCapacity) {
  Buffer buffer(4);
  const std::string big(10000, 'x');
  append(buffer, big);
  EXPECT_EQ(buffer.readable(), big);
}

TEST(Buffer, CompactsInsteadOfGrowingWhenFrontIsFree) {
  Buffer buffer(16);
  append(buffer, "0123456789");
  buffer.consume(8);
  auto space = buffer.prepare(10);
  EXPECT_GE(space.size(), 10u);
  EXPECT_EQ(buffer.readable(), "89");
}

TEST(Buffer, EmptiesWhenAllConsumed) {
  Buffer buffer(16);
  append(buffer, "abc");
  buffer.consume(3);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.prepare(16).size(), 16u) << "an empty buffer reuses its whole storage";
}

TEST(BufferDeathTest, RefusesToConsumeMoreThanItHolds) {
  Buffer buffer(16);
  append(buffer, "abc");
  EXPECT_DEATH(buffer.consume(4), "check failed");
}

}  // namespace
}  // namespace river::net

namespace river::net {
namespace {

TEST(Buffer, TakesNoMemoryUntilFirstUseAndGivesItBackWhenEmpty) {
  Buffer buffer(1024);
  EXPECT_EQ(buffer.capacity(), 0u);
  append(buffer, "abc");
  EXPECT_GE(buffer.capacity(), 1024u);

  buffer.release_storage();
  EXPECT_GE(buffer.capacity(), 1024u) << "storage holding bytes is kept";
  buffer.consume(3);
  buffer.release_storage();
  EXPECT_EQ(buffer.capacity(), 0u);
  append(buffer, "again");
  EXPECT_EQ(buffer.readable(), "again");
}

}  // namespace
}  // namespace river::net
