// The host functions a plugin imports: proxy-wasm ABI 0.2.1 plus the WASI calls that
// wasi-libc and AssemblyScript programs make.
//
// Every pointer and size from the guest goes through Instance::read/write, which check them
// against linear memory; a bad one gets INVALID_MEMORY_ACCESS (or WASI's FAULT), never a
// crash. Strings the guest hands over for HTTP messages are validated here (field names are
// tokens, values carry no CR, LF or NUL), since everything in a HeaderMap is trusted to be
// safe to serialise. Results go back the ABI's way: the host allocates guest memory through
// `proxy_on_memory_allocate` (or `malloc`), copies the bytes, and writes pointer and size to
// the addresses the guest gave.
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "base/strings.h"
#include "observe/log.h"
#include "wasm/plugin.h"
#include "wasm/shared_state.h"

namespace river::wasm {
namespace {

using abi::Status;

/// Longest log message and largest single copy between host and guest.
constexpr std::size_t kMaxLogBytes = 16 * 1024;
constexpr std::uint32_t kMaxRandomBytes = 64 * 1024;

spdlog::logger& plugin_log() {
  static auto& instance = observe::logger("plugin");
  return instance;
}

Value status(Status value) { return Value::u32(static_cast<std::uint32_t>(value)); }
Value wasi_errno(std::uint32_t value) { return Value::u32(value); }

Error trap(std::string why) {
  return Error{ErrorKind::PluginTrap, Side::Internal, false, std::move(why)};
}

/// RFC 9110 §5.6.2 tchar.
bool is_token(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
           std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
  });
}

/// RFC 9110 §5.5: no CTL but HTAB; obs-text allowed.
bool is_field_value(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

/// Copies `bytes` into fresh guest memory and stores its address and size at `ptr_ptr` and
/// `size_ptr`. A failing allocator call fails the whole callback (it is a guest fault).
Result<Status> copy_out(Instance& instance, std::string_view bytes, std::uint32_t ptr_ptr,
                        std::uint32_t size_ptr) {
  std::uint32_t address = 0;
  if (!bytes.empty()) {
    const auto size = Value::u32(static_cast<std::uint32_t>(bytes.size()));
    const char* allocator =
        instance.has_function("proxy_on_memory_allocate") ? "proxy_on_memory_allocate" : "malloc";
    auto allocated = instance.call(allocator, {size});
    if (!allocated) {
      return allocated.error();
    }
    if (!*allocated || (*allocated)->as_u32() == 0) {
      return Status::InternalFailure;
    }
    address = (*allocated)->as_u32();
    if (!instance.write(address, bytes)) {
      return Status::InvalidMemoryAccess;
    }
  }
  if (!instance.write_u32(ptr_ptr, address) ||
      !instance.write_u32(size_ptr, static_cast<std::uint32_t>(bytes.size()))) {
    return Status::InvalidMemoryAccess;
  }
  return Status::Ok;
}

Result<Value> finish_copy(Result<Status> copied) {
  if (!copied) {
    return copied.error();
  }
  return status(*copied);
}

Result<void> write_u64(Instance& instance, std::uint32_t address, std::uint64_t value) {
  std::array<std::uint8_t, 8> bytes{};
  std::memcpy(bytes.data(), &value, sizeof value);
  return instance.write(address, bytes);
}

std::uint64_t nanoseconds_since_epoch() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

/// The message the guest passes: (pointer, size) read with bounds checks.
std::optional<std::string> read_string(Instance& instance, std::uint32_t address,
                                       std::uint32_t size) {
  auto bytes = instance.read(address, size);
  if (!bytes) {
    return std::nullopt;
  }
  return std::move(*bytes);
}

}  // namespace

/// The part of the host that touches one stream's HTTP messages.
namespace {

/// A header map the guest named, as the running callback may see it.
struct MapView {
  http::HeaderMap* headers = nullptr;
  http::RequestHead* request = nullptr;    // set for request headers (pseudo-headers)
  http::ResponseHead* response = nullptr;  // set for response headers (":status")
  std::string_view scheme;
  bool writable = false;
};

}  // namespace

struct StreamAccess {
  static std::optional<MapView> map(PluginVm& vm, HttpStream* stream, std::uint32_t phase,
                                    std::uint32_t type, Status& why) {
    why = Status::NotFound;
    if (stream == nullptr) {
      return std::nullopt;
    }
    MapView view;
    switch (static_cast<abi::MapType>(type)) {
      case abi::MapType::RequestHeaders:
        if (stream->request_ == nullptr) {
          return std::nullopt;
        }
        view.request = stream->request_;
        view.headers = &stream->request_->headers;
        view.scheme = stream->info_.scheme;
        view.writable = phase == kOnRequestHeaders;
        return view;
      case abi::MapType::ResponseHeaders:
        if (stream->response_ == nullptr) {
          return std::nullopt;
        }
        view.response = stream->response_;
        view.headers = &stream->response_->headers;
        view.writable = phase == kOnResponseHeaders;
        return view;
      case abi::MapType::RequestTrailers:
        if (stream->request_trailers_ == nullptr) {
          return std::nullopt;
        }
        view.headers = stream->request_trailers_;
        view.writable = true;
        return view;
      case abi::MapType::ResponseTrailers:
        if (stream->response_trailers_ == nullptr) {
          return std::nullopt;
        }
        view.headers = stream->response_trailers_;
        view.writable = true;
        return view;
    }
    (void)vm;
    why = type <= 7 ? Status::NotFound : Status::BadArgument;
    return std::nullopt;
  }

  static abi::Pairs pairs(const MapView& view) {
    abi::Pairs out;
    out.reserve(view.headers->size() + 4);
    if (view.request != nullptr) {
      out.emplace_back(":method", view.request->method);
      out.emplace_back(":path", view.request->target);
      out.emplace_back(":authority", std::string(view.headers->get("Host").value_or("")));
      out.emplace_back(":scheme", std::string(view.scheme));
    }
    if (view.response != nullptr) {
      out.emplace_back(":status", std::to_string(view.response->status));
    }
    for (const auto& field : *view.headers) {
      out.emplace_back(field.name, field.value);
    }
    return out;
  }

  static std::optional<std::string> get(const MapView& view, std::string_view key) {
    if (key.starts_with(':')) {
      if (view.request != nullptr) {
        if (key == ":method") return view.request->method;
        if (key == ":path") return view.request->target;
        if (key == ":scheme") return std::string(view.scheme);
        if (key == ":authority") {
          if (auto host = view.headers->get("Host")) return std::string(*host);
        }
      }
      if (view.response != nullptr && key == ":status") {
        return std::to_string(view.response->status);
      }
      return std::nullopt;
    }
    if (!view.headers->contains(key)) {
      return std::nullopt;
    }
    return view.headers->joined(key, ",");
  }

  /// Sets (replace) or adds a field; pseudo-headers map onto the head.
  static Status put(const MapView& view, std::string_view key, std::string_view value,
                    bool replace) {
    if (!view.writable) {
      return Status::BadArgument;
    }
    value = trim_ows(value);
    if (!is_field_value(value)) {
      return Status::BadArgument;
    }
    if (key.starts_with(':')) {
      if (view.request != nullptr) {
        if (key == ":method" && is_token(value)) {
          view.request->method = std::string(value);
          return Status::Ok;
        }
        if (key == ":path" && !value.empty() && value.find(' ') == std::string_view::npos) {
          view.request->target = std::string(value);
          return Status::Ok;
        }
        if (key == ":authority" && !value.empty()) {
          view.headers->set("Host", value);
          return Status::Ok;
        }
      }
      if (view.response != nullptr && key == ":status") {
        auto code = parse_decimal(value);
        if (code && *code >= 200 && *code <= 599) {
          view.response->status = static_cast<int>(*code);
          view.response->reason.clear();
          return Status::Ok;
        }
      }
      return Status::BadArgument;
    }
    if (!is_token(key)) {
      return Status::BadArgument;
    }
    if (replace) {
      view.headers->set(key, value);
    } else {
      view.headers->add(key, value);
    }
    return Status::Ok;
  }

  static Status remove(const MapView& view, std::string_view key) {
    if (!view.writable) {
      return Status::BadArgument;
    }
    if (key.starts_with(':')) {
      return Status::Ok;  // pseudo-headers cannot be removed; nothing to do
    }
    view.headers->remove(key);
    return Status::Ok;
  }

  static Status set_pairs(const MapView& view, const abi::Pairs& pairs) {
    if (!view.writable) {
      return Status::BadArgument;
    }
    // Validate everything first: a half-applied map would be worse than none.
    for (const auto& [key, value] : pairs) {
      if (!is_field_value(trim_ows(value)) || (!key.starts_with(':') && !is_token(key))) {
        return Status::BadArgument;
      }
    }
    http::HeaderMap fresh;
    for (const auto& [key, value] : pairs) {
      if (!key.starts_with(':')) {
        fresh.add(key, trim_ows(value));
      }
    }
    const auto host = view.request != nullptr ? view.headers->get("Host") : std::nullopt;
    std::string kept_host = host ? std::string(*host) : std::string();
    *view.headers = std::move(fresh);
    if (view.request != nullptr && !kept_host.empty() && !view.headers->contains("Host")) {
      view.headers->set("Host", kept_host);
    }
    for (const auto& [key, value] : pairs) {
      if (key.starts_with(':') && key != ":scheme") {
        (void)put(view, key, value, true);
      }
    }
    return Status::Ok;
  }

  static std::string* buffer(PluginVm& vm, HttpStream* stream, std::uint32_t phase,
                             std::uint32_t type, Status& why) {
    why = Status::NotFound;
    switch (static_cast<abi::BufferType>(type)) {
      case abi::BufferType::RequestBody:
        return stream != nullptr && phase == kOnRequestBody ? stream->body_ : nullptr;
      case abi::BufferType::ResponseBody:
        return stream != nullptr && phase == kOnResponseBody ? stream->body_ : nullptr;
      default:
        break;
    }
    (void)vm;
    if (type > 8) {
      why = Status::BadArgument;
    }
    return nullptr;
  }

  static std::optional<std::string> property(PluginVm& vm, HttpStream* stream,
                                             const std::vector<std::string_view>& path) {
    const auto& options = vm.plugin().options();
    auto is = [&](std::initializer_list<std::string_view> want) {
      return std::equal(path.begin(), path.end(), want.begin(), want.end());
    };
    if (is({"plugin_name"})) return options.name;
    if (is({"plugin_root_id"})) return options.root_id;
    if (is({"plugin_vm_id"})) return std::string();
    if (stream == nullptr) {
      return std::nullopt;
    }
    const auto* request = stream->request_;
    if (request != nullptr) {
      if (is({"request", "path"})) return request->target;
      if (is({"request", "url_path"})) return request->target.substr(0, request->target.find('?'));
      if (is({"request", "query"})) {
        const auto query = request->target.find('?');
        return query == std::string::npos ? std::string() : request->target.substr(query + 1);
      }
      if (is({"request", "method"})) return request->method;
      if (is({"request", "host"})) return std::string(request->headers.get("Host").value_or(""));
      if (is({"request", "user_agent"})) {
        return std::string(request->headers.get("User-Agent").value_or(""));
      }
      if (path.size() == 3 && path[0] == "request" && path[1] == "headers") {
        if (auto value = request->headers.get(path[2])) return std::string(*value);
        return std::nullopt;
      }
    }
    if (is({"request", "scheme"})) return stream->info_.scheme;
    if (is({"request", "protocol"})) return stream->info_.protocol;
    if (is({"request", "id"})) return std::to_string(stream->info_.request_id);
    if (is({"source", "address"})) return stream->info_.client_address;
    if (is({"river", "service"})) return stream->info_.service;
    if (is({"upstream", "address"}) && !stream->upstream_address_.empty()) {
      return stream->upstream_address_;
    }
    if (is({"response", "code"}) && stream->response_ != nullptr) {
      // Integers are 8 bytes, little-endian, as other proxy-wasm hosts serialise them.
      std::string bytes(8, '\0');
      const auto code = static_cast<std::int64_t>(stream->response_->status);
      std::memcpy(bytes.data(), &code, sizeof code);
      return bytes;
    }
    return std::nullopt;
  }
};

std::vector<HostFunction> PluginVm::Host::functions(PluginVm& vm) {
  std::vector<HostFunction> out;
  PluginVm* self = &vm;
  auto add = [&](std::string module, std::string name, std::size_t arity, auto body) {
    out.push_back(HostFunction{
        std::move(module), name,
        [self, body, arity, name](Instance& instance,
                                  std::span<const Value> args) -> Result<Value> {
          if (args.size() < arity) {
            return trap(fmt::format("{} takes {} arguments, the module passes {}", name, arity,
                                    args.size()));
          }
          return body(*self, instance, args);
        }});
  };
  auto arg = [](std::span<const Value> args, std::size_t i) { return args[i].as_u32(); };

  // Logging.
  add("env", "proxy_log", 3, [arg](PluginVm& vm, Instance& instance, std::span<const Value> a)
                                 -> Result<Value> {
    const auto level = arg(a, 0);
    if (level > static_cast<std::uint32_t>(abi::LogLevel::Critical)) {
      return status(Status::BadArgument);
    }
    const auto size = std::min<std::uint32_t>(arg(a, 2), kMaxLogBytes);
    auto message = read_string(instance, arg(a, 1), size);
    if (!message) {
      return status(Status::InvalidMemoryAccess);
    }
    static constexpr std::array<spdlog::level::level_enum, 6> kLevels = {
        spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
        spdlog::level::warn,  spdlog::level::err,   spdlog::level::critical};
    plugin_log().log(kLevels[level], "plugin log plugin={} message={}", vm.plugin().options().name,
                     escape_for_log(*message, kMaxLogBytes));
    return status(Status::Ok);
  });
  add("env", "proxy_get_log_level", 1,
      [arg](PluginVm&, Instance& instance, std::span<const Value> a) -> Result<Value> {
        const auto level = static_cast<std::uint32_t>(
            std::min<int>(static_cast<int>(plugin_log().level()), 5));
        if (!instance.write_u32(arg(a, 0), level)) {
          return status(Status::InvalidMemoryAccess);
        }
        return status(Status::Ok);
      });

  // Time.
  add("env", "proxy_get_current_time_nanoseconds", 1,
      [arg](PluginVm&, Instance& instance, std::span<const Value> a) -> Result<Value> {
        if (!write_u64(instance, arg(a, 0), nanoseconds_since_epoch())) {
          return status(Status::InvalidMemoryAccess);
        }
        return status(Status::Ok);
      });
  add("env", "proxy_set_tick_period_milliseconds", 1,
      [arg](PluginVm&, Instance&, std::span<const Value> a) -> Result<Value> {
        // TODO(#4): timers (proxy_on_tick) are not implemented; turning them off is a no-op.
        return status(arg(a, 0) == 0 ? Status::Ok : Status::Unimplemented);
      });

  // Contexts.
  add("env", "proxy_done", 0, [](PluginVm&, Instance&, std::span<const Value>) -> Result<Value> {
    return status(Status::NotFound);  // River never leaves a context pending finalisation
  });
  add("env", "proxy_set_effective_context", 1,
      [arg](PluginVm& vm, Instance&, std::span<const Value> a) -> Result<Value> {
        const auto id = arg(a, 0);
        const bool known = id == vm.root_context_id_ ||
                           (vm.current_ != nullptr && id == vm.current_->context_id_);
        return status(known ? Status::Ok : Status::BadArgument);
      });

  // Buffers.
  add("env", "proxy_get_buffer_bytes", 5,
      [arg](PluginVm& vm, Instance& instance, std::span<const Value> a) -> Result<Value> {
        const auto type = arg(a, 0);
        std::string_view bytes;
        if (type == static_cast<std::uint32_t>(abi::BufferType::PluginConfiguration)) {
          bytes = vm.plugin().options().configuration;
        } else if (type == static_cast<std::uint32_t>(abi::BufferType::VmConfiguration)) {
          bytes = {};
        } else {
          Status why = Status::NotFound;
          auto* body = StreamAccess::buffer(vm, vm.current_, vm.phase_, type, why);
          if (body == nullptr) {
            return status(why);
          }
          bytes = *body;
        }
        const std::uint64_t start = arg(a, 1);
        const std::uint64_t max_size = arg(a, 2);
        if (start > bytes.size()) {
          return status(Status::BadArgument);
        }
        const auto slice = bytes.substr(static_cast<std::size_t>(start),
                                        static_cast<std::size_t>(max_size));
        return finish_copy(copy_out(instance, slice, arg(a, 3), arg(a, 4)));
      });
  add("env", "proxy_get_buffer_status", 3,
      [arg](PluginVm& vm, Instance& instance, std::span<const Value> a) -> Result<Value> {
        const auto type = arg(a, 0);
        std::size_t size = 0;
        if (type == static_cast<std::uint32_t>(abi::BufferType::PluginConfiguration)) {
          size = vm.plugin().options().configuration.size();
        } else if (type != static_cast<std::uint32_t>(abi::BufferType::VmConfiguration)) {
          Status why = Status::NotFound;
          auto* body = StreamAccess::buffer(vm, vm.current_, vm.phase_, type, why);
          if (body == nullptr) {
            return status(why);
          }
          size = body->size();
        }
        if (!instance.write_u32(arg(a, 1), static_cast<std::uint32_t>(size)) ||
            !instance.write_u32(arg(a, 2), 0)) {
          return status(Status::InvalidMemoryAccess);
        }
        return status(Status::Ok);
      });
  add("env", "proxy_set_buffer_bytes", 5,
      [arg](PluginVm& vm, Instance& instance, std::span<const Value> a) -> Result<Value> {
        Status why = Status::NotFound;
        auto* body = StreamAccess::buffer(vm, vm.current_, vm.phase_, arg(a, 0), why);
        if (body == nullptr) {
          return status(arg(a, 0) == 6 || arg(a, 0) == 7 ? Status::BadArgument : why);
        }
        auto value = read_string(instance, arg(a, 3), arg(a, 4));
        if (!value) {
          return status(Status::InvalidMemoryAccess);
        }
        const std::uint64_t start = arg(a, 1);
        const std::uint64_t size = arg(a, 2);
        // start past the end appends; otherwise `size` bytes at `start` are replaced.
        const auto at = static_cast<std::size_t>(std::min<std::uint64_t>(start, body->size()));
        const auto count =
            static_cast<std::size_t>(std::min<std::uint64_t>(size, body->size() - at));
        if (body->size() - count + value->size() > vm.plugin().options().max_body_bytes) {
          return status(Status::BadArgument);
        }
        body->replace(at, count, *value);
        return status(Status::Ok);
      });

  // Header maps.
  add("env", "proxy_get_header_map_value", 5,
      [arg](PluginVm& vm, Instance& instance, std::span<const Value> a) -> Result<Value> {
        Status why;
        auto view = StreamAccess::map(vm, vm.current_, vm.phase_, arg(a, 0), why);
        if (!view) {
          return status(why);
        }
        auto key = read_string(instance, arg(a, 1), arg(a, 2));
        if (!key) {
          return status(Status::InvalidMemoryAccess);
        }
        auto value = StreamAccess::get(*view, *key);
        if (!value) {
          return status(Status::NotFound);
        }
        return finish_copy(copy_out(instance, *value, arg(a, 3), arg(a, 4)));
      });
  add("env", "proxy_get_header_map_pairs", 3,
      [arg](PluginVm& vm, Instance& instance, std::span<const Value> a) -> Result<Value> {
        Status why;
        auto view = StreamAccess::map(vm, vm.current_, vm.phase_, arg(a, 0), why);
        if (!view) {
          return status(why);
        }
        const auto pairs = abi::encode_pairs(StreamAccess::pairs(*view));
        return finish_copy(copy_out(instance, pairs, arg(a, 1), arg(a, 2)));
      });
  add("env", "proxy_get_header_map_size", 2,
      [arg](PluginVm& vm, Instance& instance, std::span<const Value> a) -> Result<Value> {
        Status why;
        auto view = StreamAccess::map(vm, vm.current_, vm.phase_, arg(a, 0), why);
        if (!view) {
          return status(why);
        }
        const auto size = abi::encode_pairs(StreamAccess::pairs(*view)).size();
        if (!instance.write_u32(arg(a, 1), static_cast<std::uint32_t>(size))) {
          return status(Status::InvalidMemoryAccess);
        }
        return status(Status::Ok);
      });
  add("env", "proxy_set_header_map_pairs", 3,
      [arg](PluginVm& vm, Instance& instance, std::span<const Value> a) -> Result<Value> {
        Status why;
        auto view = StreamAccess::map(vm, vm.current_, vm.phase_, arg(a, 0), why);
        if (!view) {
          return status(why);
        }
        auto bytes = read_string(instance, arg(a, 1), arg(a, 2));
        if (!bytes) {
          return status(Status::InvalidMemoryAccess);
        }
        auto pairs = abi::decode_pairs(*bytes);
        if (!pairs) {
          return status(Status::BadArgument);
        }
        return status(StreamAccess::set_pairs(*view, *pairs));
      });
  for (const bool replace : {false, true}) {
    add("env", replace ? "proxy_replace_header_map_value" : "proxy_add_header_map_value", 5,
        [arg, replace](PluginVm& vm, Instance& instance, std::span<const Value> a)
            -> Result<Value> {
          Status why;
          auto view = StreamAccess::map(vm, vm.current_, vm.phase_, arg(a, 0), why);
          if (!view) {
            return status(why);
          }
          auto key = read_string(instance, arg(a, 1), arg(a, 2));
          auto value = read_string(instance, arg(a, 3), arg(a, 4));
          if (!key || !value) {
            return status(Status::InvalidMemoryAccess);
          }
          return status(StreamAccess::put(*view, *key, *value, replace));
        });
  }
  add("env", "proxy_remove_header_map_value", 3,
      [arg](PluginVm& vm, Instance& instance, std::span<const Value> a) -> Result<Value> {
        Status why;
        auto view = StreamAccess::map(vm, vm.current_, vm.phase_, arg(a, 0), why);
        if (!view) {
          return status(why);
        }
        auto key = read_string(instance, arg(a, 1), arg(a, 2));
        if (!key) {
          return status(Status::InvalidMemoryAccess);
        }
        return status(StreamAccess::remove(*view, *key));
      });

  // Streams.
  add("env", "proxy_continue_stream", 1,
      [arg](PluginVm&, Instance&, std::span<const Value> a) -> Result<Value> {
        // Nothing is ever left paused past a callback (see HttpStream::run), so continuing
        // a request or response is always fine.
        return status(arg(a, 0) <= 1 ? Status::Ok : Status::BadArgument);
      });
  add("env", "proxy_close_stream", 1,
      [arg](PluginVm& vm, Instance&, std::span<const Value> a) -> Result<Value> {
        if (arg(a, 0) > 1) {
          return status(Status::BadArgument);
        }
        if (vm.current_ == nullptr) {
          return status(Status::NotFound);
        }
        vm.current_->close_requested_ = true;
        return status(Status::Ok);
      });
  add("env", "proxy_send_local_response", 8,
      [arg](PluginVm& vm, Instance& instance, std::span<const Value> a) -> Result<Value> {
        HttpStream* stream = vm.current_;
        // Only while the response head can still be chosen.
        const auto allowed = kOnRequestHeaders | kOnRequestBody | kOnRequestTrailers |
                             kOnResponseHeaders;
        if (stream == nullptr || (vm.phase_ & allowed) == 0) {
          return status(Status::BadArgument);
        }
        const auto code = arg(a, 0);
        auto details = read_string(instance, arg(a, 1), arg(a, 2));
        auto body = read_string(instance, arg(a, 3), arg(a, 4));
        auto headers = read_string(instance, arg(a, 5), arg(a, 6));
        if (!details || !body || !headers) {
          return status(Status::InvalidMemoryAccess);
        }
        auto pairs = abi::decode_pairs(*headers);
        const auto limit = vm.plugin().options().max_body_bytes;
        if (code < 200 || code > 599 || !pairs || body->size() > limit) {
          return status(Status::BadArgument);
        }
        for (auto& [key, value] : *pairs) {
          value = std::string(trim_ows(value));
          if (!is_token(key) || !is_field_value(value)) {
            return status(Status::BadArgument);
          }
        }
        stream->local_response_ = LocalResponse{static_cast<int>(code), std::move(*details),
                                                std::move(*body), std::move(*pairs)};
        stream->has_local_response_ = true;
        return status(Status::Ok);
      });

  // Properties.
  add("env", "proxy_get_property", 4,
      [arg](PluginVm& vm, Instance& instance, std::span<const Value> a) -> Result<Value> {
        auto path = read_string(instance, arg(a, 0), arg(a, 1));
        if (!path) {
          return status(Status::InvalidMemoryAccess);
        }
        auto value = StreamAccess::property(vm, vm.current_, abi::split_property_path(*path));
        if (!value) {
          return status(Status::NotFound);
        }
        return finish_copy(copy_out(instance, *value, arg(a, 2), arg(a, 3)));
      });

  // Shared data.
  add("env", "proxy_get_shared_data", 5,
      [arg](PluginVm&, Instance& instance, std::span<const Value> a) -> Result<Value> {
        auto key = read_string(instance, arg(a, 0), arg(a, 1));
        if (!key) {
          return status(Status::InvalidMemoryAccess);
        }
        auto entry = SharedData::instance().get(*key);
        if (!entry) {
          return status(Status::NotFound);
        }
        auto copied = copy_out(instance, entry->value, arg(a, 2), arg(a, 3));
        if (!copied || *copied != Status::Ok) {
          return finish_copy(copied);
        }
        if (!instance.write_u32(arg(a, 4), entry->cas)) {
          return status(Status::InvalidMemoryAccess);
        }
        return status(Status::Ok);
      });
  add("env", "proxy_set_shared_data", 5,
      [arg](PluginVm&, Instance& instance, std::span<const Value> a) -> Result<Value> {
        auto key = read_string(instance, arg(a, 0), arg(a, 1));
        auto value = read_string(instance, arg(a, 2), arg(a, 3));
        if (!key || !value) {
          return status(Status::InvalidMemoryAccess);
        }
        return status(SharedData::instance().set(*key, *value, arg(a, 4)));
      });

  // Metrics.
  add("env", "proxy_define_metric", 4,
      [arg](PluginVm&, Instance& instance, std::span<const Value> a) -> Result<Value> {
        auto name = read_string(instance, arg(a, 1), arg(a, 2));
        if (!name) {
          return status(Status::InvalidMemoryAccess);
        }
        std::uint32_t id = 0;
        const auto defined =
            PluginMetrics::instance().define(static_cast<abi::MetricType>(arg(a, 0)), *name, id);
        if (defined != Status::Ok) {
          return status(defined);
        }
        if (!instance.write_u32(arg(a, 3), id)) {
          return status(Status::InvalidMemoryAccess);
        }
        return status(Status::Ok);
      });
  add("env", "proxy_increment_metric", 2,
      [arg](PluginVm&, Instance&, std::span<const Value> a) -> Result<Value> {
        return status(PluginMetrics::instance().increment(arg(a, 0), a[1].as_i64()));
      });
  add("env", "proxy_record_metric", 2,
      [arg](PluginVm&, Instance&, std::span<const Value> a) -> Result<Value> {
        return status(PluginMetrics::instance().record(
            arg(a, 0), static_cast<std::uint64_t>(a[1].as_i64())));
      });
  add("env", "proxy_get_metric", 2,
      [arg](PluginVm&, Instance& instance, std::span<const Value> a) -> Result<Value> {
        std::uint64_t value = 0;
        const auto got = PluginMetrics::instance().get(arg(a, 0), value);
        if (got != Status::Ok) {
          return status(got);
        }
        if (!write_u64(instance, arg(a, 1), value)) {
          return status(Status::InvalidMemoryAccess);
        }
        return status(Status::Ok);
      });

  // WASI, under both module names wasi-libc and older AssemblyScript use.
  for (const char* wasi : {"wasi_snapshot_preview1", "wasi_unstable"}) {
    add(wasi, "fd_write", 4,
        [arg](PluginVm& vm, Instance& instance, std::span<const Value> a) -> Result<Value> {
          const auto fd = arg(a, 0);
          if (fd != 1 && fd != 2) {
            return wasi_errno(abi::wasi::kBadf);
          }
          std::string text;
          std::uint64_t written = 0;
          for (std::uint32_t i = 0; i < arg(a, 2); ++i) {
            const std::uint64_t entry = std::uint64_t{arg(a, 1)} + std::uint64_t{i} * 8;
            if (entry > UINT32_MAX - 8) {
              return wasi_errno(abi::wasi::kFault);
            }
            auto base = instance.read_u32(static_cast<std::uint32_t>(entry));
            auto size = instance.read_u32(static_cast<std::uint32_t>(entry + 4));
            if (!base || !size) {
              return wasi_errno(abi::wasi::kFault);
            }
            auto bytes = instance.read(*base, *size);
            if (!bytes) {
              return wasi_errno(abi::wasi::kFault);
            }
            written += *size;
            if (text.size() < kMaxLogBytes) {
              text += bytes->substr(0, kMaxLogBytes - text.size());
            }
          }
          while (!text.empty() && text.back() == '\n') {
            text.pop_back();
          }
          if (!text.empty()) {
            plugin_log().log(fd == 1 ? spdlog::level::info : spdlog::level::err,
                             "plugin output plugin={} fd={} message={}",
                             vm.plugin().options().name, fd, escape_for_log(text, kMaxLogBytes));
          }
          if (!instance.write_u32(arg(a, 3), static_cast<std::uint32_t>(written))) {
            return wasi_errno(abi::wasi::kFault);
          }
          return wasi_errno(abi::wasi::kSuccess);
        });
    add(wasi, "fd_fdstat_get", 2,
        [arg](PluginVm&, Instance& instance, std::span<const Value> a) -> Result<Value> {
          if (arg(a, 0) != 1 && arg(a, 0) != 2) {
            return wasi_errno(abi::wasi::kBadf);
          }
          // fdstat: filetype u8 (2: character device), flags u16, rights base and inherited
          // u64; stdout and stderr may only be written.
          std::array<std::uint8_t, 24> stat{};
          stat[0] = 2;
          stat[8] = 1 << 6;  // __WASI_RIGHTS_FD_WRITE
          if (!instance.write(arg(a, 1), stat)) {
            return wasi_errno(abi::wasi::kFault);
          }
          return wasi_errno(abi::wasi::kSuccess);
        });
    add(wasi, "clock_time_get", 3,
        [arg](PluginVm&, Instance& instance, std::span<const Value> a) -> Result<Value> {
          std::uint64_t now = 0;
          if (arg(a, 0) == 0) {
            now = nanoseconds_since_epoch();
          } else if (arg(a, 0) == 1) {
            const auto since_boot = std::chrono::steady_clock::now().time_since_epoch();
            now = static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(since_boot).count());
          } else {
            return wasi_errno(abi::wasi::kNotsup);
          }
          if (!write_u64(instance, arg(a, 2), now)) {
            return wasi_errno(abi::wasi::kFault);
          }
          return wasi_errno(abi::wasi::kSuccess);
        });
    add(wasi, "random_get", 2,
        [arg](PluginVm&, Instance& instance, std::span<const Value> a) -> Result<Value> {
          const auto size = arg(a, 1);
          if (size > kMaxRandomBytes) {
            return wasi_errno(abi::wasi::kInval);
          }
          std::string bytes(size, '\0');
          std::size_t filled = 0;
          while (filled < bytes.size()) {
            const auto n = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
            if (n <= 0) {
              return wasi_errno(abi::wasi::kInval);
            }
            filled += static_cast<std::size_t>(n);
          }
          if (!instance.write(arg(a, 0), bytes)) {
            return wasi_errno(abi::wasi::kFault);
          }
          return wasi_errno(abi::wasi::kSuccess);
        });
    // No environment and no arguments: plugins are configured through the ABI.
    for (const char* sizes : {"environ_sizes_get", "args_sizes_get"}) {
      add(wasi, sizes, 2,
          [arg](PluginVm&, Instance& instance, std::span<const Value> a) -> Result<Value> {
            if (!instance.write_u32(arg(a, 0), 0) || !instance.write_u32(arg(a, 1), 0)) {
              return wasi_errno(abi::wasi::kFault);
            }
            return wasi_errno(abi::wasi::kSuccess);
          });
    }
    for (const char* get : {"environ_get", "args_get"}) {
      add(wasi, get, 2, [](PluginVm&, Instance&, std::span<const Value>) -> Result<Value> {
        return wasi_errno(abi::wasi::kSuccess);
      });
    }
    add(wasi, "proc_exit", 1,
        [arg](PluginVm&, Instance&, std::span<const Value> a) -> Result<Value> {
          // The instance cannot go on after exit: fail the call like a trap.
          return trap(fmt::format("the plugin called proc_exit({})", arg(a, 0)));
        });
    add(wasi, "sched_yield", 0, [](PluginVm&, Instance&, std::span<const Value>) -> Result<Value> {
      return wasi_errno(abi::wasi::kSuccess);
    });
  }

  // Anything else the module imports from the ABI (HTTP and gRPC calls, queues, foreign
  // functions, ...) answers UNIMPLEMENTED; other WASI calls (files, sockets) answer ENOSYS.
  for (const auto& item : vm.plugin().module()->imports()) {
    const bool offered = std::any_of(out.begin(), out.end(), [&](const HostFunction& f) {
      return f.module == item.module && f.name == item.name;
    });
    if (offered || item.kind != "function" || !abi::is_abi_function(item.module, item.name)) {
      continue;
    }
    const bool is_wasi = abi::is_wasi_module(item.module);
    add(item.module, item.name, 0,
        [is_wasi](PluginVm&, Instance&, std::span<const Value>) -> Result<Value> {
          return is_wasi ? wasi_errno(abi::wasi::kNosys) : status(Status::Unimplemented);
        });
  }
  return out;
}

}  // namespace river::wasm
