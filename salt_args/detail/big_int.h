// Internal. Arbitrary-precision signed integers, just enough for YAML ints:
// Python ints have no size limit, and Salt sends ints outside int64 as their
// decimal text, so the constructor needs exact values of any size.
//
// Little-endian limbs of base 1e9; schoolbook arithmetic (the operands are
// words of a command line, so small). Supports building from digits
// (mul_add), signed addition, multiplication, decimal text and conversion to
// int64 when it fits. Zero is never negative.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace saltgw::salt_args::detail {

class BigInt {
 public:
  static constexpr uint32_t kBase = 1000000000u;

  bool negative() const { return neg_ && !is_zero(); }
  bool is_zero() const { return limbs_.empty(); }

  void mul_add(uint32_t m, uint32_t a);
  void negate() { neg_ = !neg_; }

  // this += o (signed).
  void add(const BigInt& o);
  BigInt times_small(uint32_t m) const;
  // Multiplies by an arbitrary BigInt (schoolbook; operands are small here).
  BigInt times(const BigInt& o) const;

  std::string to_decimal() const;
  size_t decimal_digits() const;
  bool to_int64(int64_t& out) const;

 private:
  void trim();
  void add_mag(const std::vector<uint32_t>& o);
  static int cmp_mag(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b);
  // a -= b, |a| >= |b|.
  static void sub_mag(std::vector<uint32_t>& a, const std::vector<uint32_t>& b);

  std::vector<uint32_t> limbs_;  // little-endian, base 1e9
  bool neg_ = false;
};

}  // namespace saltgw::salt_args::detail
