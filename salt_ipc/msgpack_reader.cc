#include "salt_ipc/msgpack_reader.h"

#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

namespace saltgw::salt_ipc {

namespace {

uint64_t load_be(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t k = 0; k < n; ++k) v = (v << 8) | static_cast<unsigned char>(p[k]);
  return v;
}

// Sets t to a length-prefixed payload (str/bin) whose length field has n bytes.
bool payload(std::string_view in, size_t& pos, size_t len_bytes, MsgpackToken::Type type, MsgpackToken& t) {
  if (in.size() - pos < len_bytes) return false;
  uint64_t len = load_be(in.data() + pos, len_bytes);
  pos += len_bytes;
  if (in.size() - pos < len) return false;
  t.type = type;
  t.data = in.substr(pos, static_cast<size_t>(len));
  pos += static_cast<size_t>(len);
  return true;
}

// An ext: `len_bytes` of length (0: fixed `fixed` bytes of data), then the
// type byte, then the data.
bool ext(std::string_view in, size_t& pos, size_t len_bytes, size_t fixed, MsgpackToken& t) {
  uint64_t len = fixed;
  if (len_bytes) {
    if (in.size() - pos < len_bytes) return false;
    len = load_be(in.data() + pos, len_bytes);
    pos += len_bytes;
  }
  if (in.size() - pos < 1 || in.size() - pos - 1 < len) return false;
  t.type = MsgpackToken::kExt;
  t.data = in.substr(pos + 1, static_cast<size_t>(len));
  pos += 1 + static_cast<size_t>(len);
  return true;
}

bool fixed(std::string_view in, size_t& pos, size_t n, uint64_t& v) {
  if (in.size() - pos < n) return false;
  v = load_be(in.data() + pos, n);
  pos += n;
  return true;
}

bool read_marked(unsigned char c, std::string_view in, size_t& pos, MsgpackToken& t);

// One token at `pos` (advanced past it; unchanged by the caller on failure).
bool read_at(std::string_view in, size_t& pos, MsgpackToken& t) {
  if (pos >= in.size()) return false;
  unsigned char c = static_cast<unsigned char>(in[pos++]);
  t = MsgpackToken{};
  if (c <= 0x7f) {
    t.type = MsgpackToken::kInt;
    t.i = c;
    return true;
  }
  if (c >= 0xe0) {
    t.type = MsgpackToken::kInt;
    t.i = static_cast<int8_t>(c);
    return true;
  }
  if (c <= 0x8f || (c >= 0x90 && c <= 0x9f)) {
    t.type = c <= 0x8f ? MsgpackToken::kMap : MsgpackToken::kArray;
    t.count = c & 0x0f;
    return true;
  }
  if (c <= 0xbf) {  // fixstr
    size_t len = c & 0x1f;
    if (in.size() - pos < len) return false;
    t.type = MsgpackToken::kStr;
    t.data = in.substr(pos, len);
    pos += len;
    return true;
  }
  return read_marked(c, in, pos, t);
}

// The formats from 0xc0 to 0xdf: a marker byte, then sizes or data.
bool read_marked(unsigned char c, std::string_view in, size_t& pos, MsgpackToken& t) {
  uint64_t v = 0;
  switch (c) {
    case 0xc0: t.type = MsgpackToken::kNil; return true;
    case 0xc2: t.type = MsgpackToken::kBool; t.b = false; return true;
    case 0xc3: t.type = MsgpackToken::kBool; t.b = true; return true;
    case 0xc4: return payload(in, pos, 1, MsgpackToken::kBin, t);
    case 0xc5: return payload(in, pos, 2, MsgpackToken::kBin, t);
    case 0xc6: return payload(in, pos, 4, MsgpackToken::kBin, t);
    case 0xc7: return ext(in, pos, 1, 0, t);
    case 0xc8: return ext(in, pos, 2, 0, t);
    case 0xc9: return ext(in, pos, 4, 0, t);
    case 0xca: {
      if (!fixed(in, pos, 4, v)) return false;
      uint32_t bits = static_cast<uint32_t>(v);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      t.type = MsgpackToken::kDouble;
      t.d = static_cast<double>(f);
      return true;
    }
    case 0xcb: {
      if (!fixed(in, pos, 8, v)) return false;
      t.type = MsgpackToken::kDouble;
      std::memcpy(&t.d, &v, sizeof t.d);
      return true;
    }
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
      if (!fixed(in, pos, size_t{1} << (c - 0xcc), v)) return false;
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        t.type = MsgpackToken::kUint;
        t.u = v;
      } else {
        t.type = MsgpackToken::kInt;
        t.i = static_cast<int64_t>(v);
      }
      return true;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
      size_t n = size_t{1} << (c - 0xd0);
      if (!fixed(in, pos, n, v)) return false;
      t.type = MsgpackToken::kInt;
      // Sign-extend the n-byte two's complement value.
      if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);
      t.i = static_cast<int64_t>(v);
      return true;
    }
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
      return ext(in, pos, 0, size_t{1} << (c - 0xd4), t);
    case 0xd9: return payload(in, pos, 1, MsgpackToken::kStr, t);
    case 0xda: return payload(in, pos, 2, MsgpackToken::kStr, t);
    case 0xdb: return payload(in, pos, 4, MsgpackToken::kStr, t);
    case 0xdc: case 0xdd:
      if (!fixed(in, pos, c == 0xdc ? 2 : 4, v)) return false;
      t.type = MsgpackToken::kArray;
      t.count = static_cast<uint32_t>(v);
      return true;
    case 0xde: case 0xdf:
      if (!fixed(in, pos, c == 0xde ? 2 : 4, v)) return false;
      t.type = MsgpackToken::kMap;
      t.count = static_cast<uint32_t>(v);
      return true;
    default: return false;  // 0xc1: never used
  }
}

}  // namespace

bool read_token(std::string_view in, size_t& off, MsgpackToken& t) {
  size_t pos = off;
  if (!read_at(in, pos, t)) return false;
  off = pos;
  return true;
}

size_t msgpack_skip(std::string_view in, size_t off) {
  // Elements still to read, over all open containers (a map's pair counts 2).
  uint64_t pending = 1;
  MsgpackToken t;
  while (pending > 0) {
    if (!read_token(in, off, t)) return SIZE_MAX;
    pending--;
    if (t.type == MsgpackToken::kArray) pending += t.count;
    else if (t.type == MsgpackToken::kMap) pending += 2 * uint64_t{t.count};
  }
  return off;
}

bool msgpack_key_string(const MsgpackToken& key, std::string& out) {
  switch (key.type) {
    case MsgpackToken::kStr:
    case MsgpackToken::kBin: out.assign(key.data); return true;
    case MsgpackToken::kInt: out = std::to_string(key.i); return true;
    case MsgpackToken::kUint: out = std::to_string(key.u); return true;
    case MsgpackToken::kBool: out = key.b ? "true" : "false"; return true;
    case MsgpackToken::kNil: out = "null"; return true;
    case MsgpackToken::kDouble: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", key.d);
      out = buf;
      return true;
    }
    default: return false;
  }
}

Status msgpack_check(std::string_view in, const DecodeLimits& limits) {
  if (in.size() > limits.max_bytes) return make_error(ErrorKind::kProtocol, "msgpack message larger than limit");
  // One entry per open non-empty container: elements left to read in it, and
  // for a map whether the next element is a key.
  struct Open {
    uint64_t left;
    bool map;
  };
  std::vector<Open> open;
  size_t off = 0;
  MsgpackToken t;
  bool first = true;
  while (first || !open.empty()) {
    bool is_key = !open.empty() && open.back().map && open.back().left % 2 == 0;
    if (!read_token(in, off, t)) {
      return make_error(ErrorKind::kProtocol, off >= in.size() ? "truncated msgpack object" : "malformed msgpack");
    }
    first = false;
    if (!open.empty()) open.back().left--;
    if (t.type == MsgpackToken::kArray || t.type == MsgpackToken::kMap) {
      if (t.count > limits.max_elements)
        return make_error(ErrorKind::kProtocol, "malformed msgpack: too many elements in an array or map");
      if (is_key) return make_error(ErrorKind::kProtocol, "msgpack map key of unsupported type");
      // msgpack-c refuses to open a container (even an empty one) inside
      // max_depth others.
      if (open.size() + 1 > limits.max_depth) return make_error(ErrorKind::kProtocol, "msgpack nesting too deep");
      if (t.count > 0) {
        open.push_back({t.type == MsgpackToken::kMap ? 2 * uint64_t{t.count} : t.count, t.type == MsgpackToken::kMap});
      }
    } else if (is_key && t.type == MsgpackToken::kExt) {
      return make_error(ErrorKind::kProtocol, "msgpack map key of unsupported type");
    }
    while (!open.empty() && open.back().left == 0) open.pop_back();
  }
  if (off != in.size()) return make_error(ErrorKind::kProtocol, "trailing bytes after msgpack object");
  return Ok{};
}

}  // namespace saltgw::salt_ipc
