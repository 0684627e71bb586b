// Fuzzes ChunkedDecoder with a raw chunked body, fed whole, in random pieces and one byte
// at a time, the way a connection feeds it: unconsumed bytes are offered again with the next
// read.
//
// Checks on every step: `consumed` never exceeds the input, data views lie inside the bytes
// consumed, and progress is made. Across feeds: how the input is cut never changes the
// decoded body, trailers, or the verdict. A decoded body re-encoded with the serializer
// decodes to the same body and trailers.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "http1/chunked.h"
#include "http1/serializer.h"

namespace river::http1 {
namespace {

constexpr ChunkedLimits kSmallLimits{
    .max_chunk_line_bytes = 16, .max_trailer_bytes = 64, .max_trailer_count = 3};

struct Decoded {
  std::string body;
  bool done = false;
  bool failed = false;
  int error_status = 0;
  /// Bytes of the input used, when done (the rest belongs to the next message).
  std::size_t consumed = 0;
  std::vector<std::string> trailers;
};

Decoded decode_in_pieces(std::string_view input, const std::vector<std::size_t>& cuts,
                         const ChunkedLimits& limits) {
  ChunkedDecoder decoder(limits);
  Decoded out;
  std::string pending;
  std::size_t fed = 0;
  auto ends = cuts;
  ends.push_back(input.size());
  for (const std::size_t end : ends) {
    pending.append(input.substr(fed, end - fed));
    fed = end;
    while (!pending.empty()) {
      const std::string_view view = pending;
      const auto step = decoder.decode(view);
      RIVER_CHECK(step.consumed <= view.size());
      if (!step.data.empty()) {
        RIVER_CHECK(step.data.data() >= view.data());
        RIVER_CHECK(step.data.data() + step.data.size() <= view.data() + step.consumed);
        out.body.append(step.data);
      }
      out.consumed += step.consumed;
      if (step.error) {
        RIVER_CHECK(!step.done);
        out.failed = true;
        out.error_status = step.error->status;
        return out;
      }
      if (step.done) {
        RIVER_CHECK(decoder.done());
        out.done = true;
        for (const auto& field : decoder.trailers()) {
          out.trailers.push_back(field.name + ": " + field.value);
        }
        return out;
      }
      RIVER_CHECK(step.consumed > 0);
      pending.erase(0, step.consumed);
    }
  }
  RIVER_CHECK(out.consumed == input.size());
  return out;
}

/// Cut points derived from the input itself, so that a crash reproduces from the file alone.
std::vector<std::size_t> random_cuts(std::string_view input) {
  std::uint64_t state = 1469598103934665603ULL;
  for (const char c : input) {
    state = (state ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  }
  std::vector<std::size_t> cuts;
  if (input.size() < 2) {
    return cuts;
  }
  const std::size_t count = 1 + state % 8;
  for (std::size_t i = 0; i < count; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    cuts.push_back(1 + state % (input.size() - 1));
  }
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

void check_same(const Decoded& a, const Decoded& b) {
  RIVER_CHECK(a.done == b.done);
  RIVER_CHECK(a.failed == b.failed);
  RIVER_CHECK(a.error_status == b.error_status);
  if (!a.failed) {
    // A failure may be noticed after more or fewer bytes depending on the cuts; success not.
    RIVER_CHECK(a.body == b.body);
    RIVER_CHECK(a.consumed == b.consumed);
    RIVER_CHECK(a.trailers == b.trailers);
  }
}

void check_reencoded(const Decoded& decoded, std::string_view input) {
  ChunkedDecoder original;
  std::string_view rest = input;
  while (!original.done()) {
    const auto step = original.decode(rest);
    RIVER_CHECK(!step.error && step.consumed > 0);
    rest.remove_prefix(step.consumed);
  }

  std::string encoded;
  if (!decoded.body.empty()) {
    write_chunk_header(decoded.body.size(), encoded);
    encoded.append(decoded.body).append("\r\n");
  }
  write_last_chunk(original.trailers(), encoded);

  const ChunkedLimits roomy{.max_chunk_line_bytes = 64,
                            .max_trailer_bytes = encoded.size(),
                            .max_trailer_count = original.trailers().size()};
  const auto again = decode_in_pieces(encoded, {}, roomy);
  RIVER_CHECK(again.done);
  RIVER_CHECK(again.consumed == encoded.size());
  RIVER_CHECK(again.body == decoded.body);
  RIVER_CHECK(again.trailers == decoded.trailers);
}

void fuzz_with(std::string_view input, const ChunkedLimits& limits) {
  const auto whole = decode_in_pieces(input, {}, limits);
  RIVER_CHECK(whole.consumed <= input.size());
  if (whole.failed) {
    RIVER_CHECK(whole.error_status == 400 || whole.error_status == 431);
  }

  check_same(whole, decode_in_pieces(input, random_cuts(input), limits));
  if (input.size() <= 512) {
    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < input.size(); ++i) {
      every_byte.push_back(i);
    }
    check_same(whole, decode_in_pieces(input, every_byte, limits));
  }
  if (whole.done) {
    check_reencoded(whole, input.substr(0, whole.consumed));
  }
}

}  // namespace
}  // namespace river::http1

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Safety: libFuzzer hands over `size` readable bytes at `data`.
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  river::http1::fuzz_with(input, river::http1::ChunkedLimits{});
  river::http1::fuzz_with(input, river::http1::kSmallLimits);
  return 0;
}
