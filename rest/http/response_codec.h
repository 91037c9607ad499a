// Writes HTTP/1.1 responses: the status line and header fields, and the body
// framing (Content-Length, or chunked transfer coding; RFC 9112 6, 7.1).
//
// Pure functions over strings: the connection (rest/http/connection.h)
// decides what to send and when; this decides only how it looks on the wire.
// The framing fields and Connection are written here and nowhere else; a
// caller's own fields must not include them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace saltgw::rest::http {

enum class Framing {
  kLength,   // Content-Length: length
  kChunked,  // Transfer-Encoding: chunked
  kNone,     // neither (204, 304: no body by definition)
};

struct ResponseHead {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> fields;  // Content-Type, CORS, X-Salt-Jid...
  Framing framing = Framing::kLength;
  uint64_t length = 0;  // kLength
  bool keep_alive = true;
};

// The reason phrase for a status code (RFC 9110 15).
const char* reason_phrase(int status);

// Appends the status line, the fields, the framing field, Connection and the
// blank line that ends the head.
void encode_head(const ResponseHead& head, std::string& out);

// Appends one chunk of a chunked body (nothing for empty data: an empty chunk
// would end the body).
void encode_chunk(std::string_view data, std::string& out);

// The last chunk, which ends a chunked body (no trailer fields).
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// How a body of `status` is framed when its length is or is not known.
Framing framing_for(int status, bool length_known);

}  // namespace saltgw::rest::http
