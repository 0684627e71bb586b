// Logging: one named spdlog logger per module, all writing to standard error, and the
// access log, a separate stream with one line per request.
//
// Log lines are a fixed lower-case phrase followed by key=value fields
// (`upstream connect failed peer=127.0.0.1:9000 error=connect_refused`). Untrusted bytes are
// escaped with `escape_for_log` before they reach a log line.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "base/result.h"

namespace river::observe {

/// Sets up the process log on standard error at `level` ("trace" ... "off").
void init_logging(std::string_view level);

/// The logger of `module` ("net", "proxy", "upstream", ...), created on first use.
/// Safe to call from any thread; cache the reference in hot code.
spdlog::logger& logger(std::string_view module);

/// One finished request, as the access log records it.
struct AccessRecord {
  std::string_view service;
  std::string_view client;
  std::string_view method;
  std::string_view target;
  std::string_view protocol;
  int status = 0;
  std::uint64_t bytes_in = 0;   ///< request body bytes received from the client
  std::uint64_t bytes_out = 0;  ///< response body bytes sent to the client
  std::string_view upstream;    ///< peer address, empty when none was used
  bool upstream_reused = false;
  double upstream_ms = -1;  ///< time to the upstream response head, -1 when none
  double total_ms = 0;
  std::string_view reason;  ///< why River answered an error itself ("connect_timeout"), or ""
};

/// The access log: "-" for standard output, "off", or a file path.
class AccessLog {
 public:
  static Result<std::shared_ptr<AccessLog>> open(const std::string& target);

  bool enabled() const { return logger_ != nullptr; }
  void write(const AccessRecord& record);
  void flush();

  explicit AccessLog(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace river::observe
