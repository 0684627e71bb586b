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

std::string Pool::map_key(const PeerKey& key) {
  return key.tls.empty() ? key.address : key.address + '\n' + key.tls;
}

std::optional<tls::Stream> Pool::take(const PeerKey& key, unsigned worker,
                                      asio::io_context& context) {
  const auto now = net::Clock::now();
  std::lock_guard lock(mutex_);
  auto found = key.tls.empty() ? idle_.find(key.address) : idle_.find(map_key(key));
  if (found == idle_.end()) {
    return std::nullopt;
  }
  auto& list = found->second;

  while (!list.empty()) {
    // Newest entries are at the back. Prefer this worker's own, then anyone's newest.
    auto pick = std::prev(list.end());
    for (auto it = list.end(); it != list.begin();) {
      --it;
      if (it->worker == worker) {
        pick = it;
        break;
      }
    }
    Idle candidate = std::move(*pick);
    list.erase(pick);
    stats_.idle--;

    if (now - candidate.since > options_.idle_timeout) {
      stats_.expired++;
      continue;  // closes as `candidate` goes out of scope
    }
    if (!is_alive(candidate.stream.socket().native_handle())) {
      stats_.discarded_closed++;
      continue;
    }
    stats_.reused++;
    if (candidate.worker == worker) {
      return std::move(candidate.stream);
    }
    stats_.reused_cross_worker++;
    return adopt(std::move(candidate), context);
  }
  return std::nullopt;
}

std::optional<tls::Stream> Pool::adopt(Idle idle, asio::io_context& context) {
  if (!idle.stream.rebind(context, idle.protocol)) {
    return std::nullopt;
  }
  return std::move(idle.stream);
}

void Pool::put(const PeerKey& key, unsigned worker, tls::Stream stream,
               asio::generic::stream_protocol protocol) {
  if (!stream.is_open() || options_.max_idle_per_peer == 0) {
    return;  // the connection closes here
  }

  std::lock_guard lock(mutex_);
  auto& list = key.tls.empty() ? idle_[key.address] : idle_[map_key(key)];
  if (list.size() >= options_.max_idle_per_peer) {
    list.pop_front();  // the oldest is the least likely to be warm
    stats_.idle--;
  }
  list.push_back(Idle{std::move(stream), protocol, worker, net::Clock::now()});
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
