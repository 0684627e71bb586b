#include "net/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "base/unique_fd.h"
#include "observe/log.h"

namespace river::net {
namespace {

Error bind_error(const SocketAddress& address, const ErrorCode& ec) {
  return Error{ErrorKind::Io, Side::Config, false,
               fmt::format("cannot listen on {}: {}", address.to_string(), ec.message())};
}

}  // namespace

Listener::Listener(Workers& workers, SocketAddress address, AcceptHandler on_accept)
    : workers_(workers), local_address_(std::move(address)), on_accept_(std::move(on_accept)) {}

Listener::~Listener() { close(); }

Result<std::unique_ptr<Listener>> Listener::bind(Workers& workers, const SocketAddress& address,
                                                 AcceptHandler on_accept) {
  auto listener = std::make_unique<Listener>(workers, address, std::move(on_accept));
  const bool is_unix = address.kind == SocketAddress::Kind::Unix;
  const unsigned slots = is_unix ? 1 : workers.size();

  if (is_unix) {
    // A stale socket file from an earlier run would make bind fail.
    ::unlink(address.path.c_str());
  }

  // One listening socket per address, bound without SO_REUSEPORT: with it, a second
  // process (another river started by mistake) could bind the same port and silently take
  // a share of the connections. Each worker accepts on its own duplicate of the descriptor,
  // registered with its own loop; the kernel wakes the workers and one of them wins each
  // connection.
  auto first = std::make_unique<Acceptor>(workers.context(0));
  const auto endpoint = listener->local_address_.endpoint();
  ErrorCode ec;
  first->open(endpoint.protocol(), ec);
  if (!ec && !is_unix) {
    // SO_REUSEADDR only lets us bind over connections in TIME_WAIT from an earlier run; it
    // never lets two sockets listen on one address (Linux).
    first->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && address.tcp.address().is_v6()) {
      first->set_option(asio::ip::v6_only(true), ec);
    }
  }
  if (!ec) {
    first->bind(endpoint, ec);
  }
  if (!ec) {
    first->listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return bind_error(listener->local_address_, ec);
  }
  if (!is_unix) {
    // With port 0 the bind picked the port.
    listener->local_address_.tcp.port(port_of(first->local_endpoint()));
  }
  const int native = first->native_handle();
  listener->slots_.push_back(Slot{std::move(first), 0});

  for (unsigned i = 1; i < slots; ++i) {
    UniqueFd copy(::fcntl(native, F_DUPFD_CLOEXEC, 0));
    if (!copy.valid()) {
      return bind_error(listener->local_address_,
                        ErrorCode(errno, boost::system::system_category()));
    }
    auto acceptor = std::make_unique<Acceptor>(workers.context(i));
    acceptor->assign(endpoint.protocol(), copy.get(), ec);
    if (ec) {
      return bind_error(listener->local_address_, ec);
    }
    (void)copy.release();  // the acceptor owns it now
    listener->slots_.push_back(Slot{std::move(acceptor), i});
  }
  return listener;
}

void Listener::start() {
  for (auto& slot : slots_) {
    asio::co_spawn(workers_.context(slot.worker), accept_loop(slot), asio::detached);
  }
}

void Listener::close() {
  for (auto& slot : slots_) {
    // Each acceptor belongs to its worker's loop: close it there.
    asio::post(workers_.context(slot.worker), [acceptor = slot.acceptor.get()] {
      ErrorCode ignored;
      acceptor->close(ignored);
    });
  }
}

asio::awaitable<void> Listener::accept_loop(Slot& slot) {
  const bool is_unix = local_address_.kind == SocketAddress::Kind::Unix;
  auto& log = observe::logger("net");

  while (slot.acceptor->is_open()) {
    unsigned target = slot.worker;
    if (is_unix) {
      target = next_worker_++ % workers_.size();
    }
    // accept() reports the client's address; asking again later would cost a system call.
    Endpoint peer;
    auto [ec, socket] =
        co_await slot.acceptor->async_accept(workers_.context(target), peer, kNoThrow);
    if (ec == asio::error::operation_aborted || !slot.acceptor->is_open()) {
      break;
    }
    if (ec) {
      // Out of file descriptors or memory: back off briefly instead of spinning.
      log.warn("accept failed listener={} error={}", local_address_.to_string(), ec.message());
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }

    if (!is_unix) {
      ErrorCode ignored;
      socket.set_option(asio::detail::socket_option::boolean<IPPROTO_TCP, TCP_NODELAY>(true),
                        ignored);
    }
    if (target == slot.worker) {
      on_accept_(std::move(socket), peer, target);
    } else {
      asio::post(workers_.context(target),
                 [handler = on_accept_, s = std::move(socket), peer, target]() mutable {
                   handler(std::move(s), peer, target);
                 });
    }
  }
}

}  // namespace river::net
