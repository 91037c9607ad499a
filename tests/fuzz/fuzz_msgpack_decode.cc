// libFuzzer target: salt_ipc::msgpack_decode, the decoder of untrusted
// msgpack (event data, engine replies).
//
// Whatever decodes must re-encode (msgpack_encode) to bytes that decode to
// the same Value, and a decode under tight limits may only succeed when the
// default limits succeed too. The first byte picks the tight limits, so the
// fuzzer explores the limit checks as well.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "salt_ipc/msgpack_codec.h"
#include "tests/fuzz/fuzz_common.h"

using namespace saltgw;
using saltgw::fuzz::brief;
using saltgw::fuzz::values_equal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  salt_ipc::DecodeLimits tight;
  tight.max_depth = static_cast<size_t>(data[0] & 0x0f) + 1;
  tight.max_elements = static_cast<size_t>(1) << ((data[0] >> 4) + 1);
  tight.max_bytes = 1u << 16;
  auto small = salt_ipc::msgpack_decode(bytes, tight);

  // The production limits, except a smaller element count so that a lying
  // array header costs at most a few megabytes per fuzz run.
  salt_ipc::DecodeLimits wide;
  wide.max_elements = 1u << 16;
  auto v = salt_ipc::msgpack_decode(bytes, wide);
  if (small) {
    FUZZ_CHECK(v.ok(), "decodes under tight limits but not under wide ones: " + v.error().message);
    FUZZ_CHECK(values_equal(small.value(), v.value()), "tight and wide decode differ");
  }
  if (!v) {
    FUZZ_CHECK(v.error().kind == salt_ipc::ErrorKind::kProtocol, "error kind is not kProtocol");
    FUZZ_CHECK(!v.error().message.empty(), "error without a message");
    return 0;
  }
  std::string enc = salt_ipc::msgpack_encode(v.value());
  auto again = salt_ipc::msgpack_decode(enc, wide);
  FUZZ_CHECK(again.ok(), "re-encoded value does not decode: " + again.error().message + " value=" + brief(v.value()));
  FUZZ_CHECK(values_equal(again.value(), v.value()),
             "round trip changed the value: " + brief(v.value()) + " -> " + brief(again.value()));
  // Encoding is canonical: a second round trip gives the same bytes.
  FUZZ_CHECK(salt_ipc::msgpack_encode(again.value()) == enc, "msgpack_encode is not deterministic");
  return 0;
}
