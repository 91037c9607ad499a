// Value <-> msgpack, the one place where saltgw converts between the two.
//
// Encoding follows Salt's use_bin_type=True convention (Salt 2018.3+ IPC):
// text as msgpack str, Bytes as bin. Decoding accepts every convention Salt
// has used: str or raw for text (Python 2 era minions pack everything as raw
// str), bin for bytes. Non-string map keys are turned into the strings JSON
// would use (1 -> "1", true -> "true", nil -> "null").
//
// Unsigned integers above INT64_MAX decode as double. Ext types decode as Bytes.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "salt_ipc/error.h"
#include "salt_ipc/value.h"

namespace saltgw::salt_ipc {

// Bounds applied while decoding untrusted msgpack.
struct DecodeLimits {
  size_t max_bytes = 256u << 20;  // one message (str/bin/ext sizes, whole frame)
  size_t max_depth = 100;         // nesting of arrays/maps
  // Elements of one array/map. msgpack-c allocates an array's slots when it
  // reads the header, so this bounds what a lying header can cost.
  size_t max_elements = 1u << 18;
};

// Appends the msgpack encoding of v to out.
void msgpack_encode(const Value& v, std::string& out);
std::string msgpack_encode(const Value& v);

// Decodes exactly one msgpack object that fills `bytes` (trailing bytes are an
// error). Errors are kProtocol with the reason.
Result<Value> msgpack_decode(std::string_view bytes, const DecodeLimits& limits = {});

// Decodes like msgpack_decode (same checks, same errors, an equal Value) but
// without copying large parts: when `bytes` is a map, each of its values whose
// encoding takes at least `packed_min` bytes stays in `bytes` as a Packed
// value (value.h) sharing `owner`, which keeps the bytes alive. For a reply
// envelope {"return": <20 MB>, "retcode": 0, ...}: the small fields are
// decoded, the result is not (it is transcoded when written, salt_ipc never
// copies it). The whole input is checked first (msgpack_check), so a Packed
// value always decodes.
Result<Value> msgpack_decode_shared(std::shared_ptr<const void> owner, std::string_view bytes,
                                    size_t packed_min, const DecodeLimits& limits = {});

// A Packed value over `bytes`, which must pass msgpack_check; `owner` keeps
// them alive. Mostly for tests; msgpack_decode_shared makes these.
Value make_packed(std::shared_ptr<const void> owner, std::string_view bytes);

// Messages and members from this size on are worth keeping packed.
inline constexpr size_t kPackedMinBytes = 64 * 1024;

}  // namespace saltgw::salt_ipc
