// Unit tests for salt_args/detail/python_text.h: Python's str semantics.
// Every expected value was checked against Python 3.10 (the Python of Salt
// 3006's onedir): str.isspace(), str.isdecimal(), re's \w, str.strip(),
// the strict UTF-8 codec.
#include "salt_args/detail/python_text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace saltgw::salt_args::detail {
namespace {

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

}  // namespace
}  // namespace saltgw::salt_args::detail
