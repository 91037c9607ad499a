// libFuzzer target: salt_ipc::FrameDecoder, the streaming decoder of the
// minion's event-bus sockets (framed msgpack {"head", "body"} back to back).
//
// The input is the byte stream as a peer would send it. It is fed three ways:
// in one piece, split in two at a point derived from the data, and in small
// chunks whose size is derived from the data. A streaming decoder must not
// care where read() boundaries fall: all three must yield the same frames
// and agree on whether the stream is malformed. Each complete frame's body
// also goes through event_unpack, as EventBus does with it.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "salt_ipc/event.h"
#include "salt_ipc/frame.h"
#include "tests/fuzz/fuzz_common.h"

using namespace saltgw;
using saltgw::fuzz::values_equal;

namespace {

// Tight enough that the size limits are reachable with small inputs, large
// enough for every real frame of the seed corpus.
salt_ipc::DecodeLimits fuzz_limits() {
  salt_ipc::DecodeLimits l;
  l.max_bytes = 64 * 1024;
  l.max_depth = 32;
  l.max_elements = 4096;
  return l;
}

struct Outcome {
  std::vector<salt_ipc::Frame> frames;
  bool ok = true;
};

template <class Chunker>
Outcome run(std::string_view in, const salt_ipc::DecodeLimits& limits, Chunker next_chunk) {
  Outcome o;
  salt_ipc::FrameDecoder dec(limits);
  size_t pos = 0;
  while (pos < in.size()) {
    size_t n = next_chunk(pos);
    if (n == 0 || n > in.size() - pos) n = in.size() - pos;
    auto st = dec.feed(in.substr(pos, n), o.frames);
    pos += n;
    if (!st) {
      o.ok = false;
      // A failed decoder refuses everything after.
      std::vector<salt_ipc::Frame> more;
      auto again = dec.feed("\x80", more);
      FUZZ_CHECK(!again && more.empty(), "decoder accepted input after a failure");
      break;
    }
    FUZZ_CHECK(dec.buffered() <= pos, "buffered() larger than what was fed");
  }
  return o;
}

void same(const Outcome& a, const Outcome& b, const char* how) {
  FUZZ_CHECK(a.ok == b.ok, std::string("whole vs ") + how + ": malformed-ness differs");
  FUZZ_CHECK(a.frames.size() == b.frames.size(), std::string("whole vs ") + how + ": " +
                                                     std::to_string(a.frames.size()) + " vs " +
                                                     std::to_string(b.frames.size()) + " frames");
  for (size_t i = 0; i < a.frames.size(); ++i) {
    FUZZ_CHECK(a.frames[i].body == b.frames[i].body, std::string("body of frame ") + std::to_string(i) + " differs (" + how + ")");
    FUZZ_CHECK(values_equal(a.frames[i].head, b.frames[i].head),
               std::string("head of frame ") + std::to_string(i) + " differs (" + how + ")");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto limits = fuzz_limits();

  Outcome whole = run(in, limits, [&](size_t) { return in.size(); });

  size_t split = size == 0 ? 0 : (static_cast<size_t>(data[size - 1]) * 131u + size) % (size + 1);
  bool first = true;
  Outcome halves = run(in, limits, [&](size_t) {
    size_t n = first ? split : in.size();
    first = false;
    return n == 0 ? in.size() : n;
  });
  same(whole, halves, "two pieces");

  size_t chunk = size == 0 ? 1 : static_cast<size_t>(data[0] % 7) + 1;
  if (size <= 8192) {  // byte-wise feeding of big inputs only slows the fuzzer down
    Outcome small = run(in, limits, [&](size_t) { return chunk; });
    same(whole, small, "small chunks");
  }

  for (const auto& f : whole.frames) {
    FUZZ_CHECK(f.body.size() <= limits.max_bytes, "frame body larger than the limit");
    auto ev = salt_ipc::event_unpack(f.body, limits);
    (void)ev;
  }

  // Whatever is decoded, frame_encode must produce a stream that decodes back.
  for (const auto& f : whole.frames) {
    std::string enc = salt_ipc::frame_encode(f.body);
    salt_ipc::FrameDecoder dec(limits);
    std::vector<salt_ipc::Frame> out;
    auto st = dec.feed(enc, out);
    if (enc.size() <= limits.max_bytes) {
      FUZZ_CHECK(st.ok() && out.size() == 1 && out[0].body == f.body && dec.buffered() == 0,
                 "frame_encode output does not decode to the same body");
    }
  }
  return 0;
}
