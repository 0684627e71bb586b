#include "config/toml_reader.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

#include "base/strings.h"
#include "config/duration.h"

namespace river::config {
namespace {

/// Levenshtein distance between `a` and `b`, comparing ASCII case-insensitively.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  // One row of the dynamic-programming table is enough: row[j] is the distance between the
  // current prefix of `a` and the first j bytes of `b`.
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitution =
          diagonal + (ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// "expected a string, got integer".
std::string type_problem(std::string_view expected, const toml::node& got) {
  return fmt::format("expected {}, got {}", expected, type_name(got.type()));
}

}  // namespace

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
  }
  return "unknown";
}

std::optional<std::string_view> closest_match(std::string_view key,
                                              const std::vector<std::string>& candidates) {
  // A third of the key's length (at least one edit) catches typos like "conect" or
  // "treads" without offering unrelated keys for short names.
  const std::size_t max_distance = std::max<std::size_t>(1, key.size() / 3);
  std::optional<std::string_view> best;
  std::size_t best_distance = max_distance + 1;
  for (const auto& candidate : candidates) {
    const auto distance = edit_distance(key, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

void Diagnostics::add(const toml::source_region& where, std::string_view key_path,
                      std::string_view problem) {
  entries_.push_back(
      {where.begin.line, fmt::format("{}: {}: {}", location(where), key_path, problem)});
}

void Diagnostics::add_file_level(std::string_view key_path, std::string_view problem) {
  entries_.push_back({0, fmt::format("{}: {}: {}", file_, key_path, problem)});
}

std::string Diagnostics::joined() const {
  auto sorted = entries_;
  // Stable, so problems on one line keep the order they were found in.
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Entry& a, const Entry& b) { return a.line < b.line; });
  std::string out;
  for (const auto& entry : sorted) {
    if (!out.empty()) {
      out += '\n';
    }
    out += entry.text;
  }
  return out;
}

std::string Diagnostics::location(const toml::source_region& where) const {
  return fmt::format("{}:{}", file_, where.begin.line);
}

std::string TableReader::key_path(std::string_view key) const {
  if (path_.empty()) {
    return std::string(key);
  }
  return fmt::format("{}.{}", path_, key);
}

const toml::node* TableReader::find(std::string_view key) {
  known_.emplace_back(key);
  return table_.get(key);
}

void TableReader::report(const toml::node& where, std::string_view key, std::string_view problem) {
  diagnostics_.add(where.source(), key_path(key), problem);
}

void TableReader::report_missing(std::string_view key) {
  diagnostics_.add(table_.source(), key_path(key), "missing (required)");
}

void TableReader::report_table(std::string_view problem) {
  diagnostics_.add(table_.source(), path_, problem);
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) {
  const auto* node = find(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  const auto* value = node->as_integer();
  if (value == nullptr) {
    report(*node, key, type_problem("an integer", *node));
    return std::nullopt;
  }
  const std::int64_t number = value->get();
  if (number >= min && number <= max) {
    return number;
  }
  if (min == 1 && max == std::numeric_limits<std::int64_t>::max()) {
    report(*node, key, fmt::format("must be greater than 0, got {}", number));
  } else if (min == 0 && max == std::numeric_limits<std::int64_t>::max()) {
    report(*node, key, fmt::format("must not be negative, got {}", number));
  } else {
    report(*node, key, fmt::format("must be from {} to {}, got {}", min, max, number));
  }
  return std::nullopt;
}

void TableReader::read_duration(std::string_view key, Duration& out) {
  const auto* node = find(key);
  if (node == nullptr) {
    return;
  }
  const auto* text = node->as_string();
  if (text == nullptr) {
    // The usual mistake is a bare number; say which form is wanted instead.
    report(
        *node, key,
        type_problem("a duration string with a unit, such as \"250ms\", \"30s\" or \"5m\"", *node));
    return;
  }
  auto duration = parse_duration(text->get());
  if (!duration) {
    report(*node, key, duration.error().context);
    return;
  }
  if (duration->count() <= 0) {
    report(*node, key, fmt::format("must be greater than 0, got \"{}\"", text->get()));
    return;
  }
  out = *duration;
}

void TableReader::read_bool(std::string_view key, bool& out) {
  const auto* node = find(key);
  if (node == nullptr) {
    return;
  }
  const auto* value = node->as_boolean();
  if (value == nullptr) {
    report(*node, key, type_problem("a boolean (true or false)", *node));
    return;
  }
  out = value->get();
}

const toml::node* TableReader::read_string(std::string_view key, std::string& out) {
  const auto* node = find(key);
  if (node == nullptr) {
    return nullptr;
  }
  const auto* value = node->as_string();
  if (value == nullptr) {
    report(*node, key, type_problem("a string", *node));
    return nullptr;
  }
  out = value->get();
  return node;
}

const toml::array* TableReader::read_string_array(std::string_view key,
                                                  std::vector<std::string>& out,
                                                  ElementCheck check) {
  const auto* node = find(key);
  if (node == nullptr) {
    return nullptr;
  }
  const auto* array = node->as_array();
  if (array == nullptr) {
    report(*node, key, type_problem("an array of strings", *node));
    return nullptr;
  }

  std::vector<std::string> values;
  bool all_strings = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto& element = *array->get(i);
    const auto element_key = fmt::format("{}[{}]", key, i);
    const auto* text = element.as_string();
    if (text == nullptr) {
      report(element, element_key, type_problem("a string", element));
      all_strings = false;
      continue;
    }
    if (auto problem = check(text->get())) {
      report(element, element_key, *problem);
    }
    values.push_back(text->get());
  }
  if (!all_strings) {
    return nullptr;
  }
  out = std::move(values);
  return array;
}

const toml::table* TableReader::read_table(std::string_view key) {
  const auto* node = find(key);
  if (node == nullptr) {
    return nullptr;
  }
  const auto* table = node->as_table();
  if (table == nullptr) {
    report(*node, key, type_problem("a table", *node));
  }
  return table;
}

void TableReader::finish() {
  for (const auto& [key, value] : table_) {
    if (std::find(known_.begin(), known_.end(), key.str()) != known_.end()) {
      continue;
    }
    const auto path = key_path(escape_for_log(key.str()));
    if (const auto suggestion = closest_match(key.str(), known_)) {
      diagnostics_.add(key.source(), path,
                       fmt::format("unknown key (did you mean '{}'?)", *suggestion));
    } else {
      diagnostics_.add(key.source(), path,
                       fmt::format("unknown key (expected one of: {})", fmt::join(known_, ", ")));
    }
  }
}

}  // namespace river::config
