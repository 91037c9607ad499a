// The JSON text of a Value as a BodySource: a large result encoded while it
// is sent, a piece at a time, never whole in memory.
//
// The text is byte for byte what json_write (and json_write_chunked) give for
// the same value (rest/json.h: map keys in order, invalid UTF-8 as U+FFFD,
// non-finite floats as null). The encoder is resumable: an explicit stack of
// the containers being written, and an offset into the string being written,
// so a 20 MB string goes out in pieces too. It keeps the value alive (shared)
// until it is destroyed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rest/body_source.h"
#include "salt_ipc/value.h"

namespace saltgw::rest {

class JsonBodySource : public BodySource {
 public:
  explicit JsonBodySource(std::shared_ptr<const salt_ipc::Value> value);

  bool next(std::string& out, size_t max) override;

 private:
  struct Frame {
    const salt_ipc::Value* container;
    size_t index = 0;                       // lists: the next element
    salt_ipc::Map::const_iterator map_pos;  // maps: the next entry
  };
  // Starts writing `v` (a scalar whole, a string's opening quote, a
  // container's opening bracket).
  void begin(const salt_ipc::Value& v, std::string& out);
  // Writes the next element or the closing bracket of the top frame.
  void step(std::string& out);
  // Writes up to about `budget` bytes more of the string being written.
  void string_part(std::string& out, size_t budget);

  std::shared_ptr<const salt_ipc::Value> value_;
  std::vector<Frame> stack_;
  std::string_view string_;  // the string being written (its rest), if any
  bool in_string_ = false;
  bool started_ = false;
};

}  // namespace saltgw::rest
