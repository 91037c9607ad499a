// The neutral value tree that crosses every boundary in saltgw.
//
// Salt speaks msgpack, clients speak JSON; both map onto this one type:
// null, bool, integer, float, string (UTF-8 text), bytes (msgpack bin),
// list, map. Map keys are strings (msgpack maps with non-string keys are
// converted on decode) and are kept sorted, which matches how the present
// Python API serialises results (Flask sorts keys).
//
// A Value is a plain, copyable, movable tree. It is not thread-safe beyond
// what std::vector/std::map are: share immutable values, copy to mutate.
//
// A Value may also hold a Packed value: one value still in its msgpack
// encoding, as received (a large job result, kept in the message it came in
// without copying). It behaves as the value it encodes: is_*() peek at its
// type, and the accessors decode it on first use (once, kept, thread-safe).
// What a large result goes through reads the encoding in place and never
// decodes it: salt_ipc/packed_cursor.h (which rest/json_body.h writes out as
// JSON piece by piece), contains_string, approx_bytes, copies (which share
// it). So a large result costs about its own size for as long as it is kept.
// Made by salt_ipc/msgpack_codec.h (msgpack_decode_shared, make_packed).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace saltgw::salt_ipc {

class Value;

// Raw bytes (msgpack "bin"). Distinct from text so a round trip keeps its type.
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

using List = std::vector<Value>;
using Map = std::map<std::string, Value, std::less<>>;
class Packed;
using PackedRef = std::shared_ptr<const Packed>;

class Value {
 public:
  using Storage =
      std::variant<std::nullptr_t, bool, int64_t, double, std::string, Bytes, List, Map, PackedRef>;
  // The alternatives' indexes: what kind() answers (never kPacked).
  enum Kind { kNull, kBool, kInt, kDouble, kString, kBytes, kList, kMap, kPacked };

  Value() : v_(nullptr) {}
  Value(std::nullptr_t) : v_(nullptr) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(int64_t{i}) {}
  Value(int64_t i) : v_(i) {}
  Value(double d) : v_(d) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(Bytes b) : v_(std::move(b)) {}
  Value(List l) : v_(std::move(l)) {}
  Value(Map m) : v_(std::move(m)) {}
  Value(PackedRef p) : v_(std::move(p)) {}

  // The kind of value this is (a Packed value: the kind it decodes to).
  Kind kind() const;
  bool is_null() const { return kind() == kNull; }
  bool is_bool() const { return kind() == kBool; }
  bool is_int() const { return kind() == kInt; }
  bool is_double() const { return kind() == kDouble; }
  bool is_string() const { return kind() == kString; }
  bool is_bytes() const { return kind() == kBytes; }
  bool is_list() const { return kind() == kList; }
  bool is_map() const { return kind() == kMap; }
  // True when this holds a Packed value (see above); packed() is it or null.
  bool is_packed() const { return std::holds_alternative<PackedRef>(v_); }
  const Packed* packed() const;

  // Accessors: precondition is the matching is_*(). On a Packed value they
  // decode it (once); the mutable ones first replace it by its decoded copy.
  bool as_bool() const { return std::get<bool>(plain().v_); }
  int64_t as_int() const { return std::get<int64_t>(plain().v_); }
  double as_double() const { return std::get<double>(plain().v_); }
  const std::string& as_string() const { return std::get<std::string>(plain().v_); }
  const Bytes& as_bytes() const { return std::get<Bytes>(plain().v_); }
  const List& as_list() const { return std::get<List>(plain().v_); }
  List& as_list() { return std::get<List>(unpack().v_); }
  const Map& as_map() const { return std::get<Map>(plain().v_); }
  Map& as_map() { return std::get<Map>(unpack().v_); }
  // This value, or for a Packed one its decoded value (never Packed).
  const Value& plain() const;

  // Map lookup; nullptr when this is not a map or the key is absent.
  const Value* find(std::string_view key) const;
  // String content of a str or bin value; empty view otherwise.
  std::string_view text() const;

  // The representation: a Packed value shows as PackedRef here.
  const Storage& storage() const { return v_; }
  // Equal as values: a Packed value equals its decoded value.
  bool operator==(const Value& o) const;

  // A compact, Python-repr-like rendering for logs and test failure messages.
  std::string debug_string() const;

 private:
  Value& unpack();
  Storage v_;
};

// One value in its msgpack encoding, shared and immutable. The bytes stay
// valid while the Packed lives; they are valid msgpack for msgpack_decode
// (salt_ipc/msgpack_codec.h makes these, after checking, and implements the
// virtuals: this library does not link the msgpack code).
class Packed {
 public:
  virtual ~Packed() = default;
  Packed(const Packed&) = delete;
  Packed& operator=(const Packed&) = delete;

  std::string_view msgpack() const { return msgpack_; }
  Value::Kind kind() const { return kind_; }
  // The decoded value, made on the first call and kept (thread-safe).
  const Value& decoded() const;
  // Whether decoded() has been called (lets tests pin the fast paths).
  bool was_decoded() const { return done_.load(); }
  // True when a string in the value equals `needle` (read in place).
  virtual bool contains_string(std::string_view needle) const = 0;

 protected:
  Packed(std::string_view msgpack, Value::Kind kind) : msgpack_(msgpack), kind_(kind) {}
  virtual Value decode() const = 0;

 private:
  std::string_view msgpack_;
  Value::Kind kind_;
  mutable std::once_flag once_;
  mutable std::unique_ptr<Value> decoded_;
  mutable std::atomic<bool> done_{false};
};

// True when any string anywhere in v equals `needle` exactly (a Packed value
// is searched in place, not decoded).
bool contains_string(const Value& v, std::string_view needle);

// Roughly the memory v holds: its strings' and bytes' lengths plus a fixed
// cost per node and map key (for budgets, not for accounting to the byte); a
// Packed value counts its encoding's size.
size_t approx_bytes(const Value& v);

}  // namespace saltgw::salt_ipc
