#include "salt_ipc/value.h"

#include <cstdio>

namespace saltgw::salt_ipc {

Value::Kind Value::kind() const {
  if (const auto* p = std::get_if<PackedRef>(&v_)) return (*p)->kind();
  return static_cast<Kind>(v_.index());
}

const Packed* Value::packed() const {
  const auto* p = std::get_if<PackedRef>(&v_);
  return p ? p->get() : nullptr;
}

const Value& Value::plain() const {
  const auto* p = std::get_if<PackedRef>(&v_);
  return p ? (*p)->decoded() : *this;
}

Value& Value::unpack() {
  if (const auto* p = std::get_if<PackedRef>(&v_)) {
    Value copy = (*p)->decoded();
    *this = std::move(copy);
  }
  return *this;
}

bool Value::operator==(const Value& o) const {
  if (is_packed() || o.is_packed()) return plain() == o.plain();
  return v_ == o.v_;
}

const Value& Packed::decoded() const {
  std::call_once(once_, [this] {
    decoded_ = std::make_unique<Value>(decode());
    done_.store(true);
  });
  return *decoded_;
}

const Value* Value::find(std::string_view key) const {
  if (!is_map()) return nullptr;
  const auto& m = as_map();
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

std::string_view Value::text() const {
  if (is_string()) return as_string();
  if (is_bytes()) return as_bytes().data;
  return {};
}

namespace {
void render(const Value& v, std::string& out) {
  struct V {
    std::string& out;
    void operator()(std::nullptr_t) { out += "None"; }
    void operator()(bool b) { out += b ? "True" : "False"; }
    void operator()(int64_t i) { out += std::to_string(i); }
    void operator()(double d) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", d);
      out += buf;
    }
    void operator()(const std::string& s) { out += "'" + s + "'"; }
    void operator()(const Bytes& b) { out += "b'" + b.data + "'"; }
    void operator()(const List& l) {
      out += "[";
      for (size_t i = 0; i < l.size(); ++i) {
        if (i) out += ", ";
        render(l[i], out);
      }
      out += "]";
    }
    void operator()(const PackedRef& p) { render(p->decoded(), out); }
    void operator()(const Map& m) {
      out += "{";
      bool first = true;
      for (const auto& [k, val] : m) {
        if (!first) out += ", ";
        first = false;
        out += "'" + k + "': ";
        render(val, out);
      }
      out += "}";
    }
  };
  std::visit(V{out}, v.storage());
}
}  // namespace

std::string Value::debug_string() const {
  std::string out;
  render(*this, out);
  return out;
}

bool contains_string(const Value& v, std::string_view needle) {
  if (const Packed* p = v.packed()) return p->contains_string(needle);
  if (v.is_string()) return v.as_string() == needle;
  if (v.is_list()) {
    for (const auto& e : v.as_list())
      if (contains_string(e, needle)) return true;
  } else if (v.is_map()) {
    for (const auto& [k, e] : v.as_map())
      if (contains_string(e, needle)) return true;
  }
  return false;
}

size_t approx_bytes(const Value& v) {
  constexpr size_t kNode = 32;
  if (const Packed* p = v.packed()) return kNode + p->msgpack().size();
  if (v.is_string()) return kNode + v.as_string().size();
  if (v.is_bytes()) return kNode + v.as_bytes().data.size();
  size_t n = kNode;
  if (v.is_list()) {
    for (const auto& e : v.as_list()) n += approx_bytes(e);
  } else if (v.is_map()) {
    for (const auto& [k, e] : v.as_map()) n += kNode + k.size() + approx_bytes(e);
  }
  return n;
}

}  // namespace saltgw::salt_ipc
