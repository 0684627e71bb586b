#include "upstream/pool.h"

#include <sys/socket.h>

#include <cerrno>

namespace river::upstream {

bool Pool::is_alive(int fd) {
  char byte = 0;
  const auto n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  // Nothing to read is the only healthy answer: 0 means the peer closed, and bytes from an
  // idle HTTP/1 upstream are a protocol error that would corrupt the next response.
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::optional<net::Socket> Pool::take(const PeerKey& key, unsigned worker,
                                      asio::io_context& context) {
  const auto now = net::Clock::now();
  std::optional<Idle> chosen;
  {
    std::lock_guard lock(mutex_);
    auto found = idle_.find(key.address);
    if (found == idle_.end()) {
      return std::nullopt;
    }
    auto& list = found->second;

    // Newest entries are at the back. Prefer this worker's own, then anyone's.
    auto pick = list.end();
    for (auto it = list.rbegin(); it != list.rend(); ++it) {
      if (it->worker == worker) {
        pick = std::next(it).base();
        break;
      }
    }
    if (pick == list.end() && !list.empty()) {
      pick = std::prev(list.end());
    }
    while (pick != list.end()) {
      Idle candidate = std::move(*pick);
      list.erase(pick);
      stats_.idle--;
      if (now - candidate.since > options_.idle_timeout) {
        stats_.expired++;
      } else if (!is_alive(candidate.fd.get())) {
        stats_.discarded_closed++;
      } else {
        stats_.reused++;
        if (candidate.worker != worker) {
          stats_.reused_cross_worker++;
        }
        chosen = std::move(candidate);
        break;
      }
      pick = list.empty() ? list.end() : std::prev(list.end());
    }
  }
  if (!chosen) {
    return std::nullopt;
  }

  // Adopt the descriptor into this worker's event loop.
  net::Socket socket(context);
  net::ErrorCode ec;
  socket.assign(asio::generic::stream_protocol(chosen->family, chosen->protocol),
                chosen->fd.get(), ec);
  if (ec) {
    return std::nullopt;
  }
  chosen->fd.release();
  return socket;
}

void Pool::put(const PeerKey& key, unsigned worker, net::Socket socket) {
  if (!socket.is_open() || options_.max_idle_per_peer == 0) {
    return;  // the socket closes here
  }
  const auto protocol = socket.local_endpoint().protocol();
  net::ErrorCode ec;
  // Detach from this worker's event loop so that any worker can adopt it later.
  UniqueFd fd(socket.release(ec));
  if (ec || !fd.valid()) {
    return;
  }

  std::lock_guard lock(mutex_);
  auto& list = idle_[key.address];
  if (list.size() >= options_.max_idle_per_peer) {
    list.pop_front();  // the oldest is the least likely to be warm
    stats_.idle--;
  }
  list.push_back(Idle{std::move(fd), protocol.family(), protocol.protocol(), worker,
                      net::Clock::now()});
  stats_.idle++;
}

void Pool::sweep() {
  const auto now = net::Clock::now();
  std::lock_guard lock(mutex_);
  for (auto& [address, list] : idle_) {
    while (!list.empty() && now - list.front().since > options_.idle_timeout) {
      list.pop_front();
      stats_.idle--;
      stats_.expired++;
    }
  }
}

PoolStats Pool::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace river::upstream
