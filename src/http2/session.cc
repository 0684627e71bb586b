#include "http2/session.h"

#include <vector>

#include <nghttp2/nghttp2.h>

namespace river::http2 {
namespace {

Error session_error(std::string context) {
  return Error{ErrorKind::InvalidMessage, Side::Downstream, false, std::move(context)};
}

Error internal_error(std::string context) {
  return Error{ErrorKind::Internal, Side::Internal, false, std::move(context)};
}

ServerEvents& events_of(void* user_data) {
  // Safety: every session is created with its ServerEvents as user data (create()).
  return *static_cast<ServerEvents*>(user_data);
}

FrameInfo frame_info(const nghttp2_frame* frame) {
  FrameInfo info;
  info.type = static_cast<FrameType>(frame->hd.type);
  info.stream_id = frame->hd.stream_id;
  info.length = frame->hd.length;
  info.end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  info.ack = (frame->hd.flags & NGHTTP2_FLAG_ACK) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_RST_STREAM:
      info.error = static_cast<ErrorCode>(frame->rst_stream.error_code);
      break;
    case NGHTTP2_GOAWAY:
      info.error = static_cast<ErrorCode>(frame->goaway.error_code);
      break;
    case NGHTTP2_WINDOW_UPDATE:
      info.window_increment = frame->window_update.window_size_increment;
      break;
    default:
      break;
  }
  return info;
}

std::string_view view(const std::uint8_t* data, std::size_t length) {
  return {reinterpret_cast<const char*>(data), length};
}

int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    events_of(user_data).on_request_begin(frame->hd.stream_id);
  }
  return 0;
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
              std::size_t name_length, const std::uint8_t* value, std::size_t value_length,
              std::uint8_t, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) {
    return 0;
  }
  const bool trailer = frame->headers.cat != NGHTTP2_HCAT_REQUEST;
  events_of(user_data).on_field(frame->hd.stream_id, view(name, name_length),
                                view(value, value_length), trailer);
  return 0;
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  auto& events = events_of(user_data);
  events.on_frame_received(frame_info(frame));
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
      if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        events.on_request_head(frame->hd.stream_id, end_stream);
      } else if (end_stream) {
        events.on_request_end(frame->hd.stream_id);
      }
      break;
    case NGHTTP2_DATA:
      if (end_stream) {
        events.on_request_end(frame->hd.stream_id);
      }
      break;
    default:
      break;
  }
  return 0;
}

int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream_id,
                  const std::uint8_t* data, std::size_t length, void* user_data) {
  events_of(user_data).on_data(stream_id, view(data, length));
  return 0;
}

int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                    void* user_data) {
  events_of(user_data).on_stream_close(stream_id, static_cast<ErrorCode>(error_code));
  return 0;
}

int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  events_of(user_data).on_frame_sent(frame_info(frame));
  return 0;
}

ssize_t read_body(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buffer,
                  std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                  void* user_data) {
  const auto chunk = events_of(user_data).read_body(stream_id, {buffer, length});
  switch (chunk.state) {
    case BodyChunk::State::More:
      return static_cast<ssize_t>(chunk.length);
    case BodyChunk::State::Deferred:
      return NGHTTP2_ERR_DEFERRED;
    case BodyChunk::State::End:
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(chunk.length);
    case BodyChunk::State::EndBeforeTrailers:
      *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
      return static_cast<ssize_t>(chunk.length);
  }
  return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

/// nghttp2 copies names and values on submit; the array only lives for the call.
std::vector<nghttp2_nv> to_nv(std::span<const http::Header> fields) {
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (const auto& field : fields) {
    nva.push_back(nghttp2_nv{
        // Safety: nghttp2 only reads these bytes (the C API lacks const here).
        const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(field.name.data())),
        const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(field.value.data())),
        field.name.size(), field.value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nva;
}

struct CallbacksDeleter {
  void operator()(nghttp2_session_callbacks* callbacks) const {
    nghttp2_session_callbacks_del(callbacks);
  }
};

struct OptionDeleter {
  void operator()(nghttp2_option* option) const { nghttp2_option_del(option); }
};

}  // namespace

void ServerSession::Deleter::operator()(nghttp2_session* session) const {
  nghttp2_session_del(session);
}

Result<std::unique_ptr<ServerSession>> ServerSession::create(const ServerSettings& settings,
                                                             ServerEvents& events) {
  nghttp2_session_callbacks* raw_callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&raw_callbacks) != 0) {
    return internal_error("nghttp2 callbacks");
  }
  std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter> callbacks(raw_callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks.get(), on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks.get(), on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks.get(), on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks.get(), on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks.get(), on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks.get(), on_frame_send);

  nghttp2_option* raw_option = nullptr;
  if (nghttp2_option_new(&raw_option) != 0) {
    return internal_error("nghttp2 options");
  }
  std::unique_ptr<nghttp2_option, OptionDeleter> option(raw_option);
  // Windows open only as handlers read (consume()): backpressure on request bodies.
  nghttp2_option_set_no_auto_window_update(option.get(), 1);
  // Closed streams are not kept for the priority tree: a client cannot make the server
  // remember thousands of them.
  nghttp2_option_set_no_closed_streams(option.get(), 1);
  // CVE-2024-27316 family (C26): a field block may not go on for ever.
  nghttp2_option_set_max_continuations(option.get(), settings.max_continuations);
  nghttp2_option_set_max_outbound_ack(option.get(), settings.max_outbound_ack);
  nghttp2_option_set_max_settings(option.get(), settings.max_settings_entries);
  nghttp2_option_set_stream_reset_rate_limit(option.get(), settings.reset_burst,
                                             settings.reset_rate);

  auto session = std::make_unique<ServerSession>(ConstructionKey{});
  nghttp2_session* raw_session = nullptr;
  if (nghttp2_session_server_new2(&raw_session, callbacks.get(), &events, option.get()) != 0) {
    return internal_error("nghttp2 session");
  }
  session->session_.reset(raw_session);

  const nghttp2_settings_entry entries[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.initial_stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings.max_header_list_bytes},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  if (nghttp2_submit_settings(raw_session, NGHTTP2_FLAG_NONE, entries, std::size(entries)) != 0) {
    return internal_error("nghttp2 settings");
  }
  // The connection window starts at 65 535 (RFC 9113 §6.9.2); only a WINDOW_UPDATE widens it.
  if (settings.connection_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE) {
    (void)nghttp2_session_set_local_window_size(raw_session, NGHTTP2_FLAG_NONE, 0,
                                                static_cast<int32_t>(settings.connection_window));
  }
  return session;
}

ServerSession::~ServerSession() = default;

Result<void> ServerSession::receive(std::string_view bytes) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const auto processed = nghttp2_session_mem_recv(session_.get(), data, bytes.size());
  if (processed < 0) {
    return session_error(nghttp2_strerror(static_cast<int>(processed)));
  }
  return Result<void>();
}

std::string_view ServerSession::next_output() {
  const std::uint8_t* data = nullptr;
  const auto length = nghttp2_session_mem_send(session_.get(), &data);
  if (length <= 0) {
    return {};
  }
  return view(data, static_cast<std::size_t>(length));
}

bool ServerSession::wants_read() const { return nghttp2_session_want_read(session_.get()) != 0; }

bool ServerSession::wants_write() const {
  return nghttp2_session_want_write(session_.get()) != 0;
}

Result<void> ServerSession::submit_response(std::int32_t stream_id,
                                            std::span<const http::Header> fields,
                                            bool has_body) {
  const auto nva = to_nv(fields);
  nghttp2_data_provider provider{};
  provider.read_callback = read_body;
  const int rv = nghttp2_submit_response(session_.get(), stream_id, nva.data(), nva.size(),
                                         has_body ? &provider : nullptr);
  if (rv != 0) {
    return internal_error(nghttp2_strerror(rv));
  }
  return Result<void>();
}

Result<void> ServerSession::submit_interim(std::int32_t stream_id,
                                           std::span<const http::Header> fields) {
  const auto nva = to_nv(fields);
  const int rv = nghttp2_submit_headers(session_.get(), NGHTTP2_FLAG_NONE, stream_id, nullptr,
                                        nva.data(), nva.size(), nullptr);
  if (rv < 0) {
    return internal_error(nghttp2_strerror(rv));
  }
  return Result<void>();
}

Result<void> ServerSession::submit_trailers(std::int32_t stream_id,
                                            std::span<const http::Header> fields) {
  const auto nva = to_nv(fields);
  const int rv = nghttp2_submit_trailer(session_.get(), stream_id, nva.data(), nva.size());
  if (rv != 0) {
    return internal_error(nghttp2_strerror(rv));
  }
  return Result<void>();
}

void ServerSession::resume_body(std::int32_t stream_id) {
  (void)nghttp2_session_resume_data(session_.get(), stream_id);
}

void ServerSession::consume(std::int32_t stream_id, std::size_t bytes) {
  if (bytes == 0) {
    return;
  }
  if (nghttp2_session_consume(session_.get(), stream_id, bytes) != 0) {
    consume_connection(bytes);
  }
}

void ServerSession::consume_connection(std::size_t bytes) {
  if (bytes != 0) {
    (void)nghttp2_session_consume_connection(session_.get(), bytes);
  }
}

void ServerSession::reset_stream(std::int32_t stream_id, ErrorCode error) {
  (void)nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream_id,
                                  static_cast<std::uint32_t>(error));
}

void ServerSession::terminate(ErrorCode error) {
  (void)nghttp2_session_terminate_session(session_.get(), static_cast<std::uint32_t>(error));
}

void ServerSession::shutdown_gracefully() {
  const auto last = nghttp2_session_get_last_proc_stream_id(session_.get());
  (void)nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE, last, NGHTTP2_NO_ERROR,
                              nullptr, 0);
}

const char* to_string(ErrorCode error) {
  switch (error) {
    case ErrorCode::NoError: return "no_error";
    case ErrorCode::ProtocolError: return "protocol_error";
    case ErrorCode::InternalError: return "internal_error";
    case ErrorCode::FlowControlError: return "flow_control_error";
    case ErrorCode::SettingsTimeout: return "settings_timeout";
    case ErrorCode::StreamClosed: return "stream_closed";
    case ErrorCode::FrameSizeError: return "frame_size_error";
    case ErrorCode::RefusedStream: return "refused_stream";
    case ErrorCode::Cancel: return "cancel";
    case ErrorCode::CompressionError: return "compression_error";
    case ErrorCode::ConnectError: return "connect_error";
    case ErrorCode::EnhanceYourCalm: return "enhance_your_calm";
    case ErrorCode::InadequateSecurity: return "inadequate_security";
    case ErrorCode::Http11Required: return "http_1_1_required";
  }
  return "unknown";
}

}  // namespace river::http2
