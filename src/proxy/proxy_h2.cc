// ProxyHandler towards HTTP/2 upstreams: the request becomes a stream on a shared
// connection (upstream_h2.h), its response the client's response.
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>

#include "base/strings.h"
#include "http/target.h"
#include "http2/request.h"
#include "net/workers.h"
#include "observe/log.h"
#include "proxy/proxy_handler.h"
#include "upstream/connector.h"

namespace river::proxy {
namespace {

// A request refused by the peer (GOAWAY, REFUSED_STREAM) is sent at most this many times.
constexpr int kMaxH2Tries = 3;

spdlog::logger& module_log() {
  static auto& instance = observe::logger("proxy");
  return instance;
}

/// True when the client's request asked for trailers to be passed (`TE: trailers`): the only
/// TE an HTTP/2 peer accepts (RFC 9113 §8.2.2), and what gRPC servers expect.
bool wants_trailers(const http::RequestHead& request) {
  for (const auto& field : request.headers) {
    if (!iequals(field.name, "TE")) {
      continue;
    }
    bool found = false;
    http::for_each_list_element(field.value, [&](std::string_view coding) {
      if (iequals(coding.substr(0, coding.find(';')), "trailers")) {
        found = true;
      }
    });
    if (found) {
      return true;
    }
  }
  return false;
}

/// How the client-side connection should frame a body the upstream framed with HTTP/2.
http::BodyFraming client_framing(std::string_view method, const H2Event& head) {
  using Kind = http::BodyFraming::Kind;
  if (http::response_has_no_body(method, head.head.status)) {
    // A HEAD or 304 may announce the length a GET would have had (RFC 9110 §8.6).
    if (head.content_length >= 0) {
      return {Kind::ContentLength, static_cast<std::uint64_t>(head.content_length)};
    }
    return {Kind::None, 0};
  }
  if (head.end_stream) {
    return {Kind::None, 0};
  }
  if (head.content_length >= 0) {
    return {Kind::ContentLength, static_cast<std::uint64_t>(head.content_length)};
  }
  // Unknown length: chunked for an HTTP/1.1 client (which can then carry trailers too),
  // END_STREAM for an HTTP/2 one.
  return {Kind::Chunked, 0};
}

}  // namespace

std::string ProxyHandler::h2_key(const lb::Peer& peer) const {
  return options_.tls ? peer.name + '\n' + options_.tls->key : peer.name + "\nh2c";
}

H2Target ProxyHandler::h2_target(const lb::Peer& peer) const {
  H2Target target{.address = peer.address,
                  .connect_timeout = options_.connect_timeout,
                  .write_timeout = options_.read_idle_timeout,
                  .h1_fallback = options_.protocol == UpstreamProtocol::Http2OrHttp1};
  if (options_.tls) {
    target.tls = options_.tls->context;
    target.server_name =
        options_.tls->server_name.empty() ? peer.host : options_.tls->server_name;
  }
  return target;
}

asio::awaitable<ProxyHandler::H2Outcome> ProxyHandler::forward_h2(
    Exchange& exchange, const UpstreamRequest& request, const lb::Peer& peer) {
  auto executor = co_await asio::this_coro::executor;
  const auto key = h2_key(peer);
  const auto& framing = exchange.request_framing();
  const std::int64_t content_length = framing.kind == http::BodyFraming::Kind::ContentLength
                                         ? static_cast<std::int64_t>(framing.length)
                                         : -1;
  const auto fields =
      http2::upstream_request_fields(request.head, options_.tls ? "https" : "http",
                                     content_length, wants_trailers(exchange.request()));

  for (int tries = 1; tries <= kMaxH2Tries; ++tries) {
    const bool last_try = tries == kMaxH2Tries;
    bool reused = true;
    auto connection = h2_->reserve(key);
    if (!connection && options_.protocol == UpstreamProtocol::Http2OrHttp1 &&
        !h2_->is_known_h2(key)) {
      // The peer's choice is not known yet: connect here and let ALPN decide.
      const auto target = h2_target(peer);
      const upstream::TlsTarget tls{*target.tls, target.server_name};
      auto opened = co_await upstream::connect(peer.address, options_.connect_timeout, &tls);
      if (!opened) {
        co_await answer_error(exchange, opened.error());
        co_return H2Outcome{};
      }
      if (opened->handshake_info().alpn != "h2") {
        h2_->remember_protocol(key, false);
        co_return H2Outcome{.done = false, .http1 = std::move(*opened)};
      }
      h2_->remember_protocol(key, true);
      connection = h2_->adopt(key, std::move(*opened), executor, options_.read_idle_timeout);
      reused = false;
    }
    if (!connection) {
      connection = h2_->open(key, h2_target(peer), executor);
      reused = false;
    }

    const auto outcome = co_await attempt_h2(exchange, fields, peer, std::move(connection),
                                             reused, last_try);
    if (outcome == Attempt::Done) {
      co_return H2Outcome{};
    }
    if (options_.protocol == UpstreamProtocol::Http2OrHttp1 && !h2_->is_known_h2(key)) {
      // The peer chose HTTP/1.1 after all; the request was never sent.
      co_return H2Outcome{.done = false};
    }
  }
  co_return H2Outcome{};
}

asio::awaitable<ProxyHandler::Attempt> ProxyHandler::attempt_h2(
    Exchange& exchange, std::vector<http::Header> fields, const lb::Peer& peer,
    std::shared_ptr<UpstreamH2Connection> connection, bool reused, bool last_try) {
  using namespace asio::experimental::awaitable_operators;
  auto executor = co_await asio::this_coro::executor;
  const bool has_body = exchange.request_framing().has_body();
  auto stream = std::make_shared<UpstreamH2Stream>(std::move(fields), has_body, executor);
  connection->start_stream(stream);

  // A client that goes away (its stream reset) resets the upstream stream too: the
  // HTTP/2 session expires the upstream watchdog then.
  auto& watchdog = exchange.upstream_watchdog();
  watchdog.set_on_expire([stream] { stream->cancel(); });

  // RFC 9110 §9.2.2 and RFC 9113 §8.7: a request the peer never processed may go again,
  // when sending it again cannot repeat an effect and its body need not be read twice.
  const bool can_retry = !last_try && http::is_idempotent(exchange.request().method) &&
                         !exchange.request_framing().has_body();

  Attempt outcome = Attempt::Done;
  if (!has_body) {
    outcome = co_await relay_h2(exchange, *stream, peer, reused, can_retry);
  } else if (exchange.is_full_duplex()) {
    // Both directions at once (gRPC streams): the response may start, and even end, while
    // the request body still flows.
    auto relay = [&]() -> asio::awaitable<Attempt> {
      auto result = co_await relay_h2(exchange, *stream, peer, reused, false);
      exchange.abandon_body();
      co_return result;
    };
    auto [pumped, relayed] = co_await (pump_body_h2(exchange, *stream) && relay());
    (void)pumped;
    outcome = relayed;
  } else {
    auto pumped = co_await pump_body_h2(exchange, *stream);
    if (!pumped && pumped.error().side == Side::Downstream) {
      outcome = Attempt::Done;
    } else {
      outcome = co_await relay_h2(exchange, *stream, peer, reused, false);
    }
  }

  watchdog.disarm();
  watchdog.set_on_expire(nullptr);
  stream->cancel();
  co_return outcome;
}

asio::awaitable<Result<void>> ProxyHandler::pump_body_h2(Exchange& exchange,
                                                         UpstreamH2Stream& stream) {
  while (true) {
    auto piece = co_await exchange.read_body();
    if (!piece) {
      if (piece.error().side == Side::Downstream) {
        // The client broke its request: the upstream must not take it as complete.
        stream.cancel();
      }
      co_return piece.error();
    }
    if (piece->empty()) {
      break;
    }
    auto sent = co_await stream.send_body(*piece, options_.read_idle_timeout);
    if (!sent) {
      // The upstream ended the stream (answered early, or reset it); the relay reports it.
      co_return sent;
    }
  }
  auto trailers = exchange.request_trailers();
  strip_forbidden_trailers(trailers);
  stream.end_body(http2::trailer_fields(trailers));
  co_return Result<void>();
}

asio::awaitable<ProxyHandler::Attempt> ProxyHandler::relay_h2(Exchange& exchange,
                                                              UpstreamH2Stream& stream,
                                                              const lb::Peer& peer, bool reused,
                                                              bool can_retry) {
  const auto started = net::Clock::now();
  auto timeout = options_.response_header_timeout;
  http::HeaderMap trailers;
  while (true) {
    auto event = co_await stream.next_event(timeout);
    if (!event) {
      stream.cancel();
      co_await answer_error(exchange, event.error());
      co_return Attempt::Done;
    }
    switch (event->kind) {
      case H2Event::Kind::Interim:
        // 100 Continue was River's own business; other 1xx are passed on (RFC 9110 §15.2).
        if (event->head.status != 100) {
          clean_upstream_response(event->head, options_.forwarding);
          if (!co_await exchange.send_interim(event->head)) {
            stream.cancel();
            co_return Attempt::Done;
          }
        }
        break;

      case H2Event::Kind::Head: {
        exchange.note_upstream(peer.name, reused,
                               std::chrono::duration_cast<std::chrono::microseconds>(
                                   net::Clock::now() - started));
        const auto framing = client_framing(exchange.request().method, *event);
        auto head = std::move(event->head);
        head.version = http::Version::Http11;
        clean_upstream_response(head, options_.forwarding);
        if (!co_await exchange.send_head(std::move(head), framing)) {
          stream.cancel();
          co_return Attempt::Done;
        }
        timeout = options_.read_idle_timeout;
        break;
      }

      case H2Event::Kind::Data: {
        const auto size = event->data.size();
        if (!exchange.head_sent() || !co_await exchange.send_body(event->data)) {
          stream.cancel();
          co_return Attempt::Done;
        }
        // Only now may the upstream send more: a slow client holds it back.
        stream.consumed(size);
        break;
      }

      case H2Event::Kind::Trailers:
        for (auto& field : event->head.headers) {
          trailers.add(field.name, field.value);
        }
        break;

      case H2Event::Kind::End:
        if (!exchange.head_sent()) {
          co_await answer_error(exchange, Error{ErrorKind::InvalidMessage, Side::Upstream, false,
                                                "upstream stream ended without a response"});
          co_return Attempt::Done;
        }
        strip_forbidden_trailers(trailers);
        (void)co_await exchange.finish(trailers);
        co_return Attempt::Done;

      case H2Event::Kind::Closed:
        module_log().debug("upstream h2 stream failed peer={} refused={} error={}", peer.name,
                           event->refused, event->error.context);
        if (!exchange.head_sent() && event->refused && can_retry) {
          co_return Attempt::Retry;
        }
        // Once the head is out, returning without finish() tells the client connection to
        // cut the response off (RST_STREAM, or closing an HTTP/1 connection).
        co_await answer_error(exchange, event->error);
        co_return Attempt::Done;
    }
  }
}

}  // namespace river::proxy
