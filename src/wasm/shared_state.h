// Process-wide state that plugins share across workers: the key-value store behind
// proxy_get_shared_data / proxy_set_shared_data, and the metrics plugins define.
//
// Every worker's instance of every plugin sees the same store and the same metrics, so a
// counter kept there counts requests of all workers. Both are thread-safe (a mutex sits by
// the data); they live for the whole process.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasm/abi.h"

namespace river::wasm {

/// The shared key-value store, with compare-and-swap.
class SharedData {
 public:
  static SharedData& instance();

  struct Entry {
    std::string value;
    /// Changes on every successful set; never 0, so 0 can mean "no check" in set().
    std::uint32_t cas = 0;
  };

  /// The value under `key` and its CAS token, or nullopt.
  std::optional<Entry> get(std::string_view key) const;

  /// Stores `value` under `key`. When `cas` is not 0 it must equal the key's current token
  /// (a key that does not exist yet has none, so any non-zero `cas` mismatches); otherwise
  /// `CasMismatch` and nothing changes.
  abi::Status set(std::string_view key, std::string_view value, std::uint32_t cas);

  /// Most keys, and most bytes per key and value; past them set() answers BadArgument.
  static constexpr std::size_t kMaxKeys = 65536;
  static constexpr std::size_t kMaxBytes = 1 << 20;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::uint32_t next_cas_ = 1;
};

/// Metrics defined by plugins. Defining the same name twice (another worker, a recreated
/// instance) yields the same id, so counts add up across workers.
class PluginMetrics {
 public:
  static PluginMetrics& instance();

  struct Snapshot {
    std::string name;
    abi::MetricType type;
    std::int64_t value;
  };

  /// The id of metric `name`, creating it with `type`. BadArgument when `name` exists with
  /// another type, or too many metrics exist.
  abi::Status define(abi::MetricType type, std::string_view name, std::uint32_t& id);
  /// Adds `delta`; BadArgument for a negative delta on a counter, NotFound for an unknown id.
  abi::Status increment(std::uint32_t id, std::int64_t delta);
  /// Sets a gauge, or records a histogram sample (only the last one is kept).
  abi::Status record(std::uint32_t id, std::uint64_t value);
  abi::Status get(std::uint32_t id, std::uint64_t& value) const;

  /// Every metric with its current value, for logs and exporters.
  std::vector<Snapshot> snapshot() const;

  static constexpr std::size_t kMaxMetrics = 4096;

 private:
  struct Metric {
    std::string name;
    abi::MetricType type;
    std::atomic<std::int64_t> value{0};
  };

  mutable std::mutex mutex_;  // guards the containers; values are atomics
  std::deque<Metric> metrics_;  // a deque keeps addresses stable as it grows
  std::map<std::string, std::uint32_t, std::less<>> by_name_;
};

}  // namespace river::wasm
