// Unit tests for salt_args/yamlify.h: Salt's yamlify_arg on one word, i.e.
// Salt's YAML loading and the rules by which Salt keeps the word as typed.
// The full behaviour is checked against Salt itself by tests/differential/;
// these are the clear, documented cases.
#include "salt_args/yamlify.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <limits>

#include "tests/unit/salt_args/alias_bomb.h"

namespace saltgw::salt_ipc {
namespace {

TEST(Yamlify, Booleans) {
  for (const char* t : {"yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"}) {
    EXPECT_EQ(yamlify_arg(t), Value(true)) << t;
  }
  for (const char* f : {"no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"}) {
    EXPECT_EQ(yamlify_arg(f), Value(false)) << f;
  }
  // YAML 1.1 in PyYAML does not include y/n; mixed case is text.
  for (const char* s : {"y", "n", "Y", "N", "yEs", "tRUE"}) EXPECT_EQ(yamlify_arg(s), Value(s));
}

TEST(Yamlify, Nulls) {
  for (const char* s : {"null", "Null", "NULL", "~", "None"}) {
    EXPECT_TRUE(yamlify_arg(s).is_null()) << s;
  }
  for (const char* s : {"none", "NONE", "nUll"}) EXPECT_EQ(yamlify_arg(s), Value(s));
  // Empty and blank words, and YAML document markers, stay as typed.
  for (const char* s : {"", " ", "---", "...", " --- "}) EXPECT_EQ(yamlify_arg(s), Value(s));
}

TEST(Yamlify, Integers) {
  EXPECT_EQ(yamlify_arg("0"), Value(0));
  EXPECT_EQ(yamlify_arg("-0"), Value(0));
  EXPECT_EQ(yamlify_arg("+5"), Value(5));
  EXPECT_EQ(yamlify_arg("0x1F"), Value(31));
  EXPECT_EQ(yamlify_arg("-0x1F"), Value(-31));
  EXPECT_EQ(yamlify_arg("0b101"), Value(5));
  // Salt strips leading zeros (no octal), except after a sign.
  EXPECT_EQ(yamlify_arg("017"), Value(17));
  EXPECT_EQ(yamlify_arg("00"), Value(0));
  EXPECT_EQ(yamlify_arg("-017"), Value(-15));
  EXPECT_EQ(yamlify_arg("0o17"), Value("0o17"));
  EXPECT_EQ(yamlify_arg("08"), Value("08"));
  // Sexagesimal.
  EXPECT_EQ(yamlify_arg("190:20:30"), Value(685230));
  EXPECT_EQ(yamlify_arg("1:30"), Value(90));
  EXPECT_EQ(yamlify_arg("0:30"), Value("0:30"));
  // Digits with underscores stay text (Salt), signed ones are ints (YAML).
  EXPECT_EQ(yamlify_arg("1_000"), Value("1_000"));
  EXPECT_EQ(yamlify_arg(" 1_000"), Value(" 1_000"));
  EXPECT_EQ(yamlify_arg("-1_000"), Value(-1000));
  EXPECT_EQ(yamlify_arg("0_"), Value("0_"));
  EXPECT_EQ(yamlify_arg("1e3"), Value("1e3"));
  EXPECT_EQ(yamlify_arg("9223372036854775807"), Value(int64_t{9223372036854775807}));
  EXPECT_EQ(yamlify_arg("-9223372036854775808"),
            Value(std::numeric_limits<int64_t>::min()));
  // Out of int64: decimal text, as salt.payload sends it.
  EXPECT_EQ(yamlify_arg("9223372036854775808"), Value("9223372036854775808"));
  EXPECT_EQ(yamlify_arg("0xFFFFFFFFFFFFFFFFFF"), Value("4722366482869645213695"));
}

TEST(Yamlify, Floats) {
  EXPECT_EQ(yamlify_arg("1.5"), Value(1.5));
  EXPECT_EQ(yamlify_arg("1."), Value(1.0));
  EXPECT_EQ(yamlify_arg(".5"), Value(0.5));
  EXPECT_EQ(yamlify_arg("-.5"), Value("-.5"));
  EXPECT_EQ(yamlify_arg("1.0e+3"), Value(1000.0));
  EXPECT_EQ(yamlify_arg("1.0e3"), Value("1.0e3"));
  EXPECT_EQ(yamlify_arg("1_000.5"), Value(1000.5));
  EXPECT_EQ(yamlify_arg("190:20:30.15"), Value(685230.15));
  Value inf = yamlify_arg(".inf");
  ASSERT_TRUE(inf.is_double());
  EXPECT_TRUE(std::isinf(inf.as_double()) && inf.as_double() > 0);
  Value ninf = yamlify_arg("-.Inf");
  ASSERT_TRUE(ninf.is_double());
  EXPECT_TRUE(std::isinf(ninf.as_double()) && ninf.as_double() < 0);
  Value nan = yamlify_arg(".nan");
  ASSERT_TRUE(nan.is_double());
  EXPECT_TRUE(std::isnan(nan.as_double()));
  EXPECT_EQ(yamlify_arg("inf"), Value("inf"));
  EXPECT_EQ(yamlify_arg("NaN"), Value("NaN"));
}

TEST(Yamlify, DatesStayText) {
  EXPECT_EQ(yamlify_arg("2024-01-02"), Value("2024-01-02"));
  EXPECT_EQ(yamlify_arg("2001-12-14t21:59:43.10-05:00"), Value("2001-12-14t21:59:43.10-05:00"));
  EXPECT_EQ(yamlify_arg("[2024-01-02]"), Value(List{Value("2024-01-02")}));
}

TEST(Yamlify, FlowCollections) {
  EXPECT_EQ(yamlify_arg("[]"), Value(List{}));
  EXPECT_EQ(yamlify_arg("{}"), Value(Map{}));
  EXPECT_EQ(yamlify_arg("[1, a, \"b c\", 'd', null]"),
            Value(List{Value(1), Value("a"), Value("b c"), Value("d"), Value()}));
  EXPECT_EQ(yamlify_arg("{a: 1, b: [x, {c: yes}]}"),
            Value(Map{{"a", Value(1)},
                      {"b", Value(List{Value("x"), Value(Map{{"c", Value(true)}})})}}));
  EXPECT_EQ(yamlify_arg("[a:b]"), Value(List{Value("a:b")}));
  EXPECT_EQ(yamlify_arg("[a: b]"), Value(List{Value(Map{{"a", Value("b")}})}));
  EXPECT_EQ(yamlify_arg("{a, b: }"), Value(Map{{"a", Value()}, {"b", Value()}}));
  // Collections must start the word; otherwise the word is kept.
  EXPECT_EQ(yamlify_arg("a: b"), Value("a: b"));
  EXPECT_EQ(yamlify_arg("- a"), Value("- a"));
  EXPECT_EQ(yamlify_arg("--- [1]"), Value("--- [1]"));
  // Errors keep the word.
  for (const char* s : {"[1, 2", "{a: 1", "[a:]", "{a: 1, a: 2}", "{[1]: a}", "*x", "[,]"}) {
    EXPECT_EQ(yamlify_arg(s), Value(s)) << s;
  }
}

TEST(Yamlify, NonTextKeys) {
  EXPECT_EQ(yamlify_arg("{1: a, false: b, ~: c, 1.5: d, .inf: e}"),
            Value(Map{{"1", Value("a")},
                      {"false", Value("b")},
                      {"null", Value("c")},
                      {"1.5", Value("d")},
                      {"Infinity", Value("e")}}));
  // Equal in Python: a duplicate key, which Salt rejects.
  EXPECT_EQ(yamlify_arg("{1: a, 1.0: b}"), Value("{1: a, 1.0: b}"));
  EXPECT_EQ(yamlify_arg("{1: a, true: b}"), Value("{1: a, true: b}"));
  // Distinct in Python but the same text: the later one wins.
  EXPECT_EQ(yamlify_arg("{1: a, \"1\": b}"), Value(Map{{"1", Value("b")}}));
}

TEST(Yamlify, SaltSpecialCases) {
  // '#' is only honoured when it yields a non-text value.
  EXPECT_EQ(yamlify_arg("#"), Value("#"));
  EXPECT_EQ(yamlify_arg("a #b"), Value("a #b"));
  EXPECT_EQ(yamlify_arg("a#b"), Value("a#b"));
  EXPECT_EQ(yamlify_arg("1 # one"), Value(1));
  EXPECT_EQ(yamlify_arg("[1] #x"), Value(List{Value(1)}));
  EXPECT_EQ(yamlify_arg("a: 1 #c"), Value(Map{{"a", Value(1)}}));
  // Block indicators and tags.
  EXPECT_EQ(yamlify_arg("|"), Value("|"));
  EXPECT_EQ(yamlify_arg("!"), Value("!"));
  EXPECT_EQ(yamlify_arg(">"), Value(""));
  EXPECT_EQ(yamlify_arg("!!str 1"), Value("1"));
  EXPECT_EQ(yamlify_arg("!!int \"1\""), Value(1));
  EXPECT_EQ(yamlify_arg("! 12"), Value(12));
  EXPECT_EQ(yamlify_arg("!foo x"), Value("!foo x"));
  EXPECT_EQ(yamlify_arg("[!!binary aGk=]"), Value(List{Value(Bytes{"hi"})}));
  EXPECT_EQ(yamlify_arg("!!binary aGk="), Value("!!binary aGk="));
  // Tabs and line breaks: kept as typed.
  EXPECT_EQ(yamlify_arg("a\tb"), Value("a\tb"));
  EXPECT_EQ(yamlify_arg("[1,\n2]"), Value("[1,\n2]"));
  // Quoted YAML scalars.
  EXPECT_EQ(yamlify_arg("\"yes\""), Value("yes"));
  EXPECT_EQ(yamlify_arg("'it''s'"), Value("it's"));
  EXPECT_EQ(yamlify_arg("\"a\\tb\\u00e9\""), Value("a\tb\xc3\xa9"));
}

TEST(Yamlify, AnchorsAndMerge) {
  EXPECT_EQ(yamlify_arg("[&a [1, 2], *a]"),
            Value(List{Value(List{Value(1), Value(2)}), Value(List{Value(1), Value(2)})}));
  EXPECT_EQ(yamlify_arg("{<<: {a: 1, b: 2}, b: 3}"), Value(Map{{"a", Value(1)}, {"b", Value(3)}}));
  EXPECT_EQ(yamlify_arg("[&a 1, &a 2]"), Value("[&a 1, &a 2]"));  // duplicate anchor
  EXPECT_EQ(yamlify_arg("&a [*a]"), Value("&a [*a]"));            // recursive: kept
}

TEST(Yamlify, PathologicalInputDoesNotCrash) {
  std::string deep(100000, '[');
  EXPECT_EQ(yamlify_arg(deep), Value(deep));
  std::string closed = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(yamlify_arg(closed), Value(closed));
  std::string ok = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(yamlify_arg(ok).is_list());
  std::string maps;
  for (int i = 0; i < 50000; ++i) maps += "{a: ";
  EXPECT_EQ(yamlify_arg(maps), Value(maps));
  // Alias expansion ("billion laughs") is bounded.
  std::string laughs = salt_args::test_input::alias_bomb(10);
  EXPECT_EQ(yamlify_arg(laughs), Value(laughs));
  // Invalid UTF-8 and control characters are kept as given.
  EXPECT_EQ(yamlify_arg("\xff\xfe"), Value("\xff\xfe"));
  EXPECT_EQ(yamlify_arg(std::string("a\0b", 3)), Value(std::string("a\0b", 3)));
  EXPECT_EQ(yamlify_arg("1" + std::string(5000, '0')), Value("1" + std::string(5000, '0')));
}

TEST(PythonFloatRepr, MatchesPython) {
  EXPECT_EQ(python_float_repr(1.0), "1.0");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(1e-5), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1.5e300), "1.5e+300");
}

}  // namespace
}  // namespace saltgw::salt_ipc
