// Http1Session: one client connection speaking HTTP/1.0 or HTTP/1.1.
//
// The session reads requests one after another (keep-alive, pipelining in order), refuses
// malformed ones with the right 4xx and closes, and hands each valid request to the
// service's Handler as an Exchange. It owns the client socket and its read buffer, chooses
// the client-side framing of each response, enforces the client-side timeouts (total time
// for a request head, body idle, keep-alive idle, write idle) with one Watchdog, and writes
// one access-log line per request.
//
// A session lives on one worker for its whole life; it is kept alive by its own coroutine.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http1/chunked.h"
#include "http1/parser.h"
#include "net/asio.h"
#include "net/buffer.h"
#include "net/watchdog.h"
#include "observe/log.h"
#include "proxy/exchange.h"
#include "proxy/http2_options.h"
#include "tls/stream.h"

namespace river::proxy {

struct SessionOptions {
  std::string service;
  http1::ParseLimits limits;
  /// 0 means unlimited.
  std::uint64_t max_request_body_bytes = 0;
  /// Bytes per second a client must average while River waits for its request body, once
  /// it has waited longer than the body idle timeout. 0 disables.
  std::uint64_t min_request_body_rate = 1024;
  std::chrono::milliseconds request_header_timeout = std::chrono::seconds(30);
  std::chrono::milliseconds request_body_idle_timeout = std::chrono::seconds(30);
  std::chrono::milliseconds keepalive_timeout = std::chrono::seconds(60);
  std::chrono::milliseconds write_idle_timeout = std::chrono::seconds(60);
  std::shared_ptr<observe::AccessLog> access_log;
  /// Settings of HTTP/2 connections (Http2Session); the timeouts above apply to them too.
  Http2Options http2;
};

class Http1Session final : public Exchange, public std::enable_shared_from_this<Http1Session> {
 public:
  /// Starts serving `stream` (plain, or TLS after its handshake), whose client is at
  /// `client_ip`, on the stream's executor. `already_read` holds bytes the caller read from
  /// the stream before handing it over.
  static void start(tls::Stream stream, std::string client_ip,
                    std::shared_ptr<const SessionOptions> options,
                    std::shared_ptr<Handler> handler, std::string_view already_read = {});

  Http1Session(tls::Stream stream, std::string client_ip,
               std::shared_ptr<const SessionOptions> options, std::shared_ptr<Handler> handler);
  ~Http1Session() override;

  /// Asks every session on the calling worker to finish its current request and close;
  /// idle ones close at once. Call on each worker when shutting down.
  static void drain_sessions_on_this_worker();

  /// Client connections open now, across all workers.
  static std::size_t open_sessions();

  // Exchange
  const http::RequestHead& request() const override { return request_.head; }
  const http::BodyFraming& request_framing() const override { return request_.framing; }
  std::string_view client_ip() const override { return client_ip_; }
  std::string_view scheme() const override { return stream_.is_tls() ? "https" : "http"; }
  asio::awaitable<Result<std::string_view>> read_body() override;
  bool body_complete() const override { return body_remaining_ == 0 && !chunked_; }
  const http::HeaderMap& request_trailers() const override { return request_trailers_; }
  asio::awaitable<Result<void>> send_interim(const http::ResponseHead& head) override;
  asio::awaitable<Result<void>> send_head(http::ResponseHead head,
                                          http::BodyFraming framing) override;
  asio::awaitable<Result<void>> send_body(std::string_view data) override;
  asio::awaitable<Result<void>> finish(const http::HeaderMap& trailers) override;
  asio::awaitable<void> tunnel(tls::Stream upstream, std::string upstream_early) override;
  bool head_sent() const override { return response_.head_sent; }
  net::Watchdog& upstream_watchdog() override;
  void note_upstream(std::string_view peer, bool reused,
                     std::chrono::microseconds time_to_head) override;
  void note_reason(std::string_view reason) override { response_.reason = reason; }

 private:
  /// Parked: the client stayed quiet long enough for the connection to be parked.
  enum class ReadOutcome { Request, Closed, Refused, Parked };

  /// How the client side of the current response is framed.
  enum class ResponseFraming { None, ContentLength, Chunked, UntilClose };

  struct ResponseState {
    bool head_sent = false;
    bool finished = false;
    int status = 0;
    ResponseFraming framing = ResponseFraming::None;
    std::uint64_t bytes_out = 0;
    std::uint64_t expected_bytes = 0;  // with ContentLength framing
    std::string upstream;
    bool upstream_reused = false;
    double upstream_ms = -1;
    std::string reason;
  };

  asio::awaitable<void> run();
  asio::awaitable<ReadOutcome> read_request(bool first);
  asio::awaitable<void> serve_request();
  /// Hands the quiet connection to this worker's IdleClients; the session ends after it.
  void park();
  /// Makes sure this worker's sweeper runs; it parks sessions quiet for long enough.
  static void watch_for_parking(const asio::any_io_executor& executor);
  static void sweep_for_parking();
  asio::awaitable<bool> finish_exchange();
  asio::awaitable<Result<std::size_t>> read_more(std::chrono::milliseconds timeout);
  asio::awaitable<Result<void>> write_out(std::string_view extra = {},
                                          std::string_view tail = {});
  /// Answers `status` with a short text body and closes afterwards; the reason for the
  /// access log is recorded by the caller with note_reason().
  asio::awaitable<void> send_error(int status);
  asio::awaitable<void> linger_and_close();
  asio::awaitable<Result<std::string_view>> read_chunked_body();
  /// Decodes the chunked body bytes in in_ without reading: returns the data found, at most
  /// about kGatherBodyBytes of it (a view into in_ or gathered_body_, valid until the next
  /// read), or an empty view when in_ holds no data. Ends the body (chunked_ false) when
  /// the last chunk and trailers are read.
  Result<std::string_view> decode_buffered_chunks();
  asio::awaitable<Result<void>> read_more_body();
  void write_access_log();
  bool client_is_http10() const { return request_.head.version == http::Version::Http10; }
  void close_socket();

  tls::Stream stream_;
  std::shared_ptr<const SessionOptions> options_;
  std::shared_ptr<Handler> handler_;
  std::shared_ptr<net::Watchdog> watchdog_;
  std::shared_ptr<net::Watchdog> upstream_watchdog_;  // created on first use
  std::string client_ip_;

  net::Buffer in_;
  std::string out_;

  http1::RequestParse request_;
  std::uint64_t body_remaining_ = 0;   // Content-Length bytes still to read
  std::uint64_t body_received_ = 0;
  net::Clock::duration body_wait_{};   // time spent waiting for request body bytes
  bool chunked_ = false;               // chunked body not yet complete
  std::optional<http1::ChunkedDecoder> chunk_decoder_;
  std::string gathered_body_;          // runs of chunk data joined for one read_body()
  http::HeaderMap request_trailers_;
  bool continue_pending_ = false;      // client sent Expect: 100-continue, not yet answered
  bool keep_alive_ = true;
  bool draining_ = false;
  bool idle_ = false;                  // waiting for the first byte of a request
  bool waiting_idle_ = false;          // between requests, in the wait that parking ends
  bool park_requested_ = false;
  net::Clock::time_point idle_since_;
  bool tunnelled_ = false;
  ResponseState response_;
  int client_error_status_ = 0;        // what to answer when the client broke the request
  net::Clock::time_point request_start_;
};

}  // namespace river::proxy
