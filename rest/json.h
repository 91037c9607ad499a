// Value <-> JSON, the one place where saltgw converts between the two.
//
// Parsing is strict RFC 8259 JSON in UTF-8 (invalid UTF-8 is refused),
// non-recursive, and bounded in nesting depth. Writing renders Bytes as text
// when they are valid UTF-8 and otherwise replaces bad sequences with U+FFFD
// (JSON has no bytes type; Salt's own JSON outputter behaves alike);
// non-finite floats become null.
#pragma once

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

// {"error": message} plus optional extra fields, as every error body.
std::string json_error_body(std::string_view message, std::string_view kind = {});

}  // namespace saltgw::rest
