// libFuzzer target: the msgpack -> JSON transcoder (rest/json_body.h over a
// Packed value) and msgpack_check (salt_ipc/msgpack_reader.h).
//
// msgpack_check must accept exactly what msgpack_decode accepts; for what it
// accepts, the JSON pulled from a JsonBody over the packed bytes (in pieces
// whose size the first input byte picks) must be byte for byte json_write of
// the decoded value, without the packed value being decoded, and
// msgpack_decode_shared must give a value equal to msgpack_decode's.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "rest/json.h"
#include "rest/json_body.h"
#include "salt_ipc/msgpack_codec.h"
#include "salt_ipc/msgpack_reader.h"
#include "tests/fuzz/fuzz_common.h"

using namespace saltgw;
using saltgw::fuzz::brief;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + (data[0] & 0x3f) * (data[0] & 0x40 ? 1024 : 1);
  auto bytes = std::make_shared<const std::string>(reinterpret_cast<const char*>(data) + 1, size - 1);

  salt_ipc::DecodeLimits limits;
  limits.max_elements = 1u << 16;  // a lying header costs a few megabytes at most
  if (data[0] & 0x80) limits.max_depth = 8;
  auto checked = salt_ipc::msgpack_check(*bytes, limits);
  auto decoded = salt_ipc::msgpack_decode(*bytes, limits);
  FUZZ_CHECK(checked.ok() == decoded.ok(),
             std::string("msgpack_check and msgpack_decode disagree: check ") + (checked.ok() ? "ok" : checked.error().message) +
                 ", decode " + (decoded.ok() ? "ok" : decoded.error().message));
  if (!decoded) return 0;

  std::string want = rest::json_write(decoded.value());
  salt_ipc::Value packed = salt_ipc::make_packed(bytes, *bytes);
  rest::JsonBody body(std::make_shared<const salt_ipc::Value>(packed));
  std::string got;
  for (bool more = true; more;) {
    size_t before = got.size();
    more = body.next(got, piece);
    FUZZ_CHECK(got.size() - before <= piece + 32, "a piece much larger than asked for");
    FUZZ_CHECK(got.size() <= want.size(), "more output than json_write: " + brief(decoded.value()));
  }
  FUZZ_CHECK(got == want, "transcoded JSON differs from json_write: " + brief(decoded.value()) + "\n  got  " +
                              got.substr(0, 300) + "\n  want " + want.substr(0, 300));
  FUZZ_CHECK(!packed.packed()->was_decoded(), "the transcoder decoded the packed value");
  FUZZ_CHECK(salt_ipc::contains_string(packed, "x") == salt_ipc::contains_string(decoded.value(), "x"),
             "contains_string differs on the packed value");

  auto shared = salt_ipc::msgpack_decode_shared(bytes, *bytes, 2, limits);
  FUZZ_CHECK(shared.ok(), "msgpack_decode_shared refuses what msgpack_decode accepts: " + shared.error().message);
  FUZZ_CHECK(salt_ipc::msgpack_encode(shared.value()) == salt_ipc::msgpack_encode(decoded.value()),
             "msgpack_decode_shared differs: " + brief(decoded.value()));
  FUZZ_CHECK(rest::json_write(shared.value()) == want, "json_write of a value with packed members differs");
  return 0;
}
