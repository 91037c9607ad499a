// Unit tests for salt_args/detail/python_number.h: Python's int(text,
// base), float(text) and repr(float). Every expected value was checked
// against Python 3.10 (the Python of Salt 3006's onedir).
#include "salt_args/detail/python_number.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>

namespace saltgw::salt_args::detail {
namespace {

std::optional<std::string> int_text(std::string_view text, unsigned base) {
  auto r = py_int(text, base);
  if (!r) return std::nullopt;
  return r->to_decimal();
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
