// Translation towards HTTP/2 upstreams: request fields, response blocks.
#include <gtest/gtest.h>

#include "http2/request.h"

namespace river::http2 {
namespace {

std::vector<std::pair<std::string, std::string>> pairs(const std::vector<http::Header>& fields) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& field : fields) {
    out.emplace_back(field.name, field.value);
  }
  return out;
}

http::RequestHead request(std::string method, std::string target) {
  http::RequestHead head;
  head.method = std::move(method);
  head.target = std::move(target);
  head.headers.add("Host", "api.test:8443");
  return head;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(Http2UpstreamRequest, PseudoHeadersFirstAuthorityFromHost) {
  auto head = request("GET", "/a?b=1");
  head.headers.add("Accept", "*/*");
  const auto fields = upstream_request_fields(head, "https", -1, false);
  EXPECT_EQ(pairs(fields), (Pairs{{":method", "GET"},
                                  {":scheme", "https"},
                                  {":authority", "api.test:8443"},
                                  {":path", "/a?b=1"},
                                  {"accept", "*/*"}}));
}

TEST(Http2UpstreamRequest, DropsConnectionSpecificFieldsAndKeepsTeTrailersOnly) {
  auto head = request("POST", "/rpc");
  for (const auto* name : {"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding",
                           "Upgrade", "HTTP2-Settings"}) {
    head.headers.add(name, "x");
  }
  head.headers.add("TE", "gzip, trailers");
  head.headers.add("Content-Length", "999");
  head.headers.add("Content-Type", "application/grpc");
  const auto fields = upstream_request_fields(head, "http", 12, true);
  EXPECT_EQ(pairs(fields), (Pairs{{":method", "POST"},
                                  {":scheme", "http"},
                                  {":authority", "api.test:8443"},
                                  {":path", "/rpc"},
                                  {"content-type", "application/grpc"},
                                  {"te", "trailers"},
                                  {"content-length", "12"}}));
}

TEST(Http2UpstreamRequest, OmitsTeWithoutTrailersAndAuthorityWithoutHost) {
  http::RequestHead head;
  head.method = "OPTIONS";
  head.target = "*";
  head.headers.add("TE", "gzip");
  const auto fields = upstream_request_fields(head, "http", -1, false);
  EXPECT_EQ(pairs(fields), (Pairs{{":method", "OPTIONS"}, {":scheme", "http"}, {":path", "*"}}));
}

TEST(Http2UpstreamRequest, ConnectNamesOnlyTheAuthority) {
  auto head = request("CONNECT", "api.test:8443");
  const auto fields = upstream_request_fields(head, "https", -1, false);
  EXPECT_EQ(pairs(fields), (Pairs{{":method", "CONNECT"}, {":authority", "api.test:8443"}}));
}

ResponseBuilder response(std::initializer_list<std::pair<std::string_view, std::string_view>>
                             fields) {
  ResponseBuilder builder(RequestLimits{});
  for (const auto& [name, value] : fields) {
    builder.add(name, value);
  }
  return builder;
}

TEST(Http2UpstreamResponse, BuildsTheHeadWithStatusAndLength) {
  auto builder = response({{":status", "200"}, {"content-length", "5"}, {"grpc-encoding", "x"}});
  ASSERT_EQ(builder.finish(false), Verdict::Ok) << builder.reason();
  EXPECT_EQ(builder.head().status, 200);
  EXPECT_EQ(builder.content_length(), 5);
  EXPECT_EQ(builder.head().headers.get("grpc-encoding"), "x");
}

TEST(Http2UpstreamResponse, TrailersHaveNoStatus) {
  auto trailers = response({{"grpc-status", "0"}, {"grpc-message", ""}});
  ASSERT_EQ(trailers.finish(true), Verdict::Ok);
  EXPECT_EQ(trailers.head().headers.get("grpc-status"), "0");
  auto with_status = response({{":status", "200"}});
  EXPECT_EQ(with_status.finish(true), Verdict::Malformed);
}

TEST(Http2UpstreamResponse, RefusesMalformedBlocks) {
  for (auto fields : {std::vector<std::pair<std::string_view, std::string_view>>{
                          {"content-type", "x"}},                               // no :status
                      {{":status", "20"}},                                      // not 3 digits
                      {{":status", "200"}, {":path", "/"}},                     // request pseudo
                      {{"x", "1"}, {":status", "200"}},                         // pseudo after
                      {{":status", "200"}, {"connection", "close"}},            // §8.2.2
                      {{":status", "200"}, {"Upper", "1"}},                     // upper case
                      {{":status", "200"}, {"x", "a\r\nb"}},                    // CR LF
                      {{":status", "200"}, {"content-length", "1x"}},           // not a number
                      {{":status", "200"}, {"content-length", "1"},
                       {"content-length", "2"}}}) {                             // conflicting
    ResponseBuilder builder(RequestLimits{});
    for (const auto& [name, value] : fields) {
      builder.add(name, value);
    }
    EXPECT_EQ(builder.finish(false), Verdict::Malformed) << fields.front().first;
  }
}

TEST(Http2UpstreamResponse, ResetForgetsTheLastBlock) {
  auto builder = response({{":status", "103"}, {"link", "</a>"}});
  ASSERT_EQ(builder.finish(false), Verdict::Ok);
  builder.reset();
  builder.add(":status", "200");
  ASSERT_EQ(builder.finish(false), Verdict::Ok);
  EXPECT_EQ(builder.head().status, 200);
  EXPECT_FALSE(builder.head().headers.contains("link"));
}

TEST(Http2UpstreamResponse, BoundsTheBlock) {
  ResponseBuilder builder(RequestLimits{.max_header_bytes = 1024, .max_header_count = 10});
  builder.add(":status", "200");
  for (int i = 0; i < 20; ++i) {
    builder.add("x", "y");
  }
  EXPECT_EQ(builder.finish(false), Verdict::Malformed);
  EXPECT_EQ(builder.reason(), "response_header_too_large");
}

}  // namespace
}  // namespace river::http2
