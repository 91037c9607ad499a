// Reads HTTP/1.1 requests from a connection's bytes, one at a time: the
// request line and header fields (checked as they arrive by
// RequestHeadChecker, rest/request_head.h), then the body by Content-Length
// or chunked transfer coding (RFC 9112 6, 7.1).
//
// Incremental: feed() takes whatever bytes came and says how many it used;
// it stops at the end of one request (the rest belongs to the next one, for
// a pipelining client) and keeps only the head and the body of the request
// being read. Limits end the request with a problem (status and message, for
// a JSON error answer; the connection is then closed):
//   400 malformed request line, fields or chunked framing; Content-Type that is
//       not a media type;
//   413 a body over max_body_bytes (told by Content-Length before the body
//       comes, or counted while chunks arrive);
//   431 more than max_header_count fields or max_header_bytes of names and
//       values, or an unfinished head far over max_header_bytes;
//   501 an unknown method or transfer coding; 505 another HTTP version.
// One parser per connection, on its reactor thread; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rest/request_head.h"

namespace saltgw::rest::http {

struct RequestLimits {
  size_t max_header_count = 64;
  size_t max_header_bytes = 16384;
  size_t max_body_bytes = 1u << 20;
};

struct Request {
  std::string method;  // one RequestHeadChecker::known_method accepts
  std::string target;  // the request-target as sent (path and query, still percent-encoded)
  int minor = 1;       // HTTP/1.<minor>
  std::vector<std::pair<std::string, std::string>> fields;  // names as sent, values without surrounding spaces
  std::string body;    // de-chunked

  // The value of the first field named `name` (any case); empty when none.
  std::string_view field(std::string_view name) const;
  // Whether the connection stays open after the answer: HTTP/1.1 unless the
  // client sent "Connection: close" (RFC 9112 9.3); HTTP/1.0 never.
  bool keep_alive() const;
};

class RequestParser {
 public:
  enum class State {
    kStart,  // nothing of a request yet
    kHead,   // in the request line or the header fields
    kBody,   // the head is complete; reading the body
    kDone,   // a whole request: take() it
    kBad,    // problem() says what is wrong; feed() takes nothing more
  };

  explicit RequestParser(RequestLimits limits);

  // Takes the next bytes; returns how many belong to the current request
  // (fewer than given only once it is kDone or kBad).
  size_t feed(std::string_view bytes);

  State state() const { return state_; }
  const HeadProblem& problem() const { return problem_; }
  // The request, once kDone; the parser then starts over (kStart).
  Request take();

 private:
  size_t feed_head(std::string_view bytes);
  size_t feed_body(std::string_view bytes);
  size_t feed_chunked(std::string_view bytes);
  void head_complete();
  void bad(int status, std::string message);

  RequestLimits limits_;
  State state_ = State::kStart;
  RequestHeadChecker checker_;
  std::string head_;  // the head's bytes, while it arrives
  Request request_;
  HeadProblem problem_;
  uint64_t body_left_ = 0;  // Content-Length framing: bytes still to come
  bool chunked_ = false;
  enum class Chunk { kSize, kData, kDataEnd, kTrailer } chunk_ = Chunk::kSize;
  std::string line_;        // chunked framing: the size or trailer line so far
  uint64_t chunk_left_ = 0;
};

// Checks a Content-Type value: a media type (type "/" subtype, both tokens,
// then parameters); nullopt when it is one. The FieldCheck the parser uses.
std::optional<std::string> check_field(std::string_view name, std::string_view value);

// Percent-decodes a request target's path or query component ("%41" -> "A";
// a '%' not followed by two hex digits is kept as it is).
std::string percent_decode(std::string_view s);

// Splits a request target into its path and its query parameters
// (name=value pairs separated by '&', both percent-decoded; '+' is kept).
struct Target {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
};
Target split_target(std::string_view target);

}  // namespace saltgw::rest::http
