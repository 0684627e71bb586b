#include "tls/context.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509err.h>

#include <cstring>

#include "tls/detail/contexts.h"

namespace river::tls {
namespace {

// TLS 1.2 suites with forward secrecy and AEAD only: no RSA key exchange, no CBC, no SHA-1
// MACs. TLS 1.3 suites are all of that already.
constexpr const char* kDefaultCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kDefaultGroups = "X25519:P-256:P-384";
// TLS 1.3: all three suites, AES-128-GCM first: as strong as the others for TLS's purposes
// and the cheapest on CPUs with AES instructions. (OpenSSL's own order puts AES-256 first,
// and River chooses by its own order.)
constexpr const char* kDefaultCiphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

Error setup_error(std::string context) {
  return Error{ErrorKind::Config, Side::Config, false, std::move(context)};
}

int to_openssl(Version version) {
  return version == Version::Tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

/// Settings shared by both sides: versions, no renegotiation, no compression, and buffers
/// given back while a connection is idle.
Result<void> apply_common(SSL_CTX* ctx, Version min_version, const std::string& ciphers,
                          const std::string& ciphersuites, const std::string& groups) {
  SSL_CTX_set_min_proto_version(ctx, to_openssl(min_version));
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

  const auto& cipher_list = ciphers.empty() ? std::string(kDefaultCiphers) : ciphers;
  if (SSL_CTX_set_cipher_list(ctx, cipher_list.c_str()) != 1) {
    return setup_error("invalid TLS 1.2 cipher list '" + cipher_list + "': " + openssl_errors());
  }
  const auto& suites = ciphersuites.empty() ? std::string(kDefaultCiphersuites) : ciphersuites;
  if (SSL_CTX_set_ciphersuites(ctx, suites.c_str()) != 1) {
    return setup_error("invalid TLS 1.3 cipher suites '" + suites + "': " + openssl_errors());
  }
  const auto& group_list = groups.empty() ? std::string(kDefaultGroups) : groups;
  if (SSL_CTX_set1_groups_list(ctx, group_list.c_str()) != 1) {
    return setup_error("invalid TLS groups '" + group_list + "': " + openssl_errors());
  }
  return Result<void>();
}

Result<void> load_pair(SSL_CTX* ctx, const CertificateFiles& files) {
  if (SSL_CTX_use_certificate_chain_file(ctx, files.certificate.c_str()) != 1) {
    return setup_error("cannot load certificate '" + files.certificate + "': " + openssl_errors());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return setup_error("private key '" + files.key + "' does not match certificate '" +
                         files.certificate + "'");
    }
    return setup_error("cannot load private key '" + files.key + "': " + openssl_errors());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return setup_error("private key '" + files.key + "' does not match certificate '" +
                       files.certificate + "'");
  }
  return Result<void>();
}

/// ALPN wire format: each protocol preceded by its length.
Result<std::vector<unsigned char>> alpn_wire(const std::vector<std::string>& protocols) {
  std::vector<unsigned char> wire;
  for (const auto& protocol : protocols) {
    if (protocol.empty() || protocol.size() > 255) {
      return setup_error("invalid ALPN protocol '" + protocol + "'");
    }
    wire.push_back(static_cast<unsigned char>(protocol.size()));
    wire.insert(wire.end(), protocol.begin(), protocol.end());
  }
  return wire;
}

/// Chooses the certificate whose names match the SNI name; the default one otherwise.
int select_certificate(SSL* ssl, int* /*alert*/, void* arg) {
  const auto& impl = *static_cast<const ServerContext::Impl*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr || impl.entries.size() < 2) {
    return SSL_TLSEXT_ERR_OK;
  }
  const std::size_t length = std::strlen(name);
  for (const auto& entry : impl.entries) {
    if (entry->leaf != nullptr && X509_check_host(entry->leaf, name, length, 0, nullptr) == 1) {
      if (entry.get() != impl.entries.front().get()) {
        SSL_set_SSL_CTX(ssl, entry->context.native_handle());
      }
      break;
    }
  }
  return SSL_TLSEXT_ERR_OK;
}

/// RFC 7301: the server picks; River takes the first of its own protocols the client offers.
/// With no overlap the connection goes on without ALPN (HTTP/1.1), as most servers do.
int select_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
                const unsigned char* offered, unsigned int offered_length, void* arg) {
  const auto& ours = static_cast<const ServerContext::Impl*>(arg)->alpn_wire;
  for (std::size_t i = 0; i < ours.size(); i += 1 + ours[i]) {
    const unsigned char length = ours[i];
    for (unsigned int j = 0; j < offered_length; j += 1u + offered[j]) {
      if (offered[j] == length && j + 1 + length <= offered_length &&
          std::memcmp(&offered[j + 1], &ours[i + 1], length) == 0) {
        *out = &offered[j + 1];
        *out_length = length;
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

/// OpenSSL's ticket key callback: encrypt (enc = 1) with the current key, decrypt with the
/// named one; 2 asks for a fresh ticket when an older key decrypted it.
int ticket_key_callback(SSL* ssl, unsigned char* key_name, unsigned char* iv,
                        EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int enc) {
  auto* ctx = SSL_get_SSL_CTX(ssl);
  auto* keys = static_cast<TicketKeys*>(SSL_CTX_get_ex_data(ctx, context_slot()));
  if (keys == nullptr) {
    return -1;
  }

  char digest[] = "SHA256";
  auto mac_params = [&](const TicketKeys::Key& key) {
    std::array<OSSL_PARAM, 3> params = {
        OSSL_PARAM_construct_octet_string(
            OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.hmac.data()), key.hmac.size()),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end()};
    return EVP_MAC_CTX_set_params(mac, params.data()) == 1;
  };

  if (enc == 1) {
    const auto key = keys->current();
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) {
      return -1;
    }
    std::memcpy(key_name, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1 ||
        !mac_params(key)) {
      return -1;
    }
    return 1;
  }

  const auto found = keys->find(key_name);
  if (!found) {
    return 0;  // unknown key: a full handshake, then a new ticket
  }
  const auto& [key, is_current] = *found;
  if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1 ||
      !mac_params(key)) {
    return -1;
  }
  return is_current ? 1 : 2;
}

}  // namespace

// NOTE: OpenSSL's "app data" slot (index 0) belongs to Asio (its verify callback), so River
// keeps its pointers in slots of its own.
int context_slot() {
  static const int slot = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return slot;
}

int connection_slot() {
  static const int slot = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return slot;
}

std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    if (!text.empty()) {
      text += "; ";
    }
    text += buffer.data();
  }
  return text.empty() ? "unknown TLS error" : text;
}

std::optional<Version> parse_version(std::string_view text) {
  if (text == "1.2") {
    return Version::Tls12;
  }
  if (text == "1.3") {
    return Version::Tls13;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Ticket keys

TicketKeys::TicketKeys(std::chrono::seconds rotation) : rotation_(rotation) {
  std::lock_guard lock(mutex_);
  previous_.reset();
  RAND_bytes(current_.name.data(), static_cast<int>(current_.name.size()));
  RAND_bytes(current_.aes.data(), static_cast<int>(current_.aes.size()));
  RAND_bytes(current_.hmac.data(), static_cast<int>(current_.hmac.size()));
  rotated_at_ = net::Clock::now();
}

void TicketKeys::rotate_if_due() {
  const auto now = net::Clock::now();
  if (now - rotated_at_ < rotation_) {
    return;
  }
  previous_ = current_;
  RAND_bytes(current_.name.data(), static_cast<int>(current_.name.size()));
  RAND_bytes(current_.aes.data(), static_cast<int>(current_.aes.size()));
  RAND_bytes(current_.hmac.data(), static_cast<int>(current_.hmac.size()));
  rotated_at_ = now;
}

TicketKeys::Key TicketKeys::current() {
  std::lock_guard lock(mutex_);
  rotate_if_due();
  return current_;
}

std::optional<std::pair<TicketKeys::Key, bool>> TicketKeys::find(const unsigned char* name) {
  std::lock_guard lock(mutex_);
  rotate_if_due();
  if (std::memcmp(name, current_.name.data(), current_.name.size()) == 0) {
    return std::pair{current_, true};
  }
  if (previous_ && std::memcmp(name, previous_->name.data(), previous_->name.size()) == 0) {
    return std::pair{*previous_, false};
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Server side

ServerContext::ServerContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ServerContext::~ServerContext() = default;

Result<std::shared_ptr<ServerContext>> ServerContext::create(const ServerOptions& options) {
  if (options.certificates.empty()) {
    return setup_error("a TLS listener needs at least one certificate");
  }
  auto impl = std::make_unique<Impl>();
  auto alpn = alpn_wire(options.alpn);
  if (!alpn) {
    return alpn.error();
  }
  impl->alpn_wire = std::move(*alpn);
  if (options.session_tickets) {
    impl->ticket_keys = std::make_unique<TicketKeys>(options.ticket_key_rotation);
  }

  for (const auto& files : options.certificates) {
    auto entry = std::make_unique<Impl::Entry>();
    SSL_CTX* ctx = entry->context.native_handle();
    if (auto applied = apply_common(ctx, options.min_version, options.ciphers, options.ciphersuites,
                                    options.groups);
        !applied) {
      return applied.error();
    }
    if (auto loaded = load_pair(ctx, files); !loaded) {
      return loaded.error();
    }
    entry->leaf = SSL_CTX_get0_certificate(ctx);
    entry->certificate_file = files.certificate;

    // Resumption: stateless tickets when on (shared keys, so any worker and any of the
    // listener's certificates can resume), no server-side session cache either way.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (impl->ticket_keys) {
      SSL_CTX_set_ex_data(ctx, context_slot(), impl->ticket_keys.get());
      SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_callback);
    } else {
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
      SSL_CTX_set_num_tickets(ctx, 0);
    }
    static const unsigned char kSessionContext[] = "river";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);

    SSL_CTX_set_tlsext_servername_callback(ctx, select_certificate);
    SSL_CTX_set_tlsext_servername_arg(ctx, impl.get());
    if (!impl->alpn_wire.empty()) {
      SSL_CTX_set_alpn_select_cb(ctx, select_alpn, impl.get());
    }
    impl->entries.push_back(std::move(entry));
  }
  return std::make_shared<ServerContext>(std::move(impl));
}

// ---------------------------------------------------------------------------------------
// Client side

void ClientContext::Impl::remember(const std::string& peer, SSL_SESSION* session) {
  // A copy: OpenSSL marks a connection's own session not resumable when the connection is
  // freed without a TLS shutdown, which is how pooled connections usually end (idle expiry,
  // a close-delimited response). The copy stays usable for the next connection.
  SslSessionPtr copy(SSL_SESSION_dup(session));
  if (!copy) {
    return;
  }
  std::lock_guard lock(mutex);
  sessions[peer] = std::move(copy);
}

SslSessionPtr ClientContext::Impl::recall(std::string_view peer) {
  std::lock_guard lock(mutex);
  const auto found = sessions.find(peer);
  if (found == sessions.end()) {
    return nullptr;
  }
  SSL_SESSION_up_ref(found->second.get());
  return SslSessionPtr(found->second.get());
}

ClientContext::ClientContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClientContext::~ClientContext() = default;

Result<std::shared_ptr<ClientContext>> ClientContext::create(const ClientOptions& options) {
  auto impl = std::make_unique<Impl>();
  SSL_CTX* ctx = impl->context.native_handle();
  if (auto applied = apply_common(ctx, options.min_version, "", "", ""); !applied) {
    return applied.error();
  }

  impl->verify = options.verify;
  if (options.verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    const int loaded = options.ca_file.empty()
                           ? SSL_CTX_set_default_verify_paths(ctx)
                           : SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr);
    if (loaded != 1) {
      return setup_error("cannot load CA bundle '" +
                         (options.ca_file.empty() ? std::string("system") : options.ca_file) +
                         "': " + openssl_errors());
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }

  const auto& client = options.client_certificate;
  if (!client.certificate.empty() || !client.key.empty()) {
    if (auto loaded = load_pair(ctx, client); !loaded) {
      return loaded.error();
    }
  }

  if (!options.alpn.empty()) {
    auto wire = alpn_wire(options.alpn);
    if (!wire) {
      return wire.error();
    }
    if (SSL_CTX_set_alpn_protos(ctx, wire->data(), static_cast<unsigned>(wire->size())) != 0) {
      return setup_error("cannot set ALPN: " + openssl_errors());
    }
  }

  // Sessions are kept per peer by Stream after each handshake (TLS 1.3 tickets arrive
  // after it, so the callback is where they are caught).
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_set_ex_data(ctx, context_slot(), impl.get());
  SSL_CTX_sess_set_new_cb(ctx, [](SSL* ssl, SSL_SESSION* session) -> int {
    auto* owner = static_cast<Impl*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_slot()));
    const auto* peer = static_cast<const std::string*>(SSL_get_ex_data(ssl, connection_slot()));
    if (owner != nullptr && peer != nullptr) {
      owner->remember(*peer, session);
    }
    return 0;  // we took our own reference
  });
  return std::make_shared<ClientContext>(std::move(impl));
}

}  // namespace river::tls
