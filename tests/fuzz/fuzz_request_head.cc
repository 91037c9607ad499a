// libFuzzer target: rest::RequestHeadChecker, which reads every request's
// first bytes on a connection before anything else does.
//
// Input: one byte choosing a split point, then the request bytes.
// Invariants:
//   - fed whole, or in two pieces split anywhere, or byte by byte, the
//     checker comes to the same state and (when bad) the same status;
//   - a problem is 400, 501 or 505, with a short message of printable ASCII;
//   - when done, the head it consumed ends with the blank line CRLF CRLF.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rest/request_head.h"
#include "tests/fuzz/fuzz_common.h"

using saltgw::rest::RequestHeadChecker;
using State = RequestHeadChecker::State;

namespace {

struct Outcome {
  State state;
  int status = 0;
  size_t head_bytes = 0;  // bytes of the input that were head, when done
};

Outcome run(std::string_view in, size_t step) {
  RequestHeadChecker c;
  size_t offset = 0;
  while (offset < in.size()) {
    std::string_view piece = in.substr(offset, step);
    State s = c.feed(piece);
    if (s != State::kNeedMore) {
      Outcome o{s};
      if (s == State::kBad) o.status = c.problem().status;
      if (s == State::kDone) o.head_bytes = offset + c.consumed();
      if (s == State::kBad) {
        const std::string& m = c.problem().message;
        FUZZ_CHECK(!m.empty() && m.size() < 400, "message empty or long: " + m);
        for (char ch : m)
          FUZZ_CHECK(static_cast<unsigned char>(ch) >= 0x20 && static_cast<unsigned char>(ch) < 0x7f,
                     "unprintable byte in message: " + m);
        FUZZ_CHECK(o.status == 400 || o.status == 501 || o.status == 505, "status " + std::to_string(o.status));
      }
      return o;
    }
    offset += piece.size();
  }
  return Outcome{State::kNeedMore};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  Outcome whole = run(in, in.size() ? in.size() : 1);
  size_t split = in.empty() ? 1 : 1 + data[0] % in.size();
  Outcome two = run(in, split);
  Outcome bytewise = run(in, 1);
  for (const Outcome* o : {&two, &bytewise}) {
    FUZZ_CHECK(o->state == whole.state, "state differs with the split");
    FUZZ_CHECK(o->status == whole.status, "status differs with the split");
    if (o->state == State::kDone) FUZZ_CHECK(o->head_bytes == whole.head_bytes, "head length differs");
  }
  if (whole.state == State::kDone) {
    FUZZ_CHECK(whole.head_bytes >= 4 && in.substr(whole.head_bytes - 4, 4) == "\r\n\r\n",
               "head does not end with CRLF CRLF");
  }
  return 0;
}
