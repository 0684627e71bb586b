// Opening new connections to upstream peers, bounded by a connect timeout.
#pragma once

#include <chrono>

#include "base/result.h"
#include "net/address.h"
#include "net/asio.h"

namespace river::upstream {

/// Connects to `peer` on the calling coroutine's executor. Fails with ConnectTimeout after
/// `timeout`, ConnectRefused or Io otherwise; every failure is on the upstream side and
/// safe to retry on another peer (nothing was sent).
asio::awaitable<Result<net::Socket>> connect(const net::SocketAddress& peer,
                                             std::chrono::milliseconds timeout);

}  // namespace river::upstream
