// ClientSession: the client side of one HTTP/2 connection to an upstream peer, on nghttp2.
//
// The counterpart of ServerSession (session.h), and like it sans-I/O: the owner feeds the
// bytes it read (`receive`), writes what `next_output` returns, and learns what happened
// through `ClientEvents`, whose methods are called from inside `receive` and `next_output`.
// Requests are submitted with `submit_request`; their bodies are pulled back through
// `ClientEvents::read_body` as flow control allows, trailers go with `submit_trailers`.
//
// Flow control is manual, as on the server side: the windows of a stream and of the
// connection open only as the owner calls `consume` for response bytes the client has
// taken, so a slow client holds the upstream back and buffered response bytes stay bounded
// by `ClientSettings::initial_stream_window` per stream and `connection_window` in all.
//
// Streams the peer did not process (above the last-stream-id of its GOAWAY, refused with
// REFUSED_STREAM, or never sent because the session went away first) close with
// `ErrorCode::RefusedStream`: a request on such a stream may be sent again elsewhere
// (RFC 9113 §8.7).
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
#include "http2/session.h"

struct nghttp2_session;

namespace river::http2 {

/// Tuning of a client session; the defaults are River's.
struct ClientSettings {
  /// SETTINGS_INITIAL_WINDOW_SIZE: response body bytes a peer may send on one stream before
  /// River passed any to the client.
  std::uint32_t initial_stream_window = 256 * 1024;
  /// Connection window: response body bytes buffered across all streams at most.
  std::uint32_t connection_window = 4 * 1024 * 1024;
  /// SETTINGS_MAX_HEADER_LIST_SIZE advertised to the peer.
  std::uint32_t max_header_list_bytes = 64 * 1024;
  /// CONTINUATION frames allowed after one HEADERS frame.
  std::size_t max_continuations = 8;
  /// Streams assumed allowed until the peer's SETTINGS arrive (RFC 9113 §6.5.2 leaves it
  /// unlimited; nghttp2 and River assume 100).
  std::uint32_t assumed_max_concurrent_streams = 100;
};

/// What a field block of a response stream is.
enum class BlockKind {
  Interim,  ///< a 1xx head
  Head,     ///< the final response head
  Trailer,  ///< trailer fields, ending the stream
};

/// What a client session reports. Called from inside receive() and next_output().
class ClientEvents {
 public:
  virtual ~ClientEvents() = default;

  /// One decoded field of a response block; the views are valid during the call only.
  /// Which block it belongs to is known when the block ends (on_block).
  virtual void on_field(std::int32_t stream_id, std::string_view name,
                        std::string_view value) = 0;
  /// A field block is complete.
  virtual void on_block(std::int32_t stream_id, BlockKind kind) = 0;
  /// A piece of response body. Its bytes count against the windows until consume().
  virtual void on_data(std::int32_t stream_id, std::string_view data) = 0;
  /// The peer ended the stream (END_STREAM on DATA or on a field block).
  virtual void on_end_stream(std::int32_t stream_id) = 0;
  /// The stream is closed: normally (NoError), reset either way, or not processed by the
  /// peer (RefusedStream).
  virtual void on_stream_close(std::int32_t stream_id, ErrorCode error) = 0;
  /// The peer sent GOAWAY: streams above `last_stream_id` close as RefusedStream, no new
  /// stream may start.
  virtual void on_goaway(std::int32_t last_stream_id, ErrorCode error) = 0;
  /// The peer's SETTINGS arrived (or changed): it allows `max_concurrent_streams` streams.
  virtual void on_settings(std::uint32_t max_concurrent_streams) = 0;
  /// Copies up to `out.size()` bytes of request body of `stream_id` into `out`.
  virtual BodyChunk read_body(std::int32_t stream_id, std::span<std::uint8_t> out) = 0;
};

class ClientSession {
 public:
  /// Creates a session that reports to `events` (borrowed; must outlive the session) and
  /// queues the connection preface with River's SETTINGS. Fails only when nghttp2 cannot
  /// allocate.
  static Result<std::unique_ptr<ClientSession>> create(const ClientSettings& settings,
                                                       ClientEvents& events);

  /// Only create() can make one: the key's constructor is private to this class.
  class ConstructionKey {
    friend class ClientSession;
    ConstructionKey() = default;
  };
  ClientSession(ConstructionKey, ClientEvents& events) : events_(events) {}
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  /// Processes bytes from the peer. An error means the connection cannot go on; whatever
  /// GOAWAY nghttp2 queued is still in next_output().
  Result<void> receive(std::string_view bytes);

  /// The next bytes to write, empty when none; valid until the next call.
  std::string_view next_output();

  bool wants_read() const;
  bool wants_write() const;

  /// Starts a request stream and returns its id. `fields` starts with the pseudo-header
  /// fields. With `has_body` the body is pulled through read_body(), otherwise the HEADERS
  /// frame ends the stream. Fails when the session can take no new stream (GOAWAY).
  Result<std::int32_t> submit_request(std::span<const http::Header> fields, bool has_body);
  /// Sends trailers ending the stream; call from read_body() before EndBeforeTrailers.
  Result<void> submit_trailers(std::int32_t stream_id, std::span<const http::Header> fields);
  /// Tells the session a Deferred stream has body to send again.
  void resume_body(std::int32_t stream_id);
  /// Opens the stream's and the connection's windows by `bytes` the client has taken.
  void consume(std::int32_t stream_id, std::size_t bytes);
  /// Opens the connection window by `bytes` of a stream that no longer exists.
  void consume_connection(std::size_t bytes);
  /// Resets one stream (RST_STREAM).
  void reset_stream(std::int32_t stream_id, ErrorCode error);
  /// Graceful GOAWAY (NO_ERROR): River opens no more streams and the session ends once the
  /// open ones are done.
  void shutdown_gracefully();
  /// GOAWAY with `error`; the session ends once it is written.
  void terminate(ErrorCode error);

  /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS (the assumed value until it arrives).
  std::uint32_t peer_max_concurrent_streams() const;

 private:
  struct Deleter {
    void operator()(nghttp2_session* session) const;
  };

  friend struct ClientCallbacks;

  ClientEvents& events_;
  std::unique_ptr<nghttp2_session, Deleter> session_;
  // The field block being decoded: HEADERS and its CONTINUATION frames are never
  // interleaved with other frames (RFC 9113 §6.10), so one is enough.
  BlockKind block_ = BlockKind::Trailer;
  std::uint32_t assumed_max_concurrent_streams_ = 100;
  bool settings_received_ = false;
};

}  // namespace river::http2
