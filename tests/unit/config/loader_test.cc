#include "config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace river::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

/// Loads `text` as "river.toml" and returns the error message, failing the test if it loads.
std::string load_error(std::string_view text) {
  auto result = load_string(text, "river.toml");
  if (result) {
    ADD_FAILURE() << "expected an error loading:\n" << text;
    return "";
  }
  EXPECT_EQ(result.error().kind, ErrorKind::Config);
  EXPECT_EQ(result.error().side, Side::Config);
  return result.error().context;
}

/// Loads `text`, failing the test with the message if it does not load.
ConfigPtr load_ok(std::string_view text) {
  auto result = load_string(text, "river.toml");
  if (!result) {
    ADD_FAILURE() << result.error().context << "\nloading:\n" << text;
    return nullptr;
  }
  return *result;
}

/// A valid service whose first line is line 1, for tests to append tables to.
constexpr std::string_view kService = R"([[service]]
name = "web"
listen = ["127.0.0.1:8080"]
upstream = ["127.0.0.1:9000"]
)";

std::string with_service(std::string_view more) {
  return std::string(kService) + std::string(more);
}

// --- What loads ------------------------------------------------------------------------------

TEST(ConfigLoader, LoadsSmallestConfigFromDesign) {
  const auto config = load_ok(R"([[service]]
name = "web"
listen = ["0.0.0.0:8080"]
upstream = ["127.0.0.1:9000", "127.0.0.1:9001"]
)");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->path, "river.toml");
  EXPECT_EQ(config->system, SystemConfig{});
  ASSERT_EQ(config->services.size(), 1u);
  const auto& service = config->services[0];
  EXPECT_EQ(service.name, "web");
  EXPECT_EQ(service.listen, std::vector<std::string>{"0.0.0.0:8080"});
  EXPECT_EQ(service.upstream, (std::vector<std::string>{"127.0.0.1:9000", "127.0.0.1:9001"}));
  EXPECT_FALSE(service.has_files);
  EXPECT_EQ(service.files, FilesConfig{});
  EXPECT_EQ(service.limits, LimitsConfig{});
  EXPECT_EQ(service.timeouts, TimeoutsConfig{});
  EXPECT_EQ(service.pool, PoolConfig{});
  EXPECT_EQ(service.forwarding, ForwardingConfig{});
  EXPECT_EQ(service.origin, "river.toml:1");
}

TEST(ConfigLoader, LoadsEveryKey) {
  const auto config = load_ok(R"([system]
threads = 4
shutdown_grace = "3s"
access_log = "/var/log/river/access.log"
log_level = "debug"

[[service]]
name = "web"
listen = ["127.0.0.1:8080", "[::1]:8080", "unix:/tmp/river.sock"]
upstream = ["127.0.0.1:9000", "backend.internal:9001"]

[service.limits]
max_request_line_bytes = 1000
max_header_bytes = 2000
max_header_count = 30
max_request_body_bytes = 4000

[service.timeouts]
connect = "250ms"
response_header = "2s"
upstream_read_idle = "3s"
request_header = "4s"
request_body_idle = "5s"
keepalive = "1m"
downstream_write_idle = "1h"

[service.pool]
idle_timeout = "90s"
max_idle_per_peer = 7

[service.forwarding]
trusted_proxies = ["10.0.0.0/8", "127.0.0.1", "fd00::/8"]
add_via = false

[[service]]
name = "site"
listen = ["127.0.0.1:9000"]

[service.files]
root = "examples/site"
index = ["index.htm", "default.html"]
)");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->system.threads, 4u);
  EXPECT_EQ(config->system.shutdown_grace, 3s);
  EXPECT_EQ(config->system.access_log, "/var/log/river/access.log");
  EXPECT_EQ(config->system.log_level, "debug");
  ASSERT_EQ(config->services.size(), 2u);

  const auto& web = config->services[0];
  EXPECT_EQ(web.listen,
            (std::vector<std::string>{"127.0.0.1:8080", "[::1]:8080", "unix:/tmp/river.sock"}));
  EXPECT_EQ(web.upstream, (std::vector<std::string>{"127.0.0.1:9000", "backend.internal:9001"}));
  EXPECT_EQ(web.limits.max_request_line_bytes, 1000u);
  EXPECT_EQ(web.limits.max_header_bytes, 2000u);
  EXPECT_EQ(web.limits.max_header_count, 30u);
  EXPECT_EQ(web.limits.max_request_body_bytes, 4000u);
  EXPECT_EQ(web.timeouts.connect, 250ms);
  EXPECT_EQ(web.timeouts.response_header, 2s);
  EXPECT_EQ(web.timeouts.upstream_read_idle, 3s);
  EXPECT_EQ(web.timeouts.request_header, 4s);
  EXPECT_EQ(web.timeouts.request_body_idle, 5s);
  EXPECT_EQ(web.timeouts.keepalive, 1min);
  EXPECT_EQ(web.timeouts.downstream_write_idle, 1h);
  EXPECT_EQ(web.pool.idle_timeout, 90s);
  EXPECT_EQ(web.pool.max_idle_per_peer, 7u);
  EXPECT_EQ(web.forwarding.trusted_proxies,
            (std::vector<std::string>{"10.0.0.0/8", "127.0.0.1", "fd00::/8"}));
  EXPECT_FALSE(web.forwarding.add_via);
  EXPECT_FALSE(web.has_files);
  EXPECT_EQ(web.origin, "river.toml:7");

  const auto& site = config->services[1];
  EXPECT_EQ(site.name, "site");
  EXPECT_TRUE(site.has_files);
  EXPECT_TRUE(site.upstream.empty());
  EXPECT_EQ(site.files.root, "examples/site");
  EXPECT_EQ(site.files.index, (std::vector<std::string>{"index.htm", "default.html"}));
  EXPECT_EQ(site.limits, LimitsConfig{});
  EXPECT_EQ(site.origin, "river.toml:35");
}

TEST(ConfigLoader, FilesServiceKeepsDefaultIndex) {
  const auto config = load_ok(R"([[service]]
name = "site"
listen = ["127.0.0.1:9000"]
[service.files]
root = "/srv/www"
)");
  ASSERT_TRUE(config);
  EXPECT_TRUE(config->services[0].has_files);
  EXPECT_EQ(config->services[0].files.index, std::vector<std::string>{"index.html"});
}

TEST(ConfigLoader, AcceptsBoundaryValues) {
  const auto ok = load_ok(R"([system]
threads = 1024
log_level = "off"
access_log = "off"
[[service]]
name = "a-b_c.1"
listen = ["0.0.0.0:0", "unix:relative.sock"]
upstream = ["[::1]:65535"]
[service.limits]
max_request_body_bytes = 0
[service.pool]
max_idle_per_peer = 0
[service.timeouts]
connect = "1ms"
keepalive = "8760h"
[service.forwarding]
trusted_proxies = []
)");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->system.threads, 1024u);
  EXPECT_EQ(ok->system.log_level, "off");
  EXPECT_EQ(ok->services[0].limits.max_request_body_bytes, 0u);
  EXPECT_EQ(ok->services[0].pool.max_idle_per_peer, 0u);
  EXPECT_EQ(ok->services[0].timeouts.connect, 1ms);
  EXPECT_EQ(ok->services[0].timeouts.keepalive, 8760h);
}

TEST(ConfigLoader, AcceptsInlineTables) {
  // The same structure written with inline tables is the same configuration.
  const auto config =
      load_ok(R"(service = [{ name = "web", listen = ["127.0.0.1:1"], upstream = ["127.0.0.1:2"],)"
              R"( timeouts = { connect = "1s" } }])");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->services[0].timeouts.connect, 1s);
  EXPECT_EQ(config->services[0].origin, "river.toml:1");
}

TEST(ConfigLoader, SetsOriginOfEachService) {
  const auto config = load_ok(R"(# comment

[[service]]
name = "a"
listen = ["127.0.0.1:1"]
upstream = ["127.0.0.1:2"]
[service.limits]
max_header_count = 5

[[service]]
name = "b"
listen = ["127.0.0.1:3"]
upstream = ["127.0.0.1:4"]
)");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->services[0].origin, "river.toml:3");
  EXPECT_EQ(config->services[1].origin, "river.toml:10");
}

// --- The default configuration ----------------------------------------------------------------

TEST(ConfigDefaults, DefaultTextLoadsWithTheDefaultsOfConfigH) {
  const auto config = load_ok(default_config_text());
  ASSERT_TRUE(config);
  EXPECT_EQ(config->system, SystemConfig{});
  ASSERT_EQ(config->services.size(), 1u);
  const auto& service = config->services[0];
  EXPECT_EQ(service.name, "web");
  EXPECT_EQ(service.listen, std::vector<std::string>{"127.0.0.1:8080"});
  EXPECT_EQ(service.upstream, std::vector<std::string>{"127.0.0.1:9000"});
  EXPECT_FALSE(service.has_files);
  EXPECT_EQ(service.limits, LimitsConfig{});
  EXPECT_EQ(service.timeouts, TimeoutsConfig{});
  EXPECT_EQ(service.pool, PoolConfig{});
  EXPECT_EQ(service.forwarding, ForwardingConfig{});
}

TEST(ConfigDefaults, DefaultTextShowsEveryKeyExplicitly) {
  // Each key must be written out, not merely defaulted by its absence: drop a key's line
  // and change its default in config.h, and the test above would not notice.
  const auto text = default_config_text();
  for (const char* key : {"threads =",
                          "shutdown_grace =",
                          "access_log =",
                          "log_level =",
                          "name =",
                          "listen =",
                          "upstream =",
                          "max_request_line_bytes =",
                          "max_header_bytes =",
                          "max_header_count =",
                          "max_request_body_bytes =",
                          "min_request_body_rate =",
                          "connect =",
                          "response_header =",
                          "upstream_read_idle =",
                          "request_header =",
                          "request_body_idle =",
                          "keepalive =",
                          "downstream_write_idle =",
                          "idle_timeout =",
                          "max_idle_per_peer =",
                          "trusted_proxies =",
                          "add_via =",
                          "# root =",
                          "# index ="}) {
    EXPECT_THAT(text, HasSubstr(std::string("\n") + key)) << key;
  }
}

TEST(ConfigDefaults, CommentedFilesServiceLoadsWhenUncommented) {
  const auto text = default_config_text();
  const auto start = text.find("\n# [[service]]\n");
  ASSERT_NE(start, std::string::npos);

  // Remove the "# " from every line of the example, which is all TOML.
  std::string uncommented = text.substr(0, start + 1);
  std::istringstream example(text.substr(start + 1));
  for (std::string line; std::getline(example, line);) {
    ASSERT_TRUE(line.starts_with("#")) << line;
    uncommented += line.substr(line.starts_with("# ") ? 2 : 1) + "\n";
  }

  const auto config = load_ok(uncommented);
  ASSERT_TRUE(config);
  ASSERT_EQ(config->services.size(), 2u);
  const auto& site = config->services[1];
  EXPECT_EQ(site.name, "site");
  EXPECT_TRUE(site.has_files);
  EXPECT_EQ(site.files.root, "examples/site");
  EXPECT_EQ(site.files.index, FilesConfig{}.index);
}

TEST(ConfigDefaults, CommentedTlsTablesLoadWithTheDefaultsOfConfigH) {
  // Uncomments the TOML lines (not the prose) of the TLS examples inside the first service.
  const auto text = default_config_text();
  const auto start = text.find("# [[service.listener]]");
  const auto end = text.find("# A service serving files");
  ASSERT_NE(start, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const std::regex toml_line(R"(^# (\[|[a-z_0-9]+ = |  \{|\]))");
  std::string uncommented = text.substr(0, start);
  std::istringstream example(text.substr(start, end - start));
  for (std::string line; std::getline(example, line);) {
    uncommented += (std::regex_search(line, toml_line) ? line.substr(2) : line) + "\n";
  }

  const auto config = load_ok(uncommented);
  ASSERT_TRUE(config);
  const auto& web = config->services.at(0);
  ASSERT_EQ(web.listeners.size(), 1u);
  const auto& listener = web.listeners[0];
  EXPECT_EQ(listener.address, "127.0.0.1:8443");
  EXPECT_TRUE(listener.serves_h2());
  ASSERT_TRUE(listener.has_tls);
  ListenerTlsConfig expected_tls;
  expected_tls.certificates = {{"examples/tls/localhost.crt", "examples/tls/localhost.key"}};
  EXPECT_EQ(listener.tls, expected_tls);
  ASSERT_TRUE(web.has_upstream_tls);
  EXPECT_EQ(web.upstream_tls, UpstreamTlsConfig{});
}

TEST(ConfigLoader, ReadsListenerAndUpstreamTls) {
  const auto config = load_ok(R"(
[[service]]
name = "web"
upstream = ["backend.internal:443"]

[[service.listener]]
address = "127.0.0.1:8443"
h2 = false

[service.listener.tls]
certificates = [{ certificate = "a.crt", key = "a.key" }, { certificate = "b.crt", key = "b.key" }]
min_version = "1.3"
session_tickets = false
ticket_key_rotation = "10m"

[[service.listener]]
address = "127.0.0.1:8080"

[service.upstream_tls]
sni = "backend.example"
verify = false
client_certificate = "c.crt"
client_key = "c.key"
)");
  ASSERT_TRUE(config);
  const auto& web = config->services.at(0);
  EXPECT_TRUE(web.listen.empty());
  ASSERT_EQ(web.listeners.size(), 2u);
  EXPECT_FALSE(web.listeners[0].serves_h2());
  EXPECT_EQ(web.listeners[0].tls.certificates.size(), 2u);
  EXPECT_EQ(web.listeners[0].tls.min_version, "1.3");
  EXPECT_FALSE(web.listeners[0].tls.session_tickets);
  EXPECT_EQ(web.listeners[0].tls.ticket_key_rotation, std::chrono::minutes(10));
  EXPECT_FALSE(web.listeners[1].has_tls);
  EXPECT_FALSE(web.listeners[1].serves_h2()) << "h2c is off by default without TLS";
  EXPECT_EQ(web.upstream_tls.sni, "backend.example");
  EXPECT_FALSE(web.upstream_tls.verify);
  EXPECT_EQ(web.upstream_tls.client_key, "c.key");
}

TEST(ConfigLoader, ReportsTlsMistakesWithLineAndKey) {
  EXPECT_EQ(load_error("[[service]]\nname = \"w\"\nupstream = [\"127.0.0.1:2\"]\n"
                       "[[service.listener]]\naddress = \"127.0.0.1:1\"\n[service.listener.tls]\n"
                       "min_version = \"1.1\"\n"),
            "river.toml:6: service[0].listener[0].tls.certificates: missing (required)\n"
            "river.toml:7: service[0].listener[0].tls.min_version: \"1.1\": expected \"1.2\" or "
            "\"1.3\" (older versions are not offered)");
  EXPECT_EQ(load_error("[[service]]\nname = \"w\"\nupstream = [\"127.0.0.1:2\"]\n"
                       "[[service.listener]]\naddress = \"127.0.0.1:1\"\n"
                       "[[service.listener]]\naddress = \"127.0.0.1:1\"\n"),
            "river.toml:7: service[0].listener[1].address: \"127.0.0.1:1\" listens on the same "
            "address as service[0].listener[0].address at river.toml:5");
}

// --- Syntax, unknown keys and types ---------------------------------------------------------

TEST(ConfigLoader, ReportsSyntaxErrorWithLineAndColumn) {
  const auto error = load_error("[system]\nthreads = = 4\n");
  EXPECT_THAT(error, StartsWith("river.toml:2:11: invalid TOML: "));
}

TEST(ConfigLoader, ReportsDuplicateKeyAsSyntaxError) {
  const auto error = load_error(with_service("name = \"again\"\n"));
  EXPECT_THAT(error, StartsWith("river.toml:5:"));
  EXPECT_THAT(error, HasSubstr("invalid TOML"));
}

TEST(ConfigLoader, RejectsUnknownKeyWithSuggestion) {
  const auto error = load_error(with_service("[service.timeouts]\nconect = \"5s\"\n"));
  EXPECT_EQ(error,
            "river.toml:6: service[0].timeouts.conect: unknown key (did you mean 'connect'?)");
}

TEST(ConfigLoader, RejectsUnknownKeyInEveryTable) {
  EXPECT_EQ(load_error("[system]\ntreads = 2\n" + with_service("")),
            "river.toml:2: system.treads: unknown key (did you mean 'threads'?)");
  EXPECT_EQ(load_error(with_service("upstreams = [\"127.0.0.1:1\"]\n")),
            "river.toml:5: service[0].upstreams: unknown key (did you mean 'upstream'?)");
  EXPECT_EQ(load_error(with_service("[service.limits]\nmax_header_byte = 1\n")),
            "river.toml:6: service[0].limits.max_header_byte: unknown key "
            "(did you mean 'max_header_bytes'?)");
  EXPECT_EQ(load_error(with_service("[service.pool]\nidle_timeout_s = 1\n")),
            "river.toml:6: service[0].pool.idle_timeout_s: unknown key "
            "(did you mean 'idle_timeout'?)");
  EXPECT_EQ(load_error(with_service("[service.forwarding]\nAdd_Via = true\n")),
            "river.toml:6: service[0].forwarding.Add_Via: unknown key "
            "(did you mean 'add_via'?)");
  EXPECT_EQ(load_error("[[service]]\nname = \"s\"\nlisten = [\"127.0.0.1:1\"]\n"
                       "[service.files]\nroot = \"/srv\"\nindexes = []\n"),
            "river.toml:6: service[0].files.indexes: unknown key (did you mean 'index'?)");
  EXPECT_EQ(load_error(with_service("[server]\n")),
            "river.toml:5: server: unknown key (expected one of: system, service, plugin)");
}

TEST(ConfigLoader, UnknownKeyFarFromAnyListsTheKnownKeys) {
  const auto error = load_error("[system]\nbanana = 1\n" + with_service(""));
  EXPECT_EQ(error,
            "river.toml:2: system.banana: unknown key (expected one of: threads, "
            "shutdown_grace, access_log, log_level)");
}

TEST(ConfigLoader, RejectsWrongTypes) {
  EXPECT_EQ(load_error("[system]\nthreads = \"4\"\n" + with_service("")),
            "river.toml:2: system.threads: expected an integer, got string");
  EXPECT_EQ(load_error("[system]\nthreads = 1.5\n" + with_service("")),
            "river.toml:2: system.threads: expected an integer, got float");
  EXPECT_EQ(load_error("[system]\nlog_level = 3\n" + with_service("")),
            "river.toml:2: system.log_level: expected a string, got integer");
  EXPECT_EQ(load_error("system = 3\n" + with_service("")),
            "river.toml:1: system: expected a table, got integer");
  EXPECT_EQ(load_error(with_service("limits = 5\n")),
            "river.toml:5: service[0].limits: expected a table, got integer");
  EXPECT_EQ(load_error(with_service("[service.forwarding]\nadd_via = \"yes\"\n")),
            "river.toml:6: service[0].forwarding.add_via: expected a boolean (true or false), "
            "got string");
  EXPECT_EQ(load_error(with_service("[service.forwarding]\ntrusted_proxies = \"10.0.0.0/8\"\n")),
            "river.toml:6: service[0].forwarding.trusted_proxies: expected an array of strings, "
            "got string");
}

TEST(ConfigLoader, RejectsWrongTypeOfArrayElement) {
  const auto error = load_error(R"([[service]]
name = "web"
listen = ["127.0.0.1:1",
  8080]
upstream = ["127.0.0.1:9000"]
)");
  EXPECT_EQ(error, "river.toml:4: service[0].listen[1]: expected a string, got integer");
}

// --- Numbers ----------------------------------------------------------------------------------

TEST(ConfigLoader, RejectsThreadsOutOfRange) {
  EXPECT_EQ(load_error("[system]\nthreads = 1025\n" + with_service("")),
            "river.toml:2: system.threads: must be from 0 to 1024, got 1025");
  EXPECT_EQ(load_error("[system]\nthreads = -1\n" + with_service("")),
            "river.toml:2: system.threads: must be from 0 to 1024, got -1");
}

TEST(ConfigLoader, RejectsZeroOrNegativeLimits) {
  for (const char* key : {"max_request_line_bytes", "max_header_bytes", "max_header_count"}) {
    EXPECT_EQ(
        load_error(with_service(std::string("[service.limits]\n") + key + " = 0\n")),
        std::string("river.toml:6: service[0].limits.") + key + ": must be greater than 0, got 0");
    EXPECT_EQ(
        load_error(with_service(std::string("[service.limits]\n") + key + " = -5\n")),
        std::string("river.toml:6: service[0].limits.") + key + ": must be greater than 0, got -5");
  }
}

TEST(ConfigLoader, RejectsNegativeBodyLimitAndIdleCount) {
  EXPECT_EQ(load_error(with_service("[service.limits]\nmax_request_body_bytes = -1\n")),
            "river.toml:6: service[0].limits.max_request_body_bytes: must not be negative, "
            "got -1");
  EXPECT_EQ(load_error(with_service("[service.pool]\nmax_idle_per_peer = -1\n")),
            "river.toml:6: service[0].pool.max_idle_per_peer: must not be negative, got -1");
}

// --- Durations --------------------------------------------------------------------------------

TEST(ConfigLoader, RejectsDurationWithoutUnitNamingTheForm) {
  EXPECT_EQ(load_error(with_service("[service.timeouts]\nconnect = 5\n")),
            "river.toml:6: service[0].timeouts.connect: expected a duration string with a "
            "unit, such as \"250ms\", \"30s\" or \"5m\", got integer");
  EXPECT_THAT(load_error(with_service("[service.timeouts]\nconnect = \"5\"\n")),
              StartsWith("river.toml:6: service[0].timeouts.connect: duration \"5\" has no "
                         "unit: expected a whole number with a unit ms, s, m or h"));
}

TEST(ConfigLoader, RejectsBadDurationInEveryDurationKey) {
  for (const char* key : {"connect", "response_header", "upstream_read_idle", "request_header",
                          "request_body_idle", "keepalive", "downstream_write_idle"}) {
    EXPECT_THAT(load_error(with_service(std::string("[service.timeouts]\n") + key + " = \"5x\"\n")),
                StartsWith(std::string("river.toml:6: service[0].timeouts.") + key +
                           ": duration \"5x\" has an unknown unit"));
  }
  EXPECT_THAT(load_error(with_service("[service.pool]\nidle_timeout = \"1d\"\n")),
              StartsWith("river.toml:6: service[0].pool.idle_timeout: duration \"1d\""));
  EXPECT_THAT(load_error("[system]\nshutdown_grace = 10\n" + with_service("")),
              StartsWith("river.toml:2: system.shutdown_grace: expected a duration string"));
}

TEST(ConfigLoader, RejectsZeroDuration) {
  EXPECT_EQ(load_error(with_service("[service.timeouts]\nkeepalive = \"0s\"\n")),
            "river.toml:6: service[0].timeouts.keepalive: must be greater than 0, got \"0s\"");
  EXPECT_EQ(load_error("[system]\nshutdown_grace = \"0ms\"\n" + with_service("")),
            "river.toml:2: system.shutdown_grace: must be greater than 0, got \"0ms\"");
}

TEST(ConfigLoader, RejectsDurationAboveOneYear) {
  EXPECT_THAT(load_error(with_service("[service.timeouts]\nkeepalive = \"8761h\"\n")),
              StartsWith("river.toml:6: service[0].timeouts.keepalive: duration \"8761h\" is "
                         "too long"));
}

// --- System strings ---------------------------------------------------------------------------

TEST(ConfigLoader, RejectsUnknownLogLevel) {
  EXPECT_EQ(load_error("[system]\nlog_level = \"verbose\"\n" + with_service("")),
            "river.toml:2: system.log_level: \"verbose\": expected one of \"trace\", "
            "\"debug\", \"info\", \"warn\", \"error\", \"off\"");
  // Levels are matched exactly, as written in the reference.
  EXPECT_THAT(load_error("[system]\nlog_level = \"INFO\"\n" + with_service("")),
              StartsWith("river.toml:2: system.log_level: \"INFO\""));
}

TEST(ConfigLoader, RejectsEmptyAccessLog) {
  EXPECT_EQ(load_error("[system]\naccess_log = \"\"\n" + with_service("")),
            "river.toml:2: system.access_log: expected \"-\" (standard output), \"off\" or a "
            "file path");
}

// --- Services ---------------------------------------------------------------------------------

TEST(ConfigLoader, RequiresAtLeastOneService) {
  EXPECT_EQ(load_error("[system]\nthreads = 2\n"),
            "river.toml: service: at least one [[service]] table is required");
  EXPECT_EQ(load_error(""), "river.toml: service: at least one [[service]] table is required");
  EXPECT_EQ(load_error("service = []\n"),
            "river.toml:1: service: at least one [[service]] table is required");
  EXPECT_EQ(load_error("[service]\nname = \"web\"\n"),
            "river.toml:1: service: expected [[service]] tables, got table");
}

TEST(ConfigLoader, RequiresServiceName) {
  EXPECT_EQ(load_error("[[service]]\nlisten = [\"127.0.0.1:1\"]\nupstream = [\"127.0.0.1:2\"]\n"),
            "river.toml:1: service[0].name: missing (required)");
  EXPECT_EQ(load_error("[[service]]\nname = \"\"\nlisten = [\"127.0.0.1:1\"]\n"
                       "upstream = [\"127.0.0.1:2\"]\n"),
            "river.toml:2: service[0].name: must not be empty");
}

TEST(ConfigLoader, RejectsServiceNameUnfitForLogs) {
  EXPECT_EQ(load_error("[[service]]\nname = \"my web\"\nlisten = [\"127.0.0.1:1\"]\n"
                       "upstream = [\"127.0.0.1:2\"]\n"),
            "river.toml:2: service[0].name: \"my web\": may contain only letters, digits, '-', "
            "'_' and '.'");
}

TEST(ConfigLoader, RejectsDuplicateServiceNames) {
  // The second service listens elsewhere, so the name is the only problem.
  std::string second(kService);
  second.replace(second.find("8080"), 4, "8081");
  const auto error = load_error(with_service("\n" + second));
  EXPECT_EQ(error,
            "river.toml:7: service[1].name: duplicate service name \"web\", already used by "
            "service[0] at river.toml:1");
}

TEST(ConfigLoader, RejectsTheSameListenAddressTwiceInOneService) {
  EXPECT_EQ(load_error("[[service]]\nname = \"web\"\n"
                       "listen = [\"127.0.0.1:8080\",\n  \"127.0.0.1:8080\"]\n"
                       "upstream = [\"127.0.0.1:2\"]\n"),
            "river.toml:4: service[0].listen[1]: \"127.0.0.1:8080\" listens on the same address "
            "as service[0].listen[0] at river.toml:3");
}

TEST(ConfigLoader, RejectsTheSameListenAddressInTwoServices) {
  std::string second(kService);
  second.replace(second.find("\"web\""), 5, "\"api\"");
  second.replace(second.find("127.0.0.1:8080"), 14, "0.0.0.0:8080");
  EXPECT_EQ(load_error(with_service("\n" + second)),
            "river.toml:8: service[1].listen[0]: \"0.0.0.0:8080\" listens on the same address as "
            "service[0].listen[0] at river.toml:3");
}

TEST(ConfigLoader, AcceptsDistinctListenAddressesAndRepeatedPortZero) {
  EXPECT_TRUE(load_ok("[[service]]\nname = \"web\"\n"
                      "listen = [\"127.0.0.1:8080\", \"127.0.0.2:8080\", \"127.0.0.1:8081\",\n"
                      "  \"[::1]:8080\", \"127.0.0.1:0\", \"127.0.0.1:0\", \"unix:/tmp/a\"]\n"
                      "upstream = [\"127.0.0.1:2\"]\n"));
}

TEST(ConfigLoader, RequiresListenAddresses) {
  EXPECT_EQ(load_error("[[service]]\nname = \"web\"\nupstream = [\"127.0.0.1:2\"]\n"),
            "river.toml:1: service[0]: needs listen = [\"host:port\", ...] or at least one "
            "[[service.listener]] table");
  EXPECT_EQ(load_error("[[service]]\nname = \"web\"\nlisten = []\nupstream = [\"127.0.0.1:2\"]\n"),
            "river.toml:3: service[0].listen: must list at least one address");
}

TEST(ConfigLoader, RejectsInvalidListenAddress) {
  EXPECT_EQ(load_error("[[service]]\nname = \"web\"\nlisten = [\"127.0.0.1:8080\", "
                       "\"localhost:8080\"]\nupstream = [\"127.0.0.1:2\"]\n"),
            "river.toml:3: service[0].listen[1]: \"localhost:8080\": not an IP address; a "
            "listener binds to an address (\"IPv4:port\", \"[IPv6]:port\" or \"unix:/path\"), "
            "not a host name");
  EXPECT_EQ(load_error("[[service]]\nname = \"web\"\nlisten = [\"127.0.0.1:65536\"]\n"
                       "upstream = [\"127.0.0.1:2\"]\n"),
            "river.toml:3: service[0].listen[0]: \"127.0.0.1:65536\": the port must be a "
            "number from 0 to 65535");
  EXPECT_EQ(load_error("[[service]]\nname = \"web\"\nlisten = [\"::1:80\"]\n"
                       "upstream = [\"127.0.0.1:2\"]\n"),
            "river.toml:3: service[0].listen[0]: \"::1:80\": an IPv6 address needs brackets, "
            "as in \"[::1]:8080\"");
  EXPECT_EQ(load_error("[[service]]\nname = \"web\"\nlisten = [\"unix:\"]\n"
                       "upstream = [\"127.0.0.1:2\"]\n"),
            "river.toml:3: service[0].listen[0]: \"unix:\": the Unix socket path is empty");
}

TEST(ConfigLoader, RequiresExactlyOneOfUpstreamAndFiles) {
  EXPECT_EQ(load_error("[[service]]\nname = \"web\"\nlisten = [\"127.0.0.1:1\"]\n"),
            "river.toml:1: service[0]: needs upstream = [\"host:port\", ...] to proxy, or a "
            "[service.files] table");
  EXPECT_EQ(load_error(with_service("[service.files]\nroot = \"/srv\"\n")),
            "river.toml:1: service[0]: set either upstream or [service.files], not both");
}

TEST(ConfigLoader, RejectsEmptyUpstream) {
  EXPECT_EQ(load_error("[[service]]\nname = \"web\"\nlisten = [\"127.0.0.1:1\"]\nupstream = []\n"),
            "river.toml:4: service[0].upstream: must list at least one peer");
}

TEST(ConfigLoader, RejectsInvalidUpstreamAddress) {
  EXPECT_EQ(load_error("[[service]]\nname = \"web\"\nlisten = [\"127.0.0.1:1\"]\n"
                       "upstream = [\"127.0.0.1:0\"]\n"),
            "river.toml:4: service[0].upstream[0]: \"127.0.0.1:0\": the port must be a number "
            "from 1 to 65535");
  EXPECT_EQ(load_error("[[service]]\nname = \"web\"\nlisten = [\"127.0.0.1:1\"]\n"
                       "upstream = [\"ok.example:80\", \"10.0.0.300:80\"]\n"),
            "river.toml:4: service[0].upstream[1]: \"10.0.0.300:80\": not a valid IPv4 address "
            "or host name; expected \"IPv4:port\", \"[IPv6]:port\" or \"hostname:port\"");
  EXPECT_EQ(load_error("[[service]]\nname = \"web\"\nlisten = [\"127.0.0.1:1\"]\n"
                       "upstream = [\"backend\"]\n"),
            "river.toml:4: service[0].upstream[0]: \"backend\": missing port; expected "
            "\"IPv4:port\", \"[IPv6]:port\" or \"hostname:port\"");
}

TEST(ConfigLoader, RequiresFilesRoot) {
  EXPECT_EQ(load_error("[[service]]\nname = \"s\"\nlisten = [\"127.0.0.1:1\"]\n"
                       "[service.files]\nindex = [\"index.html\"]\n"),
            "river.toml:4: service[0].files.root: missing (required)");
  EXPECT_EQ(load_error("[[service]]\nname = \"s\"\nlisten = [\"127.0.0.1:1\"]\n"
                       "[service.files]\nroot = \"\"\n"),
            "river.toml:5: service[0].files.root: expected the path of a directory");
}

TEST(ConfigLoader, RejectsIndexEntriesThatAreNotFileNames) {
  EXPECT_EQ(load_error("[[service]]\nname = \"s\"\nlisten = [\"127.0.0.1:1\"]\n"
                       "[service.files]\nroot = \"/srv\"\nindex = [\"index.html\", \"../x\"]\n"),
            "river.toml:6: service[0].files.index[1]: \"../x\": expected a file name without "
            "'/', such as \"index.html\"");
  EXPECT_THAT(load_error("[[service]]\nname = \"s\"\nlisten = [\"127.0.0.1:1\"]\n"
                         "[service.files]\nroot = \"/srv\"\nindex = [\"..\"]\n"),
              StartsWith("river.toml:6: service[0].files.index[0]: \"..\": expected a file name"));
}

TEST(ConfigLoader, RejectsInvalidTrustedProxies) {
  EXPECT_EQ(load_error(with_service("[service.forwarding]\n"
                                    "trusted_proxies = [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n")),
            "river.toml:6: service[0].forwarding.trusted_proxies[1]: \"10.0.0.0/33\": the "
            "prefix length must be a number from 0 to 32");
  EXPECT_EQ(load_error(with_service("[service.forwarding]\ntrusted_proxies = [\"fd00::/129\"]\n")),
            "river.toml:6: service[0].forwarding.trusted_proxies[0]: \"fd00::/129\": the "
            "prefix length must be a number from 0 to 128");
  EXPECT_EQ(load_error(with_service("[service.forwarding]\ntrusted_proxies = [\"proxy.lan\"]\n")),
            "river.toml:6: service[0].forwarding.trusted_proxies[0]: \"proxy.lan\": expected an "
            "IPv4 or IPv6 address or CIDR range, such as \"10.0.0.0/8\" or \"fd00::/8\"");
}

// --- Reporting --------------------------------------------------------------------------------

TEST(ConfigLoader, ReportsEveryErrorOrderedByLine) {
  const auto error = load_error(R"([[service]]
name = "web"
listen = ["localhost:1"]
upstream = []
[service.timeouts]
conect = "1s"
keepalive = 60
[system]
threads = 2000
)");
  EXPECT_EQ(error,
            "river.toml:3: service[0].listen[0]: \"localhost:1\": not an IP address; a listener "
            "binds to an address (\"IPv4:port\", \"[IPv6]:port\" or \"unix:/path\"), not a host "
            "name\n"
            "river.toml:4: service[0].upstream: must list at least one peer\n"
            "river.toml:6: service[0].timeouts.conect: unknown key (did you mean 'connect'?)\n"
            "river.toml:7: service[0].timeouts.keepalive: expected a duration string with a "
            "unit, such as \"250ms\", \"30s\" or \"5m\", got integer\n"
            "river.toml:9: system.threads: must be from 0 to 1024, got 2000");
}

TEST(ConfigLoader, NamesTheGivenPathInMessages) {
  auto result = load_string("[system]\nthreads = -3\n", "/etc/river/river.toml");
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().context,
              HasSubstr("/etc/river/river.toml:2: system.threads: must be from 0 to 1024"));
}

TEST(ConfigLoader, EscapesControlBytesInMessages) {
  const auto error =
      load_error(with_service("[service.forwarding]\n"
                              "trusted_proxies = [\"10.0.0.1\\n\\u001b[31m\"]\n"));
  EXPECT_THAT(error, HasSubstr("\\x0a\\x1b[31m"));
  EXPECT_EQ(error.find('\x1b'), std::string::npos);
}

// --- Files ------------------------------------------------------------------------------------

class ConfigLoadFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("river-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, std::string_view text) {
    const auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigLoadFile, LoadsFileAndRecordsItsPath) {
  const auto path = write("river.toml", kService);
  const auto config = load_file(path);
  ASSERT_TRUE(config) << config.error().context;
  EXPECT_EQ((*config)->path, path);
  EXPECT_EQ((*config)->services[0].origin, path + ":1");
}

TEST_F(ConfigLoadFile, ReportsMissingFile) {
  const auto path = (dir_ / "absent.toml").string();
  const auto result = load_file(path);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::Config);
  EXPECT_EQ(result.error().context, path + ": cannot open: No such file or directory");
}

TEST_F(ConfigLoadFile, ReportsDirectory) {
  const auto result = load_file(dir_.string());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().context, dir_.string() + ": cannot read: Is a directory");
}

TEST_F(ConfigLoadFile, ReportsErrorsWithTheFilePath) {
  const auto path = write("bad.toml", "[system]\nthreads = \"x\"\n");
  const auto result = load_file(path);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().context,
              HasSubstr(path + ":2: system.threads: expected an integer, got string"));
}

}  // namespace
}  // namespace river::config
