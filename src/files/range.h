// Reading the Range field of a GET request (RFC 9110 §14.1, §14.2).
//
// The file server answers a single byte range with 206. A malformed Range field, a unit
// other than "bytes" and a request for several ranges all get the whole file with 200, which
// RFC 9110 §14.2 allows ("a server MAY ignore the Range header field"); it spares River the
// multipart/byteranges format, which clients asking for several ranges must handle anyway.
#pragma once

#include <cstdint>
#include <string_view>

namespace river::files {

/// What to do with a Range field for a representation of known size.
struct RangeDecision {
  enum class Kind {
    Full,           ///< ignore the field: send the whole representation with 200
    Partial,        ///< send bytes [first, first + length) with 206
    Unsatisfiable,  ///< answer 416 with "Content-Range: bytes */size"
  };
  Kind kind = Kind::Full;
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};

/// Decides how to answer `range` (the Range field value) for a representation of `size`
/// bytes. A zero-length representation always gets Full: no Content-Range can describe a
/// part of it, so the empty 200 answer is the only meaningful one.
RangeDecision decide_range(std::string_view range, std::uint64_t size);

}  // namespace river::files
