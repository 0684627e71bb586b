// ClientSession against River's own ServerSession, bytes passed in memory.
#include "http2/client_session.h"

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http2/session.h"

namespace river::http2 {
namespace {

struct ClientLog final : ClientEvents {
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<BlockKind> blocks;
  std::string data;
  bool ended = false;
  std::map<std::int32_t, ErrorCode> closed;
  std::int32_t goaway_last = -1;
  std::uint32_t max_streams = 0;
  std::string body = "request body";
  std::size_t body_pos = 0;
  ClientSession* session = nullptr;
  std::vector<http::Header> trailers;

  void on_field(std::int32_t, std::string_view name, std::string_view value) override {
    fields.emplace_back(name, value);
  }
  void on_block(std::int32_t, BlockKind kind) override { blocks.push_back(kind); }
  void on_data(std::int32_t, std::string_view piece) override { data.append(piece); }
  void on_end_stream(std::int32_t) override { ended = true; }
  void on_stream_close(std::int32_t id, ErrorCode error) override { closed[id] = error; }
  void on_goaway(std::int32_t last, ErrorCode) override { goaway_last = last; }
  void on_settings(std::uint32_t max) override { max_streams = max; }
  BodyChunk read_body(std::int32_t id, std::span<std::uint8_t> out) override {
    const auto take = std::min(out.size(), body.size() - body_pos);
    std::memcpy(out.data(), body.data() + body_pos, take);
    body_pos += take;
    if (body_pos < body.size()) {
      return {take, BodyChunk::State::More};
    }
    if (!trailers.empty() && session->submit_trailers(id, trailers)) {
      return {take, BodyChunk::State::EndBeforeTrailers};
    }
    return {take, BodyChunk::State::End};
  }
};

struct ServerLog final : ServerEvents {
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::pair<std::string, std::string>> trailers;
  std::string data;
  std::vector<std::int32_t> heads;
  bool request_ended = false;
  std::string response_body;
  std::size_t response_pos = 0;

  void on_request_begin(std::int32_t) override {}
  void on_field(std::int32_t, std::string_view name, std::string_view value,
                bool trailer) override {
    (trailer ? trailers : fields).emplace_back(name, value);
  }
  void on_request_head(std::int32_t id, bool) override { heads.push_back(id); }
  void on_data(std::int32_t, std::string_view piece) override { data.append(piece); }
  void on_request_end(std::int32_t) override { request_ended = true; }
  void on_stream_close(std::int32_t, ErrorCode) override {}
  void on_frame_received(const FrameInfo&) override {}
  void on_frame_sent(const FrameInfo&) override {}
  BodyChunk read_body(std::int32_t, std::span<std::uint8_t> out) override {
    const auto take = std::min(out.size(), response_body.size() - response_pos);
    std::memcpy(out.data(), response_body.data() + response_pos, take);
    response_pos += take;
    return {take, response_pos < response_body.size() ? BodyChunk::State::More
                                                       : BodyChunk::State::End};
  }
};

/// Moves bytes both ways until neither side has anything to say.
void pump(ClientSession& client, ServerSession& server) {
  for (int round = 0; round < 100; ++round) {
    bool moved = false;
    for (auto out = client.next_output(); !out.empty(); out = client.next_output()) {
      ASSERT_TRUE(server.receive(out));
      moved = true;
    }
    for (auto out = server.next_output(); !out.empty(); out = server.next_output()) {
      ASSERT_TRUE(client.receive(out));
      moved = true;
    }
    if (!moved) {
      return;
    }
  }
}

std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                  const std::string& payload) {
  std::string out;
  const auto length = payload.size();
  out += static_cast<char>((length >> 16) & 0xff);
  out += static_cast<char>((length >> 8) & 0xff);
  out += static_cast<char>(length & 0xff);
  out += static_cast<char>(type);
  out += static_cast<char>(flags);
  for (int shift : {24, 16, 8, 0}) {
    out += static_cast<char>((stream >> shift) & 0xff);
  }
  return out + payload;
}

std::string u32(std::uint32_t value) {
  std::string out;
  for (int shift : {24, 16, 8, 0}) {
    out += static_cast<char>((value >> shift) & 0xff);
  }
  return out;
}

const std::vector<http::Header> kPost = {{":method", "POST"},
                                         {":scheme", "http"},
                                         {":authority", "a.test"},
                                         {":path", "/rpc"},
                                         {"te", "trailers"}};

TEST(Http2ClientSession, RequestWithBodyAndTrailersThenResponseWithTrailers) {
  ClientLog client_log;
  ServerLog server_log;
  auto client = ClientSession::create(ClientSettings{}, client_log);
  auto server = ServerSession::create(ServerSettings{.max_concurrent_streams = 7}, server_log);
  ASSERT_TRUE(client && server);
  client_log.session = client->get();
  client_log.trailers = {{"checksum", "abc"}};

  auto id = (*client)->submit_request(kPost, true);
  ASSERT_TRUE(id);
  pump(**client, **server);

  EXPECT_EQ(client_log.max_streams, 7u);
  EXPECT_EQ((*client)->peer_max_concurrent_streams(), 7u);
  ASSERT_EQ(server_log.heads, std::vector<std::int32_t>{*id});
  EXPECT_EQ(server_log.fields.front(), (std::pair<std::string, std::string>{":method", "POST"}));
  EXPECT_EQ(server_log.data, "request body");
  EXPECT_EQ(server_log.trailers,
            (std::vector<std::pair<std::string, std::string>>{{"checksum", "abc"}}));
  EXPECT_TRUE(server_log.request_ended);

  // The response: a 103, the head, a body, trailers.
  const std::vector<http::Header> early = {{":status", "103"}, {"link", "</s>"}};
  ASSERT_TRUE((*server)->submit_interim(*id, early));
  const std::vector<http::Header> head = {{":status", "200"}, {"content-type", "x"}};
  server_log.response_body = "response";
  ASSERT_TRUE((*server)->submit_response(*id, head, true));
  pump(**client, **server);
  EXPECT_EQ(client_log.data, "response");
  EXPECT_EQ(client_log.blocks, (std::vector<BlockKind>{BlockKind::Interim, BlockKind::Head}));
  EXPECT_TRUE(client_log.ended);
  ASSERT_TRUE(client_log.closed.contains(*id));
  EXPECT_EQ(client_log.closed[*id], ErrorCode::NoError);
}

TEST(Http2ClientSession, ResponseBodyWaitsForConsume) {
  ClientLog client_log;
  ServerLog server_log;
  auto client = ClientSession::create(
      ClientSettings{.initial_stream_window = 16 * 1024, .connection_window = 1024 * 1024},
      client_log);
  auto server = ServerSession::create(ServerSettings{}, server_log);
  ASSERT_TRUE(client && server);
  auto id = (*client)->submit_request(
      std::vector<http::Header>{
          {":method", "GET"}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"}},
      false);
  ASSERT_TRUE(id);
  pump(**client, **server);
  server_log.response_body = std::string(100 * 1024, 'x');
  ASSERT_TRUE((*server)->submit_response(*id, std::vector<http::Header>{{":status", "200"}}, true));
  pump(**client, **server);
  // Backpressure: nothing beyond the stream window arrives until the client takes some.
  EXPECT_EQ(client_log.data.size(), 16u * 1024);
  for (int i = 0; i < 20 && !client_log.ended; ++i) {
    (*client)->consume(*id, client_log.data.size());
    client_log.data.clear();
    pump(**client, **server);
  }
  EXPECT_TRUE(client_log.ended);
}

TEST(Http2ClientSession, GoawayRefusesStreamsAboveTheLastOne) {
  ClientLog client_log;
  auto client = ClientSession::create(ClientSettings{}, client_log);
  ASSERT_TRUE(client);
  const std::vector<http::Header> get = {
      {":method", "GET"}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"}};
  auto first = (*client)->submit_request(get, false);
  auto second = (*client)->submit_request(get, false);
  ASSERT_TRUE(first && second);
  while (!(*client)->next_output().empty()) {
  }
  // The server's preface, then GOAWAY naming the first stream as the last it processes.
  ASSERT_TRUE((*client)->receive(frame(0x4, 0, 0, "") +
                                 frame(0x7, 0, 0, u32(static_cast<std::uint32_t>(*first)) +
                                                      u32(0))));
  EXPECT_EQ(client_log.goaway_last, *first);
  ASSERT_TRUE(client_log.closed.contains(*second));
  EXPECT_EQ(client_log.closed[*second], ErrorCode::RefusedStream);
  EXPECT_FALSE(client_log.closed.contains(*first));
  // A request submitted after the GOAWAY never leaves: it is reported refused when the
  // session tries to send it.
  auto third = (*client)->submit_request(get, false);
  if (third) {
    while (!(*client)->next_output().empty()) {
    }
    ASSERT_TRUE(client_log.closed.contains(*third));
    EXPECT_EQ(client_log.closed[*third], ErrorCode::RefusedStream);
  }
}

TEST(Http2ClientSession, ResetStreamIsReported) {
  ClientLog client_log;
  auto client = ClientSession::create(ClientSettings{}, client_log);
  ASSERT_TRUE(client);
  auto id = (*client)->submit_request(
      std::vector<http::Header>{
          {":method", "GET"}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"}},
      false);
  ASSERT_TRUE(id);
  while (!(*client)->next_output().empty()) {
  }
  ASSERT_TRUE((*client)->receive(frame(0x4, 0, 0, "") +
                                 frame(0x3, 0, static_cast<std::uint32_t>(*id), u32(0x7))));
  EXPECT_EQ(client_log.closed[*id], ErrorCode::RefusedStream);
}

}  // namespace
}  // namespace river::http2
