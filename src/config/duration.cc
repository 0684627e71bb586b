#include "config/duration.h"

#include <fmt/format.h>

#include <cstdint>
#include <optional>

#include "base/strings.h"

namespace river::config {
namespace {

constexpr std::string_view kExpectedForm =
    "expected a whole number with a unit ms, s, m or h, such as \"250ms\", \"30s\", \"5m\"";

Error duration_error(std::string problem) {
  return Error{ErrorKind::Config, Side::Config, false, std::move(problem)};
}

/// Milliseconds in one `unit`, or nullopt for a unit River does not know.
std::optional<std::int64_t> unit_millis(std::string_view unit) {
  if (unit == "ms") {
    return 1;
  }
  if (unit == "s") {
    return 1000;
  }
  if (unit == "m") {
    return 60 * 1000;
  }
  if (unit == "h") {
    return 60 * 60 * 1000;
  }
  return std::nullopt;
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  std::size_t digits_end = 0;
  while (digits_end < text.size() && text[digits_end] >= '0' && text[digits_end] <= '9') {
    ++digits_end;
  }
  const auto digits = text.substr(0, digits_end);
  const auto unit = text.substr(digits_end);

  if (digits.empty()) {
    return duration_error(
        fmt::format("invalid duration \"{}\": {}", escape_for_log(text), kExpectedForm));
  }
  if (unit.empty()) {
    return duration_error(
        fmt::format("duration \"{}\" has no unit: {}", escape_for_log(text), kExpectedForm));
  }
  const auto millis_per_unit = unit_millis(unit);
  if (!millis_per_unit) {
    return duration_error(fmt::format("duration \"{}\" has an unknown unit \"{}\": {}",
                                      escape_for_log(text), escape_for_log(unit), kExpectedForm));
  }

  // Compare before multiplying: a number of many digits would overflow the product.
  const auto max_count = static_cast<std::uint64_t>(kMaxDuration.count() / *millis_per_unit);
  const auto count = parse_decimal(digits);
  if (!count || *count > max_count) {
    return duration_error(
        fmt::format("duration \"{}\" is too long: at most {}h", escape_for_log(text),
                    std::chrono::duration_cast<std::chrono::hours>(kMaxDuration).count()));
  }
  return Duration(static_cast<std::int64_t>(*count) * *millis_per_unit);
}

}  // namespace river::config
