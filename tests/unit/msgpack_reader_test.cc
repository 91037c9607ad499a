// Unit tests for salt_ipc/msgpack_reader.h (tokens, skip, msgpack_check agrees
// with msgpack_decode) and for Packed values (msgpack_decode_shared,
// make_packed, value.h): they behave as their decoded value, and the paths a
// large result takes (contains_string, approx_bytes, copies) never decode them.
#include "salt_ipc/msgpack_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <limits>
#include <random>
#include <string>

#include "salt_ipc/msgpack_codec.h"
#include "tests/unit/hex.h"

namespace saltgw::salt_ipc {
namespace {

using saltgw::testing::from_hex;
using saltgw::testing::to_hex;

// Reads the first token; its views point into a copy of the bytes kept for
// the rest of the test run.
MsgpackToken token(const std::string& input, size_t want_off) {
  static std::deque<std::string> kept;
  const std::string& bytes = kept.emplace_back(input);
  size_t off = 0;
  MsgpackToken t;
  EXPECT_TRUE(read_token(bytes, off, t)) << to_hex(bytes);
  EXPECT_EQ(off, want_off) << to_hex(bytes);
  return t;
}

TEST(MsgpackReaderTest, Integers) {
  EXPECT_EQ(token(from_hex("7f"), 1).i, 127);
  EXPECT_EQ(token(from_hex("e0"), 1).i, -32);
  EXPECT_EQ(token(from_hex("ccff"), 2).i, 255);
  EXPECT_EQ(token(from_hex("cdffff"), 3).i, 65535);
  EXPECT_EQ(token(from_hex("ceffffffff"), 5).i, 4294967295);
  EXPECT_EQ(token(from_hex("cf7fffffffffffffff"), 9).i, std::numeric_limits<int64_t>::max());
  MsgpackToken big = token(from_hex("cfffffffffffffffff"), 9);
  EXPECT_EQ(big.type, MsgpackToken::kUint);
  EXPECT_EQ(big.u, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(token(from_hex("d080"), 2).i, -128);
  EXPECT_EQ(token(from_hex("d07f"), 2).i, 127);
  EXPECT_EQ(token(from_hex("d18000"), 3).i, -32768);
  EXPECT_EQ(token(from_hex("d2fffffffe"), 5).i, -2);
  EXPECT_EQ(token(from_hex("d38000000000000000"), 9).i, std::numeric_limits<int64_t>::min());
}

TEST(MsgpackReaderTest, FloatsNilBool) {
  MsgpackToken f = token(from_hex("ca3fc00000"), 5);
  EXPECT_EQ(f.type, MsgpackToken::kDouble);
  EXPECT_EQ(f.d, 1.5);
  EXPECT_EQ(token(from_hex("cb3ff8000000000000"), 9).d, 1.5);
  EXPECT_EQ(token(from_hex("c0"), 1).type, MsgpackToken::kNil);
  EXPECT_TRUE(token(from_hex("c3"), 1).b);
  EXPECT_FALSE(token(from_hex("c2"), 1).b);
}

TEST(MsgpackReaderTest, StringsBinExtPointIntoTheInput) {
  std::string s = from_hex("a3616263");
  size_t off = 0;
  MsgpackToken t;
  ASSERT_TRUE(read_token(s, off, t));
  EXPECT_EQ(t.type, MsgpackToken::kStr);
  EXPECT_EQ(t.data, "abc");
  EXPECT_EQ(t.data.data(), s.data() + 1);  // not copied
  EXPECT_EQ(token(from_hex("d903616263"), 5).data, "abc");
  EXPECT_EQ(token(from_hex("da0003616263"), 6).data, "abc");
  EXPECT_EQ(token(from_hex("db00000003616263"), 8).data, "abc");
  EXPECT_EQ(token(from_hex("c403010203"), 5).type, MsgpackToken::kBin);
  EXPECT_EQ(token(from_hex("c500020102"), 5).data, from_hex("0102"));
  MsgpackToken e = token(from_hex("d40142"), 3);
  EXPECT_EQ(e.type, MsgpackToken::kExt);
  EXPECT_EQ(e.data, "B");  // without the type byte
  EXPECT_EQ(token(from_hex("c702054142"), 5).data, "AB");
  EXPECT_EQ(token(from_hex("d8" "05" "00112233445566778899aabbccddeeff"), 18).data.size(), 16u);
}

TEST(MsgpackReaderTest, ContainersAreHeaders) {
  MsgpackToken a = token(from_hex("dc0003"), 3);
  EXPECT_EQ(a.type, MsgpackToken::kArray);
  EXPECT_EQ(a.count, 3u);
  MsgpackToken m = token(from_hex("df00010000"), 5);
  EXPECT_EQ(m.type, MsgpackToken::kMap);
  EXPECT_EQ(m.count, 65536u);
  EXPECT_EQ(token(from_hex("93"), 1).count, 3u);
  EXPECT_EQ(token(from_hex("82"), 1).count, 2u);
}

TEST(MsgpackReaderTest, TruncatedOrReservedLeavesOffsetAlone) {
  for (const char* hex : {"", "c1", "cc", "cdff", "cf00", "d9", "d905616263", "c40201", "c7", "c70105", "d4",
                          "dc00", "ca0000", "cb00", "a2", "db000000"}) {
    std::string s = from_hex(hex);
    size_t off = 0;
    MsgpackToken t;
    EXPECT_FALSE(read_token(s, off, t)) << hex;
    EXPECT_EQ(off, 0u) << hex;
  }
}

TEST(MsgpackReaderTest, SkipWholeValues) {
  Value v(Map{{"a", Value(List{Value(1), Value(Map{{"x", Value("y")}}), Value()})}, {"b", Value(2.5)}});
  std::string enc = msgpack_encode(v) + "tail";
  EXPECT_EQ(msgpack_skip(enc, 0), enc.size() - 4);
  EXPECT_EQ(msgpack_skip(enc.substr(0, enc.size() - 6), 0), SIZE_MAX);
  EXPECT_EQ(msgpack_skip(from_hex("9201"), 0), SIZE_MAX);
}

TEST(MsgpackReaderTest, KeyStringsAsDecodeNamesThem) {
  auto key = [](const std::string& hex) {
    size_t off = 0;
    MsgpackToken t;
    std::string out;
    std::string bytes = from_hex(hex);
    EXPECT_TRUE(read_token(bytes, off, t));
    return msgpack_key_string(t, out) ? out : std::string("<refused>");
  };
  EXPECT_EQ(key("a161"), "a");
  EXPECT_EQ(key("c40161"), "a");
  EXPECT_EQ(key("01"), "1");
  EXPECT_EQ(key("ff"), "-1");
  EXPECT_EQ(key("cfffffffffffffffff"), "18446744073709551615");
  EXPECT_EQ(key("c3"), "true");
  EXPECT_EQ(key("c0"), "null");
  EXPECT_EQ(key("cb3ff8000000000000"), "1.5");
  EXPECT_EQ(key("90"), "<refused>");
  EXPECT_EQ(key("80"), "<refused>");
  EXPECT_EQ(key("d40142"), "<refused>");
  // The same names msgpack_decode gives these keys.
  auto d = msgpack_decode(from_hex("85" "01a0" "ffa0" "c3a0" "c0a0" "cb3ff8000000000000a0"));
  ASSERT_TRUE(d.ok());
  for (const char* k : {"1", "-1", "true", "null", "1.5"}) EXPECT_NE(d->find(k), nullptr) << k;
}

std::string nest(size_t levels, const std::string& inner, bool map) {
  std::string s;
  for (size_t i = 0; i < levels; ++i) s += map ? from_hex("81a0") : from_hex("91");
  return s + inner;
}

void expect_agree(const std::string& bytes, const DecodeLimits& limits = {}) {
  bool check = msgpack_check(bytes, limits).ok();
  bool decode = msgpack_decode(bytes, limits).ok();
  EXPECT_EQ(check, decode) << to_hex(bytes.substr(0, 64)) << " (" << bytes.size() << " bytes)";
}

TEST(MsgpackCheckTest, AgreesWithDecodeOnNesting) {
  for (size_t levels : {98u, 99u, 100u, 101u, 102u}) {
    for (const char* inner : {"01", "90", "80", "9101", "8001"}) {
      expect_agree(nest(levels, from_hex(inner), false));
      expect_agree(nest(levels, from_hex(inner), true));
    }
  }
  EXPECT_TRUE(msgpack_check(nest(100, from_hex("01"), false)).ok());
  EXPECT_FALSE(msgpack_check(nest(101, from_hex("01"), false)).ok());
  EXPECT_TRUE(msgpack_check(nest(99, from_hex("90"), false)).ok());
  EXPECT_FALSE(msgpack_check(nest(100, from_hex("90"), false)).ok());  // an empty list counts as a level
  DecodeLimits tight;
  for (size_t depth = 0; depth < 5; ++depth) {
    tight.max_depth = depth;
    for (size_t levels = 0; levels < 7; ++levels) {
      expect_agree(nest(levels, from_hex("01"), false), tight);
      expect_agree(nest(levels, from_hex("90"), true), tight);
    }
  }
}

TEST(MsgpackCheckTest, AgreesWithDecodeOnLimitsKeysAndJunk) {
  DecodeLimits tight;
  tight.max_elements = 2;
  tight.max_bytes = 16;
  for (const char* hex : {"920102", "93010203", "82a16101a16202", "83a16101a16202a16303", "90", "80",
                          "a3616263", "d910" "00112233445566778899aabbccddeeff"}) {
    expect_agree(from_hex(hex), tight);
    expect_agree(from_hex(hex));
  }
  for (const char* hex : {"81" "90" "01", "81" "80" "01", "81" "d40142" "01", "81" "9101" "01", "81" "c40161" "01",
                          "81" "ca3fc00000" "01", "0101", "c1", "dc0002", "92", "", "81a161", "d5"}) {
    expect_agree(from_hex(hex));
  }
  EXPECT_FALSE(msgpack_check(from_hex("81" "90" "01")).ok());
  EXPECT_EQ(msgpack_check(from_hex("0101")).error().message, "trailing bytes after msgpack object");
}

TEST(MsgpackCheckTest, AgreesWithDecodeOnRandomBytes) {
  std::mt19937 rng(14);
  DecodeLimits limits;
  limits.max_elements = 64;
  limits.max_depth = 6;
  std::string seed = msgpack_encode(Value(Map{{"return", Value(List{Value("a"), Value(1), Value(Map{{"k", Value(2.5)}})})},
                                              {"retcode", Value(0)}}));
  for (int n = 0; n < 20000; ++n) {
    std::string s;
    if (n % 2) {
      s = seed;  // a mutated valid message
      for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) s[rng() % s.size()] = static_cast<char>(rng());
      if (rng() % 4 == 0) s.resize(rng() % s.size());
    } else {
      s.resize(rng() % 12);
      for (char& c : s) c = static_cast<char>(rng() % 8 == 0 ? 0x90 + rng() % 3 : rng());
    }
    expect_agree(s, limits);
  }
}

// ---- Packed values -------------------------------------------------------

std::shared_ptr<const std::string> keep(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

Value packed_of(const Value& v) {
  auto bytes = keep(msgpack_encode(v));
  return make_packed(bytes, *bytes);
}

TEST(PackedValueTest, KindsArePeekedWithoutDecoding) {
  struct Case {
    std::string hex;
    Value::Kind kind;
  } cases[] = {{"c0", Value::kNull},     {"c3", Value::kBool},          {"05", Value::kInt},
               {"cfffffffffffffffff", Value::kDouble},                  {"ca3fc00000", Value::kDouble},
               {"a161", Value::kString}, {"c40161", Value::kBytes},     {"d40142", Value::kBytes},
               {"9101", Value::kList},   {"81a16101", Value::kMap}};
  for (const auto& c : cases) {
    auto bytes = keep(from_hex(c.hex));
    Value v = make_packed(bytes, *bytes);
    EXPECT_TRUE(v.is_packed());
    EXPECT_EQ(v.kind(), c.kind) << c.hex;
    EXPECT_FALSE(v.packed()->was_decoded()) << c.hex;
    EXPECT_EQ(v, msgpack_decode(*bytes).value()) << c.hex;  // compares the decoded value
    EXPECT_TRUE(v.packed()->was_decoded());
  }
}

TEST(PackedValueTest, AccessorsDecodeOnDemand) {
  Value plain(Map{{"b", Value(List{Value(1), Value("two")})}, {"a", Value(Bytes{"\x01"})}});
  Value v = packed_of(plain);
  EXPECT_TRUE(v.is_map());
  ASSERT_NE(v.find("b"), nullptr);
  EXPECT_EQ(v.find("b")->as_list().at(1).as_string(), "two");
  EXPECT_EQ(v.as_map().size(), 2u);
  EXPECT_EQ(v.debug_string(), plain.debug_string());
  Value copy = v;  // shares the packed bytes
  EXPECT_EQ(copy.packed(), v.packed());
  copy.as_map()["c"] = Value(3);  // the mutable accessor works on a decoded copy
  EXPECT_FALSE(copy.is_packed());
  EXPECT_EQ(copy.as_map().size(), 3u);
  EXPECT_EQ(v.as_map().size(), 2u);
  EXPECT_EQ(msgpack_encode(v), msgpack_encode(plain));
  EXPECT_EQ(packed_of(Value("x")).text(), "x");
}

TEST(PackedValueTest, ContainsStringAndSizeReadInPlace) {
  Value plain(Map{{"VALUE_TRIMMED", Value(1)}, {"list", Value(List{Value("a"), Value(Map{{"k", Value("needle")}})})}});
  Value v = packed_of(plain);
  EXPECT_TRUE(contains_string(v, "needle"));
  EXPECT_FALSE(contains_string(v, "VALUE_TRIMMED"));  // keys are not searched, as for the decoded value
  EXPECT_FALSE(contains_string(v, "nope"));
  EXPECT_EQ(contains_string(plain, "needle"), true);
  EXPECT_EQ(contains_string(plain, "VALUE_TRIMMED"), false);
  EXPECT_FALSE(contains_string(packed_of(Value(Bytes{"needle"})), "needle"));  // bin is not text
  EXPECT_GE(approx_bytes(v), msgpack_encode(plain).size());
  EXPECT_FALSE(v.packed()->was_decoded());
}

TEST(PackedValueTest, DecodeSharedKeepsLargeMembersPacked) {
  std::string big(100000, 'r');
  Value envelope(Map{{"id", Value("7")}, {"return", Value(big)}, {"retcode", Value(0)}, {"success", Value(true)}});
  auto bytes = keep(msgpack_encode(envelope));
  auto v = msgpack_decode_shared(bytes, *bytes, kPackedMinBytes);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_FALSE(v->is_packed());
  const Value* ret = v->find("return");
  ASSERT_NE(ret, nullptr);
  ASSERT_TRUE(ret->is_packed());
  EXPECT_TRUE(ret->is_string());
  EXPECT_EQ(ret->packed()->msgpack().data(), bytes->data() + bytes->find(big) - 5);  // after the str32 header: in place
  EXPECT_FALSE(v->find("id")->is_packed());
  EXPECT_EQ(v->find("retcode")->as_int(), 0);
  EXPECT_TRUE(v->find("success")->as_bool());
  EXPECT_FALSE(ret->packed()->was_decoded());
  EXPECT_EQ(v.value(), envelope);
  // A small message is decoded as usual.
  auto small = keep(msgpack_encode(Value(Map{{"return", Value("x")}})));
  EXPECT_FALSE(msgpack_decode_shared(small, *small, kPackedMinBytes)->find("return")->is_packed());
}

TEST(PackedValueTest, DecodeSharedMatchesDecode) {
  // Non-string and repeated keys, a packed list, errors.
  std::string msg = from_hex("84" "01" "a0" "a162" "dc0004" "01020304" "01" "a178" "c0" "c3");
  auto bytes = keep(msg);
  auto shared = msgpack_decode_shared(bytes, *bytes, 1);
  auto plain = msgpack_decode(msg);
  ASSERT_TRUE(shared.ok() && plain.ok());
  EXPECT_EQ(shared.value(), plain.value());
  EXPECT_EQ(shared->find("1")->as_string(), "x");
  EXPECT_TRUE(shared->find("b")->is_packed());
  for (const char* bad : {"81" "90" "01", "82a16101", "81a161c1", "0101"}) {
    auto b = keep(from_hex(bad));
    auto r = msgpack_decode_shared(b, *b, 1);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().kind, ErrorKind::kProtocol);
    }
  }
  DecodeLimits tight;
  tight.max_depth = 2;
  auto deep = keep(nest(3, from_hex("01"), false));
  EXPECT_FALSE(msgpack_decode_shared(deep, *deep, 1, tight).ok());
}

}  // namespace
}  // namespace saltgw::salt_ipc
