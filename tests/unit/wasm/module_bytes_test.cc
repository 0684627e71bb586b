#include "wasm/module_bytes.h"

#include <gtest/gtest.h>

#include <vector>

namespace river::wasm {
namespace {

using Bytes = std::vector<std::uint8_t>;

const Bytes kHeader = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

Bytes module_with(Bytes section) {
  Bytes out = kHeader;
  out.insert(out.end(), section.begin(), section.end());
  return out;
}

TEST(WasmCapMemory, AddsMaximumToUnboundedMemory) {
  // memory section: one memory, flags 0, initial 2 pages.
  auto capped = cap_memory(module_with({0x05, 0x03, 0x01, 0x00, 0x02}), 16);
  ASSERT_TRUE(capped) << capped.error().context;
  EXPECT_EQ(*capped, module_with({0x05, 0x04, 0x01, 0x01, 0x02, 0x10}));
}

TEST(WasmCapMemory, LowersLargerMaximum) {
  // initial 1, maximum 65536 (LEB 0x80 0x80 0x04).
  auto capped = cap_memory(module_with({0x05, 0x06, 0x01, 0x01, 0x01, 0x80, 0x80, 0x04}), 16);
  ASSERT_TRUE(capped) << capped.error().context;
  EXPECT_EQ(*capped, module_with({0x05, 0x04, 0x01, 0x01, 0x01, 0x10}));
}

TEST(WasmCapMemory, KeepsSmallerMaximumAndOtherSections) {
  Bytes custom = {0x00, 0x02, 0x01, 'x'};
  Bytes memory = {0x05, 0x04, 0x01, 0x01, 0x01, 0x03};
  Bytes input = module_with(custom);
  input.insert(input.end(), memory.begin(), memory.end());
  auto capped = cap_memory(input, 16);
  ASSERT_TRUE(capped) << capped.error().context;
  EXPECT_EQ(*capped, input);
}

TEST(WasmCapMemory, RefusesInitialMemoryAboveCap) {
  auto capped = cap_memory(module_with({0x05, 0x03, 0x01, 0x00, 0x20}), 16);
  ASSERT_FALSE(capped);
  EXPECT_EQ(capped.error().kind, ErrorKind::Config);
}

TEST(WasmCapMemory, RefusesSharedMemory) {
  EXPECT_FALSE(cap_memory(module_with({0x05, 0x04, 0x01, 0x03, 0x01, 0x02}), 16));
}

TEST(WasmCapMemory, RefusesImportedMemory) {
  // import section: one import "e"."m", kind memory, limits flags 0 initial 1.
  auto capped = cap_memory(module_with({0x02, 0x08, 0x01, 0x01, 'e', 0x01, 'm', 0x02, 0x00, 0x01}),
                           16);
  ASSERT_FALSE(capped);
  EXPECT_NE(capped.error().context.find("imported memory"), std::string::npos);
}

TEST(WasmCapMemory, RefusesTruncatedSectionsAndBadHeaders) {
  EXPECT_FALSE(cap_memory(module_with({0x05, 0x09, 0x01}), 16));
  EXPECT_FALSE(cap_memory(module_with({0x05, 0xff, 0xff, 0xff, 0xff, 0xff}), 16));
  EXPECT_FALSE(cap_memory(Bytes{0x00, 0x61, 0x73}, 16));
  EXPECT_FALSE(cap_memory(Bytes{'n', 'o', 't', ' ', 'w', 'a', 's', 'm'}, 16));
}

}  // namespace
}  // namespace river::wasm
