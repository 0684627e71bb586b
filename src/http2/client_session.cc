#include "http2/client_session.h"

#include <vector>

#include <nghttp2/nghttp2.h>

namespace river::http2 {
namespace {

Error session_error(std::string context) {
  return Error{ErrorKind::InvalidMessage, Side::Upstream, false, std::move(context)};
}

Error internal_error(std::string context) {
  return Error{ErrorKind::Internal, Side::Internal, false, std::move(context)};
}

std::string_view view(const std::uint8_t* data, std::size_t length) {
  return {reinterpret_cast<const char*>(data), length};
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

/// nghttp2's callbacks, with access to the session's block state.
struct ClientCallbacks {
  static ClientSession& of(void* user_data) {
    // Safety: every client session is created with itself as user data (create()).
    return *static_cast<ClientSession*>(user_data);
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame*, void* user_data) {
    // A block without ":status" is a trailer block (RFC 9113 §8.1); on_header decides.
    of(user_data).block_ = BlockKind::Trailer;
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t name_length, const std::uint8_t* value,
                       std::size_t value_length, std::uint8_t, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS) {
      return 0;
    }
    auto& session = of(user_data);
    const auto field_name = view(name, name_length);
    const auto field_value = view(value, value_length);
    if (field_name == ":status") {
      session.block_ = field_value.starts_with('1') ? BlockKind::Interim : BlockKind::Head;
    }
    session.events_.on_field(frame->hd.stream_id, field_name, field_value);
    return 0;
  }

  static int on_frame_recv(nghttp2_session* raw, const nghttp2_frame* frame, void* user_data) {
    auto& session = of(user_data);
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS:
        session.events_.on_block(frame->hd.stream_id, session.block_);
        if (end_stream) {
          session.events_.on_end_stream(frame->hd.stream_id);
        }
        break;
      case NGHTTP2_DATA:
        if (end_stream) {
          session.events_.on_end_stream(frame->hd.stream_id);
        }
        break;
      case NGHTTP2_GOAWAY:
        session.events_.on_goaway(frame->goaway.last_stream_id,
                                  static_cast<ErrorCode>(frame->goaway.error_code));
        break;
      case NGHTTP2_SETTINGS:
        if ((frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
          session.settings_received_ = true;
          session.events_.on_settings(nghttp2_session_get_remote_settings(
              raw, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS));
        }
        break;
      default:
        break;
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream_id,
                           const std::uint8_t* data, std::size_t length, void* user_data) {
    of(user_data).events_.on_data(stream_id, view(data, length));
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t stream_id,
                             std::uint32_t error_code, void* user_data) {
    of(user_data).events_.on_stream_close(stream_id, static_cast<ErrorCode>(error_code));
    return 0;
  }

  static int on_frame_not_send(nghttp2_session*, const nghttp2_frame* frame, int,
                               void* user_data) {
    // A request whose HEADERS never left (the peer's GOAWAY came first, or the session
    // ended): the peer has not seen it, so it is as good as refused.
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      of(user_data).events_.on_stream_close(frame->hd.stream_id, ErrorCode::RefusedStream);
    }
    return 0;
  }

  static ssize_t read_body(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buffer,
                           std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                           void* user_data) {
    const auto chunk = of(user_data).events_.read_body(stream_id, {buffer, length});
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
};

void ClientSession::Deleter::operator()(nghttp2_session* session) const {
  nghttp2_session_del(session);
}

Result<std::unique_ptr<ClientSession>> ClientSession::create(const ClientSettings& settings,
                                                             ClientEvents& events) {
  nghttp2_session_callbacks* raw_callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&raw_callbacks) != 0) {
    return internal_error("nghttp2 callbacks");
  }
  std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter> callbacks(raw_callbacks);
  auto* cb = callbacks.get();
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, ClientCallbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, ClientCallbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, ClientCallbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, ClientCallbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, ClientCallbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cb,
                                                           ClientCallbacks::on_frame_not_send);

  nghttp2_option* raw_option = nullptr;
  if (nghttp2_option_new(&raw_option) != 0) {
    return internal_error("nghttp2 options");
  }
  std::unique_ptr<nghttp2_option, OptionDeleter> option(raw_option);
  // Windows open only as clients take the response (consume()): backpressure on the peer.
  nghttp2_option_set_no_auto_window_update(option.get(), 1);
  nghttp2_option_set_no_closed_streams(option.get(), 1);
  nghttp2_option_set_max_continuations(option.get(), settings.max_continuations);
  nghttp2_option_set_peer_max_concurrent_streams(option.get(),
                                                 settings.assumed_max_concurrent_streams);

  auto session = std::make_unique<ClientSession>(ConstructionKey{}, events);
  session->assumed_max_concurrent_streams_ = settings.assumed_max_concurrent_streams;
  nghttp2_session* raw_session = nullptr;
  if (nghttp2_session_client_new2(&raw_session, cb, session.get(), option.get()) != 0) {
    return internal_error("nghttp2 session");
  }
  session->session_.reset(raw_session);

  const nghttp2_settings_entry entries[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.initial_stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings.max_header_list_bytes},
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

ClientSession::~ClientSession() = default;

Result<void> ClientSession::receive(std::string_view bytes) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const auto processed = nghttp2_session_mem_recv(session_.get(), data, bytes.size());
  if (processed < 0) {
    return session_error(nghttp2_strerror(static_cast<int>(processed)));
  }
  return Result<void>();
}

std::string_view ClientSession::next_output() {
  const std::uint8_t* data = nullptr;
  const auto length = nghttp2_session_mem_send(session_.get(), &data);
  if (length <= 0) {
    return {};
  }
  return view(data, static_cast<std::size_t>(length));
}

bool ClientSession::wants_read() const { return nghttp2_session_want_read(session_.get()) != 0; }

bool ClientSession::wants_write() const {
  return nghttp2_session_want_write(session_.get()) != 0;
}

Result<std::int32_t> ClientSession::submit_request(std::span<const http::Header> fields,
                                                   bool has_body) {
  const auto nva = to_nv(fields);
  nghttp2_data_provider provider{};
  provider.read_callback = ClientCallbacks::read_body;
  const auto id = nghttp2_submit_request(session_.get(), nullptr, nva.data(), nva.size(),
                                         has_body ? &provider : nullptr, nullptr);
  if (id < 0) {
    return Error{ErrorKind::ConnectionClosed, Side::Upstream, true, nghttp2_strerror(id)};
  }
  return id;
}

Result<void> ClientSession::submit_trailers(std::int32_t stream_id,
                                            std::span<const http::Header> fields) {
  const auto nva = to_nv(fields);
  const int rv = nghttp2_submit_trailer(session_.get(), stream_id, nva.data(), nva.size());
  if (rv != 0) {
    return internal_error(nghttp2_strerror(rv));
  }
  return Result<void>();
}

void ClientSession::resume_body(std::int32_t stream_id) {
  (void)nghttp2_session_resume_data(session_.get(), stream_id);
}

void ClientSession::consume(std::int32_t stream_id, std::size_t bytes) {
  if (bytes == 0) {
    return;
  }
  if (nghttp2_session_consume(session_.get(), stream_id, bytes) != 0) {
    consume_connection(bytes);
  }
}

void ClientSession::consume_connection(std::size_t bytes) {
  if (bytes != 0) {
    (void)nghttp2_session_consume_connection(session_.get(), bytes);
  }
}

void ClientSession::reset_stream(std::int32_t stream_id, ErrorCode error) {
  (void)nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream_id,
                                  static_cast<std::uint32_t>(error));
}

void ClientSession::shutdown_gracefully() {
  // Last-stream-id 0: River accepts no pushed streams; its own streams go on.
  (void)nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr,
                              0);
}

void ClientSession::terminate(ErrorCode error) {
  (void)nghttp2_session_terminate_session(session_.get(), static_cast<std::uint32_t>(error));
}

std::uint32_t ClientSession::peer_max_concurrent_streams() const {
  if (!settings_received_) {
    return assumed_max_concurrent_streams_;
  }
  return nghttp2_session_get_remote_settings(session_.get(),
                                             NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

}  // namespace river::http2
