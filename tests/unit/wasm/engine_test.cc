#include "wasm/engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>
#include <vector>

namespace river::wasm {
namespace {

using std::chrono::steady_clock;

std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

std::vector<std::uint8_t> read_plugin(const std::string& name) {
  std::string path = std::string(RIVER_PLUGIN_DIR) + "/" + name + ".wasm";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "missing plugin " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::shared_ptr<const Module> compile_plugin(const std::string& name, ModuleOptions options = {}) {
  auto module = Module::compile(read_plugin(name), options);
  EXPECT_TRUE(module) << module.error().context;
  return module ? *module : nullptr;
}

/// A stand-in for the proxy: the host functions the example plugins import, recording what
/// the guest asked for.
struct FakeHost {
  std::map<std::string, std::string> request_headers{{"user-agent", "curl/7.88"}};
  std::vector<std::pair<std::uint32_t, std::string>> logs;
  std::vector<std::pair<std::string, std::string>> added;

  static constexpr std::int32_t kOk = 0;
  static constexpr std::int32_t kNotFound = 1;
  static constexpr std::int32_t kInvalidMemoryAccess = 6;

  static Value status(const Result<void>& r) {
    return Value::i32(r ? kOk : kInvalidMemoryAccess);
  }

  std::vector<HostFunction> imports() {
    return {
        {"env", "proxy_log",
         [this](Instance& guest, std::span<const Value> a) -> Result<Value> {
           auto text = guest.read(a[1].as_u32(), a[2].as_u32());
           if (!text) {
             return Value::i32(kInvalidMemoryAccess);
           }
           logs.emplace_back(a[0].as_u32(), *text);
           return Value::i32(kOk);
         }},
        {"env", "proxy_get_header_map_value",
         [this](Instance& guest, std::span<const Value> a) -> Result<Value> {
           auto key = guest.read(a[1].as_u32(), a[2].as_u32());
           if (!key) {
             return Value::i32(kInvalidMemoryAccess);
           }
           auto found = request_headers.find(*key);
           if (found == request_headers.end()) {
             return Value::i32(kNotFound);
           }
           // The value goes into guest memory the guest allocates, and the guest frees.
           auto size = static_cast<std::int32_t>(found->second.size());
           auto address = guest.call("proxy_on_memory_allocate", {Value::i32(size)});
           if (!address) {
             return address.error();
           }
           auto at = (*address)->as_u32();
           if (auto w = guest.write(at, found->second); !w) {
             return status(w);
           }
           if (auto w = guest.write_u32(a[3].as_u32(), at); !w) {
             return status(w);
           }
           return status(guest.write_u32(a[4].as_u32(), static_cast<std::uint32_t>(size)));
         }},
        {"env", "proxy_add_header_map_value",
         [this](Instance& guest, std::span<const Value> a) -> Result<Value> {
           auto key = guest.read(a[1].as_u32(), a[2].as_u32());
           auto value = guest.read(a[3].as_u32(), a[4].as_u32());
           if (!key || !value) {
             return Value::i32(kInvalidMemoryAccess);
           }
           added.emplace_back(*key, *value);
           return Value::i32(kOk);
         }},
    };
  }
};

std::unique_ptr<Instance> instantiate(std::shared_ptr<const Module> module, FakeHost& host,
                                      InstanceOptions options = {}) {
  auto instance = Instance::create(std::move(module), host.imports(), options);
  EXPECT_TRUE(instance) << instance.error().context;
  if (!instance) {
    return nullptr;
  }
  auto init = (*instance)->call("_initialize", {});
  EXPECT_TRUE(init) << init.error().context;
  return std::move(*instance);
}

TEST(WasmEngine, RequestHeadersCallbackUsesHostFunctions) {
  FakeHost host;
  auto instance = instantiate(compile_plugin("add_header"), host);
  ASSERT_TRUE(instance);
  ASSERT_TRUE(instance->has_function("proxy_on_request_headers"));

  auto action = instance->call("proxy_on_request_headers",
                               {Value::i32(2), Value::i32(1), Value::i32(1)});
  ASSERT_TRUE(action) << action.error().context;
  ASSERT_TRUE(action->has_value());
  EXPECT_EQ((*action)->as_i32(), 0);  // Continue.

  ASSERT_EQ(host.logs.size(), 1u);
  EXPECT_EQ(host.logs[0].first, 2u);  // Info.
  EXPECT_EQ(host.logs[0].second, "user-agent=curl/7.88");
  ASSERT_EQ(host.added.size(), 1u);
  EXPECT_EQ(host.added[0], std::make_pair(std::string("x-river-plugin"),
                                          std::string("add_header")));
}

TEST(WasmEngine, MissingHeaderTakesOtherBranch) {
  FakeHost host;
  host.request_headers.clear();
  auto instance = instantiate(compile_plugin("add_header"), host);
  ASSERT_TRUE(instance);
  ASSERT_TRUE(instance->call("proxy_on_request_headers",
                             {Value::i32(2), Value::i32(0), Value::i32(1)}));
  ASSERT_EQ(host.logs.size(), 1u);
  EXPECT_EQ(host.logs[0], std::make_pair(1u, std::string("no user-agent")));
}

TEST(WasmEngine, PassesAndReturnsI64) {
  FakeHost host;
  auto instance = instantiate(compile_plugin("add_header"), host);
  ASSERT_TRUE(instance);
  auto sum = instance->call("river_test_add64", {Value::i64(std::int64_t{1} << 40),
                                                 Value::i64(-3)});
  ASSERT_TRUE(sum) << sum.error().context;
  ASSERT_TRUE(sum->has_value());
  EXPECT_EQ((*sum)->type, ValueType::I64);
  EXPECT_EQ((*sum)->as_i64(), (std::int64_t{1} << 40) - 3);
}

TEST(WasmEngine, UnknownExportIsAnError) {
  FakeHost host;
  auto instance = instantiate(compile_plugin("add_header"), host);
  ASSERT_TRUE(instance);
  auto result = instance->call("no_such_function", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::Config);
}

TEST(WasmEngine, MissingImportFailsInstantiationNamingIt) {
  auto instance = Instance::create(compile_plugin("add_header"), {}, {});
  ASSERT_FALSE(instance);
  EXPECT_EQ(instance.error().kind, ErrorKind::Config);
  EXPECT_NE(instance.error().context.find("proxy_"), std::string::npos)
      << instance.error().context;
}

TEST(WasmEngine, InvalidBytesDoNotCompile) {
  std::vector<std::uint8_t> bytes = read_plugin("add_header");
  bytes.resize(bytes.size() / 2);
  auto module = Module::compile(bytes, {});
  ASSERT_FALSE(module);
  EXPECT_EQ(module.error().kind, ErrorKind::Config);
}

TEST(WasmEngine, TrapBecomesErrorAndInstanceCanBeRecreated) {
  FakeHost host;
  auto module = compile_plugin("trap");
  auto instance = instantiate(module, host);
  ASSERT_TRUE(instance);

  auto result = instance->call("proxy_on_request_headers",
                               {Value::i32(2), Value::i32(0), Value::i32(1)});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::PluginTrap);
  EXPECT_NE(result.error().context.find("unreachable"), std::string::npos)
      << result.error().context;

  // The trapped instance still answers (V8 unwound cleanly); the host drops it anyway and
  // starts over from the shared module.
  auto calls = instance->call("river_test_calls", {});
  ASSERT_TRUE(calls) << calls.error().context;
  EXPECT_EQ((*calls)->as_i32(), 1);
  instance.reset();
  instance = instantiate(module, host);
  ASSERT_TRUE(instance);
  calls = instance->call("river_test_calls", {});
  ASSERT_TRUE(calls);
  EXPECT_EQ((*calls)->as_i32(), 0);
}

TEST(WasmEngine, OutOfBoundsGuestAccessTraps) {
  FakeHost host;
  auto instance = instantiate(compile_plugin("trap"), host);
  ASSERT_TRUE(instance);
  auto result = instance->call("river_test_oob", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::PluginTrap);
  EXPECT_NE(result.error().context.find("out of bounds"), std::string::npos)
      << result.error().context;
}

TEST(WasmEngine, HostCallbackErrorTrapsTheGuest) {
  FakeHost host;
  auto imports = host.imports();
  imports[0].callback = [](Instance&, std::span<const Value>) -> Result<Value> {
    return Error{ErrorKind::Internal, Side::Internal, false, "refused by test"};
  };
  host.request_headers.clear();  // The plugin then logs "no user-agent" through proxy_log.
  auto instance = Instance::create(compile_plugin("add_header"), std::move(imports), {});
  ASSERT_TRUE(instance) << instance.error().context;
  ASSERT_TRUE((*instance)->call("_initialize", {}));
  auto result = (*instance)->call("proxy_on_request_headers",
                                  {Value::i32(2), Value::i32(0), Value::i32(1)});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::PluginTrap);
  EXPECT_NE(result.error().context.find("refused by test"), std::string::npos)
      << result.error().context;
}

TEST(WasmEngine, EndlessLoopIsStoppedByBudget) {
  FakeHost host;
  auto instance = instantiate(compile_plugin("endless"), host,
                              {.cpu_budget = std::chrono::milliseconds(50)});
  ASSERT_TRUE(instance);

  auto start = steady_clock::now();
  auto cpu_start = thread_cpu_time();
  auto result = instance->call("proxy_on_request_headers",
                               {Value::i32(2), Value::i32(0), Value::i32(1)});
  auto cpu = thread_cpu_time() - cpu_start;
  auto elapsed = steady_clock::now() - start;
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::PluginTimeout);
  // The budget is CPU time: at least all of it, plus at most about two watchdog ticks
  // (50 ms / 8 each). Wall time is larger when other work shares the cores, so it is only
  // bounded loosely.
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  EXPECT_GE(cpu, std::chrono::milliseconds(50));
  EXPECT_LT(cpu, std::chrono::milliseconds(100)) << ms(cpu) << " ms of CPU";
  EXPECT_LT(elapsed, std::chrono::milliseconds(1000)) << ms(elapsed) << " ms";

  // The isolate is usable again: the termination does not leak into the next call.
  auto address = instance->call("proxy_on_memory_allocate", {Value::i32(16)});
  ASSERT_TRUE(address) << address.error().context;
  EXPECT_NE((*address)->as_u32(), 0u);
}

TEST(WasmEngine, HostMemoryHelpersRefuseOutOfBounds) {
  FakeHost host;
  auto instance = instantiate(compile_plugin("add_header"), host);
  ASSERT_TRUE(instance);
  auto size = static_cast<std::uint32_t>(instance->memory_size());
  ASSERT_GT(size, 0u);

  EXPECT_TRUE(instance->read(size - 4, 4));
  EXPECT_TRUE(instance->read(size, 0));
  EXPECT_FALSE(instance->read(size - 3, 4));
  EXPECT_FALSE(instance->read(size + 1, 0));
  EXPECT_FALSE(instance->read(0xffffffffu, 2));  // Would wrap in 32 bits.
  EXPECT_FALSE(instance->read_u32(size - 2));
  EXPECT_FALSE(instance->write_u32(size - 1, 7));
  EXPECT_FALSE(instance->write(size - 1, std::string_view("ab")));
  auto error = instance->read(size, 1);
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().kind, ErrorKind::InvalidMessage);

  ASSERT_TRUE(instance->write_u32(size - 4, 0x01020304u));
  auto value = instance->read_u32(size - 4);
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, 0x01020304u);
}

TEST(WasmEngine, MemoryCapLimitsGrowth) {
  FakeHost host;
  auto instance = instantiate(compile_plugin("add_header", {.max_memory_bytes = 4 << 20}), host);
  ASSERT_TRUE(instance);
  auto pages = static_cast<std::int32_t>(instance->memory_size() / 65536);
  auto room = 64 - pages;  // 4 MiB is 64 pages.
  ASSERT_GT(room, 0);

  auto over = instance->call("river_test_grow", {Value::i32(room + 1)});
  ASSERT_TRUE(over);
  EXPECT_EQ((*over)->as_i32(), -1);
  auto exact = instance->call("river_test_grow", {Value::i32(room)});
  ASSERT_TRUE(exact);
  EXPECT_EQ((*exact)->as_i32(), pages);
  // The helpers see the grown memory.
  EXPECT_EQ(instance->memory_size(), std::size_t{4} << 20);
  EXPECT_TRUE(instance->write_u32((4u << 20) - 4, 1));
}

TEST(WasmEngine, ModuleTooLargeForCapIsRefused) {
  auto module = Module::compile(read_plugin("add_header"), {.max_memory_bytes = 65536});
  ASSERT_FALSE(module);
  EXPECT_EQ(module.error().kind, ErrorKind::Config);
}

TEST(WasmEngine, WorkersShareOneModule) {
  auto module = compile_plugin("add_header");
  ASSERT_TRUE(module);
  constexpr int kWorkers = 2;
  constexpr int kCalls = 200;
  std::vector<int> added(kWorkers, 0);
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      FakeHost host;
      auto instance = instantiate(module, host);
      if (!instance) {
        return;
      }
      for (int i = 0; i < kCalls; ++i) {
        if (!instance->call("proxy_on_request_headers",
                            {Value::i32(i + 2), Value::i32(1), Value::i32(1)})) {
          return;
        }
      }
      added[static_cast<std::size_t>(w)] = static_cast<int>(host.added.size());
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }
  for (int count : added) {
    EXPECT_EQ(count, kCalls);
  }
}

}  // namespace
}  // namespace river::wasm

namespace river::wasm {
namespace {

/// Not a benchmark, but keeps an eye on the costs docs/plugins.md quotes; prints them and fails
/// only on a regression by an order of magnitude.
TEST(WasmEngine, CostsStayInExpectedRange) {
  auto module = compile_plugin("add_header");
  ASSERT_TRUE(module);
  FakeHost host;

  constexpr int kInstances = 20;
  auto start = steady_clock::now();
  for (int i = 0; i < kInstances; ++i) {
    ASSERT_TRUE(Instance::create(module, host.imports(), {}));
  }
  auto per_instance = (steady_clock::now() - start) / kInstances;

  auto instance = instantiate(module, host);
  ASSERT_TRUE(instance);
  constexpr int kCalls = 20000;
  start = steady_clock::now();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(instance->call("river_test_add64", {Value::i64(i), Value::i64(1)}));
  }
  auto per_call = (steady_clock::now() - start) / kCalls;

  constexpr int kRequests = 5000;
  start = steady_clock::now();
  for (int i = 0; i < kRequests; ++i) {
    host.logs.clear();
    host.added.clear();
    ASSERT_TRUE(instance->call("proxy_on_request_headers",
                               {Value::i32(2), Value::i32(1), Value::i32(1)}));
  }
  auto per_request = (steady_clock::now() - start) / kRequests;

  using std::chrono::nanoseconds;
  auto ns = [](auto d) { return std::chrono::duration_cast<nanoseconds>(d).count(); };
  std::printf("wasm costs: instance (isolate + instantiate) %lld us, call %lld ns, "
              "proxy_on_request_headers with 4 host calls %lld ns\n",
              static_cast<long long>(ns(per_instance) / 1000), static_cast<long long>(ns(per_call)),
              static_cast<long long>(ns(per_request)));
  EXPECT_LT(per_instance, std::chrono::milliseconds(100));
  EXPECT_LT(per_call, std::chrono::microseconds(20));
  EXPECT_LT(per_request, std::chrono::microseconds(100));
}

}  // namespace
}  // namespace river::wasm
