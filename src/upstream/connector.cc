#include "upstream/connector.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "net/watchdog.h"

namespace river::upstream {

asio::awaitable<Result<tls::Stream>> connect(const net::SocketAddress& peer,
                                             std::chrono::milliseconds timeout,
                                             const TlsTarget* tls) {
  auto executor = co_await asio::this_coro::executor;
  net::Socket socket(executor);
  net::Socket* current = &socket;  // what the watchdog closes: the socket, later the stream's
  auto watchdog = net::Watchdog::start(executor, [&current] {
    net::ErrorCode ignored;
    current->close(ignored);
  });
  watchdog->expires_after(timeout);

  auto [ec] = co_await socket.async_connect(peer.endpoint(), net::kNoThrow);
  const bool timed_out = watchdog->expired();

  if (timed_out) {
    watchdog->stop();
    co_return Error{ErrorKind::ConnectTimeout, Side::Upstream, true,
                    "connect to " + peer.to_string() + " timed out"};
  }
  if (ec) {
    watchdog->stop();
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
  if (tls == nullptr) {
    watchdog->stop();
    co_return tls::Stream(std::move(socket));
  }

  tls::Stream stream(std::move(socket), tls->context, tls->server_name);
  current = &stream.socket();
  const auto handshake = co_await stream.handshake();
  const bool handshake_timed_out = watchdog->expired();
  watchdog->set_on_expire(nullptr);
  watchdog->stop();
  if (handshake_timed_out) {
    co_return Error{ErrorKind::ConnectTimeout, Side::Upstream, true,
                    "TLS handshake with " + peer.to_string() + " timed out"};
  }
  if (handshake) {
    co_return Error{ErrorKind::TlsHandshake, Side::Upstream, true,
                    "TLS handshake with " + peer.to_string() + ": " + handshake.message()};
  }
  co_return std::move(stream);
}

}  // namespace river::upstream
