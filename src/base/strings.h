// Small string helpers shared by the codecs and the configuration: ASCII case folding,
// trimming of optional whitespace, and checked decimal parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace river {

/// ASCII lower-case of `c`; other bytes unchanged.
constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

/// Compares ASCII case-insensitively, as HTTP field names and tokens are compared.
bool iequals(std::string_view a, std::string_view b);

/// Returns `text` without leading and trailing SP and HTAB (HTTP's OWS); no other bytes.
std::string_view trim_ows(std::string_view text);

/// Parses a non-empty run of ASCII digits into a uint64, rejecting signs, spaces and overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view digits);

/// Returns a copy of `text` with bytes outside printable ASCII escaped as \xHH and cut to
/// `max_bytes`, so that untrusted input is safe to log.
std::string escape_for_log(std::string_view text, std::size_t max_bytes = 256);

}  // namespace river
