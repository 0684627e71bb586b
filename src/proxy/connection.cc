#include "proxy/connection.h"

#include <algorithm>
#include <array>
#include <atomic>

#include "net/watchdog.h"
#include "proxy/http2_session.h"
#include "observe/log.h"

namespace river::proxy {
namespace {

// RFC 9113 §3.4: the client connection preface.
constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::atomic<std::uint64_t> g_failed_handshakes{0};

spdlog::logger& module_log() {
  static auto& instance = observe::logger("tls");
  return instance;
}

void start_http1(tls::Stream stream, std::string client_ip,
                 std::shared_ptr<const SessionOptions> options, std::shared_ptr<Handler> handler,
                 std::string_view already_read) {
  Http1Session::start(std::move(stream), std::move(client_ip), std::move(options),
                      std::move(handler), already_read);
}

void start_http2(tls::Stream stream, std::string client_ip,
                 std::shared_ptr<const SessionOptions> options, std::shared_ptr<Handler> handler,
                 std::string_view already_read) {
  Http2Session::start(std::move(stream), std::move(client_ip), std::string(already_read),
                      std::move(options), std::move(handler));
}

/// Reads until the bytes read either start with the HTTP/2 preface or cannot, and returns
/// them; fewer than the preface's length only when the client stopped sending.
asio::awaitable<std::string> read_preface_or_more(tls::Stream& stream) {
  std::string seen;
  std::array<char, 4096> buffer{};
  while (seen.size() < kH2Preface.size()) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), net::kNoThrow);
    if (ec) {
      break;
    }
    seen.append(buffer.data(), n);
    const auto compared = std::min(seen.size(), kH2Preface.size());
    if (std::string_view(seen).substr(0, compared) != kH2Preface.substr(0, compared)) {
      break;  // HTTP/1 (or garbage, which the HTTP/1 parser refuses)
    }
  }
  co_return seen;
}

asio::awaitable<void> prepare(tls::Stream stream, std::string client_ip,
                              std::shared_ptr<const ListenerProtocols> protocols,
                              std::shared_ptr<const SessionOptions> options,
                              std::shared_ptr<Handler> handler) {
  // One deadline for the handshake and the first bytes: the request header timeout, which
  // also bounds a slow client's request head (slowloris).
  auto watchdog = net::Watchdog::start(stream.get_executor(), [&stream] { stream.cancel(); });
  watchdog->expires_after(options->request_header_timeout);

  if (stream.is_tls()) {
    const auto ec = co_await stream.handshake();
    if (ec) {
      g_failed_handshakes.fetch_add(1, std::memory_order_relaxed);
      module_log().debug("tls handshake failed client={} error={}", client_ip,
                         watchdog->expired() ? std::string("timeout") : ec.message());
      watchdog->set_on_expire(nullptr);
      watchdog->stop();
      stream.close();
      co_return;
    }
  }

  std::string already_read;
  bool is_h2 = false;
  if (stream.is_tls()) {
    is_h2 = protocols->h2 && stream.handshake_info().alpn == "h2";
  } else {
    already_read = co_await read_preface_or_more(stream);
    is_h2 = std::string_view(already_read).substr(0, kH2Preface.size()) == kH2Preface;
  }
  watchdog->set_on_expire(nullptr);
  watchdog->stop();

  if (is_h2) {
    start_http2(std::move(stream), std::move(client_ip), std::move(options), std::move(handler),
                already_read);
  } else {
    start_http1(std::move(stream), std::move(client_ip), std::move(options), std::move(handler),
                already_read);
  }
}

}  // namespace

void start_connection(net::Socket socket, std::string client_ip,
                      std::shared_ptr<const ListenerProtocols> protocols,
                      std::shared_ptr<const SessionOptions> options,
                      std::shared_ptr<Handler> handler) {
  if (!protocols->tls && !protocols->h2) {
    Http1Session::start(tls::Stream(std::move(socket)), std::move(client_ip), std::move(options),
                        std::move(handler));
    return;
  }

  auto executor = socket.get_executor();
  auto stream = protocols->tls ? tls::Stream(std::move(socket), *protocols->tls)
                               : tls::Stream(std::move(socket));
  asio::co_spawn(executor,
                 prepare(std::move(stream), std::move(client_ip), std::move(protocols),
                         std::move(options), std::move(handler)),
                 asio::detached);
}

std::uint64_t failed_handshakes() { return g_failed_handshakes.load(std::memory_order_relaxed); }

}  // namespace river::proxy
