// The event-loop vocabulary every engine module shares: Boost.Asio under the short name
// `asio`, the stream socket type used for both TCP and Unix domain sockets, and the
// completion token that reports errors as values instead of exceptions.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace river {
namespace asio = boost::asio;
}

namespace river::net {

using ErrorCode = boost::system::error_code;

/// A connected stream socket: TCP over IPv4 or IPv6, or a Unix domain socket.
using Socket = asio::generic::stream_protocol::socket;
using Endpoint = asio::generic::stream_protocol::endpoint;

/// Completion token for coroutines on the data path: `auto [ec, n] = co_await
/// socket.async_read_some(buffer, kNoThrow);` — failures arrive as error codes.
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

using Clock = std::chrono::steady_clock;

}  // namespace river::net
