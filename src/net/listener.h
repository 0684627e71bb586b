// Listener: accepts connections on one address and hands each to a worker.
//
// A TCP address gets one listening socket, bound without SO_REUSEPORT so that no other
// process can join it; each worker accepts on its own duplicate of the descriptor, so no
// accept crosses threads. Unix domain sockets have a single accepting socket on worker 0
// that places each new connection on the next worker in turn.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/address.h"
#include "net/asio.h"
#include "net/workers.h"

namespace river::net {

/// Called on the worker that owns `socket`, once per accepted connection, with the
/// client's address as accept() reported it.
using AcceptHandler = std::function<void(Socket socket, const Endpoint& peer, unsigned worker)>;

class Listener {
 public:
  /// Binds and listens on `address` (port 0 picks a free port, shared by all workers).
  static Result<std::unique_ptr<Listener>> bind(Workers& workers, const SocketAddress& address,
                                                AcceptHandler on_accept);
  Listener(Workers& workers, SocketAddress address, AcceptHandler on_accept);
  ~Listener();

  /// Starts accepting on every worker.
  void start();

  /// Stops accepting and closes the listening sockets (from any thread).
  void close();

  /// The address actually bound, with the real port when 0 was asked for.
  const SocketAddress& local_address() const { return local_address_; }

 private:
  using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;
  struct Slot {
    std::unique_ptr<Acceptor> acceptor;
    unsigned worker = 0;
  };

  asio::awaitable<void> accept_loop(Slot& slot);

  Workers& workers_;
  SocketAddress local_address_;
  AcceptHandler on_accept_;
  std::vector<Slot> slots_;
  unsigned next_worker_ = 0;  // Unix sockets: round-robin target, touched only by worker 0
};

}  // namespace river::net
