// Durations in the configuration file: a whole number followed by a unit.
//
// "250ms", "30s", "5m" and "1h" are the accepted forms. A unit is required, so that a reader
// never has to guess whether `30` means seconds or milliseconds.
#pragma once

#include <string_view>

#include "base/result.h"
#include "config/config.h"

namespace river::config {

/// The longest duration the file may give: one year. Longer values are almost certainly
/// mistakes, and the cap keeps `now + duration` far from overflowing a clock.
inline constexpr Duration kMaxDuration = std::chrono::hours(24 * 365);

/// Parses `text` as digits followed by one of the units "ms", "s", "m", "h", with nothing
/// around them: "250ms", "30s". Zero ("0s") parses; whether zero is allowed is the caller's
/// rule. Fails with a Config error whose context says what was expected, for an empty
/// number, a missing or unknown unit, or a value above kMaxDuration.
Result<Duration> parse_duration(std::string_view text);

}  // namespace river::config
