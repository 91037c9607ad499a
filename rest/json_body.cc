#include "rest/json_body.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>


namespace saltgw::rest {

using salt_ipc::List;
using salt_ipc::Map;
using salt_ipc::Value;

namespace {

// RapidJSON's escapes (rapidjson/writer.h, WriteString), which json_write
// uses: \b \t \n \f \r \" \\ by name, other control characters as \u00XX
// with upper-case hex; '/' and DEL as they are.
char escape_of(unsigned char c) {
  switch (c) {
    case '\b': return 'b';
    case '\t': return 't';
    case '\n': return 'n';
    case '\f': return 'f';
    case '\r': return 'r';
    case '"': return '"';
    case '\\': return '\\';
    default: return c < 0x20 ? 'u' : 0;
  }
}

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one (the
// rule of json.cc's sanitize_utf8: shortest form, no surrogates, <= U+10FFFF).
size_t utf8_sequence(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  uint32_t cp = c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

size_t json_escape_piece(std::string_view s, size_t pos, std::string& out, size_t limit) {
  static const char kHex[] = "0123456789ABCDEF";
  while (pos < s.size() && out.size() < limit) {
    // A run of plain ASCII goes out in one append.
    size_t end = pos;
    size_t stop = std::min(s.size(), pos + (limit - out.size()));
    while (end < stop) {
      unsigned char c = static_cast<unsigned char>(s[end]);
      if (c >= 0x80 || escape_of(c)) break;
      ++end;
    }
    if (end > pos) {
      out.append(s.substr(pos, end - pos));
      pos = end;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(s[pos]);
    if (c < 0x80) {
      char e = escape_of(c);
      out.push_back('\\');
      out.push_back(e);
      if (e == 'u') {
        out.append("00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
      ++pos;
    } else if (size_t len = utf8_sequence(s, pos); len > 0) {
      out.append(s.substr(pos, len));
      pos += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++pos;
    }
  }
  return pos;
}

void json_double(double d, std::string& out) {
  if (!std::isfinite(d)) {
    out.append("null");
    return;
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.Double(d);
  out.append(buf.GetString(), buf.GetSize());
}

struct JsonBody::Frame {
  enum Kind { kList, kMap, kPacked } kind;
  bool first = true;
  // kList, kMap
  const List* list = nullptr;
  size_t index = 0;
  const Map* map = nullptr;
  Map::const_iterator it;
  const Value* pending = nullptr;  // a map's value, after its key
  // kPacked: the whole packed value, item by item
  std::unique_ptr<salt_ipc::PackedCursor> cursor;
};

JsonBody::JsonBody(std::shared_ptr<const Value> value) : root_(std::move(value)) {}
JsonBody::~JsonBody() = default;

bool JsonBody::next(std::string& out, size_t max) {
  size_t limit = out.size() + std::max<size_t>(max, 1);
  if (!started_) {
    started_ = true;
    begin(*root_, out);
  }
  while (out.size() < limit) {
    if (in_string_) {
      continue_string(out, limit);
      continue;
    }
    if (stack_.empty()) return false;
    step(out);
  }
  return in_string_ || !stack_.empty();
}

void JsonBody::start_string(std::string_view s, bool key) {
  in_string_ = true;
  string_is_key_ = key;
  string_ = s;
  string_pos_ = 0;
  string_opened_ = false;
}

void JsonBody::continue_string(std::string& out, size_t limit) {
  if (!string_opened_) {
    out.push_back('"');
    string_opened_ = true;
  }
  string_pos_ = json_escape_piece(string_, string_pos_, out, limit);
  if (string_pos_ >= string_.size()) {
    out.append(string_is_key_ ? "\":" : "\"");
    in_string_ = false;
  }
}

void JsonBody::begin(const Value& v, std::string& out) {
  if (const salt_ipc::Packed* p = v.packed()) {
    Frame f{Frame::kPacked};
    f.cursor = std::make_unique<salt_ipc::PackedCursor>(*p);
    stack_.push_back(std::move(f));
    return;
  }
  switch (v.kind()) {
    case Value::kNull: out.append("null"); return;
    case Value::kBool: out.append(v.as_bool() ? "true" : "false"); return;
    case Value::kInt: out.append(std::to_string(v.as_int())); return;
    case Value::kDouble: json_double(v.as_double(), out); return;
    case Value::kString: return start_string(v.as_string(), false);
    case Value::kBytes: return start_string(v.as_bytes().data, false);
    case Value::kList: {
      out.push_back('[');
      Frame f{Frame::kList};
      f.list = &v.as_list();
      stack_.push_back(std::move(f));
      return;
    }
    case Value::kMap: {
      out.push_back('{');
      Frame f{Frame::kMap};
      f.map = &v.as_map();
      f.it = f.map->begin();
      stack_.push_back(std::move(f));
      return;
    }
    case Value::kPacked: return;  // not a kind() answer
  }
}

void JsonBody::step(std::string& out) {
  Frame& f = stack_.back();
  switch (f.kind) {
    case Frame::kList: {
      if (f.index == f.list->size()) break;
      if (!f.first) out.push_back(',');
      f.first = false;
      const Value& e = (*f.list)[f.index++];
      return begin(e, out);  // may push: f is not used after
    }
    case Frame::kMap: {
      if (f.pending) {
        const Value* v = f.pending;
        f.pending = nullptr;
        return begin(*v, out);
      }
      if (f.it == f.map->end()) break;
      if (!f.first) out.push_back(',');
      f.first = false;
      f.pending = &f.it->second;
      start_string(f.it->first, true);
      ++f.it;
      return;
    }
    case Frame::kPacked: return step_packed(*f.cursor, out);
  }
  out.push_back(f.kind == Frame::kList ? ']' : '}');
  stack_.pop_back();
}

void JsonBody::step_packed(salt_ipc::PackedCursor& cursor, std::string& out) {
  using Item = salt_ipc::PackedCursor::Item;
  Item it;
  if (!cursor.next(it)) {
    stack_.pop_back();  // the packed value is written
    return;
  }
  if (it.follows_sibling) out.push_back(',');
  switch (it.type) {
    case Item::kNull: out.append("null"); return;
    case Item::kBool: out.append(it.b ? "true" : "false"); return;
    case Item::kInt: out.append(std::to_string(it.i)); return;
    case Item::kDouble: json_double(it.d, out); return;
    case Item::kString:
    case Item::kBytes: return start_string(it.text, false);
    case Item::kKey: return start_string(it.text, true);  // valid until the cursor moves on: after the key is out
    case Item::kListStart: out.push_back('['); return;
    case Item::kListEnd: out.push_back(']'); return;
    case Item::kMapStart: out.push_back('{'); return;
    case Item::kMapEnd: out.push_back('}'); return;
  }
}

}  // namespace saltgw::rest
