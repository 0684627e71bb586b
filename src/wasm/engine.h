// The WebAssembly engine: compiles plugin modules and runs them, sandboxed, on V8.
//
// This header is River's only view of the engine; it names no V8 type, and nothing outside
// src/wasm includes v8.h. Where it sits in the lifecycle:
//
//   - at configuration load, `Module::compile` validates and compiles a plugin's .wasm bytes
//     once per process; the resulting `Module` is immutable and shared by every worker;
//   - each worker then calls `Instance::create` with the host functions the plugin may import,
//     and gets its own isolated instance (own V8 isolate, own linear memory);
//   - on the data path the worker calls exports through `Instance::call`; host functions read
//     and write guest memory only through the bounds-checked helpers below.
//
// Faults stay inside the instance: a trap, or a call that runs past its CPU-time budget (a
// watchdog thread stops it), comes back from `call` as an `Error` (`PluginTrap`,
// `PluginTimeout`) and the process carries on. After a fault the caller should drop the
// instance and create a fresh one, since guest state (heap, globals) may be half-updated.
//
// Threads: `Module` is thread-safe. An `Instance` belongs to the thread that created it (its
// V8 stack limit is computed from that thread's stack) and must only be used there; that
// thread needs a stack of at least 2 MiB (glibc's default of 8 MiB is fine).
//
// Example:
//
//   auto module = wasm::Module::compile(bytes, {.max_memory_bytes = 16 << 20});
//   std::vector<wasm::HostFunction> imports{{"env", "proxy_log", log_callback}};
//   auto instance = wasm::Instance::create(*module, std::move(imports), {});
//   auto action = (*instance)->call("proxy_on_request_headers",
//                                   {wasm::Value::i32(id), wasm::Value::i32(n),
//                                    wasm::Value::i32(1)});
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace river::wasm {

/// The WebAssembly value types that cross the host boundary. Floating-point and reference
/// types are not used by the proxy-wasm ABI and are refused.
enum class ValueType : std::uint8_t { I32, I64 };

/// One argument or result. An i32 is kept sign-extended in `bits`.
struct Value {
  ValueType type = ValueType::I32;
  std::int64_t bits = 0;

  static Value i32(std::int32_t v) { return {ValueType::I32, v}; }
  static Value u32(std::uint32_t v) { return {ValueType::I32, static_cast<std::int32_t>(v)}; }
  static Value i64(std::int64_t v) { return {ValueType::I64, v}; }

  std::int32_t as_i32() const { return static_cast<std::int32_t>(bits); }
  /// The i32 as the guest's `uint32_t` (pointers, sizes, ids in proxy-wasm).
  std::uint32_t as_u32() const { return static_cast<std::uint32_t>(bits); }
  std::int64_t as_i64() const { return bits; }
};

class Instance;

/// A host function's body. `args` holds the guest's arguments (i32 or i64, as the guest's
/// import declares them). The returned value must have the type the guest declared for the
/// result; for an import without result any value may be returned and is ignored. Returning an
/// `Error` aborts the guest: the pending `Instance::call` fails with `PluginTrap` and the
/// error's context. Runs on the instance's thread, inside `Instance::call`.
using HostCallback = std::function<Result<Value>(Instance& instance, std::span<const Value> args)>;

/// A function the host offers for the guest to import as `module`.`name`.
struct HostFunction {
  std::string module = "env";
  std::string name;
  HostCallback callback;
};

/// One import or export a module declares, as `WebAssembly.Module.imports/exports` lists it.
struct ModuleItem {
  std::string module;  ///< the import's module ("env"); empty for exports
  std::string name;
  std::string kind;  ///< "function", "memory", "table" or "global"
};

/// Limits fixed when a module is compiled.
struct ModuleOptions {
  /// The most linear memory an instance may have, in bytes (rounded down to 64 KiB pages).
  /// The module's own declared maximum is lowered to this; a module that needs more memory
  /// at start is refused. Default: 64 MiB.
  std::size_t max_memory_bytes = std::size_t{64} << 20;
};

/// Limits of one instance.
struct InstanceOptions {
  /// CPU time one `call` may use (guest code plus the host functions it calls), measured on
  /// the calling thread's CPU clock; past it the watchdog stops the guest. The watchdog
  /// checks a few times per budget, so a runaway call stops within about 1.25 budgets.
  /// Default: 50 ms.
  std::chrono::microseconds cpu_budget{50'000};
};

/// A compiled plugin module: validated, with machine code ready to instantiate. Immutable and
/// shareable across threads; keep it alive while any instance made from it lives.
class Module {
 public:
  /// Validates and compiles `wasm` (the bytes of a .wasm file; copied). Initialises the V8
  /// runtime on first use. Errors: `Config` when the bytes are not a valid module, when its
  /// initial memory exceeds `options.max_memory_bytes`, or when it uses shared or 64-bit memory.
  static Result<std::shared_ptr<const Module>> compile(std::span<const std::uint8_t> wasm,
                                                       const ModuleOptions& options);

  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The cap applied to every instance's linear memory, in bytes.
  std::size_t max_memory_bytes() const;

  /// What the module imports, in declaration order; a host offers at least these functions.
  const std::vector<ModuleItem>& imports() const;

  /// What the module exports, in declaration order.
  const std::vector<ModuleItem>& exports() const;

  /// True when the module exports a function called `name`.
  bool exports_function(std::string_view name) const;

  struct Impl;
  explicit Module(std::unique_ptr<Impl> impl);
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

/// One running instance of a module, with its own V8 isolate and linear memory. Belongs to
/// the thread that created it (see the file comment). Not copyable, not movable: host
/// callbacks receive a reference to it.
class Instance {
 public:
  /// Instantiates `module` with `imports`. Every function the module imports must be among
  /// `imports`, and the module must export its memory as `memory`. The instance keeps a
  /// reference to `module`. Errors: `Config` on a missing import (the message names it),
  /// `PluginTrap` when the module's start function traps.
  static Result<std::unique_ptr<Instance>> create(std::shared_ptr<const Module> module,
                                                  std::vector<HostFunction> imports,
                                                  const InstanceOptions& options);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  /// Returns true when the module exports a function called `name`.
  bool has_function(std::string_view name) const;

  /// Calls the exported function `name` with `args` under the CPU-time budget. Returns its
  /// result, or `std::nullopt` for a function without result. Errors: `Config` when there is
  /// no such export or the arguments do not fit it, `PluginTrap` when the guest traps or a
  /// host callback fails it, `PluginTimeout` when the budget ran out. A host callback may call
  /// into the same instance (to allocate guest memory, say); such a nested call runs under
  /// the budget of the outermost one.
  Result<std::optional<Value>> call(std::string_view name, std::span<const Value> args);
  Result<std::optional<Value>> call(std::string_view name, std::initializer_list<Value> args) {
    return call(name, std::span<const Value>(args.begin(), args.size()));
  }

  /// The current size of linear memory in bytes. It changes when the guest grows memory.
  std::size_t memory_size() const;

  /// Copies `size` guest bytes at `address` out of linear memory. Errors: `InvalidMessage`
  /// (side downstream: the guest is not trusted) when the range is not inside memory.
  Result<std::string> read(std::uint32_t address, std::uint32_t size) const;

  /// Reads a little-endian u32 at `address` (unaligned addresses are fine).
  Result<std::uint32_t> read_u32(std::uint32_t address) const;

  /// Copies `bytes` into linear memory at `address`; the same errors as `read`.
  Result<void> write(std::uint32_t address, std::span<const std::uint8_t> bytes);
  Result<void> write(std::uint32_t address, std::string_view bytes);

  /// Writes a little-endian u32 at `address`.
  Result<void> write_u32(std::uint32_t address, std::uint32_t value);

  struct Impl;

  /// Only create() can make one: the key's constructor is private to this class.
  class ConstructionKey {
    friend class Instance;
    ConstructionKey() = default;
  };
  Instance(ConstructionKey, std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace river::wasm
