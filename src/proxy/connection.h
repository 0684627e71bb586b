// start_connection: what happens to an accepted client connection before a session takes it.
//
// On a TLS listener the handshake runs first, bounded by the request header timeout, and the
// protocol ALPN chose decides the session: HTTP/2 or HTTP/1. On a cleartext listener that
// serves HTTP/2 (h2c with prior knowledge), the first bytes decide: the HTTP/2 connection
// preface, or anything else for HTTP/1. A cleartext HTTP/1-only listener hands the socket
// straight to an HTTP/1 session at no extra cost.
#pragma once

#include <memory>
#include <string>

#include "net/asio.h"
#include "proxy/exchange.h"
#include "proxy/http1_session.h"
#include "tls/context.h"

namespace river::proxy {

/// What a listener speaks. Shared, read-only, by every connection it accepts.
struct ListenerProtocols {
  /// Set on TLS listeners.
  std::shared_ptr<const tls::ServerContext> tls;
  /// Serve HTTP/2: by ALPN with TLS, by prior knowledge without.
  bool h2 = false;
};

/// Starts serving an accepted connection on its socket's executor.
void start_connection(net::Socket socket, std::string client_ip,
                      std::shared_ptr<const ListenerProtocols> protocols,
                      std::shared_ptr<const SessionOptions> options,
                      std::shared_ptr<Handler> handler);

/// Handshakes that failed or timed out, across all workers (for tests and metrics).
std::uint64_t failed_handshakes();

}  // namespace river::proxy
