// The HTTP message model shared by both codecs and the proxy: request and response heads.
//
// A head holds owned, validated data: the HTTP/1 parser and (later) the HTTP/2 session copy
// what they accept into these structs, so nothing here points into a read buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/header_map.h"

namespace river::http {

/// Http2: a request that arrived on an HTTP/2 stream (the message model is the same; the
/// framing rules differ, see http2/request.h).
enum class Version { Http10, Http11, Http2 };

/// "HTTP/1.0", "HTTP/1.1" or "HTTP/2.0".
std::string_view to_string(Version version);

struct RequestHead {
  std::string method;
  /// The request-target exactly as received (origin-form, absolute-form, authority-form or
  /// asterisk-form), already checked for forbidden bytes.
  std::string target;
  Version version = Version::Http11;
  HeaderMap headers;
};

struct ResponseHead {
  int status = 200;
  std::string reason;
  Version version = Version::Http11;
  HeaderMap headers;
};

/// How the length of a message body is known (RFC 9112 §6.3).
struct BodyFraming {
  enum class Kind {
    None,           ///< no body at all
    ContentLength,  ///< exactly `length` bytes
    Chunked,        ///< chunked transfer coding
    UntilClose,     ///< responses only: the body ends when the connection closes
  };
  Kind kind = Kind::None;
  std::uint64_t length = 0;

  bool has_body() const {
    return kind != Kind::None && !(kind == Kind::ContentLength && length == 0);
  }
};

/// RFC 9110 §9.2.2: methods whose repetition has the same effect as a single request, so a
/// proxy may retry them when a reused connection failed before any answer arrived.
bool is_idempotent(std::string_view method);

/// The standard reason phrase for `status`, or "Unknown".
std::string_view reason_phrase(int status);

/// RFC 9110 §6.4.1: responses to HEAD, 1xx, 204 and 304 never carry content.
bool response_has_no_body(std::string_view request_method, int status);

}  // namespace river::http
