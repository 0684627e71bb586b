#include "wasm/watchdog.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <thread>
#include <vector>

namespace river::wasm {
namespace {

std::chrono::nanoseconds cpu_time(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) {
    // The thread is gone: nothing left to stop.
    return std::chrono::nanoseconds::zero();
  }
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

struct Watchdog::State {
  std::mutex mutex;  // Guards slots and stopping.
  std::condition_variable wake;
  std::vector<WatchSlot*> slots;
  bool stopping = false;
  std::thread thread;
};

WatchSlot::WatchSlot(ConstructionKey, Watchdog& owner, std::function<void()> terminate,
                     std::chrono::nanoseconds budget)
    : owner_(owner), terminate_(std::move(terminate)), budget_(budget) {}

WatchSlot::~WatchSlot() { owner_.remove(*this); }

void WatchSlot::arm() {
  clockid_t clock{};
  if (pthread_getcpuclockid(pthread_self(), &clock) == 0) {
    cpu_clock_.store(clock, std::memory_order_relaxed);
  }
  // Ids only grow, so the watchdog tells a new call from the one it sampled before.
  ++next_call_;
  call_.store(next_call_, std::memory_order_release);
}

bool WatchSlot::disarm() {
  if (call_.exchange(kIdle, std::memory_order_acq_rel) != kFired) {
    return false;
  }
  // The watchdog marked the call fired under fire_mutex_ and terminates before releasing it;
  // taking the mutex here waits for that, so the caller can then clear the termination.
  std::lock_guard lock(fire_mutex_);
  return true;
}

Watchdog& Watchdog::shared() {
  static Watchdog watchdog;
  return watchdog;
}

Watchdog::Watchdog() : state_(std::make_unique<State>()) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  if (state_->thread.joinable()) {
    state_->thread.join();
  }
}

std::unique_ptr<WatchSlot> Watchdog::watch(std::function<void()> terminate,
                                           std::chrono::nanoseconds budget) {
  auto slot = std::make_unique<WatchSlot>(WatchSlot::ConstructionKey{}, *this,
                                          std::move(terminate), budget);
  {
    std::lock_guard lock(state_->mutex);
    state_->slots.push_back(slot.get());
    if (!state_->thread.joinable()) {
      state_->thread = std::thread([this] { run(); });
    }
  }
  state_->wake.notify_all();
  return slot;
}

void Watchdog::remove(WatchSlot& slot) {
  std::lock_guard lock(state_->mutex);
  std::erase(state_->slots, &slot);
}

void Watchdog::sample(WatchSlot& slot) {
  std::uint64_t call = slot.call_.load(std::memory_order_acquire);
  if (call == WatchSlot::kIdle || call == WatchSlot::kFired) {
    slot.seen_call_ = WatchSlot::kIdle;
    return;
  }
  auto used = cpu_time(slot.cpu_clock_.load(std::memory_order_relaxed));
  if (call != slot.seen_call_) {
    // First sight of this call: it started at most one tick ago. Counting from here gives the
    // guest up to one tick more than its budget, never less.
    slot.seen_call_ = call;
    slot.cpu_at_seen_ = used;
    return;
  }
  if (used - slot.cpu_at_seen_ < slot.budget_) {
    return;
  }
  std::lock_guard fire(slot.fire_mutex_);
  // Only the still-running call is stopped: if the worker disarmed meanwhile, nothing happens.
  if (slot.call_.compare_exchange_strong(call, WatchSlot::kFired, std::memory_order_acq_rel)) {
    slot.terminate_();
  }
}

void Watchdog::run() {
  std::unique_lock lock(state_->mutex);
  while (!state_->stopping) {
    if (state_->slots.empty()) {
      state_->wake.wait(lock);
      continue;
    }
    // Sample each slot about eight times per budget, within [1 ms, 10 ms].
    std::chrono::nanoseconds tick = std::chrono::milliseconds(10);
    for (WatchSlot* slot : state_->slots) {
      sample(*slot);
      tick = std::min(tick, slot->budget_ / 8);
    }
    tick = std::max<std::chrono::nanoseconds>(tick, std::chrono::milliseconds(1));
    state_->wake.wait_for(lock, tick);
  }
}

}  // namespace river::wasm
