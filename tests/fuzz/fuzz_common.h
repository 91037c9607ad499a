// Shared helpers for the libFuzzer targets in this folder (tests/fuzz/).
//
// FUZZ_CHECK turns a violated invariant into an abort with a message, which
// libFuzzer reports as a crash and saves as a reproducer.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>

#include "salt_ipc/value.h"

#define FUZZ_CHECK(cond, what)                                                        \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n  %s\n", __FILE__, __LINE__, \
                   #cond, std::string(what).c_str());                                 \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace saltgw::fuzz {

using salt_ipc::Value;

// How strictly numbers must agree after a round trip.
enum class Numbers {
  kExact,     // same alternative, bit-for-bit equal (NaN equals NaN)
  kNumeric,   // int and double compare by value, doubles within a relative 1e-15
};

inline bool doubles_equal(double a, double b, Numbers mode) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (mode == Numbers::kExact) return a == b && std::signbit(a) == std::signbit(b);
  if (a == b) return true;
  double scale = std::max(std::fabs(a), std::fabs(b));
  return std::fabs(a - b) <= scale * 1e-15;
}

// Value equality for round-trip checks: operator== treats NaN != NaN, and a
// JSON round trip may turn an integral double into an int.
inline bool values_equal(const Value& a, const Value& b, Numbers mode = Numbers::kExact) {
  if (mode == Numbers::kNumeric && (a.is_int() || a.is_double()) && (b.is_int() || b.is_double())) {
    if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
    double x = a.is_int() ? static_cast<double>(a.as_int()) : a.as_double();
    double y = b.is_int() ? static_cast<double>(b.as_int()) : b.as_double();
    return doubles_equal(x, y, mode);
  }
  if (a.storage().index() != b.storage().index()) return false;
  if (a.is_double()) return doubles_equal(a.as_double(), b.as_double(), mode);
  if (a.is_list()) {
    const auto& x = a.as_list();
    const auto& y = b.as_list();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (!values_equal(x[i], y[i], mode)) return false;
    return true;
  }
  if (a.is_map()) {
    const auto& x = a.as_map();
    const auto& y = b.as_map();
    if (x.size() != y.size()) return false;
    for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j)
      if (i->first != j->first || !values_equal(i->second, j->second, mode)) return false;
    return true;
  }
  return a == b;
}

// Short rendering for failure messages.
inline std::string brief(const Value& v) {
  std::string s = v.debug_string();
  if (s.size() > 400) s = s.substr(0, 400) + "...";
  return s;
}

}  // namespace saltgw::fuzz
