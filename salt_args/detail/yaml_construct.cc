// PyYAML's SafeConstructor + SaltYamlSafeLoader; see yaml_construct.h.
#include "salt_args/detail/yaml_construct.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "salt_args/detail/big_int.h"
#include "salt_args/detail/python_number.h"
#include "salt_args/detail/yaml_error.h"
#include "salt_args/detail/yaml_resolve.h"
#include "salt_args/yamlify.h"

namespace saltgw::salt_args::detail {
namespace {

using salt_ipc::Bytes;
using salt_ipc::kMaxYamlDepth;
using salt_ipc::kMaxYamlValues;
using salt_ipc::List;
using salt_ipc::Map;
using salt_ipc::Value;

std::string exact_integral_decimal(double d) {
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.0f", d);
  std::string s = buf;
  if (s == "-0") s = "0";
  return s;
}

std::string json_key_text(const Obj& k) {
  switch (k.kind) {
    case Kind::kNone: return "null";
    case Kind::kBool: return k.value.as_bool() ? "true" : "false";
    case Kind::kInt: return k.int_text;
    case Kind::kFloat: {
      double d = k.value.as_double();
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      return float_repr(d);
    }
    case Kind::kStr: return k.value.as_string();
    case Kind::kBytes: return k.value.as_bytes().data;
    default: fail();
  }
}

class Constructor {
 public:
  Obj construct(Node* n, size_t depth);

 private:
  // BaseConstructor/SafeConstructor.construct_scalar.
  std::string scalar_text(Node* n, size_t depth = 0);

  static Obj make_int(const BigInt& b);
  Obj construct_int(Node* n);
  Obj construct_float(Node* n);
  Obj construct_bool(Node* n);
  Obj construct_binary(Node* n);

  // Key identity with Python's `in` semantics (1 == 1.0 == True; a NaN only
  // matches the same object: the shared `.nan`, or the same node via an
  // alias, since PyYAML constructs each node once).
  static std::string key_identity(const Obj& k, const Node* node);

  void flatten_mapping(Node* n, size_t depth);

  // SaltYamlSafeLoader.construct_mapping.
  std::vector<std::pair<Obj, Obj>> construct_mapping(Node* n, size_t depth);

  static Obj make(Kind kind, Value value, size_t size = 1);
  Obj construct_uncached(Node* n, size_t depth);
  Obj construct_sequence(Node* n, size_t depth);

  // !!omap and !!pairs: a list of [key, value] lists (tuples in Python).
  Obj construct_pairs(Node* n, size_t depth);

  // !!set: the keys of a mapping, in document order.
  Obj construct_set(Node* n, size_t depth);

  Obj construct_map(Node* n, size_t depth);

  std::unordered_map<Node*, Obj> cache_;
  size_t budget_ = 0;
};

Obj Constructor::construct(Node* n, size_t depth) {
  if (depth > kMaxYamlDepth) fail();
  auto it = cache_.find(n);
  Obj r;
  if (it != cache_.end()) {
    r = it->second;
    budget_ += r.size;  // an alias: a full copy of the value
  } else {
    r = construct_uncached(n, depth);
    cache_[n] = r;
    budget_ += 1;  // children were counted by their own construct()
  }
  if (budget_ > kMaxYamlValues) fail();
  return r;
}

std::string Constructor::scalar_text(Node* n, size_t depth) {
  if (depth > kMaxYamlDepth) fail();
  if (n->kind == Node::kScalar) return n->value;
  if (n->kind == Node::kMap) {
    for (auto& [k, v] : n->pairs) {
      if (k->tag == kTagValue) return scalar_text(v, depth + 1);
    }
  }
  fail();
}

Obj Constructor::make_int(const BigInt& b) {
  Obj o;
  o.kind = Kind::kInt;
  o.int_text = b.to_decimal();
  int64_t v;
  if (b.to_int64(v)) {
    o.value = Value(v);
  } else {
    o.value = Value(o.int_text);
  }
  return o;
}

Obj Constructor::construct_int(Node* n) {
  if (n->kind != Node::kScalar) fail();
  // SaltYamlSafeLoader.construct_scalar: leading zeros are not octal.
  std::string& nv = n->value;
  if (nv != "0" && !nv.empty() && nv[0] == '0' && nv.rfind("0b", 0) != 0 &&
      nv.rfind("0x", 0) != 0) {
    size_t k = nv.find_first_not_of('0');
    nv = k == std::string::npos ? "0" : nv.substr(k);
  }
  std::string v;
  for (char c : nv) {
    if (c != '_') v.push_back(c);
  }
  if (v.empty()) fail();
  bool neg = v[0] == '-';
  if (v[0] == '+' || v[0] == '-') v.erase(0, 1);
  std::optional<BigInt> r;
  if (v == "0") {
    r = BigInt();
  } else if (v.rfind("0b", 0) == 0) {
    r = py_int(std::string_view(v).substr(2), 2);
  } else if (v.rfind("0x", 0) == 0) {
    r = py_int(std::string_view(v).substr(2), 16);
  } else if (v.empty()) {
    fail();
  } else if (v[0] == '0') {
    r = py_int(v, 8);
  } else if (v.find(':') != std::string::npos) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
      size_t c = v.find(':', start);
      parts.push_back(v.substr(start, c == std::string::npos ? std::string::npos : c - start));
      if (c == std::string::npos) break;
      start = c + 1;
    }
    BigInt total, base;
    base.mul_add(1, 1);
    for (size_t i = parts.size(); i-- > 0;) {
      auto d = py_int(parts[i], 10);
      if (!d) fail();
      total.add(d->times(base));
      base = base.times_small(60);
      if (base.decimal_digits() > 100000) fail();
    }
    r = total;
  } else {
    r = py_int(v, 10);
  }
  if (!r) fail();
  if (neg) r->negate();
  if (r->decimal_digits() > kPyMaxStrDigits) fail();  // str() of it raises in Python
  return make_int(*r);
}

Obj Constructor::construct_float(Node* n) {
  std::string raw = scalar_text(n);
  std::string v;
  for (char c : raw) {
    if (c == '_') continue;
    v.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (v.empty()) fail();
  double sign = 1;
  if (v[0] == '-') sign = -1;
  if (v[0] == '+' || v[0] == '-') v.erase(0, 1);
  double result;
  bool shared_nan = false;
  if (v == ".inf") {
    result = sign * std::numeric_limits<double>::infinity();
  } else if (v == ".nan") {
    result = std::numeric_limits<double>::quiet_NaN();
    shared_nan = true;
  } else if (v.find(':') != std::string::npos) {
    std::vector<double> digits;
    size_t start = 0;
    for (;;) {
      size_t c = v.find(':', start);
      auto d = py_float(std::string_view(v).substr(
          start, c == std::string::npos ? std::string::npos : c - start));
      if (!d) fail();
      digits.push_back(*d);
      if (c == std::string::npos) break;
      start = c + 1;
    }
    double base = 1, value = 0.0;
    for (size_t i = digits.size(); i-- > 0;) {
      value += digits[i] * base;
      base *= 60;
    }
    result = sign * value;
  } else {
    auto d = py_float(v);
    if (!d) fail();
    result = sign * *d;
  }
  Obj o;
  o.kind = Kind::kFloat;
  o.value = Value(result);
  o.shared_nan = shared_nan;
  return o;
}

Obj Constructor::construct_bool(Node* n) {
  std::string v = scalar_text(n);
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Obj o;
  o.kind = Kind::kBool;
  if (v == "yes" || v == "true" || v == "on") {
    o.value = Value(true);
  } else if (v == "no" || v == "false" || v == "off") {
    o.value = Value(false);
  } else {
    fail();
  }
  return o;
}

Obj Constructor::construct_binary(Node* n) {
  std::string v = scalar_text(n);
  for (unsigned char c : v) {
    if (c >= 0x80) fail();  // value.encode('ascii')
  }
  // binascii.a2b_base64 (Python 3.10, non-strict).
  auto val = [](unsigned char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int quad_pos = 0, pads = 0;
  unsigned leftchar = 0;
  bool done = false;
  for (unsigned char c : v) {
    if (c == '=') {
      if (quad_pos >= 2 && quad_pos + ++pads >= 4) {
        done = true;
        break;
      }
      continue;
    }
    int x = val(c);
    if (x < 0) continue;
    pads = 0;
    unsigned ux = static_cast<unsigned>(x);
    switch (quad_pos) {
      case 0:
        quad_pos = 1;
        leftchar = ux;
        break;
      case 1:
        quad_pos = 2;
        out.push_back(static_cast<char>(((leftchar << 2) | (ux >> 4)) & 0xFF));
        leftchar = ux & 0x0F;
        break;
      case 2:
        quad_pos = 3;
        out.push_back(static_cast<char>(((leftchar << 4) | (ux >> 2)) & 0xFF));
        leftchar = ux & 0x03;
        break;
      default:
        quad_pos = 0;
        out.push_back(static_cast<char>(((leftchar << 6) | ux) & 0xFF));
        leftchar = 0;
        break;
    }
  }
  if (!done && quad_pos != 0) fail();
  Obj o;
  o.kind = Kind::kBytes;
  o.value = Value(Bytes{std::move(out)});
  return o;
}

std::string Constructor::key_identity(const Obj& k, const Node* node) {
  switch (k.kind) {
    case Kind::kNone: return "N";
    case Kind::kBool: return k.value.as_bool() ? "i:1" : "i:0";
    case Kind::kInt: return "i:" + k.int_text;
    case Kind::kFloat: {
      double d = k.value.as_double();
      if (std::isnan(d)) {
        return k.shared_nan ? "nan" : "nan@" + std::to_string(reinterpret_cast<uintptr_t>(node));
      }
      if (std::isinf(d)) return d > 0 ? "f:inf" : "f:-inf";
      if (d == std::floor(d)) return "i:" + exact_integral_decimal(d);
      return "f:" + float_repr(d);
    }
    case Kind::kStr: return "s:" + k.value.as_string();
    case Kind::kBytes: return "b:" + k.value.as_bytes().data;
    default: fail();  // unhashable
  }
}

void Constructor::flatten_mapping(Node* n, size_t depth) {
  if (depth > kMaxYamlDepth) fail();
  std::vector<std::pair<Node*, Node*>> merge;
  size_t index = 0;
  while (index < n->pairs.size()) {
    auto [k, v] = n->pairs[index];
    if (k->tag == kTagMerge) {
      n->pairs.erase(n->pairs.begin() + static_cast<ptrdiff_t>(index));
      if (v->kind == Node::kMap) {
        flatten_mapping(v, depth + 1);
        merge.insert(merge.end(), v->pairs.begin(), v->pairs.end());
      } else if (v->kind == Node::kSeq) {
        std::vector<Node*> sub;
        for (Node* s : v->items) {
          if (s->kind != Node::kMap) fail();
          flatten_mapping(s, depth + 1);
          sub.push_back(s);
        }
        for (size_t i = sub.size(); i-- > 0;) {
          merge.insert(merge.end(), sub[i]->pairs.begin(), sub[i]->pairs.end());
        }
      } else {
        fail();
      }
    } else if (k->tag == kTagValue) {
      k->tag = std::string(kTagStr);
      ++index;
    } else {
      ++index;
    }
  }
  if (!merge.empty()) {
    // existing_nodes compares node.value: text for scalars, identity for
    // collections.
    auto same_key = [](Node* a, Node* b) {
      if (a->kind == Node::kScalar && b->kind == Node::kScalar) return a->value == b->value;
      if (a->kind == Node::kScalar || b->kind == Node::kScalar) return false;
      return a == b;
    };
    std::vector<std::pair<Node*, Node*>> result;
    for (auto& m : merge) {
      bool exists = false;
      for (auto& e : n->pairs) {
        if (same_key(m.first, e.first)) {
          exists = true;
          break;
        }
      }
      if (!exists) result.push_back(m);
    }
    result.insert(result.end(), n->pairs.begin(), n->pairs.end());
    n->pairs = std::move(result);
  }
}

std::vector<std::pair<Obj, Obj>> Constructor::construct_mapping(Node* n, size_t depth) {
  if (n->kind != Node::kMap) fail();
  flatten_mapping(n, 0);
  std::vector<std::pair<Obj, Obj>> out;
  std::unordered_set<std::string> seen;
  for (auto& [kn, vn] : n->pairs) {
    Obj key = construct(kn, depth + 1);
    if (key.kind == Kind::kList || key.kind == Kind::kSet || key.kind == Kind::kDict) fail();
    Obj value = construct(vn, depth + 1);
    if (!seen.insert(key_identity(key, kn)).second) fail();  // conflicting ID
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

Obj Constructor::make(Kind kind, Value value, size_t size) {
  Obj o;
  o.kind = kind;
  o.value = std::move(value);
  o.size = size;
  return o;
}

Obj Constructor::construct_uncached(Node* n, size_t depth) {
  const std::string& tag = n->tag;
  if (tag == kTagNull) {
    scalar_text(n);  // fails for a collection
    return Obj{};
  }
  if (tag == kTagBool) return construct_bool(n);
  if (tag == kTagInt) return construct_int(n);
  if (tag == kTagFloat) return construct_float(n);
  if (tag == kTagStr || tag == kTagTimestamp) return make(Kind::kStr, Value(scalar_text(n)));
  if (tag == kTagPyUnicode) {
    if (n->kind != Node::kScalar) fail();
    return make(Kind::kStr, Value(n->value));
  }
  if (tag == kTagBinary) return construct_binary(n);
  if (tag == kTagSeq) return construct_sequence(n, depth);
  if (tag == kTagOmap || tag == kTagPairs) return construct_pairs(n, depth);
  if (tag == kTagSet) return construct_set(n, depth);
  if (tag == kTagMap) return construct_map(n, depth);
  fail();  // merge/value/yaml tags, unknown tags
}

Obj Constructor::construct_sequence(Node* n, size_t depth) {
  if (n->kind != Node::kSeq) fail();
  List l;
  size_t size = 1;
  for (Node* c : n->items) {
    Obj e = construct(c, depth + 1);
    size += e.size;
    l.push_back(std::move(e.value));
  }
  return make(Kind::kList, Value(std::move(l)), size);
}

Obj Constructor::construct_pairs(Node* n, size_t depth) {
  if (n->kind != Node::kSeq) fail();
  List l;
  size_t size = 1;
  for (Node* c : n->items) {
    if (c->kind != Node::kMap || c->pairs.size() != 1) fail();
    Obj k = construct(c->pairs[0].first, depth + 2);
    Obj v = construct(c->pairs[0].second, depth + 2);
    size += 1 + k.size + v.size;
    List pair;
    pair.reserve(2);
    pair.push_back(std::move(k.value));
    pair.push_back(std::move(v.value));
    l.emplace_back(std::move(pair));
  }
  return make(Kind::kList, Value(std::move(l)), size);
}

Obj Constructor::construct_set(Node* n, size_t depth) {
  List l;
  size_t size = 1;
  for (auto& [k, v] : construct_mapping(n, depth)) {
    size += k.size;
    l.push_back(std::move(k.value));
  }
  return make(Kind::kSet, Value(std::move(l)), size);
}

Obj Constructor::construct_map(Node* n, size_t depth) {
  Map m;
  size_t size = 1;
  for (auto& [k, v] : construct_mapping(n, depth)) {
    size += v.size;
    m[json_key_text(k)] = std::move(v.value);
  }
  return make(Kind::kDict, Value(std::move(m)), size);
}

}  // namespace

Obj construct_document(Node* root) {
  Constructor constructor;
  return constructor.construct(root, 0);
}

}  // namespace saltgw::salt_args::detail
