// Byte classes and scanning loops shared by the HTTP/1 head parser and the chunked decoder.
//
// Everything here is inline: the loops run over every byte of every head, so they must
// compile down to table look-ups in the caller. Scanners take the input as a string_view and
// a position, and never read at or past `input.size()`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace river::http1::detail {

/// Bit flags of `kByteClass`.
enum ByteClass : std::uint8_t {
  kTokenChar = 1,   ///< tchar, RFC 9110 §5.6.2
  kValueChar = 2,   ///< field-vchar, SP or HTAB (RFC 9110 §5.5): VCHAR, obs-text, SP, HTAB
  kTargetChar = 4,  ///< request-target byte we accept: VCHAR except '#' (RFC 9112 §3.2)
  kReasonChar = 8,  ///< reason-phrase byte: HTAB, SP, VCHAR, obs-text (RFC 9112 §4)
};

constexpr bool is_token_byte(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

constexpr std::array<std::uint8_t, 256> make_byte_classes() {
  std::array<std::uint8_t, 256> classes{};
  for (unsigned c = 0; c < 256; ++c) {
    std::uint8_t flags = 0;
    const bool vchar = c >= 0x21 && c <= 0x7e;
    const bool obs_text = c >= 0x80;
    if (is_token_byte(static_cast<unsigned char>(c))) {
      flags |= kTokenChar;
    }
    if (vchar || obs_text || c == ' ' || c == '\t') {
      flags |= kValueChar | kReasonChar;
    }
    if (vchar && c != '#') {
      flags |= kTargetChar;
    }
    classes[c] = flags;
  }
  return classes;
}

inline constexpr std::array<std::uint8_t, 256> kByteClass = make_byte_classes();

inline bool has_class(char c, ByteClass flag) {
  return (kByteClass[static_cast<unsigned char>(c)] & flag) != 0;
}

/// The value of hex digit `c`, or -1.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Eight bytes at a time: values and targets are the long parts of a head, and most of their
// bytes are plain printable ASCII. These tests are exact for "some byte in the word matches"
// (they can only misplace which byte, never miss one or invent one).
inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

/// Non-zero when some byte of `word` is below `n` (n <= 128).
constexpr std::uint64_t any_byte_below(std::uint64_t word, std::uint8_t n) {
  return (word - kOnes * n) & ~word & kHighs;
}

/// Non-zero when some byte of `word` equals `b`.
constexpr std::uint64_t any_byte_equal(std::uint64_t word, std::uint8_t b) {
  const std::uint64_t x = word ^ (kOnes * b);
  return (x - kOnes) & ~x & kHighs;
}

inline std::uint64_t load_word(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  return word;
}

/// Advances `pos` over field-value bytes (VCHAR, obs-text, SP, HTAB); stops at the first
/// other byte or at the end of `input`.
inline std::size_t skip_value_bytes(std::string_view input, std::size_t pos) {
  const char* data = input.data();
  const std::size_t size = input.size();
  // Fast path: a word with no byte below 0x20 and no DEL is all value bytes (HTAB, the only
  // valid byte below 0x20, falls to the byte loop).
  while (pos + 8 <= size) {
    // Safety: pos + 8 <= size, so the eight bytes read lie inside `input`.
    const std::uint64_t word = load_word(data + pos);
    if ((any_byte_below(word, 0x20) | any_byte_equal(word, 0x7f)) != 0) {
      break;
    }
    pos += 8;
  }
  while (pos < size && has_class(data[pos], kValueChar)) {
    ++pos;
  }
  return pos;
}

/// Advances `pos` over request-target bytes (VCHAR except '#'); stops at the first other byte
/// or at the end of `input`.
inline std::size_t skip_target_bytes(std::string_view input, std::size_t pos) {
  const char* data = input.data();
  const std::size_t size = input.size();
  while (pos + 8 <= size) {
    // Safety: pos + 8 <= size, so the eight bytes read lie inside `input`.
    const std::uint64_t word = load_word(data + pos);
    if ((any_byte_below(word, 0x21) | any_byte_equal(word, 0x7f) | any_byte_equal(word, '#') |
         (word & kHighs)) != 0) {
      break;
    }
    pos += 8;
  }
  while (pos < size && has_class(data[pos], kTargetChar)) {
    ++pos;
  }
  return pos;
}

/// Advances `pos` over tchar bytes; stops at the first other byte or at the end of `input`.
inline std::size_t skip_token_bytes(std::string_view input, std::size_t pos) {
  const char* data = input.data();
  const std::size_t size = input.size();
  while (pos < size && has_class(data[pos], kTokenChar)) {
    ++pos;
  }
  return pos;
}

/// Outcome of scanning one piece of a message.
enum class Scan {
  Ok,        ///< the piece is complete and valid
  NeedMore,  ///< the input ended before the piece did; nothing seen so far is invalid
  Invalid,   ///< the bytes seen break the grammar
};

/// A field line as views into the scanned input: name as received, value without OWS.
struct FieldLine {
  std::string_view name;
  std::string_view value;
};

/// Scans one field line, `field-name ":" OWS field-value OWS CRLF` (RFC 9112 §5), from `pos`.
/// On Ok, `pos` is moved past the CRLF and `field` is filled. On Invalid, `reason` names the
/// fault. The caller has checked that the line is not the empty line ending the section.
inline Scan scan_field_line(std::string_view input, std::size_t& pos, FieldLine& field,
                            std::string_view& reason) {
  const char* data = input.data();
  const std::size_t size = input.size();
  std::size_t at = pos;

  // RFC 9112 §5.2: obs-fold is refused in requests; a proxy may also refuse it in responses.
  // A whitespace-led line after the start line (RFC 9112 §2.2) is refused the same way.
  if (data[at] == ' ' || data[at] == '\t') {
    reason = "obsolete line folding";
    return Scan::Invalid;
  }

  const std::size_t name_begin = at;
  at = skip_token_bytes(input, at);
  if (at == size) {
    return Scan::NeedMore;
  }
  if (data[at] != ':') {
    // RFC 9112 §5.1: no whitespace is allowed between the field name and the colon.
    if (data[at] == ' ' || data[at] == '\t') {
      reason = "whitespace before colon";
    } else {
      reason = data[at] == '\n' ? "bare lf" : "invalid field name";
    }
    return Scan::Invalid;
  }
  if (at == name_begin) {
    reason = "empty field name";
    return Scan::Invalid;
  }
  field.name = input.substr(name_begin, at - name_begin);
  ++at;

  while (at < size && (data[at] == ' ' || data[at] == '\t')) {
    ++at;
  }
  const std::size_t value_begin = at;
  at = skip_value_bytes(input, at);
  if (at == size) {
    return Scan::NeedMore;
  }
  if (data[at] != '\r') {
    // NUL, a bare LF or another control byte inside the value (RFC 9110 §5.5).
    reason = data[at] == '\n' ? "bare lf" : "invalid field value";
    return Scan::Invalid;
  }
  if (at + 1 == size) {
    return Scan::NeedMore;
  }
  if (data[at + 1] != '\n') {
    reason = "bare cr";
    return Scan::Invalid;
  }

  std::size_t value_end = at;
  while (value_end > value_begin && (data[value_end - 1] == ' ' || data[value_end - 1] == '\t')) {
    --value_end;
  }
  field.value = input.substr(value_begin, value_end - value_begin);
  pos = at + 2;
  return Scan::Ok;
}

}  // namespace river::http1::detail
