// HTTP dates (IMF-fixdate, RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace river::http {

/// Formats `time` (seconds since the epoch, UTC) as an IMF-fixdate.
std::string format_http_date(std::time_t time);

/// The current time as an IMF-fixdate, recomputed at most once a second per thread, for the
/// Date field of responses River makes itself. The view is valid until the next call on the
/// same thread.
std::string_view http_date_now();

}  // namespace river::http
