#include "net/workers.h"

#include <pthread.h>

#include <fmt/format.h>

namespace river::net {
namespace {
thread_local unsigned tls_worker_index = 0;
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
    loop->thread = std::thread([loop, i] {
      tls_worker_index = i;
      const auto name = fmt::format("river-w{}", i);
      ::pthread_setname_np(::pthread_self(), name.c_str());
      loop->context->run();
    });
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
    if (loop->thread.joinable()) {
      loop->thread.join();
    }
  }
}

}  // namespace river::net
