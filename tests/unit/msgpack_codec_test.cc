// Unit tests for salt_ipc/msgpack_codec.h: round trips, str/bin distinction,
// old-spec (raw str) payloads, map key conversion, and hostile input.
#include "tests/unit/hex.h"
#include "salt_ipc/msgpack_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace saltgw::salt_ipc {
namespace {

using namespace std::string_literals;

using saltgw::testing::from_hex;

using saltgw::testing::to_hex;

Value round_trip(const Value& v) {
  auto r = msgpack_decode(msgpack_encode(v));
  EXPECT_TRUE(r.ok()) << v.debug_string() << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : Value("<decode failed>");
}

void expect_protocol_error(std::string_view bytes, const DecodeLimits& limits = {}) {
  auto r = msgpack_decode(bytes, limits);
  ASSERT_FALSE(r.ok()) << "decoded " << to_hex(bytes) << " as " << r.value().debug_string();
  EXPECT_EQ(r.error().kind, ErrorKind::kProtocol) << r.error().message;
  EXPECT_FALSE(r.error().message.empty());
}

// ---- round trips ----

TEST(MsgpackCodecTest, RoundTripNullAndBool) {
  EXPECT_TRUE(round_trip(Value()).is_null());
  EXPECT_EQ(round_trip(Value(true)), Value(true));
  EXPECT_EQ(round_trip(Value(false)), Value(false));
}

TEST(MsgpackCodecTest, RoundTripIntegers) {
  const int64_t cases[] = {0,
                           1,
                           127,
                           128,
                           255,
                           256,
                           65535,
                           65536,
                           int64_t{1} << 32,
                           -1,
                           -32,
                           -33,
                           -128,
                           -129,
                           -32768,
                           -32769,
                           -(int64_t{1} << 31) - 1,
                           std::numeric_limits<int64_t>::max(),
                           std::numeric_limits<int64_t>::min()};
  for (int64_t i : cases) {
    Value v = round_trip(Value(i));
    ASSERT_TRUE(v.is_int()) << i;
    EXPECT_EQ(v.as_int(), i);
  }
}

TEST(MsgpackCodecTest, RoundTripDoubles) {
  const double cases[] = {1.5, -2.25, 0.1, 1e300, -1e-300, 3.141592653589793,
                          std::numeric_limits<double>::infinity(),
                          -std::numeric_limits<double>::infinity(),
                          std::numeric_limits<double>::denorm_min()};
  for (double d : cases) {
    Value v = round_trip(Value(d));
    ASSERT_TRUE(v.is_double()) << d;
    EXPECT_EQ(v.as_double(), d);
  }
  Value nan = round_trip(Value(std::numeric_limits<double>::quiet_NaN()));
  ASSERT_TRUE(nan.is_double());
  EXPECT_TRUE(std::isnan(nan.as_double()));
}

// A float with an integral value must stay a float: Salt (Python) would
// otherwise receive int 1 for 1.0, and -0.0 would lose its sign.
// Expected bytes: python -c 'import msgpack; print(msgpack.packb(1.0).hex(), msgpack.packb(0.0).hex(), msgpack.packb(-0.0).hex())'
TEST(MsgpackCodecTest, IntegralDoublesEncodeAsFloat64) {
  EXPECT_EQ(to_hex(msgpack_encode(Value(1.0))), "cb3ff0000000000000");
  EXPECT_EQ(to_hex(msgpack_encode(Value(0.0))), "cb0000000000000000");
  EXPECT_EQ(to_hex(msgpack_encode(Value(-0.0))), "cb8000000000000000");
  for (double d : {0.0, -0.0, 1.0, 2.0, -3.0, 1e15, 4294967296.0}) {
    Value v = round_trip(Value(d));
    ASSERT_TRUE(v.is_double()) << d << " came back as " << v.debug_string();
    EXPECT_EQ(v.as_double(), d);
    EXPECT_EQ(std::signbit(v.as_double()), std::signbit(d)) << d;
  }
}

TEST(MsgpackCodecTest, RoundTripStringsOfEveryHeaderSize) {
  for (size_t n : {0u, 1u, 31u, 32u, 255u, 256u, 65535u, 65536u, 70000u}) {
    std::string s(n, 'x');
    if (n > 2) s[n / 2] = '\0';
    Value v = round_trip(Value(s));
    ASSERT_TRUE(v.is_string()) << n;
    EXPECT_EQ(v.as_string(), s) << n;
  }
  EXPECT_EQ(round_trip(Value("\xc3\xa9t\xc3\xa9 \xe2\x9c\x93")), Value("\xc3\xa9t\xc3\xa9 \xe2\x9c\x93"));
}

TEST(MsgpackCodecTest, RoundTripBytesOfEveryHeaderSize) {
  for (size_t n : {0u, 1u, 255u, 256u, 65535u, 65536u}) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i & 0xff));
    Value v = round_trip(Value(Bytes{s}));
    ASSERT_TRUE(v.is_bytes()) << n;
    EXPECT_EQ(v.as_bytes().data, s) << n;
  }
}

TEST(MsgpackCodecTest, RoundTripContainers) {
  List big_list;
  for (int i = 0; i < 70000; ++i) big_list.emplace_back(i);
  Map big_map;
  for (int i = 0; i < 20; ++i) big_map.emplace("k" + std::to_string(i), Value(i));
  Value v(Map{
      {"empty_list", Value(List{})},
      {"empty_map", Value(Map{})},
      {"list", Value(List{Value(), Value(true), Value(1), Value(2.5), Value("s"),
                          Value(Bytes{"b"}), Value(List{Value(List{})}),
                          Value(Map{{"x", Value("y")}})})},
      {"big_list", Value(big_list)},
      {"big_map", Value(big_map)},
      {"nested", Value(Map{{"a", Value(Map{{"b", Value(Map{{"c", Value(-1)}})}})}})},
  });
  EXPECT_EQ(round_trip(v), v);
}

// ---- exact encoding and str vs bin ----

TEST(MsgpackCodecTest, EncodesTextAsStrAndBytesAsBin) {
  EXPECT_EQ(to_hex(msgpack_encode(Value("abc"))), "a3616263");
  EXPECT_EQ(to_hex(msgpack_encode(Value(Bytes{"abc"}))), "c403616263");
  EXPECT_EQ(to_hex(msgpack_encode(Value(std::string(40, 'a')))).substr(0, 4), "d928");
  EXPECT_EQ(to_hex(msgpack_encode(Value())), "c0");
  EXPECT_EQ(to_hex(msgpack_encode(Value(true))), "c3");
  EXPECT_EQ(to_hex(msgpack_encode(Value(Map{{"a", Value(1)}}))), "81a16101");
}

TEST(MsgpackCodecTest, AppendingEncodeKeepsExistingContent) {
  std::string out = "prefix";
  msgpack_encode(Value(1), out);
  EXPECT_EQ(out, "prefix\x01"s);
}

TEST(MsgpackCodecTest, StrAndBinStayDistinct) {
  Value v(List{Value("same"), Value(Bytes{"same"})});
  Value back = round_trip(v);
  ASSERT_TRUE(back.is_list());
  ASSERT_EQ(back.as_list().size(), 2u);
  EXPECT_TRUE(back.as_list()[0].is_string());
  EXPECT_TRUE(back.as_list()[1].is_bytes());
  EXPECT_FALSE(back.as_list()[0] == back.as_list()[1]);
  EXPECT_EQ(back.as_list()[0].text(), back.as_list()[1].text());
}

TEST(MsgpackCodecTest, DecodesBinFormats) {
  auto b8 = msgpack_decode(from_hex("c40200ff"));
  ASSERT_TRUE(b8.ok());
  EXPECT_EQ(b8.value(), Value(Bytes{"\x00\xff"s}));
  auto b16 = msgpack_decode(from_hex("c5000161"));
  ASSERT_TRUE(b16.ok());
  EXPECT_EQ(b16.value(), Value(Bytes{"a"}));
  auto b32 = msgpack_decode(from_hex("c60000000161"));
  ASSERT_TRUE(b32.ok());
  EXPECT_EQ(b32.value(), Value(Bytes{"a"}));
}

// ---- old msgpack spec (raw str, no bin type) ----

TEST(MsgpackCodecTest, DecodesRaw16FromOldSpec) {
  // python3 -c 'import msgpack; print(msgpack.packb("a"*40, use_bin_type=False).hex())'
  // The old spec has no str8: a 40-byte string is raw16 (0xda).
  auto r = msgpack_decode(from_hex(
      "da002861616161616161616161616161616161616161616161616161616161616161616161616161616161"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->is_string());
  EXPECT_EQ(r->as_string(), std::string(40, 'a'));
}

TEST(MsgpackCodecTest, DecodesRawMapFromOldSpec) {
  // python3 -c 'import msgpack; print(msgpack.packb({"k": "b"*300}, use_bin_type=False).hex())'
  // -> "81a16bda012c" followed by 300 x "62".
  std::string bytes = from_hex("81a16bda012c") + std::string(300, 'b');
  auto r = msgpack_decode(bytes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_NE(r->find("k"), nullptr);
  EXPECT_EQ(*r->find("k"), Value(std::string(300, 'b')));
}

TEST(MsgpackCodecTest, DecodesRaw32FromOldSpec) {
  auto r = msgpack_decode(from_hex("db00000003616263"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value(), Value("abc"));
}

TEST(MsgpackCodecTest, RawStrWithNonUtf8BytesStillDecodesAsString) {
  // Python 2 minions packed byte strings as raw str: the payload need not be UTF-8.
  auto r = msgpack_decode(from_hex("a300ff80"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->is_string());
  EXPECT_EQ(r->as_string(), "\x00\xff\x80"s);
}

// ---- map keys ----

TEST(MsgpackCodecTest, NonStringMapKeysBecomeJsonStrings) {
  // {1: "one", True: "t", None: "n", -5: "neg"} written by hand (Python would
  // merge 1 and True into one key).
  auto r = msgpack_decode(from_hex("8401a36f6e65c3a174c0a16efba36e6567"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value(), Value(Map{{"1", Value("one")},
                                 {"true", Value("t")},
                                 {"null", Value("n")},
                                 {"-5", Value("neg")}}));
}

TEST(MsgpackCodecTest, FalseAndLargeIntegerKeys) {
  // {False: 0, 4294967296: 1}
  auto r = msgpack_decode(from_hex("82c200cf000000010000000001"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value(), Value(Map{{"false", Value(0)}, {"4294967296", Value(1)}}));
}

TEST(MsgpackCodecTest, BinMapKeyBecomesItsText) {
  auto r = msgpack_decode(from_hex("81c4036b657901"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value(), Value(Map{{"key", Value(1)}}));
}

TEST(MsgpackCodecTest, ContainerMapKeyIsProtocolError) {
  expect_protocol_error(from_hex("819101a0"));  // {[1]: ""}
}

// ---- numbers ----

TEST(MsgpackCodecTest, Uint64AboveInt64MaxDecodesAsDouble) {
  auto max = msgpack_decode(from_hex("cfffffffffffffffff"));
  ASSERT_TRUE(max.ok());
  ASSERT_TRUE(max->is_double());
  EXPECT_EQ(max->as_double(), 18446744073709551615.0);
  auto just_above = msgpack_decode(from_hex("cf8000000000000000"));
  ASSERT_TRUE(just_above.ok());
  ASSERT_TRUE(just_above->is_double());
  EXPECT_EQ(just_above->as_double(), 9223372036854775808.0);
  auto int64_max = msgpack_decode(from_hex("cf7fffffffffffffff"));
  ASSERT_TRUE(int64_max.ok());
  ASSERT_TRUE(int64_max->is_int());
  EXPECT_EQ(int64_max->as_int(), std::numeric_limits<int64_t>::max());
}

TEST(MsgpackCodecTest, DecodesEveryIntegerWidth) {
  struct Case {
    const char* hex;
    int64_t want;
  } cases[] = {{"7f", 127},          {"cc80", 128},         {"cd0100", 256},
               {"ce00010000", 65536}, {"e0", -32},          {"d080", -128},
               {"d18000", -32768},    {"d280000000", INT32_MIN},
               {"d38000000000000000", std::numeric_limits<int64_t>::min()}};
  for (const auto& c : cases) {
    auto r = msgpack_decode(from_hex(c.hex));
    ASSERT_TRUE(r.ok()) << c.hex;
    ASSERT_TRUE(r->is_int()) << c.hex;
    EXPECT_EQ(r->as_int(), c.want) << c.hex;
  }
}

TEST(MsgpackCodecTest, Float32DecodesAsDouble) {
  auto r = msgpack_decode(from_hex("ca3fc00000"));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->is_double());
  EXPECT_EQ(r->as_double(), 1.5);
}

TEST(MsgpackCodecTest, ExtDecodesAsBytes) {
  auto fixext1 = msgpack_decode(from_hex("d401ab"));
  ASSERT_TRUE(fixext1.ok()) << fixext1.error().message;
  EXPECT_EQ(fixext1.value(), Value(Bytes{"\xab"s}));
  auto ext8 = msgpack_decode(from_hex("c70305616263"));
  ASSERT_TRUE(ext8.ok()) << ext8.error().message;
  EXPECT_EQ(ext8.value(), Value(Bytes{"abc"}));
}

// ---- hostile input: always kProtocol, never a crash ----

TEST(MsgpackCodecTest, EmptyInputIsProtocolError) { expect_protocol_error(""); }

TEST(MsgpackCodecTest, EveryTruncationIsProtocolError) {
  Value v(Map{{"fun", Value("test.ping")},
              {"args", Value(List{Value(1), Value(int64_t{1} << 40), Value(2.5),
                                  Value(Bytes{"xyz"}), Value(std::string(300, 'q'))})},
              {"ok", Value(true)}});
  std::string full = msgpack_encode(v);
  for (size_t n = 0; n < full.size(); ++n) {
    SCOPED_TRACE("prefix length " + std::to_string(n));
    expect_protocol_error(std::string_view(full).substr(0, n));
  }
  EXPECT_TRUE(msgpack_decode(full).ok());
}

TEST(MsgpackCodecTest, TrailingBytesAreProtocolError) {
  expect_protocol_error(from_hex("0101"));
  expect_protocol_error(msgpack_encode(Value(Map{{"a", Value(1)}})) + "\xc0");
  expect_protocol_error(msgpack_encode(Value("abc")) + "x");
}

TEST(MsgpackCodecTest, NestingDeeperThanLimitIsProtocolError) {
  DecodeLimits limits;
  limits.max_depth = 8;
  auto nested = [](size_t depth) {
    return std::string(depth, static_cast<char>(0x91)) + "\x01";  // [[[...[1]...]]]
  };
  auto at_limit = msgpack_decode(nested(8), limits);
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().message;
  expect_protocol_error(nested(9), limits);
  // Maps count as nesting too: {"a": {"a": ... }}
  std::string maps;
  for (int i = 0; i < 9; ++i) maps += "\x81\xa1" "a";
  maps += "\x01";
  expect_protocol_error(maps, limits);
}

TEST(MsgpackCodecTest, DefaultLimitRejectsVeryDeepNesting) {
  std::string deep(100000, static_cast<char>(0x91));
  deep += "\x01";
  expect_protocol_error(deep);
  std::string deep_maps;
  for (int i = 0; i < 5000; ++i) deep_maps += "\x81\xa1" "k";
  deep_maps += "\xc0";
  expect_protocol_error(deep_maps);
}

TEST(MsgpackCodecTest, HugeLengthHeadersWithFewBytesAreProtocolErrors) {
  // str32 claiming 4 GB with 3 bytes present.
  expect_protocol_error(from_hex("dbffffffff616263"));
  // bin32 claiming 4 GB.
  expect_protocol_error(from_hex("c6ffffffff616263"));
  // ext32 claiming 4 GB.
  expect_protocol_error(from_hex("c9ffffffff01616263"));
  // array32 / map32 claiming 4G elements.
  expect_protocol_error(from_hex("ddffffffff01"));
  expect_protocol_error(from_hex("dfffffffffa16101"));
  // str32 length just over max_bytes.
  DecodeLimits limits;
  limits.max_bytes = 16;
  expect_protocol_error(from_hex("db00000011") + std::string(17, 'a'), limits);
}

TEST(MsgpackCodecTest, ElementLimitIsProtocolError) {
  DecodeLimits limits;
  limits.max_elements = 4;
  auto ok = msgpack_decode(from_hex("9401020304"), limits);
  EXPECT_TRUE(ok.ok());
  expect_protocol_error(from_hex("950102030405"), limits);
  expect_protocol_error(from_hex("85a16101a16202a16303a16404a16505"), limits);
}

TEST(MsgpackCodecTest, MessageOverMaxBytesIsProtocolError) {
  DecodeLimits limits;
  limits.max_bytes = 8;
  expect_protocol_error(msgpack_encode(Value(std::string(20, 'x'))), limits);
}

TEST(MsgpackCodecTest, ReservedByteIsProtocolError) {
  expect_protocol_error(from_hex("c1"));
  expect_protocol_error(from_hex("91c1"));
}

TEST(MsgpackCodecTest, GarbageNeverCrashes) {
  // Deterministic pseudo-random byte strings: whatever happens, no crash and
  // any failure is kProtocol.
  uint32_t x = 12345;
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    size_t len = 1 + (i % 24);
    for (size_t j = 0; j < len; ++j) {
      x = x * 1103515245u + 12345u;
      s.push_back(static_cast<char>(x >> 16));
    }
    auto r = msgpack_decode(s);
    if (!r.ok()) {
      EXPECT_EQ(r.error().kind, ErrorKind::kProtocol) << to_hex(s);
    }
  }
}

}  // namespace
}  // namespace saltgw::salt_ipc
