// Server: the running River process built from a configuration.
//
// It owns the worker threads, one listener per configured address, and per service either
// a proxy (peers plus a connection pool shared by all workers) or a file server. `run`
// blocks until SIGTERM or SIGINT, then shuts down gracefully: listeners close at once,
// idle client connections close, in-flight requests get `shutdown_grace` to finish.
#pragma once

#include <memory>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "net/listener.h"
#include "proxy/connection.h"
#include "proxy/proxy_handler.h"
#include "net/workers.h"
#include "observe/log.h"
#include "upstream/pool.h"

namespace river::app {

class Server {
 public:
  /// Resolves peers, opens the access log and binds every listener; nothing is served yet.
  static Result<std::unique_ptr<Server>> create(config::ConfigPtr config);

  explicit Server(config::ConfigPtr config);
  ~Server();

  /// Serves until a termination signal, then shuts down. Returns the process exit code.
  int run();

  /// Builds what a `[[service.listener]]` speaks, loading its certificates; an error names
  /// the listener's place in the file and the file that failed.
  static Result<std::shared_ptr<const proxy::ListenerProtocols>> listener_protocols(
      const config::ListenerConfig& listener);

  /// Builds the TLS client side of a service's upstream connections (CA bundle and client
  /// certificate loaded here).
  static Result<std::shared_ptr<const proxy::UpstreamTlsOptions>> upstream_tls_options(
      const config::UpstreamTlsConfig& config);

 private:
  Result<void> add_service(const config::ServiceConfig& service,
                           const proxy::FilterFactories& filters);
  Result<void> add_listener(const config::ServiceConfig& service, const std::string& address,
                            std::shared_ptr<const proxy::ListenerProtocols> protocols,
                            std::shared_ptr<const proxy::SessionOptions> session,
                            std::shared_ptr<proxy::Handler> handler);
  void shutdown();

  config::ConfigPtr config_;
  std::unique_ptr<net::Workers> workers_;
  std::shared_ptr<observe::AccessLog> access_log_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  std::vector<std::shared_ptr<upstream::Pool>> pools_;
  std::vector<std::shared_ptr<proxy::UpstreamH2Registry>> h2_registries_;
};

}  // namespace river::app
