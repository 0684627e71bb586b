// The watchdog: stops guest code that runs past its CPU-time budget.
//
// One thread per process (started with the first slot) watches every armed call. Arming and
// disarming a call costs two atomic stores on the worker, no system call and no lock; the
// watchdog samples the worker thread's CPU clock a few times per budget and, once the armed
// call has used up its budget, runs the slot's `terminate` callback (for V8,
// `Isolate::TerminateExecution`). Knows nothing about V8.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>

namespace river::wasm {

class Watchdog;

/// One watched instance. Created by `Watchdog::watch`; arm and disarm it on the instance's
/// thread around each guest call. Unregisters itself on destruction.
class WatchSlot {
 public:
  ~WatchSlot();
  WatchSlot(const WatchSlot&) = delete;
  WatchSlot& operator=(const WatchSlot&) = delete;

  /// Starts watching a call on the calling thread.
  void arm();

  /// Stops watching. Returns true when the budget ran out and `terminate` was called; by
  /// then `terminate` has returned, and it will not be called again for this call.
  bool disarm();

  /// Only Watchdog::watch can make one: the key's constructor is private to Watchdog.
  class ConstructionKey {
    friend class Watchdog;
    ConstructionKey() = default;
  };
  WatchSlot(ConstructionKey, Watchdog& owner, std::function<void()> terminate,
            std::chrono::nanoseconds budget);

 private:
  friend class Watchdog;

  static constexpr std::uint64_t kIdle = 0;
  static constexpr std::uint64_t kFired = ~std::uint64_t{0};

  Watchdog& owner_;
  const std::function<void()> terminate_;
  const std::chrono::nanoseconds budget_;
  std::uint64_t next_call_ = 0;        // Worker only.
  std::atomic<std::uint64_t> call_{kIdle};  // The armed call's id, kIdle or kFired.
  std::atomic<clockid_t> cpu_clock_{};      // The armed thread's CPU clock.
  std::mutex fire_mutex_;                   // Held by the watchdog while it terminates.
  // Watchdog thread only: the call seen at the last sample, and its thread's CPU time then.
  std::uint64_t seen_call_ = kIdle;
  std::chrono::nanoseconds cpu_at_seen_{};
};

/// The process-wide watchdog thread.
class Watchdog {
 public:
  /// The shared watchdog; its thread starts with the first slot and stops at process exit.
  static Watchdog& shared();

  /// Registers an instance whose calls get `budget` of CPU time each; `terminate` is called on
  /// the watchdog thread to stop an overrunning call and must be safe to call from there.
  std::unique_ptr<WatchSlot> watch(std::function<void()> terminate,
                                   std::chrono::nanoseconds budget);

  ~Watchdog();

 private:
  friend class WatchSlot;
  Watchdog();
  void remove(WatchSlot& slot);
  void run();
  void sample(WatchSlot& slot);

  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace river::wasm
