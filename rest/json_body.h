// JSON text of a Value, written piece by piece as a BodySource.
//
// The output is byte for byte json_write(value) (rest/json.h): same escapes,
// same number formatting, U+FFFD for invalid UTF-8, null for non-finite
// floats, map keys in sorted order. Packed parts of the value (value.h: a
// large job result still in the encoding it came in) are written item by item
// from salt_ipc::PackedCursor, as their decoded value would be, without
// decoding them: the transcoding from the engine's msgpack to the client's
// JSON (rest/ itself reads no msgpack).
//
// Resumable and non-recursive: an explicit stack of open lists/maps (and
// cursors), and a position in the string being written, so a 20 MB string
// goes out in pieces of about `max` bytes (a number or one escaped character
// is never split). Memory: the stacks, plus for each open packed map its keys.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rest/body_source.h"
#include "salt_ipc/packed_cursor.h"
#include "salt_ipc/value.h"

namespace saltgw::rest {

class JsonBody : public BodySource {
 public:
  // `value` stays shared (not copied) until the body is done.
  explicit JsonBody(std::shared_ptr<const salt_ipc::Value> value);
  ~JsonBody() override;
  bool next(std::string& out, size_t max) override;

 private:
  struct Frame;
  void begin(const salt_ipc::Value& v, std::string& out);
  void step_packed(salt_ipc::PackedCursor& cursor, std::string& out);
  void step(std::string& out);
  void start_string(std::string_view s, bool key);
  void continue_string(std::string& out, size_t limit);

  std::shared_ptr<const salt_ipc::Value> root_;
  bool started_ = false;
  std::vector<Frame> stack_;
  // The string being written: its text, how far, and whether a key (":" after).
  bool in_string_ = false;
  bool string_is_key_ = false;
  bool string_opened_ = false;
  std::string_view string_;
  size_t string_pos_ = 0;
  std::string key_;  // a packed map's key being written
};

// Appends the JSON text of `s` from byte `pos` on (no quotes), stopping at a
// character boundary once `out` reaches `limit` bytes; returns the position
// reached (s.size() when done). Invalid UTF-8 becomes U+FFFD as json_write
// does it.
size_t json_escape_piece(std::string_view s, size_t pos, std::string& out, size_t limit);

// The JSON text of one double as json_write writes it (null when not finite).
void json_double(double d, std::string& out);

}  // namespace saltgw::rest
