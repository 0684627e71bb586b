// The engine of engine.h on V8, as shipped in Debian's libnode (V8 10.2).
//
// libnode does not export V8's WebAssembly C API, so this file goes through v8.h: a module is
// compiled once into a `v8::CompiledWasmModule` (code shared process-wide), and each instance
// re-creates a `WasmModuleObject` from it in its own isolate, then calls the JavaScript
// `WebAssembly.Instance` constructor with an imports object whose functions are V8 function
// callbacks. No JavaScript source is ever compiled or run.
//
// Built with -fno-rtti (libnode is, and V8's classes have no type information to link against).
#include <libplatform/libplatform.h>
#include <v8.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>

#include "wasm/engine.h"
#include "wasm/module_bytes.h"
#include "wasm/watchdog.h"

namespace river::wasm {
namespace {

/// Arguments a host function or an export may take; proxy-wasm's largest has 8.
constexpr std::size_t kMaxArgs = 16;

Error config_error(std::string context) {
  return Error{ErrorKind::Config, Side::Config, false, std::move(context)};
}

Error trap_error(std::string context) {
  return Error{ErrorKind::PluginTrap, Side::Internal, false, std::move(context)};
}

Error out_of_bounds(std::uint32_t address, std::uint64_t size, std::size_t memory) {
  return Error{ErrorKind::InvalidMessage, Side::Downstream, false,
               "guest memory access out of bounds address=" + std::to_string(address) +
                   " size=" + std::to_string(size) + " memory=" + std::to_string(memory)};
}

/// The V8 platform, initialised on first use.
///
/// NOTE: deliberately never disposed. V8 cannot be initialised again once disposed, and
/// worker threads may still run guest code while static destructors run at exit.
v8::Platform& platform() {
  static v8::Platform* const instance = [] {
    // The platform's worker threads compile and optimise wasm code in the background.
    v8::Platform* p = v8::platform::NewDefaultPlatform(2).release();
    v8::V8::InitializePlatform(p);
#if !defined(__SANITIZE_ADDRESS__)
    // Guard pages and a SIGSEGV handler replace explicit bounds checks on every memory
    // access. AddressSanitizer owns SIGSEGV, so sanitizer builds keep the explicit checks.
    v8::V8::EnableWebAssemblyTrapHandler(true);
#endif
    // Inline; checks that our build settings (pointer compression, sandbox) match libnode's
    // and aborts otherwise, before any isolate exists.
    v8::V8::Initialize();
    return p;
  }();
  return *instance;
}

struct IsolateDeleter {
  void operator()(v8::Isolate* isolate) const { isolate->Dispose(); }
};
using IsolatePtr = std::unique_ptr<v8::Isolate, IsolateDeleter>;

/// Creates an isolate for the calling thread. The allocator must outlive it.
IsolatePtr new_isolate(v8::ArrayBuffer::Allocator& allocator) {
  (void)platform();
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = &allocator;
  return IsolatePtr(v8::Isolate::New(params));
}

v8::Local<v8::String> v8_string(v8::Isolate* isolate, std::string_view text) {
  return v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(text.size()))
      .ToLocalChecked();
}

/// The exception held by `try_catch` as text, for an error's context.
std::string describe(v8::Isolate* isolate, const v8::TryCatch& try_catch) {
  if (!try_catch.HasCaught() || try_catch.Exception().IsEmpty()) {
    return "unknown failure";
  }
  v8::String::Utf8Value text(isolate, try_catch.Exception());
  return *text != nullptr ? std::string(*text, static_cast<std::size_t>(text.length()))
                          : "unprintable exception";
}

}  // namespace

struct Module::Impl {
  v8::CompiledWasmModule compiled;
  std::size_t max_memory_bytes;
  std::vector<ModuleItem> imports;
  std::vector<ModuleItem> exports;
};

namespace {

/// The string property `key` of `object`, or "" when it is missing.
std::string string_field(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Value> object,
                         const char* key) {
  v8::Local<v8::Value> value;
  if (!object->IsObject() ||
      !object.As<v8::Object>()->Get(ctx, v8_string(iso, key)).ToLocal(&value) ||
      !value->IsString()) {
    return std::string();
  }
  v8::String::Utf8Value utf8(iso, value);
  return *utf8 != nullptr ? std::string(*utf8, static_cast<std::size_t>(utf8.length()))
                          : std::string();
}

/// Lists a module's imports or exports through `WebAssembly.Module.imports` (or `.exports`).
Result<std::vector<ModuleItem>> list_items(v8::Isolate* iso, v8::Local<v8::Context> ctx,
                                           v8::Local<v8::WasmModuleObject> module_object,
                                           const char* which) {
  v8::Local<v8::Value> wasm_namespace;
  v8::Local<v8::Value> module_ctor;
  v8::Local<v8::Value> list_fn;
  v8::Local<v8::Value> list;
  v8::Local<v8::Value> argv[] = {module_object};
  if (!ctx->Global()->Get(ctx, v8_string(iso, "WebAssembly")).ToLocal(&wasm_namespace) ||
      !wasm_namespace->IsObject() ||
      !wasm_namespace.As<v8::Object>()->Get(ctx, v8_string(iso, "Module")).ToLocal(&module_ctor) ||
      !module_ctor->IsObject() ||
      !module_ctor.As<v8::Object>()->Get(ctx, v8_string(iso, which)).ToLocal(&list_fn) ||
      !list_fn->IsFunction() ||
      !list_fn.As<v8::Function>()->Call(ctx, module_ctor, 1, argv).ToLocal(&list) ||
      !list->IsArray()) {
    return config_error(std::string("cannot list the wasm module's ") + which);
  }
  std::vector<ModuleItem> items;
  v8::Local<v8::Array> array = list.As<v8::Array>();
  for (std::uint32_t i = 0; i < array->Length(); ++i) {
    v8::Local<v8::Value> item;
    if (!array->Get(ctx, i).ToLocal(&item)) {
      return config_error(std::string("cannot list the wasm module's ") + which);
    }
    items.push_back(ModuleItem{string_field(iso, ctx, item, "module"),
                               string_field(iso, ctx, item, "name"),
                               string_field(iso, ctx, item, "kind")});
  }
  return items;
}

}  // namespace

Module::Module(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Module::~Module() = default;

std::size_t Module::max_memory_bytes() const { return impl_->max_memory_bytes; }

const std::vector<ModuleItem>& Module::imports() const { return impl_->imports; }

const std::vector<ModuleItem>& Module::exports() const { return impl_->exports; }

bool Module::exports_function(std::string_view name) const {
  return std::any_of(impl_->exports.begin(), impl_->exports.end(), [&](const ModuleItem& item) {
    return item.kind == "function" && item.name == name;
  });
}

Result<std::shared_ptr<const Module>> Module::compile(std::span<const std::uint8_t> wasm,
                                                      const ModuleOptions& options) {
  auto max_pages = static_cast<std::uint32_t>(
      std::min<std::size_t>(options.max_memory_bytes / kPageBytes, 65536));
  auto bytes = cap_memory(wasm, max_pages);
  if (!bytes) {
    return bytes.error();
  }

  // Compilation needs an isolate; the compiled code outlives it and is shared by every
  // instance's isolate.
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(
      v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  IsolatePtr isolate = new_isolate(*allocator);
  v8::Isolate::Scope isolate_scope(isolate.get());
  v8::HandleScope handle_scope(isolate.get());
  v8::Local<v8::Context> context = v8::Context::New(isolate.get());
  v8::Context::Scope context_scope(context);
  v8::TryCatch try_catch(isolate.get());

  v8::Local<v8::WasmModuleObject> module_object;
  if (!v8::WasmModuleObject::Compile(isolate.get(), {bytes->data(), bytes->size()})
           .ToLocal(&module_object)) {
    return config_error("wasm module does not compile: " + describe(isolate.get(), try_catch));
  }
  auto imports = list_items(isolate.get(), context, module_object, "imports");
  if (!imports) {
    return imports.error();
  }
  auto exports = list_items(isolate.get(), context, module_object, "exports");
  if (!exports) {
    return exports.error();
  }
  auto impl = std::make_unique<Impl>(Impl{module_object->GetCompiledModule(),
                                          std::size_t{max_pages} * kPageBytes,
                                          std::move(*imports), std::move(*exports)});
  return std::make_shared<const Module>(std::move(impl));
}

/// A host function as the V8 callback sees it (through a `v8::External`).
struct HostEntry {
  Instance* instance = nullptr;
  HostFunction function;
};

struct Instance::Impl {
  // Declaration order is destruction order in reverse: the watchdog slot goes first (no more
  // terminations), then the handles, then the isolate, then its allocator.
  std::shared_ptr<const Module> module;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator;
  IsolatePtr isolate;
  std::vector<std::unique_ptr<HostEntry>> hosts;
  v8::Global<v8::Context> context;
  v8::Global<v8::WasmMemoryObject> memory;
  std::map<std::string, v8::Global<v8::Function>, std::less<>> functions;
  std::unique_ptr<WatchSlot> watchdog;
  int depth = 0;  // Nesting of `call` (host callbacks may call back into the guest).

  /// The current linear memory. Valid until guest code runs again (memory.grow moves it).
  std::span<std::uint8_t> memory_bytes() const {
    v8::Isolate::Scope isolate_scope(isolate.get());
    v8::HandleScope handle_scope(isolate.get());
    v8::Local<v8::ArrayBuffer> buffer = memory.Get(isolate.get())->Buffer();
    // Safety: the backing store belongs to the memory object, which this instance keeps
    // alive; it is replaced only by memory.grow, i.e. only while guest code runs.
    return {static_cast<std::uint8_t*>(buffer->Data()), buffer->ByteLength()};
  }

  Result<std::span<std::uint8_t>> range(std::uint32_t address, std::uint64_t size) const {
    auto bytes = memory_bytes();
    if (address > bytes.size() || size > bytes.size() - address) {
      return out_of_bounds(address, size, bytes.size());
    }
    return bytes.subspan(address, static_cast<std::size_t>(size));
  }

  /// Drains V8's foreground tasks (GC steps, finished background compilation).
  void pump() { while (v8::platform::PumpMessageLoop(&platform(), isolate.get())) {} }

  Result<void> instantiate();
  Result<void> check_imports(v8::Local<v8::Context> ctx, v8::Local<v8::Object> wasm_namespace,
                             v8::Local<v8::WasmModuleObject> module_object) const;
};

namespace {

/// Runs a host function: converts the guest's arguments, calls the callback, and either sets
/// the result or throws (which unwinds the guest to `Instance::call` as a trap).
void call_host(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  auto* entry = static_cast<HostEntry*>(info.Data().As<v8::External>()->Value());
  auto fail = [&](std::string_view why) {
    std::string message = "host function " + entry->function.name + " failed: ";
    message += why;
    isolate->ThrowException(v8::Exception::Error(v8_string(isolate, message)));
  };

  auto argc = static_cast<std::size_t>(info.Length());
  if (argc > kMaxArgs) {
    return fail("too many arguments");
  }
  std::array<Value, kMaxArgs> args{};
  for (std::size_t i = 0; i < argc; ++i) {
    v8::Local<v8::Value> arg = info[static_cast<int>(i)];
    // Wasm passes i32 as a number within int32 range and i64 as a BigInt.
    if (arg->IsBigInt()) {
      args[i] = Value::i64(arg.As<v8::BigInt>()->Int64Value());
    } else if (arg->IsInt32()) {
      args[i] = Value::i32(arg.As<v8::Int32>()->Value());
    } else {
      return fail("floating-point arguments are not supported");
    }
  }

  // Nothing may unwind through V8's frames: a C++ exception becomes a trap.
  Result<Value> result = Error{};
  try {
    result = entry->function.callback(*entry->instance, std::span<const Value>(args.data(), argc));
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (...) {
    return fail("unknown exception");
  }
  if (!result) {
    return fail(result.error().context);
  }
  if (result->type == ValueType::I64) {
    info.GetReturnValue().Set(v8::BigInt::New(isolate, result->as_i64()));
  } else {
    info.GetReturnValue().Set(result->as_i32());
  }
}

}  // namespace

/// Checks that every function the module imports is among the host functions, so that the
/// error names the missing one (V8's LinkError names only the first import's module).
Result<void> Instance::Impl::check_imports(v8::Local<v8::Context> ctx,
                                           v8::Local<v8::Object> wasm_namespace,
                                           v8::Local<v8::WasmModuleObject> module_object) const {
  v8::Isolate* iso = isolate.get();
  v8::Local<v8::Value> module_ctor;
  v8::Local<v8::Value> imports_fn;
  v8::Local<v8::Value> list;
  v8::Local<v8::Value> argv[] = {module_object};
  if (!wasm_namespace->Get(ctx, v8_string(iso, "Module")).ToLocal(&module_ctor) ||
      !module_ctor->IsObject() ||
      !module_ctor.As<v8::Object>()->Get(ctx, v8_string(iso, "imports")).ToLocal(&imports_fn) ||
      !imports_fn->IsFunction() ||
      !imports_fn.As<v8::Function>()->Call(ctx, module_ctor, 1, argv).ToLocal(&list) ||
      !list->IsArray()) {
    return config_error("cannot list the wasm module's imports");
  }

  auto field = [&](v8::Local<v8::Value> import, const char* key) {
    v8::Local<v8::Value> value;
    if (!import->IsObject() ||
        !import.As<v8::Object>()->Get(ctx, v8_string(iso, key)).ToLocal(&value)) {
      return std::string();
    }
    v8::String::Utf8Value utf8(iso, value);
    return *utf8 != nullptr ? std::string(*utf8, static_cast<std::size_t>(utf8.length()))
                            : std::string();
  };
  v8::Local<v8::Array> imports = list.As<v8::Array>();
  for (std::uint32_t i = 0; i < imports->Length(); ++i) {
    v8::Local<v8::Value> import;
    if (!imports->Get(ctx, i).ToLocal(&import)) {
      return config_error("cannot list the wasm module's imports");
    }
    std::string module_name = field(import, "module");
    std::string name = field(import, "name");
    std::string kind = field(import, "kind");
    if (kind != "function") {
      return config_error("wasm module imports " + kind + " " + module_name + "." + name +
                          "; only functions can be imported");
    }
    bool provided = std::any_of(hosts.begin(), hosts.end(), [&](const auto& entry) {
      return entry->function.module == module_name && entry->function.name == name;
    });
    if (!provided) {
      return config_error("wasm module imports " + module_name + "." + name +
                          ", which the host does not provide");
    }
  }
  return {};
}

Result<void> Instance::Impl::instantiate() {
  v8::Isolate* iso = isolate.get();
  v8::Isolate::Scope isolate_scope(iso);
  v8::HandleScope handle_scope(iso);
  v8::Local<v8::Context> ctx = v8::Context::New(iso);
  context.Reset(iso, ctx);
  v8::Context::Scope context_scope(ctx);
  v8::TryCatch try_catch(iso);

  v8::Local<v8::WasmModuleObject> module_object;
  if (!v8::WasmModuleObject::FromCompiledModule(iso, module->impl().compiled)
           .ToLocal(&module_object)) {
    return config_error("wasm module cannot be loaded: " + describe(iso, try_catch));
  }

  // imports = { module: { name: function, ... }, ... }
  v8::Local<v8::Object> imports = v8::Object::New(iso);
  for (auto& entry : hosts) {
    v8::Local<v8::String> ns_name = v8_string(iso, entry->function.module);
    v8::Local<v8::Value> ns_value;
    if (!imports->Get(ctx, ns_name).ToLocal(&ns_value) || !ns_value->IsObject()) {
      ns_value = v8::Object::New(iso);
      if (imports->Set(ctx, ns_name, ns_value).IsNothing()) {
        return config_error("cannot build the imports object");
      }
    }
    v8::Local<v8::Function> fn;
    if (!v8::Function::New(ctx, call_host, v8::External::New(iso, entry.get())).ToLocal(&fn)) {
      return config_error("cannot create host function " + entry->function.name);
    }
    if (ns_value.As<v8::Object>()->Set(ctx, v8_string(iso, entry->function.name), fn).IsNothing()) {
      return config_error("cannot build the imports object");
    }
  }

  v8::Local<v8::Value> wasm_namespace;
  v8::Local<v8::Value> instance_ctor;
  if (!ctx->Global()->Get(ctx, v8_string(iso, "WebAssembly")).ToLocal(&wasm_namespace) ||
      !wasm_namespace->IsObject() ||
      !wasm_namespace.As<v8::Object>()->Get(ctx, v8_string(iso, "Instance"))
           .ToLocal(&instance_ctor) ||
      !instance_ctor->IsFunction()) {
    return config_error("V8 offers no WebAssembly.Instance");
  }

  if (auto ok = check_imports(ctx, wasm_namespace.As<v8::Object>(), module_object); !ok) {
    return ok.error();
  }

  // The module's start function runs inside the constructor, under the budget.
  std::array<v8::Local<v8::Value>, 2> ctor_args{module_object, imports};
  watchdog->arm();
  v8::MaybeLocal<v8::Object> maybe_instance =
      instance_ctor.As<v8::Function>()->NewInstance(ctx, 2, ctor_args.data());
  bool timed_out = watchdog->disarm();
  v8::Local<v8::Object> wasm_instance;
  if (!maybe_instance.ToLocal(&wasm_instance)) {
    if (timed_out || try_catch.HasTerminated()) {
      iso->CancelTerminateExecution();
      return Error{ErrorKind::PluginTimeout, Side::Internal, false,
                   "wasm start function ran past its budget"};
    }
    // A LinkError names the missing import; a RuntimeError comes from the start function.
    return config_error("wasm module cannot be instantiated: " + describe(iso, try_catch));
  }
  if (timed_out) {
    iso->CancelTerminateExecution();
  }

  v8::Local<v8::Value> exports_value;
  if (!wasm_instance->Get(ctx, v8_string(iso, "exports")).ToLocal(&exports_value) ||
      !exports_value->IsObject()) {
    return config_error("wasm instance has no exports");
  }
  v8::Local<v8::Object> exports = exports_value.As<v8::Object>();

  v8::Local<v8::Value> memory_value;
  if (!exports->Get(ctx, v8_string(iso, "memory")).ToLocal(&memory_value) ||
      !memory_value->IsWasmMemoryObject()) {
    return config_error("wasm module does not export its memory as \"memory\"");
  }
  memory.Reset(iso, memory_value.As<v8::WasmMemoryObject>());

  v8::Local<v8::Array> names;
  if (!exports->GetOwnPropertyNames(ctx).ToLocal(&names)) {
    return config_error("cannot list the wasm module's exports");
  }
  for (std::uint32_t i = 0; i < names->Length(); ++i) {
    v8::Local<v8::Value> name;
    v8::Local<v8::Value> value;
    if (!names->Get(ctx, i).ToLocal(&name) || !exports->Get(ctx, name).ToLocal(&value) ||
        !value->IsFunction()) {
      continue;
    }
    v8::String::Utf8Value utf8(iso, name);
    functions.emplace(std::string(*utf8, static_cast<std::size_t>(utf8.length())),
                      v8::Global<v8::Function>(iso, value.As<v8::Function>()));
  }
  return {};
}

Instance::Instance(ConstructionKey, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Instance::~Instance() = default;

Result<std::unique_ptr<Instance>> Instance::create(std::shared_ptr<const Module> module,
                                                   std::vector<HostFunction> imports,
                                                   const InstanceOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->module = std::move(module);
  impl->allocator.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  impl->isolate = new_isolate(*impl->allocator);
  v8::Isolate* isolate = impl->isolate.get();
  // TerminateExecution is one of the few isolate methods safe from another thread.
  impl->watchdog = Watchdog::shared().watch([isolate] { isolate->TerminateExecution(); },
                                            options.cpu_budget);
  auto instance = std::make_unique<Instance>(Instance::ConstructionKey{}, std::move(impl));

  for (auto& function : imports) {
    instance->impl_->hosts.push_back(
        std::make_unique<HostEntry>(HostEntry{instance.get(), std::move(function)}));
  }
  if (auto ok = instance->impl_->instantiate(); !ok) {
    return ok.error();
  }
  return instance;
}

bool Instance::has_function(std::string_view name) const {
  return impl_->functions.find(name) != impl_->functions.end();
}

Result<std::optional<Value>> Instance::call(std::string_view name, std::span<const Value> args) {
  Impl& self = *impl_;
  auto function = self.functions.find(name);
  if (function == self.functions.end()) {
    return config_error("wasm module exports no function " + std::string(name));
  }
  if (args.size() > kMaxArgs) {
    return config_error("too many arguments for " + std::string(name));
  }

  v8::Isolate* iso = self.isolate.get();
  v8::Isolate::Scope isolate_scope(iso);
  v8::HandleScope handle_scope(iso);
  v8::Local<v8::Context> ctx = self.context.Get(iso);
  v8::Context::Scope context_scope(ctx);
  v8::TryCatch try_catch(iso);

  std::array<v8::Local<v8::Value>, kMaxArgs> argv;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].type == ValueType::I64) {
      argv[i] = v8::BigInt::New(iso, args[i].as_i64());
    } else {
      argv[i] = v8::Integer::New(iso, args[i].as_i32());
    }
  }

  // A call from a host callback (to allocate guest memory, say) runs under the budget of the
  // outermost call, which alone arms the watchdog and clears a termination.
  bool outermost = self.depth == 0;
  if (outermost) {
    self.watchdog->arm();
  }
  ++self.depth;
  v8::MaybeLocal<v8::Value> maybe_result = function->second.Get(iso)->Call(
      ctx, v8::Undefined(iso), static_cast<int>(args.size()), argv.data());
  --self.depth;
  bool timed_out = outermost && self.watchdog->disarm();
  bool terminated = timed_out || try_catch.HasTerminated();

  v8::Local<v8::Value> result;
  bool returned = maybe_result.ToLocal(&result);
  if (outermost) {
    if (terminated) {
      // Also when the call returned just as the budget ran out: the termination is still
      // pending and would hit the next call.
      iso->CancelTerminateExecution();
    }
    self.pump();
  }
  if (!returned) {
    if (terminated) {
      return Error{ErrorKind::PluginTimeout, Side::Internal, false,
                   std::string(name) + " ran past its CPU-time budget"};
    }
    return trap_error(std::string(name) + ": " + describe(iso, try_catch));
  }

  if (result->IsUndefined()) {
    return std::optional<Value>{};
  }
  if (result->IsBigInt()) {
    return std::optional<Value>{Value::i64(result.As<v8::BigInt>()->Int64Value())};
  }
  if (result->IsInt32()) {
    return std::optional<Value>{Value::i32(result.As<v8::Int32>()->Value())};
  }
  return config_error(std::string(name) + " returns a type the host does not support");
}

std::size_t Instance::memory_size() const { return impl_->memory_bytes().size(); }

Result<std::string> Instance::read(std::uint32_t address, std::uint32_t size) const {
  auto bytes = impl_->range(address, size);
  if (!bytes) {
    return bytes.error();
  }
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

Result<std::uint32_t> Instance::read_u32(std::uint32_t address) const {
  auto bytes = impl_->range(address, 4);
  if (!bytes) {
    return bytes.error();
  }
  // Wasm memory is little-endian, as is every host River builds for.
  std::uint32_t value = 0;
  std::memcpy(&value, bytes->data(), sizeof value);
  return value;
}

Result<void> Instance::write(std::uint32_t address, std::span<const std::uint8_t> data) {
  auto bytes = impl_->range(address, data.size());
  if (!bytes) {
    return bytes.error();
  }
  std::memcpy(bytes->data(), data.data(), data.size());
  return {};
}

Result<void> Instance::write(std::uint32_t address, std::string_view data) {
  return write(address, std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

Result<void> Instance::write_u32(std::uint32_t address, std::uint32_t value) {
  std::array<std::uint8_t, 4> bytes{};
  std::memcpy(bytes.data(), &value, sizeof value);
  return write(address, bytes);
}

}  // namespace river::wasm
