// libFuzzer target: the Salt event codec (salt_ipc/event.h).
//
// The input is one event body as it arrives inside a frame: a tag, "\n\n",
// msgpack data (or a pre-2014.1 tag padded with '|' to 20 characters).
// Whatever event_unpack accepts must survive event_pack -> event_unpack with
// the same tag and data, as saltgw re-publishes and compares events.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "salt_ipc/event.h"
#include "tests/fuzz/fuzz_common.h"

using namespace saltgw;
using saltgw::fuzz::brief;
using saltgw::fuzz::values_equal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  salt_ipc::DecodeLimits limits;
  limits.max_bytes = 1u << 20;
  limits.max_depth = 64;
  limits.max_elements = 4096;

  auto ev = salt_ipc::event_unpack(raw, limits);
  if (!ev) {
    FUZZ_CHECK(ev.error().kind == salt_ipc::ErrorKind::kProtocol, "event_unpack error is not kProtocol");
    return 0;
  }
  FUZZ_CHECK(ev->tag.size() <= raw.size(), "tag longer than the event");

  std::string packed = salt_ipc::event_pack(ev->tag, ev->data);
  auto again = salt_ipc::event_unpack(packed, limits);
  // A tag can only be told apart from its data by the first "\n\n": tags that
  // contain it, or end in '\n' (possible only in the padded form), cannot be
  // packed unambiguously by Salt either.
  bool packable = ev->tag.find(salt_ipc::kTagEnd) == std::string::npos &&
                  (ev->tag.empty() || ev->tag.back() != '\n');
  if (!packable) return 0;
  FUZZ_CHECK(again.ok(), "re-packed event does not decode: " + (again ? std::string() : again.error().message) +
                             " tag=" + ev->tag.substr(0, 80));
  FUZZ_CHECK(again->tag == ev->tag, "tag changed in the round trip: '" + ev->tag.substr(0, 80) + "' -> '" +
                                        again->tag.substr(0, 80) + "'");
  FUZZ_CHECK(values_equal(again->data, ev->data),
             "data changed in the round trip: " + brief(ev->data) + " -> " + brief(again->data));
  return 0;
}
