// HTTP/1.1 serialisation of heads and chunk framing.
//
// Heads are written exactly from the model: one field per line, names as stored, no
// folding. The proxy decides which fields to send; the serializer adds nothing.
#pragma once

#include <cstddef>
#include <string>

#include "http/header_map.h"
#include "http/message.h"

namespace river::http1 {

/// Appends "METHOD TARGET HTTP/1.x\r\n", the fields and the empty line to `out`.
void write_request_head(const http::RequestHead& head, std::string& out);

/// Appends "HTTP/1.1 STATUS REASON\r\n" (with head.version), the fields and the empty line.
void write_response_head(const http::ResponseHead& head, std::string& out);

/// Appends the chunk-size line for a chunk of `size` bytes ("1a2b\r\n", lowercase hex).
/// `size` must be > 0; for 0 nothing is written, since a "0" line would end the body.
void write_chunk_header(std::size_t size, std::string& out);

/// Appends the last chunk, the given trailer fields and the final CRLF ("0\r\n...\r\n").
void write_last_chunk(const http::HeaderMap& trailers, std::string& out);

}  // namespace river::http1
