#include "rest/json.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdio>

#include "rest/json_body.h"

namespace saltgw::rest {

using salt_ipc::Bytes;
using salt_ipc::ErrorKind;
using salt_ipc::List;
using salt_ipc::make_error;
using salt_ipc::Map;
using salt_ipc::Result;

namespace {

std::string sanitize_utf8(std::string_view s);

bool valid_utf8(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return sanitize_utf8(s) == s;  // slow path only for non-ASCII
  return true;
}

Result<Value> convert(const rapidjson::Value& j, size_t depth_left) {
  if (depth_left == 0)
    return make_error(ErrorKind::kInvalidArgument, "JSON nested too deeply");
  switch (j.GetType()) {
    case rapidjson::kNullType: return Value();
    case rapidjson::kFalseType: return Value(false);
    case rapidjson::kTrueType: return Value(true);
    case rapidjson::kNumberType:
      if (j.IsInt64()) return Value(static_cast<int64_t>(j.GetInt64()));
      return Value(j.GetDouble());
    case rapidjson::kStringType: {
      std::string_view sv(j.GetString(), j.GetStringLength());
      if (!valid_utf8(sv))
        return make_error(ErrorKind::kInvalidArgument, "malformed JSON: a string is not valid UTF-8 (lone surrogate escape?)");
      return Value(std::string(sv));
    }
    case rapidjson::kArrayType: {
      List l;
      l.reserve(j.Size());
      for (const auto& e : j.GetArray()) {
        auto v = convert(e, depth_left - 1);
        if (!v) return v;
        l.push_back(std::move(v).value());
      }
      return Value(std::move(l));
    }
    case rapidjson::kObjectType: {
      Map m;
      for (const auto& kv : j.GetObject()) {
        if (!valid_utf8(std::string_view(kv.name.GetString(), kv.name.GetStringLength())))
          return make_error(ErrorKind::kInvalidArgument, "malformed JSON: a key is not valid UTF-8 (lone surrogate escape?)");
        auto v = convert(kv.value, depth_left - 1);
        if (!v) return v;
        m.insert_or_assign(std::string(kv.name.GetString(), kv.name.GetStringLength()),
                           std::move(v).value());
      }
      return Value(std::move(m));
    }
  }
  return make_error(ErrorKind::kInvalidArgument, "unsupported JSON value");
}

// Copies s into out, replacing invalid UTF-8 sequences with U+FFFD.
std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && len > 1) {
      uint32_t cp = c & (0x7F >> len);
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      i += 1;
    }
  }
  return out;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                 rapidjson::CrtAllocator, rapidjson::kWriteNanAndInfFlag>;

template <class W>
void write(const Value& v, W& w) {
  struct V {
    W& w;
    void operator()(std::nullptr_t) { w.Null(); }
    void operator()(bool b) { w.Bool(b); }
    void operator()(int64_t i) { w.Int64(i); }
    void operator()(double d) {
      if (!std::isfinite(d)) w.Null();
      else w.Double(d);
    }
    void str(std::string_view s) {
      std::string clean = sanitize_utf8(s);
      w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
    }
    void operator()(const std::string& s) { str(s); }
    void operator()(const Bytes& b) { str(b.data); }
    void operator()(const List& l) {
      w.StartArray();
      for (const auto& e : l) write(e, w);
      w.EndArray();
    }
    // A packed result inside (a job view of a large result): its JSON text,
    // from the transcoder that streams it elsewhere.
    void operator()(const salt_ipc::PackedRef& p) {
      std::string text;
      JsonBody body(std::make_shared<const Value>(p));
      while (body.next(text, 1 << 20)) {
      }
      w.RawValue(text.data(), text.size(), rapidjson::kStringType);
    }
    void operator()(const Map& m) {
      w.StartObject();
      for (const auto& [k, e] : m) {
        str(k);
        write(e, w);
      }
      w.EndObject();
    }
  };
  std::visit(V{w}, v.storage());
}

}  // namespace

Result<Value> json_parse(std::string_view text, size_t max_depth) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
      text.data(), text.size());
  if (doc.HasParseError()) {
    return make_error(ErrorKind::kInvalidArgument,
                      std::string("malformed JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
                          " (at byte " + std::to_string(doc.GetErrorOffset()) + ")");
  }
  return convert(doc, max_depth);
}

void json_write_chunked(const Value& v, const std::function<bool(std::string_view)>& sink, size_t chunk_bytes) {
  // The Value is borrowed for the call: an aliasing pointer that owns nothing.
  JsonBody body(std::shared_ptr<const Value>(std::shared_ptr<const Value>(), &v));
  std::string piece;
  piece.reserve(chunk_bytes + 16);
  bool more = true;
  while (more) {
    piece.clear();
    more = body.next(piece, chunk_bytes);
    if (!piece.empty() && !sink(piece)) return;
  }
}

size_t json_size_estimate(const Value& v, size_t stop_after) {
  size_t n = 0;
  std::vector<const Value*> todo{&v};
  while (!todo.empty() && n < stop_after) {
    const Value* x = todo.back();
    todo.pop_back();
    if (const salt_ipc::Packed* p = x->packed()) n += p->msgpack().size() + 2;
    else if (x->is_string() || x->is_bytes()) n += x->text().size() + 2;
    else if (x->is_list()) {
      n += 2;
      for (const auto& e : x->as_list()) todo.push_back(&e), n += 1;
    } else if (x->is_map()) {
      n += 2;
      for (const auto& [k, e] : x->as_map()) todo.push_back(&e), n += k.size() + 4;
    } else {
      n += 8;
    }
  }
  return n;
}

void json_write(const Value& v, std::string& out) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  write(v, w);
  out.append(buf.GetString(), buf.GetSize());
}

std::string json_write(const Value& v) {
  std::string out;
  json_write(v, out);
  return out;
}

}  // namespace saltgw::rest
