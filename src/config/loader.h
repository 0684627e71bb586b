// Loading and validating the TOML configuration file.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "config/config.h"

namespace river::config {

/// Reads, parses and validates the file at `path`. Errors name the file, the line and the key:
/// "river.toml:12: service[0].timeouts.conect: unknown key (did you mean 'connect'?)".
Result<ConfigPtr> load_file(const std::string& path);

/// Same as load_file, for TOML text already in memory; `path` is only used in messages.
Result<ConfigPtr> load_string(std::string_view text, const std::string& path);

/// A complete configuration file with every option at its default, with comments.
std::string default_config_text();

}  // namespace river::config
