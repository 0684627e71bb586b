#include "proxy/http2_session.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <vector>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "base/strings.h"
#include "http/date.h"
#include "http2/request.h"

namespace river::proxy {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
// Output is gathered up to this size before one write.
constexpr std::size_t kWriteBatch = 64 * 1024;
// WINDOW_UPDATE frames a client may send for free, plus this many per DATA frame sent:
// a client reading a large response sends about one per frame; a flood sends thousands.
constexpr std::uint64_t kFreeWindowUpdates = 100;
constexpr std::uint64_t kWindowUpdatesPerDataFrame = 4;

thread_local std::vector<Http2Session*> tls_sessions;  // sessions on this worker, not owned
std::atomic<std::size_t> g_open_sessions{0};

spdlog::logger& module_log() {
  static auto& instance = observe::logger("http2");
  return instance;
}

Error downstream_error(ErrorKind kind, std::string context) {
  return Error{kind, Side::Downstream, false, std::move(context)};
}

}  // namespace

/// One request stream: the Exchange its handler sees, and the state nghttp2's callbacks
/// fill in. Owned by the session's stream map until nghttp2 closes the stream, and by its
/// serving coroutine until the handler returns.
class Http2Session::Stream final : public Exchange {
 public:
  Stream(Http2Session& session, std::int32_t id)
      : session_(session),
        id_(id),
        builder_(http2::RequestLimits{
            .max_header_bytes = session.options_->limits.max_header_bytes,
            .max_header_count = session.options_->limits.max_header_count}),
        signal_(session.stream_.get_executor()),
        body_signal_(session.stream_.get_executor()),
        started_(net::Clock::now()) {}

  // Exchange
  const http::RequestHead& request() const override { return builder_head(); }
  const http::BodyFraming& request_framing() const override { return builder_.framing(); }
  std::string_view client_ip() const override { return session_.client_ip_; }
  std::string_view scheme() const override {
    return session_.stream_.is_tls() ? "https" : "http";
  }
  asio::awaitable<Result<std::string_view>> read_body() override;
  bool body_complete() const override { return body_done_ && in_.empty(); }
  bool is_full_duplex() const override { return true; }
  void abandon_body() override {
    body_abandoned_ = true;
    notify();
  }
  const http::HeaderMap& request_trailers() const override { return trailers_; }
  asio::awaitable<Result<void>> send_interim(const http::ResponseHead& head) override;
  asio::awaitable<Result<void>> send_head(http::ResponseHead head,
                                          http::BodyFraming framing) override;
  asio::awaitable<Result<void>> send_body(std::string_view data) override;
  asio::awaitable<Result<void>> finish(const http::HeaderMap& trailers) override;
  asio::awaitable<void> tunnel(tls::Stream upstream, std::string upstream_early) override;
  bool head_sent() const override { return head_sent_; }
  net::Watchdog& upstream_watchdog() override {
    if (!upstream_watchdog_) {
      upstream_watchdog_ = net::Watchdog::start(session_.stream_.get_executor(), nullptr);
    }
    return *upstream_watchdog_;
  }
  void note_upstream(std::string_view peer, bool reused,
                     std::chrono::microseconds time_to_head) override {
    upstream_ = std::string(peer);
    upstream_reused_ = reused;
    upstream_ms_ = static_cast<double>(time_to_head.count()) / 1000.0;
  }
  void note_reason(std::string_view reason) override { reason_ = std::string(reason); }

  /// Wakes the handler if it waits for body bytes or buffer space.
  void notify() {
    signal_.cancel();
    body_signal_.cancel();
  }

  /// The stream is gone (reset either way, or the connection closed): wake everything the
  /// handler may wait on, the upstream included.
  void abandon() {
    reset_ = true;
    notify();
    if (upstream_watchdog_ && !handler_done_) {
      upstream_watchdog_->expires_after(std::chrono::nanoseconds(0));
    }
  }

  std::size_t pending_out() const { return out_.size() - out_pos_; }

  const http::RequestHead& builder_head() const { return builder_.head(); }

  Http2Session& session_;
  const std::int32_t id_;
  http2::RequestBuilder builder_;
  http::HeaderMap trailers_;
  bool bad_trailers_ = false;
  int refusal_status_ = 0;

  // Request body, as DATA frames delivered it; counted against the windows until read.
  std::string in_;
  std::string delivered_;  // what the last read_body() returned
  std::uint64_t body_received_ = 0;
  bool body_done_ = false;
  bool too_large_ = false;
  bool continue_pending_ = false;

  // Response.
  bool head_sent_ = false;
  bool has_body_ = false;
  bool finished_ = false;
  bool end_sent_ = false;  // a frame with END_STREAM went out
  std::string out_;
  std::size_t out_pos_ = 0;
  std::vector<http::Header> trailers_out_;
  std::uint64_t bytes_out_ = 0;
  std::optional<std::uint64_t> expected_bytes_;
  int status_ = 0;
  int client_error_status_ = 0;

  bool reset_ = false;
  bool handler_done_ = false;

  asio::steady_timer signal_;       // send_body waits on it
  asio::steady_timer body_signal_;  // read_body waits on it (the two may run concurrently)
  bool body_abandoned_ = false;
  std::shared_ptr<net::Watchdog> upstream_watchdog_;
  net::Clock::time_point started_;
  std::string upstream_;
  bool upstream_reused_ = false;
  double upstream_ms_ = -1;
  std::string reason_;
};

// ---------------------------------------------------------------------------------------
// Exchange for one stream

asio::awaitable<Result<std::string_view>> Http2Session::Stream::read_body() {
  if (continue_pending_) {
    // RFC 9110 §10.1.1: the client waits for 100 before sending its body.
    continue_pending_ = false;
    if (!head_sent_ && !reset_) {
      const http::Header status{":status", "100"};
      (void)session_.h2_->submit_interim(id_, {&status, 1});
      session_.kick_writer();
    }
  }

  while (true) {
    if (reset_) {
      co_return downstream_error(ErrorKind::ConnectionReset, "stream reset");
    }
    if (body_abandoned_) {
      co_return Error{ErrorKind::ConnectionClosed, Side::Internal, false, "body not wanted"};
    }
    if (too_large_) {
      client_error_status_ = 413;
      note_reason("request_body_too_large");
      co_return downstream_error(ErrorKind::TooLarge, "request body too large");
    }
    if (!in_.empty()) {
      delivered_.swap(in_);
      in_.clear();
      // Only now may the client send more: flow control is the backpressure.
      session_.h2_->consume(id_, delivered_.size());
      session_.kick_writer();
      co_return std::string_view(delivered_);
    }
    if (body_done_) {
      if (bad_trailers_) {
        co_return downstream_error(ErrorKind::InvalidMessage, "malformed trailers");
      }
      co_return std::string_view();
    }
    body_signal_.expires_after(session_.options_->request_body_idle_timeout);
    auto [ec] = co_await body_signal_.async_wait(net::kNoThrow);
    if (!ec && in_.empty() && !body_done_ && !reset_) {
      client_error_status_ = 408;
      note_reason("request_body_timeout");
      co_return downstream_error(ErrorKind::ReadTimeout, "request body timed out");
    }
  }
}

asio::awaitable<Result<void>> Http2Session::Stream::send_interim(const http::ResponseHead& head) {
  // HTTP/2 has no 101 (RFC 9113 §8.6); 100 is River's own business (read_body).
  if (reset_ || head_sent_ || head.status == 101 || head.status == 100) {
    co_return Result<void>();
  }
  const auto fields = http2::response_fields(head, -1);
  auto submitted = session_.h2_->submit_interim(id_, fields);
  session_.kick_writer();
  co_return submitted;
}

asio::awaitable<Result<void>> Http2Session::Stream::send_head(http::ResponseHead head,
                                                              http::BodyFraming framing) {
  RIVER_CHECK(!head_sent_);
  head_sent_ = true;
  continue_pending_ = false;
  status_ = head.status;
  if (reset_) {
    co_return downstream_error(ErrorKind::ConnectionReset, "stream reset");
  }

  // HTTP/2 frames the body itself (RFC 9113 §8.1): content-length is passed on when known,
  // chunked and close-delimited bodies simply end with END_STREAM.
  std::int64_t content_length = -1;
  const bool no_body = http::response_has_no_body(request().method, head.status);
  if (no_body) {
    if (framing.kind == http::BodyFraming::Kind::ContentLength && head.status != 204 &&
        head.status >= 200) {
      content_length = static_cast<std::int64_t>(framing.length);
    }
    has_body_ = false;
  } else {
    switch (framing.kind) {
      case http::BodyFraming::Kind::None:
        content_length = 0;
        expected_bytes_ = 0;
        break;
      case http::BodyFraming::Kind::ContentLength:
        content_length = static_cast<std::int64_t>(framing.length);
        expected_bytes_ = framing.length;
        break;
      case http::BodyFraming::Kind::Chunked:
      case http::BodyFraming::Kind::UntilClose:
        break;
    }
    has_body_ = framing.has_body();
  }

  const auto fields = http2::response_fields(head, content_length);
  auto submitted = session_.h2_->submit_response(id_, fields, has_body_);
  if (!has_body_) {
    finished_ = true;
  }
  session_.kick_writer();
  co_return submitted;
}

asio::awaitable<Result<void>> Http2Session::Stream::send_body(std::string_view data) {
  RIVER_CHECK(head_sent_);
  if (reset_) {
    co_return downstream_error(ErrorKind::ConnectionReset, "stream reset");
  }
  if (!has_body_ || data.empty()) {
    co_return Result<void>();
  }
  if (expected_bytes_ && bytes_out_ + data.size() > *expected_bytes_) {
    co_return Error{ErrorKind::Internal, Side::Internal, false, "body longer than announced"};
  }

  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
  out_.append(data);
  bytes_out_ += data.size();
  session_.h2_->resume_body(id_);
  session_.kick_writer();

  // Bounded buffering: return once the client's windows let the buffer drain below the
  // limit, so a slow reader slows the handler (and its upstream) down.
  const auto limit = session_.options_->http2.stream_send_buffer;
  while (pending_out() > limit && !reset_) {
    signal_.expires_after(session_.options_->write_idle_timeout);
    auto [ec] = co_await signal_.async_wait(net::kNoThrow);
    if (!ec && pending_out() > limit && !reset_) {
      note_reason("write_timeout");
      co_return downstream_error(ErrorKind::WriteTimeout, "client does not read");
    }
  }
  if (reset_) {
    co_return downstream_error(ErrorKind::ConnectionReset, "stream reset");
  }
  co_return Result<void>();
}

asio::awaitable<Result<void>> Http2Session::Stream::finish(const http::HeaderMap& trailers) {
  RIVER_CHECK(head_sent_);
  if (reset_) {
    co_return downstream_error(ErrorKind::ConnectionReset, "stream reset");
  }
  if (!has_body_) {
    finished_ = true;
    co_return Result<void>();
  }
  if (expected_bytes_ && bytes_out_ != *expected_bytes_) {
    co_return Error{ErrorKind::Internal, Side::Internal, false, "body shorter than announced"};
  }
  trailers_out_ = http2::trailer_fields(trailers);
  finished_ = true;
  session_.h2_->resume_body(id_);
  session_.kick_writer();
  co_return Result<void>();
}

asio::awaitable<void> Http2Session::Stream::tunnel(tls::Stream upstream, std::string) {
  // Upgrades do not exist in HTTP/2 (RFC 9113 §8.6) and the proxy never forwards one from an
  // HTTP/2 request; should a handler try, the stream is reset.
  upstream.close();
  if (!reset_) {
    session_.h2_->reset_stream(id_, http2::ErrorCode::InternalError);
    session_.kick_writer();
  }
  co_return;
}

// ---------------------------------------------------------------------------------------
// Session

bool Http2Session::Budget::take(net::Clock::time_point now) {
  const auto elapsed = std::chrono::duration<double>(now - refilled).count();
  refilled = now;
  tokens = std::min(burst, tokens + elapsed * rate);
  if (tokens < 1.0) {
    return false;
  }
  tokens -= 1.0;
  return true;
}

void Http2Session::start(tls::Stream stream, std::string client_ip, std::string already_read,
                         std::shared_ptr<const SessionOptions> options,
                         std::shared_ptr<Handler> handler) {
  auto executor = stream.get_executor();
  auto session = std::make_shared<Http2Session>(std::move(stream), std::move(client_ip),
                                                std::move(options), std::move(handler));
  asio::co_spawn(
      executor,
      [session, early = std::move(already_read)]() mutable {
        return session->run(std::move(early));
      },
      [](std::exception_ptr error) {
        // Reaching this is a bug: nothing on the data path throws.
        if (error) {
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            module_log().error("session ended by exception error={}", e.what());
          }
        }
      });
}

Http2Session::Http2Session(tls::Stream stream, std::string client_ip,
                           std::shared_ptr<const SessionOptions> options,
                           std::shared_ptr<Handler> handler)
    : stream_(std::move(stream)),
      client_ip_(std::move(client_ip)),
      options_(std::move(options)),
      handler_(std::move(handler)),
      write_wakeup_(stream_.get_executor()),
      supervisor_timer_(stream_.get_executor()) {
  const auto now = net::Clock::now();
  const auto& h2 = options_->http2;
  resets_ = Budget{static_cast<double>(h2.reset_burst), static_cast<double>(h2.reset_burst),
                   static_cast<double>(h2.reset_refill_per_second), now};
  control_frames_ = Budget{static_cast<double>(h2.control_frame_burst),
                           static_cast<double>(h2.control_frame_burst),
                           static_cast<double>(h2.control_frame_refill_per_second), now};
  idle_since_ = now;
  tls_sessions.push_back(this);
  g_open_sessions.fetch_add(1, std::memory_order_relaxed);
}

Http2Session::~Http2Session() {
  std::erase(tls_sessions, this);
  g_open_sessions.fetch_sub(1, std::memory_order_relaxed);
}

std::size_t Http2Session::open_sessions() {
  return g_open_sessions.load(std::memory_order_relaxed);
}

void Http2Session::drain_sessions_on_this_worker() {
  for (auto* session : tls_sessions) {
    if (session->draining_ || session->closed_ || !session->h2_) {
      continue;
    }
    session->draining_ = true;
    // RFC 9113 §6.8: GOAWAY naming the last stream accepted; those finish.
    session->h2_->shutdown_gracefully();
    session->kick_writer();
    session->rearm_supervisor();
  }
}

asio::awaitable<void> Http2Session::run(std::string already_read) {
  using namespace asio::experimental::awaitable_operators;
  auto self = shared_from_this();

  const auto& h2 = options_->http2;
  http2::ServerSettings settings{
      .max_concurrent_streams = h2.max_concurrent_streams,
      .initial_stream_window = h2.initial_stream_window,
      .connection_window = h2.connection_window,
      .max_header_list_bytes = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(options_->limits.max_header_bytes, UINT32_MAX)),
      .max_continuations = h2.max_continuations,
      .max_outbound_ack = h2.max_outbound_ack,
      .max_settings_entries = h2.max_settings_entries,
  };
  auto created = http2::ServerSession::create(settings, *this);
  if (!created) {
    module_log().error("http2 session setup failed error={}", created.error().context);
    stream_.close();
    co_return;
  }
  h2_ = std::move(*created);
  write_watchdog_ = net::Watchdog::start(stream_.get_executor(), [this] { stream_.cancel(); });

  co_await (read_loop(std::move(already_read)) && write_loop() && supervise());

  write_watchdog_->stop();
  // Streams still running finish on their own; they see the connection closed.
}

bool Http2Session::process(std::string_view bytes) {
  auto received = h2_->receive(bytes);
  kick_writer();
  if (!received) {
    module_log().debug("connection error client={} error={}", client_ip_,
                       received.error().context);
    // nghttp2 stops at a connection error (a CONTINUATION flood, a broken frame) without
    // telling the client why; the GOAWAY does (RFC 9113 §5.4.1).
    if (!terminated_) {
      terminated_ = true;
      h2_->terminate(http2::ErrorCode::ProtocolError);
      kick_writer();
    }
    return false;
  }
  // After a GOAWAY that ends the connection (a flood, a connection error), nothing more
  // the client sends is looked at: CPU stays bounded.
  return !terminated_ && h2_->wants_read();
}

asio::awaitable<void> Http2Session::read_loop(std::string already_read) {
  if (!already_read.empty() && !process(already_read)) {
    reader_done_ = true;
    kick_writer();
    co_return;
  }
  std::string buffer(kReadChunk, '\0');
  while (!closed_) {
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(buffer), net::kNoThrow);
    if (ec) {
      read_failed_ = ec != asio::error::eof;
      break;
    }
    if (!process(std::string_view(buffer.data(), n))) {
      break;
    }
  }
  reader_done_ = true;
  kick_writer();
  rearm_supervisor();
}

asio::awaitable<void> Http2Session::write_loop() {
  while (!closed_) {
    out_.clear();
    while (out_.size() < kWriteBatch) {
      const auto piece = h2_->next_output();
      if (piece.empty()) {
        break;
      }
      out_.append(piece);
    }
    if (!out_.empty()) {
      write_watchdog_->expires_after(options_->write_idle_timeout);
      auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(out_), net::kNoThrow);
      write_watchdog_->disarm();
      if (ec) {
        break;
      }
      continue;
    }

    // Nothing to write. The connection ends when nghttp2 is done (GOAWAY written), when
    // reading failed, or when the client closed its side and no stream is left to answer.
    const bool session_done = !h2_->wants_read() && !h2_->wants_write();
    if (session_done || read_failed_ || (reader_done_ && (streams_.empty() || terminated_))) {
      break;
    }
    write_wakeup_.expires_at(net::Clock::time_point::max());
    co_await write_wakeup_.async_wait(net::kNoThrow);
  }
  close_connection();
}

void Http2Session::kick_writer() { write_wakeup_.cancel(); }

net::Clock::time_point Http2Session::next_deadline() const {
  auto deadline = net::Clock::time_point::max();
  if (header_block_open_) {
    deadline = header_deadline_;
  }
  if (streams_.empty()) {
    if (draining_) {
      return net::Clock::now();
    }
    // A new connection gets the header timeout for its first request, then the keep-alive
    // timeout applies between requests. Control frames (PING) do not keep it open.
    const auto idle = any_request_ ? options_->keepalive_timeout
                                   : options_->request_header_timeout;
    deadline = std::min(deadline, idle_since_ + idle);
  }
  return deadline;
}

void Http2Session::rearm_supervisor() {
  if (next_deadline() < supervisor_timer_.expiry()) {
    supervisor_timer_.cancel();
  }
}

asio::awaitable<void> Http2Session::supervise() {
  while (!closed_) {
    supervisor_timer_.expires_at(next_deadline());
    co_await supervisor_timer_.async_wait(net::kNoThrow);
    if (closed_ || terminated_) {
      break;
    }
    const auto now = net::Clock::now();
    if (header_block_open_ && now >= header_deadline_) {
      // A field block trickling in (CONTINUATION every second, C26 variant C).
      module_log().debug("request header timeout client={}", client_ip_);
      terminated_ = true;
      h2_->terminate(http2::ErrorCode::ProtocolError);
      kick_writer();
      break;
    }
    if (streams_.empty() && now >= next_deadline()) {
      terminated_ = true;
      h2_->terminate(http2::ErrorCode::NoError);
      kick_writer();
      break;
    }
  }
  // The GOAWAY may not get out to a client that does not read: the write watchdog ends it.
}

void Http2Session::close_connection() {
  if (closed_) {
    return;
  }
  closed_ = true;
  stream_.close();
  supervisor_timer_.cancel();
  write_wakeup_.cancel();
  for (auto& [id, stream] : streams_) {
    stream->abandon();
  }
  streams_.clear();
}

void Http2Session::calm_down(std::string_view reason) {
  if (terminated_) {
    return;
  }
  module_log().debug("client exceeded budget client={} reason={}", client_ip_, reason);
  terminated_ = true;
  h2_->terminate(http2::ErrorCode::EnhanceYourCalm);
  kick_writer();
}

void Http2Session::count_reset() {
  if (!resets_.take(net::Clock::now())) {
    calm_down("stream_resets");
  }
}

void Http2Session::count_control_frame() {
  if (!control_frames_.take(net::Clock::now())) {
    calm_down("control_frames");
  }
}

Http2Session::Stream* Http2Session::find(std::int32_t stream_id) {
  const auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

// ---------------------------------------------------------------------------------------
// http2::ServerEvents

void Http2Session::on_request_begin(std::int32_t stream_id) {
  streams_.emplace(stream_id, std::make_shared<Stream>(*this, stream_id));
  header_block_open_ = true;
  header_deadline_ = net::Clock::now() + options_->request_header_timeout;
  rearm_supervisor();
}

void Http2Session::on_field(std::int32_t stream_id, std::string_view name,
                            std::string_view value, bool trailer) {
  auto* stream = find(stream_id);
  if (stream == nullptr) {
    return;
  }
  if (!trailer) {
    stream->builder_.add(name, value);
    return;
  }
  // Trailers are bounded like the head: count them against the same limit.
  if (stream->trailers_.size() >= options_->limits.max_header_count ||
      !http2::add_trailer(name, value, stream->trailers_)) {
    stream->bad_trailers_ = true;
  }
}

void Http2Session::on_request_head(std::int32_t stream_id, bool end_stream) {
  header_block_open_ = false;
  any_request_ = true;
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) {
    return;
  }
  auto stream = it->second;
  stream->body_done_ = end_stream;

  const auto verdict = stream->builder_.finish(end_stream);
  if (verdict == http2::Verdict::Malformed) {
    // RFC 9113 §8.1.1: a malformed request is a stream error of type PROTOCOL_ERROR.
    module_log().debug("malformed request client={} stream={} reason={}", client_ip_,
                       stream_id, stream->builder_.reason());
    stream->reset_ = true;
    h2_->reset_stream(stream_id, http2::ErrorCode::ProtocolError);
    kick_writer();
    return;
  }
  if (verdict == http2::Verdict::Refused) {
    stream->refusal_status_ = stream->builder_.status();
    stream->note_reason(stream->builder_.reason());
  } else {
    const auto& framing = stream->builder_.framing();
    const auto limit = options_->max_request_body_bytes;
    if (limit != 0 && framing.kind == http::BodyFraming::Kind::ContentLength &&
        framing.length > limit) {
      // RFC 9110 §15.5.14: refused before any of the body is read.
      stream->refusal_status_ = 413;
      stream->note_reason("request_body_too_large");
    }
    const auto& head = stream->builder_.head();
    if (auto expect = head.headers.get("expect"); expect && !end_stream) {
      stream->continue_pending_ = iequals(*expect, "100-continue");
    }
  }
  // The handler starts on a later turn of the event loop: a stream reset in the same read
  // (Rapid Reset) is gone by then and never reaches the upstream.
  asio::co_spawn(stream_.get_executor(), serve(std::move(stream)), asio::detached);
}

void Http2Session::on_data(std::int32_t stream_id, std::string_view data) {
  auto* stream = find(stream_id);
  if (stream == nullptr || stream->handler_done_ || stream->reset_) {
    // Nobody will read these bytes: give their window back at once.
    h2_->consume(stream_id, data.size());
    return;
  }
  stream->in_.append(data);
  stream->body_received_ += data.size();
  const auto limit = options_->max_request_body_bytes;
  if (limit != 0 && stream->body_received_ > limit) {
    stream->too_large_ = true;
  }
  stream->notify();
}

void Http2Session::on_request_end(std::int32_t stream_id) {
  auto* stream = find(stream_id);
  if (stream == nullptr) {
    return;
  }
  stream->body_done_ = true;
  if (stream->bad_trailers_) {
    stream->reset_ = true;
    h2_->reset_stream(stream_id, http2::ErrorCode::ProtocolError);
    kick_writer();
  }
  stream->notify();
}

void Http2Session::on_stream_close(std::int32_t stream_id, http2::ErrorCode error) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) {
    return;
  }
  auto& stream = *it->second;
  // Body bytes nobody read still hold the connection window.
  h2_->consume_connection(stream.in_.size());
  stream.in_.clear();
  if (error != http2::ErrorCode::NoError || !stream.finished_ || stream.pending_out() > 0) {
    stream.abandon();
  }
  streams_.erase(it);
  if (streams_.empty()) {
    idle_since_ = net::Clock::now();
    rearm_supervisor();
    kick_writer();
  }
}

void Http2Session::on_frame_received(const http2::FrameInfo& frame) {
  using http2::FrameType;
  switch (frame.type) {
    case FrameType::RstStream:
      count_reset();
      break;
    case FrameType::Ping:
    case FrameType::Settings:
      if (!frame.ack) {
        count_control_frame();
      }
      break;
    case FrameType::Priority:
      count_control_frame();
      break;
    case FrameType::Data:
      // CVE-2019-9518: empty DATA frames cost the server work and carry nothing.
      if (frame.length == 0 && !frame.end_stream) {
        count_control_frame();
      }
      break;
    case FrameType::WindowUpdate:
      ++window_updates_;
      if (window_updates_ > kFreeWindowUpdates + kWindowUpdatesPerDataFrame * data_frames_sent_) {
        count_control_frame();
      }
      break;
    default:
      break;
  }
}

void Http2Session::on_frame_sent(const http2::FrameInfo& frame) {
  using http2::FrameType;
  if (frame.type == FrameType::RstStream && frame.error != http2::ErrorCode::NoError) {
    // MadeYouReset (CVE-2025-8671): resets the client provokes count like its own.
    count_reset();
    return;
  }
  if (frame.type == FrameType::Data) {
    ++data_frames_sent_;
  }
  if ((frame.type == FrameType::Data || frame.type == FrameType::Headers) && frame.end_stream) {
    auto* stream = find(frame.stream_id);
    if (stream != nullptr) {
      stream->end_sent_ = true;
      if (stream->handler_done_ && !stream->body_done_) {
        // RFC 9113 §8.1: the response is complete; the rest of the request is not wanted.
        h2_->reset_stream(frame.stream_id, http2::ErrorCode::NoError);
      }
    }
  }
}

http2::BodyChunk Http2Session::read_body(std::int32_t stream_id, std::span<std::uint8_t> out) {
  using State = http2::BodyChunk::State;
  auto* stream = find(stream_id);
  if (stream == nullptr) {
    return {0, State::End};
  }
  const auto take = std::min(out.size(), stream->pending_out());
  if (take > 0) {
    std::memcpy(out.data(), stream->out_.data() + stream->out_pos_, take);
    stream->out_pos_ += take;
    stream->notify();
  }
  if (stream->pending_out() > 0 || !stream->finished_) {
    return take > 0 ? http2::BodyChunk{take, State::More} : http2::BodyChunk{0, State::Deferred};
  }
  if (!stream->trailers_out_.empty() &&
      h2_->submit_trailers(stream_id, stream->trailers_out_)) {
    return {take, State::EndBeforeTrailers};
  }
  return {take, State::End};
}

// ---------------------------------------------------------------------------------------
// Serving a stream

asio::awaitable<void> Http2Session::serve(std::shared_ptr<Stream> stream) {
  auto self = shared_from_this();
  // One more turn of the event loop lets the writer send what this read produced first:
  // resets River itself sends (a WINDOW_UPDATE of 0, DATA after END_STREAM: MadeYouReset)
  // close their streams there, so those never cost an upstream request either.
  co_await asio::post(stream_.get_executor(), asio::use_awaitable);
  if (stream->reset_ || closed_) {
    co_return;
  }

  if (stream->refusal_status_ != 0) {
    co_await answer_status(*stream, stream->refusal_status_);
  } else {
    co_await handler_->handle(*stream);
  }

  if (!stream->head_sent_ && !stream->reset_ && !closed_) {
    // The handler gave up without answering: the client broke the request (timeout, too
    // large) or the handler failed.
    const int status = stream->client_error_status_ != 0 ? stream->client_error_status_ : 500;
    co_await answer_status(*stream, status);
  } else if (stream->head_sent_ && !stream->finished_ && !stream->reset_ && !closed_) {
    // A truncated response: resetting the stream is how the client learns it.
    stream->reset_ = true;
    h2_->reset_stream(stream->id_, http2::ErrorCode::InternalError);
    kick_writer();
  }

  stream->handler_done_ = true;
  if (!closed_) {
    // Request body the handler left unread goes back to the windows unread.
    h2_->consume(stream->id_, stream->in_.size());
    stream->in_.clear();
    if (stream->end_sent_ && !stream->body_done_ && !stream->reset_) {
      h2_->reset_stream(stream->id_, http2::ErrorCode::NoError);
    }
    kick_writer();
  }
  if (stream->upstream_watchdog_) {
    stream->upstream_watchdog_->stop();
  }
  write_access_log(*stream);
}

asio::awaitable<void> Http2Session::answer_status(Stream& stream, int status) {
  if (stream.head_sent_) {
    co_return;
  }
  const auto body = fmt::format("{} {}\n", status, http::reason_phrase(status));
  http::ResponseHead head;
  head.status = status;
  head.headers.add("server", "river");
  head.headers.add("date", http::http_date_now());
  head.headers.add("content-type", "text/plain; charset=utf-8");
  if (!co_await stream.send_head(std::move(head),
                                 {http::BodyFraming::Kind::ContentLength, body.size()})) {
    co_return;
  }
  if (co_await stream.send_body(body)) {
    (void)co_await stream.finish(http::HeaderMap());
  }
}

void Http2Session::write_access_log(const Stream& stream) {
  const auto& access_log = options_->access_log;
  if (!access_log || !access_log->enabled()) {
    return;
  }
  const auto elapsed = net::Clock::now() - stream.started_;
  const auto& head = stream.builder_head();
  observe::AccessRecord record;
  record.service = options_->service;
  record.client = client_ip_;
  record.method = head.method;
  record.target = head.target;
  record.protocol = http::to_string(http::Version::Http2);
  record.status = stream.status_;
  record.bytes_in = stream.body_received_;
  record.bytes_out = stream.bytes_out_;
  record.upstream = stream.upstream_;
  record.upstream_reused = stream.upstream_reused_;
  record.upstream_ms = stream.upstream_ms_;
  record.total_ms = std::chrono::duration<double, std::milli>(elapsed).count();
  record.reason = stream.reset_ && stream.reason_.empty() ? "stream_reset" : stream.reason_;
  access_log->write(record);
}

}  // namespace river::proxy
