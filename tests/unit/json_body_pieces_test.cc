// JsonBody pulled in pieces of every size: the same bytes as json_write_chunked.
#include "rest/json_body.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "rest/json.h"

using saltgw::rest::json_write_chunked;
using saltgw::rest::JsonBody;
using saltgw::salt_ipc::Bytes;
using saltgw::salt_ipc::List;
using saltgw::salt_ipc::Map;
using saltgw::salt_ipc::Value;

namespace {

std::string reference(const Value& v) {
  std::string out;
  json_write_chunked(v, [&out](std::string_view piece) {
    out.append(piece);
    return true;
  });
  return out;
}

std::string pulled(const Value& v, size_t max, size_t* calls = nullptr) {
  JsonBody src(std::make_shared<const Value>(v));
  std::string out;
  size_t n = 0;
  while (true) {
    ++n;
    size_t before = out.size();
    bool more = src.next(out, max);
    EXPECT_LE(out.size() - before, max * 6 + 64) << "a piece far over max";
    if (!more) break;
    EXPECT_GT(out.size(), before) << "a call that gave nothing but said more";
    if (n > 10'000'000) break;
  }
  if (calls) *calls = n;
  return out;
}

// Random strings: ASCII, control bytes, quotes, valid and invalid UTF-8.
std::string random_text(std::mt19937& rng, size_t len) {
  static const std::vector<std::string> atoms = {"a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f",
                                                 "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc3", "\x80",
                                                 "\xed\xa0\x80", "\xff", "\xe2\x82", "\xf0\x9f"};
  std::string s;
  while (s.size() < len) s += atoms[rng() % atoms.size()];
  return s;
}

Value random_value(std::mt19937& rng, int depth) {
  switch (rng() % (depth > 4 ? 6 : 8)) {
    case 0: return Value();
    case 1: return Value(rng() % 2 == 0);
    case 2: return Value(static_cast<int64_t>(rng()) - int64_t{1} * (int64_t{1} << 31));
    case 3: {
      double specials[] = {0.0, -0.0, 1.5, 1e300, 3.14159, std::nan(""), std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(), 1e-7};
      return Value(specials[rng() % 9]);
    }
    case 4: return Value(random_text(rng, rng() % 40));
    case 5: return Value(Bytes{random_text(rng, rng() % 20)});
    case 6: {
      List l;
      for (size_t i = rng() % 6; i > 0; --i) l.push_back(random_value(rng, depth + 1));
      return Value(std::move(l));
    }
    default: {
      Map m;
      for (size_t i = rng() % 6; i > 0; --i) m[random_text(rng, rng() % 8)] = random_value(rng, depth + 1);
      return Value(std::move(m));
    }
  }
}

}  // namespace

TEST(JsonBodyPulled, ScalarsAndEmptyContainers) {
  for (const Value& v : {Value(), Value(true), Value(int64_t{-7}), Value(2.5), Value(std::nan("")), Value(""),
                         Value(List{}), Value(Map{}), Value("x")}) {
    for (size_t max : {1, 3, 65536}) EXPECT_EQ(pulled(v, max), reference(v)) << v.debug_string();
  }
}

TEST(JsonBodyPulled, ManyRandomValuesAnyPieceSize) {
  std::mt19937 rng(20261201);
  for (int i = 0; i < 2000; ++i) {
    Value v = random_value(rng, 0);
    std::string want = reference(v);
    for (size_t max : {size_t{1}, size_t{2}, size_t{5}, size_t{17}, size_t{4096}})
      ASSERT_EQ(pulled(v, max), want) << "value " << i << " max " << max << ": " << v.debug_string();
  }
}

TEST(JsonBodyPulled, ABigStringGoesOutInPieces) {
  std::mt19937 rng(7);
  std::string big = random_text(rng, 3'000'000);
  Value v(Map{{"ret", Value(big)}, {"n", Value(int64_t{1})}});
  size_t calls = 0;
  EXPECT_EQ(pulled(v, 65536, &calls), reference(v));
  EXPECT_GT(calls, 40u);  // not one 3 MB piece
}

TEST(JsonBodyPulled, DeepNestingNeedsNoRecursion) {
  Value v(int64_t{1});
  for (int i = 0; i < 100000; ++i) {
    List l;
    l.push_back(std::move(v));
    v = Value(std::move(l));
  }
  // Shared without a copy (copying and destroying a Value recurse, and
  // 100,000 levels overflow the stack under ASan).
  auto shared = std::make_shared<Value>(std::move(v));
  std::string out;
  {
    JsonBody src(shared);
    while (src.next(out, 65536)) {
    }
  }
  EXPECT_EQ(out.size(), 200001u);
  EXPECT_EQ(out.substr(0, 3), "[[[");
  // Let the nested value go without a deep recursion in its destructor.
  Value& top = *shared;
  while (top.is_list() && !top.as_list().empty()) {
    Value inner = std::move(top.as_list()[0]);
    top = std::move(inner);
  }
}
