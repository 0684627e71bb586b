#include "app/plugin_filter.h"

#include <atomic>

#include <fmt/format.h>

#include "base/strings.h"
#include "observe/log.h"

namespace river::app {
namespace {

spdlog::logger& module_log() {
  static auto& instance = observe::logger("app");
  return instance;
}

Error config_error(std::string context) {
  return Error{ErrorKind::Config, Side::Config, false, std::move(context)};
}

std::atomic<std::uint64_t> next_request_id{1};

proxy::FilterStatus to_filter_status(wasm::HttpStream::Outcome outcome) {
  switch (outcome) {
    case wasm::HttpStream::Outcome::Continue:
      return proxy::FilterStatus::Continue;
    case wasm::HttpStream::Outcome::Pause:
      return proxy::FilterStatus::Buffer;
    case wasm::HttpStream::Outcome::Respond:
      return proxy::FilterStatus::Respond;
    case wasm::HttpStream::Outcome::Failed:
      break;
  }
  return proxy::FilterStatus::Fail;
}

/// A request's view of one plugin.
class PluginFilter final : public proxy::HttpFilter {
 public:
  PluginFilter(std::shared_ptr<wasm::PluginVm> vm, wasm::StreamInfo info,
               std::size_t max_body_bytes)
      : stream_(std::move(vm), std::move(info)), max_body_bytes_(max_body_bytes) {}

  // proxy::HttpFilter
  bool observes_request_body() const override { return stream_.observes_request_body(); }
  bool observes_response_body() const override { return stream_.observes_response_body(); }
  std::size_t max_buffered_bytes() const override { return max_body_bytes_; }
  proxy::FilterStatus on_request_headers(http::RequestHead& head, bool end_of_stream) override {
    return note(stream_.on_request_headers(head, end_of_stream));
  }
  proxy::FilterStatus on_request_body(std::string& body, bool end_of_stream) override {
    return note(stream_.on_request_body(body, end_of_stream));
  }
  proxy::FilterStatus on_request_trailers(http::HeaderMap& trailers) override {
    return note(stream_.on_request_trailers(trailers));
  }
  void on_upstream(std::string_view peer) override {
    stream_.set_upstream_address(std::string(peer));
  }
  proxy::FilterStatus on_response_headers(http::ResponseHead& head, bool end_of_stream) override {
    return note(stream_.on_response_headers(head, end_of_stream));
  }
  proxy::FilterStatus on_response_body(std::string& body, bool end_of_stream) override {
    return note(stream_.on_response_body(body, end_of_stream));
  }
  proxy::FilterStatus on_response_trailers(http::HeaderMap& trailers) override {
    return note(stream_.on_response_trailers(trailers));
  }
  void on_done() override { stream_.finish(); }
  proxy::LocalReply take_local_reply() override {
    const auto& local = stream_.local_response();
    proxy::LocalReply reply{.status = local.status, .body = local.body};
    for (const auto& [name, value] : local.headers) {
      reply.headers.add(name, value);
    }
    return reply;
  }
  std::string_view reason() const override { return reason_; }

 private:
  proxy::FilterStatus note(wasm::HttpStream::Outcome outcome) {
    if (outcome == wasm::HttpStream::Outcome::Respond) {
      reason_ = "plugin_local_response";
    } else if (outcome == wasm::HttpStream::Outcome::Failed) {
      reason_ = "plugin_failed";
    }
    return to_filter_status(outcome);
  }

  wasm::HttpStream stream_;
  std::size_t max_body_bytes_;
  std::string reason_;
};

/// Stands in for a plugin whose instance could not be created on this worker: fails every
/// request, or lets it pass when the plugin is fail-open.
class UnavailableFilter final : public proxy::HttpFilter {
 public:
  explicit UnavailableFilter(bool fail_open) : fail_open_(fail_open) {}

  // proxy::HttpFilter
  bool observes_request_body() const override { return false; }
  bool observes_response_body() const override { return false; }
  std::size_t max_buffered_bytes() const override { return 0; }
  proxy::FilterStatus on_request_headers(http::RequestHead&, bool) override {
    return fail_open_ ? proxy::FilterStatus::Continue : proxy::FilterStatus::Fail;
  }
  proxy::FilterStatus on_request_body(std::string&, bool) override {
    return proxy::FilterStatus::Continue;
  }
  proxy::FilterStatus on_request_trailers(http::HeaderMap&) override {
    return proxy::FilterStatus::Continue;
  }
  void on_upstream(std::string_view) override {}
  proxy::FilterStatus on_response_headers(http::ResponseHead&, bool) override {
    return proxy::FilterStatus::Continue;
  }
  proxy::FilterStatus on_response_body(std::string&, bool) override {
    return proxy::FilterStatus::Continue;
  }
  proxy::FilterStatus on_response_trailers(http::HeaderMap&) override {
    return proxy::FilterStatus::Continue;
  }
  void on_done() override {}
  proxy::LocalReply take_local_reply() override { return {}; }
  std::string_view reason() const override { return "plugin_unavailable"; }

 private:
  bool fail_open_;
};

}  // namespace

Result<LoadedPlugins> load_plugins(const config::Config& config) {
  LoadedPlugins loaded;
  for (std::size_t i = 0; i < config.plugins.size(); ++i) {
    const auto& entry = config.plugins[i];
    wasm::PluginOptions options{
        .name = entry.name,
        .root_id = entry.root_id,
        .configuration = entry.configuration,
        .max_memory_bytes = static_cast<std::size_t>(entry.max_memory_bytes),
        .cpu_budget = std::chrono::duration_cast<std::chrono::microseconds>(entry.cpu_budget),
        .fail_open = entry.fail_open,
        .max_body_bytes = static_cast<std::size_t>(entry.max_body_bytes)};
    auto plugin = wasm::Plugin::load_file(std::move(options), entry.path);
    if (!plugin) {
      return config_error(fmt::format("{}: plugin[{}].path: {}", entry.path_origin, i,
                                      plugin.error().context));
    }
    // A first instance on this thread runs the plugin's start and configuration callbacks,
    // so a plugin that refuses its configuration fails here rather than on every request.
    auto vm = wasm::PluginVm::create(*plugin);
    if (!vm) {
      return config_error(fmt::format("{}: plugin[{}]: plugin '{}' does not start: {}",
                                      entry.origin, i, entry.name, vm.error().context));
    }
    loaded.emplace(entry.name, std::move(*plugin));
  }
  return loaded;
}

std::unique_ptr<proxy::HttpFilter> PluginFilterFactory::create(
    const proxy::RequestInfo& info) const {
  auto vm = wasm::PluginVm::for_this_thread(plugin_);
  if (!vm) {
    // TODO(#4): rate-limit this warning; a plugin that never starts logs once per request.
    module_log().warn("plugin instance unavailable plugin={} error={}", plugin_->options().name,
                      escape_for_log(vm.error().context));
    return std::make_unique<UnavailableFilter>(plugin_->options().fail_open);
  }
  wasm::StreamInfo stream{.client_address = std::string(info.client_ip),
                          .scheme = std::string(info.scheme),
                          .protocol = std::string(http::to_string(info.version)),
                          .service = service_,
                          .request_id = next_request_id.fetch_add(1, std::memory_order_relaxed)};
  return std::make_unique<PluginFilter>(std::move(*vm), std::move(stream),
                                        plugin_->options().max_body_bytes);
}

}  // namespace river::app
