// Workers: the event-loop threads.
//
// River runs `count` worker threads, each with its own `io_context`. A downstream
// connection lives on one worker for its whole life, so per-connection state needs no
// locks; work crosses workers only through an explicit `post`.
#pragma once

#include <memory>
#include <optional>
#include <pthread.h>

#include <thread>
#include <vector>

#include "net/asio.h"

namespace river::net {

class Workers {
 public:
  /// Creates `count` event loops (not yet running); `count` 0 means one per CPU core.
  explicit Workers(unsigned count);
  ~Workers();

  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  unsigned size() const { return static_cast<unsigned>(loops_.size()); }
  asio::io_context& context(unsigned index) { return *loops_.at(index)->context; }

  /// Starts one thread per event loop. Each loop runs until `stop` or `join` after
  /// `release`.
  void start();

  /// Lets the loops return once they run out of work (connections and timers).
  void release();

  /// Stops every loop at once, abandoning pending work.
  void stop();

  /// Waits for all threads to end.
  void join();

 private:
  struct Loop {
    std::unique_ptr<asio::io_context> context;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    pthread_t thread{};
    bool started = false;
  };
  std::vector<std::unique_ptr<Loop>> loops_;
};

/// The index of the worker running the calling thread, or 0 outside any worker.
unsigned current_worker_index();

}  // namespace river::net
