#include "http1/chunked.h"

#include <algorithm>

#include "http1/detail/scan.h"

namespace river::http1 {
namespace {

// A chunk larger than 2^63 bytes is no real body; refusing it keeps every later size
// computation far from overflow. Sixteen significant hex digits are plenty. Leading zeros
// are valid (RFC 9112 §7.1: chunk-size = 1*HEXDIG) and do not count; the size line limit
// bounds how many of them a sender can make us read.
constexpr std::uint64_t kMaxChunkSize = std::uint64_t{1} << 63;
constexpr std::size_t kMaxSignificantSizeDigits = 16;

}  // namespace

ChunkedDecoder::ChunkedDecoder(ChunkedLimits limits) : limits_(limits) {}

bool ChunkedDecoder::done() const { return state_ == State::Done; }

void ChunkedDecoder::fail(int status, std::string_view reason) {
  state_ = State::Failed;
  error_ = ParseError{status, std::string(reason)};
}

ChunkedDecoder::Step ChunkedDecoder::decode(std::string_view input) {
  Step step;
  std::size_t at = 0;
  while (at < input.size() && state_ != State::Done && state_ != State::Failed) {
    if (state_ == State::Data) {
      // Hand out as much of this chunk as has arrived, without copying.
      const auto available = static_cast<std::uint64_t>(input.size() - at);
      const auto length = static_cast<std::size_t>(std::min(remaining_, available));
      step.data = input.substr(at, length);
      at += length;
      remaining_ -= length;
      if (remaining_ == 0) {
        state_ = State::DataCr;
      }
      break;
    }
    if (state_ == State::Trailer) {
      at += take_trailer_bytes(input.substr(at));
      continue;
    }
    if (!take_framing_byte(input[at])) {
      break;
    }
    ++at;
  }

  step.consumed = at;
  step.done = state_ == State::Done;
  if (state_ == State::Failed) {
    step.error = error_;
  }
  return step;
}

bool ChunkedDecoder::take_framing_byte(char c) {
  // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF. Every CR and LF
  // must sit exactly where the grammar puts it: lone ones are what lenient decoders were
  // tricked by (CVE-2025-22871, VSV00016).
  switch (state_) {
    case State::Size: {
      const int digit = detail::hex_value(c);
      if (digit >= 0) {
        ++size_digits_;
        if (remaining_ != 0 || digit != 0) {
          ++significant_digits_;
        }
        if (significant_digits_ > kMaxSignificantSizeDigits ||
            remaining_ > (kMaxChunkSize - static_cast<std::uint64_t>(digit)) / 16) {
          fail(400, "chunk size too large");
          return false;
        }
        remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(digit);
        break;
      }
      if (size_digits_ == 0) {
        fail(400, "invalid chunk size");
        return false;
      }
      if (c == '\r') {
        state_ = State::SizeLf;
        return true;
      }
      if (c == ';') {
        state_ = State::Extension;
      } else if (c == ' ' || c == '\t') {
        state_ = State::SizeWhitespace;
      } else {
        fail(400, c == '\n' ? "bare lf in chunk size line" : "invalid chunk size");
        return false;
      }
      break;
    }
    case State::SizeWhitespace:
      // RFC 9112 §7.1.1: whitespace after the size is only allowed before an extension.
      if (c == ';') {
        state_ = State::Extension;
      } else if (c != ' ' && c != '\t') {
        fail(400, "invalid chunk size");
        return false;
      }
      break;
    case State::Extension:
      if (c == '\r') {
        state_ = State::SizeLf;
        return true;
      }
      // Extensions are dropped when the proxy re-frames the body; only the bytes a
      // chunk-ext can hold (tokens, quoted strings, whitespace) are accepted.
      if (!detail::has_class(c, detail::kValueChar)) {
        fail(400, c == '\n' ? "bare lf in chunk size line" : "invalid chunk extension");
        return false;
      }
      break;
    case State::SizeLf:
      if (c != '\n') {
        fail(400, "bare cr in chunk size line");
        return false;
      }
      line_bytes_ = 0;
      size_digits_ = 0;
      significant_digits_ = 0;
      // RFC 9112 §7.1: last-chunk = 1*("0") [ chunk-ext ] CRLF, then the trailer section.
      state_ = remaining_ == 0 ? State::Trailer : State::Data;
      return true;
    case State::DataCr:
      if (c != '\r') {
        fail(400, "missing crlf after chunk data");
        return false;
      }
      state_ = State::DataLf;
      return true;
    case State::DataLf:
      if (c != '\n') {
        fail(400, "missing crlf after chunk data");
        return false;
      }
      state_ = State::Size;
      return true;
    case State::Data:
    case State::Trailer:
    case State::Done:
    case State::Failed:
      return false;
  }

  // Bytes of the size line other than its CRLF count towards its limit.
  if (++line_bytes_ > limits_.max_chunk_line_bytes) {
    fail(400, "chunk size line too long");
    return false;
  }
  return true;
}

std::size_t ChunkedDecoder::take_trailer_bytes(std::string_view input) {
  const auto newline = input.find('\n');
  const std::size_t taken = newline == std::string_view::npos ? input.size() : newline + 1;
  trailer_bytes_ += taken;
  if (trailer_bytes_ > limits_.max_trailer_bytes) {
    fail(431, "trailer section too large");
    return taken;
  }
  trailer_line_.append(input.substr(0, taken));
  if (newline == std::string_view::npos) {
    return taken;
  }

  // A complete line, LF included. RFC 9112 §2.2: the LF must follow a CR.
  const std::string_view line = trailer_line_;
  if (line.size() < 2 || line[line.size() - 2] != '\r') {
    fail(400, "bare lf in trailer section");
    return taken;
  }
  if (line.size() == 2) {
    // The empty line ends the trailer section and the body (RFC 9112 §7.1.2).
    trailer_line_.clear();
    state_ = State::Done;
    return taken;
  }
  if (line.front() == '\r') {
    fail(400, "bare cr in trailer section");
    return taken;
  }

  // RFC 9112 §7.1.2: trailer fields are field lines like those of the head. A line that
  // is not one (a request line, say) means the sender's framing cannot be trusted.
  std::size_t pos = 0;
  detail::FieldLine field;
  std::string_view reason;
  if (detail::scan_field_line(line, pos, field, reason) != detail::Scan::Ok) {
    fail(400, reason.empty() ? "invalid trailer field" : reason);
    return taken;
  }
  if (trailers_.size() >= limits_.max_trailer_count) {
    fail(431, "too many trailer fields");
    return taken;
  }
  trailers_.add(field.name, field.value);
  trailer_line_.clear();
  return taken;
}

}  // namespace river::http1
