// The proxy-wasm host: runs plugins written against the proxy-wasm ABI 0.2.1 on the engine.
//
// Three layers, from the longest-lived:
//
//   - `Plugin`: one `[[plugin]]` of the configuration, loaded and checked once per process
//     (its module compiled, its imports and exports checked against the ABI). Immutable,
//     shared by every worker.
//   - `PluginVm`: one worker's running instance of a plugin, with its root context started
//     (`_initialize`, `proxy_on_context_create` for the root, `proxy_on_vm_start`,
//     `proxy_on_configure` with the plugin's configuration). `PluginVm::for_this_thread`
//     creates it lazily on the worker and recreates it after a fault.
//   - `HttpStream`: one request's context in a `PluginVm`: the request and response
//     callbacks, then `proxy_on_log`, `proxy_on_done`, `proxy_on_delete`.
//
// While a callback runs, the host functions (host_functions.cc) see the request head,
// response head, trailers or body the callback is about, through pointers the stream sets
// for the duration of the call; everything the guest passes (pointers, sizes, serialised
// maps) is checked through the engine's bounds-checked accessors and validated before it
// touches an HTTP message.
//
// Faults: a trap, a CPU-budget overrun or a failed host call fails the stream's callback.
// The stream then fails closed (`Outcome::Failed`) or, when the plugin is `fail_open`,
// passes the rest of the request through without the plugin. Either way the worker's
// instance is marked broken, logged, and replaced before the next request.
//
// Threads: `Plugin` is thread-safe; a `PluginVm` and its streams belong to the worker
// thread that created them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "http/message.h"
#include "wasm/abi.h"
#include "wasm/engine.h"

namespace river::wasm {

/// What a `[[plugin]]` table sets; see docs/configuration.md.
struct PluginOptions {
  /// Names the plugin in services, logs and the `plugin_name` property.
  std::string name;
  /// The `plugin_root_id` property, which SDKs use to pick the root context.
  std::string root_id;
  /// Handed to `proxy_on_configure` as the PLUGIN_CONFIGURATION buffer.
  std::string configuration;
  std::size_t max_memory_bytes = std::size_t{64} << 20;
  std::chrono::microseconds cpu_budget{50'000};
  /// On a fault, pass the request on without the plugin instead of answering 500.
  bool fail_open = false;
  /// Most body bytes held for the plugin while it pauses a body.
  std::size_t max_body_bytes = std::size_t{1} << 20;
};

/// The stream callbacks a module may export, as bits of `Plugin::callbacks()`.
enum Callback : std::uint32_t {
  kOnRequestHeaders = 1u << 0,
  kOnRequestBody = 1u << 1,
  kOnRequestTrailers = 1u << 2,
  kOnResponseHeaders = 1u << 3,
  kOnResponseBody = 1u << 4,
  kOnResponseTrailers = 1u << 5,
  kOnLog = 1u << 6,
  kOnDone = 1u << 7,
  kOnDelete = 1u << 8,
  kOnContextCreate = 1u << 9,
};

/// A plugin loaded from its .wasm bytes. Immutable; shared by every worker.
class Plugin {
 public:
  /// Compiles `wasm` and checks it against the ABI: memory exported as `memory`, an
  /// allocator (`proxy_on_memory_allocate` or `malloc`), the `proxy_abi_version_0_2_1` (or
  /// `_0_2_0`) marker, and only imports the host knows. Errors: `Config`, naming what is
  /// wrong.
  static Result<std::shared_ptr<const Plugin>> load(PluginOptions options,
                                                    std::span<const std::uint8_t> wasm);

  /// Reads the file at `path` (at most 64 MiB) and loads it.
  static Result<std::shared_ptr<const Plugin>> load_file(PluginOptions options,
                                                         const std::string& path);

  const PluginOptions& options() const { return options_; }
  const std::shared_ptr<const Module>& module() const { return module_; }
  /// Which stream callbacks the module exports (`Callback` bits).
  std::uint32_t callbacks() const { return callbacks_; }
  bool exports(Callback callback) const { return (callbacks_ & callback) != 0; }
  /// Unique per loaded plugin in this process; keys the per-worker instances.
  std::uint64_t id() const { return id_; }

  Plugin(PluginOptions options, std::shared_ptr<const Module> module, std::uint32_t callbacks);

 private:
  PluginOptions options_;
  std::shared_ptr<const Module> module_;
  std::uint32_t callbacks_ = 0;
  std::uint64_t id_ = 0;
};

/// Facts about the request that the plugin reads as properties.
struct StreamInfo {
  std::string client_address;  ///< "127.0.0.1"
  std::string scheme;          ///< "http" or "https"
  std::string protocol;        ///< "HTTP/1.1"
  std::string service;         ///< the service's name
  std::uint64_t request_id = 0;
};

/// A response the plugin asked the host to send instead of the upstream's.
struct LocalResponse {
  int status = 200;
  std::string details;
  std::string body;
  abi::Pairs headers;  ///< validated names and values
};

class HttpStream;
struct StreamAccess;  // host_functions.cc

/// One worker's instance of a plugin, with its root context started.
class PluginVm {
 public:
  /// Instantiates `plugin` on the calling thread and starts its root context. Errors: the
  /// engine's (`Config`, `PluginTrap`, `PluginTimeout`), or `Config` when
  /// `proxy_on_vm_start` or `proxy_on_configure` returns false.
  static Result<std::shared_ptr<PluginVm>> create(std::shared_ptr<const Plugin> plugin);

  /// The calling worker's instance of `plugin`, created on first use and recreated after a
  /// fault broke the previous one. Errors as `create`.
  static Result<std::shared_ptr<PluginVm>> for_this_thread(
      const std::shared_ptr<const Plugin>& plugin);

  ~PluginVm();
  PluginVm(const PluginVm&) = delete;
  PluginVm& operator=(const PluginVm&) = delete;

  const Plugin& plugin() const { return *plugin_; }
  /// True once a fault left the instance unusable; streams still holding it skip it.
  bool is_broken() const { return broken_; }

  /// The engine instance, for tests that call a module's own test exports.
  Instance& instance_for_testing() { return *instance_; }

  /// The host functions (host_functions.cc).
  struct Host {
    static std::vector<HostFunction> functions(PluginVm& vm);
  };

  /// Only create() can make one: the key's constructor is private to this class.
  class ConstructionKey {
    friend class PluginVm;
    ConstructionKey() = default;
  };
  PluginVm(ConstructionKey, std::shared_ptr<const Plugin> plugin);

 private:
  Result<void> start();
  /// Calls export `name` and returns its i32 result (0 when it has none). A failure marks
  /// the instance broken.
  Result<std::uint32_t> call(std::string_view name, std::initializer_list<Value> args);

  friend class HttpStream;
  friend struct StreamAccess;
  std::shared_ptr<const Plugin> plugin_;
  std::unique_ptr<Instance> instance_;
  std::uint32_t root_context_id_ = 1;
  std::uint32_t next_context_id_ = 2;
  bool broken_ = false;
  /// The stream whose callback runs now, or nullptr in root-context callbacks.
  HttpStream* current_ = nullptr;
  /// The callback running now (`Callback` bit), or 0 in root-context callbacks.
  std::uint32_t phase_ = 0;
};

/// One request's context in a plugin instance.
class HttpStream {
 public:
  enum class Outcome {
    Continue,  ///< go on (the message may have been modified)
    Pause,     ///< body callbacks: hold the body and call again with more
    Respond,   ///< send `local_response()` instead
    Failed,    ///< the plugin faulted (fail closed) or closed the stream: fail the request
  };

  /// Creates the stream's context (`proxy_on_context_create`). A fault here is reported by
  /// the first callback.
  HttpStream(std::shared_ptr<PluginVm> vm, StreamInfo info);
  /// Calls finish() if it was not called (without the request head, which may be gone).
  ~HttpStream();
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;

  /// `head` must stay alive until finish(): later callbacks and proxy_on_log read it.
  Outcome on_request_headers(http::RequestHead& head, bool end_of_stream);
  Outcome on_request_body(std::string& body, bool end_of_stream);
  Outcome on_request_trailers(http::HeaderMap& trailers);
  Outcome on_response_headers(http::ResponseHead& head, bool end_of_stream);
  Outcome on_response_body(std::string& body, bool end_of_stream);
  Outcome on_response_trailers(http::HeaderMap& trailers);
  /// Tells the plugin the upstream peer ("10.0.0.7:80"), for the `upstream.address` property.
  void set_upstream_address(std::string address) { upstream_address_ = std::move(address); }
  /// `proxy_on_log`, `proxy_on_done`, `proxy_on_delete`; the heads seen last stay readable.
  void finish();

  const LocalResponse& local_response() const { return local_response_; }
  /// Why the stream failed, for logs and the access log.
  const std::string& failure() const { return failure_; }

  /// Whether the plugin sees bodies; when not, the proxy streams them past it untouched.
  bool observes_request_body() const;
  bool observes_response_body() const;

  friend struct PluginVm::Host;
  friend struct StreamAccess;

 private:
  Outcome run(Callback phase, std::string_view name, std::initializer_list<Value> args,
              bool body);
  bool active() const;

  std::shared_ptr<PluginVm> vm_;
  StreamInfo info_;
  std::uint32_t context_id_ = 0;
  bool created_ = false;
  bool finished_ = false;
  bool disabled_ = false;  ///< failed open: the rest of the request passes the plugin by
  std::string failure_;
  std::string upstream_address_;
  // What the running callback may see. The request head stays readable until finish();
  // the rest is set only while its callback runs (the caller's objects may go away after
  // it), and proxy_on_log reads a copy of the response head, kept if it exports that.
  http::RequestHead* request_ = nullptr;
  http::ResponseHead* response_ = nullptr;
  http::HeaderMap* request_trailers_ = nullptr;
  http::HeaderMap* response_trailers_ = nullptr;
  std::string* body_ = nullptr;
  std::optional<http::ResponseHead> logged_response_;
  bool has_local_response_ = false;
  bool close_requested_ = false;
  LocalResponse local_response_;
};

}  // namespace river::wasm
