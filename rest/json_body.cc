#include "rest/json_body.h"

#include "rest/json.h"

namespace saltgw::rest {

using salt_ipc::Value;

namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Where to cut `s` near `n` (0 < n < s.size()) so that no well-formed UTF-8
// sequence is split: before a byte that is not a continuation byte, or after
// three continuation bytes in a row (no sequence is longer than four).
size_t safe_cut(std::string_view s, size_t n) {
  size_t e = n;
  while (e > 0 && n - e < 3 && is_continuation(s[e])) --e;
  if (!is_continuation(s[e]) && e > 0) return e;
  if (is_continuation(s[e]) && e > 0) return n;  // s[n-3..n] all continuation bytes
  // Back at the start: cut forward instead, after the sequence's continuation bytes.
  e = n;
  while (e < s.size() && e - n < 3 && is_continuation(s[e])) ++e;
  return e;
}

}  // namespace

JsonBodySource::JsonBodySource(std::shared_ptr<const Value> value) : value_(std::move(value)) {}

bool JsonBodySource::next(std::string& out, size_t max) {
  if (max == 0) max = 1;
  size_t start = out.size();
  if (!started_) {
    started_ = true;
    begin(*value_, out);
  }
  while (out.size() - start < max) {
    if (in_string_) {
      string_part(out, max - (out.size() - start));
    } else if (!stack_.empty()) {
      step(out);
    } else {
      return false;
    }
  }
  return in_string_ || !stack_.empty();
}

void JsonBodySource::begin(const Value& v, std::string& out) {
  if (v.is_string() || v.is_bytes()) {
    out.push_back('"');
    string_ = v.text();
    in_string_ = true;
  } else if (v.is_list()) {
    out.push_back('[');
    stack_.push_back(Frame{&v, 0, {}});
  } else if (v.is_map()) {
    out.push_back('{');
    stack_.push_back(Frame{&v, 0, v.as_map().begin()});
  } else {
    json_write(v, out);  // null, bool, int, double
  }
}

void JsonBodySource::step(std::string& out) {
  Frame& f = stack_.back();
  if (f.container->is_list()) {
    const auto& list = f.container->as_list();
    if (f.index == list.size()) {
      out.push_back(']');
      stack_.pop_back();
      return;
    }
    if (f.index > 0) out.push_back(',');
    const Value& element = list[f.index++];
    begin(element, out);  // may push a frame: f is not used after this
    return;
  }
  const auto& map = f.container->as_map();
  if (f.map_pos == map.end()) {
    out.push_back('}');
    stack_.pop_back();
    return;
  }
  if (f.map_pos != map.begin()) out.push_back(',');
  out.push_back('"');
  json_append_string_part(f.map_pos->first, out);
  out.append("\":");
  const Value& element = f.map_pos->second;
  ++f.map_pos;
  begin(element, out);
}

void JsonBodySource::string_part(std::string& out, size_t budget) {
  size_t n = budget < string_.size() ? safe_cut(string_, budget) : string_.size();
  json_append_string_part(string_.substr(0, n), out);
  string_.remove_prefix(n);
  if (string_.empty()) {
    out.push_back('"');
    in_string_ = false;
  }
}

}  // namespace saltgw::rest
