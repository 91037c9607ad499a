// Unit tests for salt_args/detail/python_text.h: Python's str and number
// semantics. Every expected value was checked against Python 3.10 (the
// Python of Salt 3006's onedir): int(text, base), float(text), repr(float),
// str.isspace(), str.isdecimal(), re's \w.
#include "salt_args/detail/python_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>

namespace saltgw::salt_args::detail {
namespace {

std::optional<std::string> int_text(std::string_view text, unsigned base) {
  auto r = py_int(text, base);
  if (!r) return std::nullopt;
  return r->to_decimal();
}

TEST(PyCharClasses, WordSpaceAndDecimal) {
  for (char32_t c : {U'a', U'Z', U'0', U'_', U'é', U'λ', U'ж', U'日', U'²', U'½', U'٣'}) {
    EXPECT_TRUE(is_py_word(c)) << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U'-', U'.', U' ', U'=', U'€', U'😀', char32_t{0x2003}}) {
    EXPECT_FALSE(is_py_word(c)) << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U' ', U'\t', U'\n', U'\r', U'\v', U'\f', char32_t{0x1C}, char32_t{0x85},
                     char32_t{0xA0}, char32_t{0x2003}, char32_t{0x3000}}) {
    EXPECT_TRUE(is_py_space(c)) << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U'a', U'_', char32_t{0x200B}, char32_t{0xFEFF}}) {
    EXPECT_FALSE(is_py_space(c)) << static_cast<uint32_t>(c);
  }
  EXPECT_EQ(py_decimal_value(U'7'), 7);
  EXPECT_EQ(py_decimal_value(U'٣'), 3);      // ARABIC-INDIC DIGIT THREE
  EXPECT_EQ(py_decimal_value(U'５'), 5);     // FULLWIDTH DIGIT FIVE
  EXPECT_EQ(py_decimal_value(U'𝟿'), 9);     // MATHEMATICAL DOUBLE-STRUCK NINE
  EXPECT_EQ(py_decimal_value(U'²'), -1);     // a digit, but not decimal
  EXPECT_EQ(py_decimal_value(U'½'), -1);
  EXPECT_EQ(py_decimal_value(U'a'), -1);
}

TEST(Utf8, DecodeIsStrict) {
  std::u32string out;
  ASSERT_TRUE(utf8_decode("a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80", out));
  EXPECT_EQ(out, (std::u32string{U'a', U'é', U'日', U'😀'}));
  ASSERT_TRUE(utf8_decode("", out));
  EXPECT_TRUE(out.empty());
  // What Python's strict codec rejects: overlongs, surrogates, > U+10FFFF,
  // stray continuation bytes, truncated sequences.
  for (const char* bad : {"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\x80", "\xc3", "\xe6\x97", "a\xffz"}) {
    EXPECT_FALSE(utf8_decode(bad, out)) << bad;
  }
}

TEST(Utf8, AppendRoundTrips) {
  for (char32_t c : {char32_t{0}, U'a', char32_t{0x7F}, char32_t{0x80}, U'é', char32_t{0x7FF},
                     char32_t{0x800}, U'日', char32_t{0xFFFF}, char32_t{0x10000}, U'😀',
                     char32_t{0x10FFFF}}) {
    std::string s;
    utf8_append(s, c);
    std::u32string back;
    ASSERT_TRUE(utf8_decode(s, back)) << static_cast<uint32_t>(c);
    EXPECT_EQ(back, std::u32string(1, c));
  }
  std::string s;
  utf8_append(s, U'€');
  EXPECT_EQ(s, "\xe2\x82\xac");
}

TEST(PyStrip, UnicodeWhitespace) {
  EXPECT_EQ(py_strip(U" \t a b \n"), U"a b");
  EXPECT_EQ(py_strip(U"\u3000\u2003x\u00a0"), U"x");
  EXPECT_EQ(py_strip(U"   "), U"");
  EXPECT_EQ(py_strip(U"\u200bx"), U"\u200bx");  // ZERO WIDTH SPACE is not a space
}

TEST(PyInt, DecimalLikePython) {
  EXPECT_EQ(int_text("12", 10), "12");
  EXPECT_EQ(int_text(" 12 ", 10), "12");
  EXPECT_EQ(int_text("\u2003 7\u3000", 10), "7");
  EXPECT_EQ(int_text("１２", 10), "12");  // fullwidth digits
  EXPECT_EQ(int_text("٣", 10), "3");
  EXPECT_EQ(int_text("1_000", 10), "1000");
  EXPECT_EQ(int_text("-1_0", 10), "-10");
  EXPECT_EQ(int_text("+7", 10), "7");
  EXPECT_EQ(int_text("-0", 10), "0");
  EXPECT_EQ(int_text("123456789012345678901234567890", 10), "123456789012345678901234567890");
  // ValueError in Python.
  for (const char* bad : {"", "+", "_1", "1_", "1__0", "1 2", "x", "1.0", "²", "0x10"}) {
    EXPECT_EQ(int_text(bad, 10), std::nullopt) << bad;
  }
}

TEST(PyInt, OtherBasesAndPrefixes) {
  EXPECT_EQ(int_text("0x1f", 16), "31");
  EXPECT_EQ(int_text("0X1F", 16), "31");
  EXPECT_EQ(int_text("0x_1f", 16), "31");
  EXPECT_EQ(int_text("1f", 16), "31");
  EXPECT_EQ(int_text("12", 8), "10");
  EXPECT_EQ(int_text("0o12", 8), "10");
  EXPECT_EQ(int_text("0b_1", 2), "1");
  EXPECT_EQ(int_text("-101", 2), "-5");
  for (auto [bad, base] : {std::pair{"8", 8u}, {"0b102", 2u}, {"0x", 16u}, {"0x1f", 10u},
                          {"0o7", 16u}}) {
    EXPECT_EQ(int_text(bad, base), std::nullopt) << bad << " base " << base;
  }
}

TEST(PyInt, DigitLimit) {
  EXPECT_TRUE(py_int(std::string(kPyMaxStrDigits, '9'), 10));
  EXPECT_FALSE(py_int(std::string(kPyMaxStrDigits + 1, '9'), 10));
  // The limit is on decimal text only.
  EXPECT_TRUE(py_int(std::string(kPyMaxStrDigits + 1, 'f'), 16));
}

TEST(PyFloat, LikePython) {
  EXPECT_EQ(py_float("1.5"), 1.5);
  EXPECT_EQ(py_float("  1.5\n"), 1.5);
  EXPECT_EQ(py_float("1_0.5"), 10.5);
  EXPECT_EQ(py_float("1e5"), 100000.0);
  EXPECT_EQ(py_float("1.e3"), 1000.0);
  EXPECT_EQ(py_float("+.5"), 0.5);
  EXPECT_EQ(py_float("１.５"), 1.5);
  EXPECT_EQ(py_float("٣.٥"), 3.5);
  EXPECT_EQ(py_float("-2"), -2.0);
  EXPECT_EQ(py_float("1e-400"), 0.0);
  EXPECT_EQ(py_float("1e400"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(py_float(" inf "), std::numeric_limits<double>::infinity());
  EXPECT_EQ(py_float("-Infinity"), -std::numeric_limits<double>::infinity());
  auto nan = py_float("-nan");
  ASSERT_TRUE(nan);
  EXPECT_TRUE(std::isnan(*nan));
  for (const char* bad : {"", ".", "1e", "1e+", "1__0", "_1", "1_e5", "1e_5", "infinit", "0x10",
                          "1.5f", "1 5", "--1"}) {
    EXPECT_EQ(py_float(bad), std::nullopt) << bad;
  }
}

TEST(FloatRepr, LikePython) {
  EXPECT_EQ(float_repr(1.0), "1.0");
  EXPECT_EQ(float_repr(-1.5), "-1.5");
  EXPECT_EQ(float_repr(0.0), "0.0");
  EXPECT_EQ(float_repr(-0.0), "-0.0");
  EXPECT_EQ(float_repr(0.1), "0.1");
  EXPECT_EQ(float_repr(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(float_repr(123456789.0), "123456789.0");
  EXPECT_EQ(float_repr(123456789012345.6), "123456789012345.6");
  EXPECT_EQ(float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(float_repr(9007199254740993.0), "9007199254740992.0");
  EXPECT_EQ(float_repr(1e16), "1e+16");
  EXPECT_EQ(float_repr(1.2345678901234568e+17), "1.2345678901234568e+17");
  EXPECT_EQ(float_repr(1e22), "1e+22");
  EXPECT_EQ(float_repr(0.0001), "0.0001");
  EXPECT_EQ(float_repr(1e-05), "1e-05");
  EXPECT_EQ(float_repr(5e-324), "5e-324");
  EXPECT_EQ(float_repr(1.7976931348623157e+308), "1.7976931348623157e+308");
  EXPECT_EQ(float_repr(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(float_repr(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(float_repr(std::numeric_limits<double>::quiet_NaN()), "nan");
}

}  // namespace
}  // namespace saltgw::salt_args::detail
