// The text of `river print-default-config`. A unit test loads it and compares the result with
// the defaults in config.h, so a value changed in one place and not the other fails the build.
#include "config/loader.h"

namespace river::config {

std::string default_config_text() {
  return R"toml(# River configuration: every option, shown at its default.
#
# Durations are strings with a unit: "250ms", "30s", "5m", "1h".
# Sizes are plain integers counting bytes.
# docs/configuration.md describes every key.

[system]
# Worker threads, each running its own event loop; 0 means one per CPU core (at most 1024).
threads = 0
# How long in-flight requests may run after SIGTERM or SIGINT before connections are closed.
shutdown_grace = "10s"
# Where the access log goes: "-" for standard output, "off", or a file path.
access_log = "-"
# Lowest level of the process log: "trace", "debug", "info", "warn", "error" or "off".
log_level = "info"

# A service: listeners plus what answers their requests. Repeat [[service]] for more.
# This one proxies to an upstream peer.
[[service]]
# Name used in logs and metrics; unique. Letters, digits, '-', '_' and '.'.
name = "web"
# Addresses to listen on: "IPv4:port", "[IPv6]:port" or "unix:/path". Port 0 picks a free port.
listen = ["127.0.0.1:8080"]
# Upstream peers, chosen round-robin: "IPv4:port", "[IPv6]:port" or "hostname:port".
# A service has either upstream or a [service.files] table, never both.
upstream = ["127.0.0.1:9000"]
# Protocol to cleartext upstream peers: "h1" (HTTP/1.1) or "h2" (HTTP/2 with prior
# knowledge). With [service.upstream_tls], its protocol key decides instead.
upstream_protocol = "h1"
# Names of [[plugin]] tables (see below) run on every request, in this order.
plugins = []

# Limits on what a client may send.
[service.limits]
# Longest request line; longer requests get 414.
max_request_line_bytes = 8192
# Largest request head (request line plus header fields); larger gets 431.
max_header_bytes = 65536
# Most header fields in one request; more gets 431.
max_header_count = 100
# Largest request body; 0 means unlimited. Larger gets 413.
max_request_body_bytes = 0
# Slowest average request body rate (bytes/s) once a client has kept River waiting longer
# than timeouts.request_body_idle; slower gets 408. 0 disables.
min_request_body_rate = 1024

[service.timeouts]
# Time allowed to open a connection to an upstream peer (then 504).
connect = "5s"
# Time from sending the request until the upstream's response head arrives (then 504).
response_header = "60s"
# Longest silence while reading an upstream response body (then the response is cut).
upstream_read_idle = "60s"
# Total time a client may take to send a request head, from its first byte (then 408).
request_header = "30s"
# Longest silence while reading a request body (then 408 and close).
request_body_idle = "30s"
# How long an idle keep-alive client connection stays open between requests.
keepalive = "60s"
# Longest silence while writing to a client that does not read (then close).
downstream_write_idle = "60s"

# The upstream connection pool.
[service.pool]
# How long an idle upstream connection is kept for reuse.
idle_timeout = "60s"
# Most idle connections kept per upstream peer, across all workers; 0 disables reuse.
max_idle_per_peer = 128

# HTTP/2 client connections (h2 listeners); limits and timeouts above apply to them too.
[service.http2]
# SETTINGS_MAX_CONCURRENT_STREAMS: requests in flight on one connection.
max_concurrent_streams = 100
# Request body bytes a client may send per stream, and per connection, ahead of River.
initial_stream_window = 65536
connection_window = 1048576
# CONTINUATION frames allowed after one HEADERS frame.
max_continuations = 8
# Stream resets (either way) allowed at once and refilled per second, then GOAWAY.
reset_burst = 200
reset_refill_per_second = 20
# PING/SETTINGS/PRIORITY/empty DATA/excess WINDOW_UPDATE frames, likewise.
control_frame_burst = 1000
control_frame_refill_per_second = 100
# Response body bytes buffered per stream before River waits for the client.
stream_send_buffer = 65536

# How X-Forwarded-* and Forwarded fields are handled.
[service.forwarding]
# Addresses or CIDR ranges ("10.0.0.0/8", "fd00::/8") of proxies in front of River whose
# X-Forwarded-* fields are believed. From other clients those fields are replaced.
trusted_proxies = []
# Add a Via field to requests and responses.
add_via = true

# A listener with TLS (and HTTP/2, offered by ALPN), for this service; remove the "# " to use
# it. Certificates are PEM files; the first is the default, others are chosen by SNI.
# [[service.listener]]
# address = "127.0.0.1:8443"
# h2 = true                     # default: true with TLS, false without (h2c prior knowledge)
#
# [service.listener.tls]
# certificates = [
#   { certificate = "examples/tls/localhost.crt", key = "examples/tls/localhost.key" },
# ]
# min_version = "1.2"           # "1.2" or "1.3"
# ciphers = ""                  # TLS 1.2 list, OpenSSL syntax; "" = ECDHE with AES-GCM/ChaCha20
# ciphersuites = ""             # TLS 1.3 suites; "" = all three, AES-128-GCM first
# groups = ""                   # "" = "X25519:P-256:P-384"
# session_tickets = true
# ticket_key_rotation = "1h"

# TLS to the upstream peers of this service; remove the "# " to use it.
# [service.upstream_tls]
# sni = ""                      # "" = the host part of each upstream entry
# verify = true                 # check the certificate chain and name
# ca_file = ""                  # "" = the system store
# client_certificate = ""       # with client_key: mutual TLS
# client_key = ""
# min_version = "1.2"
# protocol = "h1"              # "h1", "h2" or "h2-or-h1" (ALPN offers both, the peer chooses)

# WebAssembly plugins (proxy-wasm ABI 0.2.1), attached to proxy services by name with
# `plugins = ["name", ...]` in the service. None by default; a table looks like this:
#
# [[plugin]]
# name = "add_header"                    # required, unique
# path = "plugins/add_header.wasm"       # required
# configuration = ""                     # handed to proxy_on_configure
# root_id = ""                           # the plugin_root_id property
# max_memory_bytes = 67108864            # linear memory cap per instance
# cpu_budget = "50ms"                    # CPU time per callback
# fail_open = false                      # on a fault: false answers 500, true passes the request on
# max_body_bytes = 1048576               # body bytes held while the plugin pauses a body

# A service serving files from a directory instead of proxying; remove the "# " to use it.
# Its limits, timeouts and forwarding tables take the same keys as above.
# [[service]]
# name = "site"
# listen = ["127.0.0.1:8081"]
#
# [service.files]
# root = "examples/site"
# index = ["index.html"]
)toml";
}

}  // namespace river::config
