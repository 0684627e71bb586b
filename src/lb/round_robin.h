// Round-robin selection over a fixed list of peers, shared by all workers.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "net/address.h"

namespace river::lb {

/// An upstream peer, with what the data path needs of it computed once.
struct Peer {
  net::SocketAddress address;
  /// "127.0.0.1:9000": the pool key and the name in logs.
  std::string name;
  net::Endpoint endpoint;
  /// The host as configured ("api.internal", "10.0.0.7"): the TLS server name.
  std::string host;
};

class RoundRobin {
 public:
  /// `hosts[i]` is the configured host of `addresses[i]` (may be shorter: then empty).
  explicit RoundRobin(const std::vector<net::SocketAddress>& addresses,
                      const std::vector<std::string>& hosts = {}) {
    peers_.reserve(addresses.size());
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      const auto& address = addresses[i];
      peers_.push_back(Peer{address, address.to_string(), address.endpoint(),
                            i < hosts.size() ? hosts[i] : std::string()});
    }
  }

  /// The next peer in turn. Thread-safe; the list is never empty (checked by the config).
  const Peer& next() {
    const auto n = next_.fetch_add(1, std::memory_order_relaxed);
    return peers_[n % peers_.size()];
  }

  std::size_t size() const { return peers_.size(); }
  const std::vector<Peer>& peers() const { return peers_; }

 private:
  std::vector<Peer> peers_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace river::lb
