// Http2Options: the HTTP/2 settings and protections of a service's client connections,
// part of SessionOptions (http1_session.h). Every default is River's documented default
// (docs/configuration.md).
#pragma once

#include <cstddef>
#include <cstdint>

namespace river::proxy {

struct Http2Options {
  /// SETTINGS_MAX_CONCURRENT_STREAMS: requests in flight on one connection; more are
  /// refused with REFUSED_STREAM.
  std::uint32_t max_concurrent_streams = 100;
  /// SETTINGS_INITIAL_WINDOW_SIZE: request body bytes a client may send on a stream ahead of
  /// the handler reading them.
  std::uint32_t initial_stream_window = 64 * 1024;
  /// Request body bytes a client may send ahead of handlers across a whole connection.
  std::uint32_t connection_window = 1024 * 1024;
  /// CONTINUATION frames allowed after one HEADERS frame (CVE-2024-27316 family).
  std::size_t max_continuations = 8;
  /// SETTINGS and PING acknowledgements queued for a client that does not read.
  std::size_t max_outbound_ack = 1000;
  /// Entries allowed in one SETTINGS frame.
  std::size_t max_settings_entries = 32;
  /// Stream resets a connection may cause, sent or received, refused streams included:
  /// a token bucket of `reset_burst` refilled at `reset_refill_per_second`. When it runs
  /// dry River sends GOAWAY(ENHANCE_YOUR_CALM) and closes (Rapid Reset, CVE-2023-44487,
  /// and MadeYouReset, CVE-2025-8671).
  std::uint32_t reset_burst = 200;
  std::uint32_t reset_refill_per_second = 20;
  /// PING, SETTINGS, PRIORITY, empty DATA frames and WINDOW_UPDATE frames beyond what the
  /// response data explains: a token bucket like the reset one (flood protection).
  std::uint32_t control_frame_burst = 1000;
  std::uint32_t control_frame_refill_per_second = 100;
  /// Response body bytes buffered per stream before the handler waits for the client.
  std::size_t stream_send_buffer = 64 * 1024;
};

}  // namespace river::proxy
