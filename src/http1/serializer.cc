#include "http1/serializer.h"

#include <array>
#include <charconv>

#include "base/check.h"

namespace river::http1 {
namespace {

constexpr std::string_view kCrlf = "\r\n";

/// Bytes the field lines and the final empty line take.
std::size_t fields_size(const http::HeaderMap& headers) {
  std::size_t size = kCrlf.size();
  for (const auto& header : headers) {
    size += header.name.size() + 2 + header.value.size() + kCrlf.size();
  }
  return size;
}

void append_fields(const http::HeaderMap& headers, std::string& out) {
  for (const auto& header : headers) {
    out.append(header.name);
    out.append(": ");
    out.append(header.value);
    out.append(kCrlf);
  }
  out.append(kCrlf);
}

}  // namespace

void write_request_head(const http::RequestHead& head, std::string& out) {
  const auto version = http::to_string(head.version);
  // One reservation for the whole head: it is written on every proxied request.
  out.reserve(out.size() + head.method.size() + head.target.size() + version.size() + 4 +
              fields_size(head.headers));
  out.append(head.method);
  out.push_back(' ');
  out.append(head.target);
  out.push_back(' ');
  out.append(version);
  out.append(kCrlf);
  append_fields(head.headers, out);
}

void write_response_head(const http::ResponseHead& head, std::string& out) {
  const auto version = http::to_string(head.version);
  std::array<char, 16> status{};
  const auto [status_end, ec] =
      std::to_chars(status.data(), status.data() + status.size(), head.status);
  const std::string_view status_text(status.data(),
                                     ec == std::errc{} ? status_end - status.data() : 0);

  out.reserve(out.size() + version.size() + status_text.size() + head.reason.size() + 4 +
              fields_size(head.headers));
  out.append(version);
  out.push_back(' ');
  out.append(status_text);
  // RFC 9112 §4: the SP before the reason phrase is sent even when the phrase is empty.
  out.push_back(' ');
  out.append(head.reason);
  out.append(kCrlf);
  append_fields(head.headers, out);
}

void write_chunk_header(std::size_t size, std::string& out) {
  // "0\r\n" would end the body early and let whatever follows pass as a new message:
  // an empty chunk is better written as nothing.
  RIVER_ASSERT(size > 0);
  if (size == 0) {
    return;
  }
  std::array<char, 2 * sizeof(std::size_t)> digits{};
  // std::to_chars writes lowercase hex digits.
  const auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), size, 16);
  out.append(digits.data(), ec == std::errc{} ? static_cast<std::size_t>(end - digits.data()) : 0);
  out.append(kCrlf);
}

void write_last_chunk(const http::HeaderMap& trailers, std::string& out) {
  out.append("0\r\n");
  append_fields(trailers, out);
}

}  // namespace river::http1
