// Watchdog: one timer per connection that cancels the socket's pending operations when a
// deadline passes.
//
// Instead of arming a timer per read or write, the connection moves a single deadline
// forward as it goes (`expires_after`), and a background coroutine wakes up only when the
// earliest deadline could have passed. When it has, the watchdog calls `on_expire` (which
// cancels the socket), and the blocked operation returns `operation_aborted`; the connection
// then asks `expired()` to tell a timeout from other failures.
//
// Lives on the connection's executor; not thread-safe. Must be `stop()`ed before the
// connection ends so the background coroutine releases it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "net/asio.h"

namespace river::net {

class Watchdog : public std::enable_shared_from_this<Watchdog> {
 public:
  /// `on_expire` runs on `executor` when a deadline passes; typically it cancels a socket.
  static std::shared_ptr<Watchdog> start(asio::any_io_executor executor,
                                         std::function<void()> on_expire);

  explicit Watchdog(asio::any_io_executor executor, std::function<void()> on_expire);

  /// Sets the deadline `timeout` from now, replacing any earlier one.
  void expires_after(Clock::duration timeout);

  /// No deadline until the next `expires_after`.
  void disarm() { deadline_ = Clock::time_point::max(); }

  /// Replaces what happens on expiry (nullptr: nothing), for a watchdog reused for one
  /// socket after another.
  void set_on_expire(std::function<void()> on_expire) { on_expire_ = std::move(on_expire); }

  /// True once a deadline passed; cleared by the next `expires_after`.
  bool expired() const { return expired_; }

  /// Ends the background coroutine.
  void stop();

 private:
  asio::awaitable<void> watch();

  asio::steady_timer timer_;
  std::function<void()> on_expire_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool expired_ = false;
  bool stopped_ = false;
};

}  // namespace river::net
