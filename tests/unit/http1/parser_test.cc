// Tests of the HTTP/1 head parser: one test per rule of RFC 9110/9112 the parser enforces,
// then the byte-level variants of the hostile cases in shared/cases (suite Http1ParserCases).
#include "http1/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"

namespace river::http1 {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using Kind = http::BodyFraming::Kind;

const char* to_text(ParseStatus status) {
  switch (status) {
    case ParseStatus::Complete:
      return "Complete";
    case ParseStatus::Incomplete:
      return "Incomplete";
    case ParseStatus::Error:
      return "Error";
  }
  return "?";
}

template <typename Parse>
std::string describe(const Parse& result) {
  std::string text = to_text(result.status);
  if (result.status == ParseStatus::Error) {
    text += " " + std::to_string(result.error.status) + " (" + result.error.reason + ")";
  }
  return text;
}

/// Succeeds when `bytes` is refused with `status`; the failure message shows the input.
::testing::AssertionResult request_fails(std::string_view bytes, int status,
                                         const ParseLimits& limits = {}) {
  const auto result = parse_request_head(bytes, limits);
  if (result.status == ParseStatus::Error && result.error.status == status) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "input \"" << escape_for_log(bytes, 400) << "\" gave "
                                       << describe(result) << ", expected error " << status;
}

/// Parses `bytes`, which must hold one complete request head.
RequestParse complete_request(std::string_view bytes, const ParseLimits& limits = {}) {
  auto result = parse_request_head(bytes, limits);
  EXPECT_EQ(result.status, ParseStatus::Complete)
      << "input \"" << escape_for_log(bytes, 400) << "\" gave " << describe(result);
  return result;
}

/// A POST head with the given extra field lines (each ending in CRLF), then the empty line.
std::string post_with(std::string_view fields) {
  return "POST / HTTP/1.1\r\nHost: example.test\r\n"s + std::string(fields) + "\r\n";
}

// --- Heads arriving in pieces --------------------------------------------------------------

TEST(Http1Parser, ParsesSimpleGet) {
  const std::string head =
      "GET /index.html?q=1 HTTP/1.1\r\nHost: example.test\r\n"
      "Accept: */*\r\n\r\n";
  const auto result = complete_request(head + "next");
  EXPECT_EQ(result.consumed, head.size());
  EXPECT_EQ(result.head.method, "GET");
  EXPECT_EQ(result.head.target, "/index.html?q=1");
  EXPECT_EQ(result.head.version, http::Version::Http11);
  EXPECT_EQ(result.head.headers.size(), 2u);
  EXPECT_EQ(result.head.headers.get("accept"), "*/*");
  EXPECT_EQ(result.framing.kind, Kind::None);
  EXPECT_FALSE(result.must_close);
}

TEST(Http1Parser, IncompleteOnEmptyInput) {
  EXPECT_EQ(parse_request_head("", {}).status, ParseStatus::Incomplete);
}

TEST(Http1Parser, ParsesHeadFedByteByByte) {
  const std::string head =
      "POST /upload HTTP/1.1\r\nHost: example.test\r\nX-Long: " + std::string(40, 'v') +
      "\r\nContent-Length: 3\r\n\r\n";
  for (std::size_t size = 0; size < head.size(); ++size) {
    const auto partial = parse_request_head(std::string_view(head).substr(0, size), {});
    ASSERT_EQ(partial.status, ParseStatus::Incomplete)
        << "prefix of " << size << " bytes gave " << describe(partial);
  }
  const auto result = complete_request(head + "abc");
  EXPECT_EQ(result.consumed, head.size());
  EXPECT_EQ(result.framing.kind, Kind::ContentLength);
  EXPECT_EQ(result.framing.length, 3u);
}

TEST(Http1Parser, ConsumedStopsAtEndOfHead) {
  const std::string head = post_with("Content-Length: 5\r\n");
  const auto result = complete_request(head + "helloGET / HTTP/1.1\r\n");
  EXPECT_EQ(result.consumed, head.size());
}

TEST(Http1Parser, SkipsLeadingEmptyLines) {
  const std::string bytes = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const auto result = complete_request(bytes);
  EXPECT_EQ(result.consumed, bytes.size());
  EXPECT_EQ(result.head.method, "GET");
}

TEST(Http1Parser, WaitsAfterLeadingEmptyLine) {
  EXPECT_EQ(parse_request_head("\r", {}).status, ParseStatus::Incomplete);
  EXPECT_EQ(parse_request_head("\r\n", {}).status, ParseStatus::Incomplete);
}

TEST(Http1Parser, RejectsManyLeadingEmptyLines) {
  std::string bytes;
  for (int i = 0; i < 10; ++i) {
    bytes += "\r\n";
  }
  EXPECT_TRUE(request_fails(bytes + "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400));
}

// --- Bare CR and bare LF -------------------------------------------------------------------

TEST(Http1Parser, RejectsBareLfAnywhereInHead) {
  for (const auto bytes : {"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\nHost: a\r\n\r\n",
                           "GET / HTTP/1.1\r\nHost: a\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\n",
                           "GET / HTTP/1.1\r\nHost: a\r\nX: b\nY: c\r\n\r\n",
                           "GET / HTTP/1.1\r\n\nHost: a\r\n\r\n", "GET /\n HTTP/1.1\r\n\r\n"}) {
    EXPECT_TRUE(request_fails(bytes, 400));
  }
}

TEST(Http1Parser, RejectsBareCrAnywhereInHead) {
  for (const auto bytes :
       {"\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\rHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n",
        "GET /\r HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nX\r: b\r\nHost: a\r\n\r\n"}) {
    EXPECT_TRUE(request_fails(bytes, 400));
  }
}

TEST(Http1Parser, RejectsBareLfBeforeHeadIsComplete) {
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nHost: a\nX-Partial", 400));
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\n", 400));
}

TEST(Http1Parser, RejectsBareCrBeforeHeadIsComplete) {
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nHost: a\rX-Partial", 400));
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\rX", 400));
}

// --- Request line --------------------------------------------------------------------------

TEST(Http1Parser, RejectsExtraWhitespaceInRequestLine) {
  for (const auto line :
       {"GET  / HTTP/1.1", "GET /  HTTP/1.1", " GET / HTTP/1.1", "GET\t/ HTTP/1.1",
        "GET /\tHTTP/1.1", "GET / HTTP/1.1 ", "GET / HTTP/1.1\t", "GET /a b HTTP/1.1"}) {
    EXPECT_TRUE(request_fails(std::string(line) + "\r\nHost: a\r\n\r\n", 400));
  }
}

TEST(Http1Parser, RejectsMethodThatIsNotAToken) {
  for (const auto line : {"G(T / HTTP/1.1", "GE\"T / HTTP/1.1", "G\x01T / HTTP/1.1",
                          "G\xc3\xa9T / HTTP/1.1", "/ HTTP/1.1"}) {
    EXPECT_TRUE(request_fails(std::string(line) + "\r\nHost: a\r\n\r\n", 400));
  }
}

TEST(Http1Parser, AcceptsExtensionMethods) {
  const auto result = complete_request("PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(result.head.method, "PURGE");
}

TEST(Http1Parser, RejectsControlBytesInTarget) {
  for (const auto target : {"/a\001b"sv, "/a\x7f"sv, "/a\0b"sv, "/a\x1b"sv}) {
    const auto bytes = "GET "s + std::string(target) + " HTTP/1.1\r\nHost: a\r\n\r\n";
    EXPECT_TRUE(request_fails(bytes, 400));
  }
}

TEST(Http1Parser, RejectsForbiddenTargetByteAtAnyPosition) {
  // Long targets are scanned eight bytes at a time: try every offset within the words.
  for (const char bad : {'\0', '\x01', '\x1f', '#', '\x7f', '\x80', '\xff'}) {
    for (std::size_t at = 1; at < 24; ++at) {
      std::string target = "/" + std::string(23, 'a');
      target[at] = bad;
      EXPECT_TRUE(request_fails("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n", 400))
          << "byte " << int(static_cast<unsigned char>(bad)) << " at " << at;
    }
  }
}

TEST(Http1Parser, RejectsFragmentInTarget) {
  EXPECT_TRUE(request_fails("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400));
}

TEST(Http1Parser, RejectsNonAsciiTarget) {
  EXPECT_TRUE(request_fails("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(request_fails("GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(request_fails("GET /abcdefghijklmn\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 400));
}

TEST(Http1Parser, AcceptsPrintableTargetBytes) {
  const std::string target = "/a-b_c.d~e!f$g&h'i(j)k*l+m,n;o=p:q@r/s?t=%20u|v[w]x{y}z^`\\\"<>";
  const auto result = complete_request("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(result.head.target, target);
}

TEST(Http1Parser, AcceptsHttp10) {
  const auto result = complete_request("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(result.head.version, http::Version::Http10);
}

TEST(Http1Parser, AnswersOtherHttpVersionsWith505) {
  for (const auto version : {"HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0", "HTTP/9.9"}) {
    EXPECT_TRUE(request_fails("GET / "s + version + "\r\nHost: a\r\n\r\n", 505));
  }
}

TEST(Http1Parser, RejectsMalformedVersion) {
  for (const auto version : {"http/1.1", "HTTP/1.10", "HTTP/11", "HTTP/1.x", "HTTP1.1", "HTTP/1.1x",
                             "FOO", "HTTP/", "HTTPS/1.1"}) {
    EXPECT_TRUE(request_fails("GET / "s + version + "\r\nHost: a\r\n\r\n", 400));
  }
}

TEST(Http1Parser, AcceptsAbsoluteForm) {
  for (const auto target : {"http://example.test/x?y", "https://example.test", "HTTP://a:8080/"}) {
    const auto result = complete_request("GET "s + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(result.head.target, target);
  }
}

TEST(Http1Parser, RejectsOtherTargetForms) {
  for (const auto target : {"x", "ftp://example.test/", "http:/x", "http:///x", "http://",
                            "example.test:443", "?q", "%2f"}) {
    EXPECT_TRUE(request_fails("GET "s + target + " HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  }
}

TEST(Http1Parser, RejectsAbsoluteFormWithAPortOutOfRangeOrABadAuthority) {
  for (const auto target : {"http://b.test:99999/x", "http://b.test:port/", "http://a@b/",
                            "http://:80/"}) {
    EXPECT_TRUE(request_fails("GET "s + target + " HTTP/1.1\r\nHost: a\r\n\r\n", 400)) << target;
  }
}

TEST(Http1Parser, RejectsHostThatIsNotUriHostAndPort) {
  // RFC 9112 §3.2, RFC 3986 §3.2.2.
  for (const auto host : {"a b", "a/../b", "a@b", "a:port", "a:70000", "[::1", "a,b c"}) {
    EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nHost: "s + host + "\r\n\r\n", 400)) << host;
  }
}

TEST(Http1Parser, AcceptsHostWithPortIpLiteralOrEmptyValue) {
  for (const auto host : {"example.test", "example.test:8080", "[::1]:443", "10.0.0.1", ""}) {
    const auto result = complete_request("GET / HTTP/1.1\r\nHost: "s + host + "\r\n\r\n");
    EXPECT_EQ(result.head.headers.get("Host"), host);
  }
}

TEST(Http1Parser, AcceptsAuthorityFormForConnect) {
  for (const auto target : {"example.test:443", "10.0.0.1:8080", "[::1]:443"}) {
    const auto result = complete_request("CONNECT "s + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(result.head.target, target);
  }
}

TEST(Http1Parser, RejectsConnectWithoutAuthorityForm) {
  for (const auto target :
       {"/", "example.test", "example.test:", "example.test:https", "http://example.test:443/",
        "user@example.test:443", "*", "[::1:443", "example.test:443/x"}) {
    EXPECT_TRUE(request_fails("CONNECT "s + target + " HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  }
}

TEST(Http1Parser, AcceptsAsteriskOnlyForOptions) {
  EXPECT_EQ(complete_request("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").head.target, "*");
  EXPECT_TRUE(request_fails("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(request_fails("OPTIONS ** HTTP/1.1\r\nHost: a\r\n\r\n", 400));
}

// --- Field lines ---------------------------------------------------------------------------

TEST(Http1Parser, KeepsEveryFieldWithItsSpellingAndOrder) {
  const auto result = complete_request(
      "POST / HTTP/1.1\r\nhOsT: example.test\r\nX-B: 1\r\nConnection: keep-alive\r\n"
      "content-LENGTH: 2\r\nX-A: 2\r\nX-B: 3\r\n\r\n");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"hOsT", "example.test"}, {"X-B", "1"}, {"Connection", "keep-alive"},
      {"content-LENGTH", "2"},  {"X-A", "2"}, {"X-B", "3"}};
  std::vector<std::pair<std::string, std::string>> actual;
  for (const auto& header : result.head.headers) {
    actual.emplace_back(header.name, header.value);
  }
  EXPECT_EQ(actual, expected);
}

TEST(Http1Parser, TrimsOptionalWhitespaceAroundValues) {
  const auto result =
      complete_request("GET / HTTP/1.1\r\nHost:example.test\r\nX-A: \t a  b \t \r\nX-B:\t\r\n\r\n");
  EXPECT_EQ(result.head.headers.get("host"), "example.test");
  EXPECT_EQ(result.head.headers.get("x-a"), "a  b");
  EXPECT_EQ(result.head.headers.get("x-b"), "");
}

TEST(Http1Parser, AcceptsObsTextInValues) {
  const auto result =
      complete_request("GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9 \xff\r\n\r\n");
  EXPECT_EQ(result.head.headers.get("x-name"), "caf\xc3\xa9 \xff");
}

TEST(Http1Parser, RejectsWhitespaceBeforeColon) {
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400));
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nHost: a\r\nContent-Length\t: 0\r\n\r\n", 400));
}

TEST(Http1Parser, RejectsFieldNameThatIsNotAToken) {
  for (const auto line :
       {"X(a): b", "X a: b", ": b", "X/Y: b", "X\x7f: b", "X\xc3\xa9: b", "NoColon", "X@: b"}) {
    EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nHost: a\r\n"s + line + "\r\n\r\n", 400));
  }
}

TEST(Http1Parser, RejectsControlBytesInValues) {
  for (const auto value : {"a\0b"sv, "a\x01"sv, "\013a"sv, "a\x1f"sv, "a\x7f"sv, "\x0c"sv}) {
    const auto bytes = "GET / HTTP/1.1\r\nHost: a\r\nX: "s + std::string(value) + "\r\n\r\n";
    EXPECT_TRUE(request_fails(bytes, 400));
  }
}

TEST(Http1Parser, RejectsForbiddenValueByteAtAnyPosition) {
  // Long values are scanned eight bytes at a time: try every offset within the words.
  for (const char bad : {'\0', '\x01', '\x0b', '\n', '\r', '\x1f', '\x7f'}) {
    for (std::size_t at = 0; at < 24; ++at) {
      std::string value(24, 'v');
      value[at] = bad;
      EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nHost: a\r\nX: " + value + "\r\n\r\n", 400))
          << "byte " << int(bad) << " at " << at;
    }
  }
}

TEST(Http1Parser, RejectsObsFold) {
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", 400));
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", 400));
}

TEST(Http1Parser, RejectsWhitespaceLedLineAfterRequestLine) {
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400));
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n", 400));
}

// --- Host ----------------------------------------------------------------------------------

TEST(Http1Parser, RequiresHostInHttp11) {
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nX: a\r\n\r\n", 400));
}

TEST(Http1Parser, AcceptsHttp10WithoutHost) {
  EXPECT_EQ(complete_request("GET / HTTP/1.0\r\n\r\n").head.headers.size(), 0u);
}

TEST(Http1Parser, RejectsMoreThanOneHost) {
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400));
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400));
  EXPECT_TRUE(request_fails("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400));
}

// --- Content-Length ------------------------------------------------------------------------

TEST(Http1Parser, FramesBodyByContentLength) {
  const auto result = complete_request(post_with("Content-Length: 1234\r\n"));
  EXPECT_EQ(result.framing.kind, Kind::ContentLength);
  EXPECT_EQ(result.framing.length, 1234u);
}

TEST(Http1Parser, AcceptsLeadingZerosInContentLength) {
  const auto result = complete_request(post_with("Content-Length: 005\r\n"));
  EXPECT_EQ(result.framing.kind, Kind::ContentLength);
  EXPECT_EQ(result.framing.length, 5u);
}

TEST(Http1Parser, AcceptsLargestContentLength) {
  const auto result = complete_request(post_with("Content-Length: 18446744073709551615\r\n"));
  EXPECT_EQ(result.framing.length, 18446744073709551615u);
}

TEST(Http1Parser, CollapsesIdenticalContentLengthList) {
  const auto result = complete_request(post_with("Content-Length: 5, 5,5\r\n"));
  EXPECT_EQ(result.framing.kind, Kind::ContentLength);
  EXPECT_EQ(result.framing.length, 5u);
}

TEST(Http1Parser, CollapsesRepeatedIdenticalContentLength) {
  const auto result = complete_request(post_with("Content-Length: 5\r\nContent-Length: 05\r\n"));
  EXPECT_EQ(result.framing.kind, Kind::ContentLength);
  EXPECT_EQ(result.framing.length, 5u);
  EXPECT_EQ(result.head.headers.count("content-length"), 2u);
}

TEST(Http1Parser, RejectsConflictingContentLength) {
  EXPECT_TRUE(request_fails(post_with("Content-Length: 5\r\nContent-Length: 6\r\n"), 400));
  EXPECT_TRUE(request_fails(post_with("Content-Length: 5, 6\r\n"), 400));
}

TEST(Http1Parser, RejectsEmptyContentLength) {
  EXPECT_TRUE(request_fails(post_with("Content-Length:\r\n"), 400));
  EXPECT_TRUE(request_fails(post_with("Content-Length: \r\nContent-Length: 5\r\n"), 400));
  EXPECT_TRUE(request_fails(post_with("Content-Length: 5\r\nContent-Length:\r\n"), 400));
}

TEST(Http1Parser, RejectsEmptyContentLengthListElements) {
  for (const auto value : {"5,", ",5", "5,,5", ","}) {
    EXPECT_TRUE(request_fails(post_with("Content-Length: "s + value + "\r\n"), 400));
  }
}

TEST(Http1Parser, RejectsContentLengthThatIsNotDigits) {
  for (const auto value : {"+5", "-1", "0x5", "5 5", "5.0", "five", "5\t5", "1e3", "٥"}) {
    EXPECT_TRUE(request_fails(post_with("Content-Length: "s + value + "\r\n"), 400));
  }
}

TEST(Http1Parser, RejectsOverflowingContentLength) {
  EXPECT_TRUE(request_fails(post_with("Content-Length: 18446744073709551616\r\n"), 400));
  EXPECT_TRUE(request_fails(post_with("Content-Length: 18446744073709551621\r\n"), 400));
  EXPECT_TRUE(request_fails(post_with("Content-Length: 99999999999999999999999\r\n"), 400));
}

// --- Transfer-Encoding ---------------------------------------------------------------------

TEST(Http1Parser, FramesBodyByChunked) {
  const auto result = complete_request(post_with("Transfer-Encoding: chunked\r\n"));
  EXPECT_EQ(result.framing.kind, Kind::Chunked);
  EXPECT_FALSE(result.must_close);
  EXPECT_EQ(result.head.headers.get("transfer-encoding"), "chunked");
}

TEST(Http1Parser, ReadsChunkedCaseInsensitivelyWithOws) {
  for (const auto value : {"Chunked", "CHUNKED", "chunked\t", " chunked", "\tchunked  "}) {
    const auto result = complete_request(post_with("Transfer-Encoding: "s + value + "\r\n"));
    EXPECT_EQ(result.framing.kind, Kind::Chunked) << value;
  }
}

TEST(Http1Parser, IgnoresEmptyTransferCodingListElements) {
  const auto result = complete_request(post_with("Transfer-Encoding: ,chunked,\r\n"));
  EXPECT_EQ(result.framing.kind, Kind::Chunked);
}

TEST(Http1Parser, RejectsEmptyTransferEncoding) {
  EXPECT_TRUE(request_fails(post_with("Transfer-Encoding:\r\n"), 400));
  EXPECT_TRUE(request_fails(post_with("Transfer-Encoding: , \r\n"), 400));
}

TEST(Http1Parser, RejectsChunkedNotFinal) {
  EXPECT_TRUE(request_fails(post_with("Transfer-Encoding: chunked, identity\r\n"), 400));
  EXPECT_TRUE(request_fails(post_with("Transfer-Encoding: chunked, gzip\r\n"), 400));
  EXPECT_TRUE(
      request_fails(post_with("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"), 400));
}

TEST(Http1Parser, RejectsChunkedAppliedTwice) {
  EXPECT_TRUE(request_fails(post_with("Transfer-Encoding: chunked, chunked\r\n"), 400));
  EXPECT_TRUE(request_fails(
      post_with("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400));
}

TEST(Http1Parser, AnswersUnknownTransferCodingWith501) {
  for (const auto value : {"identity", "gzip", "xchunked", "chunkedx", "gzip, chunked",
                           "chunked;ext=1", "\"chunked\""}) {
    EXPECT_TRUE(request_fails(post_with("Transfer-Encoding: "s + value + "\r\n"), 501));
  }
}

TEST(Http1Parser, RejectsVerticalTabBeforeChunked) {
  // VT is a control byte, not whitespace: the field value itself is invalid (RFC 9110 §5.5),
  // so it never gets as far as being read as a transfer coding.
  EXPECT_TRUE(request_fails(post_with("Transfer-Encoding: \013chunked\r\n"), 400));
  EXPECT_TRUE(request_fails(post_with("Transfer-Encoding: chunked\x0b\r\n"), 400));
}

TEST(Http1Parser, RejectsTransferEncodingWithContentLength) {
  EXPECT_TRUE(request_fails(post_with("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400));
  EXPECT_TRUE(request_fails(post_with("Transfer-Encoding: chunked\r\nContent-Length: 0\r\n"), 400));
}

TEST(Http1Parser, RejectsTransferEncodingInHttp10) {
  EXPECT_TRUE(request_fails("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400));
}

TEST(Http1Parser, RequestWithoutLengthHasNoBody) {
  EXPECT_EQ(complete_request(post_with("")).framing.kind, Kind::None);
  EXPECT_EQ(complete_request("POST / HTTP/1.0\r\n\r\n").framing.kind, Kind::None);
}

// --- Connection ----------------------------------------------------------------------------

TEST(Http1Parser, KeepsHttp11ConnectionsOpenByDefault) {
  EXPECT_FALSE(complete_request("GET / HTTP/1.1\r\nHost: a\r\n\r\n").must_close);
}

TEST(Http1Parser, ClosesOnConnectionClose) {
  EXPECT_TRUE(
      complete_request("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").must_close);
  EXPECT_TRUE(complete_request("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n")
                  .must_close);
  EXPECT_TRUE(
      complete_request("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n")
          .must_close);
}

TEST(Http1Parser, ClosesHttp10UnlessKeepAlive) {
  EXPECT_TRUE(complete_request("GET / HTTP/1.0\r\n\r\n").must_close);
  EXPECT_FALSE(complete_request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").must_close);
}

// --- Limits --------------------------------------------------------------------------------

ParseLimits small_limits() {
  ParseLimits limits;
  limits.max_request_line_bytes = 32;
  limits.max_header_bytes = 256;
  limits.max_header_count = 4;
  return limits;
}

TEST(Http1Parser, AcceptsRequestLineAtLimit) {
  const std::string line = "GET /" + std::string(18, 'a') + " HTTP/1.1";
  ASSERT_EQ(line.size(), 32u);
  complete_request(line + "\r\nHost: a\r\n\r\n", small_limits());
  EXPECT_EQ(parse_request_head(line + "\r", small_limits()).status, ParseStatus::Incomplete);
}

TEST(Http1Parser, AnswersLongRequestLineWith414) {
  const std::string line = "GET /" + std::string(19, 'a') + " HTTP/1.1";
  EXPECT_TRUE(request_fails(line + "\r\nHost: a\r\n\r\n", 414, small_limits()));
}

TEST(Http1Parser, AnswersLongRequestLineWith414BeforeItEnds) {
  const std::string start = "GET /" + std::string(27, 'a');
  ASSERT_EQ(start.size(), 32u);
  EXPECT_EQ(parse_request_head(start, small_limits()).status, ParseStatus::Incomplete);
  EXPECT_TRUE(request_fails(start + "a", 414, small_limits()));
  // Once the limit is passed, what comes next does not change the answer.
  EXPECT_TRUE(request_fails(start + "a\x01", 414, small_limits()));
  EXPECT_TRUE(request_fails(start + "a\r", 414, small_limits()));
  EXPECT_TRUE(request_fails("GET /" + std::string(100'000, 'a'), 414));
}

TEST(Http1Parser, AcceptsHeaderCountAtLimit) {
  complete_request("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", small_limits());
}

TEST(Http1Parser, AnswersTooManyFieldsWith431) {
  EXPECT_TRUE(request_fails("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
                            431, small_limits()));
}

TEST(Http1Parser, AnswersTooManyFieldsWith431BeforeHeadEnds) {
  EXPECT_TRUE(
      request_fails("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD", 431, small_limits()));
}

TEST(Http1Parser, AcceptsHeadAtMaxHeaderBytes) {
  std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n";
  head.insert(head.size() - 4, 256 - head.size(), 'v');
  ASSERT_EQ(head.size(), 256u);
  complete_request(head + "body", small_limits());
}

TEST(Http1Parser, AnswersOversizedHeadWith431) {
  std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n";
  head.insert(head.size() - 4, 257 - head.size(), 'v');
  ASSERT_EQ(head.size(), 257u);
  EXPECT_TRUE(request_fails(head, 431, small_limits()));
}

TEST(Http1Parser, AnswersOversizedHeadWith431BeforeItEnds) {
  const std::string start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  const std::string filled = start + std::string(256 - start.size(), 'v');
  EXPECT_EQ(parse_request_head(filled, small_limits()).status, ParseStatus::Incomplete);
  EXPECT_TRUE(request_fails(filled + "v", 431, small_limits()));
}

// --- Responses -----------------------------------------------------------------------------

/// Succeeds when the response `bytes` (to `method`) is refused with 502.
::testing::AssertionResult response_fails(std::string_view bytes, std::string_view method = "GET",
                                          const ParseLimits& limits = {}) {
  const auto result = parse_response_head(bytes, method, limits);
  if (result.status == ParseStatus::Error && result.error.status == 502) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "response \"" << escape_for_log(bytes, 400) << "\" gave " << describe(result);
}

ResponseParse complete_response(std::string_view bytes, std::string_view method = "GET") {
  auto result = parse_response_head(bytes, method, {});
  EXPECT_EQ(result.status, ParseStatus::Complete)
      << "response \"" << escape_for_log(bytes, 400) << "\" gave " << describe(result);
  return result;
}

TEST(Http1ResponseParser, ParsesStatusLine) {
  const std::string head = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nX-A: b\r\n\r\n";
  const auto result = complete_response(head + "abc");
  EXPECT_EQ(result.consumed, head.size());
  EXPECT_EQ(result.head.status, 404);
  EXPECT_EQ(result.head.reason, "Not Found");
  EXPECT_EQ(result.head.version, http::Version::Http11);
  EXPECT_EQ(result.head.headers.size(), 2u);
  EXPECT_EQ(result.framing.kind, Kind::ContentLength);
  EXPECT_EQ(result.framing.length, 3u);
  EXPECT_FALSE(result.must_close);
}

TEST(Http1ResponseParser, ParsesHeadFedByteByByte) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer: x\r\n\r\n";
  for (std::size_t size = 0; size < head.size(); ++size) {
    const auto partial = parse_response_head(std::string_view(head).substr(0, size), "GET", {});
    ASSERT_EQ(partial.status, ParseStatus::Incomplete)
        << "prefix of " << size << " bytes gave " << describe(partial);
  }
  EXPECT_EQ(complete_response(head).consumed, head.size());
}

TEST(Http1ResponseParser, AcceptsEmptyReason) {
  EXPECT_EQ(complete_response("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n").head.reason, "");
  EXPECT_EQ(complete_response("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").head.reason, "");
}

TEST(Http1ResponseParser, KeepsReasonBytes) {
  const auto result =
      complete_response("HTTP/1.1 200 All \tgood \xc3\xa9\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(result.head.reason, "All \tgood \xc3\xa9");
}

TEST(Http1ResponseParser, RejectsControlBytesInReason) {
  EXPECT_TRUE(response_fails("HTTP/1.1 200 O\x01K\r\n\r\n"));
  EXPECT_TRUE(response_fails("HTTP/1.1 200 OK\x7f\r\n\r\n"));
}

TEST(Http1ResponseParser, RejectsStatusOutsideRange) {
  for (const auto line : {"HTTP/1.1 099 X", "HTTP/1.1 600 X", "HTTP/1.1 999 X", "HTTP/1.1 000 X"}) {
    EXPECT_TRUE(response_fails(line + "\r\nContent-Length: 0\r\n\r\n"s));
  }
}

TEST(Http1ResponseParser, RejectsMalformedStatusLine) {
  for (const auto line :
       {"HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 2x0 OK", "HTTP/1.1  200 OK",
        "HTTP/1.1\t200 OK", "HTTP/2.0 200 OK", "HTTP/1.2 200 OK", "http/1.1 200 OK", "ICY 200 OK",
        "HTTP/1.1 -20 OK", " HTTP/1.1 200 OK", "HTTP/1.1 200\tOK"}) {
    EXPECT_TRUE(response_fails(line + "\r\nContent-Length: 0\r\n\r\n"s));
  }
}

TEST(Http1ResponseParser, RejectsLeadingEmptyLine) {
  EXPECT_TRUE(response_fails("\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
}

TEST(Http1ResponseParser, RejectsBareLfAndBareCr) {
  EXPECT_TRUE(response_fails("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(response_fails("HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n"));
  EXPECT_TRUE(response_fails("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"));
  EXPECT_TRUE(response_fails("HTTP/1.1 200 OK\r\nX: a\rPartial"));
}

TEST(Http1ResponseParser, RejectsInvalidFieldLines) {
  EXPECT_TRUE(response_fails("HTTP/1.1 200 OK\r\nX : a\r\n\r\n"));
  EXPECT_TRUE(response_fails("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n"sv));
  EXPECT_TRUE(response_fails("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n"));
}

TEST(Http1ResponseParser, NoBodyForHeadRequest) {
  const auto result = complete_response("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", "HEAD");
  EXPECT_EQ(result.framing.kind, Kind::None);
  EXPECT_FALSE(result.must_close);
}

TEST(Http1ResponseParser, NoBodyFor1xx204And304) {
  for (const auto status : {"100 Continue", "101 Switching Protocols", "103 Early Hints",
                            "204 No Content", "304 Not Modified"}) {
    const auto result = complete_response(
        "HTTP/1.1 "s + status + "\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n");
    EXPECT_EQ(result.framing.kind, Kind::None) << status;
  }
}

TEST(Http1ResponseParser, NoBodyFor2xxToConnect) {
  EXPECT_EQ(complete_response("HTTP/1.1 200 OK\r\n\r\n", "CONNECT").framing.kind, Kind::None);
  EXPECT_EQ(
      complete_response("HTTP/1.1 407 Auth\r\nContent-Length: 2\r\n\r\n", "CONNECT").framing.kind,
      Kind::ContentLength);
}

TEST(Http1ResponseParser, FramesBodyByChunked) {
  const auto result = complete_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n");
  EXPECT_EQ(result.framing.kind, Kind::Chunked);
  EXPECT_FALSE(result.must_close);
}

TEST(Http1ResponseParser, ChunkedOverridesContentLengthAndCloses) {
  const auto result = complete_response(
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(result.framing.kind, Kind::Chunked);
  EXPECT_TRUE(result.must_close);
}

TEST(Http1ResponseParser, ReadsUntilCloseWhenChunkedIsNotFinal) {
  for (const auto value : {"gzip", "chunked, gzip", "identity"}) {
    const auto result = complete_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: "s + value +
                                          "\r\nContent-Length: 3\r\n\r\n");
    EXPECT_EQ(result.framing.kind, Kind::UntilClose) << value;
    EXPECT_TRUE(result.must_close) << value;
  }
}

TEST(Http1ResponseParser, RejectsChunkedAppliedTwice) {
  EXPECT_TRUE(response_fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"));
}

TEST(Http1ResponseParser, RejectsTransferEncodingInHttp10) {
  EXPECT_TRUE(response_fails("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
}

TEST(Http1ResponseParser, RejectsInvalidContentLength) {
  for (const auto fields :
       {"Content-Length: -1", "Content-Length: 1\r\nContent-Length: 2",
        "Content-Length:", "Content-Length: 0x10", "Content-Length: 18446744073709551616"}) {
    EXPECT_TRUE(response_fails("HTTP/1.1 200 OK\r\n"s + fields + "\r\n\r\n"));
  }
}

TEST(Http1ResponseParser, ReadsUntilCloseWithoutFraming) {
  const auto result = complete_response("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n");
  EXPECT_EQ(result.framing.kind, Kind::UntilClose);
  EXPECT_TRUE(result.must_close);
}

TEST(Http1ResponseParser, ClosesOnConnectionClose) {
  const auto result =
      complete_response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(result.must_close);
}

TEST(Http1ResponseParser, ClosesHttp10UnlessKeepAlive) {
  EXPECT_TRUE(complete_response("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").must_close);
  EXPECT_FALSE(
      complete_response("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
          .must_close);
}

TEST(Http1ResponseParser, RejectsOversizedHead) {
  ParseLimits limits;
  limits.max_header_bytes = 64;
  const std::string head = "HTTP/1.1 200 OK\r\nX: " + std::string(64, 'v');
  EXPECT_TRUE(response_fails(head, "GET", limits));
  limits.max_header_count = 1;
  EXPECT_TRUE(response_fails("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", "GET", limits));
}

// --- shared/cases: byte-level variants -----------------------------------------------------

TEST(Http1ParserCases, C01RejectsContentLengthWithChunked) {
  // A: CL.TE, B: TE.CL, exactly as in the case file.
  EXPECT_TRUE(request_fails(
      "POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 48\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: example.test\r\n\r\n",
      400));
  EXPECT_TRUE(request_fails(
      "POST / HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\nContent-Length: "
      "4\r\n\r\n2b\r\nGET /admin HTTP/1.1\r\nHost: example.test\r\n\r\n\r\n0\r\n\r\n",
      400));
}

std::string c02_request(std::string_view te_lines) {
  return "POST / HTTP/1.1\r\nHost: example.test\r\n"s + std::string(te_lines) +
         "Content-Length: 5\r\n\r\n0\r\n\r\n";
}

TEST(Http1ParserCases, C02RejectsEveryTransferEncodingVariant) {
  // Every variant carries Content-Length: 5 as well, so each is refused with 400 + close.
  const std::vector<std::string> variants = {
      "Transfer-Encoding: chunked, identity\r\n",                       // a
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",  // b
      "Transfer-Encoding: identity\r\n",                                // c
      "Transfer-Encoding: xchunked\r\n",                                // d
      "Transfer-Encoding: chunked, chunked\r\n",                        // e
      "Transfer-Encoding: \013chunked\r\n",                             // f (VT, octal 013)
      "Transfer-Encoding: chunked\t\r\n",                               // g
      "Transfer-Encoding:  chunked\r\n",                                // g
      "Transfer-Encoding: Chunked\r\n",                                 // g
  };
  for (const auto& variant : variants) {
    const auto result = parse_request_head(c02_request(variant), {});
    EXPECT_EQ(result.status, ParseStatus::Error) << escape_for_log(variant);
    EXPECT_EQ(result.error.status, 400) << escape_for_log(variant);
  }
}

std::string c03_request(std::string_view cl_lines) {
  return "POST / HTTP/1.1\r\nHost: example.test\r\n"s + std::string(cl_lines) + "\r\n\r\nhello";
}

TEST(Http1ParserCases, C03RejectsInvalidContentLengthVariants) {
  for (const auto lines : {"Content-Length:\r\nContent-Length: 5",     // a
                           "Content-Length: 5\r\nContent-Length: 6",   // b
                           "Content-Length: 5,",                       // e (we refuse)
                           "Content-Length: +5",                       // f
                           "Content-Length: 0x5",                      // g
                           "Content-Length: -1",                       // h
                           "Content-Length: 5 5",                      // i
                           "Content-Length: 18446744073709551621"}) {  // j
    EXPECT_TRUE(request_fails(c03_request(lines), 400));
  }
}

TEST(Http1ParserCases, C03CollapsesRepeatedContentLengthToOneValue) {
  for (const auto lines : {"Content-Length: 5, 5",                    // c
                           "Content-Length: 5\r\nContent-Length: 5",  // d
                           "Content-Length: 005"}) {                  // k
    const auto bytes = c03_request(lines);
    const auto result = complete_request(bytes);
    EXPECT_EQ(result.framing.kind, Kind::ContentLength) << lines;
    EXPECT_EQ(result.framing.length, 5u) << lines;
    EXPECT_EQ(std::string_view(bytes).substr(result.consumed), "hello") << lines;
  }
}

TEST(Http1ParserCases, C05RejectsObsFold) {
  // A: a fold hiding Transfer-Encoding; B: folded Content-Length; C: whitespace-led line
  // right after the request line.
  EXPECT_TRUE(
      request_fails("POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 48\r\nX-Note: a\r\n "
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: "
                    "example.test\r\n\r\n",
                    400));
  EXPECT_TRUE(request_fails(
      "POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length:\r\n 5\r\n\r\nhello", 400));
  EXPECT_TRUE(request_fails(
      "POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: example.test\r\nContent-Length: "
      "5\r\n\r\nhello",
      400));
}

TEST(Http1ParserCases, C05RejectsObsFoldInResponse) {
  EXPECT_TRUE(response_fails("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Note: a\r\n b\r\n\r\nok"));
}

TEST(Http1ParserCases, C07HeadOfChunkedRequestIsAccepted) {
  // The C07 variants differ only in the body; the head is valid and framed as chunked, and
  // the body bytes are left to the chunked decoder (see chunked_test.cc).
  const std::string head =
      "POST / HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n";
  const auto result = complete_request(head + "5\r\nhelloXX0\r\n\r\n");
  EXPECT_EQ(result.framing.kind, Kind::Chunked);
  EXPECT_EQ(result.consumed, head.size());
}

TEST(Http1ParserCases, C09RejectsTransferEncodingInHttp10) {
  EXPECT_TRUE(request_fails(
      "POST / HTTP/1.0\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
      "0\r\n\r\n",
      400));
  EXPECT_TRUE(request_fails(
      "POST / HTTP/1.0\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\nContent-Length: "
      "5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      400));
}

TEST(Http1ParserCases, C09Http10PostWithoutLengthHasEmptyBody) {
  const std::string first =
      "POST / HTTP/1.0\r\nHost: example.test\r\nConnection: keep-alive\r\n\r\n";
  const std::string second = "GET /admin HTTP/1.0\r\nHost: example.test\r\n\r\n";
  const auto post = complete_request(first + second);
  EXPECT_EQ(post.framing.kind, Kind::None);
  EXPECT_FALSE(post.must_close);
  ASSERT_EQ(post.consumed, first.size());

  // What follows is its own request, never body of the first.
  const auto get = complete_request(second);
  EXPECT_EQ(get.head.target, "/admin");
  EXPECT_TRUE(get.must_close);
}

TEST(Http1ParserCases, C17KeepsLongFieldNameIntact) {
  const std::string name = "Content-Length0" + std::string(255, 'a');
  const auto bytes =
      "POST / HTTP/1.1\r\nHost: example.test\r\n" + name + ":\r\nContent-Length: 5\r\n\r\nhello";
  const auto result = complete_request(bytes);
  ASSERT_EQ(result.head.headers.size(), 3u);
  EXPECT_EQ(std::next(result.head.headers.begin())->name, name);
  EXPECT_EQ(std::next(result.head.headers.begin())->value, "");
  EXPECT_EQ(result.head.headers.count("content-length"), 1u);
  EXPECT_EQ(result.framing.kind, Kind::ContentLength);
  EXPECT_EQ(result.framing.length, 5u);
}

std::string many_fields(int count) {
  std::string bytes = "GET / HTTP/1.1\r\nHost: example.test\r\n";
  for (int i = 1; i <= count; ++i) {
    bytes += "X-H-" + std::to_string(i) + ": v\r\n";
  }
  return bytes + "\r\n";
}

TEST(Http1ParserCases, C17AnswersTwoHundredFieldsWith431) {
  EXPECT_TRUE(request_fails(many_fields(200), 431));
}

TEST(Http1ParserCases, C17AnswersHugeValueWith431) {
  const std::string start = "GET / HTTP/1.1\r\nHost: example.test\r\nX-Big: ";
  const std::string value(70'000, 'a');
  EXPECT_TRUE(request_fails(start + value + "\r\n\r\n", 431));
  // Refused while still arriving, as soon as the limit is passed.
  EXPECT_TRUE(request_fails(start + value, 431));
}

TEST(Http1ParserCases, C17AnswersHugeTargetWith414) {
  const std::string start = "GET /" + std::string(102'400, 'a');
  EXPECT_TRUE(request_fails(start + " HTTP/1.1\r\nHost: example.test\r\n\r\n", 414));
  EXPECT_TRUE(request_fails(start, 414));
}

TEST(Http1ParserCases, C17AcceptsFiftyFields) {
  const auto result = complete_request(many_fields(50));
  EXPECT_EQ(result.head.headers.size(), 51u);
  EXPECT_EQ(std::prev(result.head.headers.end())->name, "X-H-50");
}

}  // namespace
}  // namespace river::http1
