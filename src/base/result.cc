#include "base/result.h"

namespace river {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::ConnectRefused: return "connect_refused";
    case ErrorKind::TlsHandshake: return "tls_handshake";
    case ErrorKind::ConnectTimeout: return "connect_timeout";
    case ErrorKind::ReadTimeout: return "read_timeout";
    case ErrorKind::WriteTimeout: return "write_timeout";
    case ErrorKind::ConnectionClosed: return "connection_closed";
    case ErrorKind::ConnectionReset: return "connection_reset";
    case ErrorKind::Io: return "io";
    case ErrorKind::InvalidMessage: return "invalid_message";
    case ErrorKind::TooLarge: return "too_large";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::PluginTrap: return "plugin_trap";
    case ErrorKind::PluginTimeout: return "plugin_timeout";
    case ErrorKind::Config: return "config";
    case ErrorKind::Internal: return "internal";
  }
  return "unknown";
}

}  // namespace river
