// Unit tests for rest/json_body.h: JsonBody writes byte for byte what
// json_write writes, for plain values and for packed (msgpack) ones, in pieces
// of any size; a randomized differential test over generated values and
// generated msgpack; and a packed result is never decoded on the way.
#include "rest/json_body.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "rest/json.h"
#include "salt_ipc/msgpack_codec.h"
#include "salt_ipc/msgpack_reader.h"
#include "tests/unit/hex.h"

namespace saltgw::rest {
namespace {

using salt_ipc::Bytes;
using salt_ipc::List;
using salt_ipc::Map;
using saltgw::testing::from_hex;
using saltgw::testing::to_hex;

// Everything a JsonBody writes, pulled in pieces of `max`.
std::string drain(const Value& v, size_t max, size_t* pieces = nullptr) {
  JsonBody body(std::make_shared<const Value>(v));
  std::string out;
  size_t n = 0;
  for (bool more = true; more;) {
    size_t before = out.size();
    more = body.next(out, max);
    // A piece is at most max plus one indivisible item: a number (up to 25
    // bytes), an escape or character, a closing quote and colon.
    EXPECT_LE(out.size() - before, max + 32) << "max " << max;
    ++n;
    if (n > 100000000) break;
  }
  if (pieces) *pieces = n;
  return out;
}

Value packed(const std::string& msgpack) {
  auto bytes = std::make_shared<const std::string>(msgpack);
  EXPECT_TRUE(salt_ipc::msgpack_check(*bytes).ok()) << to_hex(msgpack);
  return salt_ipc::make_packed(bytes, *bytes);
}

// JsonBody of v, plain and packed, in several piece sizes, equals json_write(v).
void expect_same(const Value& v) {
  std::string want = json_write(v);
  Value p = packed(salt_ipc::msgpack_encode(v));
  for (size_t max : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}, size_t{65536}}) {
    EXPECT_EQ(drain(v, max), want) << "plain, max " << max << ": " << v.debug_string();
    EXPECT_EQ(drain(p, max), want) << "packed, max " << max << ": " << v.debug_string();
  }
  EXPECT_FALSE(p.packed()->was_decoded());
  EXPECT_EQ(json_write(p), want);  // json_write of a packed value: the transcoder
  EXPECT_EQ(json_write(Value(List{p, Value(Map{{"k", p}})})), "[" + want + ",{\"k\":" + want + "}]");
}

TEST(JsonBodyTest, Scalars) {
  for (const Value& v : {Value(), Value(true), Value(false), Value(0), Value(-1), Value(42),
                         Value(std::numeric_limits<int64_t>::max()), Value(std::numeric_limits<int64_t>::min())})
    expect_same(v);
}

TEST(JsonBodyTest, Doubles) {
  for (double d : {0.0, -0.0, 1.0, -1.5, 0.1, 1e21, 1e-7, 123456789.125, 1e300, -1e-300, 5e-324,
                   std::numeric_limits<double>::max(), std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
                   9007199254740993.0, 3.14159})
    expect_same(Value(d));
  EXPECT_EQ(drain(Value(std::nan("")), 64), "null");
}

TEST(JsonBodyTest, StringsEscapesAndUnicode) {
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls.push_back(static_cast<char>(c));
  for (const std::string& s :
       {std::string(), std::string("plain"), controls, std::string("\"quoted\" \\ back / slash \x7f"),
        std::string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBF"),
        std::string(std::string("nul\0inside", 10))}) {
    expect_same(Value(s));
    expect_same(Value(Bytes{s}));
    expect_same(Value(Map{{s, Value(s)}}));
  }
}

TEST(JsonBodyTest, InvalidUtf8BecomesReplacementCharacters) {
  for (const char* hex : {"80", "bf41", "c0af", "c1bf", "e08080", "eda080", "edbfbf", "f4908080", "f8888080", "ff",
                          "c3", "e282", "f09f98", "41c3", "e2a8", "f09f41", "c3a9ff", "fe"}) {
    std::string s = from_hex(hex);
    expect_same(Value(s));
    expect_same(Value(Bytes{s}));
    expect_same(Value(Map{{s, Value(1)}}));
  }
  EXPECT_EQ(drain(Value(from_hex("41ff42")), 1), "\"A\xEF\xBF\xBD" "B\"");
}

TEST(JsonBodyTest, Containers) {
  expect_same(Value(List{}));
  expect_same(Value(Map{}));
  expect_same(Value(List{Value(List{}), Value(Map{}), Value(List{Value(List{Value()})})}));
  expect_same(Value(Map{{"b", Value(1)}, {"a", Value(List{Value("x"), Value(2.5)})}, {"", Value(Map{{"z", Value()}})}}));
  List deep{Value(1)};
  for (int i = 0; i < 90; ++i) deep = List{Value(std::move(deep)), Value(i)};
  expect_same(Value(deep));
}

TEST(JsonBodyTest, LargeStringGoesOutInPieces) {
  std::string big;
  for (int i = 0; i < 200000; ++i) big += i % 7 == 0 ? "\"q\"\n" : "line \xC3\xA9\\";
  Value v(Map{{"out", Value(big)}});
  size_t pieces = 0;
  std::string got = drain(packed(salt_ipc::msgpack_encode(v)), 65536, &pieces);
  EXPECT_EQ(got, json_write(v));
  EXPECT_GE(pieces, got.size() / 65544);
}

// msgpack that a Value cannot produce: non-string, repeated and unsorted keys,
// uint64 above INT64_MAX, float 32, ext, old raw strings, str 8.
TEST(JsonBodyTest, PackedMsgpackWrittenAsItsDecodedValue) {
  for (const char* hex : {
           "85" "01a161" "ffa162" "c3a163" "c0a164" "cb3ff8000000000000a165",
           "83" "a17a01" "a16102" "a17a03",           // "z" twice: the last wins, sorted after "a"
           "82" "a2c3a901" "c4026162" "02",           // a text key and a bin key
           "93" "cfffffffffffffffff" "ca3fc00000" "ca7f800000",
           "92" "d40142" "c70305616263",
           "91" "d903616263",
           "82" "a161" "82" "a17902" "a17801" "a162" "90",
           "81" "a161" "dc0000",
           "81" "cb7ff8000000000000" "01",             // NaN key: "nan"
       }) {
    std::string msg = from_hex(hex);
    auto decoded = salt_ipc::msgpack_decode(msg);
    ASSERT_TRUE(decoded.ok()) << hex;
    std::string want = json_write(decoded.value());
    for (size_t max : {size_t{1}, size_t{5}, size_t{4096}}) EXPECT_EQ(drain(packed(msg), max), want) << hex;
  }
}

// ---- randomized differential ---------------------------------------------

std::string random_text(std::mt19937& rng) {
  static const std::vector<std::string> atoms = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f",
                                                 "\x7f", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xFF",
                                                 "\x80", "\xC3", "\xED\xA0\x80", "\xF4\x90\x80\x80", std::string(1, '\0')};
  std::string s;
  size_t n = rng() % 4 == 0 ? rng() % 300 : rng() % 8;
  for (size_t i = 0; i < n; ++i) s += atoms[rng() % atoms.size()];
  return s;
}

Value random_value(std::mt19937& rng, int depth) {
  switch (rng() % (depth > 0 ? 9 : 6)) {
    case 0: return Value();
    case 1: return Value(rng() % 2 == 0);
    case 2: {
      static const int64_t edges[] = {0, -1, 1, 127, 128, -33, 65536, std::numeric_limits<int64_t>::max(),
                                      std::numeric_limits<int64_t>::min()};
      return rng() % 2 ? Value(edges[rng() % 9]) : Value(static_cast<int64_t>(rng()) - (int64_t{1} << 31));
    }
    case 3: {
      uint64_t bits = (uint64_t{rng()} << 32) | rng();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      static const double nice[] = {0.5, -2.25, 1e-5, 1e22, 0.1, -0.0};
      return Value(rng() % 2 ? d : nice[rng() % 6]);
    }
    case 4: return Value(random_text(rng));
    case 5: return Value(Bytes{random_text(rng)});
    case 6:
    case 7: {
      List l;
      for (size_t i = rng() % 5; i > 0; --i) l.push_back(random_value(rng, depth - 1));
      return Value(std::move(l));
    }
    default: {
      Map m;
      for (size_t i = rng() % 5; i > 0; --i) m[random_text(rng)] = random_value(rng, depth - 1);
      return Value(std::move(m));
    }
  }
}

TEST(JsonBodyDifferentialTest, RandomValues) {
  std::mt19937 rng(20261201);
  for (int n = 0; n < 3000; ++n) {
    Value v = random_value(rng, 4);
    std::string want = json_write(v);
    size_t max = 1 + rng() % 100;
    ASSERT_EQ(drain(v, max), want) << v.debug_string();
    ASSERT_EQ(drain(packed(salt_ipc::msgpack_encode(v)), max), want) << v.debug_string();
    std::string chunked;
    json_write_chunked(v, [&](std::string_view p) { chunked.append(p); return true; }, max);
    ASSERT_EQ(chunked, want);
  }
}

// Random msgpack, every format (including what a Value cannot produce), kept
// when msgpack_check accepts it: transcoded == json_write(msgpack_decode).
void random_msgpack(std::mt19937& rng, int depth, std::string& out) {
  auto be = [&](uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
  };
  int pick = static_cast<int>(rng() % (depth > 0 ? 16 : 13));
  switch (pick) {
    case 0: out.push_back(static_cast<char>(rng() % 0x80)); break;
    case 1: out.push_back(static_cast<char>(0xe0 + rng() % 32)); break;
    case 2:
    case 3: {
      int k = static_cast<int>(rng() % 4);
      out.push_back(static_cast<char>((pick == 2 ? 0xcc : 0xd0) + k));
      be((uint64_t{rng()} << 32) | rng(), 1 << k);
      break;
    }
    case 4: out.push_back(static_cast<char>(0xca)); be(rng(), 4); break;
    case 5: out.push_back(static_cast<char>(0xcb)); be((uint64_t{rng()} << 32) | rng(), 8); break;
    case 6: out.push_back(static_cast<char>(0xc0 + (rng() % 3 == 0 ? 0 : 2 + rng() % 2))); break;
    case 7:
    case 8:
    case 9: {
      std::string s = random_text(rng);
      static const unsigned char heads[] = {0xd9, 0xda, 0xdb, 0xc4, 0xc5, 0xc6};
      if (s.size() < 32 && rng() % 2) {
        out.push_back(static_cast<char>(0xa0 + s.size()));
      } else {
        unsigned char h = heads[rng() % 6];
        int n = h == 0xd9 || h == 0xc4 ? 1 : h == 0xda || h == 0xc5 ? 2 : 4;
        if (n == 1 && s.size() > 255) s.resize(255);
        out.push_back(static_cast<char>(h));
        be(s.size(), n);
      }
      out += s;
      break;
    }
    case 10: {
      int k = static_cast<int>(rng() % 5);
      out.push_back(static_cast<char>(0xd4 + k));
      out.push_back(static_cast<char>(rng()));
      out.append(size_t{1} << k, 'e');
      break;
    }
    case 11: out.push_back(static_cast<char>(0xc7)); out.push_back(3); out.push_back(1); out += "ext"; break;
    case 12: out.push_back(static_cast<char>(0xc0)); break;
    case 13:
    case 14: {
      size_t n = rng() % 5;
      if (rng() % 2) out.push_back(static_cast<char>(0x90 + n));
      else { out.push_back(static_cast<char>(0xdc)); be(n, 2); }
      for (size_t i = 0; i < n; ++i) random_msgpack(rng, depth - 1, out);
      break;
    }
    default: {
      size_t n = rng() % 5;
      if (rng() % 2) out.push_back(static_cast<char>(0x80 + n));
      else { out.push_back(static_cast<char>(0xde)); be(n, 2); }
      for (size_t i = 0; i < n; ++i) {
        // Keys: mostly short text (repeats likely), sometimes a scalar or a container.
        if (rng() % 4) { std::string k(1, static_cast<char>('a' + rng() % 3)); out.push_back(static_cast<char>(0xa1)); out += k; }
        else random_msgpack(rng, 0, out);
        random_msgpack(rng, depth - 1, out);
      }
    }
  }
}

TEST(JsonBodyDifferentialTest, RandomMsgpack) {
  std::mt19937 rng(14);
  int accepted = 0;
  for (int n = 0; n < 5000; ++n) {
    std::string msg;
    random_msgpack(rng, 4, msg);
    auto decoded = salt_ipc::msgpack_decode(msg);
    ASSERT_EQ(salt_ipc::msgpack_check(msg).ok(), decoded.ok()) << to_hex(msg);
    if (!decoded) continue;
    ++accepted;
    Value p = packed(msg);
    ASSERT_EQ(drain(p, 1 + rng() % 64), json_write(decoded.value())) << to_hex(msg);
    ASSERT_FALSE(p.packed()->was_decoded());
  }
  EXPECT_GT(accepted, 3000);
}

}  // namespace
}  // namespace saltgw::rest
