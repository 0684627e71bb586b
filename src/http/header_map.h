// HeaderMap: an ordered list of HTTP fields.
//
// Order and the original spelling of names are kept, because a proxy should forward what it
// received as unchanged as the rules allow. Look-ups compare names ASCII case-insensitively.
// Values are stored without leading or trailing whitespace; the codecs validate names and
// values before they get here, so everything in a HeaderMap is safe to serialise.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace river::http {

struct Header {
  std::string name;
  std::string value;
};

class HeaderMap {
 public:
  using const_iterator = std::vector<Header>::const_iterator;

  /// Appends a field, keeping any earlier ones with the same name.
  void add(std::string_view name, std::string_view value);

  /// Replaces every field named `name` with one field holding `value`, placed where the first
  /// one was (or at the end).
  void set(std::string_view name, std::string_view value);

  /// Removes every field named `name`; returns how many were removed.
  std::size_t remove(std::string_view name);

  /// Removes every field for which `predicate(field)` is true, in one pass.
  template <typename Predicate>
  std::size_t remove_if(Predicate&& predicate) {
    const auto before = headers_.size();
    std::erase_if(headers_, predicate);
    return before - headers_.size();
  }

  /// The value of the first field named `name`. The view lives until the map is modified.
  std::optional<std::string_view> get(std::string_view name) const;

  bool contains(std::string_view name) const { return get(name).has_value(); }

  /// How many fields are named `name`.
  std::size_t count(std::string_view name) const;

  /// All values of fields named `name`, joined with `separator` (", " for list fields).
  std::string joined(std::string_view name, std::string_view separator = ", ") const;

  /// True when a comma-separated list field named `name` (all lines of it) has an element
  /// equal to `token`, compared case-insensitively. `Connection: keep-alive, Upgrade` has
  /// the token "upgrade".
  bool has_token(std::string_view name, std::string_view token) const;

  std::size_t size() const { return headers_.size(); }
  bool empty() const { return headers_.empty(); }
  void clear() { headers_.clear(); }
  void reserve(std::size_t n) { headers_.reserve(n); }
  const_iterator begin() const { return headers_.begin(); }
  const_iterator end() const { return headers_.end(); }

 private:
  std::vector<Header> headers_;
};

/// Calls `visit(element)` for each non-empty element of a comma-separated list value,
/// trimmed of OWS. Quoted strings are not special-cased: River only splits lists of tokens.
template <typename Visit>
void for_each_list_element(std::string_view value, Visit&& visit) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    auto element = value.substr(0, comma);
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) {
      element.remove_prefix(1);
    }
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) {
      element.remove_suffix(1);
    }
    if (!element.empty()) {
      visit(element);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    value.remove_prefix(comma + 1);
  }
}

}  // namespace river::http
