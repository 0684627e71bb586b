#include "tls/stream.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>

#include "tls/context.h"
#include "tls/detail/contexts.h"

namespace river::tls {
namespace {

bool is_ip_literal(std::string_view name) {
  net::ErrorCode ec;
  (void)asio::ip::make_address(std::string(name), ec);
  return !ec;
}

}  // namespace

Stream::Stream(net::Socket socket) : plain_(std::move(socket)) {}

Stream::Stream(net::Socket socket, const ServerContext& context)
    : plain_(socket.get_executor()), is_server_(true) {
  auto& default_entry = *context.impl().entries.front();
  tls_ = std::make_unique<SslStream>(std::move(socket), default_entry.context);
}

Stream::Stream(net::Socket socket, const ClientContext& context, std::string_view server_name)
    : plain_(socket.get_executor()) {
  auto& impl = context.impl();
  tls_ = std::make_unique<SslStream>(std::move(socket), impl.context);
  SSL* ssl = tls_->native_handle();

  // SNI carries host names only (RFC 6066 §3); the certificate check takes either.
  const std::string name(server_name);
  if (!name.empty() && !is_ip_literal(name)) {
    SSL_set_tlsext_host_name(ssl, name.c_str());
  }
  if (impl.verify && !name.empty()) {
    if (is_ip_literal(name)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    } else {
      SSL_set1_host(ssl, name.c_str());
    }
  }

  // Resume the last session with this peer, and be told of new ones.
  session_key_ = std::make_unique<std::string>(name);
  SSL_set_ex_data(ssl, connection_slot(), session_key_.get());
  if (auto session = impl.recall(name)) {
    SSL_set_session(ssl, session.get());
  }
}

Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&&) noexcept = default;
Stream::~Stream() = default;

asio::awaitable<net::ErrorCode> Stream::handshake() {
  if (!tls_) {
    co_return net::ErrorCode();
  }
  const auto side = is_server_ ? asio::ssl::stream_base::server : asio::ssl::stream_base::client;
  auto [ec] = co_await tls_->async_handshake(side, net::kNoThrow);
  if (ec) {
    co_return ec;
  }

  SSL* ssl = tls_->native_handle();
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
  info_.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
    info_.server_name = name;
  }
  info_.version = SSL_get_version(ssl);
  info_.resumed = SSL_session_reused(ssl) == 1;
  co_return net::ErrorCode();
}

asio::awaitable<void> Stream::async_shutdown() {
  if (!tls_ || !is_open()) {
    co_return;
  }
  // Errors are expected here (the peer may close first); the connection ends either way.
  (void)co_await tls_->async_shutdown(net::kNoThrow);
}

void Stream::shutdown_send() {
  // NOTE: on TLS this is a plain TCP half-close, without close_notify: the alert would sit in
  // Asio's buffers unflushed. HTTP framing, not the TLS end, tells clients where a response
  // ends, and a close-delimited one is only sent to HTTP/1.0 clients.
  net::ErrorCode ignored;
  socket().shutdown(asio::socket_base::shutdown_send, ignored);
}

bool Stream::rebind(asio::io_context& context, const asio::generic::stream_protocol& protocol) {
  net::ErrorCode ec;
  const int fd = socket().release(ec);
  if (ec) {
    return false;
  }
  net::Socket moved(context);
  moved.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return false;
  }
  if (!tls_) {
    plain_ = std::move(moved);
    return true;
  }

  // The SSL object carries the session; Asio's stream around it is rebuilt on the new
  // socket. The new stream gets its own reference to the SSL object and fresh BIOs; the old
  // one, destroyed next, gives back its BIO and its reference.
  SSL* ssl = tls_->native_handle();
  if (SSL_pending(ssl) != 0 || SSL_up_ref(ssl) != 1) {
    return false;
  }
  tls_ = std::make_unique<SslStream>(std::move(moved), ssl);
  plain_ = net::Socket(context);
  return true;
}

net::Socket Stream::release_plain_socket() {
  RIVER_CHECK(!tls_);
  return std::move(plain_);
}

}  // namespace river::tls
