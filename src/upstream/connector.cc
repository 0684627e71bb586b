#include "upstream/connector.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "net/watchdog.h"

namespace river::upstream {

asio::awaitable<Result<net::Socket>> connect(const net::SocketAddress& peer,
                                             std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  net::Socket socket(executor);
  auto watchdog = net::Watchdog::start(executor, [&socket] {
    net::ErrorCode ignored;
    socket.close(ignored);
  });
  watchdog->expires_after(timeout);

  auto [ec] = co_await socket.async_connect(peer.endpoint(), net::kNoThrow);
  const bool timed_out = watchdog->expired();
  watchdog->stop();

  if (timed_out) {
    co_return Error{ErrorKind::ConnectTimeout, Side::Upstream, true,
                    "connect to " + peer.to_string() + " timed out"};
  }
  if (ec) {
    const auto kind = ec == asio::error::connection_refused ? ErrorKind::ConnectRefused
                                                            : ErrorKind::Io;
    co_return Error{kind, Side::Upstream, true,
                    "connect to " + peer.to_string() + ": " + ec.message()};
  }

  if (peer.kind == net::SocketAddress::Kind::Tcp) {
    net::ErrorCode ignored;
    socket.set_option(asio::detail::socket_option::boolean<IPPROTO_TCP, TCP_NODELAY>(true),
                      ignored);
  }
  co_return std::move(socket);
}

}  // namespace river::upstream
