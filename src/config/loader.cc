#include "config/loader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>
#include <map>
#include <system_error>
#include <vector>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "config/address.h"
#include "config/toml_reader.h"

namespace river::config {
namespace {

constexpr std::int64_t kMaxInteger = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMaxThreads = 1024;
/// A configuration file is a few kilobytes; refusing huge ones keeps a wrong path such as
/// /dev/zero from exhausting memory.
constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024;
constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info",
                                                        "warn",  "error", "off"};

Error config_error(std::string message) {
  return Error{ErrorKind::Config, Side::Config, false, std::move(message)};
}

// Element checks for string arrays (see TableReader::read_string_array).

std::optional<std::string> check_listen(std::string_view value) {
  if (auto checked = check_listen_address(value); !checked) {
    return checked.error().context;
  }
  return std::nullopt;
}

std::optional<std::string> check_upstream(std::string_view value) {
  if (auto checked = check_upstream_address(value); !checked) {
    return checked.error().context;
  }
  return std::nullopt;
}

std::optional<std::string> check_trusted_proxy(std::string_view value) {
  if (auto checked = check_address_or_cidr(value); !checked) {
    return checked.error().context;
  }
  return std::nullopt;
}

std::optional<std::string> check_index_file(std::string_view value) {
  // Index entries name files inside the requested directory; a path here could step out
  // of it ("../secret").
  if (value.empty() || value == "." || value == ".." ||
      value.find_first_of(std::string_view("/\0", 2)) != std::string_view::npos) {
    return fmt::format("\"{}\": expected a file name without '/', such as \"index.html\"",
                       escape_for_log(value));
  }
  return std::nullopt;
}

/// Service names appear in log lines as `service=NAME` and in metric labels, so they are
/// kept to characters that need no quoting there.
std::optional<std::string> check_service_name(std::string_view name) {
  if (name.empty()) {
    return std::string("must not be empty");
  }
  for (char c : name) {
    const bool is_alnum =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!is_alnum && c != '-' && c != '_' && c != '.') {
      return fmt::format("\"{}\": may contain only letters, digits, '-', '_' and '.'",
                         escape_for_log(name));
    }
  }
  return std::nullopt;
}

void read_system(TableReader& reader, SystemConfig& system) {
  reader.read_integer("threads", system.threads, 0, kMaxThreads);
  reader.read_duration("shutdown_grace", system.shutdown_grace);

  if (const auto* node = reader.read_string("access_log", system.access_log)) {
    if (system.access_log.empty() || system.access_log.find('\0') != std::string::npos) {
      reader.report(*node, "access_log",
                    "expected \"-\" (standard output), \"off\" or a file path");
    }
  }

  if (const auto* node = reader.read_string("log_level", system.log_level)) {
    if (std::find(kLogLevels.begin(), kLogLevels.end(), system.log_level) == kLogLevels.end()) {
      reader.report(*node, "log_level",
                    fmt::format("\"{}\": expected one of \"trace\", \"debug\", \"info\", "
                                "\"warn\", \"error\", \"off\"",
                                escape_for_log(system.log_level)));
    }
  }
}

void read_limits(TableReader& reader, LimitsConfig& limits) {
  reader.read_integer("max_request_line_bytes", limits.max_request_line_bytes, 1, kMaxInteger);
  reader.read_integer("max_header_bytes", limits.max_header_bytes, 1, kMaxInteger);
  reader.read_integer("max_header_count", limits.max_header_count, 1, kMaxInteger);
  // 0 means no limit on the body size.
  reader.read_integer("max_request_body_bytes", limits.max_request_body_bytes, 0, kMaxInteger);
  reader.read_integer("min_request_body_rate", limits.min_request_body_rate, 0, kMaxInteger);
}

void read_timeouts(TableReader& reader, TimeoutsConfig& timeouts) {
  reader.read_duration("connect", timeouts.connect);
  reader.read_duration("response_header", timeouts.response_header);
  reader.read_duration("upstream_read_idle", timeouts.upstream_read_idle);
  reader.read_duration("request_header", timeouts.request_header);
  reader.read_duration("request_body_idle", timeouts.request_body_idle);
  reader.read_duration("keepalive", timeouts.keepalive);
  reader.read_duration("downstream_write_idle", timeouts.downstream_write_idle);
}

void read_pool(TableReader& reader, PoolConfig& pool) {
  reader.read_duration("idle_timeout", pool.idle_timeout);
  // 0 is meaningful: keep no idle connections, so every request opens a new one.
  reader.read_integer("max_idle_per_peer", pool.max_idle_per_peer, 0, kMaxInteger);
}

void read_http2(TableReader& reader, Http2Config& http2) {
  // RFC 9113 §6.5.2 and §6.9.1: windows are at most 2^31-1; frame caps need at least 1.
  constexpr std::uint64_t kMaxWindow = 0x7fffffff;
  reader.read_integer("max_concurrent_streams", http2.max_concurrent_streams, 1, 0xffffffff);
  reader.read_integer("initial_stream_window", http2.initial_stream_window, 1, kMaxWindow);
  reader.read_integer("connection_window", http2.connection_window, 65535, kMaxWindow);
  reader.read_integer("max_continuations", http2.max_continuations, 1, 1024);
  reader.read_integer("reset_burst", http2.reset_burst, 1, 0xffffffff);
  reader.read_integer("reset_refill_per_second", http2.reset_refill_per_second, 0, 0xffffffff);
  reader.read_integer("control_frame_burst", http2.control_frame_burst, 1, 0xffffffff);
  reader.read_integer("control_frame_refill_per_second", http2.control_frame_refill_per_second,
                      0, 0xffffffff);
  reader.read_integer("stream_send_buffer", http2.stream_send_buffer, 1024, kMaxInteger);
}

void read_forwarding(TableReader& reader, ForwardingConfig& forwarding) {
  reader.read_string_array("trusted_proxies", forwarding.trusted_proxies, check_trusted_proxy);
  reader.read_bool("add_via", forwarding.add_via);
}

void read_files(TableReader& reader, FilesConfig& files) {
  if (const auto* node = reader.read_string("root", files.root)) {
    if (files.root.empty() || files.root.find('\0') != std::string::npos) {
      reader.report(*node, "root", "expected the path of a directory");
    }
  } else if (!reader.has("root")) {
    reader.report_missing("root");
  }
  reader.read_string_array("index", files.index, check_index_file);
}

std::optional<std::string> check_file_path(std::string_view value) {
  if (value.empty() || value.find('\0') != std::string_view::npos) {
    return std::string("expected a file path");
  }
  return std::nullopt;
}

/// Calls `read(table, path)` for each element of `array` (the value of `key`), reporting
/// the elements that are not tables.
template <typename Read>
void for_each_table(Diagnostics& diagnostics, const TableReader& reader, std::string_view key,
                    const toml::array& array, Read read) {
  for (std::size_t i = 0; i < array.size(); ++i) {
    const auto& element = *array.get(i);
    const auto path = fmt::format("{}[{}]", reader.key_path(key), i);
    if (const auto* table = element.as_table()) {
      read(*table, path);
    } else {
      diagnostics.add(element.source(), path,
                      fmt::format("expected a table, got {}", type_name(element.type())));
    }
  }
}

/// Reads `certificates = [{ certificate = "...", key = "..." }, ...]`.
void read_certificates(Diagnostics& diagnostics, TableReader& reader,
                       std::vector<CertificateConfig>& out) {
  const auto* node = reader.find("certificates");
  if (node == nullptr) {
    reader.report_missing("certificates");
    return;
  }
  const auto* array = node->as_array();
  if (array == nullptr || array->empty()) {
    reader.report(*node, "certificates",
                  "expected a list of { certificate = \"file\", key = \"file\" } tables");
    return;
  }
  for_each_table(diagnostics, reader, "certificates", *array, [&](const toml::table& table,
                                                                  const std::string& path) {
    TableReader pair_reader(diagnostics, table, path);
    auto& pair = out.emplace_back();
    for (auto [key, field] : {std::pair{"certificate", &pair.certificate},
                              std::pair{"key", &pair.key}}) {
      if (const auto* value = pair_reader.read_string(key, *field)) {
        if (auto problem = check_file_path(*field)) {
          pair_reader.report(*value, key, *problem);
        }
      } else if (!pair_reader.has(key)) {
        pair_reader.report_missing(key);
      }
    }
    pair_reader.finish();
  });
}

void read_listener_tls(Diagnostics& diagnostics, TableReader& reader, ListenerTlsConfig& tls) {
  read_certificates(diagnostics, reader, tls.certificates);
  if (const auto* node = reader.read_string("min_version", tls.min_version)) {
    if (tls.min_version != "1.2" && tls.min_version != "1.3") {
      reader.report(*node, "min_version",
                    fmt::format("\"{}\": expected \"1.2\" or \"1.3\" (older versions are not "
                                "offered)",
                                escape_for_log(tls.min_version)));
    }
  }
  reader.read_string("ciphers", tls.ciphers);
  reader.read_string("ciphersuites", tls.ciphersuites);
  reader.read_string("groups", tls.groups);
  reader.read_bool("session_tickets", tls.session_tickets);
  reader.read_duration("ticket_key_rotation", tls.ticket_key_rotation);
}

void read_listener(Diagnostics& diagnostics, const toml::table& table, const std::string& path,
                   ListenerConfig& listener) {
  TableReader reader(diagnostics, table, path);
  listener.origin = diagnostics.location(table.source());
  if (const auto* node = reader.read_string("address", listener.address)) {
    if (auto problem = check_listen(listener.address)) {
      reader.report(*node, "address", *problem);
    }
  } else if (!reader.has("address")) {
    reader.report_missing("address");
  }
  if (reader.has("h2")) {
    bool h2 = false;
    reader.read_bool("h2", h2);
    listener.h2 = h2;
  }
  if (const auto* tls = reader.read_table("tls")) {
    listener.has_tls = true;
    TableReader tls_reader(diagnostics, *tls, reader.key_path("tls"));
    read_listener_tls(diagnostics, tls_reader, listener.tls);
    tls_reader.finish();
  }
  reader.finish();
}

void read_upstream_tls(TableReader& reader, UpstreamTlsConfig& tls) {
  reader.read_string("sni", tls.sni);
  reader.read_bool("verify", tls.verify);
  for (auto [key, field] : {std::pair{"ca_file", &tls.ca_file},
                            std::pair{"client_certificate", &tls.client_certificate},
                            std::pair{"client_key", &tls.client_key}}) {
    // Empty means none (the system CA store, no client certificate).
    if (const auto* node = reader.read_string(key, *field); node && !field->empty()) {
      if (auto problem = check_file_path(*field)) {
        reader.report(*node, key, *problem);
      }
    }
  }
  if (tls.client_certificate.empty() != tls.client_key.empty()) {
    reader.report_table("client_certificate and client_key go together");
  }
  if (const auto* node = reader.read_string("min_version", tls.min_version)) {
    if (tls.min_version != "1.2" && tls.min_version != "1.3") {
      reader.report(*node, "min_version",
                    fmt::format("\"{}\": expected \"1.2\" or \"1.3\"",
                                escape_for_log(tls.min_version)));
    }
  }
  if (const auto* node = reader.read_string("protocol", tls.protocol)) {
    if (tls.protocol != "h1" && tls.protocol != "h2" && tls.protocol != "h2-or-h1") {
      reader.report(*node, "protocol",
                    fmt::format("\"{}\": expected \"h1\", \"h2\" or \"h2-or-h1\"",
                                escape_for_log(tls.protocol)));
    }
  }
}

/// Reads the `[[service.listener]]` tables.
void read_listeners(Diagnostics& diagnostics, TableReader& reader,
                    std::vector<ListenerConfig>& out) {
  const auto* node = reader.find("listener");
  if (node == nullptr) {
    return;
  }
  const auto* array = node->as_array();
  if (array == nullptr) {
    reader.report(*node, "listener",
                  fmt::format("expected [[service.listener]] tables, got {}",
                              type_name(node->type())));
    return;
  }
  for_each_table(diagnostics, reader, "listener", *array,
                 [&](const toml::table& table, const std::string& path) {
                   read_listener(diagnostics, table, path, out.emplace_back());
                 });
}

/// Reads the sub-table `key` of `parent`, if present, with `read`.
template <typename Settings>
void read_subtable(Diagnostics& diagnostics, TableReader& parent, std::string_view key,
                   Settings& settings, void (*read)(TableReader&, Settings&)) {
  const auto* table = parent.read_table(key);
  if (table == nullptr) {
    return;
  }
  TableReader reader(diagnostics, *table, parent.key_path(key));
  read(reader, settings);
  reader.finish();
}

std::optional<std::string> check_plugin_name(std::string_view value) {
  return check_service_name(value);
}

/// Reads one `[[plugin]]` table.
void read_plugin(Diagnostics& diagnostics, const toml::table& table, std::size_t index,
                 PluginConfig& plugin) {
  TableReader reader(diagnostics, table, fmt::format("plugin[{}]", index));
  plugin.origin = diagnostics.location(table.source());
  if (const auto* node = reader.read_string("name", plugin.name)) {
    if (auto problem = check_plugin_name(plugin.name)) {
      reader.report(*node, "name", *problem);
    }
  } else if (!reader.has("name")) {
    reader.report_missing("name");
  }
  if (const auto* node = reader.read_string("path", plugin.path)) {
    plugin.path_origin = diagnostics.location(node->source());
    if (auto problem = check_file_path(plugin.path)) {
      reader.report(*node, "path", *problem);
    }
  } else if (!reader.has("path")) {
    reader.report_missing("path");
  }
  reader.read_string("configuration", plugin.configuration);
  reader.read_string("root_id", plugin.root_id);
  // 64 KiB is one wasm page; 4 GiB is all a 32-bit memory can address.
  reader.read_integer("max_memory_bytes", plugin.max_memory_bytes, 64 * 1024,
                      std::int64_t{4} << 30);
  reader.read_duration("cpu_budget", plugin.cpu_budget);
  reader.read_bool("fail_open", plugin.fail_open);
  reader.read_integer("max_body_bytes", plugin.max_body_bytes, 0, std::int64_t{1} << 30);
  reader.finish();
}

/// Reads the `[[plugin]]` tables; names must be unique.
void read_plugins(Diagnostics& diagnostics, TableReader& root, Config& config) {
  const auto* node = root.find("plugin");
  if (node == nullptr) {
    return;
  }
  const auto* array = node->as_array();
  if (array == nullptr) {
    root.report(*node, "plugin",
                fmt::format("expected [[plugin]] tables, got {}", type_name(node->type())));
    return;
  }
  std::map<std::string, std::string, std::less<>> first_use;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto& element = *array->get(i);
    const auto* table = element.as_table();
    if (table == nullptr) {
      root.report(element, fmt::format("plugin[{}]", i),
                  fmt::format("expected a table, got {}", type_name(element.type())));
      continue;
    }
    auto& plugin = config.plugins.emplace_back();
    read_plugin(diagnostics, *table, i, plugin);
    if (plugin.name.empty()) {
      continue;
    }
    const auto [first, inserted] =
        first_use.emplace(plugin.name, fmt::format("plugin[{}] at {}", i, plugin.origin));
    if (!inserted) {
      diagnostics.add(table->get("name")->source(), fmt::format("plugin[{}].name", i),
                      fmt::format("duplicate plugin name \"{}\", already used by {}",
                                  escape_for_log(plugin.name), first->second));
    }
  }
}

/// Checks that every service's `plugins` entry names a `[[plugin]]`, and that only proxy
/// services have plugins.
void check_plugin_references(Diagnostics& diagnostics, const toml::table& root,
                             const Config& config) {
  const auto* services = root.get_as<toml::array>("service");
  if (services == nullptr) {
    return;
  }
  for (std::size_t i = 0; i < config.services.size() && i < services->size(); ++i) {
    const auto* table = services->get(i)->as_table();
    const auto* list = table != nullptr ? table->get_as<toml::array>("plugins") : nullptr;
    if (list == nullptr) {
      continue;
    }
    const auto& service = config.services[i];
    if (service.has_files && !service.plugins.empty()) {
      diagnostics.add(list->source(), fmt::format("service[{}].plugins", i),
                      "plugins run on proxy services only (this one serves files)");
    }
    const auto& protocol =
        service.has_upstream_tls ? service.upstream_tls.protocol : service.upstream_protocol;
    if (!service.has_files && !service.plugins.empty() && protocol != "h1") {
      // TODO(#4): run filters on the HTTP/2 upstream path too.
      diagnostics.add(list->source(), fmt::format("service[{}].plugins", i),
                      fmt::format("plugins run only with HTTP/1.1 upstreams for now; this "
                                  "service speaks \"{}\" to its upstreams",
                                  escape_for_log(protocol)));
    }
    for (std::size_t j = 0; j < list->size(); ++j) {
      const auto* name = list->get(j)->as_string();
      if (name == nullptr) {
        continue;  // reported by the service reader
      }
      const bool known = std::any_of(config.plugins.begin(), config.plugins.end(),
                                     [&](const PluginConfig& p) { return p.name == name->get(); });
      if (!known) {
        diagnostics.add(list->get(j)->source(), fmt::format("service[{}].plugins[{}]", i, j),
                        fmt::format("unknown plugin \"{}\": no [[plugin]] table has that name",
                                    escape_for_log(name->get())));
      }
    }
  }
}

void read_service(Diagnostics& diagnostics, const toml::table& table, std::size_t index,
                  ServiceConfig& service) {
  TableReader reader(diagnostics, table, fmt::format("service[{}]", index));
  service.origin = diagnostics.location(table.source());

  if (const auto* node = reader.read_string("name", service.name)) {
    if (auto problem = check_service_name(service.name)) {
      reader.report(*node, "name", *problem);
    }
  } else if (!reader.has("name")) {
    reader.report_missing("name");
  }

  read_listeners(diagnostics, reader, service.listeners);
  if (const auto* listen = reader.read_string_array("listen", service.listen, check_listen)) {
    if (listen->empty() && service.listeners.empty()) {
      reader.report(*listen, "listen", "must list at least one address");
    }
  } else if (!reader.has("listen") && !reader.has("listener")) {
    reader.report_table(
        "needs listen = [\"host:port\", ...] or at least one [[service.listener]] table");
  }

  if (const auto* upstream =
          reader.read_string_array("upstream", service.upstream, check_upstream)) {
    if (upstream->empty()) {
      reader.report(*upstream, "upstream", "must list at least one peer");
    }
  }

  if (const auto* files = reader.read_table("files")) {
    service.has_files = true;
    TableReader files_reader(diagnostics, *files, reader.key_path("files"));
    read_files(files_reader, service.files);
    files_reader.finish();
  }

  // A service answers requests one way: by proxying or from files.
  const bool has_upstream = reader.has("upstream");
  const bool has_files = reader.has("files");
  if (has_upstream && has_files) {
    reader.report_table("set either upstream or [service.files], not both");
  } else if (!has_upstream && !has_files) {
    reader.report_table(
        "needs upstream = [\"host:port\", ...] to proxy, or a [service.files] table");
  }

  if (const auto* node = reader.read_string("upstream_protocol", service.upstream_protocol)) {
    if (service.upstream_protocol != "h1" && service.upstream_protocol != "h2") {
      reader.report(*node, "upstream_protocol",
                    fmt::format("\"{}\": expected \"h1\" or \"h2\"",
                                escape_for_log(service.upstream_protocol)));
    } else if (reader.has("upstream_tls") && service.upstream_protocol != "h1") {
      reader.report(*node, "upstream_protocol",
                    "with [service.upstream_tls], set its protocol key instead");
    }
  }
  if (reader.has("upstream_tls")) {
    if (!has_upstream) {
      reader.report_table("upstream_tls needs upstream peers");
    }
    service.has_upstream_tls = true;
    read_subtable(diagnostics, reader, "upstream_tls", service.upstream_tls, read_upstream_tls);
  }
  read_subtable(diagnostics, reader, "limits", service.limits, read_limits);
  read_subtable(diagnostics, reader, "timeouts", service.timeouts, read_timeouts);
  read_subtable(diagnostics, reader, "pool", service.pool, read_pool);
  read_subtable(diagnostics, reader, "http2", service.http2, read_http2);
  read_subtable(diagnostics, reader, "forwarding", service.forwarding, read_forwarding);
  reader.read_string_array("plugins", service.plugins, check_plugin_name);
  reader.finish();
}

/// A listen entry already seen, with where it was.
struct BoundListener {
  ListenSocket socket;
  std::string where;  ///< "service[i].listen[j] at file:line"
};

/// Reports each listen entry of service `index` that would bind what an earlier entry (of
/// this service or another) binds. Two sockets on one address would either fail to bind
/// or, with SO_REUSEPORT, split the connections between them at random.
/// Checks one address against those seen before, reporting a clash at `where`.
void check_address_is_distinct(Diagnostics& diagnostics, const toml::node& where,
                               std::string_view text, const std::string& key_path,
                               std::vector<BoundListener>& seen) {
  auto socket = listen_socket(text);
  if (!socket) {
    return;  // invalid (already reported) or port 0, which never collides
  }
  const auto earlier = std::find_if(seen.begin(), seen.end(), [&](const BoundListener& other) {
    return other.socket.overlaps(*socket);
  });
  if (earlier != seen.end()) {
    diagnostics.add(where.source(), key_path,
                    fmt::format("\"{}\" listens on the same address as {}",
                                escape_for_log(text), earlier->where));
    return;
  }
  seen.push_back(BoundListener{std::move(*socket),
                               fmt::format("{} at {}", key_path,
                                           diagnostics.location(where.source()))});
}

/// Reports each listen entry and listener address of service `index` that would bind what an
/// earlier one (of this service or another) binds: the second bind would fail at start-up.
void check_listeners_are_distinct(Diagnostics& diagnostics, const toml::table& service,
                                  std::size_t index, std::vector<BoundListener>& seen) {
  if (const auto* array = service.get_as<toml::array>("listen")) {
    for (std::size_t j = 0; j < array->size(); ++j) {
      const auto& element = *array->get(j);
      if (const auto* text = element.as_string()) {
        check_address_is_distinct(diagnostics, element, text->get(),
                                  fmt::format("service[{}].listen[{}]", index, j), seen);
      }
    }
  }
  if (const auto* tables = service.get_as<toml::array>("listener")) {
    for (std::size_t j = 0; j < tables->size(); ++j) {
      const auto* table = tables->get(j)->as_table();
      const auto* address = table ? table->get("address") : nullptr;
      if (address != nullptr && address->is_string()) {
        check_address_is_distinct(diagnostics, *address, address->as_string()->get(),
                                  fmt::format("service[{}].listener[{}].address", index, j),
                                  seen);
      }
    }
  }
}

void read_services(Diagnostics& diagnostics, TableReader& root, Config& config) {
  const auto* node = root.find("service");
  if (node == nullptr) {
    diagnostics.add_file_level("service", "at least one [[service]] table is required");
    return;
  }
  const auto* array = node->as_array();
  if (array == nullptr) {
    root.report(*node, "service",
                fmt::format("expected [[service]] tables, got {}", type_name(node->type())));
    return;
  }
  if (array->empty()) {
    root.report(*node, "service", "at least one [[service]] table is required");
    return;
  }

  // Name -> "service[i] at file:line" of the service that used it first.
  std::map<std::string, std::string, std::less<>> first_by_name;
  std::vector<BoundListener> listeners;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto& element = *array->get(i);
    const auto* table = element.as_table();
    if (table == nullptr) {
      root.report(element, fmt::format("service[{}]", i),
                  fmt::format("expected a table, got {}", type_name(element.type())));
      continue;
    }
    auto& service = config.services.emplace_back();
    read_service(diagnostics, *table, i, service);
    check_listeners_are_distinct(diagnostics, *table, i, listeners);

    if (service.name.empty()) {
      continue;
    }
    const auto [first, inserted] = first_by_name.try_emplace(
        service.name, fmt::format("service[{}] at {}", i, service.origin));
    if (!inserted) {
      diagnostics.add(table->get("name")->source(), fmt::format("service[{}].name", i),
                      fmt::format("duplicate service name \"{}\", already used by {}",
                                  escape_for_log(service.name), first->second));
    }
  }
}

Result<ConfigPtr> build(const toml::table& root, const std::string& path) {
  Diagnostics diagnostics(path);
  Config config;
  config.path = path;

  TableReader reader(diagnostics, root, "");
  if (const auto* system = reader.read_table("system")) {
    TableReader system_reader(diagnostics, *system, "system");
    read_system(system_reader, config.system);
    system_reader.finish();
  }
  read_services(diagnostics, reader, config);
  read_plugins(diagnostics, reader, config);
  check_plugin_references(diagnostics, root, config);
  reader.finish();

  if (!diagnostics.empty()) {
    return config_error(diagnostics.joined());
  }
  return std::make_shared<const Config>(std::move(config));
}

/// Reads the whole file at `path`, up to kMaxFileBytes.
Result<std::string> read_file(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return config_error(
        fmt::format("{}: cannot open: {}", path, std::generic_category().message(errno)));
  }
  std::string contents;
  std::array<char, 16 * 1024> chunk{};
  while (true) {
    const ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return config_error(
          fmt::format("{}: cannot read: {}", path, std::generic_category().message(errno)));
    }
    if (n == 0) {
      return contents;
    }
    if (contents.size() + static_cast<std::size_t>(n) > kMaxFileBytes) {
      return config_error(fmt::format("{}: larger than {} MiB; is this the configuration file?",
                                      path, kMaxFileBytes / (1024 * 1024)));
    }
    contents.append(chunk.data(), static_cast<std::size_t>(n));
  }
}

}  // namespace

Result<ConfigPtr> load_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    return text.error();
  }
  return load_string(*text, path);
}

Result<ConfigPtr> load_string(std::string_view text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& error) {
    // The library stops at the first syntax error, so this is the only message.
    const auto& begin = error.source().begin;
    return config_error(fmt::format("{}:{}:{}: invalid TOML: {}", path, begin.line, begin.column,
                                    error.description()));
  }
  return build(root, path);
}

}  // namespace river::config
