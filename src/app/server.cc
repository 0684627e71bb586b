#include "app/server.h"

#include <csignal>
#include <thread>

#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <boost/asio/signal_set.hpp>

#include "app/file_handler.h"
#if RIVER_HAS_WASM
#include "app/plugin_filter.h"
#include "wasm/shared_state.h"
#endif
#include "files/file_server.h"
#include "lb/round_robin.h"
#include "proxy/connection.h"
#include "proxy/http1_session.h"
#include "proxy/http2_session.h"
#include "proxy/proxy_handler.h"

namespace river::app {
namespace {

constexpr auto kPoolSweepInterval = std::chrono::seconds(1);

spdlog::logger& module_log() {
  static auto& instance = observe::logger("app");
  return instance;
}

Error config_error(std::string context) {
  return Error{ErrorKind::Config, Side::Config, false, std::move(context)};
}

/// Sweeps every pool once a second on worker 0, until the workers stop.
asio::awaitable<void> sweep_pools(std::vector<std::shared_ptr<upstream::Pool>> pools,
                                  std::vector<std::shared_ptr<proxy::UpstreamH2Registry>> h2) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (true) {
    timer.expires_after(kPoolSweepInterval);
    auto [ec] = co_await timer.async_wait(net::kNoThrow);
    if (ec) {
      co_return;
    }
    for (auto& pool : pools) {
      pool->sweep();
    }
    for (auto& registry : h2) {
      registry->sweep();
    }
  }
}

/// Client connections open now, HTTP/1 and HTTP/2, across all workers.
std::size_t open_connections() {
  return proxy::Http1Session::open_sessions() + proxy::Http2Session::open_sessions();
}

/// The host part of an upstream entry: "api.internal" of "api.internal:443", "::1" of
/// "[::1]:80".
std::string host_of(std::string_view text) {
  if (text.starts_with('[')) {
    const auto end = text.find(']');
    return std::string(text.substr(1, end == std::string_view::npos ? 0 : end - 1));
  }
  return std::string(text.substr(0, text.rfind(':')));
}

}  // namespace

Result<std::shared_ptr<const proxy::UpstreamTlsOptions>> Server::upstream_tls_options(
    const config::UpstreamTlsConfig& config) {
  tls::ClientOptions options;
  options.verify = config.verify;
  options.ca_file = config.ca_file;
  options.client_certificate = {config.client_certificate, config.client_key};
  options.min_version = tls::parse_version(config.min_version).value_or(tls::Version::Tls12);
  // RFC 7301: what is offered decides what the peer may choose.
  if (config.protocol == "h2") {
    options.alpn = {"h2"};
  } else if (config.protocol == "h2-or-h1") {
    options.alpn = {"h2", "http/1.1"};
  } else {
    options.alpn = {"http/1.1"};
  }
  auto context = tls::ClientContext::create(options);
  if (!context) {
    return context.error();
  }

  auto result = std::make_shared<proxy::UpstreamTlsOptions>();
  result->context = std::move(*context);
  result->server_name = config.sni;
  // Connections made with different settings must not serve each other's requests.
  result->key = fmt::format("tls sni={} verify={} ca={} cert={} min={} alpn={}", config.sni,
                            config.verify, config.ca_file, config.client_certificate,
                            config.min_version, config.protocol);
  return std::shared_ptr<const proxy::UpstreamTlsOptions>(result);
}

Server::Server(config::ConfigPtr config) : config_(std::move(config)) {}

Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::create(config::ConfigPtr config) {
  auto server = std::make_unique<Server>(config);
  server->workers_ = std::make_unique<net::Workers>(config->system.threads);

  auto access_log = observe::AccessLog::open(config->system.access_log);
  if (!access_log) {
    return access_log.error();
  }
  server->access_log_ = *access_log;

#if RIVER_HAS_WASM
  auto plugins = load_plugins(*config);
  if (!plugins) {
    return plugins.error();
  }
  for (const auto& [name, plugin] : *plugins) {
    module_log().info("plugin loaded plugin={} fail_open={}", name, plugin->options().fail_open);
  }
#else
  if (!config->plugins.empty()) {
    return config_error("this river was built without the plugin host (RIVER_WASM=OFF)");
  }
#endif
  for (const auto& service : config->services) {
    proxy::FilterFactories filters;
#if RIVER_HAS_WASM
    for (const auto& name : service.plugins) {
      filters.push_back(
          std::make_shared<PluginFilterFactory>(plugins->find(name)->second, service.name));
    }
#endif
    if (auto added = server->add_service(service, filters); !added) {
      return added.error();
    }
  }
  return server;
}

Result<void> Server::add_service(const config::ServiceConfig& service,
                                 const proxy::FilterFactories& filters) {
  auto session = std::make_shared<proxy::SessionOptions>();
  session->service = service.name;
  session->limits = {.max_request_line_bytes = service.limits.max_request_line_bytes,
                     .max_header_bytes = service.limits.max_header_bytes,
                     .max_header_count = service.limits.max_header_count};
  session->max_request_body_bytes = service.limits.max_request_body_bytes;
  session->min_request_body_rate = service.limits.min_request_body_rate;
  session->request_header_timeout = service.timeouts.request_header;
  session->request_body_idle_timeout = service.timeouts.request_body_idle;
  session->keepalive_timeout = service.timeouts.keepalive;
  session->write_idle_timeout = service.timeouts.downstream_write_idle;
  session->access_log = access_log_;
  const auto& http2 = service.http2;
  session->http2 = proxy::Http2Options{
      .max_concurrent_streams = static_cast<std::uint32_t>(http2.max_concurrent_streams),
      .initial_stream_window = static_cast<std::uint32_t>(http2.initial_stream_window),
      .connection_window = static_cast<std::uint32_t>(http2.connection_window),
      .max_continuations = static_cast<std::size_t>(http2.max_continuations),
      .reset_burst = static_cast<std::uint32_t>(http2.reset_burst),
      .reset_refill_per_second = static_cast<std::uint32_t>(http2.reset_refill_per_second),
      .control_frame_burst = static_cast<std::uint32_t>(http2.control_frame_burst),
      .control_frame_refill_per_second =
          static_cast<std::uint32_t>(http2.control_frame_refill_per_second),
      .stream_send_buffer = static_cast<std::size_t>(http2.stream_send_buffer),
  };

  std::shared_ptr<proxy::Handler> handler;
  if (service.has_files) {
    auto files = files::FileServer::create(
        files::FileServerOptions{.root = service.files.root, .index = service.files.index});
    if (!files) {
      return config_error(service.origin + ": service '" + service.name +
                          "': " + files.error().context);
    }
    handler = std::make_shared<FileHandler>(
        std::make_shared<const files::FileServer>(std::move(*files)));
  } else {
    std::vector<net::SocketAddress> peers;
    std::vector<std::string> hosts;
    for (const auto& text : service.upstream) {
      auto resolved = net::resolve_peer_address(text);
      if (!resolved) {
        return config_error(service.origin + ": service '" + service.name +
                            "': " + resolved.error().context);
      }
      peers.insert(peers.end(), resolved->begin(), resolved->end());
      hosts.insert(hosts.end(), resolved->size(), host_of(text));
    }

    proxy::ProxyOptions options;
    options.service = service.name;
    options.connect_timeout = service.timeouts.connect;
    options.response_header_timeout = service.timeouts.response_header;
    options.read_idle_timeout = service.timeouts.upstream_read_idle;
    options.forwarding.add_via = service.forwarding.add_via;
    options.filters = filters;
    const auto& protocol =
        service.has_upstream_tls ? service.upstream_tls.protocol : service.upstream_protocol;
    options.protocol = protocol == "h2"         ? proxy::UpstreamProtocol::Http2
                       : protocol == "h2-or-h1" ? proxy::UpstreamProtocol::Http2OrHttp1
                                                : proxy::UpstreamProtocol::Http1;
    if (service.has_upstream_tls) {
      auto tls = upstream_tls_options(service.upstream_tls);
      if (!tls) {
        return config_error(service.origin + ": service '" + service.name +
                            "': upstream_tls: " + tls.error().context);
      }
      options.tls = std::move(*tls);
    }
    for (const auto& text : service.forwarding.trusted_proxies) {
      auto range = net::Cidr::parse(text);
      if (!range) {
        return config_error(service.origin + ": invalid trusted proxy '" + text + "'");
      }
      options.forwarding.trusted_proxies.push_back(*range);
    }

    auto pool = std::make_shared<upstream::Pool>(upstream::PoolOptions{
        .idle_timeout = service.pool.idle_timeout,
        .max_idle_per_peer = static_cast<std::size_t>(service.pool.max_idle_per_peer)});
    pools_.push_back(pool);
    std::shared_ptr<proxy::UpstreamH2Registry> h2;
    if (options.protocol != proxy::UpstreamProtocol::Http1) {
      // HTTP/2 connections expire like pooled ones once they carry no stream.
      h2 = std::make_shared<proxy::UpstreamH2Registry>(service.pool.idle_timeout);
      h2_registries_.push_back(h2);
    }
    handler = std::make_shared<proxy::ProxyHandler>(
        std::move(options), std::make_shared<lb::RoundRobin>(peers, hosts), pool, h2);
  }

  std::shared_ptr<const proxy::SessionOptions> shared_session = session;
  for (const auto& text : service.listen) {
    if (auto added = add_listener(service, text, std::make_shared<proxy::ListenerProtocols>(),
                                  shared_session, handler);
        !added) {
      return added;
    }
  }
  for (const auto& listener : service.listeners) {
    auto protocols = listener_protocols(listener);
    if (!protocols) {
      return protocols.error();
    }
    if (auto added =
            add_listener(service, listener.address, std::move(*protocols), shared_session, handler);
        !added) {
      return added;
    }
  }
  return Result<void>();
}

Result<std::shared_ptr<const proxy::ListenerProtocols>> Server::listener_protocols(
    const config::ListenerConfig& listener) {
  auto protocols = std::make_shared<proxy::ListenerProtocols>();
  protocols->h2 = listener.serves_h2();
  if (!listener.has_tls) {
    return std::shared_ptr<const proxy::ListenerProtocols>(protocols);
  }

  const auto& tls = listener.tls;
  tls::ServerOptions options;
  for (const auto& pair : tls.certificates) {
    options.certificates.push_back({pair.certificate, pair.key});
  }
  options.min_version = tls::parse_version(tls.min_version).value_or(tls::Version::Tls12);
  options.ciphers = tls.ciphers;
  options.ciphersuites = tls.ciphersuites;
  options.groups = tls.groups;
  options.session_tickets = tls.session_tickets;
  options.ticket_key_rotation =
      std::chrono::duration_cast<std::chrono::seconds>(tls.ticket_key_rotation);
  // RFC 9113 §3.2: "h2" first, so a client offering both gets HTTP/2.
  if (protocols->h2) {
    options.alpn = {"h2", "http/1.1"};
  } else {
    options.alpn = {"http/1.1"};
  }

  auto context = tls::ServerContext::create(options);
  if (!context) {
    return config_error(listener.origin + ": listener " + listener.address + ": " +
                        context.error().context);
  }
  protocols->tls = std::move(*context);
  return std::shared_ptr<const proxy::ListenerProtocols>(protocols);
}

Result<void> Server::add_listener(const config::ServiceConfig& service, const std::string& text,
                                  std::shared_ptr<const proxy::ListenerProtocols> protocols,
                                  std::shared_ptr<const proxy::SessionOptions> session,
                                  std::shared_ptr<proxy::Handler> handler) {
  auto address = net::parse_listen_address(text);
  if (!address) {
    return config_error(service.origin + ": " + address.error().context);
  }
  const bool is_tls = protocols->tls != nullptr;
  auto listener = net::Listener::bind(
      *workers_, *address,
      [protocols = std::move(protocols), session = std::move(session),
       handler = std::move(handler)](net::Socket socket, const net::Endpoint& peer, unsigned) {
        proxy::start_connection(std::move(socket), net::remote_ip(peer), protocols, session,
                                handler);
      });
  if (!listener) {
    return listener.error();
  }
  module_log().info("listening service={} address={} tls={}", service.name,
                    (*listener)->local_address().to_string(), is_tls ? "on" : "off");
  listeners_.push_back(std::move(*listener));
  return Result<void>();
}

int Server::run() {
  std::signal(SIGPIPE, SIG_IGN);
  workers_->start();
  for (auto& listener : listeners_) {
    listener->start();
  }
  if (!pools_.empty()) {
    asio::co_spawn(workers_->context(0), sweep_pools(pools_, h2_registries_), asio::detached);
  }
  module_log().info("started workers={} services={}", workers_->size(), config_->services.size());

  // Signals are received on the main thread, which otherwise only waits.
  asio::io_context signals_context(1);
  asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](const net::ErrorCode& ec, int number) {
    if (!ec) {
      received = number;
    }
  });
  signals_context.run();

  module_log().info("shutdown started signal={} open_connections={}", received,
             open_connections());
  shutdown();
#if RIVER_HAS_WASM
  // TODO(#4): export plugin metrics with River's own once a metrics endpoint exists; until
  // then their final values go to the log.
  for (const auto& metric : wasm::PluginMetrics::instance().snapshot()) {
    module_log().info("plugin metric name={} value={}", metric.name, metric.value);
  }
#endif
  module_log().info("shutdown complete");
  if (access_log_) {
    access_log_->flush();
  }
  return 0;
}

void Server::shutdown() {
  for (auto& listener : listeners_) {
    listener->close();
  }
  for (unsigned i = 0; i < workers_->size(); ++i) {
    asio::post(workers_->context(i), [] {
      proxy::Http1Session::drain_sessions_on_this_worker();
      proxy::Http2Session::drain_sessions_on_this_worker();
    });
  }

  const auto deadline = net::Clock::now() + config_->system.shutdown_grace;
  while (open_connections() > 0 && net::Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (const auto left = open_connections(); left > 0) {
    module_log().warn("shutdown grace period over, closing connections open_connections={}", left);
  }
  workers_->stop();
  workers_->join();
}

}  // namespace river::app
