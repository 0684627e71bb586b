#include "files/validators.h"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <ctime>

#include "base/strings.h"

namespace river::files {
namespace {

constexpr std::array<std::string_view, 7> kDayNames = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDayNames = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Reads an HTTP-date from left to right. Every step returns false at the first byte that
// does not fit, and the caller gives up: HTTP-date is a fixed, case-sensitive format.
class DateReader {
 public:
  explicit DateReader(std::string_view text) : text_(text) {}

  bool literal(std::string_view expected) {
    if (text_.substr(0, expected.size()) != expected) {
      return false;
    }
    text_.remove_prefix(expected.size());
    return true;
  }

  /// Exactly `count` digits.
  bool digits(int count, int& value) {
    value = 0;
    for (int i = 0; i < count; ++i) {
      if (text_.empty() || text_.front() < '0' || text_.front() > '9') {
        return false;
      }
      value = value * 10 + (text_.front() - '0');
      text_.remove_prefix(1);
    }
    return true;
  }

  template <std::size_t N>
  bool one_of(const std::array<std::string_view, N>& names, int& index) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(names[i])) {
        index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }

  bool time_of_day(int& hour, int& minute, int& second) {
    return digits(2, hour) && literal(":") && digits(2, minute) && literal(":") &&
           digits(2, second);
  }

  bool done() const { return text_.empty(); }

 private:
  std::string_view text_;
};

struct DateFields {
  int year = 0;
  int month = 0;  // 0-based
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
bool read_imf_fixdate(std::string_view text, DateFields& f) {
  DateReader r(text);
  int weekday = 0;
  return r.one_of(kDayNames, weekday) && r.literal(", ") && r.digits(2, f.day) && r.literal(" ") &&
         r.one_of(kMonthNames, f.month) && r.literal(" ") && r.digits(4, f.year) &&
         r.literal(" ") && r.time_of_day(f.hour, f.minute, f.second) && r.literal(" GMT") &&
         r.done();
}

// rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT".
bool read_rfc850_date(std::string_view text, DateFields& f) {
  DateReader r(text);
  int weekday = 0;
  int short_year = 0;
  if (!(r.one_of(kLongDayNames, weekday) && r.literal(", ") && r.digits(2, f.day) &&
        r.literal("-") && r.one_of(kMonthNames, f.month) && r.literal("-") &&
        r.digits(2, short_year) && r.literal(" ") && r.time_of_day(f.hour, f.minute, f.second) &&
        r.literal(" GMT") && r.done())) {
    return false;
  }
  // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future means the most recent
  // past year with the same last two digits.
  std::tm now{};
  const std::time_t seconds = std::time(nullptr);
  gmtime_r(&seconds, &now);
  const int this_year = now.tm_year + 1900;
  f.year = this_year / 100 * 100 + short_year;
  if (f.year > this_year + 50) {
    f.year -= 100;
  }
  return true;
}

// asctime-date: "Sun Nov  6 08:49:37 1994" (the day is space-padded).
bool read_asctime_date(std::string_view text, DateFields& f) {
  DateReader r(text);
  int weekday = 0;
  if (!(r.one_of(kDayNames, weekday) && r.literal(" ") && r.one_of(kMonthNames, f.month) &&
        r.literal(" "))) {
    return false;
  }
  const bool day_read = r.literal(" ") ? r.digits(1, f.day) : r.digits(2, f.day);
  return day_read && r.literal(" ") && r.time_of_day(f.hour, f.minute, f.second) &&
         r.literal(" ") && r.digits(4, f.year) && r.done();
}

}  // namespace

std::string format_http_date(std::int64_t seconds) {
  using namespace std::chrono;
  const sys_seconds time{std::chrono::seconds(seconds)};
  const auto day = floor<days>(time);
  const year_month_day date{day};
  if (static_cast<int>(date.year()) < 0 || static_cast<int>(date.year()) > 9999) {
    return {};
  }
  const hh_mm_ss clock{time - day};
  const weekday weekday_of_date{day};
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
                     kDayNames[weekday_of_date.c_encoding()], static_cast<unsigned>(date.day()),
                     kMonthNames[static_cast<unsigned>(date.month()) - 1],
                     static_cast<int>(date.year()), clock.hours().count(), clock.minutes().count(),
                     clock.seconds().count());
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  DateFields f;
  if (!read_imf_fixdate(text, f) && !read_rfc850_date(text, f) && !read_asctime_date(text, f)) {
    return std::nullopt;
  }
  // Seconds up to 60 are allowed for a leap second (RFC 9110 §5.6.7); POSIX time has none,
  // so 60 lands on the next minute.
  if (f.hour > 23 || f.minute > 59 || f.second > 60) {
    return std::nullopt;
  }

  using namespace std::chrono;
  const year_month_day date{year{f.year}, month{static_cast<unsigned>(f.month + 1)},
                            day{static_cast<unsigned>(f.day)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  const auto time = sys_days{date} + hours{f.hour} + minutes{f.minute} + seconds{f.second};
  return time.time_since_epoch().count();
}

std::string make_etag(std::int64_t mtime_seconds, std::uint64_t size) {
  return fmt::format("\"{:x}-{:x}\"", static_cast<std::uint64_t>(mtime_seconds), size);
}

bool etag_list_matches(std::string_view list, std::string_view etag, EtagComparison comparison) {
  const auto skip_separators = [&list] {
    while (!list.empty() && (list.front() == ' ' || list.front() == '\t' || list.front() == ',')) {
      list.remove_prefix(1);
    }
  };

  if (trim_ows(list) == "*") {
    return true;
  }
  skip_separators();
  while (!list.empty()) {
    bool is_weak = false;
    if (list.starts_with("W/")) {
      is_weak = true;
      list.remove_prefix(2);
    }
    // RFC 9110 §8.8.3: entity-tag = [ weak ] DQUOTE *etagc DQUOTE. An etagc may be a comma,
    // so the list is read tag by tag rather than split on commas.
    if (list.empty() || list.front() != '"') {
      return false;
    }
    const auto close = list.find('"', 1);
    if (close == std::string_view::npos) {
      return false;
    }
    const auto tag = list.substr(0, close + 1);
    if (tag == etag && (comparison == EtagComparison::Weak || !is_weak)) {
      return true;
    }
    list.remove_prefix(close + 1);

    while (!list.empty() && (list.front() == ' ' || list.front() == '\t')) {
      list.remove_prefix(1);
    }
    if (!list.empty() && list.front() != ',') {
      return false;
    }
    skip_separators();
  }
  return false;
}

}  // namespace river::files
