#include "proxy/idle_clients.h"

#include <malloc.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>

#include "observe/log.h"

namespace river::proxy {
namespace {

// Ready descriptors taken from the parking set per system call.
constexpr int kEventsPerCall = 64;
// Connections parked within one release delay that make a burst worth giving the memory of
// their sessions back to the system for.
constexpr std::size_t kReleaseAfterParks = 64;
constexpr auto kReleaseDelay = std::chrono::seconds(1);

spdlog::logger& module_log() {
  static auto& instance = observe::logger("http1");
  return instance;
}

/// True when a ready parked connection was closed by its client with nothing left to read:
/// a hang-up with no byte waiting (a request followed by a half-close is still served).
bool has_hung_up(std::uint32_t events, int fd) {
  if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) {
    return false;
  }
  char byte = 0;
  return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

}  // namespace

std::atomic<std::size_t> IdleClients::total_{0};

IdleClients& IdleClients::on_this_worker() {
  thread_local IdleClients instance;
  return instance;
}

void IdleClients::park(Parked parked, net::Clock::duration timeout, Resume resume) {
  net::ErrorCode ec;
  if (closed_ || !ensure_started(parked.socket.get_executor())) {
    parked.socket.close(ec);
    return;
  }
  resume_ = resume;

  // The family and protocol are needed to make a socket of the descriptor again.
  const auto protocol = parked.socket.local_endpoint(ec).protocol();
  if (ec) {
    parked.socket.close(ec);
    return;
  }
  // Taking the descriptor out of the event loop frees its per-descriptor state there.
  UniqueFd fd(parked.socket.release(ec));
  if (ec || !fd.valid()) {
    return;
  }

  const auto index = take_slot();
  auto& slot = slots_[index];
  // Level-triggered: bytes that arrived before this call still wake the connection.
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.u64 = token(index, slot.generation);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd.get(), &event) != 0) {
    module_log().debug("cannot park connection client={} errno={}", parked.client_ip, errno);
    release_slot(index);
    return;
  }

  slot.fd = std::move(fd);
  slot.family = protocol.family();
  slot.protocol = protocol.protocol();
  slot.client_ip = std::move(parked.client_ip);
  slot.options = std::move(parked.options);
  slot.handler = std::move(parked.handler);
  ++parked_;
  total_.fetch_add(1, std::memory_order_relaxed);

  const auto deadline = net::Clock::now() + timeout;
  queues_[timeout].push_back(Deadline{deadline, index, slot.generation});
  if (++queued_ > 2 * parked_ + 1024) {
    compact_queues();
  }
  arm_timer(deadline);
  watch();
  schedule_release();
}

void IdleClients::schedule_release() {
  ++parked_since_release_;
  if (release_pending_) {
    return;
  }
  release_pending_ = true;
  release_timer_->expires_after(kReleaseDelay);
  release_timer_->async_wait([this](const net::ErrorCode& ec) {
    release_pending_ = false;
    const bool burst = parked_since_release_ >= kReleaseAfterParks;
    parked_since_release_ = 0;
    if (!ec && burst && !closed_) {
      // The sessions of the parked connections went back to the allocator, but glibc keeps
      // freed memory in the middle of its heaps resident; this returns the whole free pages
      // to the system. It walks the heaps, so it runs at most once per delay, after bursts.
      ::malloc_trim(0);
    }
  });
}

void IdleClients::close_all() {
  closed_ = true;
  for (std::uint32_t index = 0; index < slots_.size(); ++index) {
    if (slots_[index].fd.valid()) {
      release_slot(index);
    }
  }
  queues_.clear();
  queued_ = 0;
  if (timer_) {
    timer_->cancel();
    release_timer_->cancel();
  }
  if (watcher_) {
    net::ErrorCode ignored;
    watcher_->cancel(ignored);
  }
}

bool IdleClients::ensure_started(const asio::any_io_executor& executor) {
  if (epoll_.valid()) {
    return true;
  }
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) {
    module_log().warn("cannot create the parking set errno={}", errno);
    return false;
  }

  executor_ = executor;
  timer_.emplace(executor);
  release_timer_.emplace(executor);
  // The event loop watches a duplicate, so that closing the watcher never closes epoll_.
  watcher_.emplace(executor);
  net::ErrorCode ec;
  watcher_->assign(::dup(epoll_.get()), ec);
  if (ec) {
    module_log().warn("cannot watch the parking set error={}", ec.message());
    epoll_.reset();
    return false;
  }
  return true;
}

std::uint32_t IdleClients::take_slot() {
  if (!free_slots_.empty()) {
    const auto index = free_slots_.back();
    free_slots_.pop_back();
    return index;
  }
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

void IdleClients::release_slot(std::uint32_t index) {
  auto& slot = slots_[index];
  if (slot.fd.valid()) {
    // Closing removes the descriptor from the parking set as well.
    slot.fd.reset();
    --parked_;
    total_.fetch_sub(1, std::memory_order_relaxed);
  }
  slot.client_ip = std::string();
  slot.options.reset();
  slot.handler.reset();
  ++slot.generation;
  free_slots_.push_back(index);
}

void IdleClients::watch() {
  if (watching_ || parked_ == 0 || closed_) {
    return;
  }
  watching_ = true;
  watcher_->async_wait(asio::posix::descriptor_base::wait_read,
                       [this](const net::ErrorCode& ec) {
                         watching_ = false;
                         if (!ec) {
                           on_ready();
                         }
                       });
}

void IdleClients::on_ready() {
  std::array<epoll_event, kEventsPerCall> events{};
  while (true) {
    const int count = ::epoll_wait(epoll_.get(), events.data(), kEventsPerCall, 0);
    if (count <= 0) {
      break;
    }
    for (int i = 0; i < count; ++i) {
      const auto data = events[static_cast<std::size_t>(i)].data.u64;
      const auto index = static_cast<std::uint32_t>(data & 0xffffffffu);
      const auto generation = static_cast<std::uint32_t>(data >> 32);
      if (index >= slots_.size() || slots_[index].generation != generation ||
          !slots_[index].fd.valid()) {
        continue;
      }
      if (has_hung_up(events[static_cast<std::size_t>(i)].events, slots_[index].fd.get())) {
        // The client closed without sending anything: no session needed to see that.
        release_slot(index);
        continue;
      }
      resume_slot(index);
    }
    if (count < kEventsPerCall) {
      break;
    }
  }
  watch();
}

void IdleClients::resume_slot(std::uint32_t index) {
  auto& slot = slots_[index];
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, slot.fd.get(), nullptr);

  Parked parked{net::Socket(*executor_), std::move(slot.client_ip), std::move(slot.options),
                std::move(slot.handler)};
  const asio::generic::stream_protocol protocol(slot.family, slot.protocol);
  net::ErrorCode ec;
  parked.socket.assign(protocol, slot.fd.get(), ec);
  if (ec) {
    release_slot(index);  // closes the descriptor
    return;
  }
  slot.fd.release();  // the socket owns it now
  --parked_;
  total_.fetch_sub(1, std::memory_order_relaxed);
  release_slot(index);

  resume_(std::move(parked));
}

void IdleClients::compact_queues() {
  queued_ = 0;
  for (auto& [timeout, queue] : queues_) {
    std::erase_if(queue, [this](const Deadline& due) {
      const auto& slot = slots_[due.slot];
      return slot.generation != due.generation || !slot.fd.valid();
    });
    queued_ += queue.size();
  }
}

void IdleClients::arm_timer(net::Clock::time_point deadline) {
  // Only an earlier deadline moves the timer (and costs a timerfd update).
  if (deadline >= timer_at_) {
    return;
  }
  timer_at_ = deadline;
  timer_->expires_at(deadline);
  timer_->async_wait([this](const net::ErrorCode& ec) {
    if (!ec) {
      on_timer();
    }
  });
}

void IdleClients::on_timer() {
  timer_at_ = net::Clock::time_point::max();
  const auto now = net::Clock::now();

  auto next = net::Clock::time_point::max();
  for (auto& [timeout, queue] : queues_) {
    // Each queue is in deadline order: stop at the first deadline still ahead. Entries of
    // connections resumed meanwhile are stale and only dropped.
    while (!queue.empty() && queue.front().at <= now) {
      const auto due = queue.front();
      queue.pop_front();
      --queued_;
      if (slots_[due.slot].generation == due.generation && slots_[due.slot].fd.valid()) {
        release_slot(due.slot);
      }
    }
    if (!queue.empty()) {
      next = std::min(next, queue.front().at);
    }
  }

  if (next != net::Clock::time_point::max() && !closed_) {
    arm_timer(next);
  }
}

}  // namespace river::proxy
