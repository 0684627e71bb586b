#include "wasm/plugin.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <map>
#include <system_error>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "observe/log.h"

namespace river::wasm {
namespace {

constexpr std::size_t kMaxWasmFileBytes = std::size_t{64} << 20;

spdlog::logger& module_log() {
  static auto& instance = observe::logger("wasm");
  return instance;
}

Error config_error(std::string context) {
  return Error{ErrorKind::Config, Side::Config, false, std::move(context)};
}

std::atomic<std::uint64_t> next_plugin_id{1};

struct CallbackExport {
  Callback bit;
  std::string_view name;
};
constexpr std::array<CallbackExport, 10> kCallbackExports = {{
    {kOnRequestHeaders, "proxy_on_request_headers"},
    {kOnRequestBody, "proxy_on_request_body"},
    {kOnRequestTrailers, "proxy_on_request_trailers"},
    {kOnResponseHeaders, "proxy_on_response_headers"},
    {kOnResponseBody, "proxy_on_response_body"},
    {kOnResponseTrailers, "proxy_on_response_trailers"},
    {kOnLog, "proxy_on_log"},
    {kOnDone, "proxy_on_done"},
    {kOnDelete, "proxy_on_delete"},
    {kOnContextCreate, "proxy_on_context_create"},
}};

}  // namespace

Plugin::Plugin(PluginOptions options, std::shared_ptr<const Module> module,
               std::uint32_t callbacks)
    : options_(std::move(options)),
      module_(std::move(module)),
      callbacks_(callbacks),
      id_(next_plugin_id.fetch_add(1)) {}

Result<std::shared_ptr<const Plugin>> Plugin::load(PluginOptions options,
                                                   std::span<const std::uint8_t> wasm) {
  auto module = Module::compile(wasm, {.max_memory_bytes = options.max_memory_bytes});
  if (!module) {
    return module.error();
  }
  const Module& compiled = **module;

  for (const auto& item : compiled.imports()) {
    if (item.kind != "function") {
      return config_error("the module imports " + item.kind + " " + item.module + "." +
                          item.name + "; a plugin may import only functions");
    }
    if (!abi::is_abi_function(item.module, item.name)) {
      return config_error("the module imports " + item.module + "." + item.name +
                          ", which is not a proxy-wasm 0.2.1 host function");
    }
  }
  const bool has_memory = std::any_of(
      compiled.exports().begin(), compiled.exports().end(),
      [](const ModuleItem& item) { return item.kind == "memory" && item.name == "memory"; });
  if (!has_memory) {
    return config_error("the module does not export its memory as \"memory\"");
  }
  if (!compiled.exports_function("proxy_on_memory_allocate") &&
      !compiled.exports_function("malloc")) {
    return config_error("the module exports neither proxy_on_memory_allocate nor malloc");
  }
  if (!compiled.exports_function("proxy_abi_version_0_2_1") &&
      !compiled.exports_function("proxy_abi_version_0_2_0")) {
    return config_error(
        "the module does not export proxy_abi_version_0_2_1 (nor _0_2_0): not a proxy-wasm "
        "0.2 plugin");
  }

  std::uint32_t callbacks = 0;
  for (const auto& entry : kCallbackExports) {
    if (compiled.exports_function(entry.name)) {
      callbacks |= entry.bit;
    }
  }
  return std::make_shared<const Plugin>(std::move(options), std::move(*module), callbacks);
}

Result<std::shared_ptr<const Plugin>> Plugin::load_file(PluginOptions options,
                                                        const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return config_error("cannot open " + path + ": " + std::generic_category().message(errno));
  }
  std::vector<std::uint8_t> bytes;
  std::array<std::uint8_t, 64 * 1024> chunk{};
  while (true) {
    const ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return config_error("cannot read " + path + ": " + std::generic_category().message(errno));
    }
    if (n == 0) {
      break;
    }
    if (bytes.size() + static_cast<std::size_t>(n) > kMaxWasmFileBytes) {
      return config_error(path + ": larger than 64 MiB");
    }
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + n);
  }
  auto plugin = load(std::move(options), bytes);
  if (!plugin) {
    return config_error(path + ": " + plugin.error().context);
  }
  return plugin;
}

// --- PluginVm -----------------------------------------------------------------------------

PluginVm::PluginVm(ConstructionKey, std::shared_ptr<const Plugin> plugin)
    : plugin_(std::move(plugin)) {}

PluginVm::~PluginVm() = default;

Result<std::shared_ptr<PluginVm>> PluginVm::create(std::shared_ptr<const Plugin> plugin) {
  auto vm = std::make_shared<PluginVm>(ConstructionKey{}, std::move(plugin));
  auto instance = Instance::create(vm->plugin_->module(), Host::functions(*vm),
                                   {.cpu_budget = vm->plugin_->options().cpu_budget});
  if (!instance) {
    return instance.error();
  }
  vm->instance_ = std::move(*instance);
  if (auto started = vm->start(); !started) {
    return started.error();
  }
  return vm;
}

Result<void> PluginVm::start() {
  const auto& module = *plugin_->module();
  // ABI: `_initialize` (then `main`, if exported) for reactors, else `_start`.
  if (module.exports_function("_initialize")) {
    if (auto done = call("_initialize", {}); !done) {
      return done.error();
    }
    if (module.exports_function("main")) {
      if (auto done = call("main", {Value::i32(0), Value::i32(0)}); !done) {
        return done.error();
      }
    }
  } else if (module.exports_function("_start")) {
    if (auto done = call("_start", {}); !done) {
      return done.error();
    }
  }

  const auto root = Value::u32(root_context_id_);
  if (module.exports_function("proxy_on_context_create")) {
    if (auto done = call("proxy_on_context_create", {root, Value::i32(0)}); !done) {
      return done.error();
    }
  }
  if (module.exports_function("proxy_on_vm_start")) {
    auto started = call("proxy_on_vm_start", {root, Value::i32(0)});
    if (!started) {
      return started.error();
    }
    if (*started == 0) {
      return config_error("plugin " + plugin_->options().name +
                          ": proxy_on_vm_start returned false");
    }
  }
  if (module.exports_function("proxy_on_configure")) {
    const auto size = static_cast<std::uint32_t>(plugin_->options().configuration.size());
    auto configured = call("proxy_on_configure", {root, Value::u32(size)});
    if (!configured) {
      return configured.error();
    }
    if (*configured == 0) {
      return config_error("plugin " + plugin_->options().name +
                          ": proxy_on_configure rejected the configuration");
    }
  }
  return {};
}

Result<std::uint32_t> PluginVm::call(std::string_view name, std::initializer_list<Value> args) {
  auto result = instance_->call(name, args);
  if (!result) {
    broken_ = true;
    return result.error();
  }
  return *result ? (*result)->as_u32() : 0u;
}

Result<std::shared_ptr<PluginVm>> PluginVm::for_this_thread(
    const std::shared_ptr<const Plugin>& plugin) {
  // NOTE: instances die with their worker thread (thread_local), after its event loop ended.
  thread_local std::map<std::uint64_t, std::shared_ptr<PluginVm>> vms;
  auto& slot = vms[plugin->id()];
  if (slot && !slot->is_broken()) {
    return slot;
  }
  if (slot) {
    module_log().info("plugin instance recreated plugin={}", plugin->options().name);
  }
  slot.reset();
  auto created = create(plugin);
  if (!created) {
    return created.error();
  }
  slot = std::move(*created);
  return slot;
}

// --- HttpStream ---------------------------------------------------------------------------

HttpStream::HttpStream(std::shared_ptr<PluginVm> vm, StreamInfo info)
    : vm_(std::move(vm)), info_(std::move(info)) {
  context_id_ = vm_->next_context_id_++;
  if (vm_->next_context_id_ == 0) {
    vm_->next_context_id_ = 2;  // 0 means "no parent" and 1 is the root
  }
  if (!vm_->plugin().exports(kOnContextCreate)) {
    created_ = true;
    return;
  }
  auto created = vm_->call("proxy_on_context_create",
                           {Value::u32(context_id_), Value::u32(vm_->root_context_id_)});
  if (!created) {
    failure_ = created.error().context;
    module_log().warn("plugin failed plugin={} callback=proxy_on_context_create error={}",
                      vm_->plugin().options().name, escape_for_log(failure_));
    return;
  }
  created_ = true;
}

HttpStream::~HttpStream() {
  request_ = nullptr;
  finish();
}

bool HttpStream::active() const { return created_ && !disabled_ && !vm_->is_broken(); }

bool HttpStream::observes_request_body() const { return vm_->plugin().exports(kOnRequestBody); }

bool HttpStream::observes_response_body() const {
  return vm_->plugin().exports(kOnResponseBody);
}

HttpStream::Outcome HttpStream::run(Callback phase, std::string_view name,
                                    std::initializer_list<Value> args, bool body) {
  if (!created_ && !disabled_) {
    // proxy_on_context_create failed: the first callback reports it.
    disabled_ = true;
    return vm_->plugin().options().fail_open ? Outcome::Continue : Outcome::Failed;
  }
  if (!active() || !vm_->plugin().exports(phase)) {
    return Outcome::Continue;
  }

  vm_->current_ = this;
  vm_->phase_ = phase;
  auto result = vm_->call(name, args);
  vm_->current_ = nullptr;
  vm_->phase_ = 0;

  if (!result) {
    failure_ = std::string(name) + ": " + result.error().context;
    const bool fail_open = vm_->plugin().options().fail_open;
    module_log().warn("plugin failed plugin={} callback={} error={} fail_open={}",
                      vm_->plugin().options().name, name, escape_for_log(result.error().context),
                      fail_open);
    disabled_ = true;
    return fail_open ? Outcome::Continue : Outcome::Failed;
  }
  if (close_requested_) {
    failure_ = std::string(name) + ": the plugin closed the stream";
    disabled_ = true;
    return Outcome::Failed;
  }
  if (has_local_response_) {
    has_local_response_ = false;
    disabled_ = true;  // the plugin answered: it sees nothing more of this request
    return Outcome::Respond;
  }
  // NOTE: River holds no request or response paused past a callback (no HTTP calls or
  // timers could resume it), so Pause from a headers or trailers callback means Continue;
  // from a body callback it means "buffer and call again with more".
  if (body && *result == static_cast<std::uint32_t>(abi::Action::Pause)) {
    return Outcome::Pause;
  }
  return Outcome::Continue;
}

HttpStream::Outcome HttpStream::on_request_headers(http::RequestHead& head, bool end_of_stream) {
  request_ = &head;
  const auto outcome = run(kOnRequestHeaders, "proxy_on_request_headers",
                           {Value::u32(context_id_), Value::u32(head.headers.size()),
                            Value::u32(end_of_stream ? 1 : 0)},
                           false);
  return outcome;
}

HttpStream::Outcome HttpStream::on_request_body(std::string& body, bool end_of_stream) {
  body_ = &body;
  const auto outcome = run(kOnRequestBody, "proxy_on_request_body",
                           {Value::u32(context_id_), Value::u32(body.size()),
                            Value::u32(end_of_stream ? 1 : 0)},
                           true);
  body_ = nullptr;
  return outcome;
}

HttpStream::Outcome HttpStream::on_request_trailers(http::HeaderMap& trailers) {
  request_trailers_ = &trailers;
  const auto outcome =
      run(kOnRequestTrailers, "proxy_on_request_trailers",
          {Value::u32(context_id_), Value::u32(trailers.size())}, false);
  request_trailers_ = nullptr;
  return outcome;
}

HttpStream::Outcome HttpStream::on_response_headers(http::ResponseHead& head,
                                                    bool end_of_stream) {
  response_ = &head;
  const auto outcome = run(kOnResponseHeaders, "proxy_on_response_headers",
                           {Value::u32(context_id_), Value::u32(head.headers.size()),
                            Value::u32(end_of_stream ? 1 : 0)},
                           false);
  response_ = nullptr;
  if (vm_->plugin().exports(kOnLog)) {
    logged_response_ = head;
  }
  return outcome;
}

HttpStream::Outcome HttpStream::on_response_body(std::string& body, bool end_of_stream) {
  body_ = &body;
  const auto outcome = run(kOnResponseBody, "proxy_on_response_body",
                           {Value::u32(context_id_), Value::u32(body.size()),
                            Value::u32(end_of_stream ? 1 : 0)},
                           true);
  body_ = nullptr;
  return outcome;
}

HttpStream::Outcome HttpStream::on_response_trailers(http::HeaderMap& trailers) {
  response_trailers_ = &trailers;
  const auto outcome =
      run(kOnResponseTrailers, "proxy_on_response_trailers",
          {Value::u32(context_id_), Value::u32(trailers.size())}, false);
  response_trailers_ = nullptr;
  return outcome;
}

void HttpStream::finish() {
  if (finished_) {
    return;
  }
  finished_ = true;
  // A stream whose plugin failed still gets its context deleted, so the guest can free it;
  // unless the instance itself is broken (it will be replaced).
  if (!created_ || vm_->is_broken()) {
    return;
  }
  disabled_ = false;
  has_local_response_ = false;
  close_requested_ = false;
  response_ = logged_response_ ? &*logged_response_ : nullptr;
  const auto id = Value::u32(context_id_);
  // ABI order: proxy_on_done (true lets the host finish), proxy_on_log, proxy_on_delete.
  const auto done = run(kOnDone, "proxy_on_done", {id}, false);
  if (done == Outcome::Continue) {
    (void)run(kOnLog, "proxy_on_log", {id}, false);
  }
  if (done == Outcome::Continue && active()) {
    (void)run(kOnDelete, "proxy_on_delete", {id}, false);
  }
  request_ = nullptr;
  response_ = nullptr;
}

}  // namespace river::wasm
