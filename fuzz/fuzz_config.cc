// Fuzzes the configuration loader with arbitrary file contents: TOML syntax, then River's
// validation. A configuration file is trusted more than network input, but `river check`
// is what operators run on files they have not read yet, and an error must be a message,
// never a crash.
//
// Checks: loading never crashes; an error always names the file; a configuration that loads
// loads again to an equal value (the loader has no hidden state).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/check.h"
#include "config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = river::config::load_string(text, "fuzz.toml");
  if (!first) {
    RIVER_CHECK(first.error().context.starts_with("fuzz.toml"));
    return 0;
  }
  auto second = river::config::load_string(text, "fuzz.toml");
  RIVER_CHECK(second.has_value());
  RIVER_CHECK(**first == **second);
  return 0;
}
