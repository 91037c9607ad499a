// PyYAML's YAML 1.1 implicit resolvers; see yaml_resolve.h.
#include "salt_args/detail/yaml_resolve.h"

#include <cctype>
#include <string>

namespace saltgw::salt_args::detail {
namespace {

bool d09(char c) { return c >= '0' && c <= '9'; }

bool match_bool(std::string_view v) {
  static constexpr std::string_view kWords[] = {
      "yes", "Yes", "YES", "no",    "No",    "NO",    "true", "True", "TRUE",
      "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"};
  for (auto w : kWords) {
    if (v == w) return true;
  }
  return false;
}

// `[0-9][0-9_]*` at p; returns end or npos.
size_t digits_us(std::string_view v, size_t p) {
  if (p >= v.size() || !d09(v[p])) return std::string::npos;
  ++p;
  while (p < v.size() && (d09(v[p]) || v[p] == '_')) ++p;
  return p;
}

// `(?::[0-5]?[0-9])+` at p; returns end or npos.
size_t sexagesimal_groups(std::string_view v, size_t p) {
  size_t groups = 0;
  while (p < v.size() && v[p] == ':') {
    size_t q = p + 1;
    if (q + 1 < v.size() + 1 && q < v.size() && v[q] >= '0' && v[q] <= '5' && q + 1 < v.size() &&
        d09(v[q + 1])) {
      q += 2;
    } else if (q < v.size() && d09(v[q])) {
      q += 1;
    } else {
      break;
    }
    p = q;
    ++groups;
  }
  return groups ? p : std::string::npos;
}

bool match_float(std::string_view v) {
  size_t n = v.size();
  // [-+]?\.(?:inf|Inf|INF) and \.(?:nan|NaN|NAN)
  {
    std::string_view w = v;
    if (!w.empty() && (w[0] == '-' || w[0] == '+')) w.remove_prefix(1);
    if (w == ".inf" || w == ".Inf" || w == ".INF") return true;
  }
  if (v == ".nan" || v == ".NaN" || v == ".NAN") return true;
  // \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
  auto exponent_to_end = [&](size_t p) {
    if (p == n) return true;
    if (v[p] != 'e' && v[p] != 'E') return false;
    ++p;
    if (p >= n || (v[p] != '-' && v[p] != '+')) return false;
    ++p;
    if (p >= n || !d09(v[p])) return false;
    while (p < n && d09(v[p])) ++p;
    return p == n;
  };
  if (n > 0 && v[0] == '.') {
    size_t p = digits_us(v, 1);
    return p != std::string::npos && exponent_to_end(p);
  }
  size_t p = 0;
  if (p < n && (v[p] == '-' || v[p] == '+')) ++p;
  size_t q = digits_us(v, p);
  if (q == std::string::npos) return false;
  // [0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?
  if (q < n && v[q] == '.') {
    size_t r = q + 1;
    while (r < n && (d09(v[r]) || v[r] == '_')) ++r;
    if (exponent_to_end(r)) return true;
  }
  // [0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
  size_t r = sexagesimal_groups(v, q);
  if (r != std::string::npos && r < n && v[r] == '.') {
    ++r;
    while (r < n && (d09(v[r]) || v[r] == '_')) ++r;
    if (r == n) return true;
  }
  return false;
}

bool match_int(std::string_view v) {
  size_t n = v.size();
  size_t p = 0;
  if (p < n && (v[p] == '-' || v[p] == '+')) ++p;
  std::string_view w = v.substr(p);
  if (w.empty()) return false;
  auto all_of = [](std::string_view s, auto pred) {
    if (s.empty()) return false;
    for (char c : s) {
      if (!pred(c)) return false;
    }
    return true;
  };
  if (w.size() > 2 && w[0] == '0' && w[1] == 'b' &&
      all_of(w.substr(2), [](char c) { return c == '0' || c == '1' || c == '_'; })) {
    return true;
  }
  if (w.size() > 1 && w[0] == '0' &&
      all_of(w.substr(1), [](char c) { return (c >= '0' && c <= '7') || c == '_'; })) {
    return true;
  }
  if (w == "0") return true;
  if (w[0] >= '1' && w[0] <= '9' &&
      (w.size() == 1 || all_of(w.substr(1), [](char c) { return d09(c) || c == '_'; }))) {
    return true;
  }
  if (w.size() > 2 && w[0] == '0' && w[1] == 'x' &&
      all_of(w.substr(2), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) || c == '_';
      })) {
    return true;
  }
  if (w[0] >= '1' && w[0] <= '9') {
    size_t q = digits_us(w, 0);
    size_t r = sexagesimal_groups(w, q);
    if (r == w.size()) return true;
  }
  return false;
}

bool match_null(std::string_view v) {
  return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL";
}

// Python's re `$` also matches before one trailing newline.
template <class F>
bool py_match(std::string_view v, F f) {
  if (f(v)) return true;
  return !v.empty() && v.back() == '\n' && f(v.substr(0, v.size() - 1));
}

}  // namespace

std::string_view resolve_scalar(std::string_view v, bool implicit) {
  if (!implicit) return kTagStr;
  if (v.empty()) return kTagNull;
  char c = v[0];
  static constexpr std::string_view kBoolFirst = "yYnNtTfFoO";
  static constexpr std::string_view kFloatFirst = "-+0123456789.";
  static constexpr std::string_view kIntFirst = "-+0123456789";
  if (kBoolFirst.find(c) != std::string_view::npos && py_match(v, match_bool)) return kTagBool;
  if (kFloatFirst.find(c) != std::string_view::npos && py_match(v, match_float)) return kTagFloat;
  if (kIntFirst.find(c) != std::string_view::npos && py_match(v, match_int)) return kTagInt;
  if (c == '<' && py_match(v, [](std::string_view s) { return s == "<<"; })) return kTagMerge;
  if ((c == '~' || c == 'n' || c == 'N') && py_match(v, match_null)) return kTagNull;
  // The timestamp resolver is left out: SaltYamlSafeLoader constructs
  // timestamps as the plain scalar text, i.e. exactly like str.
  if (c == '=' && py_match(v, [](std::string_view s) { return s == "="; })) return kTagValue;
  if ((c == '!' || c == '&' || c == '*') &&
      py_match(v, [](std::string_view s) { return s == "!" || s == "&" || s == "*"; })) {
    return kTagYaml;
  }
  return kTagStr;
}

}  // namespace saltgw::salt_args::detail
