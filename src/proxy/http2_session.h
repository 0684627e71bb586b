// Http2Session: one client connection speaking HTTP/2 (RFC 9113), over TLS (ALPN "h2") or
// in cleartext with prior knowledge.
//
// The session owns the connection's tls::Stream and an http2::ServerSession (nghttp2) and
// runs three coroutines: a reader feeding the client's bytes to nghttp2, a writer draining
// nghttp2's output to the socket, and a supervisor enforcing the connection's deadlines
// (header timeout for slow field blocks, idle timeout without streams). Each request
// stream becomes an Exchange served by its own coroutine running handler->handle(), so the
// proxy handler serves HTTP/2 clients unchanged.
//
// Request bodies are backpressured by flow control: a stream's window opens only as its
// handler reads. Response bodies are buffered per stream up to
// Http2Options::stream_send_buffer. Resets both ways and control frames are held to token
// buckets (Rapid Reset, MadeYouReset, floods); past them the connection gets
// GOAWAY(ENHANCE_YOUR_CALM) and closes.
//
// A session lives on one worker for its whole life; its coroutines keep it alive.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "http2/session.h"
#include "net/asio.h"
#include "net/watchdog.h"
#include "proxy/exchange.h"
#include "proxy/http1_session.h"
#include "tls/stream.h"

namespace river::proxy {

class Http2Session final : public std::enable_shared_from_this<Http2Session>,
                           private http2::ServerEvents {
 public:
  /// Starts serving `stream` (TLS handshake done, if any) on its executor. `already_read`
  /// holds bytes the caller read before deciding this is HTTP/2 (the connection preface of
  /// a cleartext client); it may be empty.
  static void start(tls::Stream stream, std::string client_ip, std::string already_read,
                    std::shared_ptr<const SessionOptions> options,
                    std::shared_ptr<Handler> handler);

  /// HTTP/2 client connections open now, across all workers.
  static std::size_t open_sessions();

  /// Sends GOAWAY on every HTTP/2 connection of the calling worker: streams in flight
  /// finish, no new ones start, and each connection closes once it has none left.
  static void drain_sessions_on_this_worker();

  Http2Session(tls::Stream stream, std::string client_ip,
               std::shared_ptr<const SessionOptions> options, std::shared_ptr<Handler> handler);
  ~Http2Session() override;

 private:
  class Stream;
  friend class Stream;

  /// A token bucket: `burst` tokens, refilled at `rate` per second.
  struct Budget {
    double tokens = 0;
    double burst = 0;
    double rate = 0;
    net::Clock::time_point refilled;
    bool take(net::Clock::time_point now);
  };

  asio::awaitable<void> run(std::string already_read);
  asio::awaitable<void> read_loop(std::string already_read);
  asio::awaitable<void> write_loop();
  asio::awaitable<void> supervise();
  asio::awaitable<void> serve(std::shared_ptr<Stream> stream);
  asio::awaitable<void> answer_status(Stream& stream, int status);
  /// Feeds bytes to nghttp2; false when reading should stop.
  bool process(std::string_view bytes);
  void kick_writer();
  void rearm_supervisor();
  net::Clock::time_point next_deadline() const;
  void close_connection();
  /// GOAWAY(ENHANCE_YOUR_CALM) and close: the client exceeded a budget.
  void calm_down(std::string_view reason);
  void count_reset();
  void count_control_frame();
  void write_access_log(const Stream& stream);
  Stream* find(std::int32_t stream_id);

  // http2::ServerEvents
  void on_request_begin(std::int32_t stream_id) override;
  void on_field(std::int32_t stream_id, std::string_view name, std::string_view value,
                bool trailer) override;
  void on_request_head(std::int32_t stream_id, bool end_stream) override;
  void on_data(std::int32_t stream_id, std::string_view data) override;
  void on_request_end(std::int32_t stream_id) override;
  void on_stream_close(std::int32_t stream_id, http2::ErrorCode error) override;
  void on_frame_received(const http2::FrameInfo& frame) override;
  void on_frame_sent(const http2::FrameInfo& frame) override;
  http2::BodyChunk read_body(std::int32_t stream_id, std::span<std::uint8_t> out) override;

  tls::Stream stream_;
  std::string client_ip_;
  std::shared_ptr<const SessionOptions> options_;
  std::shared_ptr<Handler> handler_;
  std::unique_ptr<http2::ServerSession> h2_;
  std::unordered_map<std::int32_t, std::shared_ptr<Stream>> streams_;
  std::shared_ptr<net::Watchdog> write_watchdog_;
  asio::steady_timer write_wakeup_;
  asio::steady_timer supervisor_timer_;
  std::string out_;

  Budget resets_;
  Budget control_frames_;
  std::uint64_t data_frames_sent_ = 0;
  std::uint64_t window_updates_ = 0;

  bool closed_ = false;
  bool reader_done_ = false;     // the client closed its side, or reading failed
  bool read_failed_ = false;
  bool terminated_ = false;      // a GOAWAY ending the connection is queued
  bool draining_ = false;
  bool any_request_ = false;
  bool header_block_open_ = false;
  net::Clock::time_point header_deadline_;
  net::Clock::time_point idle_since_;
};

}  // namespace river::proxy
