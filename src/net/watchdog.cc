#include "net/watchdog.h"

namespace river::net {

std::shared_ptr<Watchdog> Watchdog::start(asio::any_io_executor executor,
                                          std::function<void()> on_expire) {
  auto watchdog = std::make_shared<Watchdog>(executor, std::move(on_expire));
  asio::co_spawn(executor, [self = watchdog]() { return self->watch(); }, asio::detached);
  return watchdog;
}

Watchdog::Watchdog(asio::any_io_executor executor, std::function<void()> on_expire)
    : timer_(std::move(executor)), on_expire_(std::move(on_expire)) {}

void Watchdog::expires_after(Clock::duration timeout) {
  deadline_ = Clock::now() + timeout;
  expired_ = false;
  // Only an earlier deadline needs the sleeping coroutine woken; a later one is noticed
  // when the current sleep ends, which saves re-arming the timer on every step.
  if (deadline_ < timer_.expiry()) {
    timer_.cancel();
  }
}

void Watchdog::stop() {
  stopped_ = true;
  on_expire_ = nullptr;
  timer_.cancel();
}

asio::awaitable<void> Watchdog::watch() {
  // Keep ourselves alive while the coroutine runs, whatever the owner does.
  auto self = shared_from_this();
  while (!stopped_) {
    timer_.expires_at(deadline_);
    co_await timer_.async_wait(kNoThrow);
    if (stopped_) {
      break;
    }
    if (deadline_ <= Clock::now()) {
      expired_ = true;
      deadline_ = Clock::time_point::max();
      if (on_expire_) {
        on_expire_();
      }
    }
  }
}

}  // namespace river::net
