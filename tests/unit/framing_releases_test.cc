// Framing of the event bus across Salt releases (frame.h "Length prefix").
//
// Fixtures captured from real minions on this machine: a sandbox minion
// (tests/sandbox/sandbox_minion.py start DIR) of the release named, then a
// small Python client using raw AF_UNIX sockets (no Salt code) connected to
// DIR/run/minion/minion_event_<hash>_pub.ipc, pushed events on ..._pull.ipc
// and recorded the exact bytes that came back on pub; each frame was cut from
// the stream with msgpack.Unpacker.tell(). What was pushed is given with
// each fixture.
//
// Capture script: /tmp-only helper, in outline: s = connect(pub); p =
// connect(pull); p.sendall(struct.pack(">I", len(f)) + f) for each event f;
// read s until the wanted tag; cut frames with msgpack.Unpacker(raw=True).
//
// Findings (Salt 3006.23 vs 3007.16 / 3008.4):
// - pull: 3006.23 reads plain frames; 3007.16 and 3008.4 read only frames
//   preceded by a 4-byte big-endian length (a plain frame is never consumed:
//   its first 4 bytes are taken as a ~2 GB length). Verified by pushing both.
// - pub: all three send plain {"head": {}, "body": bin} frames, no prefix.
// - Salt 3006.24+ (not installable here; read from its sdist's
//   salt/transport/ipc.py and frame.py) prefixes both directions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/hex.h"
#include "salt_ipc/event.h"
#include "salt_ipc/frame.h"
#include "salt_ipc/msgpack_codec.h"

namespace saltgw::salt_ipc {
namespace {

using saltgw::testing::from_hex;

// Salt 3007.16, pub socket: the echo of an event pushed (length-prefixed) as
// tag "saltgw/capture", data {"x": 1}.
const std::string kPub3007Echo =
    from_hex("82a46865616480a4626f6479c41473616c7467772f636170747572650a0a81a17801");

// What was pushed for it, and accepted by the 3007.16 pull socket:
// struct.pack(">I", len(f)) + f with f = msgpack.packb({"head": {}, "body":
// b"saltgw/capture\n\n" + msgpack.packb({"x": 1})}, use_bin_type=True).
const std::string kPull3007Accepted =
    from_hex("0000002282a46865616480a4626f6479c41473616c7467772f636170747572650a0a81a17801");

// Salt 3007.16, pub socket: the __schedule_return the minion fired after
// manage_schedule add {saltgw_capture: test.echo("hi")} + run_job.
const std::string kPub3007ScheduleReturn = from_hex(
    "82a46865616480a4626f6479c4c55f5f7363686564756c655f72657475726e0a0a8ba3636d64a75f72657475"
    "726ea26964d9203961306636306132633865653439663461363937326165643964306437343864a366756ea9"
    "746573742e6563686fa866756e5f6172677391a26869a87363686564756c65ae73616c7467775f6361707475"
    "7265a36a6964a3726571a3706964cd399da672657475726ea26869a7726574636f646500a773756363657373"
    "c3a65f7374616d70ba323032362d31312d32395431313a32333a31392e323930373931");

// Salt 3008.4, pub socket: the same capture (manage_schedule add + run_job of
// test.echo("hi")); its _stamp now carries "+00:00" (a 32-byte str8).
const std::string kPub3008ScheduleReturn = from_hex(
    "82a46865616480a4626f6479c4cc5f5f7363686564756c655f72657475726e0a0a8ba3636d64a75f72657475"
    "726ea26964d9203731333031613632643364653463633662343137376366616236653137346262a366756ea9"
    "746573742e6563686fa866756e5f6172677391a26869a87363686564756c65ae73616c7467775f6361707475"
    "7265a36a6964a3726571a3706964cd518ca672657475726ea26869a7726574636f646500a773756363657373"
    "c3a65f7374616d70d920323032362d31312d32395431313a33343a33332e3136373838332b30303a3030");

// Salt 3008.4, pub socket: the echo of the same pushed event as kPull3007Accepted.
const std::string kPub3008Echo =
    from_hex("82a46865616480a4626f6479c41473616c7467772f636170747572650a0a81a17801");

std::vector<Frame> decode_all(std::string_view bytes, Status* st_out = nullptr) {
  FrameDecoder d;
  std::vector<Frame> out;
  auto st = d.feed(bytes, out);
  if (st_out) *st_out = st;
  else EXPECT_TRUE(st.ok()) << st.error().message;
  return out;
}

TEST(FramingReleases, Salt3007PubEchoIsPlain) {
  FrameDecoder d;
  std::vector<Frame> out;
  ASSERT_TRUE(d.feed(kPub3007Echo, out).ok());
  EXPECT_FALSE(d.length_prefixed());
  ASSERT_EQ(out.size(), 1u);
  auto ev = event_unpack(out[0].body);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "saltgw/capture");
  EXPECT_EQ(*ev->data.find("x"), Value(1));
}

TEST(FramingReleases, Salt3007ScheduleReturn) {
  auto out = decode_all(kPub3007ScheduleReturn);
  ASSERT_EQ(out.size(), 1u);
  auto ev = event_unpack(out[0].body);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "__schedule_return");
  EXPECT_EQ(*ev->data.find("schedule"), Value("saltgw_capture"));
  EXPECT_EQ(*ev->data.find("return"), Value("hi"));
  EXPECT_EQ(*ev->data.find("success"), Value(true));
  EXPECT_EQ(*ev->data.find("fun_args"), Value(List{Value("hi")}));
}

TEST(FramingReleases, Salt3008ScheduleReturnAndEcho) {
  auto out = decode_all(kPub3008ScheduleReturn + kPub3008Echo);
  ASSERT_EQ(out.size(), 2u);
  auto ev = event_unpack(out[0].body);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->tag, "__schedule_return");
  EXPECT_EQ(*ev->data.find("schedule"), Value("saltgw_capture"));
  EXPECT_EQ(*ev->data.find("return"), Value("hi"));
  EXPECT_EQ(*ev->data.find("retcode"), Value(0));
  EXPECT_EQ(*ev->data.find("_stamp"), Value("2026-11-29T11:34:33.167883+00:00"));
  EXPECT_EQ(event_unpack(out[1].body)->tag, "saltgw/capture");
}

TEST(FramingReleases, PrefixedEncodingIsWhatSalt3007Accepted) {
  std::string body = event_pack("saltgw/capture", Value(Map{{"x", Value(1)}}));
  EXPECT_EQ(frame_encode_length_prefixed(body), kPull3007Accepted);
  // The plain form is the same bytes without the prefix.
  EXPECT_EQ(frame_encode(body), kPull3007Accepted.substr(4));
}

TEST(FramingReleases, DecoderDetectsLengthPrefixedStream) {
  // A 3006.24+-style pub stream (prefix on every frame), three frames.
  std::string stream = kPull3007Accepted + kPull3007Accepted +
                       frame_encode_length_prefixed(std::string("second\n\n\x80", 9));
  FrameDecoder d;
  std::vector<Frame> out;
  ASSERT_TRUE(d.feed(stream, out).ok());
  EXPECT_TRUE(d.length_prefixed());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(event_unpack(out[0].body)->tag, "saltgw/capture");
  EXPECT_EQ(event_unpack(out[2].body)->tag, "second");
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(FramingReleases, PrefixedStreamAtEverySplitPoint) {
  std::string stream = kPull3007Accepted + frame_encode_length_prefixed(std::string(300, 'z')) +
                       kPull3007Accepted;
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameDecoder d;
    std::vector<Frame> out;
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(0, cut), out).ok()) << cut;
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(cut), out).ok()) << cut;
    ASSERT_EQ(out.size(), 3u) << cut;
    EXPECT_EQ(out[1].body, std::string(300, 'z'));
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(FramingReleases, PrefixedByteByByteHoldsPartialFrames) {
  FrameDecoder d;
  std::vector<Frame> out;
  for (size_t i = 0; i + 1 < kPull3007Accepted.size(); ++i) {
    ASSERT_TRUE(d.feed(kPull3007Accepted.substr(i, 1), out).ok());
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(d.buffered(), i + 1);
  }
  ASSERT_TRUE(d.feed(kPull3007Accepted.substr(kPull3007Accepted.size() - 1), out).ok());
  ASSERT_EQ(out.size(), 1u);
}

TEST(FramingReleases, PrefixOverMaxBytesIsErrorAndPoisons) {
  DecodeLimits limits;
  limits.max_bytes = 1024;
  FrameDecoder d(limits);
  std::vector<Frame> out;
  auto st = d.feed(from_hex("00001000") + std::string(10, 'a'), out);  // 4096 > 1024
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kProtocol);
  EXPECT_FALSE(d.feed(kPull3007Accepted, out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(FramingReleases, PrefixedFrameThatIsNotAMapIsError) {
  std::string five = msgpack_encode(Value(5));
  std::string bad = from_hex("00000001") + five;
  Status st = Ok{};
  auto out = decode_all(bad, &st);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(out.empty());
}

TEST(FramingReleases, PrefixLongerThanItsFrameIsError) {
  // Prefix says 40 bytes; those 40 bytes are a 34-byte frame and 6 more bytes.
  std::string bad = from_hex("00000028") + kPull3007Accepted.substr(4) + std::string(6, '\x01');
  Status st = Ok{};
  auto out = decode_all(bad, &st);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(out.empty());
}

TEST(FramingReleases, PlainStreamsStayPlain) {
  // A plain stream whose later bytes happen to start with 0x00 is not
  // reinterpreted: the mode is fixed by the first byte of the connection.
  FrameDecoder d;
  std::vector<Frame> out;
  ASSERT_TRUE(d.feed(kPub3007Echo, out).ok());
  EXPECT_FALSE(d.length_prefixed());
  auto st = d.feed(kPull3007Accepted, out);  // 0x00 where a map must start
  EXPECT_FALSE(st.ok());
}

}  // namespace
}  // namespace saltgw::salt_ipc
