// The proxy-wasm host with the example plugins: loading checks, the root context, each
// stream callback and the host functions they use, faults and their isolation.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "wasm/plugin.h"
#include "wasm/shared_state.h"

namespace river::wasm {
namespace {

std::vector<std::uint8_t> read_plugin(const std::string& name) {
  std::ifstream in(std::string(RIVER_PLUGIN_DIR) + "/" + name + ".wasm", std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::shared_ptr<const Plugin> load(const std::string& name, PluginOptions options = {}) {
  options.name = name;
  auto plugin = Plugin::load(options, read_plugin(name));
  EXPECT_TRUE(plugin) << (plugin ? "" : plugin.error().context);
  return plugin ? *plugin : nullptr;
}

std::shared_ptr<PluginVm> start(std::shared_ptr<const Plugin> plugin) {
  auto vm = PluginVm::create(std::move(plugin));
  EXPECT_TRUE(vm) << (vm ? "" : vm.error().context);
  return vm ? *vm : nullptr;
}

StreamInfo info() {
  return StreamInfo{.client_address = "127.0.0.1",
                    .scheme = "http",
                    .protocol = "HTTP/1.1",
                    .service = "web",
                    .request_id = 7};
}

http::RequestHead request(std::string target = "/") {
  http::RequestHead head;
  head.method = "GET";
  head.target = std::move(target);
  head.headers.add("Host", "example.test");
  head.headers.add("User-Agent", "unit/1");
  return head;
}

using Outcome = HttpStream::Outcome;

TEST(WasmPlugin, LoadRefusesModulesOutsideTheAbi) {
  // A valid module that exports only its memory.
  const std::vector<std::uint8_t> memory_only = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
                                                 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x0a, 0x01,
                                                 0x06, 'm',  'e',  'm',  'o',  'r',  'y',  0x02,
                                                 0x00};
  auto refused = Plugin::load({.name = "m"}, memory_only);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::Config);
  EXPECT_NE(refused.error().context.find("proxy_on_memory_allocate"), std::string::npos);

  auto garbage = Plugin::load({.name = "g"}, std::vector<std::uint8_t>{1, 2, 3});
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().kind, ErrorKind::Config);

  auto missing = Plugin::load_file({.name = "x"}, "/nonexistent/x.wasm");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().context.find("cannot open /nonexistent/x.wasm"), std::string::npos);
}

TEST(WasmPlugin, KnowsWhichCallbacksAModuleExports) {
  auto plugin = load("add_header");
  ASSERT_TRUE(plugin);
  EXPECT_TRUE(plugin->exports(kOnRequestHeaders));
  EXPECT_TRUE(plugin->exports(kOnResponseHeaders));
  EXPECT_FALSE(plugin->exports(kOnResponseBody));
}

TEST(WasmPlugin, AddsHeadersBothWays) {
  auto vm = start(load("add_header"));
  ASSERT_TRUE(vm);
  HttpStream stream(vm, info());
  auto head = request();
  EXPECT_EQ(stream.on_request_headers(head, true), Outcome::Continue);
  EXPECT_EQ(head.headers.get("x-river-plugin"), "add_header");
  http::ResponseHead response;
  EXPECT_EQ(stream.on_response_headers(response, false), Outcome::Continue);
  EXPECT_EQ(response.headers.get("x-river-plugin"), "add_header");
  stream.finish();
}

TEST(WasmPlugin, LocalResponseWithHeadersAndBody) {
  auto vm = start(load("deny_path", {.configuration = "/admin"}));
  ASSERT_TRUE(vm);
  HttpStream denied(vm, info());
  auto head = request("/admin/x");
  ASSERT_EQ(denied.on_request_headers(head, true), Outcome::Respond);
  EXPECT_EQ(denied.local_response().status, 403);
  EXPECT_EQ(denied.local_response().body, "forbidden by plugin deny_path\n");
  EXPECT_EQ(denied.local_response().headers, (abi::Pairs{{"x-denied-by", "deny_path"}}));

  HttpStream allowed(vm, info());
  auto other = request("/public");
  EXPECT_EQ(allowed.on_request_headers(other, true), Outcome::Continue);
}

TEST(WasmPlugin, ConfigurationRefusedAtStart) {
  auto vm = PluginVm::create(load("deny_path", {.configuration = "no-slash"}));
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().kind, ErrorKind::Config);
  EXPECT_NE(vm.error().context.find("proxy_on_configure"), std::string::npos);
}

TEST(WasmPlugin, BuffersAndRewritesBodies) {
  auto vm = start(load("rewrite_body", {.configuration = "ab=XYZ"}));
  ASSERT_TRUE(vm);
  HttpStream stream(vm, info());
  std::string body = "xa";
  EXPECT_EQ(stream.on_response_body(body, false), Outcome::Pause);
  body += "b-ab";
  EXPECT_EQ(stream.on_response_body(body, true), Outcome::Continue);
  EXPECT_EQ(body, "xXYZ-XYZ");
}

TEST(WasmPlugin, InspectSeesPropertiesPairsAndTrailers) {
  auto vm = start(load("inspect"));
  ASSERT_TRUE(vm);
  {
    HttpStream stream(vm, info());
    auto head = request("/p?q=1");
    head.headers.add("X-Replace-Me", "a");
    head.headers.add("X-Remove-Me", "b");
    ASSERT_EQ(stream.on_request_headers(head, false), Outcome::Continue);
    const auto& h = head.headers;
    EXPECT_EQ(h.get("x-prop-path"), "/p?q=1");
    EXPECT_EQ(h.get("x-prop-method"), "GET");
    EXPECT_EQ(h.get("x-prop-host"), "example.test");
    EXPECT_EQ(h.get("x-prop-scheme"), "http");
    EXPECT_EQ(h.get("x-prop-protocol"), "HTTP/1.1");
    EXPECT_EQ(h.get("x-prop-source"), "127.0.0.1");
    EXPECT_EQ(h.get("x-prop-plugin"), "inspect");
    EXPECT_EQ(h.get("x-prop-missing"), "(none)");
    EXPECT_EQ(h.get("x-set-by-pairs"), "yes");
    EXPECT_EQ(h.get("x-replace-me"), "replaced");
    EXPECT_FALSE(h.contains("x-remove-me"));
    EXPECT_FALSE(h.contains("x-bad"));
    EXPECT_EQ(h.get("x-bad-status"), "2");         // BAD_ARGUMENT for CR LF in a value
    EXPECT_EQ(h.get("x-http-call-status"), "12");  // UNIMPLEMENTED
    EXPECT_EQ(h.get("x-time-ok"), "1");
    // The pseudo-headers are in the pairs: 4 of them plus Host and User-Agent, X-Replace-Me,
    // X-Remove-Me and the 8 x-prop-* fields and x-num-headers added before.
    EXPECT_EQ(h.get("x-pair-count"), "17");
    EXPECT_EQ(head.target, "/p?q=1");  // pseudo-headers set back unchanged

    std::string body = "abc";
    EXPECT_EQ(stream.on_request_body(body, false), Outcome::Pause);
    EXPECT_EQ(stream.on_request_body(body, true), Outcome::Continue);
    EXPECT_EQ(body, "abc +inspected");

    http::HeaderMap trailers;
    trailers.add("x-client", "1");
    EXPECT_EQ(stream.on_request_trailers(trailers), Outcome::Continue);
    EXPECT_EQ(trailers.get("x-trailer-seen"), "1");

    http::ResponseHead response;
    response.status = 404;
    EXPECT_EQ(stream.on_response_headers(response, true), Outcome::Continue);
    EXPECT_EQ(response.headers.get("x-upstream-status"), "404");
    EXPECT_EQ(response.headers.get("x-response-code"), "404");
    EXPECT_EQ(response.headers.get("x-request-agent"), "unit/1");
  }  // finish(): done, log, delete
  std::uint64_t done = 0;
  std::uint64_t deleted = 0;
  for (const auto& metric : PluginMetrics::instance().snapshot()) {
    if (metric.name == "inspect_done") done = metric.value;
    if (metric.name == "inspect_delete") deleted = metric.value;
  }
  EXPECT_EQ(done, 1u);
  EXPECT_EQ(deleted, 1u);
}

TEST(WasmPlugin, BadGuestPointerIsAnErrorStatusNotACrash) {
  auto vm = start(load("trap"));
  ASSERT_TRUE(vm);
  auto status = vm->instance_for_testing().call("river_test_bad_pointer", {});
  ASSERT_TRUE(status) << status.error().context;
  EXPECT_EQ((*status)->as_u32(), static_cast<std::uint32_t>(abi::Status::InvalidMemoryAccess));
}

TEST(WasmPlugin, TrapFailsTheStreamAndBreaksTheInstance) {
  auto plugin = load("trap");
  auto vm = start(plugin);
  ASSERT_TRUE(vm);
  HttpStream stream(vm, info());
  auto head = request();
  EXPECT_EQ(stream.on_request_headers(head, true), Outcome::Failed);
  EXPECT_NE(stream.failure().find("unreachable"), std::string::npos) << stream.failure();
  EXPECT_TRUE(vm->is_broken());

  // The next request on this thread gets a fresh instance.
  auto fresh = PluginVm::for_this_thread(plugin);
  ASSERT_TRUE(fresh);
  auto again = PluginVm::for_this_thread(plugin);
  ASSERT_TRUE(again);
  EXPECT_EQ(fresh->get(), again->get());
  EXPECT_FALSE((*fresh)->is_broken());
}

TEST(WasmPlugin, FailOpenPassesTheRequestOn) {
  auto vm = start(load("trap", {.fail_open = true}));
  ASSERT_TRUE(vm);
  HttpStream stream(vm, info());
  auto head = request();
  EXPECT_EQ(stream.on_request_headers(head, true), Outcome::Continue);
  EXPECT_FALSE(stream.failure().empty());
  http::ResponseHead response;
  EXPECT_EQ(stream.on_response_headers(response, true), Outcome::Continue);
}

TEST(WasmPlugin, EndlessCallbackStopsAtItsBudget) {
  auto vm = start(load("endless", {.cpu_budget = std::chrono::milliseconds(10)}));
  ASSERT_TRUE(vm);
  HttpStream stream(vm, info());
  auto head = request();
  EXPECT_EQ(stream.on_request_headers(head, true), Outcome::Failed);
  EXPECT_NE(stream.failure().find("CPU-time budget"), std::string::npos) << stream.failure();
}

TEST(WasmPlugin, AssemblyScriptSdkPluginRuns) {
  auto plugin = load("sdk_headers", {.root_id = "sdk_headers", .configuration = "conf"});
  if (!plugin) {
    GTEST_SKIP() << "sdk_headers.wasm not built";
  }
  auto vm = start(plugin);
  ASSERT_TRUE(vm);
  HttpStream stream(vm, info());
  auto head = request("/a");
  ASSERT_EQ(stream.on_request_headers(head, true), Outcome::Continue) << stream.failure();
  EXPECT_EQ(head.headers.get("x-sdk-path"), "/a");
  http::ResponseHead response;
  EXPECT_EQ(stream.on_response_headers(response, true), Outcome::Continue);
  EXPECT_EQ(response.headers.get("x-river-sdk"), "conf");
}

}  // namespace
}  // namespace river::wasm
