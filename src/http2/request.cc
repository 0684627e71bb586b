#include "http2/request.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace river::http2 {
namespace {

// RFC 9113 §6.5.2: each field counts its name, its value and 32 bytes of overhead.
constexpr std::uint64_t kFieldOverhead = 32;

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
    return true;
  }
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

/// RFC 9113 §8.2.1: a field name is lower-case token characters (upper case is malformed).
bool is_valid_name(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (const char c : name) {
    if (!is_tchar(c)) {
      return false;
    }
  }
  return true;
}

/// RFC 9113 §8.2.1: no NUL, CR or LF anywhere, no leading or trailing space or tab.
bool is_valid_value(std::string_view value) {
  for (const char c : value) {
    if (c == '\0' || c == '\r' || c == '\n') {
      return false;
    }
  }
  if (!value.empty()) {
    const char first = value.front();
    const char last = value.back();
    if (first == ' ' || first == '\t' || last == ' ' || last == '\t') {
      return false;
    }
  }
  return true;
}

bool is_token(std::string_view text, bool upper_allowed) {
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    const bool upper = c >= 'A' && c <= 'Z';
    if (!(is_tchar(c) || (upper_allowed && upper))) {
      return false;
    }
  }
  return true;
}

/// A request-target as HTTP/1 would carry it: visible ASCII only, no space (RFC 3986).
bool is_visible_ascii(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      return false;
    }
  }
  return true;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    c = ascii_lower(c);
  }
  return out;
}

}  // namespace

bool is_connection_specific(std::string_view lower_name) {
  return lower_name == "connection" || lower_name == "keep-alive" ||
         lower_name == "proxy-connection" || lower_name == "transfer-encoding" ||
         lower_name == "upgrade";
}

Verdict RequestBuilder::fail(Verdict verdict, std::string_view reason, int status) {
  if (early_ == Verdict::Ok) {
    early_ = verdict;
    reason_ = std::string(reason);
    status_ = status;
  }
  return verdict;
}

void RequestBuilder::add(std::string_view name, std::string_view value) {
  // Counted before anything else, so a flood of fields costs no memory once past the limit
  // (RFC 9113 §10.5.1: a server may refuse a field block that is too large with 431).
  ++count_;
  bytes_ += name.size() + value.size() + kFieldOverhead;
  if (count_ > limits_.max_header_count || bytes_ > limits_.max_header_bytes) {
    fail(Verdict::Refused, "request_header_too_large", 431);
    return;
  }
  if (early_ != Verdict::Ok) {
    return;
  }

  if (!is_valid_value(value)) {
    fail(Verdict::Malformed, "invalid_field_value");
    return;
  }

  if (!name.empty() && name.front() == ':') {
    // RFC 9113 §8.3: pseudo-header fields come first, each at most once, and only the
    // request ones are allowed.
    if (regular_seen_) {
      fail(Verdict::Malformed, "pseudo_header_after_field");
      return;
    }
    auto take = [&](bool& seen, std::string& slot) {
      if (seen) {
        fail(Verdict::Malformed, "duplicate_pseudo_header");
        return;
      }
      seen = true;
      slot = std::string(value);
    };
    if (name == ":method") {
      take(has_method_, method_);
    } else if (name == ":scheme") {
      take(has_scheme_, scheme_);
    } else if (name == ":authority") {
      take(has_authority_, authority_);
    } else if (name == ":path") {
      take(has_path_, path_);
    } else {
      // :status in a request, :protocol (extended CONNECT is not offered), or unknown.
      fail(Verdict::Malformed, "unknown_pseudo_header");
    }
    return;
  }

  regular_seen_ = true;
  if (!is_valid_name(name)) {
    fail(Verdict::Malformed, "invalid_field_name");
    return;
  }
  // RFC 9113 §8.2.2: connection-specific fields make the request malformed; TE may only say
  // "trailers".
  if (is_connection_specific(name)) {
    fail(Verdict::Malformed, "connection_specific_field");
    return;
  }
  if (name == "te" && !iequals(value, "trailers")) {
    fail(Verdict::Malformed, "te_not_trailers");
    return;
  }
  if (name == "cookie") {
    // RFC 9113 §8.2.3: a client may split Cookie into one field per cookie-pair; they are
    // joined with "; " into one field in finish(), at the place of the first one.
    if (cookies_.empty()) {
      head_.headers.add(name, value);
    }
    cookies_.emplace_back(value);
    return;
  }
  head_.headers.add(name, value);
}

Verdict RequestBuilder::finish(bool end_stream) {
  if (early_ != Verdict::Ok) {
    return early_;
  }
  if (!has_method_ || !is_token(method_, true)) {
    return fail(Verdict::Malformed, "invalid_method");
  }

  if (method_ == "CONNECT") {
    // RFC 9113 §8.5: CONNECT names only the authority.
    if (has_scheme_ || has_path_ || !has_authority_ || authority_.empty()) {
      return fail(Verdict::Malformed, "invalid_connect");
    }
    head_.target = authority_;
  } else {
    // RFC 9113 §8.3.1: :method, :scheme and a non-empty :path are required.
    if (!has_scheme_ || !has_path_ || path_.empty()) {
      return fail(Verdict::Malformed, "missing_pseudo_header");
    }
    if (!is_token(scheme_, true)) {
      return fail(Verdict::Malformed, "invalid_scheme");
    }
    const bool asterisk = path_ == "*" && method_ == "OPTIONS";
    if ((!asterisk && path_.front() != '/') || !is_visible_ascii(path_)) {
      return fail(Verdict::Malformed, "invalid_path");
    }
    head_.target = path_;
  }

  // RFC 9113 §8.3.1: the authority must not carry userinfo, and a Host field must name the
  // same entity. An HTTP/1 upstream needs a Host, taken from :authority when missing.
  if (has_authority_ && (!is_visible_ascii(authority_) ||
                         authority_.find('@') != std::string::npos)) {
    return fail(Verdict::Malformed, "invalid_authority");
  }
  const auto host_count = head_.headers.count("host");
  if (host_count > 1) {
    return fail(Verdict::Malformed, "duplicate_host");
  }
  if (host_count == 1 && has_authority_ && !iequals(*head_.headers.get("host"), authority_)) {
    return fail(Verdict::Malformed, "host_authority_mismatch");
  }
  if (host_count == 0) {
    if (!has_authority_ || authority_.empty()) {
      return fail(Verdict::Refused, "missing_host", 400);
    }
    http::HeaderMap with_host;
    with_host.reserve(head_.headers.size() + 1);
    with_host.add("host", authority_);
    for (const auto& field : head_.headers) {
      with_host.add(field.name, field.value);
    }
    head_.headers = std::move(with_host);
  }

  if (cookies_.size() > 1) {
    std::string joined;
    for (const auto& cookie : cookies_) {
      if (!joined.empty()) {
        joined.append("; ");
      }
      joined.append(cookie);
    }
    head_.headers.set("cookie", joined);
  }

  // RFC 9113 §8.1.1: every content-length must agree, and must match the DATA that follows
  // (checked as DATA arrives); a HEADERS frame ending the stream carries no content.
  std::optional<std::uint64_t> length;
  for (const auto& field : head_.headers) {
    if (field.name != "content-length") {
      continue;
    }
    const auto parsed = parse_decimal(field.value);
    if (!parsed || (length && *length != *parsed)) {
      return fail(Verdict::Malformed, "invalid_content_length");
    }
    length = parsed;
  }
  if (end_stream) {
    if (length && *length != 0) {
      return fail(Verdict::Malformed, "content_length_mismatch");
    }
    framing_ = {http::BodyFraming::Kind::None, 0};
  } else if (length) {
    framing_ = {http::BodyFraming::Kind::ContentLength, *length};
  } else {
    framing_ = {http::BodyFraming::Kind::Chunked, 0};
  }

  head_.method = std::move(method_);
  head_.version = http::Version::Http2;
  return Verdict::Ok;
}

bool add_trailer(std::string_view name, std::string_view value, http::HeaderMap& trailers) {
  if (!is_valid_name(name) || !is_valid_value(value) || is_connection_specific(name) ||
      name == "te") {
    return false;
  }
  trailers.add(name, value);
  return true;
}

std::vector<http::Header> response_fields(const http::ResponseHead& head,
                                          std::int64_t content_length) {
  std::vector<http::Header> out;
  out.reserve(head.headers.size() + 2);
  out.push_back({":status", fmt::format_int(head.status).str()});
  for (const auto& field : head.headers) {
    auto name = lower(field.name);
    if (is_connection_specific(name) || name == "content-length" || name == "te" ||
        !is_valid_name(name)) {
      continue;
    }
    out.push_back({std::move(name), field.value});
  }
  if (content_length >= 0) {
    out.push_back({"content-length", fmt::format_int(content_length).str()});
  }
  return out;
}

std::vector<http::Header> trailer_fields(const http::HeaderMap& trailers) {
  std::vector<http::Header> out;
  out.reserve(trailers.size());
  for (const auto& field : trailers) {
    auto name = lower(field.name);
    if (is_connection_specific(name) || name == "te" || name == "content-length" ||
        !is_valid_name(name)) {
      continue;
    }
    out.push_back({std::move(name), field.value});
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Towards HTTP/2 upstreams

std::vector<http::Header> upstream_request_fields(const http::RequestHead& head,
                                                  std::string_view scheme,
                                                  std::int64_t content_length, bool te_trailers) {
  std::vector<http::Header> out;
  out.reserve(head.headers.size() + 6);
  out.push_back({":method", head.method});
  const bool connect = head.method == "CONNECT";
  if (!connect) {
    out.push_back({":scheme", std::string(scheme)});
  }
  // RFC 9113 §8.3.1: :authority carries what Host would; Host itself is left out so the
  // two cannot disagree.
  if (auto host = head.headers.get("Host"); host && !host->empty()) {
    out.push_back({":authority", std::string(*host)});
  }
  if (!connect) {
    out.push_back({":path", head.target});
  }
  for (const auto& field : head.headers) {
    auto name = lower(field.name);
    if (is_connection_specific(name) || name == "host" || name == "te" ||
        name == "content-length" || name == "http2-settings" || !is_valid_name(name) ||
        !is_valid_value(field.value)) {
      continue;
    }
    out.push_back({std::move(name), field.value});
  }
  if (te_trailers) {
    out.push_back({"te", "trailers"});
  }
  if (content_length >= 0) {
    out.push_back({"content-length", fmt::format_int(content_length).str()});
  }
  return out;
}

void ResponseBuilder::fail(std::string_view reason) {
  if (!failed_) {
    failed_ = true;
    reason_ = std::string(reason);
  }
}

void ResponseBuilder::reset() {
  head_ = http::ResponseHead();
  content_length_ = -1;
  has_status_ = false;
  bytes_ = 0;
  count_ = 0;
  failed_ = false;
  reason_.clear();
}

void ResponseBuilder::add(std::string_view name, std::string_view value) {
  ++count_;
  bytes_ += name.size() + value.size() + kFieldOverhead;
  if (count_ > limits_.max_header_count || bytes_ > limits_.max_header_bytes) {
    fail("response_header_too_large");
    return;
  }
  if (failed_) {
    return;
  }
  if (!is_valid_value(value)) {
    fail("invalid_field_value");
    return;
  }
  if (name.starts_with(':')) {
    if (name != ":status" || has_status_ || head_.headers.size() > 0) {
      fail("invalid_pseudo_header");
      return;
    }
    has_status_ = true;
    if (value.size() != 3 || value[0] < '1' || value[0] > '5' || value[1] < '0' ||
        value[1] > '9' || value[2] < '0' || value[2] > '9') {
      fail("invalid_status");
      return;
    }
    head_.status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
    return;
  }
  if (!is_valid_name(name)) {
    fail("invalid_field_name");
    return;
  }
  if (is_connection_specific(name)) {
    fail("connection_specific_field");
    return;
  }
  if (name == "content-length") {
    std::uint64_t length = 0;
    if (value.empty() || value.size() > 18) {
      fail("invalid_content_length");
      return;
    }
    for (const char c : value) {
      if (c < '0' || c > '9') {
        fail("invalid_content_length");
        return;
      }
      length = length * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (content_length_ >= 0 && static_cast<std::uint64_t>(content_length_) != length) {
      fail("conflicting_content_length");
      return;
    }
    content_length_ = static_cast<std::int64_t>(length);
  }
  head_.headers.add(name, value);
}

Verdict ResponseBuilder::finish(bool trailer) {
  if (failed_) {
    return Verdict::Malformed;
  }
  if (trailer ? has_status_ : !has_status_) {
    fail(trailer ? "pseudo_header_in_trailer" : "missing_status");
    return Verdict::Malformed;
  }
  head_.version = http::Version::Http2;
  return Verdict::Ok;
}

}  // namespace river::http2
