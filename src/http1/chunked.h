// Incremental decoder for the chunked transfer coding (RFC 9112 §7.1).
//
// Fed with whatever bytes have arrived, the decoder walks chunk-size lines, chunk data,
// the CRLF after each chunk, the last chunk and the trailer section. It never copies chunk
// data: each call hands back a view into the caller's input. It refuses, with a ParseError,
// everything a lenient decoder has been tricked by: bare CR or LF, junk instead of the CRLF
// after data, chunk sizes that overflow, over-long extensions, invalid trailer lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/header_map.h"
#include "http1/parser.h"

namespace river::http1 {

struct ChunkedLimits {
  /// Longest chunk-size line, extensions included.
  std::size_t max_chunk_line_bytes = 4096;
  /// Largest trailer section.
  std::size_t max_trailer_bytes = 16 * 1024;
  std::size_t max_trailer_count = 100;
};

class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(ChunkedLimits limits = {});

  struct Step {
    /// Bytes of `input` used by this step; always > 0 unless `input` is empty, done or error.
    std::size_t consumed = 0;
    /// Chunk data found in this step, a view into `input` (valid as long as `input` is).
    std::string_view data;
    /// The last chunk and the trailer section have been read; the body is complete.
    bool done = false;
    std::optional<ParseError> error;
  };

  /// Decodes from the start of `input`. Call again with the unconsumed rest (plus newly read
  /// bytes) until `done` or `error`. A step returns at most one run of data. Errors carry
  /// 400 for broken framing and 431 for trailers over the limits; once done or failed, the
  /// decoder stays so and consumes nothing more.
  Step decode(std::string_view input);

  bool done() const;

  /// Trailer fields received after the last chunk; valid once `done()`.
  const http::HeaderMap& trailers() const { return trailers_; }

 private:
  enum class State {
    Size,            ///< hex digits of a chunk-size
    SizeWhitespace,  ///< BWS after the size, before a chunk-ext's ';'
    Extension,       ///< chunk-ext, up to the CR
    SizeLf,          ///< the LF ending a chunk-size line
    Data,            ///< chunk-data, `remaining_` bytes left
    DataCr,          ///< the CR after chunk-data
    DataLf,          ///< the LF after chunk-data
    Trailer,         ///< trailer field lines, up to the empty line
    Done,
    Failed,
  };

  /// Moves the state machine of the framing lines over one byte; false once failed.
  bool take_framing_byte(char c);
  /// Takes trailer bytes from the start of `input` up to the end of one line; returns how
  /// many were taken.
  std::size_t take_trailer_bytes(std::string_view input);
  void fail(int status, std::string_view reason);

  ChunkedLimits limits_;
  State state_ = State::Size;
  std::uint64_t remaining_ = 0;
  std::size_t line_bytes_ = 0;
  std::size_t size_digits_ = 0;
  /// Digits of the chunk-size from the first non-zero one on.
  std::size_t significant_digits_ = 0;
  std::size_t trailer_bytes_ = 0;
  /// The trailer line read so far, when a read ended inside it.
  std::string trailer_line_;
  http::HeaderMap trailers_;
  ParseError error_;
};

}  // namespace river::http1
