// [[plugin]] tables and `plugins = [...]` on services.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"

namespace river::config {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr std::string_view kServiceWithPlugins = R"([[service]]
name = "web"
listen = ["127.0.0.1:8080"]
upstream = ["127.0.0.1:9000"]
plugins = ["b", "a"]
)";

std::string load_error(std::string_view text) {
  auto result = load_string(text, "river.toml");
  if (result) {
    ADD_FAILURE() << "expected an error loading:\n" << text;
    return "";
  }
  return result.error().context;
}

TEST(PluginConfig, LoadsTablesWithDefaultsAndOrder) {
  auto result = load_string(std::string(kServiceWithPlugins) + R"(
[[plugin]]
name = "a"
path = "a.wasm"

[[plugin]]
name = "b"
path = "b.wasm"
configuration = "x=y"
root_id = "root"
max_memory_bytes = 1048576
cpu_budget = "5ms"
fail_open = true
max_body_bytes = 4096
)",
                            "river.toml");
  ASSERT_TRUE(result) << result.error().context;
  const auto& config = **result;
  ASSERT_EQ(config.plugins.size(), 2u);
  EXPECT_EQ(config.services[0].plugins, (std::vector<std::string>{"b", "a"}));

  const auto& a = config.plugins[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.path, "a.wasm");
  EXPECT_EQ(a.configuration, "");
  EXPECT_EQ(a.max_memory_bytes, 64u << 20);
  EXPECT_EQ(a.cpu_budget, 50ms);
  EXPECT_FALSE(a.fail_open);
  EXPECT_EQ(a.max_body_bytes, 1u << 20);
  EXPECT_EQ(a.path_origin, "river.toml:9");

  const auto& b = config.plugins[1];
  EXPECT_EQ(b.configuration, "x=y");
  EXPECT_EQ(b.root_id, "root");
  EXPECT_EQ(b.max_memory_bytes, 1u << 20);
  EXPECT_EQ(b.cpu_budget, 5ms);
  EXPECT_TRUE(b.fail_open);
  EXPECT_EQ(b.max_body_bytes, 4096u);
}

TEST(PluginConfig, RejectsUnknownPluginName) {
  const std::string text =
      std::string(kServiceWithPlugins) + "[[plugin]]\nname = \"a\"\npath = \"a\"\n";
  EXPECT_EQ(load_error(text),
            "river.toml:5: service[0].plugins[0]: unknown plugin \"b\": no [[plugin]] table has "
            "that name");
}

TEST(PluginConfig, RejectsMissingKeysDuplicatesAndBadValues) {
  const std::string service = "[[service]]\nname = \"w\"\nlisten = [\"127.0.0.1:1\"]\n"
                              "upstream = [\"127.0.0.1:2\"]\n";
  EXPECT_THAT(load_error(service + "[[plugin]]\nname = \"a\"\n"),
              HasSubstr("plugin[0].path: missing"));
  EXPECT_THAT(load_error(service + "[[plugin]]\npath = \"a.wasm\"\n"),
              HasSubstr("plugin[0].name: missing"));
  EXPECT_THAT(load_error(service + "[[plugin]]\nname = \"a\"\npath = \"x\"\n"
                                   "[[plugin]]\nname = \"a\"\npath = \"y\"\n"),
              HasSubstr("river.toml:9: plugin[1].name: duplicate plugin name \"a\""));
  EXPECT_THAT(load_error(service + "[[plugin]]\nname = \"a\"\npath = \"x\"\ncpu_budget = 0\n"),
              HasSubstr("plugin[0].cpu_budget"));
  EXPECT_THAT(load_error(service + "[[plugin]]\nname = \"a b\"\npath = \"x\"\n"),
              HasSubstr("plugin[0].name"));
  EXPECT_THAT(
      load_error(service + "[[plugin]]\nname = \"a\"\npath = \"x\"\nmax_memory_bytes = 100\n"),
      HasSubstr("plugin[0].max_memory_bytes"));
  EXPECT_THAT(load_error(service + "[[plugin]]\nname = \"a\"\npath = \"x\"\nfail_opn = true\n"),
              HasSubstr("plugin[0].fail_opn: unknown key (did you mean 'fail_open'?)"));
}

TEST(PluginConfig, RejectsPluginsOnFileServices) {
  EXPECT_THAT(load_error("[[service]]\nname = \"f\"\nlisten = [\"127.0.0.1:1\"]\n"
                         "plugins = [\"a\"]\n[service.files]\nroot = \"/srv\"\n"
                         "[[plugin]]\nname = \"a\"\npath = \"x\"\n"),
              HasSubstr("river.toml:4: service[0].plugins: plugins run on proxy services only"));
}

TEST(PluginConfig, RejectsPluginsWithHttp2Upstreams) {
  EXPECT_THAT(load_error("[[service]]\nname = \"w\"\nlisten = [\"127.0.0.1:1\"]\n"
                         "upstream = [\"127.0.0.1:2\"]\nupstream_protocol = \"h2\"\n"
                         "plugins = [\"a\"]\n[[plugin]]\nname = \"a\"\npath = \"x\"\n"),
              HasSubstr("river.toml:6: service[0].plugins: plugins run only with HTTP/1.1 "
                        "upstreams for now"));
}

}  // namespace
}  // namespace river::config
