#include "http/header_map.h"

#include <algorithm>

#include "base/strings.h"

namespace river::http {

void HeaderMap::add(std::string_view name, std::string_view value) {
  headers_.push_back(Header{std::string(name), std::string(value)});
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  auto first = std::find_if(headers_.begin(), headers_.end(),
                            [&](const Header& h) { return iequals(h.name, name); });
  if (first == headers_.end()) {
    add(name, value);
    return;
  }

  first->value.assign(value);
  const auto index = first - headers_.begin();
  auto rest = std::remove_if(headers_.begin() + index + 1, headers_.end(),
                             [&](const Header& h) { return iequals(h.name, name); });
  headers_.erase(rest, headers_.end());
}

std::size_t HeaderMap::remove(std::string_view name) {
  const auto before = headers_.size();
  std::erase_if(headers_, [&](const Header& h) { return iequals(h.name, name); });
  return before - headers_.size();
}

std::optional<std::string_view> HeaderMap::get(std::string_view name) const {
  for (const auto& header : headers_) {
    if (iequals(header.name, name)) {
      return std::string_view(header.value);
    }
  }
  return std::nullopt;
}

std::size_t HeaderMap::count(std::string_view name) const {
  return static_cast<std::size_t>(std::count_if(
      headers_.begin(), headers_.end(), [&](const Header& h) { return iequals(h.name, name); }));
}

std::string HeaderMap::joined(std::string_view name, std::string_view separator) const {
  std::string out;
  for (const auto& header : headers_) {
    if (!iequals(header.name, name)) {
      continue;
    }
    if (!out.empty()) {
      out.append(separator);
    }
    out.append(header.value);
  }
  return out;
}

bool HeaderMap::has_token(std::string_view name, std::string_view token) const {
  bool found = false;
  for (const auto& header : headers_) {
    if (found || !iequals(header.name, name)) {
      continue;
    }
    for_each_list_element(header.value, [&](std::string_view element) {
      found = found || iequals(element, token);
    });
  }
  return found;
}

}  // namespace river::http
