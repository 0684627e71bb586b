// River's configuration: plain structs parsed from one TOML file.
//
// Every field has a default member initialiser and a `///` comment giving its meaning; the
// loader (loader.h) fills them from TOML, validates them and reports errors naming file,
// line and key. The engine never sees these structs: the application builds each engine
// module's own options from them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace river::config {

using Duration = std::chrono::milliseconds;

/// Process-wide settings: `[system]`.
struct SystemConfig {
  /// Worker threads, each with its own event loop. 0 means one per CPU core.
  unsigned threads = 0;
  /// How long in-flight requests may run after SIGTERM/SIGINT before connections are closed.
  Duration shutdown_grace = std::chrono::seconds(10);
  /// Where the access log goes: "-" for standard output, "off", or a file path.
  std::string access_log = "-";
  /// Lowest level of the process log: "trace", "debug", "info", "warn", "error", "off".
  std::string log_level = "info";

  bool operator==(const SystemConfig&) const = default;
};

/// Limits on what a client may send: `[service.limits]`.
struct LimitsConfig {
  /// Longest request line; longer requests get 414.
  std::uint64_t max_request_line_bytes = 8192;
  /// Largest request head (request line plus fields); larger gets 431.
  std::uint64_t max_header_bytes = 64 * 1024;
  /// Most header fields in one request; more gets 431.
  std::uint64_t max_header_count = 100;
  /// Largest request body; 0 means unlimited. Larger gets 413.
  std::uint64_t max_request_body_bytes = 0;
  /// Slowest average rate, in bytes per second, at which a client may send a request body
  /// once it has kept River waiting for longer than `timeouts.request_body_idle`; a slower
  /// client gets 408 (slow-body protection). Time spent waiting for the upstream does not
  /// count. 0 disables the check.
  std::uint64_t min_request_body_rate = 1024;

  bool operator==(const LimitsConfig&) const = default;
};

/// Timeouts of a service: `[service.timeouts]`.
struct TimeoutsConfig {
  /// Time allowed to open a TCP connection to an upstream peer (then 504).
  Duration connect = std::chrono::seconds(5);
  /// Time from the request being sent until the upstream's response head arrives (then 504).
  Duration response_header = std::chrono::seconds(60);
  /// Longest silence while reading an upstream response body (then the response is cut).
  Duration upstream_read_idle = std::chrono::seconds(60);
  /// Total time a client may take to send a request head, counted from its first byte
  /// (slowloris protection; then 408 and close).
  Duration request_header = std::chrono::seconds(30);
  /// Longest silence while reading a request body (then 408 and close).
  Duration request_body_idle = std::chrono::seconds(30);
  /// How long an idle keep-alive client connection is kept open between requests.
  Duration keepalive = std::chrono::seconds(60);
  /// Longest silence while writing to a client that does not read (then close).
  Duration downstream_write_idle = std::chrono::seconds(60);

  bool operator==(const TimeoutsConfig&) const = default;
};

/// The upstream connection pool: `[service.pool]`.
struct PoolConfig {
  /// How long an idle upstream connection is kept for reuse.
  Duration idle_timeout = std::chrono::seconds(60);
  /// Most idle connections kept per upstream peer, across all workers. 0 keeps none, so every
  /// request opens a new connection.
  std::uint64_t max_idle_per_peer = 128;

  bool operator==(const PoolConfig&) const = default;
};

/// HTTP/2 client connections: `[service.http2]`. `limits` and `timeouts` apply to them too
/// (max_header_bytes is advertised as SETTINGS_MAX_HEADER_LIST_SIZE).
struct Http2Config {
  /// SETTINGS_MAX_CONCURRENT_STREAMS: requests in flight on one connection.
  std::uint64_t max_concurrent_streams = 100;
  /// SETTINGS_INITIAL_WINDOW_SIZE: request body bytes per stream sent ahead of the handler.
  std::uint64_t initial_stream_window = 64 * 1024;
  /// Request body bytes sent ahead of the handlers across one connection.
  std::uint64_t connection_window = 1024 * 1024;
  /// CONTINUATION frames allowed after one HEADERS frame.
  std::uint64_t max_continuations = 8;
  /// Stream resets (sent or received) a connection may cause at once, and refilled per
  /// second; past them GOAWAY(ENHANCE_YOUR_CALM).
  std::uint64_t reset_burst = 200;
  std::uint64_t reset_refill_per_second = 20;
  /// PING/SETTINGS/PRIORITY/empty DATA/excess WINDOW_UPDATE frames allowed at once, and
  /// refilled per second; past them GOAWAY(ENHANCE_YOUR_CALM).
  std::uint64_t control_frame_burst = 1000;
  std::uint64_t control_frame_refill_per_second = 100;
  /// Response body bytes buffered per stream before the handler waits for the client.
  std::uint64_t stream_send_buffer = 64 * 1024;

  bool operator==(const Http2Config&) const = default;
};

/// Serving files from a directory: `[service.files]`.
struct FilesConfig {
  /// Directory whose contents are served. Relative paths are relative to the working
  /// directory River was started in. Required for a file service.
  std::string root;
  /// Files tried, in order, when a directory is requested.
  std::vector<std::string> index = {"index.html"};

  bool operator==(const FilesConfig&) const = default;
};

/// How X-Forwarded-* and Forwarded fields are handled: `[service.forwarding]`.
struct ForwardingConfig {
  /// Addresses or CIDR ranges of proxies in front of River whose X-Forwarded-* fields are
  /// believed. From any other client those fields are replaced, never appended to.
  std::vector<std::string> trusted_proxies;
  /// Add a `Via` field to requests and responses.
  bool add_via = true;

  bool operator==(const ForwardingConfig&) const = default;
};

/// A certificate chain and its private key, PEM files: `{ certificate = "...", key = "..." }`.
struct CertificateConfig {
  /// Path of the certificate chain (leaf first).
  std::string certificate;
  /// Path of the private key.
  std::string key;

  bool operator==(const CertificateConfig&) const = default;
};

/// TLS on a listener: `[service.listener.tls]`.
struct ListenerTlsConfig {
  /// Certificates with their keys. The first is the default; another is chosen when the name
  /// the client asks for (SNI) matches one of its names. At least one.
  std::vector<CertificateConfig> certificates;
  /// Lowest TLS version accepted: "1.2" or "1.3".
  std::string min_version = "1.2";
  /// TLS 1.2 cipher list (OpenSSL syntax); empty means River's default: ECDHE key exchange
  /// with AES-GCM or ChaCha20-Poly1305 only.
  std::string ciphers;
  /// TLS 1.3 cipher suites (OpenSSL syntax); empty means all three, AES-128-GCM first.
  std::string ciphersuites;
  /// Key exchange groups, "X25519:P-256"; empty means River's default "X25519:P-256:P-384".
  std::string groups;
  /// Resume sessions with tickets (stateless, keys in memory only).
  bool session_tickets = true;
  /// How often the ticket key is replaced; tickets made with the previous key still resume.
  Duration ticket_key_rotation = std::chrono::hours(1);

  bool operator==(const ListenerTlsConfig&) const = default;
};

/// One `[[service.listener]]`: an address with its protocols.
struct ListenerConfig {
  /// "IPv4:port", "[IPv6]:port" or "unix:/path".
  std::string address;
  /// Serve HTTP/2: offered by ALPN on a TLS listener (default on), or accepted with prior
  /// knowledge (h2c) on a cleartext one (default off). Unset means that default.
  std::optional<bool> h2;
  /// Set when the listener terminates TLS.
  bool has_tls = false;
  ListenerTlsConfig tls;
  /// Where this listener was defined: "river.toml:12".
  std::string origin;

  /// Whether HTTP/2 is served, after applying the default.
  bool serves_h2() const { return h2.value_or(has_tls); }

  bool operator==(const ListenerConfig&) const = default;
};

/// TLS to a service's upstream peers: `[service.upstream_tls]`. Present means on.
struct UpstreamTlsConfig {
  /// Name sent as SNI and checked against the peer's certificate; empty means the host part
  /// of each `upstream` entry (an IP address is checked but not sent as SNI).
  std::string sni;
  /// Verify the peer's certificate chain and name. Turn off only for testing.
  bool verify = true;
  /// PEM bundle of trusted CAs; empty means the system store.
  std::string ca_file;
  /// Client certificate chain and key for mutual TLS; both or neither.
  std::string client_certificate;
  std::string client_key;
  /// Lowest TLS version: "1.2" or "1.3".
  std::string min_version = "1.2";
  /// Protocol spoken over TLS, chosen by ALPN: "h1" (HTTP/1.1 only), "h2" (HTTP/2 only) or
  /// "h2-or-h1" (both offered, the peer chooses).
  std::string protocol = "h1";

  bool operator==(const UpstreamTlsConfig&) const = default;
};

/// One `[[plugin]]`: a WebAssembly plugin (proxy-wasm ABI 0.2.1) that services attach by name.
struct PluginConfig {
  /// Name that services use in `plugins = [...]`, and logs show; unique. Required.
  std::string name;
  /// Path of the .wasm file; relative paths are relative to the working directory. Required.
  std::string path;
  /// Text handed to the plugin's `proxy_on_configure` (PLUGIN_CONFIGURATION buffer).
  std::string configuration;
  /// The `plugin_root_id` property, which SDKs use to choose the plugin's root context.
  std::string root_id;
  /// Most linear memory one instance may have; growing past it fails inside the plugin.
  std::uint64_t max_memory_bytes = std::uint64_t{64} << 20;
  /// CPU time one callback may use; past it the callback is stopped and the request fails.
  Duration cpu_budget = std::chrono::milliseconds(50);
  /// On a fault (trap, budget overrun), pass the request on without the plugin instead of
  /// answering 500.
  bool fail_open = false;
  /// Most body bytes held for the plugin while it buffers a body, and largest body it may
  /// set; past it the request fails.
  std::uint64_t max_body_bytes = std::uint64_t{1} << 20;

  /// Where the table and its `path` key were defined: "river.toml:12".
  std::string origin;
  std::string path_origin;

  bool operator==(const PluginConfig&) const = default;
};

/// One `[[service]]`: listeners plus what answers their requests (upstreams or files).
struct ServiceConfig {
  /// Name used in logs and metrics; unique.
  std::string name;
  /// Cleartext HTTP/1 listeners: "IPv4:port", "[IPv6]:port" or "unix:/path".
  std::vector<std::string> listen;
  /// Listeners with more settings (TLS, HTTP/2): `[[service.listener]]`.
  std::vector<ListenerConfig> listeners;
  /// Upstream peers ("host:port", "[IPv6]:port"), chosen round-robin. Exactly one of
  /// `upstream` and `files` is set.
  std::vector<std::string> upstream;
  /// Protocol spoken to cleartext upstream peers: "h1" (HTTP/1.1) or "h2" (HTTP/2 with prior
  /// knowledge, RFC 9113 §3.3). With [service.upstream_tls], its `protocol` decides instead.
  std::string upstream_protocol = "h1";
  /// Set when the service speaks TLS to its upstream peers.
  bool has_upstream_tls = false;
  UpstreamTlsConfig upstream_tls;
  /// Set when the service serves files instead of proxying.
  bool has_files = false;
  FilesConfig files;
  LimitsConfig limits;
  TimeoutsConfig timeouts;
  PoolConfig pool;
  Http2Config http2;
  ForwardingConfig forwarding;
  /// Names of `[[plugin]]` tables run on each request, in this order. Proxy services only.
  std::vector<std::string> plugins;

  /// Where this service was defined, for later error messages: "river.toml:12".
  std::string origin;

  bool operator==(const ServiceConfig&) const = default;
};

struct Config {
  SystemConfig system;
  std::vector<ServiceConfig> services;
  std::vector<PluginConfig> plugins;
  /// The file the configuration was read from.
  std::string path;

  bool operator==(const Config&) const = default;
};

using ConfigPtr = std::shared_ptr<const Config>;

}  // namespace river::config
