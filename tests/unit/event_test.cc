// Unit tests for salt_ipc/event.h: event_pack/event_unpack in the current
// and pre-2014.1 wire forms, fixtures from real msgpack, and tag_matches.
#include "tests/unit/hex.h"
#include "salt_ipc/event.h"

#include <gtest/gtest.h>

#include <string>

#include "salt_ipc/msgpack_codec.h"

namespace saltgw::salt_ipc {
namespace {

using namespace std::string_literals;

using saltgw::testing::from_hex;

// ---- Fixtures (generated with the msgpack package of the Salt 3006 venv) ----

// Salt 3006 event (salt.payload.dumps packs with use_bin_type=True).
// python -c 'import msgpack; print((b"salt/job/20240101120000123456/ret/m1\n\n" + msgpack.packb({"fun": "test.echo", "return": "\u00e9t\u00e9", "retcode": 0, "success": True, "raw": b"\x00\xff", "fun_args": ["x", 1, 2.5, None]}, use_bin_type=True)).hex())'
const std::string kEvent3006 = from_hex(
    "73616c742f6a6f622f32303234303130313132303030303132333435362f7265742f6d310a0a86a366756ea974"
    "6573742e6563686fa672657475726ea5c3a974c3a9a7726574636f646500a773756363657373c3a3726177c402"
    "00ffa866756e5f6172677394a17801cb4004000000000000c0");

// Salt 2017.7 event (Python 2: old msgpack spec, everything is raw str).
// python -c 'import msgpack; print((b"salt/job/20170101120000123456/ret/m1\n\n" + msgpack.packb({"fun": "test.echo", "return": "a" * 40, "retcode": 0, "success": True, "raw": b"\x00\xff", "fun_args": ["x", 1, 2.5, None]}, use_bin_type=False)).hex())'
const std::string kEvent2017 = from_hex(
    "73616c742f6a6f622f32303137303130313132303030303132333435362f7265742f6d310a0a86a366756ea974"
    "6573742e6563686fa672657475726eda0028616161616161616161616161616161616161616161616161616161"
    "61616161616161616161616161a7726574636f646500a773756363657373c3a3726177a200ffa866756e5f6172"
    "677394a17801cb4004000000000000c0");

// Pre-2014.1 event: tag padded with '|' to 20 characters, data follows directly.
// python -c 'import msgpack; print((b"salt/job" + b"|"*12 + msgpack.packb({"jid": "20130101120000123456", "fun": "test.ping"}, use_bin_type=False)).hex())'
const std::string kEventPadded = from_hex(
    "73616c742f6a6f627c7c7c7c7c7c7c7c7c7c7c7c82a36a6964b43230313330313031313230303030313233343536"
    "a366756ea9746573742e70696e67");

// An event whose data is an empty map.
// python -c 'import msgpack; print((b"salt/job/20240101120000123456/new" + b"\n\n" + msgpack.packb({}, use_bin_type=True)).hex())'
const std::string kEventEmptyMap = from_hex(
    "73616c742f6a6f622f32303234303130313132303030303132333435362f6e65770a0a80");

TEST(EventTest, PackIsTagSeparatorMsgpack) {
  Value data(Map{{"a", Value(1)}});
  std::string raw = event_pack("salt/test", data);
  EXPECT_EQ(raw, "salt/test\n\n" + msgpack_encode(data));
}

TEST(EventTest, PackUnpackRoundTrip) {
  Value data(Map{{"fun", Value("test.ping")},
                 {"return", Value(List{Value(1), Value(Bytes{"\x00\n\n"s}), Value("x\n\ny")})},
                 {"nested", Value(Map{{"k", Value(2.5)}})}});
  for (const char* tag : {"salt/job/20240101120000123456/ret/m1", "__schedule_return", "x",
                          "a/very/long/tag/that/is/longer/than/twenty/chars"}) {
    auto ev = event_unpack(event_pack(tag, data));
    ASSERT_TRUE(ev.ok()) << tag << ": " << ev.error().message;
    EXPECT_EQ(ev->tag, tag);
    EXPECT_EQ(ev->data, data);
  }
}

TEST(EventTest, RoundTripNonMapData) {
  for (const Value& data : {Value("text"), Value(List{}), Value(), Value(42)}) {
    auto ev = event_unpack(event_pack("salt/t", data));
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    EXPECT_EQ(ev->data, data);
  }
}

TEST(EventTest, Salt3006Fixture) {
  auto ev = event_unpack(kEvent3006);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "salt/job/20240101120000123456/ret/m1");
  EXPECT_EQ(ev->data,
            Value(Map{{"fun", Value("test.echo")},
                      {"return", Value("\xc3\xa9t\xc3\xa9")},
                      {"retcode", Value(0)},
                      {"success", Value(true)},
                      {"raw", Value(Bytes{"\x00\xff"s})},
                      {"fun_args", Value(List{Value("x"), Value(1), Value(2.5), Value()})}}));
}

TEST(EventTest, Salt2017Fixture) {
  auto ev = event_unpack(kEvent2017);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "salt/job/20170101120000123456/ret/m1");
  EXPECT_EQ(ev->data,
            Value(Map{{"fun", Value("test.echo")},
                      {"return", Value(std::string(40, 'a'))},
                      {"retcode", Value(0)},
                      {"success", Value(true)},
                      {"raw", Value("\x00\xff"s)},  // old spec: bytes arrive as raw str
                      {"fun_args", Value(List{Value("x"), Value(1), Value(2.5), Value()})}}));
}

TEST(EventTest, OldPaddedTagDecodesToBareTag) {
  auto ev = event_unpack(kEventPadded);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "salt/job");
  EXPECT_EQ(ev->data, Value(Map{{"jid", Value("20130101120000123456")},
                                {"fun", Value("test.ping")}}));
}

TEST(EventTest, OldPaddedTagWithSeparatorInsideData) {
  // The data itself contains "\n\n": the padding must still win.
  Value data(Map{{"msg", Value("line1\n\nline2")}});
  std::string raw = "salt/auth" + std::string(11, '|') + msgpack_encode(data);
  auto ev = event_unpack(raw);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "salt/auth");
  EXPECT_EQ(ev->data, data);
}

TEST(EventTest, OldPaddedTagWithNoData) {
  auto ev = event_unpack("minion_start" + std::string(8, '|'));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "minion_start");
  EXPECT_EQ(ev->data, Value(Map{}));
}

TEST(EventTest, ShortTagDataWithPipeIsNotMistakenForPadding) {
  // '|' at offset 19 inside the msgpack data of a new-style event.
  Value data(Map{{"k", Value(std::string(30, '|'))}});
  auto ev = event_unpack(event_pack("t", data));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "t");
  EXPECT_EQ(ev->data, data);
}

// A new-style event (it has the "\n\n" separator) whose tag happens to have
// '|' as its 20th character. Salt's own unpack only falls back to the padded
// form when there is no separator at all, so this must decode.
TEST(EventTest, NewStyleTagWithPipeAtColumn20DecodesAsNewStyle) {
  const std::string tag = "custom/events/abcde|f";  // tag[19] == '|'
  ASSERT_EQ(tag[19], '|');
  Value data(Map{{"k", Value(1)}});
  auto ev = event_unpack(event_pack(tag, data));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, tag);
  EXPECT_EQ(ev->data, data);
}

TEST(EventTest, EmptyMapData) {
  auto ev = event_unpack(kEventEmptyMap);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "salt/job/20240101120000123456/new");
  EXPECT_EQ(ev->data, Value(Map{}));
}

TEST(EventTest, NothingAfterSeparatorIsEmptyMap) {
  auto ev = event_unpack("salt/x\n\n");
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "salt/x");
  EXPECT_EQ(ev->data, Value(Map{}));
}

TEST(EventTest, EmptyTag) {
  auto ev = event_unpack(event_pack("", Value(Map{{"a", Value(1)}})));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "");
  EXPECT_EQ(ev->data, Value(Map{{"a", Value(1)}}));
}

TEST(EventTest, InvalidMsgpackDataIsProtocolErrorNamingTag) {
  for (const std::string& raw : {"salt/bad\n\n\xc1"s, "salt/bad\n\n\x92\x01"s,
                                 "salt/bad\n\n\x01\x02"s, "salt/bad\n\n\xdb\xff\xff\xff\xff" "abc"s}) {
    auto ev = event_unpack(raw);
    ASSERT_FALSE(ev.ok()) << ev->data.debug_string();
    EXPECT_EQ(ev.error().kind, ErrorKind::kProtocol);
    EXPECT_NE(ev.error().message.find("salt/bad"), std::string::npos) << ev.error().message;
  }
}

TEST(EventTest, NoSeparatorAndShortIsProtocolError) {
  for (const char* raw : {"", "salt/job", "salt/job\n"}) {
    auto ev = event_unpack(raw);
    ASSERT_FALSE(ev.ok()) << raw;
    EXPECT_EQ(ev.error().kind, ErrorKind::kProtocol);
  }
}

TEST(EventTest, LimitsApplyToData) {
  DecodeLimits limits;
  limits.max_depth = 2;
  Value deep(List{Value(List{Value(List{Value(1)})})});
  auto ev = event_unpack(event_pack("salt/deep", deep), limits);
  ASSERT_FALSE(ev.ok());
  EXPECT_EQ(ev.error().kind, ErrorKind::kProtocol);
}

TEST(EventTest, TagMatchesIsStartsWith) {
  EXPECT_TRUE(tag_matches("salt/job/123/ret/m1", ""));
  EXPECT_TRUE(tag_matches("", ""));
  EXPECT_TRUE(tag_matches("salt/job/123/ret/m1", "salt/job/"));
  EXPECT_TRUE(tag_matches("salt/job/123/ret/m1", "salt/job/123/ret/m1"));
  EXPECT_TRUE(tag_matches("salt/jobs", "salt/job"));  // plain prefix, not path-aware
  EXPECT_FALSE(tag_matches("salt/job", "salt/job/"));
  EXPECT_FALSE(tag_matches("", "s"));
  EXPECT_FALSE(tag_matches("salt/job/1", "Salt/job"));  // case-sensitive
  EXPECT_FALSE(tag_matches("x/salt/job", "salt/job"));
  EXPECT_TRUE(tag_matches("__schedule_return", "__schedule"));
}

}  // namespace
}  // namespace saltgw::salt_ipc
