// ProxyHandler: forwards a request to an upstream peer and relays the response.
//
// Per request: rewrite the head (forwarding.h), pick a peer (round-robin), take a pooled
// connection or open one, send head and body, read the response head (answering 502 when
// it is malformed or the peer fails, 504 when it is late), relay the body with
// backpressure in both directions, and park the connection again when the exchange left
// it clean. A request that fails on a reused connection before any answer arrived is sent
// once more on a new connection when that is safe (RFC 9110 §9.2.2).
//
// Towards HTTP/2 upstreams (proxy_h2.cc) a request becomes a stream on a connection shared
// by all workers (upstream_h2.h); the response's fields become the client's response the
// same way, trailers included both ways.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "http1/parser.h"
#include "lb/round_robin.h"
#include "proxy/exchange.h"
#include "proxy/filter.h"
#include "proxy/forwarding.h"
#include "tls/context.h"
#include "proxy/upstream_h2.h"
#include "upstream/pool.h"

namespace river::proxy {

/// TLS towards the upstream peers of a service.
struct UpstreamTlsOptions {
  std::shared_ptr<const tls::ClientContext> context;
  /// The name to send (SNI) and check; empty means each peer's configured host.
  std::string server_name;
  /// What else makes connections interchangeable (see upstream::PeerKey).
  std::string key;
};

/// The protocol spoken to upstream peers.
enum class UpstreamProtocol {
  Http1,
  /// HTTP/2 only: by ALPN "h2" over TLS, with prior knowledge in cleartext.
  Http2,
  /// ALPN offers h2 and http/1.1 and the peer chooses (TLS only).
  Http2OrHttp1,
};

struct ProxyOptions {
  std::string service;
  UpstreamProtocol protocol = UpstreamProtocol::Http1;
  /// Set when the service speaks TLS to its upstreams.
  std::shared_ptr<const UpstreamTlsOptions> tls;
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  std::chrono::milliseconds response_header_timeout = std::chrono::seconds(60);
  std::chrono::milliseconds read_idle_timeout = std::chrono::seconds(60);
  ForwardingPolicy forwarding;
  /// Filters (WASM plugins) run on every request, in this order.
  FilterFactories filters;
};

class ProxyHandler final : public Handler {
 public:
  /// `peers` and `pool` are shared by every worker of the service.
  ProxyHandler(ProxyOptions options, std::shared_ptr<lb::RoundRobin> peers,
               std::shared_ptr<upstream::Pool> pool,
               std::shared_ptr<UpstreamH2Registry> h2 = nullptr);

  asio::awaitable<void> handle(Exchange& exchange) override;

 private:
  struct Connection;
  enum class Attempt { Done, Retry };

  asio::awaitable<Attempt> attempt(Exchange& exchange, const UpstreamRequest& request,
                                   const std::string& head_bytes, const lb::Peer& peer,
                                   bool allow_pooled, bool last_try, FilterChain* chain,
                                   std::optional<tls::Stream> fresh = std::nullopt);
  asio::awaitable<Result<Connection>> checkout(const lb::Peer& peer, bool allow_pooled,
                                               std::optional<tls::Stream> fresh);

  // HTTP/2 upstreams (proxy_h2.cc).
  /// What became of a request offered to the HTTP/2 path.
  struct H2Outcome {
    bool done = true;
    /// With h2-or-h1: the peer chose HTTP/1.1 on this new connection; serve it there.
    std::optional<tls::Stream> http1;
  };
  asio::awaitable<H2Outcome> forward_h2(Exchange& exchange, const UpstreamRequest& request,
                                        const lb::Peer& peer);
  asio::awaitable<Attempt> attempt_h2(Exchange& exchange, std::vector<http::Header> fields,
                                      const lb::Peer& peer,
                                      std::shared_ptr<UpstreamH2Connection> connection,
                                      bool reused, bool last_try);
  asio::awaitable<Result<void>> pump_body_h2(Exchange& exchange, UpstreamH2Stream& stream);
  asio::awaitable<Attempt> relay_h2(Exchange& exchange, UpstreamH2Stream& stream,
                                    const lb::Peer& peer, bool reused, bool can_retry);
  H2Target h2_target(const lb::Peer& peer) const;
  std::string h2_key(const lb::Peer& peer) const;
  asio::awaitable<Result<void>> forward_body(Exchange& exchange, Connection& connection,
                                             FilterChain* chain, bool chunked);
  asio::awaitable<bool> relay_response(Exchange& exchange, Connection& connection,
                                       http1::ResponseParse& response, FilterChain* chain);
  /// Sends a piece of the response body through the filters that observe it.
  asio::awaitable<bool> send_response_body(Exchange& exchange, FilterChain* chain,
                                           std::string_view piece, bool end_of_stream);
  /// Answers for a chain that stopped: its local reply (Respond) or 500 (Fail).
  asio::awaitable<void> answer_filter(Exchange& exchange, FilterChain& chain);
  asio::awaitable<void> answer_error(Exchange& exchange, const Error& error);
  /// Answers `status` with a short text body; `reason` goes to the access log.
  asio::awaitable<void> answer_status(Exchange& exchange, int status, std::string_view reason);
  void release(Connection& connection, bool reusable);

  ProxyOptions options_;
  std::shared_ptr<lb::RoundRobin> peers_;
  std::shared_ptr<upstream::Pool> pool_;
  std::shared_ptr<UpstreamH2Registry> h2_;
};

}  // namespace river::proxy
