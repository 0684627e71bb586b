// Tests of the chunked decoder (RFC 9112 §7.1): valid bodies fed in every possible split,
// each framing defect refused, trailers, and the C07 variants from shared/cases.
#include "http1/chunked.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"

namespace river::http1 {
namespace {

using namespace std::string_literals;

/// The outcome of feeding a whole body to a decoder.
struct Decoded {
  std::string body;
  bool done = false;
  std::optional<ParseError> error;
  /// Bytes of the input left unconsumed once done (the start of the next message).
  std::string rest;
};

/// Feeds `input` to `decoder` in pieces cut at `cuts` (ascending offsets), the way a
/// connection does: unconsumed bytes are kept and offered again with the next piece.
/// Checks the step invariants on the way.
Decoded feed(ChunkedDecoder& decoder, std::string_view input,
             const std::vector<std::size_t>& cuts) {
  Decoded out;
  std::string pending;
  std::size_t offset = 0;
  auto pieces = cuts;
  pieces.push_back(input.size());
  for (const std::size_t cut : pieces) {
    pending.append(input.substr(offset, cut - offset));
    offset = cut;
    while (!pending.empty()) {
      const std::string_view view = pending;
      const auto step = decoder.decode(view);
      EXPECT_LE(step.consumed, view.size());
      if (!step.data.empty()) {
        EXPECT_GE(step.data.data(), view.data());
        EXPECT_LE(step.data.data() + step.data.size(), view.data() + step.consumed);
        out.body.append(step.data);
      }
      if (step.error) {
        out.error = step.error;
        return out;
      }
      if (step.done) {
        out.done = true;
        out.rest = std::string(view.substr(step.consumed));
        out.rest.append(input.substr(offset));
        return out;
      }
      EXPECT_GT(step.consumed, 0u) << "no progress on " << escape_for_log(view);
      pending.erase(0, step.consumed);
    }
  }
  return out;
}

Decoded decode_whole(std::string_view input, ChunkedLimits limits = {}) {
  ChunkedDecoder decoder(limits);
  return feed(decoder, input, {});
}

/// Succeeds when `input` is refused with `status`.
::testing::AssertionResult decoding_fails(std::string_view input, int status = 400,
                                          ChunkedLimits limits = {}) {
  const auto decoded = decode_whole(input, limits);
  if (decoded.error && decoded.error->status == status) {
    return ::testing::AssertionSuccess();
  }
  auto failure = ::testing::AssertionFailure() << "chunked \"" << escape_for_log(input) << "\" ";
  if (decoded.error) {
    return failure << "failed with " << decoded.error->status << " (" << decoded.error->reason
                   << ")";
  }
  return failure << (decoded.done ? "was accepted" : "was still incomplete");
}

const std::string kValidBody =
    "5\r\nhello\r\n1a;ext=\"v v\"\r\nabcdefghijklmnopqrstuvwxyz\r\n"
    "0\r\nX-Sum: 42\r\nX-Empty:\r\n\r\n";
const std::string kValidPayload = "helloabcdefghijklmnopqrstuvwxyz";

TEST(Http1Chunked, DecodesChunksAndTrailers) {
  ChunkedDecoder decoder;
  const auto decoded = feed(decoder, kValidBody, {});
  ASSERT_FALSE(decoded.error) << decoded.error->reason;
  EXPECT_TRUE(decoded.done);
  EXPECT_TRUE(decoder.done());
  EXPECT_EQ(decoded.body, kValidPayload);
  ASSERT_EQ(decoder.trailers().size(), 2u);
  EXPECT_EQ(decoder.trailers().get("x-sum"), "42");
  EXPECT_EQ(decoder.trailers().get("x-empty"), "");
}

TEST(Http1Chunked, DecodesOneByteAtATime) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < kValidBody.size(); ++i) {
    cuts.push_back(i);
  }
  ChunkedDecoder decoder;
  const auto decoded = feed(decoder, kValidBody, cuts);
  EXPECT_TRUE(decoded.done);
  EXPECT_EQ(decoded.body, kValidPayload);
  EXPECT_EQ(decoder.trailers().get("x-sum"), "42");
}

TEST(Http1Chunked, ConsumesEveryByteFedOneAtATime) {
  ChunkedDecoder decoder;
  for (std::size_t i = 0; i < kValidBody.size(); ++i) {
    const auto step = decoder.decode(std::string_view(kValidBody).substr(i, 1));
    ASSERT_FALSE(step.error) << "at byte " << i << ": " << step.error->reason;
    ASSERT_EQ(step.consumed, 1u) << "at byte " << i;
    EXPECT_EQ(step.done, i + 1 == kValidBody.size()) << "at byte " << i;
  }
}

TEST(Http1Chunked, DecodesWhenSplitAtEveryBoundary) {
  for (std::size_t cut = 1; cut < kValidBody.size(); ++cut) {
    ChunkedDecoder decoder;
    const auto decoded = feed(decoder, kValidBody, {cut});
    EXPECT_TRUE(decoded.done) << "split at " << cut;
    EXPECT_EQ(decoded.body, kValidPayload) << "split at " << cut;
    EXPECT_EQ(decoder.trailers().size(), 2u) << "split at " << cut;
  }
}

TEST(Http1Chunked, RefusesDefectsWhenSplitAtEveryBoundary) {
  const std::string broken = "5\r\nhello\r\n3\r\nabcXY0\r\n\r\n";
  for (std::size_t cut = 1; cut < broken.size(); ++cut) {
    ChunkedDecoder decoder;
    const auto decoded = feed(decoder, broken, {cut});
    EXPECT_TRUE(decoded.error.has_value()) << "split at " << cut;
  }
}

TEST(Http1Chunked, StepReturnsOneRunOfData) {
  ChunkedDecoder decoder;
  const std::string input = "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n";
  const auto first = decoder.decode(input);
  EXPECT_EQ(first.data, "abc");
  EXPECT_EQ(first.consumed, 6u);
  EXPECT_EQ(first.data.data(), input.data() + 3);
  const auto second = decoder.decode(std::string_view(input).substr(first.consumed));
  EXPECT_EQ(second.data, "def");
  EXPECT_EQ(second.consumed, 8u);
}

TEST(Http1Chunked, HandsOutPartialChunkData) {
  ChunkedDecoder decoder;
  const auto first = decoder.decode("a\r\n0123");
  EXPECT_EQ(first.data, "0123");
  EXPECT_EQ(first.consumed, 7u);
  const auto second = decoder.decode("456789\r\n");
  EXPECT_EQ(second.data, "456789");
  EXPECT_EQ(second.consumed, 6u);
}

TEST(Http1Chunked, StopsAtEndOfBody) {
  const auto decoded = decode_whole("1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n");
  EXPECT_TRUE(decoded.done);
  EXPECT_EQ(decoded.rest, "GET / HTTP/1.1\r\n");
}

TEST(Http1Chunked, StaysDoneOnceDone) {
  ChunkedDecoder decoder;
  ASSERT_TRUE(decoder.decode("0\r\n\r\n").done);
  const auto again = decoder.decode("5\r\nhello");
  EXPECT_TRUE(again.done);
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_TRUE(again.data.empty());
}

TEST(Http1Chunked, StaysFailedOnceFailed) {
  ChunkedDecoder decoder;
  ASSERT_TRUE(decoder.decode("x\r\n").error);
  const auto again = decoder.decode("0\r\n\r\n");
  EXPECT_TRUE(again.error);
  EXPECT_FALSE(again.done);
  EXPECT_EQ(again.consumed, 0u);
}

TEST(Http1Chunked, EmptyInputConsumesNothing) {
  ChunkedDecoder decoder;
  const auto step = decoder.decode("");
  EXPECT_EQ(step.consumed, 0u);
  EXPECT_FALSE(step.done);
  EXPECT_FALSE(step.error);
}

TEST(Http1Chunked, ReadsHexSizesInEitherCase) {
  const std::string data(0xab, 'x');
  EXPECT_EQ(decode_whole("AB\r\n" + data + "\r\n0\r\n\r\n").body, data);
  EXPECT_EQ(decode_whole("aB\r\n" + data + "\r\n0\r\n\r\n").body, data);
  EXPECT_EQ(decode_whole("00ab\r\n" + data + "\r\n0\r\n\r\n").body, data);
}

TEST(Http1Chunked, AcceptsLastChunkWithSeveralZeros) {
  EXPECT_TRUE(decode_whole("000\r\n\r\n").done);
}

TEST(Http1Chunked, AcceptsChunkExtensions) {
  const auto decoded = decode_whole(
      "5;name=value\r\nhello\r\n2;a;b=\"q;\\\"x\"\r\nab\r\n1 ;bws = 1\r\nc\r\n0;last\r\n\r\n");
  EXPECT_TRUE(decoded.done);
  EXPECT_EQ(decoded.body, "helloabc");
}

TEST(Http1Chunked, RejectsWhitespaceWithoutExtension) {
  EXPECT_TRUE(decoding_fails("5 \r\nhello\r\n0\r\n\r\n"));
  EXPECT_TRUE(decoding_fails("5\t\r\nhello\r\n0\r\n\r\n"));
  EXPECT_TRUE(decoding_fails("5 5\r\nhello\r\n0\r\n\r\n"));
}

TEST(Http1Chunked, RejectsMissingOrInvalidChunkSize) {
  for (const auto line :
       {"\r\n", ";ext\r\n", "g\r\n", "-1\r\n", "+5\r\n", "0x5\r\n", " 5\r\n", "5x\r\n"}) {
    EXPECT_TRUE(decoding_fails(line + "hello\r\n0\r\n\r\n"s));
  }
}

TEST(Http1Chunked, AcceptsChunkSizeWithManyLeadingZeros) {
  // RFC 9112 §7.1: chunk-size = 1*HEXDIG; only significant digits can overflow.
  EXPECT_EQ(decode_whole("00000000000000001\r\nx\r\n0\r\n\r\n").body, "x");
  EXPECT_EQ(decode_whole(std::string(19, '0') + "5\r\nhello\r\n0\r\n\r\n").body, "hello");
  EXPECT_EQ(decode_whole(std::string(40, '0') + "8000000000000000\r\nab").body, "ab");
  EXPECT_TRUE(decode_whole("5\r\nhello\r\n" + std::string(30, '0') + "\r\n\r\n").done);
}

TEST(Http1Chunked, RejectsLeadingZerosBeyondTheSizeLineLimit) {
  EXPECT_TRUE(decoding_fails(std::string(5000, '0') + "5\r\nhello\r\n0\r\n\r\n"));
}

TEST(Http1Chunked, RejectsChunkSizeOverflow) {
  // Seventeen significant digits, even after leading zeros; and values above 2^63.
  EXPECT_TRUE(decoding_fails("10000000000000000\r\nx\r\n0\r\n\r\n"));
  EXPECT_TRUE(decoding_fails("00010000000000000000\r\nx\r\n0\r\n\r\n"));
  EXPECT_TRUE(decoding_fails("fffffffffffffffff\r\n"));
  EXPECT_TRUE(decoding_fails("8000000000000001\r\n"));
  EXPECT_TRUE(decoding_fails("ffffffffffffffff\r\n"));
  EXPECT_TRUE(decoding_fails("1ffffffffffffffff\r\n"));
}

TEST(Http1Chunked, AcceptsChunkSizeUpToTwoToThe63) {
  ChunkedDecoder decoder;
  const auto step = decoder.decode("8000000000000000\r\nabc");
  EXPECT_FALSE(step.error);
  EXPECT_EQ(step.data, "abc");
}

TEST(Http1Chunked, RejectsLongChunkSizeLine) {
  ChunkedLimits limits;
  limits.max_chunk_line_bytes = 16;
  // "5;a=" and 12 bytes make a 16-byte line: the longest allowed.
  EXPECT_TRUE(decode_whole("5;a=" + std::string(12, 'x') + "\r\nhello\r\n0\r\n\r\n", limits).done);
  EXPECT_TRUE(
      decoding_fails("5;a=" + std::string(13, 'x') + "\r\nhello\r\n0\r\n\r\n", 400, limits));
  // Refused before the line ends.
  EXPECT_TRUE(decoding_fails("5;a=" + std::string(100, 'x'), 400, limits));
}

TEST(Http1Chunked, RejectsControlBytesInExtension) {
  EXPECT_TRUE(decoding_fails("5;a=\x01\r\nhello\r\n0\r\n\r\n"));
  EXPECT_TRUE(decoding_fails("5;a\0b\r\nhello\r\n0\r\n\r\n"s));
}

TEST(Http1Chunked, RejectsBareLfInSizeLine) {
  EXPECT_TRUE(decoding_fails("5\nhello\r\n0\r\n\r\n"));
  EXPECT_TRUE(decoding_fails("5;ext\nhello\r\n0\r\n\r\n"));
  EXPECT_TRUE(decoding_fails("5\r\nhello\r\n0\n\r\n"));
}

TEST(Http1Chunked, RejectsBareCrInSizeLine) {
  EXPECT_TRUE(decoding_fails("1\r0\r\n\r\n"));
  EXPECT_TRUE(decoding_fails("5;ext\rhello\r\n0\r\n\r\n"));
}

TEST(Http1Chunked, RejectsJunkInsteadOfCrlfAfterData) {
  EXPECT_TRUE(decoding_fails("5\r\nhelloXX0\r\n\r\n"));
  EXPECT_TRUE(decoding_fails("5\r\nhello\rX0\r\n\r\n"));
  EXPECT_TRUE(decoding_fails("5\r\nhello0\r\n\r\n"));
  EXPECT_TRUE(decoding_fails("5\r\nhelloX\n0\r\n\r\n"));
  EXPECT_TRUE(decoding_fails("5\r\nhello\n\n0\r\n\r\n"));
}

TEST(Http1Chunked, RejectsBareLfAfterData) { EXPECT_TRUE(decoding_fails("5\r\nhello\n0\r\n\r\n")); }

TEST(Http1Chunked, CollectsTrailerFieldsInOrder) {
  ChunkedDecoder decoder;
  const auto decoded = feed(decoder, "0\r\nX-B: 1\r\nx-a:  two words \t\r\nX-B: 3\r\n\r\n", {});
  ASSERT_TRUE(decoded.done);
  std::vector<std::string> lines;
  for (const auto& field : decoder.trailers()) {
    lines.push_back(field.name + "=" + field.value);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"X-B=1", "x-a=two words", "X-B=3"}));
}

TEST(Http1Chunked, RejectsInvalidTrailerLines) {
  for (const auto line : {"GET /x HTTP/1.1", "X : a", " folded", "\tfolded", "X: a\x01", "NoColon",
                          ": empty-name", "X: a\rb"}) {
    EXPECT_TRUE(decoding_fails("0\r\n"s + line + "\r\n\r\n"));
  }
}

TEST(Http1Chunked, RejectsBareLfInTrailerSection) {
  EXPECT_TRUE(decoding_fails("0\r\nX: a\n\r\n"));
  EXPECT_TRUE(decoding_fails("0\r\n\n"));
  EXPECT_TRUE(decoding_fails("0\r\nX: a\r\n\n"));
}

TEST(Http1Chunked, RejectsBareCrInTrailerSection) {
  EXPECT_TRUE(decoding_fails("0\r\n\rX: a\r\n\r\n"));
}

TEST(Http1Chunked, AnswersTooManyTrailersWith431) {
  ChunkedLimits limits;
  limits.max_trailer_count = 2;
  EXPECT_TRUE(decode_whole("0\r\nA: 1\r\nB: 2\r\n\r\n", limits).done);
  EXPECT_TRUE(decoding_fails("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431, limits));
}

TEST(Http1Chunked, AnswersOversizedTrailerSectionWith431) {
  ChunkedLimits limits;
  limits.max_trailer_bytes = 32;
  EXPECT_TRUE(decode_whole("0\r\nA: " + std::string(25, 'v') + "\r\n\r\n", limits).done);
  EXPECT_TRUE(decoding_fails("0\r\nA: " + std::string(26, 'v') + "\r\n\r\n", 431, limits));
  // Refused while the line is still arriving.
  EXPECT_TRUE(decoding_fails("0\r\nA: " + std::string(100, 'v'), 431, limits));
}

// --- shared/cases C07 ----------------------------------------------------------------------

TEST(Http1ChunkedCases, C07RejectsEveryFramingDefect) {
  for (const auto body : {"5\r\nhelloXX0\r\n\r\n",  // a: junk instead of CRLF after data
                          "5\nhello\r\n0\r\n\r\n",  // b: bare LF ends the size line
                          "5\r\nhello\n0\r\n\r\n",  // c: bare LF after data
                          "1\r0\r\n\r\n",           // d: bare CR after the size
                          // e: a request line where a trailer field must be
                          "5\r\nhello\r\n0\r\nGET /x HTTP/1.1\r\nHost: example.test\r\n\r\n"}) {
    EXPECT_TRUE(decoding_fails(body));
  }
}

TEST(Http1ChunkedCases, C07AcceptsValidControl) {
  const auto decoded = decode_whole("5\r\nhello\r\n0\r\n\r\n");
  EXPECT_TRUE(decoded.done);
  EXPECT_EQ(decoded.body, "hello");
  EXPECT_EQ(decoded.rest, "");
}

TEST(Http1ChunkedCases, C07NeverEndsBodyBeforeTrailerSectionEnds) {
  // Variant e cut just after "0\r\n": the body is not complete yet.
  const auto decoded = decode_whole("5\r\nhello\r\n0\r\n");
  EXPECT_FALSE(decoded.done);
  EXPECT_FALSE(decoded.error);
  EXPECT_EQ(decoded.body, "hello");
}

}  // namespace
}  // namespace river::http1
