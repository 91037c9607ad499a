// The body of an HTTP response made while it is sent (shared with the HTTP
// layer: HttpResponse::body_source in rest/api.h; rest/json_body.h makes one
// for JSON values).
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
