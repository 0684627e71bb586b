// Fuzzes parse_response_head with raw response bytes, as the answer to GET, HEAD and CONNECT.
//
// It checks that a complete head holds validated fields, a status the proxy can relay and a
// framing consistent with RFC 9112 §6.3; that a prefix of the input is never answered in a
// way the whole input contradicts; and that a serialised head parses back to the same head.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/check.h"
#include "http1/parser.h"
#include "http1/serializer.h"

namespace river::http1 {
namespace {

constexpr ParseLimits kSmallLimits{
    .max_request_line_bytes = 64, .max_header_bytes = 512, .max_header_count = 8};
constexpr ParseLimits kRoomyLimits{
    .max_request_line_bytes = 1 << 20, .max_header_bytes = 1 << 20, .max_header_count = 1 << 16};

bool has_line_break(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

void check_complete(const ResponseParse& result, std::string_view input, std::string_view method,
                    const ParseLimits& limits) {
  using Kind = http::BodyFraming::Kind;
  RIVER_CHECK(result.consumed <= input.size());
  RIVER_CHECK(result.consumed <= limits.max_header_bytes);
  RIVER_CHECK(input.substr(0, result.consumed).ends_with("\r\n\r\n"));
  RIVER_CHECK(result.head.status >= 100 && result.head.status <= 599);
  RIVER_CHECK(!has_line_break(result.head.reason));
  RIVER_CHECK(result.head.headers.size() <= limits.max_header_count);
  for (const auto& header : result.head.headers) {
    RIVER_CHECK(!header.name.empty() && !has_line_break(header.name));
    RIVER_CHECK(!has_line_break(header.value));
  }

  if (http::response_has_no_body(method, result.head.status)) {
    RIVER_CHECK(result.framing.kind == Kind::None);
  }
  if (result.framing.kind == Kind::UntilClose) {
    RIVER_CHECK(result.must_close);
  }
  if (result.framing.kind == Kind::Chunked) {
    RIVER_CHECK(result.head.version == http::Version::Http11);
    RIVER_CHECK(result.head.headers.contains("transfer-encoding"));
  }
  if (result.framing.kind == Kind::ContentLength) {
    RIVER_CHECK(!result.head.headers.contains("transfer-encoding"));
  }
}

void check_prefix(std::string_view input, std::size_t size, std::string_view method,
                  const ResponseParse& whole, const ParseLimits& limits) {
  const auto part = parse_response_head(input.substr(0, size), method, limits);
  switch (part.status) {
    case ParseStatus::Complete:
      RIVER_CHECK(whole.status == ParseStatus::Complete && whole.consumed == part.consumed);
      break;
    case ParseStatus::Error:
      RIVER_CHECK(whole.status == ParseStatus::Error);
      break;
    case ParseStatus::Incomplete:
      RIVER_CHECK(whole.status != ParseStatus::Complete || size < whole.consumed);
      break;
  }
}

void check_prefixes(std::string_view input, std::string_view method, const ResponseParse& whole,
                    const ParseLimits& limits) {
  if (input.size() <= 256) {
    for (std::size_t size = 0; size < input.size(); ++size) {
      check_prefix(input, size, method, whole, limits);
    }
    return;
  }
  constexpr std::size_t kSamples = 32;
  for (std::size_t i = 0; i < kSamples; ++i) {
    check_prefix(input, input.size() * i / kSamples, method, whole, limits);
  }
}

void check_round_trip(const ResponseParse& original, std::string_view method) {
  std::string bytes;
  write_response_head(original.head, bytes);
  const auto again = parse_response_head(bytes, method, kRoomyLimits);
  RIVER_CHECK(again.status == ParseStatus::Complete);
  RIVER_CHECK(again.consumed == bytes.size());
  RIVER_CHECK(again.head.status == original.head.status);
  RIVER_CHECK(again.head.reason == original.head.reason);
  RIVER_CHECK(again.head.version == original.head.version);
  RIVER_CHECK(again.head.headers.size() == original.head.headers.size());
  RIVER_CHECK(again.framing.kind == original.framing.kind);
  RIVER_CHECK(again.framing.length == original.framing.length);
  RIVER_CHECK(again.must_close == original.must_close);
}

void fuzz_with(std::string_view input, std::string_view method, const ParseLimits& limits) {
  const auto result = parse_response_head(input, method, limits);
  if (result.status == ParseStatus::Complete) {
    check_complete(result, input, method, limits);
    check_round_trip(result, method);
  } else if (result.status == ParseStatus::Error) {
    // The proxy answers its client 502 whatever the upstream got wrong.
    RIVER_CHECK(result.error.status == 502);
  }
  check_prefixes(input, method, result, limits);
}

}  // namespace
}  // namespace river::http1

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Safety: libFuzzer hands over `size` readable bytes at `data`.
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const std::string_view method : {"GET", "HEAD", "CONNECT"}) {
    river::http1::fuzz_with(input, method, river::http1::ParseLimits{});
  }
  river::http1::fuzz_with(input, "GET", river::http1::kSmallLimits);
  return 0;
}
