// Value <-> JSON, the one place where saltgw converts between the two.
//
// Parsing is strict RFC 8259 JSON in UTF-8 (invalid UTF-8 is refused),
// non-recursive, and bounded in nesting depth. Writing renders Bytes as text
// when they are valid UTF-8 and otherwise replaces bad sequences with U+FFFD
// (JSON has no bytes type; Salt's own JSON outputter behaves alike);
// non-finite floats become null. A Packed value (value.h) is written from its
// msgpack encoding without being decoded.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "salt_ipc/error.h"
#include "salt_ipc/value.h"

namespace saltgw::rest {

using salt_ipc::Value;

inline constexpr size_t kDefaultMaxJsonDepth = 64;

// kInvalidArgument errors say what is wrong and where (byte offset).
salt_ipc::Result<Value> json_parse(std::string_view text, size_t max_depth = kDefaultMaxJsonDepth);

// Appends the JSON text of v to out (compact, keys in map order).
void json_write(const Value& v, std::string& out);
std::string json_write(const Value& v);

// Writes the JSON text of v in pieces of about `chunk_bytes`, calling `sink`
// for each; stops early when sink returns false. Peak memory is one piece, not
// the whole text: for multi-megabyte results. (A loop over JsonBody,
// rest/json_body.h, which a response pulls from instead.)
void json_write_chunked(const Value& v, const std::function<bool(std::string_view)>& sink,
                        size_t chunk_bytes = 64 * 1024);

// A cheap upper-bound-ish estimate of the JSON size of v (strings, keys and
// a few bytes per scalar), to decide between a plain and a streamed body.
size_t json_size_estimate(const Value& v, size_t stop_after = SIZE_MAX);

}  // namespace saltgw::rest
