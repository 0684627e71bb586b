// Fuzzes parse_request_head with raw request bytes.
//
// Beyond "does not crash", it checks what the proxy relies on: a complete head is made of
// validated fields and an unambiguous framing; the answer for a prefix of the input never
// contradicts the answer for the whole (the parser is re-run on a growing buffer); and what
// the serializer writes from a parsed head parses back to the same head.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/check.h"
#include "base/strings.h"
#include "http1/parser.h"
#include "http1/serializer.h"

namespace river::http1 {
namespace {

// Small limits, so that the 414 and 431 paths are reached by short inputs too.
constexpr ParseLimits kSmallLimits{
    .max_request_line_bytes = 64, .max_header_bytes = 512, .max_header_count = 8};
constexpr ParseLimits kRoomyLimits{
    .max_request_line_bytes = 1 << 20, .max_header_bytes = 1 << 20, .max_header_count = 1 << 16};

bool is_token(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte >= 0x7f ||
        std::string_view("\"(),/:;<=>?@[\\]{}").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool is_clean_value(std::string_view value) {
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < ' ' && byte != '\t') || byte == 0x7f) {
      return false;
    }
  }
  return value.empty() || (value.front() != ' ' && value.front() != '\t' && value.back() != ' ' &&
                           value.back() != '\t');
}

void check_complete(const RequestParse& result, std::string_view input, const ParseLimits& limits) {
  using Kind = http::BodyFraming::Kind;
  RIVER_CHECK(result.consumed <= input.size());
  RIVER_CHECK(result.consumed <= limits.max_header_bytes);
  RIVER_CHECK(input.substr(0, result.consumed).ends_with("\r\n\r\n"));
  RIVER_CHECK(is_token(result.head.method));
  RIVER_CHECK(!result.head.target.empty());
  RIVER_CHECK(result.head.target.size() <= limits.max_request_line_bytes);
  RIVER_CHECK(result.head.headers.size() <= limits.max_header_count);
  for (const auto& header : result.head.headers) {
    RIVER_CHECK(is_token(header.name));
    RIVER_CHECK(is_clean_value(header.value));
  }

  // Exactly one way to find the end of the body, and never "until close" for a request.
  const auto& headers = result.head.headers;
  const bool has_length = headers.contains("content-length");
  const bool has_coding = headers.contains("transfer-encoding");
  switch (result.framing.kind) {
    case Kind::None:
      RIVER_CHECK(!has_length && !has_coding);
      break;
    case Kind::ContentLength:
      RIVER_CHECK(has_length && !has_coding);
      break;
    case Kind::Chunked:
      RIVER_CHECK(has_coding && !has_length);
      RIVER_CHECK(result.head.version == http::Version::Http11);
      break;
    case Kind::UntilClose:
      RIVER_CHECK(false);
      break;
  }
  if (result.head.version == http::Version::Http11) {
    RIVER_CHECK(headers.count("host") == 1);
  }
}

void check_error(const RequestParse& result) {
  const int status = result.error.status;
  RIVER_CHECK(status == 400 || status == 414 || status == 431 || status == 501 || status == 505);
  RIVER_CHECK(!result.error.reason.empty());
}

/// The parser sees a growing buffer: a prefix must not be answered in a way the whole input
/// then contradicts.
void check_prefix(std::string_view input, std::size_t size, const RequestParse& whole,
                  const ParseLimits& limits) {
  const auto part = parse_request_head(input.substr(0, size), limits);
  switch (part.status) {
    case ParseStatus::Complete:
      RIVER_CHECK(whole.status == ParseStatus::Complete && whole.consumed == part.consumed);
      break;
    case ParseStatus::Error:
      RIVER_CHECK(whole.status == ParseStatus::Error && whole.error.status == part.error.status);
      break;
    case ParseStatus::Incomplete:
      RIVER_CHECK(whole.status != ParseStatus::Complete || size < whole.consumed);
      break;
  }
}

void check_prefixes(std::string_view input, const RequestParse& whole, const ParseLimits& limits) {
  if (input.size() <= 256) {
    for (std::size_t size = 0; size < input.size(); ++size) {
      check_prefix(input, size, whole, limits);
    }
    return;
  }
  constexpr std::size_t kSamples = 32;
  for (std::size_t i = 0; i < kSamples; ++i) {
    check_prefix(input, input.size() * i / kSamples, whole, limits);
  }
  if (whole.status == ParseStatus::Complete) {
    check_prefix(input, whole.consumed - 1, whole, limits);
  }
}

void check_round_trip(const RequestParse& original) {
  std::string bytes;
  write_request_head(original.head, bytes);
  const auto again = parse_request_head(bytes, kRoomyLimits);
  RIVER_CHECK(again.status == ParseStatus::Complete);
  RIVER_CHECK(again.consumed == bytes.size());
  RIVER_CHECK(again.head.method == original.head.method);
  RIVER_CHECK(again.head.target == original.head.target);
  RIVER_CHECK(again.head.version == original.head.version);
  RIVER_CHECK(again.head.headers.size() == original.head.headers.size());
  auto expected = original.head.headers.begin();
  for (const auto& header : again.head.headers) {
    RIVER_CHECK(header.name == expected->name && header.value == expected->value);
    ++expected;
  }
  RIVER_CHECK(again.framing.kind == original.framing.kind);
  RIVER_CHECK(again.framing.length == original.framing.length);
  RIVER_CHECK(again.must_close == original.must_close);
}

void fuzz_with(std::string_view input, const ParseLimits& limits) {
  const auto result = parse_request_head(input, limits);
  if (result.status == ParseStatus::Complete) {
    check_complete(result, input, limits);
    check_round_trip(result);
  } else if (result.status == ParseStatus::Error) {
    check_error(result);
  }
  check_prefixes(input, result, limits);
}

}  // namespace
}  // namespace river::http1

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Safety: libFuzzer hands over `size` readable bytes at `data`.
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  river::http1::fuzz_with(input, river::http1::ParseLimits{});
  river::http1::fuzz_with(input, river::http1::kSmallLimits);
  return 0;
}
