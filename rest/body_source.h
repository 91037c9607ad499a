// A response body produced piece by piece (rest/http/connection.h pulls it).
//
// The connection asks for the next piece only when the client's socket has
// taken the previous one, so a body of any size costs about one piece of
// memory on the way out. Implementations: the JSON text of a Value
// (rest/json_body.h, which transcodes a packed result
// from msgpack without decoding it), a file (rest/http/file_body.h); a source is used by one
// connection at a time, on its reactor thread, and is not thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace saltgw::rest {

// A response body produced piece by piece, pulled by the connection only when
// the client's socket can take more (so at most about one piece is queued).
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Appends up to about `max` bytes of the body to `out`; returns false once the
  // body is complete (`out` may have received its last bytes in that call).
  virtual bool next(std::string& out, size_t max) = 0;
};

}  // namespace saltgw::rest
