// Pool: the upstream connection pool, one for the whole process, shared by every worker.
//
// An idle connection is kept as a bare file descriptor, detached from any event loop, so
// whichever worker needs a connection to that peer next can adopt it: reuse never depends
// on which worker a client landed on (a pool per worker, as nginx has, opens far more
// upstream connections). A worker prefers connections it parked itself (most recently used
// first, still warm in the peer's caches) and takes another worker's otherwise.
//
// Before a connection is handed out it is checked for having been closed by the peer, so
// the common race (the peer's idle timeout fired while the connection sat in the pool) costs
// nothing. Idle connections expire after `idle_timeout`, and at most `max_idle_per_peer`
// are kept per peer.
//
// Thread-safe: one mutex guards the idle lists; no I/O happens under it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/unique_fd.h"
#include "net/asio.h"

namespace river::upstream {

struct PoolOptions {
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  std::size_t max_idle_per_peer = 128;
};

/// Identifies interchangeable connections: today the peer address; TLS settings and the
/// negotiated protocol join the key with upstream TLS.
struct PeerKey {
  std::string address;  ///< "127.0.0.1:9000"
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
  std::optional<net::Socket> take(const PeerKey& key, unsigned worker,
                                  asio::io_context& context);

  /// Parks a connection whose last exchange ended cleanly (no bytes owed either way).
  void put(const PeerKey& key, unsigned worker, net::Socket socket);

  /// Closes connections idle for longer than the idle timeout. Called periodically.
  void sweep();

  PoolStats stats() const;

 private:
  struct Idle {
    UniqueFd fd;
    int family = 0;
    int protocol = 0;
    unsigned worker = 0;
    net::Clock::time_point since;
  };

  /// True when the idle connection can still be used: the peer has neither closed it nor
  /// sent unexpected bytes.
  static bool is_alive(int fd);

  PoolOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Idle>> idle_;  // guarded by mutex_
  PoolStats stats_;                                         // guarded by mutex_
};

}  // namespace river::upstream
