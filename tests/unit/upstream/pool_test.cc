#include "upstream/pool.h"

#include <sys/socket.h>

#include <thread>

#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include "base/unique_fd.h"

namespace river::upstream {
namespace {

const asio::generic::stream_protocol kUnix(AF_UNIX, 0);

/// A connected pair of Unix stream sockets: `near` is what the pool holds, `far` plays
/// the peer.
struct SocketPair {
  net::Socket near;
  UniqueFd far;
};

SocketPair make_pair(asio::io_context& context) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  net::Socket near(context);
  near.assign(kUnix, fds[0]);
  return {std::move(near), UniqueFd(fds[1])};
}

const PeerKey kPeer{"127.0.0.1:9000"};

TEST(Pool, HandsBackAParkedConnection) {
  asio::io_context context;
  Pool pool({});
  auto pair = make_pair(context);
  pool.put(kPeer, 0, std::move(pair.near), kUnix);

  auto taken = pool.take(kPeer, 0, context);
  ASSERT_TRUE(taken.has_value());
  EXPECT_TRUE(taken->is_open());
  EXPECT_FALSE(pool.take(kPeer, 0, context).has_value()) << "a connection is handed out once";
  EXPECT_EQ(pool.stats().reused, 1u);
}

TEST(Pool, KeysConnectionsByPeer) {
  asio::io_context context;
  Pool pool({});
  auto pair = make_pair(context);
  pool.put(kPeer, 0, std::move(pair.near), kUnix);
  EXPECT_FALSE(pool.take(PeerKey{"127.0.0.1:9001"}, 0, context).has_value());
  EXPECT_TRUE(pool.take(kPeer, 0, context).has_value());
}

TEST(Pool, AnotherWorkerCanAdoptAnIdleConnection) {
  asio::io_context first;
  asio::io_context second;
  Pool pool({});
  auto pair = make_pair(first);
  pool.put(kPeer, 0, std::move(pair.near), kUnix);

  auto taken = pool.take(kPeer, 1, second);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(&static_cast<asio::io_context&>(taken->get_executor().context()), &second);
  EXPECT_EQ(pool.stats().reused_cross_worker, 1u);

  // The adopted socket still talks to the same peer.
  const char hello[] = "hi";
  ASSERT_EQ(asio::write(taken->socket(), asio::buffer(hello, 2)), 2u);
  char got[2];
  ASSERT_EQ(::recv(pair.far.get(), got, 2, 0), 2);
  EXPECT_EQ(std::string_view(got, 2), "hi");
}

TEST(Pool, PrefersTheCallersOwnConnections) {
  asio::io_context context;
  Pool pool({});
  auto mine = make_pair(context);
  auto theirs = make_pair(context);
  const int mine_peer = mine.far.get();
  pool.put(kPeer, 0, std::move(mine.near), kUnix);
  pool.put(kPeer, 1, std::move(theirs.near), kUnix);

  auto taken = pool.take(kPeer, 0, context);
  ASSERT_TRUE(taken.has_value());
  // Write through what we got; only our own pair's far end sees it.
  ASSERT_EQ(asio::write(taken->socket(), asio::buffer("x", 1)), 1u);
  char byte;
  EXPECT_EQ(::recv(mine_peer, &byte, 1, MSG_DONTWAIT), 1);
  EXPECT_EQ(pool.stats().reused_cross_worker, 0u);
}

TEST(Pool, DiscardsConnectionClosedByThePeer) {
  asio::io_context context;
  Pool pool({});
  auto pair = make_pair(context);
  pool.put(kPeer, 0, std::move(pair.near), kUnix);
  pair.far.reset();  // the peer's idle timeout fired

  EXPECT_FALSE(pool.take(kPeer, 0, context).has_value());
  EXPECT_EQ(pool.stats().discarded_closed, 1u);
  EXPECT_EQ(pool.stats().idle, 0u);
}

TEST(Pool, DiscardsConnectionWithUnexpectedBytes) {
  asio::io_context context;
  Pool pool({});
  auto pair = make_pair(context);
  pool.put(kPeer, 0, std::move(pair.near), kUnix);
  ASSERT_EQ(::send(pair.far.get(), "junk", 4, 0), 4);

  EXPECT_FALSE(pool.take(kPeer, 0, context).has_value());
}

TEST(Pool, ExpiresIdleConnections) {
  asio::io_context context;
  Pool pool({.idle_timeout = std::chrono::milliseconds(20), .max_idle_per_peer = 8});
  auto pair = make_pair(context);
  pool.put(kPeer, 0, std::move(pair.near), kUnix);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));

  pool.sweep();
  EXPECT_EQ(pool.stats().idle, 0u);
  EXPECT_EQ(pool.stats().expired, 1u);
  EXPECT_FALSE(pool.take(kPeer, 0, context).has_value());
}

TEST(Pool, KeepsAtMostMaxIdlePerPeer) {
  asio::io_context context;
  Pool pool({.idle_timeout = std::chrono::seconds(60), .max_idle_per_peer = 2});
  std::vector<UniqueFd> peers;
  for (int i = 0; i < 3; ++i) {
    auto pair = make_pair(context);
    peers.push_back(std::move(pair.far));
    pool.put(kPeer, 0, std::move(pair.near), kUnix);
  }
  EXPECT_EQ(pool.stats().idle, 2u);

  // The oldest was closed: its peer sees end of stream.
  char byte;
  EXPECT_EQ(::recv(peers[0].get(), &byte, 1, MSG_DONTWAIT), 0);
}

TEST(Pool, ZeroIdleCapKeepsNothing) {
  asio::io_context context;
  Pool pool({.idle_timeout = std::chrono::seconds(60), .max_idle_per_peer = 0});
  auto pair = make_pair(context);
  pool.put(kPeer, 0, std::move(pair.near), kUnix);
  EXPECT_EQ(pool.stats().idle, 0u);
  EXPECT_FALSE(pool.take(kPeer, 0, context).has_value());
}

TEST(Pool, IsSafeUnderConcurrentUse) {
  // Several threads park and take connections to the same peer at once; every connection
  // handed out is handed out once (the counters add up).
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  // Each thread's event loop outlives the pool, as the workers outlive the pools in River:
  // a parked socket stays registered with the loop of the thread that parked it.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<std::vector<UniqueFd>> far_ends(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    contexts.push_back(std::make_unique<asio::io_context>());
  }
  Pool pool({});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&pool, &context = *contexts[t], &peers = far_ends[t], t] {
      for (int i = 0; i < kRounds; ++i) {
        if (auto taken = pool.take(kPeer, t, context)) {
          pool.put(kPeer, t, std::move(*taken), kUnix);
        } else {
          auto pair = make_pair(context);
          peers.push_back(std::move(pair.far));
          pool.put(kPeer, t, std::move(pair.near), kUnix);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_LE(pool.stats().idle, 128u);
}

}  // namespace
}  // namespace river::upstream
