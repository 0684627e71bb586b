#include "files/range.h"

#include <algorithm>
#include <optional>

#include "base/strings.h"
#include "http/header_map.h"

namespace river::files {
namespace {

// One byte-range-spec, not yet checked against the size.
struct RangeSpec {
  bool is_suffix = false;  // "-n": the last n bytes
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;  // absent in "a-"
  std::uint64_t suffix_length = 0;
};

// RFC 9110 §14.1.1: int-range = first-pos "-" [ last-pos ], suffix-range = "-" suffix-length.
std::optional<RangeSpec> parse_spec(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    return std::nullopt;
  }
  RangeSpec spec;
  const auto before = text.substr(0, dash);
  const auto after = text.substr(dash + 1);
  if (before.empty()) {
    const auto length = parse_decimal(after);
    if (!length) {
      return std::nullopt;
    }
    spec.is_suffix = true;
    spec.suffix_length = *length;
    return spec;
  }

  const auto first = parse_decimal(before);
  if (!first) {
    return std::nullopt;
  }
  spec.first = *first;
  if (!after.empty()) {
    spec.last = parse_decimal(after);
    // §14.1.1: "A byte-range-spec is invalid if the last-pos value is present and less than
    // the first-pos."
    if (!spec.last || *spec.last < spec.first) {
      return std::nullopt;
    }
  }
  return spec;
}

}  // namespace

RangeDecision decide_range(std::string_view range, std::uint64_t size) {
  const RangeDecision full;
  // §14.1: ranges-specifier = range-unit "=" range-set; range units compare
  // case-insensitively.
  constexpr std::string_view kUnit = "bytes=";
  if (range.size() < kUnit.size() || !iequals(range.substr(0, kUnit.size()), kUnit)) {
    return full;
  }
  range.remove_prefix(kUnit.size());

  // range-set = 1#range-spec. Empty list elements are allowed (§5.6.1), so count only
  // non-empty ones; more than one means "several ranges", which gets the whole file.
  std::optional<RangeSpec> spec;
  int count = 0;
  bool is_malformed = false;
  http::for_each_list_element(range, [&](std::string_view element) {
    ++count;
    if (auto parsed = parse_spec(element)) {
      spec = parsed;
    } else {
      is_malformed = true;
    }
  });
  if (count != 1 || is_malformed || size == 0) {
    return full;
  }

  RangeDecision decision;
  decision.kind = RangeDecision::Kind::Partial;
  if (spec->is_suffix) {
    // §14.1.3: a suffix-length of 0 is unsatisfiable; a longer one than the representation
    // selects all of it.
    if (spec->suffix_length == 0) {
      decision.kind = RangeDecision::Kind::Unsatisfiable;
      return decision;
    }
    decision.length = std::min(spec->suffix_length, size);
    decision.first = size - decision.length;
    return decision;
  }

  // §14.1.3: an int-range is satisfiable only if its first-pos is below the length; a
  // last-pos at or past the end is cut to the last byte.
  if (spec->first >= size) {
    decision.kind = RangeDecision::Kind::Unsatisfiable;
    return decision;
  }
  const std::uint64_t last = std::min(spec->last.value_or(size - 1), size - 1);
  decision.first = spec->first;
  decision.length = last - spec->first + 1;
  return decision;
}

}  // namespace river::files
