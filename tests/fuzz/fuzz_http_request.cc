// libFuzzer target: rest::http::RequestParser, which reads every byte a
// client sends (request line, fields, Content-Length and chunked bodies,
// pipelined requests one after another).
//
// Input: one byte choosing a split point, then the bytes of the connection.
// Invariants:
//   - fed whole, in two pieces split anywhere, or byte by byte, the parser
//     reads the same requests (method, target, fields, body) and ends in the
//     same state, with the same status when bad;
//   - a problem is 400, 413, 431, 501 or 505, with a short printable message;
//   - no body is longer than max_body_bytes, no request has more fields than
//     max_header_count.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rest/http/request_parser.h"
#include "tests/fuzz/fuzz_common.h"

using saltgw::rest::http::Request;
using saltgw::rest::http::RequestLimits;
using saltgw::rest::http::RequestParser;
using State = RequestParser::State;

namespace {

constexpr RequestLimits kLimits{8, 512, 256};

struct Outcome {
  std::vector<std::string> requests;  // each request, summarised
  State state = State::kStart;
  int status = 0;
};

std::string summary(const Request& r) {
  std::string s = r.method + " " + r.target + " 1." + std::to_string(r.minor) + "\n";
  for (const auto& [k, v] : r.fields) s += k + ":" + v + "\n";
  return s + "\n" + r.body;
}

Outcome run(std::string_view in, size_t step) {
  RequestParser p(kLimits);
  Outcome o;
  for (size_t offset = 0; offset < in.size(); offset += step) {
    std::string_view piece = in.substr(offset, step);
    while (!piece.empty()) {
      size_t used = p.feed(piece);
      FUZZ_CHECK(used <= piece.size(), "used more than given");
      piece.remove_prefix(used);
      if (p.state() == State::kDone) {
        Request r = p.take();
        FUZZ_CHECK(r.body.size() <= kLimits.max_body_bytes, "body over the limit");
        FUZZ_CHECK(r.fields.size() <= kLimits.max_header_count, "too many fields");
        o.requests.push_back(summary(r));
      } else if (p.state() == State::kBad) {
        o.state = State::kBad;
        o.status = p.problem().status;
        const std::string& m = p.problem().message;
        FUZZ_CHECK(!m.empty() && m.size() < 400, "message empty or long: " + m);
        for (char ch : m)
          FUZZ_CHECK(static_cast<unsigned char>(ch) >= 0x20 && static_cast<unsigned char>(ch) < 0x7f,
                     "unprintable byte in message: " + m);
        FUZZ_CHECK(o.status == 400 || o.status == 413 || o.status == 431 || o.status == 501 || o.status == 505,
                   "status " + std::to_string(o.status));
        return o;
      } else {
        FUZZ_CHECK(piece.empty(), "stopped early without a request");
      }
    }
  }
  o.state = p.state();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 8192) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  Outcome whole = run(in, in.size() ? in.size() : 1);
  size_t split = in.empty() ? 1 : 1 + data[0] % in.size();
  Outcome two = run(in, split);
  Outcome bytewise = run(in, 1);
  for (const Outcome* o : {&two, &bytewise}) {
    FUZZ_CHECK(o->requests == whole.requests, "requests differ with the split");
    FUZZ_CHECK(o->status == whole.status, "status differs with the split");
  }
  return 0;
}
