#include "net/workers.h"

#include <pthread.h>

#include <functional>
#include <memory>

#include <fmt/format.h>

#include "base/check.h"

namespace river::net {
namespace {
thread_local unsigned tls_worker_index = 0;

/// Stack of each worker thread. WASM plugins run on the workers, and V8 derives its stack
/// limit from the thread's stack (it needs at least 2 MiB); set explicitly rather than
/// inherited from `ulimit -s`, which may be small or unlimited (then glibc gives 2 MiB).
constexpr std::size_t kWorkerStackBytes = std::size_t{8} << 20;
}

unsigned current_worker_index() { return tls_worker_index; }

Workers::Workers(unsigned count) {
  if (count == 0) {
    count = std::max(1u, std::thread::hardware_concurrency());
  }
  for (unsigned i = 0; i < count; ++i) {
    auto loop = std::make_unique<Loop>();
    // Concurrency hint 1: each loop is driven by exactly one thread, which lets Asio skip
    // internal locking.
    loop->context = std::make_unique<asio::io_context>(1);
    loop->guard.emplace(loop->context->get_executor());
    loops_.push_back(std::move(loop));
  }
}

Workers::~Workers() {
  stop();
  join();
}

void Workers::start() {
  for (unsigned i = 0; i < loops_.size(); ++i) {
    auto* loop = loops_[i].get();
    auto body = std::make_unique<std::function<void()>>([loop, i] {
      tls_worker_index = i;
      const auto name = fmt::format("river-w{}", i);
      ::pthread_setname_np(::pthread_self(), name.c_str());
      loop->context->run();
    });
    pthread_attr_t attr;
    ::pthread_attr_init(&attr);
    ::pthread_attr_setstacksize(&attr, kWorkerStackBytes);
    pthread_t thread{};
    const int failed = ::pthread_create(
        &thread, &attr,
        [](void* arg) -> void* {
          std::unique_ptr<std::function<void()>> run(static_cast<std::function<void()>*>(arg));
          (*run)();
          return nullptr;
        },
        body.get());
    ::pthread_attr_destroy(&attr);
    // A River without its workers cannot serve anything.
    RIVER_CHECK(failed == 0);
    body.release();  // the thread owns it now
    loop->thread = thread;
    loop->started = true;
  }
}

void Workers::release() {
  for (auto& loop : loops_) {
    loop->guard.reset();
  }
}

void Workers::stop() {
  for (auto& loop : loops_) {
    loop->guard.reset();
    loop->context->stop();
  }
}

void Workers::join() {
  for (auto& loop : loops_) {
    if (loop->started) {
      ::pthread_join(loop->thread, nullptr);
      loop->started = false;
    }
  }
}

}  // namespace river::net
