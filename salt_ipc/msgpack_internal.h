// Internal to salt_ipc: the bridge from msgpack-c objects to Value.
#pragma once

#include <msgpack.hpp>

#include "salt_ipc/error.h"
#include "salt_ipc/value.h"

namespace saltgw::salt_ipc {

// Converts an unpacked msgpack object into a Value; fails past max_depth levels.
Result<Value> msgpack_object_to_value(const msgpack::object& o, size_t max_depth);

}  // namespace saltgw::salt_ipc
