// Internal. The parts of Python's str semantics the argument parser needs,
// on code points (char32_t) decoded from UTF-8.
//
// Guarantees: utf8_decode accepts exactly what Python's strict UTF-8 codec
// accepts (no overlongs, no surrogates, nothing above U+10FFFF); is_py_word,
// is_py_space and py_decimal_value agree with Python 3.10's re `\w`,
// str.isspace() and unicodedata.decimal() (tables from Unicode 13.0).
// Python's numbers are in python_number.h. Nothing here throws except
// std::bad_alloc.
#pragma once

#include <string>
#include <string_view>

namespace saltgw::salt_args::detail {

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

}  // namespace saltgw::salt_args::detail
