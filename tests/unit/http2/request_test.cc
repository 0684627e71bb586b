#include "http2/request.h"

#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace river::http2 {
namespace {

// A vector, not an initializer_list: a list's elements die with the full expression that
// made it, so a vector of lists would dangle.
using Fields = std::vector<std::pair<std::string_view, std::string_view>>;

RequestBuilder build(Fields fields, RequestLimits limits = {}) {
  RequestBuilder builder(limits);
  for (const auto& [name, value] : fields) {
    builder.add(name, value);
  }
  return builder;
}

const Fields kGet = {{":method", "GET"}, {":scheme", "https"}, {":authority", "a.test"},
                     {":path", "/x?y=1"}};

TEST(Http2Request, TranslatesPseudoHeadersAndAddsHostFromAuthority) {
  auto builder = build(kGet);
  ASSERT_EQ(builder.finish(true), Verdict::Ok) << builder.reason();
  const auto& head = builder.head();
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/x?y=1");
  EXPECT_EQ(head.version, http::Version::Http2);
  EXPECT_EQ(head.headers.get("Host"), "a.test");
  EXPECT_EQ(head.headers.begin()->name, "host");
  EXPECT_EQ(builder.framing().kind, http::BodyFraming::Kind::None);
}

TEST(Http2Request, JoinsCookieFieldsWithSemicolonSpaceInOrder) {
  auto builder = build({{":method", "GET"}, {":scheme", "http"}, {":authority", "a"},
                        {":path", "/"}, {"cookie", "a=1"}, {"x", "1"}, {"cookie", "b=2"},
                        {"cookie", "c=3"}});
  ASSERT_EQ(builder.finish(true), Verdict::Ok);
  EXPECT_EQ(builder.head().headers.count("cookie"), 1u);
  EXPECT_EQ(builder.head().headers.get("cookie"), "a=1; b=2; c=3");
}

TEST(Http2Request, RejectsConnectionSpecificFields) {
  for (const auto name : {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                          "upgrade"}) {
    auto builder = build({{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
                          {":authority", "a"}, {name, "x"}});
    EXPECT_EQ(builder.finish(true), Verdict::Malformed) << name;
  }
}

TEST(Http2Request, AllowsOnlyTrailersInTe) {
  auto ok = build({{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":authority", "a"},
                   {"te", "trailers"}});
  EXPECT_EQ(ok.finish(true), Verdict::Ok);
  auto bad = build({{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":authority", "a"},
                    {"te", "gzip"}});
  EXPECT_EQ(bad.finish(true), Verdict::Malformed);
}

TEST(Http2Request, EnforcesPseudoHeaderRules) {
  const std::vector<Fields> malformed = {
      {{":scheme", "http"}, {":path", "/"}, {":authority", "a"}},
      {{":method", "GET"}, {":path", "/"}, {":authority", "a"}},
      {{":method", "GET"}, {":scheme", "http"}, {":authority", "a"}},
      {{":method", "GET"}, {":scheme", "http"}, {":path", ""}, {":authority", "a"}},
      {{":method", "GET"}, {":scheme", "http"}, {":path", "x"}, {":authority", "a"}},
      {{":method", "GET"}, {":method", "GET"}, {":scheme", "http"}, {":path", "/"}},
      {{":method", "GET"}, {":scheme", "http"}, {"x", "1"}, {":path", "/"}},
      {{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":status", "200"}},
      {{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":protocol", "websocket"}},
      {{":method", "GET"}, {":scheme", "http"}, {":path", "/a b"}, {":authority", "a"}},
      {{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":authority", "u@a"}},
      {{":method", "CONNECT"}, {":scheme", "http"}, {":path", "/"}, {":authority", "a:1"}},
  };
  for (const auto& fields : malformed) {
    auto builder = build(fields);
    EXPECT_EQ(builder.finish(true), Verdict::Malformed) << fields.begin()->second;
  }
}

TEST(Http2Request, ConnectNamesOnlyTheAuthority) {
  auto builder = build({{":method", "CONNECT"}, {":authority", "a.test:443"}});
  ASSERT_EQ(builder.finish(false), Verdict::Ok);
  EXPECT_EQ(builder.head().target, "a.test:443");
}

TEST(Http2Request, RejectsInvalidNamesAndValues) {
  for (const auto& field : std::vector<std::pair<std::string_view, std::string_view>>{
           {"X-Upper", "1"}, {"sp ace", "1"}, {"x", "a\nb"}, {"x", "a\rb"},
           {"x", std::string_view("a\0b", 3)}, {"x", " lead"}, {"x", "trail\t"}}) {
    auto builder = build({{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
                          {":authority", "a"}, field});
    EXPECT_EQ(builder.finish(true), Verdict::Malformed) << field.first << "=" << field.second;
  }
}

TEST(Http2Request, HostMustMatchAuthority) {
  auto same = build({{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
                     {":authority", "A.test"}, {"host", "a.TEST"}});
  EXPECT_EQ(same.finish(true), Verdict::Ok);
  auto differs = build({{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
                        {":authority", "a.test"}, {"host", "b.test"}});
  EXPECT_EQ(differs.finish(true), Verdict::Malformed);
  auto none = build({{":method", "GET"}, {":scheme", "http"}, {":path", "/"}});
  EXPECT_EQ(none.finish(true), Verdict::Refused);
  EXPECT_EQ(none.status(), 400);
}

TEST(Http2Request, FramingFollowsContentLengthAndEndStream) {
  auto sized = build({{":method", "POST"}, {":scheme", "http"}, {":path", "/"},
                      {":authority", "a"}, {"content-length", "12"}});
  ASSERT_EQ(sized.finish(false), Verdict::Ok);
  EXPECT_EQ(sized.framing().kind, http::BodyFraming::Kind::ContentLength);
  EXPECT_EQ(sized.framing().length, 12u);

  auto unknown = build({{":method", "POST"}, {":scheme", "http"}, {":path", "/"},
                        {":authority", "a"}});
  ASSERT_EQ(unknown.finish(false), Verdict::Ok);
  EXPECT_EQ(unknown.framing().kind, http::BodyFraming::Kind::Chunked);

  // RFC 9113 §8.1.1: END_STREAM on HEADERS with a non-zero content-length is malformed.
  auto mismatch = build({{":method", "POST"}, {":scheme", "http"}, {":path", "/"},
                         {":authority", "a"}, {"content-length", "3"}});
  EXPECT_EQ(mismatch.finish(true), Verdict::Malformed);

  auto conflicting = build({{":method", "POST"}, {":scheme", "http"}, {":path", "/"},
                            {":authority", "a"}, {"content-length", "3"},
                            {"content-length", "4"}});
  EXPECT_EQ(conflicting.finish(false), Verdict::Malformed);
}

TEST(Http2Request, OversizedFieldBlockIsRefusedWith431WithoutStoringIt) {
  RequestBuilder builder(RequestLimits{.max_header_bytes = 1000, .max_header_count = 100});
  builder.add(":method", "GET");
  builder.add(":scheme", "http");
  builder.add(":path", "/");
  builder.add(":authority", "a");
  const std::string value(100, 'v');
  for (int i = 0; i < 10'000; ++i) {
    builder.add("x-a", value);
  }
  EXPECT_EQ(builder.finish(true), Verdict::Refused);
  EXPECT_EQ(builder.status(), 431);
  EXPECT_LT(builder.head().headers.size(), 10u);
}

TEST(Http2Request, TooManyFieldsIsRefusedWith431) {
  RequestBuilder builder(RequestLimits{.max_header_bytes = 1 << 20, .max_header_count = 10});
  for (int i = 0; i < 11; ++i) {
    builder.add("x", "1");
  }
  EXPECT_EQ(builder.finish(true), Verdict::Refused);
  EXPECT_EQ(builder.status(), 431);
}

TEST(Http2Response, FieldsAreLowerCaseWithoutConnectionSpecificOnes) {
  http::ResponseHead head;
  head.status = 201;
  head.headers.add("Content-Type", "text/plain");
  head.headers.add("Connection", "keep-alive");
  head.headers.add("Keep-Alive", "timeout=5");
  head.headers.add("Transfer-Encoding", "chunked");
  head.headers.add("Upgrade", "h2c");
  head.headers.add("Content-Length", "99");
  head.headers.add("Set-Cookie", "a=1");
  head.headers.add("Set-Cookie", "b=2");
  const auto fields = response_fields(head, 5);
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& field : fields) {
    got.emplace_back(field.name, field.value);
  }
  const std::vector<std::pair<std::string, std::string>> want = {
      {":status", "201"}, {"content-type", "text/plain"}, {"set-cookie", "a=1"},
      {"set-cookie", "b=2"}, {"content-length", "5"}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(response_fields(head, -1).back().name, "set-cookie");
}

TEST(Http2Trailers, RejectPseudoAndConnectionSpecificFields) {
  http::HeaderMap trailers;
  EXPECT_TRUE(add_trailer("grpc-status", "0", trailers));
  EXPECT_FALSE(add_trailer(":status", "200", trailers));
  EXPECT_FALSE(add_trailer("connection", "close", trailers));
  EXPECT_FALSE(add_trailer("Upper", "x", trailers));
  EXPECT_EQ(trailers.size(), 1u);
}

}  // namespace
}  // namespace river::http2
