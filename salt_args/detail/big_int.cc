// Arbitrary-precision integers; see big_int.h.
#include "salt_args/detail/big_int.h"

#include <limits>
#include <utility>

namespace saltgw::salt_args::detail {

void BigInt::mul_add(uint32_t m, uint32_t a) {
  uint64_t carry = a;
  for (auto& l : limbs_) {
    uint64_t v = static_cast<uint64_t>(l) * m + carry;
    l = static_cast<uint32_t>(v % kBase);
    carry = v / kBase;
  }
  while (carry) {
    limbs_.push_back(static_cast<uint32_t>(carry % kBase));
    carry /= kBase;
  }
  trim();
}

void BigInt::add(const BigInt& o) {
  if (o.is_zero()) return;
  if (is_zero()) {
    *this = o;
    return;
  }
  if (neg_ == o.neg_) {
    add_mag(o.limbs_);
    return;
  }
  int c = cmp_mag(limbs_, o.limbs_);
  if (c == 0) {
    limbs_.clear();
    neg_ = false;
  } else if (c > 0) {
    sub_mag(limbs_, o.limbs_);
  } else {
    std::vector<uint32_t> r = o.limbs_;
    sub_mag(r, limbs_);
    limbs_ = std::move(r);
    neg_ = o.neg_;
  }
  trim();
}

BigInt BigInt::times_small(uint32_t m) const {
  BigInt r = *this;
  r.mul_add(m, 0);
  return r;
}

BigInt BigInt::times(const BigInt& o) const {
  BigInt r;
  if (is_zero() || o.is_zero()) return r;
  std::vector<uint64_t> acc(limbs_.size() + o.limbs_.size() + 1, 0);
  for (size_t i = 0; i < limbs_.size(); ++i) {
    uint64_t carry = 0;
    for (size_t j = 0; j < o.limbs_.size() || carry; ++j) {
      uint64_t cur = acc[i + j] + carry +
                     (j < o.limbs_.size() ? static_cast<uint64_t>(limbs_[i]) * o.limbs_[j] : 0);
      acc[i + j] = cur % kBase;
      carry = cur / kBase;
    }
  }
  for (auto v : acc) r.limbs_.push_back(static_cast<uint32_t>(v));
  r.neg_ = neg_ != o.neg_;
  r.trim();
  return r;
}

std::string BigInt::to_decimal() const {
  if (is_zero()) return "0";
  std::string s = negative() ? "-" : "";
  s += std::to_string(limbs_.back());
  for (size_t i = limbs_.size() - 1; i-- > 0;) {
    std::string part = std::to_string(limbs_[i]);
    s.append(9 - part.size(), '0');
    s += part;
  }
  return s;
}

size_t BigInt::decimal_digits() const {
  if (is_zero()) return 1;
  return (limbs_.size() - 1) * 9 + std::to_string(limbs_.back()).size();
}

bool BigInt::to_int64(int64_t& out) const {
  if (decimal_digits() > 19) return false;  // < 10^19 < 2^64 below
  uint64_t v = 0;
  for (size_t i = limbs_.size(); i-- > 0;) v = v * kBase + limbs_[i];
  const uint64_t lim = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative()) {
    if (v > lim + 1) return false;
    out = v == lim + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
  } else {
    if (v > lim) return false;
    out = static_cast<int64_t>(v);
  }
  return true;
}

void BigInt::trim() {
  while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
  if (limbs_.empty()) neg_ = false;
}

void BigInt::add_mag(const std::vector<uint32_t>& o) {
  if (limbs_.size() < o.size()) limbs_.resize(o.size(), 0);
  uint32_t carry = 0;
  for (size_t i = 0; i < limbs_.size(); ++i) {
    uint64_t v = static_cast<uint64_t>(limbs_[i]) + (i < o.size() ? o[i] : 0) + carry;
    limbs_[i] = static_cast<uint32_t>(v % kBase);
    carry = static_cast<uint32_t>(v / kBase);
  }
  if (carry) limbs_.push_back(carry);
}

int BigInt::cmp_mag(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (size_t i = a.size(); i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

void BigInt::sub_mag(std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  int64_t borrow = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    int64_t v = static_cast<int64_t>(a[i]) - (i < b.size() ? b[i] : 0) - borrow;
    borrow = v < 0 ? 1 : 0;
    if (v < 0) v += kBase;
    a[i] = static_cast<uint32_t>(v);
  }
}

}  // namespace saltgw::salt_args::detail
