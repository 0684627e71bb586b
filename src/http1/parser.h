// HTTP/1.x head parser (RFC 9112), for requests from clients and responses from upstreams.
//
// The parser is strict, because a proxy that reads a message differently from the server
// behind it can be made to smuggle requests. It is a pure function of the bytes given: the
// caller appends what it reads to a buffer and calls the parser again on the whole buffer
// until it answers Complete or Error. Limits are checked on the bytes seen so far, so an
// oversized head is refused while it is still arriving, before it is buffered whole.
//
// A Complete parse copies everything into owned values (`http::RequestHead`), validates the
// framing fields and reports how many bytes the head used; the rest of the buffer is body
// or the next message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "http/message.h"

namespace river::http1 {

struct ParseLimits {
  /// Longest request line (method, target, version) in bytes; longer gets 414.
  std::size_t max_request_line_bytes = 8192;
  /// Largest head (start line plus all field lines) in bytes; larger gets 431.
  std::size_t max_header_bytes = 64 * 1024;
  /// Most field lines in one head; more gets 431.
  std::size_t max_header_count = 100;
};

enum class ParseStatus { Complete, Incomplete, Error };

/// Why a message was refused and what status a client should be answered with
/// (400, 414, 431, 501 or 505 for requests; responses are always answered 502 by the proxy).
struct ParseError {
  int status = 400;
  std::string reason;  ///< short, fixed phrase for logs: "conflicting content-length"
};

struct RequestParse {
  ParseStatus status = ParseStatus::Incomplete;
  std::size_t consumed = 0;  ///< bytes of the head, including the final empty line
  http::RequestHead head;
  http::BodyFraming framing;
  /// True when the connection must close after this exchange whatever else is said:
  /// RFC 9112 §6.1 (Transfer-Encoding in HTTP/1.0), and `Connection: close`.
  bool must_close = false;
  ParseError error;
};

struct ResponseParse {
  ParseStatus status = ParseStatus::Incomplete;
  std::size_t consumed = 0;
  http::ResponseHead head;
  http::BodyFraming framing;
  /// The upstream said `Connection: close`, answered HTTP/1.0 without keep-alive, or framed
  /// the body by closing: the connection cannot be reused.
  bool must_close = false;
  ParseError error;
};

/// Parses a request head from the start of `bytes`.
RequestParse parse_request_head(std::string_view bytes, const ParseLimits& limits);

/// Parses a response head from the start of `bytes`. `request_method` decides whether the
/// response can have a body (HEAD never does), see RFC 9112 §6.3.
ResponseParse parse_response_head(std::string_view bytes, std::string_view request_method,
                                  const ParseLimits& limits);

}  // namespace river::http1
