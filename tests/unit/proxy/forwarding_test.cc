#include "proxy/forwarding.h"

#include <gtest/gtest.h>

#include "http1/serializer.h"
#include "http2/request.h"

namespace river::proxy {
namespace {

http::RequestHead request_with(std::initializer_list<std::pair<const char*, const char*>> fields,
                               std::string method = "GET") {
  http::RequestHead head;
  head.method = std::move(method);
  head.target = "/";
  for (const auto& [name, value] : fields) {
    head.headers.add(name, value);
  }
  return head;
}

ForwardingPolicy trusting(std::initializer_list<const char*> ranges) {
  ForwardingPolicy policy;
  for (const auto* range : ranges) {
    policy.trusted_proxies.push_back(*net::Cidr::parse(range));
  }
  return policy;
}

const ClientInfo kClient{"127.0.0.1", "http"};

TEST(Forwarding, RemovesHopByHopFieldsAndThoseConnectionNames) {
  // Case C11: the client's Connection options and what they nominate stay on its hop.
  auto request = request_with({{"Host", "example.test"},
                               {"Connection", "close, X-Foo, Keep-Alive"},
                               {"X-Foo", "1"},
                               {"Keep-Alive", "timeout=5"},
                               {"Proxy-Connection", "keep-alive"},
                               {"TE", "trailers"},
                               {"Upgrade", "foo/1"},
                               {"X-Bar", "2"}});
  const auto out = make_upstream_request(request, {}, kClient, {}).head;
  for (const auto* gone : {"Connection", "X-Foo", "Keep-Alive", "Proxy-Connection", "TE",
                           "Upgrade"}) {
    EXPECT_FALSE(out.headers.contains(gone)) << gone;
  }
  EXPECT_EQ(out.headers.get("Host"), "example.test");
  EXPECT_EQ(out.headers.get("X-Bar"), "2");
}

TEST(Forwarding, ConnectionCannotNominateFramingOrHost) {
  auto request = request_with({{"Host", "a"}, {"Connection", "Content-Length, Host"}}, "POST");
  const auto out =
      make_upstream_request(request, {http::BodyFraming::Kind::ContentLength, 5}, kClient, {});
  EXPECT_EQ(out.head.headers.get("Host"), "a");
  EXPECT_EQ(out.head.headers.get("Content-Length"), "5");
}

TEST(Forwarding, ReplacesForwardingFieldsFromUntrustedClient) {
  // Case C13 A: spoofed values are discarded, not appended to.
  auto request = request_with({{"Host", "example.test"},
                               {"X-Forwarded-For", "203.0.113.7"},
                               {"X-Real-IP", "203.0.113.7"},
                               {"X-Forwarded-Proto", "https"},
                               {"X-Forwarded-Host", "admin.example.test"},
                               {"Forwarded", "for=203.0.113.7;proto=https"}});
  const auto out = make_upstream_request(request, {}, kClient, {});
  EXPECT_EQ(out.head.headers.get("X-Forwarded-For"), "127.0.0.1");
  EXPECT_EQ(out.head.headers.get("X-Forwarded-Proto"), "http");
  EXPECT_EQ(out.head.headers.get("X-Forwarded-Host"), "example.test");
  EXPECT_FALSE(out.head.headers.contains("X-Real-IP"));
  EXPECT_FALSE(out.head.headers.contains("Forwarded"));
  EXPECT_EQ(out.client_identity, "127.0.0.1");
}

TEST(Forwarding, AppendsToChainFromTrustedProxyAndFindsRightmostUntrusted) {
  // Case C13 C: walk right to left, skipping trusted hops.
  auto request = request_with(
      {{"Host", "example.test"}, {"X-Forwarded-For", "192.0.2.66, 198.51.100.9"}});
  const auto out = make_upstream_request(request, {}, kClient, trusting({"127.0.0.1"}));
  EXPECT_EQ(out.head.headers.get("X-Forwarded-For"), "192.0.2.66, 198.51.100.9, 127.0.0.1");
  EXPECT_EQ(out.client_identity, "198.51.100.9");
}

TEST(Forwarding, SkipsTrustedHopsInsideTheChain) {
  auto request = request_with({{"Host", "h"}, {"X-Forwarded-For", "198.51.100.9, 10.0.0.2"}});
  const auto out =
      make_upstream_request(request, {}, kClient, trusting({"127.0.0.1", "10.0.0.0/8"}));
  EXPECT_EQ(out.client_identity, "198.51.100.9");
}

TEST(Forwarding, KeepsWebSocketUpgradeOnly) {
  auto websocket = request_with(
      {{"Host", "h"}, {"Connection", "Upgrade"}, {"Upgrade", "websocket"}});
  const auto ws = make_upstream_request(websocket, {}, kClient, {});
  EXPECT_TRUE(ws.is_websocket_upgrade);
  EXPECT_EQ(ws.head.headers.get("Upgrade"), "websocket");
  EXPECT_EQ(ws.head.headers.get("Connection"), "upgrade");

  // Case C25 D: an h2c upgrade is served as plain HTTP/1.1.
  auto h2c = request_with({{"Host", "h"},
                           {"Connection", "Upgrade, HTTP2-Settings"},
                           {"Upgrade", "h2c"},
                           {"HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"}});
  const auto plain = make_upstream_request(h2c, {}, kClient, {});
  EXPECT_FALSE(plain.is_websocket_upgrade);
  EXPECT_FALSE(plain.head.headers.contains("Upgrade"));
  EXPECT_FALSE(plain.head.headers.contains("HTTP2-Settings"));
  EXPECT_FALSE(plain.head.headers.contains("Connection"));
}

TEST(Forwarding, SetsFramingFromTheValidatedBody) {
  auto request = request_with({{"Host", "h"}, {"Transfer-Encoding", "chunked"}}, "POST");
  const auto chunked =
      make_upstream_request(request, {http::BodyFraming::Kind::Chunked, 0}, kClient, {}).head;
  EXPECT_EQ(chunked.headers.get("Transfer-Encoding"), "chunked");
  EXPECT_FALSE(chunked.headers.contains("Content-Length"));

  const auto empty_post = make_upstream_request(request_with({{"Host", "h"}}, "POST"), {},
                                                kClient, {}).head;
  EXPECT_EQ(empty_post.headers.get("Content-Length"), "0");
}

TEST(Forwarding, DropsExpectBecauseRiverAnswersIt) {
  auto request = request_with({{"Host", "h"}, {"Expect", "100-continue"}}, "POST");
  const auto out =
      make_upstream_request(request, {http::BodyFraming::Kind::ContentLength, 5}, kClient, {});
  EXPECT_FALSE(out.head.headers.contains("Expect"));
}

TEST(Forwarding, AddsViaToRequestsAndResponses) {
  const auto out = make_upstream_request(request_with({{"Host", "h"}, {"Via", "1.0 edge"}}), {},
                                         kClient, {});
  EXPECT_EQ(out.head.headers.get("Via"), "1.0 edge, 1.1 river");

  http::ResponseHead response;
  response.headers.add("Connection", "keep-alive, X-Resp");
  response.headers.add("X-Resp", "secret");
  response.headers.add("Keep-Alive", "timeout=99");
  clean_upstream_response(response, {});
  EXPECT_FALSE(response.headers.contains("X-Resp"));
  EXPECT_FALSE(response.headers.contains("Keep-Alive"));
  EXPECT_FALSE(response.headers.contains("Connection"));
  EXPECT_EQ(response.headers.get("Via"), "1.1 river");
}

TEST(Forwarding, AbsoluteFormAuthorityIsTheHostAndTheForwardedHost) {
  auto request = request_with({{"Host", "a.test"}});
  request.target = "http://b.test:8080/x?y";
  const auto out = make_upstream_request(request, {}, kClient, ForwardingPolicy{});
  EXPECT_EQ(out.head.headers.get("Host"), "b.test:8080");
  EXPECT_EQ(out.head.headers.count("Host"), 1u);
  EXPECT_EQ(out.head.headers.get("X-Forwarded-Host"), "b.test:8080");
}

TEST(Forwarding, StripsTrailerFieldsForbiddenInTrailers) {
  // RFC 9110 §6.5.1: framing, routing and hop-by-hop fields, and those River sets itself.
  http::HeaderMap trailers;
  for (const auto* name :
       {"Content-Length", "transfer-encoding", "Connection", "Keep-Alive", "TE", "Host",
        "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded", "Via",
        "Trailer", "Authorization", "Set-Cookie", "Content-Type", "Upgrade"}) {
    trailers.add(name, "1");
  }
  trailers.add("X-Checksum", "abc");
  strip_forbidden_trailers(trailers);
  ASSERT_EQ(trailers.size(), 1u);
  EXPECT_EQ(trailers.begin()->name, "X-Checksum");
}

TEST(Forwarding, StripsTrailerFieldsNominatedByATrailerConnection) {
  http::HeaderMap trailers;
  trailers.add("Connection", "X-Secret");
  trailers.add("X-Secret", "1");
  trailers.add("Server-Timing", "db;dur=53");
  strip_forbidden_trailers(trailers);
  ASSERT_EQ(trailers.size(), 1u);
  EXPECT_EQ(trailers.begin()->name, "Server-Timing");
}

TEST(Forwarding, AcceptsOnlyMatchingWebSocketSwitch) {
  http::ResponseHead ok;
  ok.status = 101;
  ok.headers.add("Upgrade", "websocket");
  ok.headers.add("Connection", "Upgrade");
  EXPECT_TRUE(is_valid_websocket_switch(ok));

  http::ResponseHead wrong_protocol = ok;
  wrong_protocol.headers.set("Upgrade", "h2c");
  EXPECT_FALSE(is_valid_websocket_switch(wrong_protocol));

  http::ResponseHead no_upgrade;
  no_upgrade.status = 101;
  EXPECT_FALSE(is_valid_websocket_switch(no_upgrade));
}

TEST(Forwarding, Http2RequestReachesHttp1UpstreamWithOneCookieLineAndVia2) {
  // C29: split cookie fields arrive joined; the HTTP/1 head carries exactly one Cookie line.
  http2::RequestBuilder builder({});
  for (const auto& [name, value] : std::initializer_list<std::pair<const char*, const char*>>{
           {":method", "POST"}, {":scheme", "https"}, {":authority", "a.test"},
           {":path", "/p"}, {"cookie", "a=1"}, {"cookie", "b=2"}, {"te", "trailers"}}) {
    builder.add(name, value);
  }
  ASSERT_EQ(builder.finish(false), http2::Verdict::Ok);
  const auto out =
      make_upstream_request(builder.head(), builder.framing(), {"10.0.0.1", "https"}, {}).head;
  std::string bytes;
  http1::write_request_head(out, bytes);
  EXPECT_EQ(bytes.find("POST /p HTTP/1.1\r\nhost: a.test\r\n"), 0u) << bytes;
  EXPECT_NE(bytes.find("\r\ncookie: a=1; b=2\r\n"), std::string::npos) << bytes;
  EXPECT_EQ(bytes.find("cookie:"), bytes.rfind("cookie:")) << bytes;
  EXPECT_NE(bytes.find("\r\nVia: 2 river\r\n"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos) << bytes;
  EXPECT_EQ(bytes.find("\r\nte:"), std::string::npos) << bytes;
}

}  // namespace
}  // namespace river::proxy
