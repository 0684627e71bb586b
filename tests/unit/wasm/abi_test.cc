// The proxy-wasm wire rules: serialised header maps, property paths, the import list, and the
// process-wide shared data and metrics.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "wasm/abi.h"
#include "wasm/shared_state.h"

namespace river::wasm {
namespace {

TEST(WasmAbi, EncodesPairsAsTheAbiDescribes) {
  // The example of the ABI's "Serialization" section: {"a": "1"}, {"b": "22"}.
  const auto bytes = abi::encode_pairs({{"a", "1"}, {"b", "22"}});
  const std::string expected("\x02\x00\x00\x00"
                             "\x01\x00\x00\x00\x01\x00\x00\x00"
                             "\x01\x00\x00\x00\x02\x00\x00\x00"
                             "a\0001\000b\00022\000",
                             4 + 16 + 9);
  EXPECT_EQ(bytes, expected);
  EXPECT_EQ(abi::decode_pairs(bytes), (abi::Pairs{{"a", "1"}, {"b", "22"}}));
}

TEST(WasmAbi, DecodesEmptyMaps) {
  EXPECT_EQ(abi::decode_pairs(""), abi::Pairs{});
  EXPECT_EQ(abi::decode_pairs(std::string(1, '\0')), abi::Pairs{});
  EXPECT_EQ(abi::decode_pairs(abi::encode_pairs({})), abi::Pairs{});
}

TEST(WasmAbi, RefusesMalformedMaps) {
  auto good = abi::encode_pairs({{"key", "value"}});
  // Truncated anywhere.
  for (std::size_t n = 2; n < good.size(); ++n) {
    EXPECT_FALSE(abi::decode_pairs(good.substr(0, n))) << n;
  }
  // A separator that is not NUL.
  auto bad = good;
  bad[4 + 8 + 3] = 'x';
  EXPECT_FALSE(abi::decode_pairs(bad));
  // A count far larger than the bytes could hold is refused before allocating.
  std::string huge("\xff\xff\xff\x7f", 4);
  huge += std::string(16, '\0');
  EXPECT_FALSE(abi::decode_pairs(huge));
  // Sizes that overflow the buffer.
  std::string sizes("\x01\x00\x00\x00\xff\xff\xff\xff\x01\x00\x00\x00" "a\0b\0", 16);
  EXPECT_FALSE(abi::decode_pairs(sizes));
}

TEST(WasmAbi, SplitsPropertyPaths) {
  using Segments = std::vector<std::string_view>;
  EXPECT_EQ(abi::split_property_path(std::string_view("request\0path", 12)),
            (Segments{"request", "path"}));
  EXPECT_EQ(abi::split_property_path("plugin_name"), (Segments{"plugin_name"}));
  EXPECT_EQ(abi::split_property_path(""), Segments{});
}

TEST(WasmAbi, KnowsTheAbiImports) {
  EXPECT_TRUE(abi::is_abi_function("env", "proxy_log"));
  EXPECT_TRUE(abi::is_abi_function("env", "proxy_http_call"));
  EXPECT_TRUE(abi::is_abi_function("env", "proxy_clear_route_cache"));  // ABI 0.2.0
  EXPECT_TRUE(abi::is_abi_function("wasi_snapshot_preview1", "fd_write"));
  EXPECT_TRUE(abi::is_abi_function("wasi_unstable", "proc_exit"));
  EXPECT_FALSE(abi::is_abi_function("env", "system"));
  EXPECT_FALSE(abi::is_abi_function("other", "proxy_log"));
}

TEST(WasmSharedData, CompareAndSwap) {
  auto& store = SharedData::instance();
  EXPECT_FALSE(store.get("abi_test.cas"));
  // A key that does not exist has no token to match.
  EXPECT_EQ(store.set("abi_test.cas", "1", 7), abi::Status::CasMismatch);
  ASSERT_EQ(store.set("abi_test.cas", "1", 0), abi::Status::Ok);
  auto entry = store.get("abi_test.cas");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->value, "1");
  EXPECT_NE(entry->cas, 0u);
  EXPECT_EQ(store.set("abi_test.cas", "2", entry->cas), abi::Status::Ok);
  // The old token is stale now.
  EXPECT_EQ(store.set("abi_test.cas", "3", entry->cas), abi::Status::CasMismatch);
  EXPECT_EQ(store.get("abi_test.cas")->value, "2");
}

TEST(WasmSharedData, CasIncrementsFromManyThreadsLoseNothing) {
  auto& store = SharedData::instance();
  constexpr int kThreads = 4;
  constexpr int kIncrements = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store] {
      for (int i = 0; i < kIncrements; ++i) {
        while (true) {
          auto entry = store.get("abi_test.counter");
          const int value = entry ? std::stoi(entry->value) : 0;
          if (store.set("abi_test.counter", std::to_string(value + 1), entry ? entry->cas : 0) ==
              abi::Status::Ok) {
            break;
          }
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(store.get("abi_test.counter")->value, std::to_string(kThreads * kIncrements));
}

TEST(WasmPluginMetrics, SameNameSameMetric) {
  auto& metrics = PluginMetrics::instance();
  std::uint32_t a = 0;
  std::uint32_t b = 1;
  ASSERT_EQ(metrics.define(abi::MetricType::Counter, "abi_test_total", a), abi::Status::Ok);
  ASSERT_EQ(metrics.define(abi::MetricType::Counter, "abi_test_total", b), abi::Status::Ok);
  EXPECT_EQ(a, b);
  EXPECT_EQ(metrics.define(abi::MetricType::Gauge, "abi_test_total", b),
            abi::Status::BadArgument);
  EXPECT_EQ(metrics.define(static_cast<abi::MetricType>(9), "abi_test_x", b),
            abi::Status::BadArgument);

  EXPECT_EQ(metrics.increment(a, 2), abi::Status::Ok);
  EXPECT_EQ(metrics.increment(a, -1), abi::Status::BadArgument);  // counters only go up
  EXPECT_EQ(metrics.increment(999999, 1), abi::Status::NotFound);
  std::uint64_t value = 0;
  EXPECT_EQ(metrics.get(a, value), abi::Status::Ok);
  EXPECT_EQ(value, 2u);

  std::uint32_t gauge = 0;
  ASSERT_EQ(metrics.define(abi::MetricType::Gauge, "abi_test_gauge", gauge), abi::Status::Ok);
  EXPECT_EQ(metrics.record(gauge, 42), abi::Status::Ok);
  EXPECT_EQ(metrics.increment(gauge, -2), abi::Status::Ok);
  EXPECT_EQ(metrics.get(gauge, value), abi::Status::Ok);
  EXPECT_EQ(value, 40u);
}

}  // namespace
}  // namespace river::wasm
