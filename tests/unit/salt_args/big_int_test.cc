// Unit tests for salt_args/detail/big_int.h: exact integers of any size
// (Python's int), as the YAML constructor needs them. Expected values are
// Python's str() of the same arithmetic.
#include "salt_args/detail/big_int.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace saltgw::salt_args::detail {
namespace {

BigInt from_decimal(std::string_view digits) {
  BigInt b;
  bool neg = !digits.empty() && digits[0] == '-';
  if (neg) digits.remove_prefix(1);
  for (char c : digits) b.mul_add(10, static_cast<uint32_t>(c - '0'));
  if (neg) b.negate();
  return b;
}

TEST(BigInt, ZeroIsNeverNegative) {
  BigInt z;
  EXPECT_TRUE(z.is_zero());
  EXPECT_EQ(z.to_decimal(), "0");
  EXPECT_EQ(z.decimal_digits(), 1u);
  z.negate();
  EXPECT_FALSE(z.negative());
  EXPECT_EQ(z.to_decimal(), "0");
  BigInt a = from_decimal("5"), b = from_decimal("-5");
  a.add(b);
  EXPECT_TRUE(a.is_zero());
  EXPECT_FALSE(a.negative());
}

TEST(BigInt, DecimalTextAcrossLimbs) {
  EXPECT_EQ(from_decimal("1000000000").to_decimal(), "1000000000");  // exactly one base
  EXPECT_EQ(from_decimal("1000000001").to_decimal(), "1000000001");  // zero-padded limb
  EXPECT_EQ(from_decimal("-123456789012345678901234567890").to_decimal(),
            "-123456789012345678901234567890");
  EXPECT_EQ(from_decimal("123456789012345678901234567890").decimal_digits(), 30u);
  EXPECT_EQ(from_decimal("000123").to_decimal(), "123");
}

TEST(BigInt, SignedAddition) {
  auto sum = [](const char* a, const char* b) {
    BigInt x = from_decimal(a);
    x.add(from_decimal(b));
    return x.to_decimal();
  };
  EXPECT_EQ(sum("999999999", "1"), "1000000000");
  EXPECT_EQ(sum("1000000000", "-1"), "999999999");
  EXPECT_EQ(sum("-1000000000", "1"), "-999999999");
  EXPECT_EQ(sum("1", "-1000000000000000000"), "-999999999999999999");
  EXPECT_EQ(sum("-7", "-8"), "-15");
  EXPECT_EQ(sum("0", "-8"), "-8");
  EXPECT_EQ(sum("8", "0"), "8");
}

TEST(BigInt, Multiplication) {
  // 2**70 == 1180591620717411303424
  BigInt p = from_decimal("1");
  for (int i = 0; i < 70; ++i) p = p.times_small(2);
  EXPECT_EQ(p.to_decimal(), "1180591620717411303424");
  EXPECT_EQ(p.times(from_decimal("-1")).to_decimal(), "-1180591620717411303424");
  EXPECT_EQ(from_decimal("-123456789123").times(from_decimal("-987654321987")).to_decimal(),
            "121932631355968601347401");
  EXPECT_TRUE(p.times(BigInt()).is_zero());
  EXPECT_FALSE(from_decimal("-3").times(BigInt()).negative());
}

TEST(BigInt, ToInt64Bounds) {
  int64_t v = 0;
  ASSERT_TRUE(from_decimal("9223372036854775807").to_int64(v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(from_decimal("-9223372036854775808").to_int64(v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::min());
  ASSERT_TRUE(from_decimal("-42").to_int64(v));
  EXPECT_EQ(v, -42);
  EXPECT_FALSE(from_decimal("9223372036854775808").to_int64(v));
  EXPECT_FALSE(from_decimal("-9223372036854775809").to_int64(v));
  EXPECT_FALSE(from_decimal("18446744073709551616").to_int64(v));
  EXPECT_FALSE(from_decimal("99999999999999999999999").to_int64(v));
}

}  // namespace
}  // namespace saltgw::salt_args::detail
