#include "observe/log.h"

#include <mutex>
#include <unordered_map>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "base/strings.h"

namespace river::observe {
namespace {

struct Registry {
  std::mutex mutex;
  spdlog::sink_ptr sink;
  spdlog::level::level_enum level = spdlog::level::info;
  std::unordered_map<std::string, std::shared_ptr<spdlog::logger>> loggers;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

spdlog::sink_ptr stderr_sink() {
  static auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return sink;
}

}  // namespace

void init_logging(std::string_view level) {
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  reg.sink = stderr_sink();
  reg.sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %n: %v");
  reg.level = spdlog::level::from_str(std::string(level));
  for (auto& [name, logger] : reg.loggers) {
    logger->set_level(reg.level);
  }
}

spdlog::logger& logger(std::string_view module) {
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  auto found = reg.loggers.find(std::string(module));
  if (found != reg.loggers.end()) {
    return *found->second;
  }
  if (!reg.sink) {
    reg.sink = stderr_sink();
    reg.sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %n: %v");
  }
  auto created = std::make_shared<spdlog::logger>(std::string(module), reg.sink);
  created->set_level(reg.level);
  created->flush_on(spdlog::level::info);
  auto& ref = *created;
  reg.loggers.emplace(std::string(module), std::move(created));
  return ref;
}

Result<std::shared_ptr<AccessLog>> AccessLog::open(const std::string& target) {
  if (target == "off") {
    return std::make_shared<AccessLog>(nullptr);
  }
  std::shared_ptr<spdlog::logger> log;
  try {
    if (target == "-") {
      log = std::make_shared<spdlog::logger>(
          "access", std::make_shared<spdlog::sinks::stdout_sink_mt>());
    } else {
      log = std::make_shared<spdlog::logger>(
          "access", std::make_shared<spdlog::sinks::basic_file_sink_mt>(target));
    }
  } catch (const spdlog::spdlog_ex& e) {
    return Error{ErrorKind::Config, Side::Config, false,
                 fmt::format("cannot open access log '{}': {}", target, e.what())};
  }
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %v");
  log->set_level(spdlog::level::info);
  log->flush_on(spdlog::level::info);
  return std::make_shared<AccessLog>(std::move(log));
}

void AccessLog::write(const AccessRecord& r) {
  if (!logger_) {
    return;
  }
  // Client-controlled text (method, target) is escaped; everything else is River's own.
  logger_->info(
      "service={} client={} method={} target=\"{}\" protocol={} status={} bytes_in={} "
      "bytes_out={} upstream={} reused={} upstream_ms={:.3f} ms={:.3f} reason={}",
      r.service, r.client, escape_for_log(r.method, 32), escape_for_log(r.target, 1024),
      r.protocol, r.status, r.bytes_in, r.bytes_out, r.upstream.empty() ? "-" : r.upstream,
      r.upstream_reused ? 1 : 0, r.upstream_ms, r.total_ms, r.reason.empty() ? "-" : r.reason);
}

void AccessLog::flush() {
  if (logger_) {
    logger_->flush();
  }
}

}  // namespace river::observe
