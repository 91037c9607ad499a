// Internal. Python's int(text, base), float(text) and repr(float), as the
// YAML constructor needs them for ints, floats and float map keys.
//
// Guarantees: py_int and py_float follow Python 3.10's int(text, base) and
// float(text): Unicode decimal digits and spaces (python_text.h),
// underscores between digits, signs, base prefixes; nullopt where Python
// raises ValueError. float_repr is repr(float): the shortest text that
// reads back as the same double, in Python's layout.
// Limits: py_int knows bases 2, 8, 10 and 16 only, and refuses decimal text
// of more than kPyMaxStrDigits digits as Python does. Nothing here throws
// except std::bad_alloc.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "salt_args/detail/big_int.h"

namespace saltgw::salt_args::detail {

// Python's limit on decimal int<->str conversion (sys.int_info.default_max_str_digits).
inline constexpr size_t kPyMaxStrDigits = 4300;

// Python's int(text, base) for base 2, 8, 10 or 16.
std::optional<BigInt> py_int(std::string_view text, unsigned base);

// Python's float(text).
std::optional<double> py_float(std::string_view text);

// Python's repr() of a float ("1.0", "1e+16", "inf", "nan").
std::string float_repr(double d);

}  // namespace saltgw::salt_args::detail
