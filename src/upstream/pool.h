// Pool: the upstream connection pool, one per service, shared by every worker.
//
// Whichever worker needs a connection to a peer can use an idle one that any worker parked:
// reuse never depends on which worker a client landed on (a pool per worker, as nginx has,
// opens far more upstream connections). A worker prefers connections it parked itself (most
// recently used first, still warm): those it takes back as they are, at no cost. A
// connection parked by another worker is adopted: detached from that worker's event loop
// and attached to the caller's (two epoll_ctl calls).
//
// Adopting from another thread is safe because the idle socket has no pending operation
// and is touched only under the pool mutex; Asio's reactor synchronises registration
// changes internally, as it does for an io_context run by several threads. TLS connections
// are adopted the same way, their TLS session moving with them (tls::Stream::rebind).
//
// Before a connection is handed out it is checked, without blocking, for having been
// closed by the peer, so the common race (the peer's idle timeout fired while the
// connection sat in the pool) costs nothing. Idle connections expire after
// `idle_timeout`, and at most `max_idle_per_peer` are kept per peer.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "net/asio.h"
#include "tls/stream.h"

namespace river::upstream {

struct PoolOptions {
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  std::size_t max_idle_per_peer = 128;
};

/// Identifies interchangeable connections: the peer address, and for TLS connections what
/// the handshake was made with (server name, verification, client certificate, protocol).
/// Only connections with equal keys may serve each other's requests.
struct PeerKey {
  std::string address;  ///< "127.0.0.1:9000"
  std::string tls;      ///< empty for plain connections

  bool operator==(const PeerKey&) const = default;
};

/// Counters, readable from any thread.
struct PoolStats {
  std::uint64_t idle = 0;             ///< connections parked now
  std::uint64_t reused = 0;           ///< checkouts served from the pool
  std::uint64_t reused_cross_worker = 0;
  std::uint64_t discarded_closed = 0;  ///< found closed by the peer at checkout
  std::uint64_t expired = 0;
};

class Pool {
 public:
  explicit Pool(PoolOptions options) : options_(options) {}

  /// Takes a live idle connection to `key`, adopted by the calling worker's `context`.
  /// Returns nullopt when none is available.
  std::optional<tls::Stream> take(const PeerKey& key, unsigned worker,
                                  asio::io_context& context);

  /// Parks a connection whose last exchange ended cleanly (no bytes owed either way).
  /// `protocol` is the socket's (known from the peer address, which saves asking the kernel).
  void put(const PeerKey& key, unsigned worker, tls::Stream stream,
           asio::generic::stream_protocol protocol);

  /// Parks a plain connection.
  void put(const PeerKey& key, unsigned worker, net::Socket socket,
           asio::generic::stream_protocol protocol) {
    put(key, worker, tls::Stream(std::move(socket)), protocol);
  }

  /// Closes connections idle for longer than the idle timeout. Called periodically.
  void sweep();

  PoolStats stats() const;

 private:
  struct Idle {
    tls::Stream stream;  // still attached to the event loop of `worker`
    asio::generic::stream_protocol protocol;
    unsigned worker = 0;
    net::Clock::time_point since;
  };

  /// Moves an idle connection parked by another worker onto `context`.
  static std::optional<tls::Stream> adopt(Idle idle, asio::io_context& context);

  /// The map key: the address alone for plain connections (no allocation on the hot path).
  static std::string map_key(const PeerKey& key);

  /// True when the idle connection can still be used: the peer has neither closed it nor
  /// sent unexpected bytes.
  static bool is_alive(int fd);

  PoolOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Idle>> idle_;  // guarded by mutex_
  PoolStats stats_;                                         // guarded by mutex_
};

}  // namespace river::upstream
