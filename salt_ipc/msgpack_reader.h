// A pull reader over msgpack bytes, one header at a time, without building
// anything: for code that walks a large msgpack value in place (validation,
// skipping, transcoding to JSON) instead of decoding it into a Value.
//
// read_token reads one element's header (and, for str/bin/ext, locates its
// payload in the input; nothing is copied). Arrays and maps are read as a
// header with a count; their elements follow as further tokens. Values read
// as msgpack_decode (msgpack_codec.h) would turn them into a Value:
// kUint is an unsigned integer above INT64_MAX (a double once decoded), float
// 32 is widened to double, ext keeps its data without the type byte.
//
// msgpack_check answers whether msgpack_decode would accept the bytes under
// the same limits (same nesting rule, element limits, key types), in time
// linear in the input and memory linear in the nesting depth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "salt_ipc/error.h"
#include "salt_ipc/msgpack_codec.h"

namespace saltgw::salt_ipc {

struct MsgpackToken {
  enum Type { kNil, kBool, kInt, kUint, kDouble, kStr, kBin, kExt, kArray, kMap };
  Type type = kNil;
  bool b = false;
  int64_t i = 0;          // kInt
  uint64_t u = 0;         // kUint (> INT64_MAX)
  double d = 0;           // kDouble
  std::string_view data;  // kStr, kBin, kExt: the payload, inside the input
  uint32_t count = 0;     // kArray: elements; kMap: key/value pairs
};

// Reads the token at `off` and advances `off` past its header (and payload for
// str/bin/ext). False, with `off` unchanged, when the bytes there are
// truncated or not msgpack (0xc1).
bool read_token(std::string_view in, size_t& off, MsgpackToken& t);

// Offset just past the whole value starting at `off` (containers included);
// SIZE_MAX when it is truncated or malformed. Iterative.
size_t msgpack_skip(std::string_view in, size_t off);

// A map key as msgpack_decode names it (text as is; 1 -> "1", true -> "true",
// nil -> "null", floats as %.17g); false for keys that are not allowed
// (arrays, maps, ext).
bool msgpack_key_string(const MsgpackToken& key, std::string& out);

// Ok when msgpack_decode(in, limits) would succeed; otherwise a kProtocol
// error saying why.
Status msgpack_check(std::string_view in, const DecodeLimits& limits = {});

}  // namespace saltgw::salt_ipc
