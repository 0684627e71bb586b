// IdleClients: keep-alive client connections that have gone quiet, held at about a hundred
// bytes each instead of a whole session.
//
// A busy keep-alive connection keeps its session between requests, so a request costs no
// allocation. One that stays quiet for a while (Http1Session decides how long) is parked
// here and its session ends, giving back the parser state, the response buffer, the
// coroutine frames and the watchdogs. What the next request needs (the descriptor, the
// client address, the service) moves into a slot of this worker's table, and the descriptor
// moves out of the event loop into a parking epoll set of its own. The event loop watches
// that one set, so a parked connection costs the event loop nothing: no per-descriptor
// state, no pending operation, no timer. When the client sends again (or closes), `resume`
// gets the connection back as a socket on this worker and starts a fresh session on it;
// when the rest of the keep-alive timeout passes first, the connection is closed.
//
// Timeouts need no timer per connection: connections parked with the same remaining timeout
// are queued in the order they were parked, which is also the order of their deadlines, and
// one timer per worker wakes for the earliest deadline of all queues.
//
// One per worker thread (`on_this_worker()`), used only on that thread.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "base/unique_fd.h"
#include "net/asio.h"
#include "proxy/exchange.h"

namespace river::proxy {

struct SessionOptions;

class IdleClients {
 public:
  /// What a parked connection keeps: enough to start a session for its next request.
  struct Parked {
    net::Socket socket;
    std::string client_ip;
    std::shared_ptr<const SessionOptions> options;
    std::shared_ptr<Handler> handler;
  };

  /// Starts serving a parked connection whose client has sent something (or closed).
  using Resume = void (*)(Parked parked);

  /// The calling worker's set.
  static IdleClients& on_this_worker();

  /// Parked connections now, across all workers.
  static std::size_t total() { return total_.load(std::memory_order_relaxed); }

  /// Parks `parked` until its client sends (then `resume` takes it back) or `timeout` passes
  /// (then it is closed). After close_all() a connection handed in is closed at once.
  void park(Parked parked, net::Clock::duration timeout, Resume resume);

  /// Closes every parked connection on this worker, and every one parked later: the worker
  /// is shutting down.
  void close_all();

 private:
  struct Slot {
    UniqueFd fd;  // invalid while the slot is free
    int family = 0;
    int protocol = 0;
    std::uint32_t generation = 0;  // tells a slot's occupants apart in queued events
    std::string client_ip;
    std::shared_ptr<const SessionOptions> options;
    std::shared_ptr<Handler> handler;
  };

  /// A deadline in a timeout queue; stale once its slot was resumed or reused.
  struct Deadline {
    net::Clock::time_point at;
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
  };

  bool ensure_started(const asio::any_io_executor& executor);
  std::uint32_t take_slot();
  void release_slot(std::uint32_t index);
  static std::uint64_t token(std::uint32_t index, std::uint32_t generation) {
    return (static_cast<std::uint64_t>(generation) << 32) | index;
  }

  /// Waits (once) for the parking set to have ready descriptors.
  void watch();
  void on_ready();
  void resume_slot(std::uint32_t index);

  /// Drops the deadlines of connections resumed meanwhile, once they outnumber the
  /// parked ones, so that a busy worker's queues stay as long as what is parked.
  void compact_queues();

  void arm_timer(net::Clock::time_point deadline);
  void on_timer();

  /// After a burst of parked connections, hands the memory their sessions used back to the
  /// system, a little later, once the burst is likely over.
  void schedule_release();

  std::optional<asio::any_io_executor> executor_;
  UniqueFd epoll_;  // the parking set
  std::optional<asio::posix::stream_descriptor> watcher_;  // epoll_ in the event loop
  bool watching_ = false;
  Resume resume_ = nullptr;

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t parked_ = 0;

  // Queues keyed by the remaining keep-alive timeout, each in deadline order.
  std::map<net::Clock::duration, std::deque<Deadline>> queues_;
  std::size_t queued_ = 0;  // deadlines in all queues, stale ones included
  std::optional<asio::steady_timer> timer_;
  net::Clock::time_point timer_at_ = net::Clock::time_point::max();
  bool closed_ = false;
  std::optional<asio::steady_timer> release_timer_;
  std::size_t parked_since_release_ = 0;
  bool release_pending_ = false;

  static std::atomic<std::size_t> total_;
};

}  // namespace river::proxy
