#include "wasm/shared_state.h"

namespace river::wasm {

SharedData& SharedData::instance() {
  // Destroyed at exit, after River's workers were joined (Server::run returns only then).
  static SharedData store;
  return store;
}

std::optional<SharedData::Entry> SharedData::get(std::string_view key) const {
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(key);
  if (found == entries_.end()) {
    return std::nullopt;
  }
  return found->second;
}

abi::Status SharedData::set(std::string_view key, std::string_view value, std::uint32_t cas) {
  if (key.size() > kMaxBytes || value.size() > kMaxBytes) {
    return abi::Status::BadArgument;
  }
  std::lock_guard lock(mutex_);
  auto found = entries_.find(key);
  if (cas != 0 && (found == entries_.end() || found->second.cas != cas)) {
    return abi::Status::CasMismatch;
  }
  if (found == entries_.end()) {
    if (entries_.size() >= kMaxKeys) {
      return abi::Status::BadArgument;
    }
    found = entries_.emplace(std::string(key), Entry{}).first;
  }
  found->second.value.assign(value);
  found->second.cas = next_cas_;
  next_cas_ = next_cas_ == UINT32_MAX ? 1 : next_cas_ + 1;
  return abi::Status::Ok;
}

PluginMetrics& PluginMetrics::instance() {
  static PluginMetrics metrics;
  return metrics;
}

abi::Status PluginMetrics::define(abi::MetricType type, std::string_view name,
                                  std::uint32_t& id) {
  if (type != abi::MetricType::Counter && type != abi::MetricType::Gauge &&
      type != abi::MetricType::Histogram) {
    return abi::Status::BadArgument;
  }
  std::lock_guard lock(mutex_);
  if (const auto found = by_name_.find(name); found != by_name_.end()) {
    if (metrics_[found->second].type != type) {
      return abi::Status::BadArgument;
    }
    id = found->second;
    return abi::Status::Ok;
  }
  if (metrics_.size() >= kMaxMetrics) {
    return abi::Status::BadArgument;
  }
  id = static_cast<std::uint32_t>(metrics_.size());
  auto& metric = metrics_.emplace_back();
  metric.name = std::string(name);
  metric.type = type;
  by_name_.emplace(metric.name, id);
  return abi::Status::Ok;
}

abi::Status PluginMetrics::increment(std::uint32_t id, std::int64_t delta) {
  Metric* metric = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (id >= metrics_.size()) {
      return abi::Status::NotFound;
    }
    metric = &metrics_[id];
  }
  if (metric->type == abi::MetricType::Counter && delta < 0) {
    return abi::Status::BadArgument;
  }
  metric->value.fetch_add(delta, std::memory_order_relaxed);
  return abi::Status::Ok;
}

abi::Status PluginMetrics::record(std::uint32_t id, std::uint64_t value) {
  Metric* metric = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (id >= metrics_.size()) {
      return abi::Status::NotFound;
    }
    metric = &metrics_[id];
  }
  metric->value.store(static_cast<std::int64_t>(value), std::memory_order_relaxed);
  return abi::Status::Ok;
}

abi::Status PluginMetrics::get(std::uint32_t id, std::uint64_t& value) const {
  std::lock_guard lock(mutex_);
  if (id >= metrics_.size()) {
    return abi::Status::NotFound;
  }
  value = static_cast<std::uint64_t>(metrics_[id].value.load(std::memory_order_relaxed));
  return abi::Status::Ok;
}

std::vector<PluginMetrics::Snapshot> PluginMetrics::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<Snapshot> out;
  for (const auto& metric : metrics_) {
    out.push_back({metric.name, metric.type, metric.value.load(std::memory_order_relaxed)});
  }
  return out;
}

}  // namespace river::wasm
