// Walks a Packed value (value.h) as the Value it decodes to, one item at a
// time, without decoding it: for writers that stream a large result out in
// another format (rest/json_body.h writes JSON from it).
//
// Items come in the decoded value's order: a list as kListStart, its elements,
// kListEnd; a map as kMapStart, then per entry kKey and the value, kMapEnd,
// with the keys as msgpack_decode makes them (non-string keys named, sorted,
// the last of repeated keys kept). Numbers as decoded (an unsigned integer
// above INT64_MAX is a double). Resumable and non-recursive: an explicit stack
// of open containers; for an open map its keys and their values' offsets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "salt_ipc/value.h"

namespace saltgw::salt_ipc {

class PackedCursor {
 public:
  struct Item {
    enum Type { kNull, kBool, kInt, kDouble, kString, kBytes, kListStart, kListEnd, kMapStart, kMapEnd, kKey };
    Type type = kNull;
    bool b = false;
    int64_t i = 0;
    double d = 0;
    // kString, kBytes: inside the packed bytes; kKey: valid until the next call.
    std::string_view text;
    // A list element or map key that is not the first of its container (a
    // writer puts a separator before it).
    bool follows_sibling = false;
  };

  // `packed` must outlive the cursor.
  explicit PackedCursor(const Packed& packed);
  // The next item; false once the whole value has been walked.
  bool next(Item& item);

 private:
  struct Frame {
    bool map = false;
    size_t off = 0;      // list: the next element
    uint32_t left = 0;   // list: elements still to come
    std::vector<std::pair<std::string, size_t>> keys;  // map: sorted, with their values' offsets
    size_t index = 0;    // map: the next key
    bool value_next = false;  // map: the value of the key just given comes next
    bool first = true;
  };
  // The value at `off` (one item; containers are opened).
  void value_at(size_t off, Item& item);

  std::string_view in_;
  bool started_ = false;
  std::vector<Frame> stack_;
  std::string key_;  // the key last given
};

}  // namespace saltgw::salt_ipc
