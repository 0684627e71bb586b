#include "http/date.h"

#include <array>

namespace river::http {

std::string format_http_date(std::time_t time) {
  std::tm parts{};
  ::gmtime_r(&time, &parts);
  std::array<char, 64> text{};
  const auto n = std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  return std::string(text.data(), n);
}

std::string_view http_date_now() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached_text;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached_second = now;
    cached_text = format_http_date(now);
  }
  return cached_text;
}

}  // namespace river::http
