// ServerSession: the server side of one HTTP/2 connection, on nghttp2.
//
// This is the only place River touches nghttp2 (nothing else includes nghttp2.h). The
// session is sans-I/O: the connection feeds it the bytes it read (`receive`), takes the
// bytes to write (`next_output`), and learns what happened through a `ServerEvents`
// interface whose methods the session calls from inside `receive` and `next_output`.
// Responses are submitted with `submit_response` and their bodies pulled back through
// `ServerEvents::read_body` when flow control allows.
//
// Flow control is manual: the windows of the connection and of each stream open only as
// the application calls `consume`, so a handler that reads a request body slowly holds the
// client back (backpressure) and buffered request bytes stay bounded by the windows.
//
// nghttp2's own protections stay on and are tuned from `ServerSettings`: HTTP messaging
// checks (RFC 9113 §8), a cap on CONTINUATION frames per field block, on SETTINGS entries,
// on queued SETTINGS/PING acknowledgements, and a rate limit on incoming RST_STREAM.
//
// Not thread-safe; lives on its connection's executor. Callbacks must not destroy the
// session.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "base/result.h"
#include "http/header_map.h"

struct nghttp2_session;

namespace river::http2 {

/// HTTP/2 error codes (RFC 9113 §7).
enum class ErrorCode : std::uint32_t {
  NoError = 0x0,
  ProtocolError = 0x1,
  InternalError = 0x2,
  FlowControlError = 0x3,
  SettingsTimeout = 0x4,
  StreamClosed = 0x5,
  FrameSizeError = 0x6,
  RefusedStream = 0x7,
  Cancel = 0x8,
  CompressionError = 0x9,
  ConnectError = 0xa,
  EnhanceYourCalm = 0xb,
  InadequateSecurity = 0xc,
  Http11Required = 0xd,
};

/// Frame types (RFC 9113 §6).
enum class FrameType : std::uint8_t {
  Data = 0x0,
  Headers = 0x1,
  Priority = 0x2,
  RstStream = 0x3,
  Settings = 0x4,
  PushPromise = 0x5,
  Ping = 0x6,
  Goaway = 0x7,
  WindowUpdate = 0x8,
  Continuation = 0x9,
};

/// A frame received or sent, as the flood and reset accounting sees it.
struct FrameInfo {
  FrameType type = FrameType::Data;
  std::int32_t stream_id = 0;
  std::size_t length = 0;
  bool end_stream = false;
  bool ack = false;
  /// RST_STREAM and GOAWAY: the error code carried.
  ErrorCode error = ErrorCode::NoError;
  /// WINDOW_UPDATE: the increment.
  std::int32_t window_increment = 0;
};

/// Tuning of a server session; the defaults are River's.
struct ServerSettings {
  /// SETTINGS_MAX_CONCURRENT_STREAMS: streams beyond it are refused (REFUSED_STREAM).
  std::uint32_t max_concurrent_streams = 100;
  /// SETTINGS_INITIAL_WINDOW_SIZE: request body bytes a client may send on one stream
  /// before the handler has read any.
  std::uint32_t initial_stream_window = 64 * 1024;
  /// Connection window: request body bytes buffered across all streams at most.
  std::uint32_t connection_window = 1024 * 1024;
  /// SETTINGS_MAX_HEADER_LIST_SIZE advertised to the client.
  std::uint32_t max_header_list_bytes = 64 * 1024;
  /// CONTINUATION frames allowed after one HEADERS frame; past it the connection is closed.
  std::size_t max_continuations = 8;
  /// Queued SETTINGS and PING acknowledgements; past it the client is not reading and the
  /// connection is closed.
  std::size_t max_outbound_ack = 1000;
  /// Entries allowed in one SETTINGS frame.
  std::size_t max_settings_entries = 32;
  /// nghttp2's own token bucket on incoming RST_STREAM (River keeps a stricter one that
  /// also counts resets it sends).
  std::uint64_t reset_burst = 1000;
  std::uint64_t reset_rate = 33;
};

/// What the application decided about a piece of response body.
struct BodyChunk {
  enum class State {
    More,      ///< `length` bytes were copied; more may follow
    Deferred,  ///< nothing to send now; call resume_body() when there is
    End,       ///< `length` bytes were copied and the body (and stream) ends
    EndBeforeTrailers,  ///< the body ends; submit_trailers() was called for the stream
  };
  std::size_t length = 0;
  State state = State::Deferred;
};

/// What a server session reports. Called from inside receive() and next_output().
class ServerEvents {
 public:
  virtual ~ServerEvents() = default;

  /// A request field block begins on a new stream.
  virtual void on_request_begin(std::int32_t stream_id) = 0;
  /// One decoded field of a request (`trailer` false) or trailer block (`trailer` true).
  /// The views are valid during the call only.
  virtual void on_field(std::int32_t stream_id, std::string_view name, std::string_view value,
                        bool trailer) = 0;
  /// The request field block is complete; `end_stream` when no body follows.
  virtual void on_request_head(std::int32_t stream_id, bool end_stream) = 0;
  /// A piece of request body. Its bytes count against the windows until consume().
  virtual void on_data(std::int32_t stream_id, std::string_view data) = 0;
  /// The client finished the request (END_STREAM on DATA or on a trailer block).
  virtual void on_request_end(std::int32_t stream_id) = 0;
  /// The stream is closed, normally (NoError) or by a reset either way.
  virtual void on_stream_close(std::int32_t stream_id, ErrorCode error) = 0;
  /// Every complete frame received, for flood accounting.
  virtual void on_frame_received(const FrameInfo& frame) = 0;
  /// Every frame written out, for reset accounting.
  virtual void on_frame_sent(const FrameInfo& frame) = 0;
  /// Copies up to `out.size()` bytes of response body of `stream_id` into `out`.
  virtual BodyChunk read_body(std::int32_t stream_id, std::span<std::uint8_t> out) = 0;
};

class ServerSession {
 public:
  /// Creates a session that reports to `events` (borrowed; must outlive the session) and
  /// queues River's SETTINGS frame. Fails only when nghttp2 cannot allocate.
  static Result<std::unique_ptr<ServerSession>> create(const ServerSettings& settings,
                                                       ServerEvents& events);

  /// Only create() can make one: the key's constructor is private to this class.
  class ConstructionKey {
    friend class ServerSession;
    ConstructionKey() = default;
  };
  explicit ServerSession(ConstructionKey) {}
  ~ServerSession();
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  /// Processes bytes from the client, starting with the connection preface. An error means
  /// the connection cannot go on (bad preface, a connection error, a flood); whatever
  /// GOAWAY nghttp2 queued is still in next_output().
  Result<void> receive(std::string_view bytes);

  /// The next bytes to write, empty when none; valid until the next call.
  std::string_view next_output();

  /// False once the session neither reads nor writes any more (after GOAWAY, or a fatal
  /// error): the connection can close once the output is written.
  bool wants_read() const;
  bool wants_write() const;

  /// Sends a response head; with `has_body` the body is pulled through read_body(),
  /// otherwise the HEADERS frame ends the stream. `fields` starts with ":status".
  Result<void> submit_response(std::int32_t stream_id, std::span<const http::Header> fields,
                               bool has_body);
  /// Sends an interim (1xx) head.
  Result<void> submit_interim(std::int32_t stream_id, std::span<const http::Header> fields);
  /// Sends trailers ending the stream; call from read_body() before EndBeforeTrailers.
  Result<void> submit_trailers(std::int32_t stream_id, std::span<const http::Header> fields);
  /// Tells the session a Deferred stream has body to send again.
  void resume_body(std::int32_t stream_id);
  /// Opens the stream's and the connection's windows by `bytes` the handler has read.
  void consume(std::int32_t stream_id, std::size_t bytes);
  /// Opens the connection window by `bytes` of a stream that no longer exists.
  void consume_connection(std::size_t bytes);
  /// Resets one stream (RST_STREAM).
  void reset_stream(std::int32_t stream_id, ErrorCode error);
  /// GOAWAY with `error`, then the session ends once it is written (wants_* turn false).
  void terminate(ErrorCode error);
  /// Graceful GOAWAY (NO_ERROR, last stream = the last one accepted): streams already open
  /// finish, no new ones are accepted.
  void shutdown_gracefully();

 private:
  struct Deleter {
    void operator()(nghttp2_session* session) const;
  };

  std::unique_ptr<nghttp2_session, Deleter> session_;
};

/// Stable lower-case name of an error code ("enhance_your_calm"), for logs.
const char* to_string(ErrorCode error);

}  // namespace river::http2
