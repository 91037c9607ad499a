// Internal. The parts of Python's str and number semantics the argument
// parser needs, on code points (char32_t) decoded from UTF-8.
//
// Guarantees: utf8_decode accepts exactly what Python's strict UTF-8 codec
// accepts (no overlongs, no surrogates, nothing above U+10FFFF); is_py_word,
// is_py_space and py_decimal_value agree with Python 3.10's re `\w`,
// str.isspace() and unicodedata.decimal() (tables from Unicode 13.0);
// py_int and py_float follow Python's int(text, base) and float(text)
// (Unicode digits and spaces, underscores, signs, prefixes), nullopt where
// Python raises ValueError; float_repr is repr(float).
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

// re's `\w` (str pattern) and str.isspace() for one code point.
bool is_py_word(char32_t c);
bool is_py_space(char32_t c);

// Decimal digit value of a Unicode Nd character, or -1.
int py_decimal_value(char32_t c);

// Strict UTF-8 decoding (no overlongs, no surrogates). False on bad input.
bool utf8_decode(std::string_view in, std::u32string& out);

// Appends the UTF-8 encoding of c.
void utf8_append(std::string& out, char32_t c);

// Python's str.strip() on decoded text.
std::u32string_view py_strip(std::u32string_view s);

// Python's int(text, base) for base 2, 8, 10 or 16.
std::optional<BigInt> py_int(std::string_view text, unsigned base);

// Python's float(text).
std::optional<double> py_float(std::string_view text);

// Python's repr() of a float ("1.0", "1e+16", "inf", "nan").
std::string float_repr(double d);

}  // namespace saltgw::salt_args::detail
