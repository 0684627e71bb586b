#include "proxy/http1_session.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <vector>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "base/strings.h"
#include "http/date.h"
#include "http1/serializer.h"
#include "net/address.h"
#include "proxy/idle_clients.h"

namespace river::proxy {
namespace {

// A request body this small that the handler left unread is read and thrown away so the
// connection can serve the next request; a larger one costs less to close.
constexpr std::uint64_t kMaxDrainBytes = 64 * 1024;
// Pieces of response body up to this size are copied next to the head or chunk framing so
// that one write carries everything; larger ones are written from where they are.
constexpr std::size_t kCoalesceBytes = 16 * 1024;
constexpr std::size_t kReadChunk = 16 * 1024;
// Chunked request data decoded from what one read brought is handed on in runs of up to
// this size (a little more when the last chunk crosses it), so many tiny chunks cost one
// upstream write per read, not one per chunk; it also bounds the copy kept for that.
constexpr std::size_t kGatherBodyBytes = 64 * 1024;
// Lingering close (RFC 9112 §9.6): how long and how much unread input is discarded before
// the socket is closed, so the client is not sent a reset that destroys our response.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 256 * 1024;
// How long a TLS connection waits for the client's close_notify after sending its own.
constexpr auto kTlsShutdownTime = std::chrono::seconds(1);
// A keep-alive connection quiet for this long is parked (IdleClients): its session ends and
// the connection waits at a few hundred bytes. Clients that send again sooner keep their
// session, so busy connections pay nothing for this.
constexpr auto kParkAfter = std::chrono::milliseconds(20);

thread_local std::vector<Http1Session*> tls_sessions;  // sessions on this worker, not owned
std::atomic<std::size_t> g_open_sessions{0};

// Each worker looks for sessions to park this often while it has sessions. One timer per
// worker costs less than moving each session's deadline at every request.
constexpr auto kParkSweepInterval = std::chrono::milliseconds(10);
thread_local std::optional<asio::steady_timer> tls_park_sweeper;

spdlog::logger& module_log() {
  static auto& instance = observe::logger("http1");
  return instance;
}

Error downstream_error(ErrorKind kind, std::string context) {
  return Error{kind, Side::Downstream, false, std::move(context)};
}

}  // namespace

void Http1Session::start(tls::Stream stream, std::string client_ip,
                         std::shared_ptr<const SessionOptions> options,
                         std::shared_ptr<Handler> handler, std::string_view already_read) {
  auto executor = stream.get_executor();
  auto session = std::make_shared<Http1Session>(std::move(stream), std::move(client_ip),
                                                std::move(options), std::move(handler));
  if (!already_read.empty()) {
    auto space = session->in_.prepare(already_read.size());
    std::copy(already_read.begin(), already_read.end(), space.begin());
    session->in_.commit(already_read.size());
  }
  asio::co_spawn(executor, [session]() { return session->run(); },
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

Http1Session::Http1Session(tls::Stream stream, std::string client_ip,
                           std::shared_ptr<const SessionOptions> options,
                           std::shared_ptr<Handler> handler)
    : stream_(std::move(stream)),
      options_(std::move(options)),
      handler_(std::move(handler)),
      client_ip_(std::move(client_ip)) {
  tls_sessions.push_back(this);
  g_open_sessions.fetch_add(1, std::memory_order_relaxed);
}

Http1Session::~Http1Session() {
  std::erase(tls_sessions, this);
  g_open_sessions.fetch_sub(1, std::memory_order_relaxed);
}

void Http1Session::drain_sessions_on_this_worker() {
  IdleClients::on_this_worker().close_all();
  for (auto* session : tls_sessions) {
    session->draining_ = true;
    if (session->idle_) {
      session->close_socket();
    }
  }
}

std::size_t Http1Session::open_sessions() {
  return g_open_sessions.load(std::memory_order_relaxed) + IdleClients::total();
}

void Http1Session::close_socket() {
  stream_.close();
}

asio::awaitable<void> Http1Session::run() {
  auto self = shared_from_this();
  watchdog_ = net::Watchdog::start(stream_.get_executor(), [this] { stream_.cancel(); });

  bool first = true;
  while (stream_.is_open()) {
    const auto outcome = co_await read_request(first);
    first = false;
    if (outcome == ReadOutcome::Parked) {
      park();
      break;
    }
    if (outcome != ReadOutcome::Request) {
      break;
    }
    co_await serve_request();
    if (!co_await finish_exchange()) {
      break;
    }
  }

  if (stream_.is_tls() && stream_.is_open()) {
    watchdog_->expires_after(kTlsShutdownTime);
    co_await stream_.async_shutdown();
  }
  watchdog_->stop();
  if (upstream_watchdog_) {
    upstream_watchdog_->stop();
  }
  close_socket();
}

void Http1Session::watch_for_parking(const asio::any_io_executor& executor) {
  if (tls_park_sweeper) {
    return;
  }
  tls_park_sweeper.emplace(executor, kParkSweepInterval);
  tls_park_sweeper->async_wait([](const net::ErrorCode& ec) {
    if (!ec) {
      sweep_for_parking();
    }
  });
}

void Http1Session::sweep_for_parking() {
  const auto now = net::Clock::now();
  for (auto* session : tls_sessions) {
    // A TLS connection is not parked: its state lives in OpenSSL, which only the session
    // holds. (OpenSSL gives back its buffers while the connection is idle.)
    if (session->waiting_idle_ && !session->stream_.is_tls() &&
        now - session->idle_since_ >= kParkAfter &&
        session->options_->keepalive_timeout > kParkAfter) {
      // Ends the session's wait; it then parks.
      session->waiting_idle_ = false;
      session->park_requested_ = true;
      session->stream_.cancel();
    }
  }

  // The sweeper stops with the last waiting session and starts again with the next one.
  const bool any_waiting = std::any_of(tls_sessions.begin(), tls_sessions.end(),
                                       [](const Http1Session* s) { return s->waiting_idle_; });
  if (!any_waiting) {
    tls_park_sweeper.reset();
    return;
  }
  tls_park_sweeper->expires_after(kParkSweepInterval);
  tls_park_sweeper->async_wait([](const net::ErrorCode& ec) {
    if (!ec) {
      sweep_for_parking();
    }
  });
}

void Http1Session::park() {
  const auto left = options_->keepalive_timeout - kParkAfter;
  IdleClients::Parked parked{stream_.release_plain_socket(), std::move(client_ip_), options_,
                             handler_};
  IdleClients::on_this_worker().park(std::move(parked), left, [](IdleClients::Parked resumed) {
    // The client sent its next request (or closed): a new session reads it at once.
    start(tls::Stream(std::move(resumed.socket)), std::move(resumed.client_ip),
          std::move(resumed.options), std::move(resumed.handler));
  });
}

net::Watchdog& Http1Session::upstream_watchdog() {
  if (!upstream_watchdog_) {
    upstream_watchdog_ = net::Watchdog::start(stream_.get_executor(), nullptr);
  }
  return *upstream_watchdog_;
}

asio::awaitable<Http1Session::ReadOutcome> Http1Session::read_request(bool first) {
  // Before the first byte: the keep-alive timeout (or the header timeout for a new
  // connection). From the first byte on: the header timeout counts the whole head, so
  // trickling one line at a time (slowloris) does not extend it.
  bool head_started = !in_.empty();
  idle_ = !head_started;
  watchdog_->expires_after(head_started || first ? options_->request_header_timeout
                                                 : options_->keepalive_timeout);
  request_start_ = net::Clock::now();

  if (!head_started && !first) {
    // Between requests. NOTE: this is a read, not a wait for readability: Asio's epoll
    // reactor is edge-triggered and a wait does not look at bytes that arrived before it
    // was queued (a pipelined request, or a client quicker than this coroutine), so such a
    // wait could sleep with a request in the kernel. A read tries the socket first.
    // A connection that stays quiet is parked by this worker's sweeper, which cancels the
    // read; parking is what keeps idle keep-alive connections cheap.
    waiting_idle_ = true;
    idle_since_ = request_start_;
    watch_for_parking(stream_.get_executor());
    auto read = co_await read_more(std::chrono::milliseconds(0));
    waiting_idle_ = false;
    if (read) {
      park_requested_ = false;  // the request won the race against the sweeper
    } else if (park_requested_ && !draining_ && in_.empty()) {
      in_.release_storage();
      co_return ReadOutcome::Parked;
    }
    if (!read || draining_) {
      co_return ReadOutcome::Closed;
    }
    head_started = true;
    idle_ = false;
    request_start_ = net::Clock::now();
    watchdog_->expires_after(options_->request_header_timeout);
  }

  while (true) {
    if (!in_.empty()) {
      request_ = http1::parse_request_head(in_.readable(), options_->limits);
      if (request_.status == http1::ParseStatus::Complete) {
        break;
      }
      if (request_.status == http1::ParseStatus::Error) {
        module_log().debug("request refused client={} status={} error={}", client_ip_,
                    request_.error.status, request_.error.reason);
        note_reason(request_.error.reason);
        co_await send_error(request_.error.status);
        co_return ReadOutcome::Refused;
      }
    }
    if (draining_ && in_.empty()) {
      co_return ReadOutcome::Closed;
    }

    auto read = co_await read_more(std::chrono::milliseconds(0));
    if (!read) {
      if (read.error().kind == ErrorKind::ReadTimeout && head_started) {
        note_reason("request_header_timeout");
        co_await send_error(408);
        co_return ReadOutcome::Refused;
      }
      co_return ReadOutcome::Closed;
    }
    if (!head_started) {
      head_started = true;
      idle_ = false;
      request_start_ = net::Clock::now();
      watchdog_->expires_after(options_->request_header_timeout);
    }
  }

  watchdog_->disarm();
  in_.consume(request_.consumed);
  const auto& head = request_.head;
  const auto& framing = request_.framing;

  body_received_ = 0;
  body_wait_ = {};
  body_remaining_ = framing.kind == http::BodyFraming::Kind::ContentLength ? framing.length : 0;
  chunked_ = framing.kind == http::BodyFraming::Kind::Chunked;
  if (chunked_) {
    chunk_decoder_.emplace();
  }
  keep_alive_ = !request_.must_close && !draining_;

  const auto limit = options_->max_request_body_bytes;
  if (limit != 0 && body_remaining_ > limit) {
    // RFC 9110 §15.5.14: refuse before reading any of the body.
    note_reason("request_body_too_large");
    co_await send_error(413);
    co_return ReadOutcome::Refused;
  }

  // RFC 9110 §10.1.1: 100-continue is answered when the body is first read; a server
  // ignores it in an HTTP/1.0 request. Any other expectation cannot be met.
  continue_pending_ = false;
  if (auto expect = head.headers.get("Expect")) {
    if (iequals(*expect, "100-continue")) {
      continue_pending_ = head.version == http::Version::Http11 &&
                          (body_remaining_ > 0 || chunked_) && in_.empty();
    } else if (head.version == http::Version::Http11) {
      note_reason("unsupported_expectation");
      co_await send_error(417);
      co_return ReadOutcome::Refused;
    }
  }
  co_return ReadOutcome::Request;
}

asio::awaitable<void> Http1Session::serve_request() {
  response_ = ResponseState{};
  client_error_status_ = 0;

  co_await handler_->handle(*this);

  if (!response_.head_sent && stream_.is_open()) {
    // The handler gave up without answering: the client broke the request (timeout,
    // malformed body) or the handler failed.
    const int status = client_error_status_ != 0 ? client_error_status_ : 500;
    co_await send_error(status);
  } else if (!response_.finished) {
    // A truncated response: closing is the only way to tell the client.
    keep_alive_ = false;
  }
}

asio::awaitable<bool> Http1Session::finish_exchange() {
  write_access_log();
  if (tunnelled_) {
    co_return false;
  }
  if (!keep_alive_ || !response_.finished || !stream_.is_open()) {
    co_await linger_and_close();
    co_return false;
  }

  // Throw away a small request body the handler did not read, so its bytes are never
  // taken for the next request (C21).
  while (!body_complete()) {
    auto piece = co_await read_body();
    if (!piece) {
      close_socket();
      co_return false;
    }
  }

  chunk_decoder_.reset();
  request_trailers_.clear();
  if (gathered_body_.capacity() > kReadChunk) {
    gathered_body_ = std::string();  // a large copy is not kept for the next request
  }
  co_return true;
}

asio::awaitable<Result<std::size_t>> Http1Session::read_more(std::chrono::milliseconds timeout) {
  if (timeout.count() > 0) {
    watchdog_->expires_after(timeout);
  }
  auto space = in_.prepare(kReadChunk);
  auto [ec, n] = co_await stream_.async_read_some(asio::buffer(space.data(), space.size()),
                                                  net::kNoThrow);
  if (timeout.count() > 0) {
    watchdog_->disarm();
  }
  if (ec) {
    if (watchdog_->expired()) {
      co_return downstream_error(ErrorKind::ReadTimeout, "client read timed out");
    }
    if (ec == asio::error::eof) {
      co_return downstream_error(ErrorKind::ConnectionClosed, "client closed");
    }
    co_return downstream_error(ErrorKind::Io, ec.message());
  }
  in_.commit(n);
  co_return n;
}

asio::awaitable<Result<std::string_view>> Http1Session::read_body() {
  if (continue_pending_) {
    continue_pending_ = false;
    if (!response_.head_sent) {
      out_.append("HTTP/1.1 100 Continue\r\n\r\n");
      auto sent = co_await write_out();
      if (!sent) {
        co_return sent.error();
      }
    }
  }

  if (chunked_) {
    co_return co_await read_chunked_body();
  }
  if (body_remaining_ == 0) {
    co_return std::string_view();
  }

  if (in_.empty()) {
    if (auto read = co_await read_more_body(); !read) {
      co_return read.error();
    }
  }
  const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), body_remaining_));
  // Safety: the view points into in_, whose bytes stay in place until the next prepare(),
  // which only happens in the next read_body() call.
  const auto piece = in_.readable().substr(0, take);
  in_.consume(take);
  body_remaining_ -= take;
  body_received_ += take;
  co_return piece;
}

asio::awaitable<Result<std::string_view>> Http1Session::read_chunked_body() {
  while (true) {
    if (!in_.empty()) {
      auto piece = decode_buffered_chunks();
      if (!piece) {
        co_return piece.error();
      }
      // Data, or the end of the body (chunked_ now false, the empty view says so).
      if (!piece->empty() || !chunked_) {
        co_return *piece;
      }
    }

    if (auto read = co_await read_more_body(); !read) {
      co_return read.error();
    }
  }
}

Result<std::string_view> Http1Session::decode_buffered_chunks() {
  const auto limit = options_->max_request_body_bytes;
  // The first run of data is handed out where it lies in in_; only when a second one
  // follows are they copied together into gathered_body_. A body of many tiny chunks then
  // costs one upstream write per read from the client, not one per chunk.
  std::string_view first;
  gathered_body_.clear();
  while (!in_.empty()) {
    const auto step = chunk_decoder_->decode(in_.readable());
    if (step.error) {
      client_error_status_ = step.error->status;
      keep_alive_ = false;
      note_reason(step.error->reason);
      return downstream_error(ErrorKind::InvalidMessage, step.error->reason);
    }
    // Safety: consume() only moves the read position; `first` and step.data point into
    // in_, whose bytes stay in place until the next prepare(), which only a read does.
    in_.consume(step.consumed);
    if (!step.data.empty()) {
      body_received_ += step.data.size();
      if (limit != 0 && body_received_ > limit) {
        client_error_status_ = 413;
        keep_alive_ = false;
        note_reason("request_body_too_large");
        return downstream_error(ErrorKind::TooLarge, "request body too large");
      }
      if (first.empty()) {
        first = step.data;
      } else {
        if (gathered_body_.empty()) {
          gathered_body_.assign(first);
        }
        gathered_body_.append(step.data);
      }
    }
    if (step.done) {
      chunked_ = false;
      request_trailers_ = chunk_decoder_->trailers();
      break;
    }
    const auto gathered = gathered_body_.empty() ? first.size() : gathered_body_.size();
    if (step.consumed == 0 || gathered >= kGatherBodyBytes) {
      break;
    }
  }
  return gathered_body_.empty() ? first : std::string_view(gathered_body_);
}

asio::awaitable<Result<void>> Http1Session::read_more_body() {
  const auto started = net::Clock::now();
  auto read = co_await read_more(options_->request_body_idle_timeout);
  body_wait_ += net::Clock::now() - started;
  if (!read) {
    client_error_status_ = read.error().kind == ErrorKind::ReadTimeout ? 408 : 400;
    keep_alive_ = false;
    note_reason(read.error().kind == ErrorKind::ReadTimeout ? "request_body_timeout"
                                                            : "client_closed");
    co_return read.error();
  }

  // Slow-body protection: a client that trickles its body (a byte every few seconds,
  // each gap inside the idle timeout) is held to an average rate once it has kept us
  // waiting longer than the idle timeout. Only our waiting for it counts.
  const auto rate = options_->min_request_body_rate;
  const auto waited = std::chrono::duration<double>(body_wait_).count();
  if (rate != 0 && body_wait_ > options_->request_body_idle_timeout &&
      static_cast<double>(body_received_ + in_.size()) < static_cast<double>(rate) * waited) {
    client_error_status_ = 408;
    keep_alive_ = false;
    note_reason("request_body_too_slow");
    co_return downstream_error(ErrorKind::ReadTimeout, "request body too slow");
  }
  co_return Result<void>();
}

asio::awaitable<Result<void>> Http1Session::send_interim(const http::ResponseHead& head) {
  // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
  if (client_is_http10() && head.status != 101) {
    co_return Result<void>();
  }
  http1::write_response_head(head, out_);
  co_return co_await write_out();
}

asio::awaitable<Result<void>> Http1Session::send_head(http::ResponseHead head,
                                                      http::BodyFraming framing) {
  RIVER_CHECK(!response_.head_sent);
  continue_pending_ = false;

  // A request body left unread decides whether this connection can go on: a small one is
  // drained afterwards, anything else (or a client still waiting for 100 Continue) means
  // closing, announced in this head.
  if (!body_complete()) {
    const bool can_drain = !chunked_ && body_remaining_ <= kMaxDrainBytes;
    if (!can_drain) {
      keep_alive_ = false;
    }
  }
  if (draining_) {
    keep_alive_ = false;
  }

  auto& fields = head.headers;
  fields.remove("Transfer-Encoding");
  fields.remove("Connection");
  head.version = http::Version::Http11;
  if (head.reason.empty()) {
    head.reason = std::string(http::reason_phrase(head.status));
  }

  if (http::response_has_no_body(request_.head.method, head.status)) {
    response_.framing = ResponseFraming::None;
    // A HEAD or 304 response may announce the length a GET would have had (RFC 9110
    // §8.6): from the handler's framing, or else as the upstream said it.
    if (framing.kind == http::BodyFraming::Kind::ContentLength) {
      fields.set("Content-Length", fmt::format_int(framing.length).str());
    } else if (head.status == 204 || head.status < 200) {
      fields.remove("Content-Length");
    }
  } else {
    fields.remove("Content-Length");
    switch (framing.kind) {
      case http::BodyFraming::Kind::None:
        response_.framing = ResponseFraming::ContentLength;
        response_.expected_bytes = 0;
        fields.add("Content-Length", "0");
        break;
      case http::BodyFraming::Kind::ContentLength:
        response_.framing = ResponseFraming::ContentLength;
        response_.expected_bytes = framing.length;
        fields.add("Content-Length", fmt::format_int(framing.length).str());
        break;
      case http::BodyFraming::Kind::Chunked:
      case http::BodyFraming::Kind::UntilClose:
        // RFC 9112 §6.1: no Transfer-Encoding to an HTTP/1.0 client; its response ends
        // when the connection closes.
        if (client_is_http10()) {
          response_.framing = ResponseFraming::UntilClose;
          keep_alive_ = false;
        } else {
          response_.framing = ResponseFraming::Chunked;
          fields.add("Transfer-Encoding", "chunked");
        }
        break;
    }
  }

  if (!keep_alive_) {
    fields.add("Connection", "close");
  } else if (client_is_http10()) {
    fields.add("Connection", "keep-alive");
  }

  response_.status = head.status;
  response_.head_sent = true;
  http1::write_response_head(head, out_);
  // The head stays in out_ so it leaves together with the first piece of body.
  co_return Result<void>();
}

asio::awaitable<Result<void>> Http1Session::send_body(std::string_view data) {
  RIVER_CHECK(response_.head_sent);
  if (data.empty() || response_.framing == ResponseFraming::None) {
    co_return Result<void>();
  }
  if (response_.framing == ResponseFraming::ContentLength &&
      response_.bytes_out + data.size() > response_.expected_bytes) {
    keep_alive_ = false;
    co_return Error{ErrorKind::Internal, Side::Internal, false, "body longer than announced"};
  }
  response_.bytes_out += data.size();

  const bool chunked = response_.framing == ResponseFraming::Chunked;
  if (chunked) {
    http1::write_chunk_header(data.size(), out_);
  }
  if (data.size() <= kCoalesceBytes) {
    out_.append(data);
    if (chunked) {
      out_.append("\r\n");
    }
    co_return co_await write_out();
  }
  co_return co_await write_out(data, chunked ? std::string_view("\r\n") : std::string_view());
}

asio::awaitable<Result<void>> Http1Session::finish(const http::HeaderMap& trailers) {
  RIVER_CHECK(response_.head_sent);
  if (response_.framing == ResponseFraming::Chunked) {
    http1::write_last_chunk(trailers, out_);
  }
  if (response_.framing == ResponseFraming::ContentLength &&
      response_.bytes_out != response_.expected_bytes) {
    keep_alive_ = false;
    co_return Error{ErrorKind::Internal, Side::Internal, false, "body shorter than announced"};
  }
  auto sent = co_await write_out();
  if (sent) {
    response_.finished = true;
  }
  co_return sent;
}

asio::awaitable<Result<void>> Http1Session::write_out(std::string_view extra,
                                                      std::string_view tail) {
  std::array<asio::const_buffer, 3> buffers = {asio::buffer(out_), asio::buffer(extra),
                                               asio::buffer(tail)};
  watchdog_->expires_after(options_->write_idle_timeout);
  auto [ec, n] = co_await asio::async_write(stream_, buffers, net::kNoThrow);
  watchdog_->disarm();
  out_.clear();
  if (ec) {
    keep_alive_ = false;
    const auto kind = watchdog_->expired() ? ErrorKind::WriteTimeout : ErrorKind::Io;
    co_return downstream_error(kind, ec.message());
  }
  co_return Result<void>();
}

asio::awaitable<void> Http1Session::send_error(int status) {
  keep_alive_ = false;
  if (response_.head_sent) {
    co_return;
  }
  const auto body = fmt::format("{} {}\n", status, http::reason_phrase(status));
  http::ResponseHead head;
  head.status = status;
  head.headers.add("Server", "river");
  head.headers.add("Date", http::http_date_now());
  head.headers.add("Content-Type", "text/plain; charset=utf-8");
  http::BodyFraming framing{http::BodyFraming::Kind::ContentLength, body.size()};
  continue_pending_ = false;
  (void)co_await send_head(std::move(head), framing);
  if (co_await send_body(body)) {
    (void)co_await finish(http::HeaderMap());
  }
}

asio::awaitable<void> Http1Session::linger_and_close() {
  if (!stream_.is_open()) {
    co_return;
  }
  if (stream_.is_tls()) {
    // The TLS shutdown at the end of run() reads (and drops) what the client still sends
    // until its close_notify: that is the lingering close for TLS.
    co_return;
  }
  // Only a client that may still be sending needs the lingering read; the others are
  // closed at once.
  const bool may_have_input = !in_.empty() || !body_complete() || response_.status >= 400;
  if (may_have_input) {
    stream_.shutdown_send();
    watchdog_->expires_after(kLingerTime);
    std::array<char, 4096> scratch{};
    std::size_t discarded = 0;
    while (discarded < kLingerBytes) {
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(scratch), net::kNoThrow);
      if (ec) {
        break;
      }
      discarded += n;
    }
    watchdog_->disarm();
  }
  close_socket();
}

asio::awaitable<void> Http1Session::tunnel(tls::Stream upstream, std::string upstream_early) {
  using namespace asio::experimental::awaitable_operators;
  tunnelled_ = true;
  keep_alive_ = false;
  response_.head_sent = true;
  response_.finished = true;
  response_.status = 101;
  watchdog_->disarm();

  // Bytes the client sent after its upgrade request belong to the new protocol.
  std::string client_early(in_.readable());
  in_.clear();

  auto relay = [](tls::Stream& from, tls::Stream& to, std::string early,
                  std::uint64_t& counter) -> asio::awaitable<void> {
    if (!early.empty()) {
      auto [ec, n] = co_await asio::async_write(to, asio::buffer(early), net::kNoThrow);
      if (ec) {
        co_return;
      }
      counter += n;
    }
    std::array<char, 16 * 1024> buffer{};
    while (true) {
      auto [read_ec, n] = co_await from.async_read_some(asio::buffer(buffer), net::kNoThrow);
      if (read_ec) {
        break;
      }
      auto [write_ec, written] =
          co_await asio::async_write(to, asio::buffer(buffer.data(), n), net::kNoThrow);
      if (write_ec) {
        break;
      }
      counter += written;
    }
    // Pass the end of this direction on; the other direction may still be talking.
    to.shutdown_send();
  };

  std::uint64_t to_upstream = 0;
  co_await (relay(stream_, upstream, std::move(client_early), to_upstream) &&
            relay(upstream, stream_, std::move(upstream_early), response_.bytes_out));
  body_received_ += to_upstream;
  upstream.close();
  close_socket();
}

void Http1Session::note_upstream(std::string_view peer, bool reused,
                                 std::chrono::microseconds time_to_head) {
  response_.upstream = std::string(peer);
  response_.upstream_reused = reused;
  response_.upstream_ms = static_cast<double>(time_to_head.count()) / 1000.0;
}

void Http1Session::write_access_log() {
  const auto& access_log = options_->access_log;
  if (!access_log || !access_log->enabled()) {
    return;
  }
  const auto elapsed = net::Clock::now() - request_start_;
  observe::AccessRecord record;
  record.service = options_->service;
  record.client = client_ip_;
  record.method = request_.head.method;
  record.target = request_.head.target;
  record.protocol = http::to_string(request_.head.version);
  record.status = response_.status;
  record.bytes_in = body_received_;
  record.bytes_out = response_.bytes_out;
  record.upstream = response_.upstream;
  record.upstream_reused = response_.upstream_reused;
  record.upstream_ms = response_.upstream_ms;
  record.total_ms = std::chrono::duration<double, std::milli>(elapsed).count();
  record.reason = response_.reason;
  access_log->write(record);
}

}  // namespace river::proxy
