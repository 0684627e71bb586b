#include "http1/parser.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/strings.h"
#include "http/header_map.h"
#include "http/target.h"
#include "http1/detail/scan.h"

namespace river::http1 {
namespace {

using detail::FieldLine;
using detail::Scan;

// RFC 9112 §2.2: a server SHOULD ignore at least one empty line received before the
// request-line. A few are tolerated; a stream of them is not a request.
constexpr std::size_t kMaxLeadingEmptyLines = 4;

// A malformed response is the upstream's fault: whatever is wrong, the proxy answers its
// client 502, so every response error carries that status.
constexpr int kBadGateway = 502;

/// How a piece of the head scanned, and for Invalid, the status to answer and why.
struct Outcome {
  Scan scan = Scan::Ok;
  int status = 400;
  std::string_view reason;
};

constexpr Outcome kOk{};
constexpr Outcome kNeedMore{Scan::NeedMore};

constexpr Outcome invalid(int status, std::string_view reason) {
  return Outcome{Scan::Invalid, status, reason};
}

/// The field lines of a head while it is parsed, as views into the caller's buffer. Only a
/// complete head is copied into an `http::HeaderMap`, so a head arriving in pieces costs no
/// allocation until its last piece is in. The first `kInline` lines live on the stack.
class FieldLines {
 public:
  static constexpr std::size_t kInline = 48;

  void push_back(const FieldLine& field) {
    const Slot slot{field.name.data(), field.name.size(), field.value.data(), field.value.size()};
    if (size_ < kInline) {
      inline_[size_] = slot;
    } else {
      spill_.push_back(slot);
    }
    ++size_;
  }

  std::size_t size() const { return size_; }

  FieldLine operator[](std::size_t index) const {
    const Slot& slot = index < kInline ? inline_[index] : spill_[index - kInline];
    return FieldLine{{slot.name, slot.name_size}, {slot.value, slot.value_size}};
  }

  void copy_to(http::HeaderMap& headers) const {
    headers.reserve(size_);
    for (std::size_t i = 0; i < size_; ++i) {
      const auto field = (*this)[i];
      headers.add(field.name, field.value);
    }
  }

 private:
  // A trivial type, so that the inline array is left uninitialised: zeroing it cost more
  // than parsing a typical head. Only slots below size_ are read.
  struct Slot {
    const char* name;
    std::size_t name_size;
    const char* value;
    std::size_t value_size;
  };

  std::array<Slot, kInline> inline_;
  std::vector<Slot> spill_;
  std::size_t size_ = 0;
};

/// What the fields of a head say about framing and connection handling.
struct FramingFields {
  std::size_t host_count = 0;
  /// A Host value that is not uri-host [ ":" port ] (RFC 9112 §3.2).
  bool host_invalid = false;

  std::size_t content_length_lines = 0;
  /// The Content-Length value once all lines and list elements agree on it.
  std::optional<std::uint64_t> content_length;
  /// Non-empty when Content-Length is present but unusable: why.
  std::string_view content_length_error;

  /// Transfer-Encoding, all lines read as one list (RFC 9110 §5.3).
  std::size_t transfer_encoding_lines = 0;
  std::size_t coding_count = 0;
  std::size_t chunked_count = 0;
  bool chunked_last = false;

  bool connection_close = false;
  bool connection_keep_alive = false;
};

/// Folds one Content-Length field value into `out`. RFC 9110 §8.6: the value is 1*DIGIT; a
/// list of identical values (left by a sender that joined repeated lines) may be collapsed
/// to one; anything else is unusable. Empty list elements are refused as well: an empty
/// Content-Length next to a real one is how CVE-2023-40225 smuggled requests.
void read_content_length(std::string_view value, FramingFields& out) {
  ++out.content_length_lines;
  if (!out.content_length_error.empty()) {
    return;
  }

  while (true) {
    const auto comma = value.find(',');
    // parse_decimal refuses empty text, signs, hex, inner spaces and uint64 overflow.
    const auto length = parse_decimal(trim_ows(value.substr(0, comma)));
    if (!length) {
      out.content_length_error = "invalid content-length";
      return;
    }
    if (out.content_length && *out.content_length != *length) {
      out.content_length_error = "conflicting content-length";
      return;
    }
    out.content_length = length;
    if (comma == std::string_view::npos) {
      return;
    }
    value.remove_prefix(comma + 1);
  }
}

void read_transfer_encoding(std::string_view value, FramingFields& out) {
  ++out.transfer_encoding_lines;
  http::for_each_list_element(value, [&](std::string_view coding) {
    // RFC 9112 §7: coding names are case-insensitive. A coding with parameters
    // ("chunked;x=1") is not plain chunked: it counts as some other coding.
    const bool chunked = iequals(coding, "chunked");
    ++out.coding_count;
    out.chunked_count += chunked ? 1 : 0;
    out.chunked_last = chunked;
  });
}

void read_connection(std::string_view value, FramingFields& out) {
  http::for_each_list_element(value, [&](std::string_view option) {
    if (iequals(option, "close")) {
      out.connection_close = true;
    } else if (iequals(option, "keep-alive")) {
      out.connection_keep_alive = true;
    }
  });
}

/// True when the field name `name` equals `lower`, a lower-case name of letters and '-'.
/// NOTE: OR-ing 0x20 folds ASCII case; of all token bytes, it maps only letters onto letters
/// and only '-' onto '-', so for a validated name the comparison is exact.
bool name_is(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if ((name[i] | 0x20) != lower[i]) {
      return false;
    }
  }
  return true;
}

FramingFields read_framing_fields(const FieldLines& fields) {
  FramingFields out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto field = fields[i];
    // Dispatch on the length first: most fields are none of these four.
    switch (field.name.size()) {
      case 4:
        if (name_is(field.name, "host")) {
          ++out.host_count;
          out.host_invalid = out.host_invalid || !http::is_valid_authority(field.value);
        }
        break;
      case 10:
        if (name_is(field.name, "connection")) {
          read_connection(field.value, out);
        }
        break;
      case 14:
        if (name_is(field.name, "content-length")) {
          read_content_length(field.value, out);
        }
        break;
      case 17:
        if (name_is(field.name, "transfer-encoding")) {
          read_transfer_encoding(field.value, out);
        }
        break;
      default:
        break;
    }
  }
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Reads an HTTP-version (RFC 9112 §2.3, case-sensitive). Versions of the right shape other
/// than 1.0 and 1.1 are answered 505; anything else is not HTTP at all.
Outcome read_version(std::string_view text, http::Version& version) {
  if (text.size() != 8 || !text.starts_with("HTTP/") || !is_digit(text[5]) || text[6] != '.' ||
      !is_digit(text[7])) {
    return invalid(400, "invalid http version");
  }
  if (text[5] != '1' || (text[7] != '0' && text[7] != '1')) {
    return invalid(505, "unsupported http version");
  }
  version = text[7] == '0' ? http::Version::Http10 : http::Version::Http11;
  return kOk;
}

/// Checks the end of a line at `at`: Ok when it holds CRLF.
Outcome scan_crlf(std::string_view input, std::size_t at) {
  if (at == input.size()) {
    return kNeedMore;
  }
  if (input[at] != '\r') {
    return invalid(400, input[at] == '\n' ? "bare lf" : "invalid start line");
  }
  if (at + 1 == input.size()) {
    return kNeedMore;
  }
  if (input[at + 1] != '\n') {
    return invalid(400, "bare cr");
  }
  return kOk;
}

struct RequestLine {
  std::string_view method;
  std::string_view target;
  http::Version version = http::Version::Http11;
};

/// Scans `method SP request-target SP HTTP-version CRLF` (RFC 9112 §3) from `pos`; on Ok,
/// moves `pos` past the CRLF. A line longer than `max_bytes` (CRLF excluded) is refused with
/// 414 as soon as that many bytes are seen, whatever follows them.
Outcome scan_request_line(std::string_view input, std::size_t& pos, std::size_t max_bytes,
                          RequestLine& line) {
  const std::size_t size = input.size();
  std::size_t at = pos;
  // The scanning loops stop at CR, so everything before `at` is line content.
  const auto too_long = [&] { return at - pos > max_bytes; };

  // RFC 9112 §3: exactly one SP between the parts; anything else is refused, not guessed at.
  const std::size_t method_begin = at;
  at = detail::skip_token_bytes(input, at);
  if (too_long()) {
    return invalid(414, "request line too long");
  }
  if (at == size) {
    return kNeedMore;
  }
  if (input[at] != ' ' || at == method_begin) {
    return invalid(400, input[at] == '\n' ? "bare lf" : "invalid method");
  }
  line.method = input.substr(method_begin, at - method_begin);
  ++at;

  // RFC 9112 §3.2: no whitespace or control bytes; '#' never belongs in a target (a
  // fragment is not sent) and bytes above 0x7e are not URI characters.
  const std::size_t target_begin = at;
  at = detail::skip_target_bytes(input, at);
  if (too_long()) {
    return invalid(414, "request line too long");
  }
  if (at == size) {
    return kNeedMore;
  }
  if (input[at] != ' ' || at == target_begin) {
    return invalid(400, "invalid request target");
  }
  line.target = input.substr(target_begin, at - target_begin);
  ++at;

  // Nearly every request says exactly this.
  if (input.substr(at, 10) == "HTTP/1.1\r\n" && at + 8 - pos <= max_bytes) {
    line.version = http::Version::Http11;
    pos = at + 10;
    return kOk;
  }
  const std::size_t version_begin = at;
  while (at < size && input[at] > ' ' && input[at] < 0x7f) {
    ++at;
  }
  if (too_long()) {
    return invalid(414, "request line too long");
  }
  if (const auto end = scan_crlf(input, at); end.scan != Scan::Ok) {
    return end;
  }
  if (const auto version =
          read_version(input.substr(version_begin, at - version_begin), line.version);
      version.scan != Scan::Ok) {
    return version;
  }
  pos = at + 2;
  return kOk;
}

/// authority-form (RFC 9112 §3.2.3): `host ":" port`, host possibly an IP literal in [].
bool is_authority_form(std::string_view target) {
  const auto colon = target.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  const auto host = target.substr(0, colon);
  const auto port = target.substr(colon + 1);
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit)) {
    return false;
  }
  if (host.find_first_of("/?@[]") != std::string_view::npos) {
    // Only an IP literal may hold brackets, and only around the whole host.
    return host.size() > 2 && host.front() == '[' && host.back() == ']' &&
           host.substr(1, host.size() - 2).find_first_of("/?@[]") == std::string_view::npos;
  }
  return true;
}

/// RFC 9112 §3.2: which request-target forms each method may use. Origin-form is the usual
/// one; absolute-form (http and https only) is what clients send to proxies; authority-form
/// belongs to CONNECT alone, asterisk-form to OPTIONS alone.
std::string_view check_target_form(std::string_view method, std::string_view target) {
  if (method == "CONNECT") {
    return is_authority_form(target) ? "" : "invalid connect target";
  }
  if (target.front() == '/') {
    return "";
  }
  if (target == "*") {
    return method == "OPTIONS" ? "" : "asterisk-form outside options";
  }
  if (const auto authority = http::absolute_form_authority(target)) {
    // RFC 9110 §4.2.1: the authority of an http(s) URI has a non-empty host, and its port,
    // if any, is a real one (a port out of range would be forwarded in Host).
    if (authority->empty() || authority->front() == ':') {
      return "absolute-form without authority";
    }
    return http::is_valid_authority(*authority) ? "" : "invalid authority";
  }
  return "invalid request target";
}

struct StatusLine {
  http::Version version = http::Version::Http11;
  int status = 0;
  std::string_view reason;
};

/// Scans `HTTP-version SP 3DIGIT SP reason-phrase CRLF` (RFC 9112 §4) from `pos`; on Ok,
/// moves `pos` past the CRLF. A missing SP before an empty reason is tolerated.
Outcome scan_status_line(std::string_view input, std::size_t& pos, StatusLine& line) {
  const std::size_t size = input.size();
  std::size_t at = pos;

  const std::size_t version_begin = at;
  while (at < size && input[at] > ' ' && input[at] < 0x7f) {
    ++at;
  }
  if (at == size) {
    return kNeedMore;
  }
  if (input[at] != ' ') {
    return invalid(kBadGateway, "invalid status line");
  }
  if (const auto version =
          read_version(input.substr(version_begin, at - version_begin), line.version);
      version.scan != Scan::Ok) {
    return version;
  }
  ++at;

  int status = 0;
  for (int digits = 0; digits < 3; ++digits, ++at) {
    if (at == size) {
      return kNeedMore;
    }
    if (!is_digit(input[at])) {
      return invalid(kBadGateway, "invalid status code");
    }
    status = status * 10 + (input[at] - '0');
  }
  if (status < 100 || status > 599) {
    return invalid(kBadGateway, "invalid status code");
  }
  line.status = status;

  if (at == size) {
    return kNeedMore;
  }
  std::size_t reason_begin = at;
  if (input[at] == ' ') {
    reason_begin = ++at;
    while (at < size && detail::has_class(input[at], detail::kReasonChar)) {
      ++at;
    }
  }
  if (const auto end = scan_crlf(input, at); end.scan != Scan::Ok) {
    return end;
  }
  line.reason = input.substr(reason_begin, at - reason_begin);
  pos = at + 2;
  return kOk;
}

/// Scans field lines up to and including the empty line that ends the head.
Outcome scan_field_section(std::string_view input, std::size_t& pos, std::size_t max_count,
                           FieldLines& fields) {
  while (true) {
    if (pos == input.size()) {
      return kNeedMore;
    }
    if (input[pos] == '\r') {
      if (const auto end = scan_crlf(input, pos); end.scan != Scan::Ok) {
        return end;
      }
      pos += 2;
      return kOk;
    }
    // RFC 9110 §5.4 and RFC 6585 §5: refuse as soon as the count is exceeded.
    if (fields.size() == max_count) {
      return invalid(431, "too many header fields");
    }
    FieldLine field;
    std::string_view reason;
    const Scan scan = detail::scan_field_line(input, pos, field, reason);
    if (scan != Scan::Ok) {
      return Outcome{scan, 400, reason};
    }
    fields.push_back(field);
  }
}

/// Skips the empty lines a client may send before a request (RFC 9112 §2.2).
Outcome skip_leading_empty_lines(std::string_view input, std::size_t& pos) {
  for (std::size_t skipped = 0; skipped < kMaxLeadingEmptyLines; ++skipped) {
    if (pos == input.size()) {
      return kNeedMore;
    }
    if (input[pos] != '\r') {
      break;
    }
    if (const auto end = scan_crlf(input, pos); end.scan != Scan::Ok) {
      return end;
    }
    pos += 2;
  }
  return kOk;
}

template <typename Parse>
Parse fail(Parse&& result, int status, std::string_view reason) {
  result.status = ParseStatus::Error;
  result.consumed = 0;
  result.error = ParseError{status, std::string(reason)};
  return std::move(result);
}

/// The scan reached the end of the first `max_header_bytes` of `bytes`: the head is too
/// large if more bytes are already there, else it is still arriving.
template <typename Parse>
Parse out_of_bytes(Parse&& result, std::string_view bytes, const ParseLimits& limits,
                   int too_large_status) {
  if (bytes.size() > limits.max_header_bytes) {
    return fail(std::move(result), too_large_status, "header section too large");
  }
  result.status = ParseStatus::Incomplete;
  return std::move(result);
}

/// RFC 9112 §6.1–6.3 and RFC 9110 §7.2 for a request whose fields have been read.
Outcome decide_request_framing(const FramingFields& fields, http::Version version,
                               RequestParse& result) {
  // RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host; more than one is always
  // refused, because two hops could each pick a different one.
  if (fields.host_count > 1) {
    return invalid(400, "duplicate host");
  }
  if (fields.host_count == 0 && version == http::Version::Http11) {
    return invalid(400, "missing host");
  }
  // RFC 9112 §3.2: a Host that is not uri-host [ ":" port ] gets 400. Forwarded as it was,
  // `a/../b` or `a@b` would reach an origin (and X-Forwarded-Host) as a different host.
  if (fields.host_invalid) {
    return invalid(400, "invalid host");
  }

  if (fields.transfer_encoding_lines > 0) {
    // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
    if (version == http::Version::Http10) {
      return invalid(400, "transfer-encoding in http/1.0");
    }
    // RFC 9112 §6.1 lets a server refuse both; the alternative (drop Content-Length and
    // close afterwards) is exactly what smuggling attacks probe for mistakes in.
    if (fields.content_length_lines > 0) {
      return invalid(400, "content-length with transfer-encoding");
    }
    if (fields.coding_count == 0) {
      return invalid(400, "empty transfer-encoding");
    }
    // RFC 9112 §6.1: chunked is applied at most once; §6.3 rule 4: in a request it is
    // final, else the length cannot be known.
    if (fields.chunked_count > 1) {
      return invalid(400, "chunked applied twice");
    }
    if (fields.chunked_count == 1 && !fields.chunked_last) {
      return invalid(400, "chunked not final");
    }
    // RFC 9112 §6.1: a server SHOULD answer 501 to a transfer coding it does not know.
    if (fields.coding_count > 1 || !fields.chunked_last) {
      return invalid(501, "unsupported transfer coding");
    }
    result.framing = http::BodyFraming{http::BodyFraming::Kind::Chunked, 0};
  } else if (fields.content_length_lines > 0) {
    // RFC 9112 §6.3 rule 5.
    if (!fields.content_length_error.empty()) {
      return invalid(400, fields.content_length_error);
    }
    result.framing =
        http::BodyFraming{http::BodyFraming::Kind::ContentLength, *fields.content_length};
  } else {
    // RFC 9112 §6.3 rule 7: no close-delimited request bodies, in any version.
    result.framing = http::BodyFraming{http::BodyFraming::Kind::None, 0};
  }

  // RFC 9112 §9.3: HTTP/1.0 connections persist only when the client asks for it.
  result.must_close = fields.connection_close ||
                      (version == http::Version::Http10 && !fields.connection_keep_alive);
  return kOk;
}

/// RFC 9112 §6.3 for a response to `request_method` whose fields have been read.
Outcome decide_response_framing(const FramingFields& fields, std::string_view request_method,
                                const StatusLine& line, ResponseParse& result) {
  using Kind = http::BodyFraming::Kind;
  result.must_close = fields.connection_close ||
                      (line.version == http::Version::Http10 && !fields.connection_keep_alive);

  // Rules 1 and 2: no content after HEAD, 1xx, 204 and 304, nor after a 2xx to CONNECT
  // (the connection becomes a tunnel); any framing fields are ignored.
  const bool tunnel = request_method == "CONNECT" && line.status >= 200 && line.status < 300;
  if (tunnel || http::response_has_no_body(request_method, line.status)) {
    result.framing = http::BodyFraming{Kind::None, 0};
    return kOk;
  }

  if (fields.transfer_encoding_lines > 0) {
    // RFC 9112 §6.1: framing by Transfer-Encoding in HTTP/1.0 is faulty.
    if (line.version == http::Version::Http10) {
      return invalid(kBadGateway, "transfer-encoding in http/1.0");
    }
    if (fields.chunked_count > 1) {
      return invalid(kBadGateway, "chunked applied twice");
    }
    if (fields.chunked_last) {
      // Rule 3: Transfer-Encoding overrides Content-Length, and a message with both may
      // be an attack on someone: do not reuse the connection.
      result.framing = http::BodyFraming{Kind::Chunked, 0};
      result.must_close = result.must_close || fields.content_length_lines > 0;
    } else {
      // Rule 4: chunked is not final, so the body runs until the server closes.
      result.framing = http::BodyFraming{Kind::UntilClose, 0};
      result.must_close = true;
    }
    return kOk;
  }

  if (fields.content_length_lines > 0) {
    // Rule 5: an invalid Content-Length from upstream is an unrecoverable framing error.
    if (!fields.content_length_error.empty()) {
      return invalid(kBadGateway, fields.content_length_error);
    }
    result.framing = http::BodyFraming{Kind::ContentLength, *fields.content_length};
    return kOk;
  }

  // Rule 8: the body ends when the server closes the connection.
  result.framing = http::BodyFraming{Kind::UntilClose, 0};
  result.must_close = true;
  return kOk;
}

}  // namespace

RequestParse parse_request_head(std::string_view bytes, const ParseLimits& limits) {
  RequestParse result;
  // Limits are applied by never looking past the largest head allowed.
  const auto window = bytes.substr(0, limits.max_header_bytes);
  std::size_t pos = 0;

  if (const auto skipped = skip_leading_empty_lines(window, pos); skipped.scan != Scan::Ok) {
    return skipped.scan == Scan::NeedMore ? out_of_bytes(std::move(result), bytes, limits, 431)
                                          : fail(std::move(result), 400, skipped.reason);
  }

  // The request line is scanned no further than its own limit plus room for CRLF
  // (RFC 9112 §3: a target longer than the server wishes to parse gets 414).
  std::size_t line_end = window.size();
  if (limits.max_request_line_bytes < window.size() - pos) {
    line_end = std::min(window.size(), pos + limits.max_request_line_bytes + 2);
  }
  RequestLine line;
  const auto line_outcome =
      scan_request_line(window.substr(0, line_end), pos, limits.max_request_line_bytes, line);
  if (line_outcome.scan == Scan::Invalid) {
    return fail(std::move(result), line_outcome.status, line_outcome.reason);
  }
  if (line_outcome.scan == Scan::NeedMore) {
    return out_of_bytes(std::move(result), bytes, limits, 431);
  }
  if (const auto form = check_target_form(line.method, line.target); !form.empty()) {
    return fail(std::move(result), 400, form);
  }

  FieldLines fields;
  const auto fields_outcome = scan_field_section(window, pos, limits.max_header_count, fields);
  if (fields_outcome.scan == Scan::NeedMore) {
    return out_of_bytes(std::move(result), bytes, limits, 431);
  }
  if (fields_outcome.scan == Scan::Invalid) {
    return fail(std::move(result), fields_outcome.status, fields_outcome.reason);
  }

  const auto framing_outcome =
      decide_request_framing(read_framing_fields(fields), line.version, result);
  if (framing_outcome.scan != Scan::Ok) {
    return fail(std::move(result), framing_outcome.status, framing_outcome.reason);
  }

  result.head.method.assign(line.method);
  result.head.target.assign(line.target);
  result.head.version = line.version;
  fields.copy_to(result.head.headers);
  result.consumed = pos;
  result.status = ParseStatus::Complete;
  return result;
}

ResponseParse parse_response_head(std::string_view bytes, std::string_view request_method,
                                  const ParseLimits& limits) {
  ResponseParse result;
  const auto window = bytes.substr(0, limits.max_header_bytes);
  std::size_t pos = 0;

  StatusLine line;
  const auto line_outcome = scan_status_line(window, pos, line);
  if (line_outcome.scan == Scan::NeedMore) {
    return out_of_bytes(std::move(result), bytes, limits, kBadGateway);
  }
  if (line_outcome.scan == Scan::Invalid) {
    return fail(std::move(result), kBadGateway, line_outcome.reason);
  }

  FieldLines fields;
  const auto fields_outcome = scan_field_section(window, pos, limits.max_header_count, fields);
  if (fields_outcome.scan == Scan::NeedMore) {
    return out_of_bytes(std::move(result), bytes, limits, kBadGateway);
  }
  if (fields_outcome.scan == Scan::Invalid) {
    return fail(std::move(result), kBadGateway, fields_outcome.reason);
  }

  const auto framing_outcome =
      decide_response_framing(read_framing_fields(fields), request_method, line, result);
  if (framing_outcome.scan != Scan::Ok) {
    return fail(std::move(result), kBadGateway, framing_outcome.reason);
  }

  result.head.status = line.status;
  result.head.reason.assign(line.reason);
  result.head.version = line.version;
  fields.copy_to(result.head.headers);
  result.consumed = pos;
  result.status = ParseStatus::Complete;
  return result;
}

}  // namespace river::http1
