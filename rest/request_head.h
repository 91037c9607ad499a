// Checks the head of an HTTP/1.x request (request line and header fields, up
// to the blank line) as its bytes arrive, for the request parser
// (rest/http/request_parser.h), which reads the fields only once they pass.
//
// Every fault gets a status and a message for saltgw's JSON error; the
// connection is then closed. It is strict where RFC 9112 asks for a 400 (bare
// LF line ends, obsolete line folding, whitespace before a field's colon, a
// Content-Length that is not a number, Content-Length with Transfer-Encoding)
// and answers 501 / 505 for an unknown method or transfer coding / HTTP
// version (RFC 9110 15.6.2, 15.6.6).
//
// Incremental: feed() takes the bytes as they come and keeps only the line
// not yet ended (never the lines before), so a client trickling bytes costs
// one scan of each byte. Limits on the head's size and field count are not
// its business (the request parser enforces max_header_bytes / max_header_count).
// One checker per connection; reset() before each request. Not thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace saltgw::rest {

// ASCII case-insensitive equality (header field names, tokens).
bool iequals(std::string_view a, std::string_view b);
// `s` without leading and trailing optional whitespace (SP, HTAB; RFC 9110 5.6.3).
std::string_view trim(std::string_view s);
// Client input quoted in a message: in single quotes, at most 40 bytes (then
// "..."), control bytes, non-ASCII, quotes and backslashes as \xNN, so a JSON
// error and the access log stay short and readable.
std::string quote(std::string_view s);

struct HeadProblem {
  int status = 400;     // 400, 501 or 505
  std::string message;  // for the client: what is wrong, quoting (a bounded part of) the input
};

// Checks one field's value the way the parser behind will read it
// (rest/http/request_parser.h: Content-Type): nullopt when it will be
// accepted, else why not.
using FieldCheck = std::function<std::optional<std::string>(std::string_view name, std::string_view value)>;

class RequestHeadChecker {
 public:
  enum class State {
    kNeedMore,  // the head is not complete yet, and nothing is wrong so far
    kDone,      // the blank line ending the head was seen; consumed() says where
    kBad,       // problem() says what is wrong; feed() must not be called again
  };

  explicit RequestHeadChecker(FieldCheck field_check = nullptr);

  // Takes the next bytes of the request. After kDone, the bytes of `bytes`
  // past consumed() are the body (or the next request); feeding more
  // returns kDone again without looking.
  State feed(std::string_view bytes);

  // Bytes of the last feed() that belonged to the head (valid after kDone).
  size_t consumed() const { return consumed_; }
  const HeadProblem& problem() const { return problem_; }
  State state() const { return state_; }

  // Forgets the request: the next byte fed starts a new request line.
  void reset();

  // The methods RFC 9110 defines (and PATCH); any other token is an
  // unrecognised method.
  static bool known_method(std::string_view method);

 private:
  State method_verdict(std::string_view start, bool complete);
  State line(std::string_view text);  // a complete line, without its LF
  State request_line(std::string_view text);
  State field_line(std::string_view text);
  State bad(int status, std::string message);

  FieldCheck field_check_;
  State state_ = State::kNeedMore;
  std::string partial_;  // the line not yet ended
  size_t lines_ = 0;     // complete lines seen
  bool method_checked_ = false;
  size_t consumed_ = 0;
  std::optional<std::string> content_length_;
  bool chunked_ = false;
  HeadProblem problem_;
};

}  // namespace saltgw::rest
