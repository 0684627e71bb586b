#include "proxy/upstream_h2.h"

#include <algorithm>
#include <cstring>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "observe/log.h"
#include "upstream/connector.h"

namespace river::proxy {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
// Output is gathered up to this size before one write.
constexpr std::size_t kWriteBatch = 64 * 1024;

spdlog::logger& module_log() {
  static auto& instance = observe::logger("upstream_h2");
  return instance;
}

Error stream_error(ErrorKind kind, std::string context, bool retryable = false) {
  return Error{kind, Side::Upstream, retryable, std::move(context)};
}

void log_exception(std::exception_ptr error) {
  // Reaching this is a bug: nothing on the data path throws.
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      module_log().error("upstream h2 connection ended by exception error={}", e.what());
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// UpstreamH2Stream: the requester's side

UpstreamH2Stream::UpstreamH2Stream(std::vector<http::Header> fields, bool has_body,
                                   asio::any_io_executor requester)
    : requester_(requester),
      event_signal_(requester),
      space_signal_(requester),
      fields_(std::move(fields)),
      has_body_(has_body) {}

void UpstreamH2Stream::wake() {
  event_signal_.cancel();
  space_signal_.cancel();
}

void UpstreamH2Stream::deliver(std::vector<H2Event> events, std::size_t body_sent) {
  body_in_flight_ -= std::min(body_in_flight_, body_sent);
  std::size_t unwanted = 0;
  for (auto& event : events) {
    if (event.kind == H2Event::Kind::End || event.kind == H2Event::Kind::Closed) {
      done_ = true;
    }
    if (cancelled_) {
      // Nobody reads these any more: the window goes back at once.
      if (event.kind == H2Event::Kind::Data) {
        unwanted += event.data.size();
      }
      continue;
    }
    events_.push_back(std::move(event));
  }
  if (unwanted > 0) {
    consumed(unwanted);
  }
  wake();
}

asio::awaitable<Result<H2Event>> UpstreamH2Stream::next_event(std::chrono::milliseconds timeout) {
  while (true) {
    if (!events_.empty()) {
      auto event = std::move(events_.front());
      events_.pop_front();
      co_return event;
    }
    if (done_ || cancelled_) {
      co_return stream_error(ErrorKind::ConnectionClosed, "upstream stream ended");
    }
    event_signal_.expires_after(timeout);
    auto [ec] = co_await event_signal_.async_wait(net::kNoThrow);
    if (!ec && events_.empty()) {
      co_return stream_error(ErrorKind::ReadTimeout, "upstream stream timed out");
    }
  }
}

void UpstreamH2Stream::consumed(std::size_t bytes) {
  if (bytes == 0 || !connection_) {
    return;
  }
  asio::post(connection_->home_, [connection = connection_, self = shared_from_this(), bytes] {
    connection->on_consumed(self, bytes);
  });
}

asio::awaitable<Result<void>> UpstreamH2Stream::send_body(std::string_view data,
                                                          std::chrono::milliseconds timeout) {
  if (done_ || cancelled_) {
    co_return stream_error(ErrorKind::ConnectionClosed, "upstream stream ended");
  }
  body_in_flight_ += data.size();
  asio::post(connection_->home_, [connection = connection_, self = shared_from_this(),
                                  bytes = std::string(data)]() mutable {
    connection->on_body(self, std::move(bytes));
  });
  // Bounded buffering: a slow upstream holds the client's body back.
  while (body_in_flight_ > kBodyInFlight && !done_ && !cancelled_) {
    space_signal_.expires_after(timeout);
    auto [ec] = co_await space_signal_.async_wait(net::kNoThrow);
    if (!ec && body_in_flight_ > kBodyInFlight && !done_ && !cancelled_) {
      co_return stream_error(ErrorKind::WriteTimeout, "upstream does not take the body");
    }
  }
  if (done_ || cancelled_) {
    co_return stream_error(ErrorKind::ConnectionClosed, "upstream stream ended");
  }
  co_return Result<void>();
}

void UpstreamH2Stream::end_body(std::vector<http::Header> trailers) {
  if (cancelled_ || !connection_) {
    return;
  }
  asio::post(connection_->home_, [connection = connection_, self = shared_from_this(),
                                  trailers = std::move(trailers)]() mutable {
    connection->on_end_body(self, std::move(trailers));
  });
}

void UpstreamH2Stream::cancel() {
  if (cancelled_ || !connection_) {
    return;
  }
  cancelled_ = true;
  std::size_t unread = 0;
  for (const auto& event : events_) {
    if (event.kind == H2Event::Kind::Data) {
      unread += event.data.size();
    }
  }
  events_.clear();
  auto self = shared_from_this();
  asio::post(connection_->home_, [connection = connection_, self, unread] {
    connection->on_cancel(self);
    if (unread > 0) {
      connection->on_consumed(self, unread);
    }
  });
  wake();
}

// ---------------------------------------------------------------------------------------
// UpstreamH2Connection: everything below runs on the home executor

UpstreamH2Connection::UpstreamH2Connection(asio::any_io_executor home, std::string key,
                                           std::weak_ptr<UpstreamH2Registry> registry)
    : home_(home),
      key_(std::move(key)),
      registry_(std::move(registry)),
      write_wakeup_(home),
      idle_since_(net::Clock::now()) {}

UpstreamH2Connection::~UpstreamH2Connection() = default;

void UpstreamH2Connection::start_stream(std::shared_ptr<UpstreamH2Stream> stream) {
  stream->connection_ = shared_from_this();
  asio::post(home_, [self = shared_from_this(), stream = std::move(stream)] {
    self->submit(stream);
    self->flush();
  });
}

void UpstreamH2Connection::close_when_idle() {
  asio::post(home_, [self = shared_from_this()] {
    self->close_when_idle_ = true;
    if (self->h2_ && self->state_ == State::Ready) {
      self->h2_->shutdown_gracefully();
    }
    self->kick_writer();
  });
}

asio::awaitable<void> UpstreamH2Connection::run(H2Target target) {
  auto self = shared_from_this();
  std::optional<upstream::TlsTarget> tls;
  if (target.tls) {
    tls.emplace(upstream::TlsTarget{*target.tls, target.server_name});
  }
  auto opened = co_await upstream::connect(target.address, target.connect_timeout,
                                           tls ? &*tls : nullptr);
  if (!opened) {
    module_log().debug("upstream h2 connect failed peer={} error={}", target.address.to_string(),
                       opened.error().context);
    // The peer cannot be reached: trying the same peer again at once would only wait as
    // long again, so the waiting requests are answered (502, 504) instead.
    auto error = opened.error();
    error.retryable = false;
    close(std::move(error));
    co_return;
  }
  if (target.tls && opened->handshake_info().alpn != "h2") {
    // RFC 9113 §3.3: without "h2" from ALPN the peer does not speak HTTP/2 over TLS.
    if (auto registry = registry_.lock(); registry && target.h1_fallback) {
      registry->remember_protocol(key_, false);
    }
    // Nothing was sent: the requests may go again (over HTTP/1 with h2-or-h1).
    close(stream_error(ErrorKind::Unsupported, "upstream did not choose h2 by ALPN",
                       target.h1_fallback));
    co_return;
  }
  co_await serve(std::move(*opened), target.write_timeout);
}

asio::awaitable<void> UpstreamH2Connection::run_connected(tls::Stream stream,
                                                          std::chrono::milliseconds write_timeout) {
  auto self = shared_from_this();
  co_await serve(std::move(stream), write_timeout);
}

asio::awaitable<void> UpstreamH2Connection::serve(tls::Stream stream,
                                                  std::chrono::milliseconds write_timeout) {
  using namespace asio::experimental::awaitable_operators;
  stream_.emplace(std::move(stream));
  auto created = http2::ClientSession::create(http2::ClientSettings{}, *this);
  if (!created) {
    close(created.error());
    co_return;
  }
  h2_ = std::move(*created);
  state_ = State::Ready;
  module_log().debug("upstream h2 connection open key={}", key_);
  if (close_when_idle_) {
    h2_->shutdown_gracefully();
  }
  flush();

  write_timeout_ = write_timeout;
  write_watchdog_ = net::Watchdog::start(home_, [this] { stream_->cancel(); });
  co_await (read_loop() && write_loop());
  write_watchdog_->stop();
}

asio::awaitable<void> UpstreamH2Connection::read_loop() {
  auto self = shared_from_this();
  std::string buffer(kReadChunk, '\0');
  while (state_ == State::Ready) {
    auto [ec, n] = co_await stream_->async_read_some(asio::buffer(buffer), net::kNoThrow);
    if (ec) {
      break;
    }
    auto received = h2_->receive(std::string_view(buffer.data(), n));
    if (settings_seen_ && !pending_.empty()) {
      for (auto& stream : std::exchange(pending_, {})) {
        submit(stream);
      }
    }
    flush();
    kick_writer();
    if (!received) {
      module_log().debug("upstream h2 connection error key={} error={}", key_,
                         received.error().context);
      break;
    }
    if (!h2_->wants_read()) {
      break;
    }
  }
  reader_done_ = true;
  kick_writer();
}

asio::awaitable<void> UpstreamH2Connection::write_loop() {
  auto self = shared_from_this();
  while (state_ == State::Ready) {
    out_.clear();
    while (out_.size() < kWriteBatch) {
      const auto piece = h2_->next_output();
      if (piece.empty()) {
        break;
      }
      out_.append(piece);
    }
    // read_body() ran while gathering: the requesters learn their body bytes left.
    flush();
    if (!out_.empty()) {
      write_watchdog_->expires_after(write_timeout_);
      auto [ec, n] = co_await asio::async_write(*stream_, asio::buffer(out_), net::kNoThrow);
      write_watchdog_->disarm();
      if (ec) {
        break;
      }
      continue;
    }
    if (reader_done_ || (!h2_->wants_read() && !h2_->wants_write())) {
      break;
    }
    if ((going_away_ || close_when_idle_) && streams_.empty() && pending_.empty()) {
      break;
    }
    write_wakeup_.expires_at(net::Clock::time_point::max());
    co_await write_wakeup_.async_wait(net::kNoThrow);
  }
  close(stream_error(ErrorKind::ConnectionClosed, "upstream h2 connection closed"));
}

void UpstreamH2Connection::kick_writer() { write_wakeup_.cancel(); }

void UpstreamH2Connection::submit(const std::shared_ptr<UpstreamH2Stream>& stream) {
  if (stream->closed_home_) {
    return;  // cancelled before it started
  }
  if (state_ == State::Connecting || (state_ == State::Ready && !settings_seen_)) {
    // Requests wait for the peer's SETTINGS (the first frame it sends, RFC 9113 §3.4):
    // until then its stream limit is unknown, and streams past it would be refused.
    pending_.push_back(stream);
    return;
  }
  if (state_ == State::Closed || going_away_) {
    fail_stream(stream, stream_error(ErrorKind::ConnectionClosed, "upstream h2 connection gone"),
                true);
    return;
  }
  auto id = h2_->submit_request(stream->fields_, stream->has_body_);
  if (!id) {
    fail_stream(stream, id.error(), true);
    return;
  }
  stream->id_ = *id;
  stream->fields_.clear();
  streams_.emplace(*id, stream);
  kick_writer();
}

void UpstreamH2Connection::mark(const std::shared_ptr<UpstreamH2Stream>& stream) {
  if (!stream->dirty_) {
    stream->dirty_ = true;
    dirty_streams_.push_back(stream);
  }
}

void UpstreamH2Connection::flush() {
  for (auto& stream : dirty_streams_) {
    stream->dirty_ = false;
    asio::post(stream->requester_, [stream, events = std::exchange(stream->batch_, {}),
                                    sent = std::exchange(stream->sent_batch_, 0)]() mutable {
      stream->deliver(std::move(events), sent);
    });
  }
  dirty_streams_.clear();
}

void UpstreamH2Connection::fail_stream(const std::shared_ptr<UpstreamH2Stream>& stream,
                                       Error error, bool refused) {
  if (stream->closed_home_) {
    return;
  }
  stream->closed_home_ = true;
  H2Event event;
  event.kind = H2Event::Kind::Closed;
  event.error = std::move(error);
  event.refused = refused;
  stream->batch_.push_back(std::move(event));
  mark(stream);
  release_slot();
}

void UpstreamH2Connection::release_slot() {
  if (auto registry = registry_.lock()) {
    registry->release(*this);
  }
}

void UpstreamH2Connection::close(Error error) {
  if (state_ == State::Closed) {
    return;
  }
  const bool was_connecting = state_ == State::Connecting;
  state_ = State::Closed;
  if (auto registry = registry_.lock()) {
    registry->remove(*this);
  }
  if (stream_) {
    stream_->close();
  }
  write_wakeup_.cancel();
  for (auto& stream : std::exchange(pending_, {})) {
    // Never sent: safe to send again, unless the connection itself could not be made.
    error.retryable = error.retryable || !was_connecting;
    fail_stream(stream, error, error.retryable);
  }
  for (auto& [id, stream] : std::exchange(streams_, {})) {
    // The peer may have processed these; only the request's own properties decide a retry.
    fail_stream(stream, stream_error(ErrorKind::ConnectionReset, "upstream h2 connection lost"),
                false);
  }
  flush();
  module_log().debug("upstream h2 connection closed key={} reason={}", key_, error.context);
}

std::shared_ptr<UpstreamH2Stream> UpstreamH2Connection::find(std::int32_t stream_id) {
  const auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second;
}

// Requester → home

void UpstreamH2Connection::on_body(const std::shared_ptr<UpstreamH2Stream>& stream,
                                   std::string data) {
  if (stream->closed_home_) {
    // Nobody will frame these: the requester must not wait for them.
    stream->sent_batch_ += data.size();
    mark(stream);
    flush();
    return;
  }
  if (stream->body_pos_ == stream->body_out_.size()) {
    stream->body_out_.clear();
    stream->body_pos_ = 0;
  }
  stream->body_out_.append(data);
  if (stream->id_ > 0 && h2_) {
    h2_->resume_body(stream->id_);
    kick_writer();
  }
}

void UpstreamH2Connection::on_end_body(const std::shared_ptr<UpstreamH2Stream>& stream,
                                       std::vector<http::Header> trailers) {
  stream->body_end_ = true;
  stream->trailers_out_ = std::move(trailers);
  if (stream->id_ > 0 && h2_ && !stream->closed_home_) {
    h2_->resume_body(stream->id_);
    kick_writer();
  }
}

void UpstreamH2Connection::on_consumed(const std::shared_ptr<UpstreamH2Stream>& stream,
                                       std::size_t bytes) {
  if (h2_ && stream->id_ > 0 && state_ == State::Ready) {
    h2_->consume(stream->id_, bytes);
    kick_writer();
  }
}

void UpstreamH2Connection::on_cancel(const std::shared_ptr<UpstreamH2Stream>& stream) {
  if (stream->closed_home_) {
    return;
  }
  stream->closed_home_ = true;
  release_slot();
  if (stream->id_ == 0) {
    std::erase(pending_, stream);
    return;
  }
  if (h2_ && state_ == State::Ready) {
    h2_->reset_stream(stream->id_, http2::ErrorCode::Cancel);
    kick_writer();
  }
}

// http2::ClientEvents

void UpstreamH2Connection::on_field(std::int32_t stream_id, std::string_view name,
                                    std::string_view value) {
  if (auto stream = find(stream_id); stream && !stream->closed_home_) {
    stream->builder_.add(name, value);
  }
}

void UpstreamH2Connection::on_block(std::int32_t stream_id, http2::BlockKind kind) {
  auto stream = find(stream_id);
  if (!stream || stream->closed_home_) {
    return;
  }
  const bool trailer = kind == http2::BlockKind::Trailer;
  auto& builder = stream->builder_;
  if (builder.finish(trailer) != http2::Verdict::Ok || (trailer && !stream->final_head_seen_)) {
    module_log().debug("upstream h2 response refused key={} stream={} reason={}", key_,
                       stream_id, builder.reason());
    h2_->reset_stream(stream_id, http2::ErrorCode::ProtocolError);
    fail_stream(stream, stream_error(ErrorKind::InvalidMessage, "malformed upstream response"),
                false);
    return;
  }
  H2Event event;
  switch (kind) {
    case http2::BlockKind::Interim:
      event.kind = H2Event::Kind::Interim;
      break;
    case http2::BlockKind::Head:
      event.kind = H2Event::Kind::Head;
      event.content_length = builder.content_length();
      stream->final_head_seen_ = true;
      break;
    case http2::BlockKind::Trailer:
      event.kind = H2Event::Kind::Trailers;
      break;
  }
  event.head = std::move(builder.head());
  builder.reset();
  stream->batch_.push_back(std::move(event));
  mark(stream);
}

void UpstreamH2Connection::on_data(std::int32_t stream_id, std::string_view data) {
  auto stream = find(stream_id);
  if (!stream || stream->closed_home_) {
    h2_->consume(stream_id, data.size());
    return;
  }
  auto& batch = stream->batch_;
  if (!batch.empty() && batch.back().kind == H2Event::Kind::Data) {
    batch.back().data.append(data);
  } else {
    H2Event event;
    event.kind = H2Event::Kind::Data;
    event.data = std::string(data);
    batch.push_back(std::move(event));
  }
  mark(stream);
}

void UpstreamH2Connection::on_end_stream(std::int32_t stream_id) {
  auto stream = find(stream_id);
  if (!stream || stream->closed_home_) {
    return;
  }
  auto& batch = stream->batch_;
  if (!batch.empty() && batch.back().kind == H2Event::Kind::Head) {
    batch.back().end_stream = true;
  }
  stream->end_seen_ = true;
  H2Event event;
  event.kind = H2Event::Kind::End;
  batch.push_back(std::move(event));
  mark(stream);
}

void UpstreamH2Connection::on_stream_close(std::int32_t stream_id, http2::ErrorCode error) {
  auto stream = find(stream_id);
  if (!stream) {
    return;
  }
  streams_.erase(stream_id);
  if (!stream->closed_home_) {
    if (stream->end_seen_) {
      // The response was complete (a reset after it only ends the request's body).
      stream->closed_home_ = true;
      release_slot();
    } else {
      const bool refused = error == http2::ErrorCode::RefusedStream;
      fail_stream(stream,
                  stream_error(ErrorKind::ConnectionReset,
                               fmt::format("upstream reset stream error={}", to_string(error)),
                               refused),
                  refused);
    }
  }
  if (streams_.empty()) {
    kick_writer();
  }
}

void UpstreamH2Connection::on_goaway(std::int32_t last_stream_id, http2::ErrorCode error) {
  module_log().debug("upstream h2 goaway key={} last_stream={} error={}", key_, last_stream_id,
                     to_string(error));
  going_away_ = true;
  if (auto registry = registry_.lock()) {
    registry->stop_accepting(*this);
  }
  kick_writer();
}

void UpstreamH2Connection::on_settings(std::uint32_t max_concurrent_streams) {
  settings_seen_ = true;
  if (auto registry = registry_.lock()) {
    registry->set_max_streams(*this, max_concurrent_streams);
  }
}

http2::BodyChunk UpstreamH2Connection::read_body(std::int32_t stream_id,
                                                 std::span<std::uint8_t> out) {
  using State = http2::BodyChunk::State;
  auto stream = find(stream_id);
  if (!stream) {
    return {0, State::End};
  }
  const auto pending = stream->body_out_.size() - stream->body_pos_;
  const auto take = std::min(out.size(), pending);
  if (take > 0) {
    std::memcpy(out.data(), stream->body_out_.data() + stream->body_pos_, take);
    stream->body_pos_ += take;
    stream->sent_batch_ += take;
    mark(stream);
  }
  if (stream->body_pos_ < stream->body_out_.size() || !stream->body_end_) {
    return take > 0 ? http2::BodyChunk{take, State::More} : http2::BodyChunk{0, State::Deferred};
  }
  if (!stream->trailers_out_.empty() && h2_->submit_trailers(stream_id, stream->trailers_out_)) {
    return {take, State::EndBeforeTrailers};
  }
  return {take, State::End};
}

// ---------------------------------------------------------------------------------------
// UpstreamH2Registry: any thread

std::shared_ptr<UpstreamH2Connection> UpstreamH2Registry::reserve(const std::string& key) {
  std::lock_guard lock(mutex_);
  const auto found = live_.find(key);
  if (found == live_.end()) {
    return nullptr;
  }
  // First fit: streams gather on the oldest connections, so the others go idle and expire.
  for (auto& connection : found->second) {
    if (connection->accepting_ && connection->slots_used_ < connection->max_streams_) {
      ++connection->slots_used_;
      return connection;
    }
  }
  return nullptr;
}

std::shared_ptr<UpstreamH2Connection> UpstreamH2Registry::add(const std::string& key,
                                                              asio::any_io_executor home) {
  auto connection = std::make_shared<UpstreamH2Connection>(home, key, weak_from_this());
  std::lock_guard lock(mutex_);
  connection->slots_used_ = 1;
  live_[key].push_back(connection);
  return connection;
}

std::shared_ptr<UpstreamH2Connection> UpstreamH2Registry::open(const std::string& key,
                                                               H2Target target,
                                                               asio::any_io_executor home) {
  auto connection = add(key, home);
  asio::co_spawn(home, connection->run(std::move(target)), log_exception);
  return connection;
}

std::shared_ptr<UpstreamH2Connection> UpstreamH2Registry::adopt(
    const std::string& key, tls::Stream stream, asio::any_io_executor home,
    std::chrono::milliseconds write_timeout) {
  auto connection = add(key, home);
  asio::co_spawn(home, connection->run_connected(std::move(stream), write_timeout),
                 log_exception);
  return connection;
}

bool UpstreamH2Registry::is_known_h2(const std::string& key) const {
  std::lock_guard lock(mutex_);
  return h2_peers_.contains(key);
}

void UpstreamH2Registry::remember_protocol(const std::string& key, bool h2) {
  std::lock_guard lock(mutex_);
  if (h2) {
    h2_peers_.insert(key);
  } else {
    h2_peers_.erase(key);
  }
}

void UpstreamH2Registry::release(UpstreamH2Connection& connection) {
  std::lock_guard lock(mutex_);
  if (connection.slots_used_ > 0 && --connection.slots_used_ == 0) {
    connection.idle_since_ = net::Clock::now();
  }
}

void UpstreamH2Registry::set_max_streams(UpstreamH2Connection& connection,
                                         std::uint32_t max_streams) {
  std::lock_guard lock(mutex_);
  connection.max_streams_ = max_streams;
}

void UpstreamH2Registry::stop_accepting(UpstreamH2Connection& connection) {
  std::lock_guard lock(mutex_);
  connection.accepting_ = false;
}

void UpstreamH2Registry::remove(UpstreamH2Connection& connection) {
  std::lock_guard lock(mutex_);
  connection.accepting_ = false;
  const auto found = live_.find(connection.key_);
  if (found == live_.end()) {
    return;
  }
  std::erase_if(found->second, [&](const auto& item) { return item.get() == &connection; });
  if (found->second.empty()) {
    live_.erase(found);
  }
}

void UpstreamH2Registry::sweep() {
  const auto now = net::Clock::now();
  std::vector<std::shared_ptr<UpstreamH2Connection>> expired;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, list] : live_) {
      for (auto& connection : list) {
        if (connection->accepting_ && connection->slots_used_ == 0 &&
            now - connection->idle_since_ > idle_timeout_) {
          connection->accepting_ = false;
          expired.push_back(connection);
        }
      }
    }
  }
  for (auto& connection : expired) {
    connection->close_when_idle();
  }
}

std::size_t UpstreamH2Registry::connection_count() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& [key, list] : live_) {
    count += list.size();
  }
  return count;
}

}  // namespace river::proxy
