// Round-robin selection over a fixed list of peers, shared by all workers.
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include "net/address.h"

namespace river::lb {

class RoundRobin {
 public:
  explicit RoundRobin(std::vector<net::SocketAddress> peers) : peers_(std::move(peers)) {}

  /// The next peer in turn. Thread-safe; the list is never empty (checked by the config).
  const net::SocketAddress& next() {
    const auto n = next_.fetch_add(1, std::memory_order_relaxed);
    return peers_[n % peers_.size()];
  }

  std::size_t size() const { return peers_.size(); }
  const std::vector<net::SocketAddress>& peers() const { return peers_; }

 private:
  std::vector<net::SocketAddress> peers_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace river::lb
