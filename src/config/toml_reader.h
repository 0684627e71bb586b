// TableReader and Diagnostics: the loader's tools for walking parsed TOML.
//
// Internal to the config module. A TableReader reads the keys of one TOML table into struct
// fields, checking each value's type and range; every key it is asked about becomes a known
// key, and finish() reports the rest as unknown, suggesting the nearest known key. Problems
// go to Diagnostics as "file:line: key.path: problem", so the loader can report them all,
// ordered by line. Nothing here throws.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace river::config {

/// Collects error messages naming file, line and key path.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  /// Records "file:line: key_path: problem", the line taken from `where`.
  void add(const toml::source_region& where, std::string_view key_path, std::string_view problem);

  /// Records "file: key_path: problem" for a problem with no line of its own (something
  /// missing from the whole file).
  void add_file_level(std::string_view key_path, std::string_view problem);

  bool empty() const { return entries_.empty(); }

  /// All messages ordered by line (file-level ones first), one per line, no trailing newline.
  std::string joined() const;

  /// "file:line" of `where`, as kept in ServiceConfig::origin.
  std::string location(const toml::source_region& where) const;

 private:
  struct Entry {
    toml::source_index line = 0;
    std::string text;
  };

  std::string file_;
  std::vector<Entry> entries_;
};

/// A check run on each element of a string array: returns a problem, or nullopt when the
/// element is fine.
using ElementCheck = std::optional<std::string> (*)(std::string_view value);

/// Reads the keys of one TOML table. `table` must outlive the reader.
class TableReader {
 public:
  /// `path` is the table's key path in messages ("system", "service[0].timeouts").
  TableReader(Diagnostics& diagnostics, const toml::table& table, std::string path)
      : diagnostics_(diagnostics), table_(table), path_(std::move(path)) {}

  /// "path.key": how `key` of this table is named in messages.
  std::string key_path(std::string_view key) const;

  /// True when the table holds `key`. Does not make `key` known.
  bool has(std::string_view key) const { return table_.contains(key); }

  /// Reads an integer in [min, max] into `out`; leaves `out` alone when `key` is absent or
  /// its value is wrong (which is reported).
  template <typename T>
  void read_integer(std::string_view key, T& out, std::int64_t min, std::int64_t max) {
    if (const auto value = integer(key, min, max)) {
      out = static_cast<T>(*value);
    }
  }

  /// Reads a duration string greater than zero ("30s", see duration.h).
  void read_duration(std::string_view key, Duration& out);

  /// Reads a boolean.
  void read_bool(std::string_view key, bool& out);

  /// Reads a string. Returns its node when the key was present and a string, so the caller
  /// can check the value further and report at its position; nullptr otherwise.
  const toml::node* read_string(std::string_view key, std::string& out);

  /// Reads an array of strings, running `check` on each element and reporting its problems as
  /// "path.key[i]". Returns the array when the key was present and held only strings (even
  /// if `check` found problems); nullptr otherwise, leaving `out` alone.
  const toml::array* read_string_array(std::string_view key, std::vector<std::string>& out,
                                       ElementCheck check);

  /// The sub-table under `key`, or nullptr when absent or not a table (which is reported).
  const toml::table* read_table(std::string_view key);

  /// Marks `key` as known and returns its node, or nullptr when absent; the caller checks
  /// its type.
  const toml::node* find(std::string_view key);

  /// Reports a problem with the value at `where`, naming "path.key".
  void report(const toml::node& where, std::string_view key, std::string_view problem);

  /// Reports that required `key` is missing, at the table's own line.
  void report_missing(std::string_view key);

  /// Reports a problem with the table as a whole, at its line.
  void report_table(std::string_view problem);

  /// Reports every key of the table that no read or find asked for. Call once, last.
  void finish();

 private:
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);

  Diagnostics& diagnostics_;
  const toml::table& table_;
  std::string path_;
  std::vector<std::string> known_;
};

/// The name of `type` in messages: "string", "integer", "float", "table", ...
std::string_view type_name(toml::node_type type);

/// The candidate closest to `key` by edit distance (ignoring ASCII case), if close enough to
/// be a likely typo; nullopt otherwise.
std::optional<std::string_view> closest_match(std::string_view key,
                                              const std::vector<std::string>& candidates);

}  // namespace river::config
