// Fuzzes the HTTP/2 request rules (RFC 9113 §8) that decide what an HTTP/2 request becomes
// on its way to an HTTP/1 upstream. nghttp2 decodes HPACK; what reaches RequestBuilder is a
// list of (name, value) pairs the client chose freely, so the input is cut into such pairs:
// each field is `name \0 value \n`, and a first byte says whether HEADERS ended the stream.
//
// Checks on an accepted request: the method, target and every field are free of CR, LF and
// NUL, so the HTTP/1 head built from them cannot carry a second request; field names are
// lower-case tokens; there is at most one Cookie field; no connection-specific field
// survives.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <string>

#include "base/check.h"
#include "http2/request.h"

namespace {

bool has_line_break_or_nul(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace river;
  if (size == 0) {
    return 0;
  }
  const bool end_stream = (data[0] & 1) != 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

  http2::RequestBuilder builder(http2::RequestLimits{.max_header_bytes = 4096,
                                                     .max_header_count = 32});
  while (!rest.empty()) {
    const auto line_end = rest.find('\n');
    const auto line = rest.substr(0, line_end);
    rest = line_end == std::string_view::npos ? std::string_view() : rest.substr(line_end + 1);
    const auto split = line.find('\0');
    if (split == std::string_view::npos) {
      builder.add(line, "");
    } else {
      builder.add(line.substr(0, split), line.substr(split + 1));
    }
  }
  if (builder.finish(end_stream) != http2::Verdict::Ok) {
    return 0;
  }

  const auto& head = builder.head();
  RIVER_CHECK(!head.method.empty() && !has_line_break_or_nul(head.method));
  RIVER_CHECK(!has_line_break_or_nul(head.target));
  int cookies = 0;
  for (const auto& field : head.headers) {
    RIVER_CHECK(!field.name.empty() && !has_line_break_or_nul(field.name));
    RIVER_CHECK(!has_line_break_or_nul(field.value));
    std::string lower(field.name);
    for (auto& c : lower) {
      c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    RIVER_CHECK(!http2::is_connection_specific(lower));
    if (lower == "cookie") {
      ++cookies;
    }
  }
  RIVER_CHECK(cookies <= 1);
  return 0;
}
