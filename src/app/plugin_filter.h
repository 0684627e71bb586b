// WASM plugins as proxy filters: the glue between the proxy's filter interface
// (proxy/filter.h) and the proxy-wasm host (wasm/plugin.h).
//
// `load_plugins` loads every `[[plugin]]` of the configuration once per process, at start-up
// and in `river check`: it reads and compiles the .wasm file, checks it against the ABI, and
// starts one instance on the calling thread so that a plugin rejecting its configuration is
// a configuration error too. `PluginFilterFactory` then makes one filter per request, on the
// request's worker, backed by that worker's instance of the plugin.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/result.h"
#include "config/config.h"
#include "proxy/filter.h"
#include "wasm/plugin.h"

namespace river::app {

using LoadedPlugins = std::map<std::string, std::shared_ptr<const wasm::Plugin>, std::less<>>;

/// Loads and checks every plugin of `config`. Errors (`Config`) name the file and line of
/// the plugin's `path` key: "river.toml:14: plugin[0].path: cannot open x.wasm: ...".
Result<LoadedPlugins> load_plugins(const config::Config& config);

/// Makes filters running one plugin.
class PluginFilterFactory final : public proxy::HttpFilterFactory {
 public:
  PluginFilterFactory(std::shared_ptr<const wasm::Plugin> plugin, std::string service)
      : plugin_(std::move(plugin)), service_(std::move(service)) {}

  std::unique_ptr<proxy::HttpFilter> create(const proxy::RequestInfo& info) const override;

 private:
  std::shared_ptr<const wasm::Plugin> plugin_;
  std::string service_;
};

}  // namespace river::app
