// The insides of ServerContext and ClientContext, shared by context.cc and stream.cc only.
// OpenSSL handles live here and nowhere else; each is owned by an RAII type.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/asio.h"
#include "tls/context.h"

namespace river::tls {

struct SslSessionFree {
  void operator()(SSL_SESSION* session) const { SSL_SESSION_free(session); }
};
using SslSessionPtr = std::unique_ptr<SSL_SESSION, SslSessionFree>;

/// Session ticket keys: the current one encrypts, the current and the previous decrypt.
class TicketKeys {
 public:
  explicit TicketKeys(std::chrono::seconds rotation);

  struct Key {
    std::array<unsigned char, 16> name{};
    std::array<unsigned char, 32> aes{};
    std::array<unsigned char, 32> hmac{};
  };

  /// The key to encrypt a new ticket with, rotating first when it is due.
  Key current();

  /// The key named `name`, and whether it is the current one; nullopt when unknown (too old).
  std::optional<std::pair<Key, bool>> find(const unsigned char* name);

 private:
  void rotate_if_due();

  std::chrono::seconds rotation_;
  std::mutex mutex_;
  Key current_;                        // guarded by mutex_
  std::optional<Key> previous_;        // guarded by mutex_
  net::Clock::time_point rotated_at_;  // guarded by mutex_
};

struct ServerContext::Impl {
  struct Entry {
    asio::ssl::context context{asio::ssl::context::tls_server};
    std::string certificate_file;
    // The certificate's own names are matched with X509_check_host; the leaf is kept for it.
    X509* leaf = nullptr;  // owned by `context`
  };

  std::vector<std::unique_ptr<Entry>> entries;  // [0] is the default
  std::vector<unsigned char> alpn_wire;         // River's preference, ALPN wire format
  std::unique_ptr<TicketKeys> ticket_keys;      // null when tickets are off
};

struct ClientContext::Impl {
  asio::ssl::context context{asio::ssl::context::tls_client};
  bool verify = true;

  /// The last session per peer name, for resumption.
  std::mutex mutex;
  std::map<std::string, SslSessionPtr, std::less<>> sessions;  // guarded by mutex

  void remember(const std::string& peer, SSL_SESSION* session);
  /// A new reference to the cached session for `peer`, or null.
  SslSessionPtr recall(std::string_view peer);
};

/// OpenSSL extra-data slots: SSL_CTX (the TicketKeys or ClientContext::Impl) and SSL (the
/// session cache key of a client connection, a std::string owned by its Stream).
int context_slot();
int connection_slot();

/// The OpenSSL error queue as one line, emptied.
std::string openssl_errors();

}  // namespace river::tls
