#include "wasm/abi.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace river::wasm::abi {
namespace {

void put_u32(std::string& out, std::uint32_t value) {
  std::array<char, 4> bytes{};
  // Wasm is little-endian, as is every host River builds for.
  std::memcpy(bytes.data(), &value, sizeof value);
  out.append(bytes.data(), bytes.size());
}

std::uint32_t get_u32(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;
}

// Every host function of ABI 0.2.1, plus names imported by SDKs written for 0.2.0 and 0.1.0.
constexpr std::array<std::string_view, 56> kEnvFunctions = {
    "proxy_log",
    "proxy_get_log_level",
    "proxy_get_current_time_nanoseconds",
    "proxy_set_tick_period_milliseconds",
    "proxy_done",
    "proxy_set_effective_context",
    "proxy_get_buffer_bytes",
    "proxy_set_buffer_bytes",
    "proxy_get_buffer_status",
    "proxy_get_header_map_size",
    "proxy_get_header_map_pairs",
    "proxy_set_header_map_pairs",
    "proxy_get_header_map_value",
    "proxy_add_header_map_value",
    "proxy_replace_header_map_value",
    "proxy_remove_header_map_value",
    "proxy_continue_stream",
    "proxy_close_stream",
    "proxy_get_status",
    "proxy_send_local_response",
    "proxy_http_call",
    "proxy_grpc_call",
    "proxy_grpc_stream",
    "proxy_grpc_send",
    "proxy_grpc_cancel",
    "proxy_grpc_close",
    "proxy_set_shared_data",
    "proxy_get_shared_data",
    "proxy_register_shared_queue",
    "proxy_resolve_shared_queue",
    "proxy_enqueue_shared_queue",
    "proxy_dequeue_shared_queue",
    "proxy_define_metric",
    "proxy_record_metric",
    "proxy_increment_metric",
    "proxy_get_metric",
    "proxy_get_property",
    "proxy_set_property",
    "proxy_call_foreign_function",
    // ABI 0.2.0 and 0.1.0.
    "proxy_continue_request",
    "proxy_continue_response",
    "proxy_clear_route_cache",
    "proxy_get_configuration",
    "proxy_set_buffer_status",
    "proxy_get_header_map_value_size",
    "proxy_continue",
    "proxy_close",
    "proxy_send_http_response",
    "proxy_get_shared_data_size",
    "proxy_register_shared_queue_size",
    "proxy_dequeue_shared_queue_size",
    "proxy_get_property_size",
    "proxy_get_buffer",
    "proxy_set_buffer",
    "proxy_get_header_map",
    "proxy_set_header_map",
};

}  // namespace

std::string encode_pairs(const Pairs& pairs) {
  std::string out;
  std::size_t total = 4 + pairs.size() * 8;
  for (const auto& [key, value] : pairs) {
    total += key.size() + value.size() + 2;
  }
  out.reserve(total);
  put_u32(out, static_cast<std::uint32_t>(pairs.size()));
  for (const auto& [key, value] : pairs) {
    put_u32(out, static_cast<std::uint32_t>(key.size()));
    put_u32(out, static_cast<std::uint32_t>(value.size()));
  }
  for (const auto& [key, value] : pairs) {
    out.append(key);
    out.push_back('\0');
    out.append(value);
    out.push_back('\0');
  }
  return out;
}

std::optional<Pairs> decode_pairs(std::string_view bytes) {
  if (bytes.empty() || (bytes.size() == 1 && bytes[0] == '\0')) {
    return Pairs{};
  }
  if (bytes.size() < 4) {
    return std::nullopt;
  }
  const std::uint64_t count = get_u32(bytes, 0);
  // Each entry takes at least 8 bytes of sizes and 2 separators: bounds `count` before any
  // allocation, so a hostile count cannot make the host reserve gigabytes.
  if (count > (bytes.size() - 4) / 10) {
    return std::nullopt;
  }
  std::size_t data = 4 + static_cast<std::size_t>(count) * 8;
  Pairs pairs;
  pairs.reserve(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t key_size = get_u32(bytes, 4 + i * 8);
    const std::uint64_t value_size = get_u32(bytes, 8 + i * 8);
    if (key_size + value_size + 2 > bytes.size() - data) {
      return std::nullopt;
    }
    const auto key = bytes.substr(data, key_size);
    data += key_size;
    if (bytes[data++] != '\0') {
      return std::nullopt;
    }
    const auto value = bytes.substr(data, value_size);
    data += value_size;
    if (bytes[data++] != '\0') {
      return std::nullopt;
    }
    pairs.emplace_back(std::string(key), std::string(value));
  }
  return pairs;
}

std::vector<std::string_view> split_property_path(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    const auto end = path.find('\0');
    segments.push_back(path.substr(0, end));
    if (end == std::string_view::npos) {
      break;
    }
    path.remove_prefix(end + 1);
  }
  return segments;
}

bool is_wasi_module(std::string_view module) {
  return module == "wasi_snapshot_preview1" || module == "wasi_unstable";
}

bool is_abi_function(std::string_view module, std::string_view name) {
  if (module == "env") {
    return std::find(kEnvFunctions.begin(), kEnvFunctions.end(), name) != kEnvFunctions.end();
  }
  // Every WASI function is accepted: those a proxy-wasm host must offer are implemented, the
  // rest (files, sockets) answer ENOSYS.
  return is_wasi_module(module) && !name.empty();
}

}  // namespace river::wasm::abi
