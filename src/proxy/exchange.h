// Exchange and Handler: the seam between a client connection and what answers it.
//
// A client connection (HTTP/1 today, HTTP/2 later) turns each request into an `Exchange`
// and passes it to the service's `Handler`: the proxy, which forwards it upstream, or the
// file server. The handler reads the request body and writes the response through the
// exchange; the connection takes care of the client-side framing (Content-Length, chunked
// or close-delimited, keep-alive), timeouts and the access log.
//
// An exchange lives on its connection's worker and is only valid during `handle`.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/result.h"
#include "http/message.h"
#include "net/asio.h"
#include "net/watchdog.h"
#include "tls/stream.h"

namespace river::proxy {

class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual const http::RequestHead& request() const = 0;
  /// How the request body is framed on the client side (already validated).
  virtual const http::BodyFraming& request_framing() const = 0;
  /// The address of the directly connected client ("127.0.0.1", "unix").
  virtual std::string_view client_ip() const = 0;
  /// "http" or "https": the scheme the client used to reach River.
  virtual std::string_view scheme() const = 0;

  /// Reads the next piece of the request body, answering `100 Continue` first if the
  /// client asked for it. The view stays valid until the next call; an empty view means the
  /// body is complete. Errors are downstream ones (timeout, malformed chunk, client gone).
  virtual asio::awaitable<Result<std::string_view>> read_body() = 0;

  /// True once the whole request body has been read (or there was none).
  virtual bool body_complete() const = 0;

  /// True when read_body() may run concurrently with send_head/send_body/finish (the
  /// client's protocol frames each direction on its own, as HTTP/2 does).
  virtual bool is_full_duplex() const { return false; }

  /// Makes a read_body() waiting now, or called later, fail at once: the handler no longer
  /// wants the rest of the body (the response ended first). Only with is_full_duplex().
  virtual void abandon_body() {}

  /// Trailer fields that ended a chunked request body; valid once the body is complete.
  virtual const http::HeaderMap& request_trailers() const = 0;

  /// Sends an interim (1xx) response, unless the client cannot take one (HTTP/1.0).
  virtual asio::awaitable<Result<void>> send_interim(const http::ResponseHead& head) = 0;

  /// Sends the final response head. `framing` says how the body will arrive from the
  /// handler; the connection picks the client-side framing from it. The head's own
  /// Content-Length and Transfer-Encoding fields are replaced.
  virtual asio::awaitable<Result<void>> send_head(http::ResponseHead head,
                                                  http::BodyFraming framing) = 0;

  /// Sends a piece of the response body. Returns once the bytes are handed to the kernel,
  /// so a slow client slows the handler down (backpressure).
  virtual asio::awaitable<Result<void>> send_body(std::string_view data) = 0;

  /// Ends the response, with trailer fields when the client-side framing can carry them.
  virtual asio::awaitable<Result<void>> finish(const http::HeaderMap& trailers) = 0;

  /// After a `101 Switching Protocols` was sent with send_interim: relays bytes both ways
  /// between the client and `upstream` until either side closes. `upstream_early` holds
  /// bytes the upstream sent after its 101. The client connection ends afterwards.
  virtual asio::awaitable<void> tunnel(tls::Stream upstream, std::string upstream_early) = 0;

  /// True once send_head has been called.
  virtual bool head_sent() const = 0;

  /// A timer for the handler's upstream socket, on this connection's executor, kept for the
  /// connection's whole life so that a request does not pay for setting one up. The
  /// handler sets its expiry action and must clear it (set_on_expire(nullptr)) and disarm
  /// it before its socket goes away.
  virtual net::Watchdog& upstream_watchdog() = 0;

  /// Records, for the access log, which upstream peer served the request.
  virtual void note_upstream(std::string_view peer, bool reused,
                             std::chrono::microseconds time_to_head) = 0;

  /// Records, for the access log, why River answered an error itself ("connect_timeout").
  virtual void note_reason(std::string_view reason) = 0;
};

class Handler {
 public:
  virtual ~Handler() = default;

  /// Answers one request. Must send a response head (an error one if need be) unless the
  /// client connection failed; may leave the request body unread.
  virtual asio::awaitable<void> handle(Exchange& exchange) = 0;
};

}  // namespace river::proxy
