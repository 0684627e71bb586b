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

 private:
  Result<void> add_service(const config::ServiceConfig& service);
  void shutdown();

  config::ConfigPtr config_;
  std::unique_ptr<net::Workers> workers_;
  std::shared_ptr<observe::AccessLog> access_log_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  std::vector<std::shared_ptr<upstream::Pool>> pools_;
};

}  // namespace river::app
