// HTTP/2 ↔ River's message model: the rules of RFC 9113 §8 that turn a stream's field
// block into a validated http::RequestHead, and a response head into HTTP/2 fields; and,
// towards HTTP/2 upstreams, the other way round: a request head into HTTP/2 fields and a
// response's field blocks into an http::ResponseHead and trailers.
//
// Pure functions over strings, so every rule is unit-tested without a connection. The
// nghttp2 session (session.h) already rejects most malformed blocks itself (its HTTP
// messaging checks stay on); these rules are checked again here because they decide what
// reaches an HTTP/1 upstream, and because nghttp2's checks are not the contract.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace river::http2 {

/// Bounds on a request's field block, from the service's limits.
struct RequestLimits {
  /// Largest field block, counted as RFC 9113 §6.5.2 does (name + value + 32 per field).
  std::uint64_t max_header_bytes = 64 * 1024;
  /// Most fields in one block, pseudo-header fields included.
  std::uint64_t max_header_count = 100;
};

/// What became of a field block.
enum class Verdict {
  Ok,
  /// Malformed (RFC 9113 §8.1.1): a stream error of type PROTOCOL_ERROR, never forwarded.
  Malformed,
  /// Well-formed but refused with an HTTP status (400, 431) on the stream.
  Refused,
};

/// RequestBuilder collects the fields of one request's field block as they are decoded and
/// turns them into a RequestHead:
///
///   RequestBuilder builder(limits);
///   for (each decoded field) builder.add(name, value);
///   if (builder.finish(end_stream) == Verdict::Ok) use(builder.head(), builder.framing());
///
/// Memory stays bounded by the limits: fields past them are counted, not stored.
class RequestBuilder {
 public:
  explicit RequestBuilder(RequestLimits limits) : limits_(limits) {}

  /// Adds one decoded field (names arrive lower-case from HPACK; upper case is malformed).
  void add(std::string_view name, std::string_view value);

  /// Applies the request rules once the block ended; `end_stream` says whether the HEADERS
  /// frame ended the stream (no body).
  Verdict finish(bool end_stream);

  /// The request; valid after finish() returned Ok.
  http::RequestHead& head() { return head_; }
  const http::RequestHead& head() const { return head_; }
  /// How the body arrives: None (END_STREAM on HEADERS), ContentLength, or Chunked for a
  /// body of unknown length (what an HTTP/1 upstream needs).
  const http::BodyFraming& framing() const { return framing_; }
  /// With Refused: the status to answer (400, 431).
  int status() const { return status_; }
  /// Why the block was refused or malformed, for the access log ("connection_specific_field").
  std::string_view reason() const { return reason_; }

 private:
  Verdict fail(Verdict verdict, std::string_view reason, int status = 0);

  RequestLimits limits_;
  http::RequestHead head_;
  http::BodyFraming framing_;
  std::string method_, scheme_, authority_, path_;
  bool has_method_ = false, has_scheme_ = false, has_authority_ = false, has_path_ = false;
  std::vector<std::string> cookies_;
  std::uint64_t bytes_ = 0;
  std::uint64_t count_ = 0;
  bool regular_seen_ = false;
  int status_ = 0;
  std::string reason_;
  // The first rule broken while adding, reported by finish(); later fields are only counted.
  Verdict early_ = Verdict::Ok;
};

/// Checks a trailer field block (RFC 9113 §8.1): no pseudo-header fields, no
/// connection-specific fields. Appends the fields to `trailers`; false means malformed.
bool add_trailer(std::string_view name, std::string_view value, http::HeaderMap& trailers);

/// The fields of a response head as HTTP/2 sends them: ":status" first, names lower-case,
/// connection-specific fields (RFC 9113 §8.2.2) and any Content-Length dropped, and
/// `content-length` added when `content_length` is not negative.
std::vector<http::Header> response_fields(const http::ResponseHead& head,
                                          std::int64_t content_length);

/// Trailer fields as HTTP/2 sends them: lower-case, connection-specific ones dropped.
std::vector<http::Header> trailer_fields(const http::HeaderMap& trailers);

/// RFC 9113 §8.2.2: fields that only make sense on an HTTP/1 connection.
bool is_connection_specific(std::string_view lower_name);

// ---------------------------------------------------------------------------------------
// Towards HTTP/2 upstreams

/// The fields of a request as River sends it to an HTTP/2 upstream (RFC 9113 §8.3.1).
/// `head` is the request as rewritten for the upstream (forwarding.h): origin-form target,
/// Host set. Pseudo-header fields come first: `:method`, `:scheme` (`scheme`), `:authority`
/// (from Host, which is dropped) and `:path` (the target; none for CONNECT). Names are
/// lower-cased; connection-specific fields, Host, TE and Content-Length are dropped, then
/// `te: trailers` is added with `te_trailers` (the only TE allowed, RFC 9113 §8.2.2) and
/// `content-length` when `content_length` is not negative.
std::vector<http::Header> upstream_request_fields(const http::RequestHead& head,
                                                  std::string_view scheme,
                                                  std::int64_t content_length, bool te_trailers);

/// ResponseBuilder collects one response field block from an HTTP/2 upstream (a head, 1xx
/// or final, or a trailer block) and checks it (RFC 9113 §8.3.2): `:status` once, three
/// digits, no other pseudo-header field; no connection-specific field; names lower-case;
/// values without CR, LF or NUL; a Content-Length that is one number. Memory stays bounded
/// by the limits, as for requests.
class ResponseBuilder {
 public:
  explicit ResponseBuilder(RequestLimits limits) : limits_(limits) {}

  void add(std::string_view name, std::string_view value);

  /// Checks the block as a head (`trailer` false) or a trailer block; Malformed means the
  /// upstream broke the rules and the response must not be forwarded.
  Verdict finish(bool trailer);

  /// The head (status and regular fields), valid after finish(false) returned Ok.
  http::ResponseHead& head() { return head_; }
  /// The announced content-length, or -1.
  std::int64_t content_length() const { return content_length_; }
  std::string_view reason() const { return reason_; }

  /// Forgets the block, for the next one on the same stream.
  void reset();

 private:
  void fail(std::string_view reason);

  RequestLimits limits_;
  http::ResponseHead head_;
  std::int64_t content_length_ = -1;
  bool has_status_ = false;
  std::uint64_t bytes_ = 0;
  std::uint64_t count_ = 0;
  bool failed_ = false;
  std::string reason_;
};

}  // namespace river::http2
