// Python's int(), float() and repr(float); see python_number.h.
#include "salt_args/detail/python_number.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include "salt_args/detail/python_text.h"

namespace saltgw::salt_args::detail {
namespace {

// What int() and float() do to their text first
// (_PyUnicode_TransformDecimalAndSpaceToASCII, then stripping ASCII
// whitespace): Unicode decimal digits become ASCII digits and Unicode spaces
// ' '; nullopt for text that is not UTF-8 or holds any other non-ASCII
// character.
std::optional<std::string> ascii_number_text(std::string_view text) {
  std::u32string u;
  if (!utf8_decode(text, u)) return std::nullopt;
  std::string a;
  for (char32_t c : u) {
    if (c < 0x80) {
      a.push_back(static_cast<char>(c));
    } else if (is_py_space(c)) {
      a.push_back(' ');
    } else if (int d = py_decimal_value(c); d >= 0) {
      a.push_back(static_cast<char>('0' + d));
    } else {
      return std::nullopt;
    }
  }
  auto is_sp = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t i = 0, e = a.size();
  while (i < e && is_sp(a[i])) ++i;
  while (e > i && is_sp(a[e - 1])) --e;
  return a.substr(i, e - i);
}

}  // namespace

std::optional<BigInt> py_int(std::string_view text, unsigned base) {
  std::optional<std::string> ascii = ascii_number_text(text);
  if (!ascii) return std::nullopt;
  const std::string& a = *ascii;
  size_t i = 0, e = a.size();
  bool neg = false;
  if (i < e && (a[i] == '+' || a[i] == '-')) {
    neg = a[i] == '-';
    ++i;
  }
  if (e - i >= 2 && a[i] == '0') {
    char p = static_cast<char>(a[i + 1] | 0x20);
    if ((base == 16 && p == 'x') || (base == 8 && p == 'o') || (base == 2 && p == 'b')) {
      i += 2;
      if (i < e && a[i] == '_') ++i;
    }
  }
  if (i >= e) return std::nullopt;
  size_t ndigits = 0;
  BigInt r;
  bool prev_underscore = false;
  for (size_t k = i; k < e; ++k) {
    char c = a[k];
    if (c == '_') {
      if (prev_underscore || k == i || k + 1 == e) return std::nullopt;
      prev_underscore = true;
      continue;
    }
    prev_underscore = false;
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
      d = static_cast<unsigned>((c | 0x20) - 'a' + 10);
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    r.mul_add(base, d);
    ++ndigits;
  }
  if (base == 10 && ndigits > kPyMaxStrDigits) return std::nullopt;
  if (neg) r.negate();
  return r;
}

std::optional<double> py_float(std::string_view text) {
  std::optional<std::string> ascii = ascii_number_text(text);
  if (!ascii) return std::nullopt;
  std::string s = std::move(*ascii);
  // Underscores between digits are allowed by float(); remove valid ones.
  {
    std::string t;
    for (size_t k = 0; k < s.size(); ++k) {
      if (s[k] == '_') {
        bool ok = k > 0 && k + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[k - 1])) &&
                  std::isdigit(static_cast<unsigned char>(s[k + 1]));
        if (!ok) return std::nullopt;
        continue;
      }
      t.push_back(s[k]);
    }
    s = std::move(t);
  }
  bool neg = false;
  size_t k = 0;
  if (k < s.size() && (s[k] == '+' || s[k] == '-')) {
    neg = s[k] == '-';
    ++k;
  }
  std::string body = s.substr(k);
  std::string lower = body;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "inf" || lower == "infinity") {
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  // Validate: digits [. digits] | . digits, then optional exponent.
  size_t p = 0, nd = 0;
  while (p < body.size() && std::isdigit(static_cast<unsigned char>(body[p]))) ++p, ++nd;
  if (p < body.size() && body[p] == '.') {
    ++p;
    while (p < body.size() && std::isdigit(static_cast<unsigned char>(body[p]))) ++p, ++nd;
  }
  if (nd == 0) return std::nullopt;
  if (p < body.size() && (body[p] == 'e' || body[p] == 'E')) {
    ++p;
    if (p < body.size() && (body[p] == '+' || body[p] == '-')) ++p;
    size_t ed = 0;
    while (p < body.size() && std::isdigit(static_cast<unsigned char>(body[p]))) ++p, ++ed;
    if (ed == 0) return std::nullopt;
  }
  if (p != body.size()) return std::nullopt;
  double v = 0;
  auto res = std::from_chars(body.data(), body.data() + body.size(), v);
  if (res.ec == std::errc::result_out_of_range) {
    v = std::strtod(body.c_str(), nullptr);  // HUGE_VAL or a (sub)normal/zero
  } else if (res.ec != std::errc() || res.ptr != body.data() + body.size()) {
    return std::nullopt;
  }
  return neg ? -v : v;
}

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    s.erase(0, 1);
  }
  size_t epos = s.find('e');
  std::string mant = s.substr(0, epos);
  int exp = std::atoi(s.c_str() + epos + 1);
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits.push_back(c);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int decpt = exp + 1;
  std::string out = neg ? "-" : "";
  if (decpt <= -4 || decpt > 16) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += eb;
  } else if (decpt <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-decpt), '0');
    out += digits;
  } else if (static_cast<size_t>(decpt) >= digits.size()) {
    out += digits;
    out.append(static_cast<size_t>(decpt) - digits.size(), '0');
    out += ".0";
  } else {
    out += digits.substr(0, static_cast<size_t>(decpt));
    out += '.';
    out += digits.substr(static_cast<size_t>(decpt));
  }
  return out;
}

}  // namespace saltgw::salt_args::detail
