#include "proxy/idle_clients.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace river::proxy {
namespace {

using namespace std::chrono_literals;

// What the last resume handed back; the resume hook is a plain function pointer.
std::optional<IdleClients::Parked> g_resumed;

void remember(IdleClients::Parked parked) { g_resumed = std::move(parked); }

/// A connected pair: the first end is parked as River's side, the second is the client.
struct Pair {
  net::Socket river;
  UniqueFd client;
};

Pair make_pair(asio::io_context& context) {
  int fds[2] = {-1, -1};
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  net::Socket river(context);
  river.assign(asio::generic::stream_protocol(AF_UNIX, 0), fds[0]);
  return Pair{std::move(river), UniqueFd(fds[1])};
}

/// Runs `context` until `done()` or `limit` passes, so a broken test fails instead of
/// hanging.
template <typename Done>
void run_until(asio::io_context& context, Done done, std::chrono::milliseconds limit = 2s) {
  const auto deadline = net::Clock::now() + limit;
  while (!done() && net::Clock::now() < deadline) {
    context.run_for(5ms);
    context.restart();
  }
}

/// True when the client end sees its peer closed (EOF) within a short time.
bool peer_closed(int fd) {
  timeval timeout{0, 500000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char byte = 0;
  return ::recv(fd, &byte, 1, 0) == 0;
}

// Each test runs on a thread of its own: IdleClients is per thread.
template <typename Body>
void on_fresh_thread(Body body) {
  // The event loop outlives the thread, as a worker's does in River: the thread's
  // IdleClients (a thread_local) still holds a timer on it when the thread exits.
  asio::io_context context(1);
  std::thread thread([&] { body(context); });
  thread.join();
}

TEST(IdleClients, ResumesAParkedConnectionWhenItsClientSends) {
  on_fresh_thread([](asio::io_context& context) {
    auto pair = make_pair(context);
    g_resumed.reset();

    auto& idle = IdleClients::on_this_worker();
    idle.park(IdleClients::Parked{std::move(pair.river), "192.0.2.1", nullptr, nullptr}, 5s,
              &remember);
    EXPECT_EQ(IdleClients::total(), 1u);
    context.run_for(50ms);
    EXPECT_FALSE(g_resumed) << "resumed before the client sent anything";

    ASSERT_EQ(::write(pair.client.get(), "GET", 3), 3);
    run_until(context, [] { return g_resumed.has_value(); });
    ASSERT_TRUE(g_resumed);
    EXPECT_EQ(g_resumed->client_ip, "192.0.2.1");
    EXPECT_EQ(IdleClients::total(), 0u);

    // The bytes were left in the socket for the next session to read.
    char buffer[8] = {};
    EXPECT_EQ(g_resumed->socket.read_some(asio::buffer(buffer)), 3u);
    EXPECT_EQ(std::string(buffer, 3), "GET");
    g_resumed.reset();
  });
}

TEST(IdleClients, ResumesAConnectionWhoseBytesArrivedBeforeItWasParked) {
  on_fresh_thread([](asio::io_context& context) {
    auto pair = make_pair(context);
    g_resumed.reset();
    ASSERT_EQ(::write(pair.client.get(), "x", 1), 1);

    IdleClients::on_this_worker().park(
        IdleClients::Parked{std::move(pair.river), "c", nullptr, nullptr}, 5s, &remember);
    run_until(context, [] { return g_resumed.has_value(); });
    EXPECT_TRUE(g_resumed);
    g_resumed.reset();
  });
}

TEST(IdleClients, ClosesAParkedConnectionWhenItsTimeoutPasses) {
  on_fresh_thread([](asio::io_context& context) {
    auto pair = make_pair(context);
    g_resumed.reset();

    const auto parked_at = net::Clock::now();
    IdleClients::on_this_worker().park(
        IdleClients::Parked{std::move(pair.river), "c", nullptr, nullptr}, 200ms, &remember);
    run_until(context, [] { return IdleClients::total() == 0; });
    const auto waited = net::Clock::now() - parked_at;

    EXPECT_EQ(IdleClients::total(), 0u);
    EXPECT_GE(waited, 200ms);
    EXPECT_LT(waited, 1s);
    EXPECT_FALSE(g_resumed);
    EXPECT_TRUE(peer_closed(pair.client.get()));
  });
}

TEST(IdleClients, ClosesWithoutResumingWhenTheClientHangsUp) {
  on_fresh_thread([](asio::io_context& context) {
    auto pair = make_pair(context);
    g_resumed.reset();

    IdleClients::on_this_worker().park(
        IdleClients::Parked{std::move(pair.river), "c", nullptr, nullptr}, 5s, &remember);
    pair.client.reset();
    run_until(context, [] { return IdleClients::total() == 0; });
    EXPECT_EQ(IdleClients::total(), 0u);
    EXPECT_FALSE(g_resumed) << "a session was started for a client that only closed";
  });
}

TEST(IdleClients, CloseAllClosesEveryParkedConnectionAndLaterOnes) {
  on_fresh_thread([](asio::io_context& context) {
    auto first = make_pair(context);
    auto second = make_pair(context);
    auto later = make_pair(context);
    auto& idle = IdleClients::on_this_worker();

    idle.park(IdleClients::Parked{std::move(first.river), "a", nullptr, nullptr}, 5s,
              &remember);
    idle.park(IdleClients::Parked{std::move(second.river), "b", nullptr, nullptr}, 9s,
              &remember);
    EXPECT_EQ(IdleClients::total(), 2u);
    idle.close_all();
    EXPECT_EQ(IdleClients::total(), 0u);
    EXPECT_TRUE(peer_closed(first.client.get()));
    EXPECT_TRUE(peer_closed(second.client.get()));

    idle.park(IdleClients::Parked{std::move(later.river), "c", nullptr, nullptr}, 5s,
              &remember);
    EXPECT_EQ(IdleClients::total(), 0u);
    EXPECT_TRUE(peer_closed(later.client.get()));
    context.run_for(20ms);
  });
}

TEST(IdleClients, ManyParkAndResumeCyclesKeepTheTimeoutQueuesShort) {
  on_fresh_thread([](asio::io_context& context) {
    g_resumed.reset();
    auto& idle = IdleClients::on_this_worker();
    // Each cycle parks and resumes the same connection; the stale deadlines they leave
    // behind must not make later timeouts wrong.
    auto pair = make_pair(context);
    net::Socket socket = std::move(pair.river);
    for (int cycle = 0; cycle < 3000; ++cycle) {
      idle.park(IdleClients::Parked{std::move(socket), "c", nullptr, nullptr}, 60s, &remember);
      ASSERT_EQ(::write(pair.client.get(), "x", 1), 1);
      run_until(context, [] { return g_resumed.has_value(); });
      ASSERT_TRUE(g_resumed) << "cycle " << cycle;
      char byte = 0;
      g_resumed->socket.read_some(asio::buffer(&byte, 1));
      socket = std::move(g_resumed->socket);
      g_resumed.reset();
    }
    idle.park(IdleClients::Parked{std::move(socket), "c", nullptr, nullptr}, 100ms, &remember);
    run_until(context, [] { return IdleClients::total() == 0; });
    EXPECT_EQ(IdleClients::total(), 0u);
    EXPECT_TRUE(peer_closed(pair.client.get()));
  });
}

}  // namespace
}  // namespace river::proxy
