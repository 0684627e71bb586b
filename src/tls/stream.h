// Stream: a connection's byte stream, either a plain socket or TLS over one.
//
// Everything above the transport (the HTTP/1 session, the HTTP/2 session, the proxy's
// upstream connections) reads and writes through a Stream and never asks which kind it is,
// except to learn what the TLS handshake agreed (ALPN protocol, server name). A Stream meets
// Asio's AsyncReadStream and AsyncWriteStream requirements, so `asio::async_write` works on
// it; on a plain stream each operation goes straight to the socket, costing one branch.
//
// OpenSSL stays inside this module: the SSL object lives in Asio's ssl::stream, configured
// from a tls::ServerContext or tls::ClientContext (context.h), and nothing here hands out a
// raw handle.
//
// A Stream belongs to one worker's executor, like the socket under it.
#pragma once

#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "net/asio.h"

namespace river::tls {

class ServerContext;
class ClientContext;

/// What a finished handshake agreed.
struct HandshakeInfo {
  /// The ALPN protocol chosen ("h2", "http/1.1"), empty when none was.
  std::string alpn;
  /// The server name the client asked for (SNI), empty when it sent none.
  std::string server_name;
  /// "TLSv1.3", "TLSv1.2".
  std::string version;
  /// True when the session was resumed (ticket or session cache).
  bool resumed = false;
};

class Stream {
 public:
  using executor_type = net::Socket::executor_type;
  using lowest_layer_type = net::Socket;

  /// A plain stream over `socket`.
  explicit Stream(net::Socket socket);

  /// A TLS stream, server side: `handshake()` must succeed before any read or write.
  Stream(net::Socket socket, const ServerContext& context);

  /// A TLS stream, client side, for `server_name` (SNI and certificate host check unless the
  /// context says otherwise).
  Stream(net::Socket socket, const ClientContext& context, std::string_view server_name);

  Stream(Stream&&) noexcept;
  Stream& operator=(Stream&&) noexcept;
  ~Stream();

  bool is_tls() const { return tls_ != nullptr; }

  /// Runs the TLS handshake (a no-op for a plain stream). The caller bounds it in time by
  /// cancelling the socket. On failure the error says why ("certificate verify failed").
  asio::awaitable<net::ErrorCode> handshake();

  /// What the handshake agreed; empty fields for a plain stream.
  const HandshakeInfo& handshake_info() const { return info_; }

  executor_type get_executor() { return socket().get_executor(); }
  net::Socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
  const net::Socket& socket() const { return tls_ ? tls_->next_layer() : plain_; }
  net::Socket& lowest_layer() { return socket(); }

  template <typename Buffers, typename Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    if (tls_) {
      return tls_->async_read_some(buffers, std::forward<Token>(token));
    }
    return plain_.async_read_some(buffers, std::forward<Token>(token));
  }

  template <typename Buffers, typename Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    if (tls_) {
      return tls_->async_write_some(buffers, std::forward<Token>(token));
    }
    return plain_.async_write_some(buffers, std::forward<Token>(token));
  }

  bool is_open() const { return socket().is_open(); }

  /// Cancels pending operations; they complete with `operation_aborted`.
  void cancel() {
    net::ErrorCode ignored;
    socket().cancel(ignored);
  }

  void close() {
    net::ErrorCode ignored;
    socket().close(ignored);
  }

  /// Ends TLS properly before a close: sends close_notify and waits for the peer's (or its
  /// close), so the peer knows the data was complete and may resume the session later
  /// (OpenSSL 3 clients refuse to resume after a bare TCP close). A no-op on a plain stream.
  /// The caller bounds it in time by cancelling the socket.
  asio::awaitable<void> async_shutdown();

  /// Tells the peer nothing more will be sent (a TCP half-close).
  void shutdown_send();

  /// Gives the socket back for reuse without TLS state; only for a plain stream.
  net::Socket release_plain_socket();

  /// Moves the stream onto `context` (another worker's event loop), TLS state included, so
  /// an idle pooled connection can serve any worker. Only for an idle stream: no operation
  /// pending and nothing buffered. Returns false (and leaves the stream closed) on failure.
  bool rebind(asio::io_context& context, const asio::generic::stream_protocol& protocol);

 private:
  using SslStream = asio::ssl::stream<net::Socket>;

  net::Socket plain_;               // the socket of a plain stream; unused (closed) with TLS
  std::unique_ptr<SslStream> tls_;  // owns the socket of a TLS stream
  bool is_server_ = false;
  HandshakeInfo info_;
  // Client side: the name sessions are cached under, at a stable address because OpenSSL's
  // new-session callback finds it through the SSL object.
  std::unique_ptr<std::string> session_key_;
};

}  // namespace river::tls
