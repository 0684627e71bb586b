#include "proxy/proxy_handler.h"

#include <array>

#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "base/check.h"
#include "base/strings.h"
#include "http/date.h"
#include "http/target.h"
#include "http1/chunked.h"
#include "http1/serializer.h"
#include "net/buffer.h"
#include "net/watchdog.h"
#include "net/workers.h"
#include "observe/log.h"
#include "upstream/connector.h"

namespace river::proxy {
namespace {

// Upstream reads take up to this much at once: large bodies move in fewer system calls.
constexpr std::size_t kReadChunk = 64 * 1024;

/// Upstream response heads may be larger than what clients are allowed (many Set-Cookie
/// fields), but are still bounded.
const http1::ParseLimits kResponseLimits{.max_request_line_bytes = 8192,
                                         .max_header_bytes = 64 * 1024,
                                         .max_header_count = 200};

spdlog::logger& module_log() {
  static auto& instance = observe::logger("proxy");
  return instance;
}

Error upstream_error(ErrorKind kind, std::string context, bool retryable = false) {
  return Error{kind, Side::Upstream, retryable, std::move(context)};
}

/// True when the Transfer-Encoding fields of `headers`, read as one list (RFC 9110 §5.3),
/// name exactly one coding and it is `chunked`.
bool is_chunked_alone(const http::HeaderMap& headers) {
  std::size_t codings = 0;
  bool chunked = false;
  for (const auto& field : headers) {
    if (iequals(field.name, "Transfer-Encoding")) {
      http::for_each_list_element(field.value, [&](std::string_view coding) {
        ++codings;
        chunked = iequals(coding, "chunked");
      });
    }
  }
  return codings == 1 && chunked;
}

}  // namespace

/// One upstream connection in use by this exchange.
struct ProxyHandler::Connection {
  tls::Stream stream;
  net::Buffer in{kReadChunk};
  net::Watchdog* watchdog = nullptr;  // the exchange's upstream watchdog while in use
  upstream::PeerKey key;
  asio::generic::stream_protocol protocol{AF_INET, IPPROTO_TCP};
  bool reused = false;
  /// Bytes of response received so far: a failure before the first one may be retried.
  std::uint64_t response_bytes = 0;

  /// Reads more of the response, failing with ReadTimeout after `timeout` of silence.
  asio::awaitable<Result<std::size_t>> read_more(std::chrono::milliseconds timeout) {
    watchdog->expires_after(timeout);
    auto space = in.prepare(kReadChunk);
    auto [ec, n] =
        co_await stream.async_read_some(asio::buffer(space.data(), space.size()), net::kNoThrow);
    watchdog->disarm();
    if (ec) {
      if (watchdog->expired()) {
        co_return upstream_error(ErrorKind::ReadTimeout, "upstream read timed out");
      }
      const auto kind = (ec == asio::error::eof) ? ErrorKind::ConnectionClosed
                        : (ec == asio::error::connection_reset) ? ErrorKind::ConnectionReset
                                                                 : ErrorKind::Io;
      co_return upstream_error(kind, "upstream read: " + ec.message());
    }
    in.commit(n);
    response_bytes += n;
    co_return n;
  }

  /// Writes all `buffers`, failing after `timeout` without progress.
  template <typename Buffers>
  asio::awaitable<Result<void>> write(const Buffers& buffers, std::chrono::milliseconds timeout) {
    watchdog->expires_after(timeout);
    auto [ec, n] = co_await asio::async_write(stream, buffers, net::kNoThrow);
    watchdog->disarm();
    if (ec) {
      const auto kind = watchdog->expired() ? ErrorKind::WriteTimeout : ErrorKind::Io;
      co_return upstream_error(kind, "upstream write: " + ec.message());
    }
    co_return Result<void>();
  }

  /// Detaches the watchdog from this connection; call before the socket goes away.
  void stop() {
    if (watchdog != nullptr) {
      watchdog->disarm();
      watchdog->set_on_expire(nullptr);
      watchdog = nullptr;
    }
  }
};

ProxyHandler::ProxyHandler(ProxyOptions options, std::shared_ptr<lb::RoundRobin> peers,
                           std::shared_ptr<upstream::Pool> pool,
                           std::shared_ptr<UpstreamH2Registry> h2)
    : options_(std::move(options)),
      peers_(std::move(peers)),
      pool_(std::move(pool)),
      h2_(std::move(h2)) {
  if (options_.protocol != UpstreamProtocol::Http1 && !h2_) {
    h2_ = std::make_shared<UpstreamH2Registry>(std::chrono::seconds(60));
  }
}

asio::awaitable<void> ProxyHandler::handle(Exchange& exchange) {
  const auto& request = exchange.request();
  if (request.method == "CONNECT") {
    co_await answer_status(exchange, 501, "connect_not_supported");
    co_return;
  }
  std::optional<http::NormalizedTarget> target;
  if (!(request.method == "OPTIONS" && request.target == "*")) {
    target = http::normalize_target(request.target);
    if (!target) {
      co_await answer_status(exchange, 400, "invalid_path");
      co_return;
    }
  }

  auto upstream_request =
      make_upstream_request(request, exchange.request_framing(),
                            ClientInfo{exchange.client_ip(), exchange.scheme()},
                            options_.forwarding);
  // The origin sees the normalised path that River itself judged the request by; for an
  // absolute-form target, make_upstream_request already took Host from its authority.
  if (target) {
    upstream_request.head.target = target->origin_form();
  }

  // Declared after upstream_request: the filters read its head until done() (or the
  // chain's destruction, on cancellation).
  std::optional<FilterChain> chain;
  if (!options_.filters.empty()) {
    chain.emplace(options_.filters,
                  RequestInfo{.service = options_.service,
                              .client_ip = exchange.client_ip(),
                              .scheme = exchange.scheme(),
                              .version = request.version});
    const bool has_body = exchange.request_framing().has_body();
    if (has_body && chain->observes_request_body()) {
      // A filter may change the body's length: send it chunked.
      upstream_request.head.headers.remove("Content-Length");
      upstream_request.head.headers.set("Transfer-Encoding", "chunked");
    }
    if (chain->request_headers(upstream_request.head, !has_body) != FilterStatus::Continue) {
      co_await answer_filter(exchange, *chain);
      chain->done();
      co_return;
    }
  }
  FilterChain* filters = chain ? &*chain : nullptr;

  const auto& peer = peers_->next();
  std::optional<tls::Stream> fresh;
  if (options_.protocol != UpstreamProtocol::Http1) {
    // TODO(#4): the HTTP/2 upstream path runs no filters; the configuration refuses plugins
    // on such services until it does.
    RIVER_ASSERT(filters == nullptr);
    auto outcome = co_await forward_h2(exchange, upstream_request, peer);
    if (outcome.done) {
      co_return;
    }
    fresh = std::move(outcome.http1);
  }

  std::string head_bytes;
  http1::write_request_head(upstream_request.head, head_bytes);
  if (co_await attempt(exchange, upstream_request, head_bytes, peer, true, false, filters,
                       std::move(fresh)) == Attempt::Retry) {
    // The reused connection had died before it answered; one more try on a fresh one.
    (void)co_await attempt(exchange, upstream_request, head_bytes, peer, false, true, filters);
  }
  if (chain) {
    chain->done();
  }
}

asio::awaitable<ProxyHandler::Attempt> ProxyHandler::attempt(
    Exchange& exchange, const UpstreamRequest& request, const std::string& head_bytes,
    const lb::Peer& peer, bool allow_pooled, bool last_try, FilterChain* chain,
    std::optional<tls::Stream> fresh) {
  auto checked_out = co_await checkout(peer, allow_pooled, std::move(fresh));
  if (!checked_out) {
    co_await answer_error(exchange, checked_out.error());
    co_return Attempt::Done;
  }
  auto connection = std::move(*checked_out);
  // The watchdog refers to this frame's `connection`, which stays put until the end;
  // every way out of this function calls connection.stop() first.
  connection.watchdog = &exchange.upstream_watchdog();
  connection.watchdog->set_on_expire([&connection] { connection.stream.cancel(); });
  const auto started = net::Clock::now();

  // A failure is worth a second try only on a reused connection (the peer may have closed
  // it just as we took it), before any response byte arrived, and when sending the request
  // again cannot repeat an effect (RFC 9110 §9.2.2): an idempotent method with no body
  // (a body read from the client cannot be read again). Anything else may have reached the
  // origin.
  auto can_retry = [&] {
    return !last_try && connection.reused && connection.response_bytes == 0 &&
           http::is_idempotent(exchange.request().method) &&
           !exchange.request_framing().has_body();
  };

  auto sent = co_await connection.write(asio::buffer(head_bytes), options_.read_idle_timeout);
  if (sent && exchange.request_framing().has_body()) {
    const bool chunked = request.head.headers.has_token("Transfer-Encoding", "chunked");
    sent = co_await forward_body(exchange, connection, chain, chunked);
    if (!sent && chain != nullptr && chain->stopped()) {
      // A filter answered (or failed) mid-body; the upstream request is incomplete.
      connection.stop();
      co_await answer_filter(exchange, *chain);
      co_return Attempt::Done;
    }
    if (!sent && sent.error().side == Side::Downstream) {
      // The client failed mid-body; the upstream request is incomplete and unusable.
      connection.stop();
      co_return Attempt::Done;
    }
  }
  if (!sent) {
    const bool retry = can_retry();
    connection.stop();
    if (retry) {
      co_return Attempt::Retry;
    }
    co_await answer_error(exchange, sent.error());
    co_return Attempt::Done;
  }

  // Read the response head, passing interim (1xx) responses on.
  http1::ResponseParse response;
  auto deadline_left = options_.response_header_timeout;
  while (true) {
    response = http1::parse_response_head(connection.in.readable(), exchange.request().method,
                                          kResponseLimits);
    if (response.status == http1::ParseStatus::Error) {
      module_log().debug("upstream response refused peer={} error={}", connection.key.address,
                  response.error.reason);
      connection.stop();
      co_await answer_error(exchange, upstream_error(ErrorKind::InvalidMessage,
                                                     response.error.reason));
      co_return Attempt::Done;
    }
    if (response.status == http1::ParseStatus::Complete) {
      connection.in.consume(response.consumed);
      const int status = response.head.status;
      if (status >= 200 || status == 101) {
        break;
      }
      // 100 Continue was already answered by River itself (or not wanted); other 1xx
      // (103 Early Hints, ...) are passed on (RFC 9110 §15.2).
      if (status != 100) {
        clean_upstream_response(response.head, options_.forwarding);
        auto interim = co_await exchange.send_interim(response.head);
        if (!interim) {
          connection.stop();
          co_return Attempt::Done;
        }
      }
      continue;
    }

    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        net::Clock::now() - started);
    const auto left = deadline_left - waited;
    if (left.count() <= 0) {
      connection.stop();
      co_await answer_error(exchange, upstream_error(ErrorKind::ReadTimeout,
                                                     "upstream response header timeout"));
      co_return Attempt::Done;
    }
    auto read = co_await connection.read_more(left);
    if (!read) {
      const bool retry = can_retry() && read.error().kind != ErrorKind::ReadTimeout;
      connection.stop();
      if (retry) {
        co_return Attempt::Retry;
      }
      co_await answer_error(exchange, read.error());
      co_return Attempt::Done;
    }
  }

  // River re-frames bodies itself, so it can only relay a body under the chunked coding
  // alone: under any other list (`gzip, chunked`, `chunked, gzip`, `identity`), the bytes
  // would reach the client with a coding removed or undecodable. Bodyless responses
  // (HEAD, 204, 304) carry no body to mis-frame.
  if (response.framing.kind != http::BodyFraming::Kind::None &&
      response.head.headers.contains("Transfer-Encoding") &&
      !is_chunked_alone(response.head.headers)) {
    connection.stop();
    co_await answer_error(exchange, upstream_error(ErrorKind::Unsupported,
                                                   "unsupported transfer coding"));
    co_return Attempt::Done;
  }

  exchange.note_upstream(
      connection.key.address, connection.reused,
      std::chrono::duration_cast<std::chrono::microseconds>(net::Clock::now() - started));
  if (chain != nullptr) {
    chain->upstream(connection.key.address);
  }

  if (response.head.status == 101) {
    if (!request.is_websocket_upgrade || !is_valid_websocket_switch(response.head)) {
      connection.stop();
      co_await answer_error(exchange, upstream_error(ErrorKind::InvalidMessage,
                                                     "unexpected 101 from upstream"));
      co_return Attempt::Done;
    }
    clean_upstream_response(response.head, options_.forwarding);
    response.head.headers.add("Connection", "Upgrade");
    response.head.headers.add("Upgrade", "websocket");
    if (!co_await exchange.send_interim(response.head)) {
      connection.stop();
      co_return Attempt::Done;
    }
    connection.stop();
    std::string early(connection.in.readable());
    co_await exchange.tunnel(std::move(connection.stream), std::move(early));
    co_return Attempt::Done;
  }

  // On success the connection is back in the pool already (or closes here when the
  // response was delimited by close); on failure it was cut off and is closed here.
  (void)co_await relay_response(exchange, connection, response, chain);
  connection.stop();
  co_return Attempt::Done;
}

asio::awaitable<Result<ProxyHandler::Connection>> ProxyHandler::checkout(
    const lb::Peer& peer, bool allow_pooled, std::optional<tls::Stream> fresh) {
  auto executor = co_await asio::this_coro::executor;
  auto& context = static_cast<asio::io_context&>(executor.context());
  upstream::PeerKey key{peer.name, options_.tls ? options_.tls->key : std::string()};
  if (fresh) {
    // Opened by the HTTP/2 path, whose ALPN chose http/1.1.
    co_return Connection{.stream = std::move(*fresh),
                         .key = std::move(key),
                         .protocol = peer.endpoint.protocol()};
  }

  if (allow_pooled) {
    if (auto pooled = pool_->take(key, net::current_worker_index(), context)) {
      co_return Connection{.stream = std::move(*pooled),
                           .key = std::move(key),
                           .protocol = peer.endpoint.protocol(),
                           .reused = true};
    }
  }

  std::optional<upstream::TlsTarget> target;
  if (options_.tls) {
    const auto& name = options_.tls->server_name.empty() ? peer.host : options_.tls->server_name;
    target.emplace(upstream::TlsTarget{*options_.tls->context, name});
  }
  auto opened = co_await upstream::connect(peer.address, options_.connect_timeout,
                                           target ? &*target : nullptr);
  if (!opened) {
    module_log().debug("upstream connect failed peer={} error={}", peer.name,
                       to_string(opened.error().kind));
    co_return opened.error();
  }
  co_return Connection{.stream = std::move(*opened),
                       .key = std::move(key),
                       .protocol = peer.endpoint.protocol()};
}

asio::awaitable<Result<void>> ProxyHandler::forward_body(Exchange& exchange,
                                                        Connection& connection,
                                                        FilterChain* chain, bool chunked) {
  const bool filtered = chain != nullptr && chain->observes_request_body();
  const Error stopped{ErrorKind::Internal, Side::Internal, false, "stopped by a filter"};
  std::string framing;
  std::string filtered_piece;
  auto write_piece = [&](std::string_view piece) -> asio::awaitable<Result<void>> {
    if (piece.empty()) {
      co_return Result<void>();
    }
    framing.clear();
    if (chunked) {
      http1::write_chunk_header(piece.size(), framing);
    }
    std::array<asio::const_buffer, 3> buffers = {
        asio::buffer(framing), asio::buffer(piece.data(), piece.size()),
        asio::buffer(chunked ? std::string_view("\r\n") : std::string_view())};
    co_return co_await connection.write(buffers, options_.read_idle_timeout);
  };
  while (true) {
    auto piece = co_await exchange.read_body();
    if (!piece) {
      co_return piece.error();
    }
    if (piece->empty()) {
      break;
    }
    std::string_view out = *piece;
    if (filtered) {
      filtered_piece.assign(*piece);
      const auto status = chain->request_body(filtered_piece, false);
      if (status == FilterStatus::Respond || status == FilterStatus::Fail) {
        co_return stopped;
      }
      out = status == FilterStatus::Buffer ? std::string_view() : filtered_piece;
    }
    if (auto sent = co_await write_piece(out); !sent) {
      co_return sent;
    }
  }
  if (filtered) {
    filtered_piece.clear();
    if (chain->request_body(filtered_piece, true) != FilterStatus::Continue) {
      co_return stopped;
    }
    if (auto sent = co_await write_piece(filtered_piece); !sent) {
      co_return sent;
    }
  }
  if (chunked) {
    framing.clear();
    auto trailers = exchange.request_trailers();
    if (chain != nullptr && !trailers.empty() &&
        chain->request_trailers(trailers) != FilterStatus::Continue) {
      co_return stopped;
    }
    strip_forbidden_trailers(trailers);
    http1::write_last_chunk(trailers, framing);
    co_return co_await connection.write(asio::buffer(framing), options_.read_idle_timeout);
  }
  co_return Result<void>();
}

asio::awaitable<bool> ProxyHandler::relay_response(Exchange& exchange, Connection& connection,
                                                   http1::ResponseParse& response,
                                                   FilterChain* chain) {
  const auto framing = response.framing;
  const bool reusable =
      !response.must_close && framing.kind != http::BodyFraming::Kind::UntilClose;
  clean_upstream_response(response.head, options_.forwarding);
  // What the client is told about the body: a filter that observes it may change its
  // length, so then it goes out chunked (or close-delimited).
  auto client_framing = framing;
  bool end_sent = framing.kind == http::BodyFraming::Kind::None;
  if (chain != nullptr) {
    const bool end_of_stream = framing.kind == http::BodyFraming::Kind::None;
    if (chain->response_headers(response.head, end_of_stream) != FilterStatus::Continue) {
      // The upstream's response is dropped with its connection (see attempt()).
      co_await answer_filter(exchange, *chain);
      co_return false;
    }
    if (!end_of_stream && chain->observes_response_body()) {
      client_framing = {http::BodyFraming::Kind::Chunked, 0};
    }
  }
  // A chunked body is checked before the head goes out: until the first chunk is read (or
  // the last chunk), a broken or cut-off body can still be answered with a clean 502
  // instead of a response cut short. The client gets the head with the first body bytes
  // either way (Exchange::send_head keeps it until then), so deferring costs nothing.
  if (framing.kind != http::BodyFraming::Kind::Chunked &&
      !co_await exchange.send_head(std::move(response.head), client_framing)) {
    co_return false;
  }

  // The upstream connection goes back to the pool as soon as its response is fully read,
  // before the last bytes go to the client: the client may send its next request (on any
  // connection, to any worker) the moment it has the response, and it should find the
  // connection idle. Bytes beyond the response mean the peer is confused; never reuse.
  auto upstream_done = [&] { release(connection, reusable && connection.in.empty()); };

  switch (framing.kind) {
    case http::BodyFraming::Kind::None:
      upstream_done();
      if (!co_await exchange.finish(http::HeaderMap())) {
        co_return false;
      }
      break;

    case http::BodyFraming::Kind::ContentLength: {
      std::uint64_t remaining = framing.length;
      while (remaining > 0) {
        if (connection.in.empty()) {
          auto read = co_await connection.read_more(options_.read_idle_timeout);
          if (!read) {
            co_return false;
          }
        }
        const auto take = static_cast<std::size_t>(
            std::min<std::uint64_t>(connection.in.size(), remaining));
        const auto piece = connection.in.readable().substr(0, take);
        connection.in.consume(take);
        remaining -= take;
        if (remaining == 0) {
          // Safety: releasing gives up the socket only; `piece` points into connection.in,
          // which lives on.
          upstream_done();
        }
        end_sent = remaining == 0;
        if (!co_await send_response_body(exchange, chain, piece, end_sent)) {
          co_return false;
        }
      }
      if (!end_sent && !co_await send_response_body(exchange, chain, {}, true)) {
        co_return false;
      }
      if (!co_await exchange.finish(http::HeaderMap())) {
        co_return false;
      }
      break;
    }

    case http::BodyFraming::Kind::Chunked: {
      // answer_error() does nothing once the head is out: then cutting the connection off
      // is the only way left to tell the client.
      http1::ChunkedDecoder decoder;
      while (true) {
        if (connection.in.empty()) {
          auto read = co_await connection.read_more(options_.read_idle_timeout);
          if (!read) {
            co_await answer_error(exchange, read.error());
            co_return false;
          }
        }
        const auto step = decoder.decode(connection.in.readable());
        if (step.error) {
          module_log().debug("upstream chunked body refused peer={} error={}",
                             connection.key.address, step.error->reason);
          co_await answer_error(exchange,
                                upstream_error(ErrorKind::InvalidMessage, step.error->reason));
          co_return false;
        }
        // Safety: consume() only moves the read position; step.data stays valid until the
        // next read_more() refills the buffer.
        connection.in.consume(step.consumed);
        if ((!step.data.empty() || step.done) && !exchange.head_sent() &&
            !co_await exchange.send_head(std::move(response.head), client_framing)) {
          co_return false;
        }
        if ((!step.data.empty() || step.done) &&
            !co_await send_response_body(exchange, chain, step.data, step.done)) {
          co_return false;
        }
        if (step.done) {
          upstream_done();
          break;
        }
        if (step.consumed == 0 && step.data.empty()) {
          auto read = co_await connection.read_more(options_.read_idle_timeout);
          if (!read) {
            co_await answer_error(exchange, read.error());
            co_return false;
          }
        }
      }
      auto trailers = decoder.trailers();
      if (chain != nullptr && !trailers.empty() &&
          chain->response_trailers(trailers) != FilterStatus::Continue) {
        co_return false;
      }
      strip_forbidden_trailers(trailers);
      if (!co_await exchange.finish(trailers)) {
        co_return false;
      }
      break;
    }

    case http::BodyFraming::Kind::UntilClose: {
      while (true) {
        if (!connection.in.empty()) {
          const auto piece = connection.in.readable();
          connection.in.consume(piece.size());
          if (!co_await send_response_body(exchange, chain, piece, false)) {
            co_return false;
          }
        }
        auto read = co_await connection.read_more(options_.read_idle_timeout);
        if (!read) {
          if (read.error().kind != ErrorKind::ConnectionClosed) {
            co_return false;
          }
          break;
        }
      }
      if (!co_await send_response_body(exchange, chain, {}, true)) {
        co_return false;
      }
      if (!co_await exchange.finish(http::HeaderMap())) {
        co_return false;
      }
      break;
    }
  }

  co_return true;
}

asio::awaitable<bool> ProxyHandler::send_response_body(Exchange& exchange, FilterChain* chain,
                                                       std::string_view piece,
                                                       bool end_of_stream) {
  if (chain == nullptr || !chain->observes_response_body()) {
    if (piece.empty()) {
      co_return true;
    }
    co_return static_cast<bool>(co_await exchange.send_body(piece));
  }
  std::string data(piece);
  const auto status = chain->response_body(data, end_of_stream);
  if (status == FilterStatus::Respond || status == FilterStatus::Fail) {
    // The head is out: cutting the response off is the only way left to tell the client.
    exchange.note_reason(chain->reason());
    co_return false;
  }
  if (data.empty()) {
    co_return true;
  }
  co_return static_cast<bool>(co_await exchange.send_body(data));
}

asio::awaitable<void> ProxyHandler::answer_filter(Exchange& exchange, FilterChain& chain) {
  if (chain.stop_status() != FilterStatus::Respond) {
    co_await answer_status(exchange, 500, chain.reason());
    co_return;
  }
  if (exchange.head_sent()) {
    co_return;
  }
  auto reply = chain.take_local_reply();
  exchange.note_reason(chain.reason());
  http::ResponseHead head;
  head.status = reply.status;
  head.headers = std::move(reply.headers);
  if (!head.headers.contains("Server")) {
    head.headers.add("Server", "river");
  }
  head.headers.add("Date", http::http_date_now());
  const bool bodyless = http::response_has_no_body(exchange.request().method, reply.status);
  const http::BodyFraming framing =
      bodyless ? http::BodyFraming{} : http::BodyFraming{http::BodyFraming::Kind::ContentLength,
                                                         reply.body.size()};
  if (!co_await exchange.send_head(std::move(head), framing)) {
    co_return;
  }
  if (!bodyless && !reply.body.empty() && !co_await exchange.send_body(reply.body)) {
    co_return;
  }
  (void)co_await exchange.finish(http::HeaderMap());
}

void ProxyHandler::release(Connection& connection, bool reusable) {
  connection.stop();
  if (reusable && connection.stream.is_open()) {
    pool_->put(connection.key, net::current_worker_index(), std::move(connection.stream),
               connection.protocol);
  }
}

asio::awaitable<void> ProxyHandler::answer_error(Exchange& exchange, const Error& error) {
  if (exchange.head_sent()) {
    co_return;
  }
  const bool timeout =
      error.kind == ErrorKind::ConnectTimeout || error.kind == ErrorKind::ReadTimeout ||
      error.kind == ErrorKind::WriteTimeout;
  co_await answer_status(exchange, timeout ? 504 : 502, to_string(error.kind));
}

asio::awaitable<void> ProxyHandler::answer_status(Exchange& exchange, int status,
                                                  std::string_view reason) {
  if (exchange.head_sent()) {
    co_return;
  }
  exchange.note_reason(reason);
  const auto body = fmt::format("{} {}\n", status, http::reason_phrase(status));
  http::ResponseHead head;
  head.status = status;
  head.headers.add("Server", "river");
  head.headers.add("Date", http::http_date_now());
  head.headers.add("Content-Type", "text/plain; charset=utf-8");
  if (!co_await exchange.send_head(std::move(head),
                                   {http::BodyFraming::Kind::ContentLength, body.size()})) {
    co_return;
  }
  if (co_await exchange.send_body(body)) {
    (void)co_await exchange.finish(http::HeaderMap());
  }
}

}  // namespace river::proxy
