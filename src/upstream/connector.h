// Opening new connections to upstream peers, bounded by a connect timeout that covers the
// TLS handshake too.
#pragma once

#include <chrono>
#include <string_view>

#include "base/result.h"
#include "net/address.h"
#include "net/asio.h"
#include "tls/context.h"
#include "tls/stream.h"

namespace river::upstream {

/// TLS towards a peer: the shared client context and the name to ask for and check.
struct TlsTarget {
  const tls::ClientContext& context;
  std::string_view server_name;
};

/// Connects to `peer` on the calling coroutine's executor, then runs the TLS handshake when
/// `tls` is given. Fails with ConnectTimeout when both together take longer than `timeout`,
/// ConnectRefused, TlsHandshake (a certificate that does not verify, no common protocol) or
/// Io otherwise; every failure is on the upstream side and safe to retry on another peer
/// (nothing was sent). `tls` must outlive the call.
asio::awaitable<Result<tls::Stream>> connect(const net::SocketAddress& peer,
                                             std::chrono::milliseconds timeout,
                                             const TlsTarget* tls = nullptr);

}  // namespace river::upstream
