// Unit tests for salt_ipc/frame.h: the streaming IPC frame decoder and
// frame_encode, including byte fixtures made the way real minions frame.
#include "tests/unit/hex.h"
#include "salt_ipc/frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "salt_ipc/event.h"
#include "salt_ipc/msgpack_codec.h"

namespace saltgw::salt_ipc {
namespace {

using namespace std::string_literals;

using saltgw::testing::from_hex;

// ---- Fixtures (generated with the msgpack package of the Salt 3006 venv) ----

// Salt 3006: body is bytes, packed as bin.
// python -c 'import msgpack; print(msgpack.packb({"head": {}, "body": b"salt/job/20240101120000123456/ret/m1\n\n" + msgpack.packb({"fun": "test.ping", "return": True, "success": True, "retcode": 0}, use_bin_type=True)}, use_bin_type=True).hex())'
const std::string kFrame3006Bin = from_hex(
    "82a46865616480a4626f6479c44f73616c742f6a6f622f32303234303130313132303030303132333435362f"
    "7265742f6d310a0a84a366756ea9746573742e70696e67a672657475726ec3a773756363657373c3a772657463"
    "6f646500");

// Salt 3006 with a text body (packed as str).
// python -c 'import msgpack; print(msgpack.packb({"head": {}, "body": "hello\n\n\x80"}, use_bin_type=True).hex())'
const std::string kFrame3006Str = from_hex("82a46865616480a4626f6479a968656c6c6f0a0ac280");

// Salt 2017.7 (Python 2 era): old spec, every string/bytes is raw str.
// python -c 'import msgpack; print(msgpack.packb({"head": {}, "body": b"salt/job/20170101120000123456/ret/m1\n\n" + msgpack.packb({"fun": "test.ping", "return": True, "success": True, "retcode": 0}, use_bin_type=False)}, use_bin_type=False).hex())'
const std::string kFrame2017 = from_hex(
    "82a46865616480a4626f6479da004f73616c742f6a6f622f32303137303130313132303030303132333435362f"
    "7265742f6d310a0a84a366756ea9746573742e70696e67a672657475726ec3a773756363657373c3a772657463"
    "6f646500");

// A frame without "head".
// python -c 'import msgpack; print(msgpack.packb({"body": b"x"}, use_bin_type=True).hex())'
const std::string kFrameNoHead = from_hex("81a4626f6479c40178");

// A frame with a non-empty head.
// python -c 'import msgpack; print(msgpack.packb({"head": {"mid": 7, "x": "y"}, "body": b"payload"}, use_bin_type=True).hex())'
const std::string kFrameWithHead =
    from_hex("82a46865616482a36d696407a178a179a4626f6479c4077061796c6f6164");

std::vector<Frame> decode_all(std::string_view bytes) {
  FrameDecoder d;
  std::vector<Frame> out;
  auto st = d.feed(bytes, out);
  EXPECT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(d.buffered(), 0u);
  return out;
}

std::vector<Frame> decode_byte_by_byte(std::string_view bytes) {
  FrameDecoder d;
  std::vector<Frame> out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto st = d.feed(bytes.substr(i, 1), out);
    EXPECT_TRUE(st.ok()) << "at byte " << i << ": " << st.error().message;
    if (!st.ok()) break;
  }
  EXPECT_EQ(d.buffered(), 0u);
  return out;
}

void expect_same_frames(const std::vector<Frame>& a, const std::vector<Frame>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].body, b[i].body) << i;
    EXPECT_EQ(a[i].head, b[i].head) << i;
  }
}

TEST(FrameTest, DecodesSalt3006BinFrame) {
  auto frames = decode_all(kFrame3006Bin);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].head, Value(Map{}));
  auto ev = event_unpack(frames[0].body);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "salt/job/20240101120000123456/ret/m1");
  EXPECT_EQ(ev->data, Value(Map{{"fun", Value("test.ping")},
                                {"return", Value(true)},
                                {"success", Value(true)},
                                {"retcode", Value(0)}}));
}

TEST(FrameTest, DecodesStrBody) {
  auto frames = decode_all(kFrame3006Str);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].body, "hello\n\n\xc2\x80"s);
}

TEST(FrameTest, DecodesSalt2017RawFrame) {
  auto frames = decode_all(kFrame2017);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].head, Value(Map{}));
  auto ev = event_unpack(frames[0].body);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "salt/job/20170101120000123456/ret/m1");
  ASSERT_NE(ev->data.find("fun"), nullptr);
  EXPECT_EQ(*ev->data.find("fun"), Value("test.ping"));  // raw str decodes as text
  EXPECT_EQ(*ev->data.find("return"), Value(true));
}

TEST(FrameTest, HeadAbsentIsNull) {
  auto frames = decode_all(kFrameNoHead);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].body, "x");
  EXPECT_TRUE(frames[0].head.is_null());
}

TEST(FrameTest, HeadPresentIsDecoded) {
  auto frames = decode_all(kFrameWithHead);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].body, "payload");
  EXPECT_EQ(frames[0].head, Value(Map{{"mid", Value(7)}, {"x", Value("y")}}));
}

TEST(FrameTest, SeveralFramesInOneFeed) {
  std::string stream =
      kFrame3006Bin + kFrame3006Str + kFrame2017 + kFrameNoHead + kFrameWithHead;
  auto frames = decode_all(stream);
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[1].body, "hello\n\n\xc2\x80"s);
  EXPECT_EQ(frames[3].body, "x");
  EXPECT_EQ(frames[4].body, "payload");
}

TEST(FrameTest, ByteByByteGivesSameFrames) {
  std::string stream =
      kFrame3006Bin + kFrame3006Str + kFrame2017 + kFrameNoHead + kFrameWithHead;
  auto whole = decode_all(stream);
  auto bytewise = decode_byte_by_byte(stream);
  ASSERT_EQ(whole.size(), 5u);
  expect_same_frames(whole, bytewise);
}

TEST(FrameTest, EverySplitPointGivesSameFrames) {
  std::string stream = kFrame3006Bin + kFrame2017 + frame_encode(std::string(70000, 'z'));
  auto whole = decode_all(stream);
  ASSERT_EQ(whole.size(), 3u);
  for (size_t cut = 0; cut <= stream.size(); cut += (cut < 300 ? 1 : 997)) {
    FrameDecoder d;
    std::vector<Frame> out;
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(0, cut), out).ok()) << cut;
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(cut), out).ok()) << cut;
    expect_same_frames(whole, out);
  }
}

TEST(FrameTest, PartialFrameIsHeldUntilComplete) {
  FrameDecoder d;
  std::vector<Frame> out;
  ASSERT_TRUE(d.feed(std::string_view(kFrame3006Bin).substr(0, 10), out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_GT(d.buffered(), 0u);
  ASSERT_TRUE(d.feed(std::string_view(kFrame3006Bin).substr(10), out).ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(d.buffered(), 0u);
}

// frame.h: buffered() is "Bytes received but not yet part of a complete frame."
TEST(FrameTest, BufferedCountsEveryByteOfAPartialFrame) {
  FrameDecoder d;
  std::vector<Frame> out;
  ASSERT_TRUE(d.feed(std::string_view(kFrame3006Bin).substr(0, 10), out).ok());
  EXPECT_EQ(d.buffered(), 10u);
}

TEST(FrameTest, EmptyFeedIsHarmless) {
  FrameDecoder d;
  std::vector<Frame> out;
  EXPECT_TRUE(d.feed("", out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.buffered(), 0u);
}

void expect_poisoned(std::string_view bad) {
  FrameDecoder d;
  std::vector<Frame> out;
  auto st = d.feed(bad, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kProtocol);
  EXPECT_FALSE(st.error().message.empty());
  // After an error the decoder refuses everything, even a valid frame.
  std::vector<Frame> more;
  auto again = d.feed(kFrame3006Bin, more);
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kProtocol);
  EXPECT_TRUE(more.empty());
}

TEST(FrameTest, FrameNotAMapIsErrorAndPoisons) {
  expect_poisoned(msgpack_encode(Value(List{Value("head"), Value("body")})));
  expect_poisoned(msgpack_encode(Value("body")));
  expect_poisoned(msgpack_encode(Value(5)));
}

TEST(FrameTest, FrameWithoutBodyIsErrorAndPoisons) {
  expect_poisoned(msgpack_encode(Value(Map{{"head", Value(Map{})}})));
  expect_poisoned(msgpack_encode(Value(Map{})));
}

TEST(FrameTest, BodyOfWrongTypeIsErrorAndPoisons) {
  expect_poisoned(msgpack_encode(Value(Map{{"head", Value(Map{})}, {"body", Value(1)}})));
  expect_poisoned(msgpack_encode(Value(Map{{"body", Value(Map{})}})));
  expect_poisoned(msgpack_encode(Value(Map{{"body", Value()}})));
  expect_poisoned(msgpack_encode(Value(Map{{"body", Value(List{})}})));
}

TEST(FrameTest, MalformedMsgpackIsErrorAndPoisons) { expect_poisoned("\xc1"); }

TEST(FrameTest, GoodFramesBeforeABadOneAreStillDelivered) {
  FrameDecoder d;
  std::vector<Frame> out;
  auto st = d.feed(kFrameNoHead + msgpack_encode(Value(7)), out);
  EXPECT_FALSE(st.ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].body, "x");
}

TEST(FrameTest, ErrorAfterByteByByteDeliveryPoisons) {
  FrameDecoder d;
  std::vector<Frame> out;
  std::string bad = msgpack_encode(Value(Map{{"nobody", Value("x")}}));
  Status st = Ok{};
  for (char c : bad) {
    st = d.feed(std::string_view(&c, 1), out);
    if (!st.ok()) break;
  }
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(d.feed(kFrameNoHead, out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(FrameTest, FrameOverMaxBytesIsError) {
  DecodeLimits limits;
  limits.max_bytes = 1024;
  FrameDecoder d(limits);
  std::vector<Frame> out;
  auto st = d.feed(frame_encode(std::string(2000, 'a')), out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kProtocol);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(d.feed(kFrameNoHead, out).ok());
}

TEST(FrameTest, FrameOverMaxBytesFedInPiecesIsError) {
  DecodeLimits limits;
  limits.max_bytes = 1024;
  FrameDecoder d(limits);
  std::vector<Frame> out;
  std::string big = frame_encode(std::string(2000, 'a'));
  Status st = Ok{};
  for (size_t i = 0; i < big.size() && st.ok(); i += 100)
    st = d.feed(std::string_view(big).substr(i, 100), out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kProtocol);
  EXPECT_TRUE(out.empty());
}

TEST(FrameTest, ManySmallFramesUnderMaxBytesAreFine) {
  // The limit is per frame, not per connection.
  DecodeLimits limits;
  limits.max_bytes = 1024;
  FrameDecoder d(limits);
  std::vector<Frame> out;
  std::string one = frame_encode(std::string(500, 'a'));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(d.feed(one, out).ok()) << i;
  EXPECT_EQ(out.size(), 20u);
}

TEST(FrameTest, HugeBodyLengthHeaderIsErrorNotCrash) {
  // {"head": {}, "body": bin32 of 4 GB} with 3 bytes of body present: the
  // decoder may wait for more, but once more than max_bytes of the frame has
  // arrived it must fail.
  DecodeLimits limits;
  limits.max_bytes = 1024;
  FrameDecoder d(limits);
  std::vector<Frame> out;
  auto st = d.feed(from_hex("82a46865616480a4626f6479c6ffffffff616263"), out);
  for (int i = 0; i < 20 && st.ok(); ++i) st = d.feed(std::string(100, 'a'), out);
  EXPECT_FALSE(st.ok());
  if (!st.ok()) {
    EXPECT_EQ(st.error().kind, ErrorKind::kProtocol);
  }
  EXPECT_TRUE(out.empty());
}

// DecodeLimits::max_bytes bounds "one message (... whole frame)". A frame made
// of many small items, delivered in small reads, must hit the limit too.
TEST(FrameTest, FrameOverMaxBytesMadeOfSmallItemsFedInPiecesIsError) {
  DecodeLimits limits;
  limits.max_bytes = 1024;
  FrameDecoder d(limits);
  std::vector<Frame> out;
  List big_head;
  for (int i = 0; i < 3000; ++i) big_head.emplace_back(1);
  std::string frame = msgpack_encode(Value(Map{{"head", Value(big_head)}, {"body", Value(Bytes{"x"})}}));
  ASSERT_GT(frame.size(), 3000u);
  Status st = Ok{};
  for (size_t i = 0; i < frame.size() && st.ok(); i += 100)
    st = d.feed(std::string_view(frame).substr(i, 100), out);
  EXPECT_FALSE(st.ok()) << "a " << frame.size() << "-byte frame passed a 1024-byte limit";
  EXPECT_TRUE(out.empty());
}

TEST(FrameTest, FrameEncodeMatchesSalt3006Framing) {
  // python -c 'import msgpack; print(msgpack.packb({"head": {}, "body": b"x"}, use_bin_type=True).hex())'
  EXPECT_EQ(frame_encode("x"), from_hex("82a46865616480a4626f6479c40178"));
}

TEST(FrameTest, FrameEncodeDecodesBack) {
  std::vector<std::string> bodies = {"",
                                     "x",
                                     "salt/event\n\n\x80"s,
                                     std::string(255, '\0'),
                                     std::string(256, '\xff'),
                                     std::string(70000, 'q')};
  std::string stream;
  for (const auto& b : bodies) stream += frame_encode(b);
  auto frames = decode_all(stream);
  ASSERT_EQ(frames.size(), bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(frames[i].body, bodies[i]) << i;
    EXPECT_EQ(frames[i].head, Value(Map{})) << i;
  }
  expect_same_frames(frames, decode_byte_by_byte(stream));
}

TEST(FrameTest, DecoderIsMovable) {
  FrameDecoder a;
  std::vector<Frame> out;
  ASSERT_TRUE(a.feed(std::string_view(kFrameNoHead).substr(0, 3), out).ok());
  FrameDecoder b = std::move(a);
  ASSERT_TRUE(b.feed(std::string_view(kFrameNoHead).substr(3), out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].body, "x");
}

}  // namespace
}  // namespace saltgw::salt_ipc
