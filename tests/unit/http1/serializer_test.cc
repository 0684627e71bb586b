// Tests of the HTTP/1 serializer: exact bytes of heads and chunk framing, and round trips
// through the parser and the chunked decoder.
#include "http1/serializer.h"

#include <gtest/gtest.h>

#include <string>

#include "http1/chunked.h"
#include "http1/parser.h"

namespace river::http1 {
namespace {

http::RequestHead sample_request() {
  http::RequestHead head{.method = "POST", .target = "/submit?x=1"};
  head.headers.add("Host", "example.test");
  head.headers.add("content-length", "5");
  head.headers.add("X-Multi", "a");
  head.headers.add("X-Multi", "b");
  return head;
}

TEST(Http1Serializer, WritesRequestHeadExactly) {
  std::string out;
  write_request_head(sample_request(), out);
  EXPECT_EQ(out,
            "POST /submit?x=1 HTTP/1.1\r\nHost: example.test\r\ncontent-length: 5\r\n"
            "X-Multi: a\r\nX-Multi: b\r\n\r\n");
}

TEST(Http1Serializer, WritesRequestVersionFromHead) {
  const http::RequestHead head{.method = "GET", .target = "/", .version = http::Version::Http10};
  std::string out;
  write_request_head(head, out);
  EXPECT_EQ(out, "GET / HTTP/1.0\r\n\r\n");
}

TEST(Http1Serializer, AppendsToExistingOutput) {
  std::string out = "previous";
  write_request_head(sample_request(), out);
  EXPECT_EQ(out.substr(0, 13), "previousPOST ");
}

TEST(Http1Serializer, WritesResponseHeadExactly) {
  http::ResponseHead head{.status = 404, .reason = "Not Found"};
  head.headers.add("Content-Length", "0");
  std::string out;
  write_response_head(head, out);
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
}

TEST(Http1Serializer, KeepsSpaceBeforeEmptyReason) {
  const http::ResponseHead head{.status = 204, .version = http::Version::Http10};
  std::string out;
  write_response_head(head, out);
  EXPECT_EQ(out, "HTTP/1.0 204 \r\n\r\n");
}

TEST(Http1Serializer, WritesChunkSizeInLowercaseHex) {
  std::string out;
  write_chunk_header(1, out);
  write_chunk_header(26, out);
  write_chunk_header(0xABCDEF, out);
  write_chunk_header(0x1000, out);
  EXPECT_EQ(out, "1\r\n1a\r\nabcdef\r\n1000\r\n");
}

TEST(Http1Serializer, WritesLargestChunkSize) {
  std::string out;
  write_chunk_header(0xfedcba9876543210u, out);
  EXPECT_EQ(out, "fedcba9876543210\r\n");
}

TEST(Http1Serializer, WritesLastChunkWithoutTrailers) {
  std::string out;
  write_last_chunk({}, out);
  EXPECT_EQ(out, "0\r\n\r\n");
}

TEST(Http1Serializer, WritesLastChunkWithTrailers) {
  http::HeaderMap trailers;
  trailers.add("X-Checksum", "abc");
  trailers.add("X-Other", "1");
  std::string out;
  write_last_chunk(trailers, out);
  EXPECT_EQ(out, "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n");
}

TEST(Http1Serializer, RequestRoundTripsThroughParser) {
  std::string out;
  const auto head = sample_request();
  write_request_head(head, out);
  const auto parsed = parse_request_head(out, {});
  ASSERT_EQ(parsed.status, ParseStatus::Complete) << parsed.error.reason;
  EXPECT_EQ(parsed.consumed, out.size());
  EXPECT_EQ(parsed.head.method, head.method);
  EXPECT_EQ(parsed.head.target, head.target);
  ASSERT_EQ(parsed.head.headers.size(), head.headers.size());
  auto expected = head.headers.begin();
  for (const auto& header : parsed.head.headers) {
    EXPECT_EQ(header.name, expected->name);
    EXPECT_EQ(header.value, expected->value);
    ++expected;
  }
}

TEST(Http1Serializer, ResponseRoundTripsThroughParser) {
  http::ResponseHead head{.status = 503, .reason = "Service Unavailable"};
  head.headers.add("Retry-After", "5");
  head.headers.add("Transfer-Encoding", "chunked");
  std::string out;
  write_response_head(head, out);
  const auto parsed = parse_response_head(out, "GET", {});
  ASSERT_EQ(parsed.status, ParseStatus::Complete) << parsed.error.reason;
  EXPECT_EQ(parsed.head.status, 503);
  EXPECT_EQ(parsed.head.reason, "Service Unavailable");
  EXPECT_EQ(parsed.framing.kind, http::BodyFraming::Kind::Chunked);
}

TEST(Http1Serializer, ChunksRoundTripThroughDecoder) {
  std::string body;
  const std::string first(300, 'a');
  const std::string second = "tail";
  write_chunk_header(first.size(), body);
  body.append(first).append("\r\n");
  write_chunk_header(second.size(), body);
  body.append(second).append("\r\n");
  http::HeaderMap trailers;
  trailers.add("X-Sum", "7");
  write_last_chunk(trailers, body);

  ChunkedDecoder decoder;
  std::string decoded;
  std::string_view rest = body;
  while (!rest.empty()) {
    const auto step = decoder.decode(rest);
    ASSERT_FALSE(step.error) << step.error->reason;
    decoded.append(step.data);
    rest.remove_prefix(step.consumed);
    if (step.done) {
      break;
    }
  }
  EXPECT_TRUE(decoder.done());
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(decoded, first + second);
  EXPECT_EQ(decoder.trailers().get("x-sum"), "7");
}

}  // namespace
}  // namespace river::http1
