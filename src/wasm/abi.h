// The proxy-wasm ABI 0.2.1 as plain values: status codes, enums, and the serialised form of
// header maps that crosses the guest boundary.
//
// Pure data and pure functions, so the wire rules are unit-tested without V8. The numbers are
// the ABI's (https://github.com/proxy-wasm/spec, abi-versions/v0.2.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace river::wasm::abi {

/// proxy_status_t: what every host function returns.
enum class Status : std::uint32_t {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  InternalFailure = 10,
  Unimplemented = 12,
};

/// proxy_action_t: what a stream callback returns.
enum class Action : std::uint32_t { Continue = 0, Pause = 1 };

/// proxy_log_level_t.
enum class LogLevel : std::uint32_t { Trace = 0, Debug, Info, Warn, Error, Critical };

/// proxy_buffer_type_t.
enum class BufferType : std::uint32_t {
  RequestBody = 0,
  ResponseBody = 1,
  DownstreamData = 2,
  UpstreamData = 3,
  HttpCallResponseBody = 4,
  GrpcCallMessage = 5,
  VmConfiguration = 6,
  PluginConfiguration = 7,
  ForeignFunctionArguments = 8,
};

/// proxy_map_type_t.
enum class MapType : std::uint32_t {
  RequestHeaders = 0,
  RequestTrailers = 1,
  ResponseHeaders = 2,
  ResponseTrailers = 3,
};

/// proxy_stream_type_t.
enum class StreamType : std::uint32_t { HttpRequest = 0, HttpResponse = 1 };

/// proxy_metric_type_t.
enum class MetricType : std::uint32_t { Counter = 0, Gauge = 1, Histogram = 2 };

/// wasi_errno_t values the host returns.
namespace wasi {
inline constexpr std::uint32_t kSuccess = 0;
inline constexpr std::uint32_t kBadf = 8;
inline constexpr std::uint32_t kFault = 21;
inline constexpr std::uint32_t kInval = 28;
inline constexpr std::uint32_t kNosys = 52;
inline constexpr std::uint32_t kNotsup = 58;
}  // namespace wasi

using Pairs = std::vector<std::pair<std::string, std::string>>;

/// Serialises `pairs` as the ABI's map encoding: a u32 count, a (key size, value size) u32
/// pair per entry, then each key and value followed by a NUL byte; little-endian.
std::string encode_pairs(const Pairs& pairs);

/// Parses the map encoding; nullopt when `bytes` is truncated, sizes overflow it, or a
/// separator is not NUL. An empty input, or a single NUL byte, is the empty map.
std::optional<Pairs> decode_pairs(std::string_view bytes);

/// Splits a property path ("request\0path") into its segments.
std::vector<std::string_view> split_property_path(std::string_view path);

/// True for the WASI modules wasi-libc and AssemblyScript import from.
bool is_wasi_module(std::string_view module);

/// True for the imports the ABI 0.2.1 lists (and the names older SDKs still import), so that a
/// host can answer `Unimplemented` for those it does not offer instead of refusing the module.
bool is_abi_function(std::string_view module, std::string_view name);

}  // namespace river::wasm::abi
