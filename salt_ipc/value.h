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
#pragma once

#include <cstdint>
#include <map>
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

class Value {
 public:
  using Storage =
      std::variant<std::nullptr_t, bool, int64_t, double, std::string, Bytes, List, Map>;

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

  bool is_null() const { return std::holds_alternative<std::nullptr_t>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_double() const { return std::holds_alternative<double>(v_); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_bytes() const { return std::holds_alternative<Bytes>(v_); }
  bool is_list() const { return std::holds_alternative<List>(v_); }
  bool is_map() const { return std::holds_alternative<Map>(v_); }

  // Accessors: precondition is the matching is_*().
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_double() const { return std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Bytes& as_bytes() const { return std::get<Bytes>(v_); }
  const List& as_list() const { return std::get<List>(v_); }
  List& as_list() { return std::get<List>(v_); }
  const Map& as_map() const { return std::get<Map>(v_); }
  Map& as_map() { return std::get<Map>(v_); }

  // Map lookup; nullptr when this is not a map or the key is absent.
  const Value* find(std::string_view key) const;
  // String content of a str or bin value; empty view otherwise.
  std::string_view text() const;

  const Storage& storage() const { return v_; }
  bool operator==(const Value& o) const { return v_ == o.v_; }

  // A compact, Python-repr-like rendering for logs and test failure messages.
  std::string debug_string() const;

 private:
  Storage v_;
};

// True when any string anywhere in v equals `needle` exactly.
bool contains_string(const Value& v, std::string_view needle);

// Roughly the memory v holds: its strings' and bytes' lengths plus a fixed
// cost per node and map key (for budgets, not for accounting to the byte).
size_t approx_bytes(const Value& v);

}  // namespace saltgw::salt_ipc
