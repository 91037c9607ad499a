#include "salt_ipc/msgpack_codec.h"
#include "salt_ipc/msgpack_internal.h"
#include "salt_ipc/msgpack_reader.h"

#include <cmath>
#include <cstring>
#include <cstdio>
#include <limits>
#include <msgpack.hpp>

namespace saltgw::salt_ipc {

namespace {

struct StringBuffer {
  std::string& out;
  void write(const char* data, size_t n) { out.append(data, n); }
};

void encode(const Value& v, msgpack::packer<StringBuffer>& pk, StringBuffer& raw) {
  struct V {
    msgpack::packer<StringBuffer>& pk;
    StringBuffer& raw;
    void operator()(std::nullptr_t) { pk.pack_nil(); }
    void operator()(bool b) { b ? pk.pack_true() : pk.pack_false(); }
    void operator()(int64_t i) { pk.pack_int64(i); }
    void operator()(double d) {
      // float 64 always: msgpack-c packs whole-number doubles as ints, which
      // would hand Salt 1 for 1.0 and lose the sign of -0.0.
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      char buf[9];
      buf[0] = static_cast<char>(0xcb);
      for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
      raw.write(buf, 9);
    }
    void operator()(const std::string& s) {
      pk.pack_str(static_cast<uint32_t>(s.size()));
      pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
    }
    void operator()(const Bytes& b) {
      pk.pack_bin(static_cast<uint32_t>(b.data.size()));
      pk.pack_bin_body(b.data.data(), static_cast<uint32_t>(b.data.size()));
    }
    void operator()(const List& l) {
      pk.pack_array(static_cast<uint32_t>(l.size()));
      for (const auto& e : l) encode(e, pk, raw);
    }
    // Encoded from its decoded value, so that encoding stays canonical (a
    // packed map may have non-string or repeated keys). Not on a hot path:
    // results are written as JSON, not sent back to Salt.
    void operator()(const PackedRef& p) { encode(p->decoded(), pk, raw); }
    void operator()(const Map& m) {
      pk.pack_map(static_cast<uint32_t>(m.size()));
      for (const auto& [k, e] : m) {
        (*this)(k);
        encode(e, pk, raw);
      }
    }
  };
  std::visit(V{pk, raw}, v.storage());
}

Result<std::string> key_string(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::STR: return std::string(o.via.str.ptr, o.via.str.size);
    case msgpack::type::BIN: return std::string(o.via.bin.ptr, o.via.bin.size);
    case msgpack::type::POSITIVE_INTEGER: return std::to_string(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER: return std::to_string(o.via.i64);
    case msgpack::type::BOOLEAN: return std::string(o.via.boolean ? "true" : "false");
    case msgpack::type::NIL: return std::string("null");
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", o.via.f64);
      return std::string(buf);
    }
    default:
      return make_error(ErrorKind::kProtocol, "msgpack map key of unsupported type");
  }
}

// Strings, binaries and extensions stay in `bytes` while the msgpack object
// tree is read (instead of msgpack-c copying each into its zone): the tree is
// converted to a Value before msgpack_decode returns, so a large result is
// held twice at most (the message and the Value), not three times.
bool reference_input(msgpack::type::object_type, std::size_t, void*) { return true; }

}  // namespace

void msgpack_encode(const Value& v, std::string& out) {
  StringBuffer buf{out};
  msgpack::packer<StringBuffer> pk(buf);
  encode(v, pk, buf);
}

std::string msgpack_encode(const Value& v) {
  std::string out;
  msgpack_encode(v, out);
  return out;
}

Result<Value> msgpack_object_to_value(const msgpack::object& o, size_t max_depth) {
  if (max_depth == 0) return make_error(ErrorKind::kProtocol, "msgpack nesting too deep");
  switch (o.type) {
    case msgpack::type::NIL: return Value();
    case msgpack::type::BOOLEAN: return Value(o.via.boolean);
    case msgpack::type::POSITIVE_INTEGER:
      if (o.via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return Value(static_cast<double>(o.via.u64));
      return Value(static_cast<int64_t>(o.via.u64));
    case msgpack::type::NEGATIVE_INTEGER: return Value(static_cast<int64_t>(o.via.i64));
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return Value(o.via.f64);
    case msgpack::type::STR: return Value(std::string(o.via.str.ptr, o.via.str.size));
    case msgpack::type::BIN: return Value(Bytes{std::string(o.via.bin.ptr, o.via.bin.size)});
    case msgpack::type::EXT: return Value(Bytes{std::string(o.via.ext.data(), o.via.ext.size)});
    case msgpack::type::ARRAY: {
      List l;
      l.reserve(o.via.array.size);
      for (uint32_t i = 0; i < o.via.array.size; ++i) {
        auto e = msgpack_object_to_value(o.via.array.ptr[i], max_depth - 1);
        if (!e) return e.error();
        l.push_back(std::move(e).value());
      }
      return Value(std::move(l));
    }
    case msgpack::type::MAP: {
      Map m;
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        auto k = key_string(o.via.map.ptr[i].key);
        if (!k) return k.error();
        auto e = msgpack_object_to_value(o.via.map.ptr[i].val, max_depth - 1);
        if (!e) return e.error();
        m.insert_or_assign(std::move(k).value(), std::move(e).value());
      }
      return Value(std::move(m));
    }
  }
  return make_error(ErrorKind::kProtocol, "unknown msgpack type");
}

Result<Value> msgpack_decode(std::string_view bytes, const DecodeLimits& limits) {
  if (bytes.size() > limits.max_bytes)
    return make_error(ErrorKind::kProtocol, "msgpack message larger than limit");
  try {
    std::size_t off = 0;
    msgpack::unpack_limit lim(limits.max_elements, limits.max_elements, limits.max_bytes,
                              limits.max_bytes, limits.max_bytes, limits.max_depth);
    msgpack::object_handle oh =
        msgpack::unpack(bytes.data(), bytes.size(), off, reference_input, nullptr, lim);
    if (off != bytes.size())
      return make_error(ErrorKind::kProtocol, "trailing bytes after msgpack object");
    return msgpack_object_to_value(oh.get(), limits.max_depth + 1);
  } catch (const msgpack::insufficient_bytes&) {
    return make_error(ErrorKind::kProtocol, "truncated msgpack object");
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kProtocol, std::string("malformed msgpack: ") + e.what());
  }
}

namespace {

class MsgpackPacked : public Packed {
 public:
  MsgpackPacked(std::shared_ptr<const void> owner, std::string_view bytes, Value::Kind kind)
      : Packed(bytes, kind), owner_(std::move(owner)) {}

  bool contains_string(std::string_view needle) const override {
    // Like contains_string on the decoded value: text values only, not keys.
    std::vector<std::pair<uint64_t, bool>> open;  // elements left, is a map
    std::string_view in = msgpack();
    size_t off = 0;
    MsgpackToken t;
    do {
      bool is_key = !open.empty() && open.back().second && open.back().first % 2 == 0;
      if (!read_token(in, off, t)) return false;
      if (!open.empty()) open.back().first--;
      if (t.type == MsgpackToken::kStr && !is_key && t.data == needle) return true;
      if ((t.type == MsgpackToken::kArray || t.type == MsgpackToken::kMap) && t.count > 0)
        open.emplace_back(t.type == MsgpackToken::kMap ? 2 * uint64_t{t.count} : t.count,
                          t.type == MsgpackToken::kMap);
      while (!open.empty() && open.back().first == 0) open.pop_back();
    } while (!open.empty());
    return false;
  }

 protected:
  Value decode() const override {
    DecodeLimits unlimited;
    unlimited.max_bytes = SIZE_MAX;
    unlimited.max_elements = UINT32_MAX;
    unlimited.max_depth = SIZE_MAX - 1;
    auto v = msgpack_decode(msgpack(), unlimited);
    return v ? std::move(v).value() : Value();  // checked when made: cannot fail
  }

 private:
  std::shared_ptr<const void> owner_;
};

Value::Kind kind_of(const MsgpackToken& t) {
  switch (t.type) {
    case MsgpackToken::kNil: return Value::kNull;
    case MsgpackToken::kBool: return Value::kBool;
    case MsgpackToken::kInt: return Value::kInt;
    case MsgpackToken::kUint:
    case MsgpackToken::kDouble: return Value::kDouble;
    case MsgpackToken::kStr: return Value::kString;
    case MsgpackToken::kBin:
    case MsgpackToken::kExt: return Value::kBytes;
    case MsgpackToken::kArray: return Value::kList;
    case MsgpackToken::kMap: return Value::kMap;
  }
  return Value::kNull;
}

}  // namespace

Value make_packed(std::shared_ptr<const void> owner, std::string_view bytes) {
  size_t off = 0;
  MsgpackToken t;
  if (!read_token(bytes, off, t)) return Value();
  return Value(std::make_shared<const MsgpackPacked>(std::move(owner), bytes, kind_of(t)));
}

Result<Value> msgpack_decode_shared(std::shared_ptr<const void> owner, std::string_view bytes,
                                    size_t packed_min, const DecodeLimits& limits) {
  if (bytes.size() < packed_min) return msgpack_decode(bytes, limits);
  if (auto ok = msgpack_check(bytes, limits); !ok) return ok.error();
  size_t off = 0;
  MsgpackToken t;
  if (bytes.size() < packed_min || !read_token(bytes, off, t) || t.type != MsgpackToken::kMap)
    return msgpack_decode(bytes, limits);
  Map m;
  std::string key;
  for (uint32_t i = 0; i < t.count; ++i) {
    MsgpackToken k;
    if (!read_token(bytes, off, k) || !msgpack_key_string(k, key))
      return make_error(ErrorKind::kProtocol, "msgpack map key of unsupported type");
    size_t end = msgpack_skip(bytes, off);
    if (end == SIZE_MAX) return make_error(ErrorKind::kProtocol, "truncated msgpack object");
    std::string_view part = bytes.substr(off, end - off);
    off = end;
    if (part.size() >= packed_min) {
      m.insert_or_assign(key, make_packed(owner, part));
      continue;
    }
    auto v = msgpack_decode(part, limits);
    if (!v) return v.error();
    m.insert_or_assign(key, std::move(v).value());
  }
  return Value(std::move(m));
}

}  // namespace saltgw::salt_ipc
