// ServerContext and ClientContext: everything TLS that is set up once and shared by every
// connection of a listener (server side) or of an upstream peer group (client side).
//
// Certificates and keys are read when the context is created, at start-up, before any
// privilege drop; a missing, unreadable or mismatched file is an error naming the file.
// Defaults are the safe ones: nothing below TLS 1.2, only AEAD ciphers with forward secrecy,
// no renegotiation, no compression.
//
// Server side: several certificates on one listener, chosen by the SNI name the client sends
// (matched against each certificate's names), with the first as default; ALPN chosen by
// River's preference among what the client offers; session resumption with tickets whose
// keys rotate (the previous key still decrypts, so resumption survives a rotation).
//
// Client side: certificate verification on by default (system CA store or a bundle) with a
// host name check, SNI, an optional client certificate, ALPN, and resumption of the last
// session per peer.
//
// Contexts are immutable after creation and used from every worker thread; what changes
// (ticket keys, cached client sessions) is guarded by a mutex inside.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace river::tls {

/// A certificate chain and its private key, PEM files.
struct CertificateFiles {
  std::string certificate;
  std::string key;
  bool operator==(const CertificateFiles&) const = default;
};

enum class Version { Tls12, Tls13 };

struct ServerOptions {
  /// The first is the default; the others are chosen by SNI. At least one.
  std::vector<CertificateFiles> certificates;
  Version min_version = Version::Tls12;
  /// TLS 1.2 cipher list in OpenSSL syntax; empty means River's default (ECDHE with AES-GCM
  /// or ChaCha20-Poly1305).
  std::string ciphers;
  /// TLS 1.3 cipher suites in OpenSSL syntax; empty means all three, AES-128-GCM first.
  std::string ciphersuites;
  /// Key exchange groups, "X25519:P-256"; empty means River's default.
  std::string groups;
  /// ALPN protocols offered, in River's order of preference.
  std::vector<std::string> alpn = {"h2", "http/1.1"};
  /// Session tickets on, keys replaced this often (the previous one still accepted).
  bool session_tickets = true;
  std::chrono::seconds ticket_key_rotation = std::chrono::hours(1);
};

struct ClientOptions {
  /// Verify the peer's certificate chain and host name.
  bool verify = true;
  /// PEM bundle of trusted CAs; empty means the system store.
  std::string ca_file;
  /// Client certificate for mutual TLS; empty fields mean none.
  CertificateFiles client_certificate;
  Version min_version = Version::Tls12;
  /// ALPN protocols offered, in order; empty offers none.
  std::vector<std::string> alpn;
};

class ServerContext {
 public:
  /// Loads the certificates and keys and builds the OpenSSL contexts.
  static Result<std::shared_ptr<ServerContext>> create(const ServerOptions& options);

  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  struct Impl;
  /// For tls::Stream only.
  Impl& impl() const { return *impl_; }

  explicit ServerContext(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

class ClientContext {
 public:
  static Result<std::shared_ptr<ClientContext>> create(const ClientOptions& options);

  ~ClientContext();
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;

  struct Impl;
  /// For tls::Stream only.
  Impl& impl() const { return *impl_; }

  explicit ClientContext(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

/// Parses "1.2" or "1.3".
std::optional<Version> parse_version(std::string_view text);

}  // namespace river::tls
