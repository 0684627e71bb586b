// HTTP/2 towards upstream peers: connections shared by every worker, requests multiplexed
// on them as streams.
//
//   UpstreamH2Registry   one per service, shared by all workers: the live HTTP/2
//                        connections per peer key, and how many streams each carries
//                        (guarded by its mutex).
//   UpstreamH2Connection one connection: its socket, nghttp2 client session (an
//                        http2::ClientSession) and reader/writer coroutines run on the
//                        worker that opened it, its home.
//   UpstreamH2Stream     one request on a connection, used by the coroutine that proxies it
//                        on its own worker; the other half lives on the connection's home.
//
// A request takes a stream slot on a connection with room (fewer streams than the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS) before anyone opens a new connection; the first request
// to a peer opens one and registers it at once, so requests arriving meanwhile queue on it
// instead of opening their own.
//
// Threads: nothing of a connection is touched outside its home executor except the slot
// counts in the registry (under its mutex). Everything else crosses threads by
// `asio::post`: the requesting worker posts the stream, its body and window credit to the
// home; the home posts the response's events (head, data, trailers, end, reset) back,
// batched per read. Both directions are bounded: response bytes by the HTTP/2 windows
// (opened only as the client takes them), request bytes by `kBodyInFlight` per stream.
//
// Failures: a stream the peer did not process (refused, above the last-stream-id of a
// GOAWAY, or never sent) ends with `refused` set, so the proxy may send the request again
// on another connection. A connection that fails or receives GOAWAY takes no new streams;
// it closes once its streams are done. Idle connections close after the pool's idle
// timeout (`sweep`).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "http/message.h"
#include "http2/client_session.h"
#include "http2/request.h"
#include "net/address.h"
#include "net/asio.h"
#include "net/watchdog.h"
#include "tls/context.h"
#include "tls/stream.h"

namespace river::proxy {

class UpstreamH2Connection;
class UpstreamH2Registry;

/// What happened on an upstream stream, in order.
struct H2Event {
  enum class Kind {
    Interim,   ///< a 1xx head (`head`)
    Head,      ///< the final head (`head`, `content_length`, `end_stream`)
    Data,      ///< response body bytes (`data`); pass them on, then call consumed()
    Trailers,  ///< trailer fields (`head.headers`)
    End,       ///< the response is complete
    Closed,    ///< the stream ended before End: reset, or the connection failed (`error`)
  };
  Kind kind = Kind::End;
  http::ResponseHead head;
  std::int64_t content_length = -1;
  bool end_stream = false;
  std::string data;
  Error error;
  /// Closed: the peer never processed the request; it may be sent again.
  bool refused = false;
};

/// One request on an upstream HTTP/2 connection. Its public methods are called from the
/// requesting worker only (the one that called UpstreamH2Connection::start_stream).
/// Shared by that worker and the connection's home, each touching only its own half.
class UpstreamH2Stream : public std::enable_shared_from_this<UpstreamH2Stream> {
 public:
  UpstreamH2Stream(std::vector<http::Header> fields, bool has_body,
                   asio::any_io_executor requester);

  /// Waits for the next event, at most `timeout`; a ReadTimeout error after that.
  asio::awaitable<Result<H2Event>> next_event(std::chrono::milliseconds timeout);

  /// Gives back `bytes` of Data the client has taken: the peer may send as many more.
  void consumed(std::size_t bytes);

  /// Queues request body bytes; waits while more than kBodyInFlight bytes are not yet
  /// framed by the connection (at most `timeout`). Fails once the stream has ended.
  asio::awaitable<Result<void>> send_body(std::string_view data,
                                          std::chrono::milliseconds timeout);

  /// Ends the request body, with trailer fields (HTTP/2 form) if any.
  void end_body(std::vector<http::Header> trailers);

  /// Abandons the stream: resets it upstream (CANCEL) unless it already ended. Idempotent.
  void cancel();

  /// True once End or Closed was delivered.
  bool is_done() const { return done_; }

 private:
  friend class UpstreamH2Connection;

  /// Request body bytes sent to the home executor but not yet framed, at most.
  static constexpr std::size_t kBodyInFlight = 256 * 1024;

  // ---- requester side (its worker) ----
  void deliver(std::vector<H2Event> events, std::size_t body_sent);
  void wake();

  asio::any_io_executor requester_;
  std::shared_ptr<UpstreamH2Connection> connection_;
  std::deque<H2Event> events_;
  asio::steady_timer event_signal_;
  asio::steady_timer space_signal_;
  std::size_t body_in_flight_ = 0;
  bool done_ = false;
  bool cancelled_ = false;

  // ---- home side (the connection's worker) ----
  std::vector<http::Header> fields_;
  bool has_body_ = false;
  std::int32_t id_ = 0;
  std::string body_out_;
  std::size_t body_pos_ = 0;
  bool body_end_ = false;
  std::vector<http::Header> trailers_out_;
  http2::ResponseBuilder builder_{http2::RequestLimits{.max_header_bytes = 64 * 1024,
                                                       .max_header_count = 200}};
  bool final_head_seen_ = false;
  bool end_seen_ = false;
  bool closed_home_ = false;
  std::vector<H2Event> batch_;
  std::size_t sent_batch_ = 0;  // body bytes framed since the last flush
  bool dirty_ = false;          // batch_ or sent_batch_ waits for flush()
};

/// How to reach a peer over HTTP/2.
struct H2Target {
  net::SocketAddress address;
  /// Set for TLS (ALPN decides h2); null for cleartext with prior knowledge.
  std::shared_ptr<const tls::ClientContext> tls;
  std::string server_name;
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  /// A write making no progress for this long ends the connection.
  std::chrono::milliseconds write_timeout = std::chrono::seconds(60);
  /// With ALPN offering http/1.1 too ("h2-or-h1"): a peer choosing it fails the
  /// connection's streams as refused and is remembered as HTTP/1.
  bool h1_fallback = false;
};

/// One upstream HTTP/2 connection, see the file comment. Shared (std::shared_ptr) by the
/// registry, its coroutines and its streams.
class UpstreamH2Connection : public std::enable_shared_from_this<UpstreamH2Connection>,
                             private http2::ClientEvents {
 public:
  UpstreamH2Connection(asio::any_io_executor home, std::string key,
                       std::weak_ptr<UpstreamH2Registry> registry);
  ~UpstreamH2Connection() override;

  /// Connects to `target` and serves the connection until it ends; runs on the home
  /// executor (spawned by the registry).
  asio::awaitable<void> run(H2Target target);

  /// Serves an already connected stream (TLS with ALPN "h2" done) on the home executor.
  asio::awaitable<void> run_connected(tls::Stream stream, std::chrono::milliseconds write_timeout);

  /// Starts `stream` on this connection; call from the requester's worker after a slot was
  /// reserved for it (UpstreamH2Registry::reserve or open).
  void start_stream(std::shared_ptr<UpstreamH2Stream> stream);

  /// Closes the connection once its streams are done (GOAWAY); any thread.
  void close_when_idle();

  const std::string& key() const { return key_; }

 private:
  friend class UpstreamH2Stream;
  friend class UpstreamH2Registry;
  enum class State { Connecting, Ready, Closed };

  asio::awaitable<void> serve(tls::Stream stream, std::chrono::milliseconds write_timeout);
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  void submit(const std::shared_ptr<UpstreamH2Stream>& stream);
  void fail_stream(const std::shared_ptr<UpstreamH2Stream>& stream, Error error, bool refused);
  void close(Error error);
  void kick_writer();
  void flush();
  void mark(const std::shared_ptr<UpstreamH2Stream>& stream);
  void release_slot();
  std::shared_ptr<UpstreamH2Stream> find(std::int32_t stream_id);
  // Requester → home.
  void on_body(const std::shared_ptr<UpstreamH2Stream>& stream, std::string data);
  void on_end_body(const std::shared_ptr<UpstreamH2Stream>& stream,
                   std::vector<http::Header> trailers);
  void on_consumed(const std::shared_ptr<UpstreamH2Stream>& stream, std::size_t bytes);
  void on_cancel(const std::shared_ptr<UpstreamH2Stream>& stream);

  // http2::ClientEvents
  void on_field(std::int32_t stream_id, std::string_view name, std::string_view value) override;
  void on_block(std::int32_t stream_id, http2::BlockKind kind) override;
  void on_data(std::int32_t stream_id, std::string_view data) override;
  void on_end_stream(std::int32_t stream_id) override;
  void on_stream_close(std::int32_t stream_id, http2::ErrorCode error) override;
  void on_goaway(std::int32_t last_stream_id, http2::ErrorCode error) override;
  void on_settings(std::uint32_t max_concurrent_streams) override;
  http2::BodyChunk read_body(std::int32_t stream_id, std::span<std::uint8_t> out) override;

  asio::any_io_executor home_;
  const std::string key_;
  std::weak_ptr<UpstreamH2Registry> registry_;

  // Home executor only.
  State state_ = State::Connecting;
  std::optional<tls::Stream> stream_;
  std::unique_ptr<http2::ClientSession> h2_;
  std::vector<std::shared_ptr<UpstreamH2Stream>> pending_;  // started while connecting
  std::unordered_map<std::int32_t, std::shared_ptr<UpstreamH2Stream>> streams_;
  std::vector<std::shared_ptr<UpstreamH2Stream>> dirty_streams_;
  asio::steady_timer write_wakeup_;
  std::string out_;
  std::shared_ptr<net::Watchdog> write_watchdog_;
  std::chrono::milliseconds write_timeout_ = std::chrono::seconds(60);
  bool going_away_ = false;
  bool close_when_idle_ = false;
  bool reader_done_ = false;
  bool settings_seen_ = false;  // the peer's first SETTINGS arrived

  // Guarded by the registry's mutex.
  std::size_t slots_used_ = 0;
  std::uint32_t max_streams_ = 100;
  bool accepting_ = true;
  net::Clock::time_point idle_since_;
};

/// The live upstream HTTP/2 connections of one service, by peer key; any thread.
class UpstreamH2Registry : public std::enable_shared_from_this<UpstreamH2Registry> {
 public:
  explicit UpstreamH2Registry(std::chrono::milliseconds idle_timeout)
      : idle_timeout_(idle_timeout) {}

  /// Takes a stream slot on a live connection to `key` with room, or returns null.
  std::shared_ptr<UpstreamH2Connection> reserve(const std::string& key);

  /// Opens a connection to `target` on the calling worker (`home`), registered at once
  /// with one slot taken for the caller.
  std::shared_ptr<UpstreamH2Connection> open(const std::string& key, H2Target target,
                                             asio::any_io_executor home);

  /// Registers a connection already made (ALPN chose h2) with one slot taken, and serves it
  /// on the calling worker.
  std::shared_ptr<UpstreamH2Connection> adopt(const std::string& key, tls::Stream stream,
                                              asio::any_io_executor home,
                                              std::chrono::milliseconds write_timeout);

  /// With h2-or-h1: whether `key`'s peer chose HTTP/2 last time (unknown counts as no).
  bool is_known_h2(const std::string& key) const;
  void remember_protocol(const std::string& key, bool h2);

  /// Closes connections without streams idle for longer than the idle timeout.
  void sweep();

  /// Live connections and their streams now, for tests and logs.
  std::size_t connection_count() const;

 private:
  friend class UpstreamH2Connection;

  std::shared_ptr<UpstreamH2Connection> add(const std::string& key,
                                            asio::any_io_executor home);
  void release(UpstreamH2Connection& connection);
  void set_max_streams(UpstreamH2Connection& connection, std::uint32_t max_streams);
  void stop_accepting(UpstreamH2Connection& connection);
  void remove(UpstreamH2Connection& connection);

  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mutex_;
  // guarded by mutex_
  std::unordered_map<std::string, std::vector<std::shared_ptr<UpstreamH2Connection>>> live_;
  std::unordered_set<std::string> h2_peers_;  // guarded by mutex_
};

}  // namespace river::proxy
