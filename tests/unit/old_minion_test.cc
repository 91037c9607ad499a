// Old minions (Salt 2017.7, the Python 2 era, as on AutoPi devices): socket
// names from md5 (explicit, or the 2017.7 default when the config is silent),
// and whole frames in the old msgpack spec (everything raw str, no bin type).
//
// How the frame fixtures were made: no 2017.7 minion runs on this machine, so
// they were built with the msgpack package of the Salt 3006 venv the way a
// Python 2 minion frames (salt.transport.frame.frame_msg_ipc and
// salt.utils.event.SaltEvent.pack on Python 2 pack with the old spec: every
// str, unicode or bytes value becomes msgpack raw str):
//
//   def frame(tag, data):
//       payload = tag + b"\n\n" + msgpack.packb(data, use_bin_type=False)
//       return msgpack.packb({"head": {}, "body": payload}, use_bin_type=False).hex()
//
// with bytes literals for every string (a Python 2 str is bytes), and the
// event data shaped as 2017.7 fires it (fields as salt/utils/schedule.py and
// salt/minion.py of that release put them, plus fire_event's _stamp).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/unit/hex.h"
#include "salt_ipc/event.h"
#include "salt_ipc/frame.h"
#include "salt_ipc/job.h"
#include "salt_ipc/minion_config.h"
#include "salt_ipc/minion_job_strategy.h"

namespace saltgw::salt_ipc {
namespace {

namespace fs = std::filesystem;

using saltgw::testing::from_hex;

// __schedule_return of a schedule-path test.arg("hello") on 2017.7:
// frame(b"__schedule_return", {b"fun_args": [b"hello"], b"jid": b"req",
//   b"return": {b"args": [b"hello"], b"kwargs": {b"__pub_jid": b"req",
//     b"__pub_schedule": b"saltgw_20170801120000123456", b"__pub_fun": b"test.arg"}},
//   b"retcode": 0, b"success": True, b"schedule": b"saltgw_20170801120000123456",
//   b"cmd": b"_return", b"pid": 1234, b"_stamp": b"2017-08-01T12:00:00.123456",
//   b"fun": b"test.arg", b"id": b"autopi-a1b2c3d4e5f6"})
const std::string kSchedReturn2017 = from_hex(
    "82a46865616480a4626f6479da01245f5f7363686564756c655f72657475726e0a0a8ba866756e5f61726773"
    "91a568656c6c6fa36a6964a3726571a672657475726e82a46172677391a568656c6c6fa66b776172677383a9"
    "5f5f7075625f6a6964a3726571ae5f5f7075625f7363686564756c65bb73616c7467775f3230313730383031"
    "313230303030313233343536a95f5f7075625f66756ea8746573742e617267a7726574636f646500a7737563"
    "63657373c3a87363686564756c65bb73616c7467775f3230313730383031313230303030313233343536a363"
    "6d64a75f72657475726ea3706964cd04d2a65f7374616d70ba323031372d30382d30315431323a30303a3030"
    "2e313233343536a366756ea8746573742e617267a26964b36175746f70692d613162326333643465356636");

// salt/job/<jid>/ret of cmd.run "echo café" (UTF-8 bytes in a Python 2 str):
// frame(b"salt/job/20170801120000654321/ret", {b"fun_args": [b"echo caf\xc3\xa9"],
//   b"jid": b"20170801120000654321", b"return": b"caf\xc3\xa9", b"retcode": 0,
//   b"success": True, b"fun": b"cmd.run", b"id": b"autopi-a1b2c3d4e5f6",
//   b"out": b"nested", b"_stamp": b"2017-08-01T12:00:00.700000"})
const std::string kJobRet2017 = from_hex(
    "82a46865616480a4626f6479da00c173616c742f6a6f622f3230313730383031313230303030363534333231"
    "2f7265740a0a89a866756e5f6172677391aa6563686f20636166c3a9a36a6964b43230313730383031313230"
    "303030363534333231a672657475726ea5636166c3a9a7726574636f646500a773756363657373c3a366756e"
    "a7636d642e72756ea26964b36175746f70692d613162326333643465356636a36f7574a66e6573746564a65f"
    "7374616d70ba323031372d30382d30315431323a30303a30302e373030303030");

// A failed job whose output is Latin-1, not UTF-8 (a Python 2 str holds any bytes):
// frame(b"salt/job/20170801120000999999/ret", {b"fun_args": [],
//   b"jid": b"20170801120000999999", b"return": b"\xe9t\xe9 failed", b"retcode": 1,
//   b"success": False, b"fun": b"cmd.run", b"id": b"autopi-a1b2c3d4e5f6"})
const std::string kJobFail2017 = from_hex(
    "82a46865616480a4626f6479da008e73616c742f6a6f622f3230313730383031313230303030393939393939"
    "2f7265740a0a87a866756e5f6172677390a36a6964b43230313730383031313230303030393939393939a672"
    "657475726eaae974e9206661696c6564a7726574636f646501a773756363657373c2a366756ea7636d642e72"
    "756ea26964b36175746f70692d613162326333643465356636");

Event decode_one(const std::string& bytes) {
  FrameDecoder d;
  std::vector<Frame> frames;
  auto st = d.feed(bytes, frames);
  EXPECT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(frames.size(), 1u);
  EXPECT_EQ(d.buffered(), 0u);
  if (frames.size() != 1) return {};
  EXPECT_TRUE(frames[0].head.is_map());
  auto ev = event_unpack(frames[0].body);
  EXPECT_TRUE(ev.ok()) << ev.error().message;
  return ev ? ev.value() : Event{};
}

TEST(OldMinionFrames, ScheduleReturnAllRawStr) {
  Event ev = decode_one(kSchedReturn2017);
  EXPECT_EQ(ev.tag, "__schedule_return");
  EXPECT_EQ(*ev.data.find("schedule"), Value("saltgw_20170801120000123456"));
  EXPECT_EQ(*ev.data.find("fun"), Value("test.arg"));
  EXPECT_EQ(*ev.data.find("jid"), Value("req"));
  EXPECT_EQ(*ev.data.find("success"), Value(true));
  EXPECT_EQ(*ev.data.find("retcode"), Value(0));
  EXPECT_EQ(*ev.data.find("pid"), Value(1234));
  const Value* ret = ev.data.find("return");
  ASSERT_TRUE(ret && ret->is_map());
  EXPECT_EQ(*ret->find("args"), Value(List{Value("hello")}));
  // Raw str decodes as text (not bytes), nested too.
  EXPECT_TRUE(ret->find("kwargs")->find("__pub_schedule")->is_string());
  EXPECT_EQ(*ret->find("kwargs")->find("__pub_fun"), Value("test.arg"));
}

TEST(OldMinionFrames, JobRetWithUtf8InRawStr) {
  Event ev = decode_one(kJobRet2017);
  EXPECT_EQ(ev.tag, "salt/job/20170801120000654321/ret");
  EXPECT_EQ(MinionJobStrategy::jid_of_ret_tag(ev.tag), "20170801120000654321");
  EXPECT_EQ(*ev.data.find("return"), Value("caf\xc3\xa9"));
  EXPECT_EQ(*ev.data.find("fun_args"), Value(List{Value("echo caf\xc3\xa9")}));
  EXPECT_EQ(*ev.data.find("out"), Value("nested"));
  JobResult r;
  r.jid = "20170801120000654321";
  r.fun = ev.data.find("fun")->as_string();
  r.ret = *ev.data.find("return");
  r.success = ev.data.find("success")->as_bool();
  r.retcode = static_cast<int>(ev.data.find("retcode")->as_int());
  auto settled = settle_result(r, 1048576);
  ASSERT_TRUE(settled.ok()) << settled.error().message;
  EXPECT_EQ(settled->ret, Value("caf\xc3\xa9"));
}

TEST(OldMinionFrames, FailedJobKeepsNonUtf8BytesOfItsOutput) {
  Event ev = decode_one(kJobFail2017);
  EXPECT_EQ(ev.tag, "salt/job/20170801120000999999/ret");
  EXPECT_EQ(*ev.data.find("return"), Value(std::string("\xe9t\xe9 failed")));
  EXPECT_EQ(*ev.data.find("fun_args"), Value(List{}));
  JobResult r;
  r.fun = "cmd.run";
  r.ret = *ev.data.find("return");
  r.success = ev.data.find("success")->as_bool();
  r.retcode = static_cast<int>(ev.data.find("retcode")->as_int());
  auto settled = settle_result(r, 1048576);
  ASSERT_FALSE(settled.ok());
  EXPECT_EQ(settled.error().kind, ErrorKind::kFunctionFailed);
  EXPECT_NE(settled.error().message.find("\xe9t\xe9 failed"), std::string::npos);
}

TEST(OldMinionFrames, ThreeOldFramesBackToBackAtEverySplitPoint) {
  const std::string stream = kSchedReturn2017 + kJobRet2017 + kJobFail2017;
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameDecoder d;
    std::vector<Frame> frames;
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(0, cut), frames).ok()) << cut;
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(cut), frames).ok()) << cut;
    ASSERT_EQ(frames.size(), 3u) << cut;
    std::vector<std::string> tags;
    for (auto& f : frames) tags.push_back(event_unpack(f.body)->tag);
    EXPECT_EQ(tags, (std::vector<std::string>{"__schedule_return", "salt/job/20170801120000654321/ret",
                                              "salt/job/20170801120000999999/ret"}));
  }
}

// ---- socket names ----

// Expected names: python3 -c 'import hashlib; print(hashlib.md5(b"autopi-a1b2c3d4e5f6").hexdigest()[:10], hashlib.sha256(b"autopi-a1b2c3d4e5f6").hexdigest()[:10])'
constexpr const char* kMd5 = "4c2b2fd5a9";
constexpr const char* kSha256 = "52abb3d3d7";

class OldMinionConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/saltgw-oldminion.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ + "/etc/salt/minion.d");
    fs::create_directories(dir_ + "/run");
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result<MinionConfig> load(const std::string& body) {
    std::ofstream(dir_ + "/etc/salt/minion") << body;
    return load_minion_config(dir_ + "/etc/salt/minion");
  }
  std::string sock(const char* hash, const char* kind) const {
    return dir_ + "/run/minion_event_" + hash + "_" + kind + ".ipc";
  }
  void touch(const std::string& path) { std::ofstream(path) << ""; }

  std::string dir_;
};

TEST_F(OldMinionConfig, ExplicitMd5As2017ConfigsSayIt) {
  // The shape of an AutoPi 2017.7 minion config (masterless parts trimmed).
  auto c = load("id: autopi-a1b2c3d4e5f6\n"
                "hash_type: md5\n"
                "sock_dir: " + dir_ + "/run\n"
                "ipc_mode: ipc\n"
                "master: salt.autopi.io\n"
                "mine_enabled: false\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->hash_type_set);
  auto e = bus_endpoints(c.value());
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->pub_path, sock(kMd5, "pub"));
  EXPECT_EQ(e->pull_path, sock(kMd5, "pull"));
  EXPECT_EQ(e->hash_type, "md5");
  auto all = candidate_bus_endpoints(c.value());
  ASSERT_EQ(all.size(), 1u);  // the config said md5: nothing else to try
  EXPECT_EQ(all[0].pub_path, sock(kMd5, "pub"));
}

TEST_F(OldMinionConfig, ExplicitHashTypeInMinionDCounts) {
  std::ofstream(dir_ + "/etc/salt/minion.d/hash.conf") << "hash_type: md5\n";
  auto c = load("id: autopi-a1b2c3d4e5f6\nsock_dir: " + dir_ + "/run\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->hash_type_set);
  auto all = candidate_bus_endpoints(c.value());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].pub_path, sock(kMd5, "pub"));
}

TEST_F(OldMinionConfig, ExplicitSha256IsTheOnlyCandidate) {
  auto c = load("id: autopi-a1b2c3d4e5f6\nhash_type: sha256\nsock_dir: " + dir_ + "/run\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  touch(sock(kMd5, "pub"));  // even if an md5-named socket lies around
  auto all = candidate_bus_endpoints(c.value());
  ASSERT_EQ(all.size(), 1u);
  auto found = find_bus_endpoints(c.value());
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->pub_path, sock(kSha256, "pub"));
}

TEST_F(OldMinionConfig, SilentConfigTriesSha256ThenMd5) {
  auto c = load("id: autopi-a1b2c3d4e5f6\nsock_dir: " + dir_ + "/run\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->hash_type_set);
  auto all = candidate_bus_endpoints(c.value());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].pub_path, sock(kSha256, "pub"));
  EXPECT_EQ(all[0].hash_type, "sha256");
  EXPECT_EQ(all[1].pub_path, sock(kMd5, "pub"));
  EXPECT_EQ(all[1].pull_path, sock(kMd5, "pull"));
  EXPECT_EQ(all[1].hash_type, "md5");
}

TEST_F(OldMinionConfig, SilentConfigFindsThe2017SocketsWhenOnlyThoseExist) {
  auto c = load("id: autopi-a1b2c3d4e5f6\nsock_dir: " + dir_ + "/run\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  // Nothing there yet: wait at the modern name.
  auto none = find_bus_endpoints(c.value());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->pub_path, sock(kSha256, "pub"));
  // A 2017.7 minion is up: its md5-named sockets are found.
  touch(sock(kMd5, "pub"));
  touch(sock(kMd5, "pull"));
  auto old = find_bus_endpoints(c.value());
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->pub_path, sock(kMd5, "pub"));
  EXPECT_EQ(old->pull_path, sock(kMd5, "pull"));
  // Both present (a leftover from an upgrade): the modern one wins.
  touch(sock(kSha256, "pub"));
  auto both = find_bus_endpoints(c.value());
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->pub_path, sock(kSha256, "pub"));
}

TEST_F(OldMinionConfig, TcpModeHasOneCandidate) {
  auto c = load("id: autopi-a1b2c3d4e5f6\nipc_mode: tcp\ntcp_pub_port: 4510\ntcp_pull_port: 4511\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto all = candidate_bus_endpoints(c.value());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].tcp);
  auto found = find_bus_endpoints(c.value());
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->tcp);
}

TEST_F(OldMinionConfig, UnknownHashTypeHasNoCandidateAndFindSaysWhy) {
  auto c = load("id: autopi-a1b2c3d4e5f6\nhash_type: whirlpool\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(candidate_bus_endpoints(c.value()).empty());
  auto found = find_bus_endpoints(c.value());
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().kind, ErrorKind::kConfig);
}

}  // namespace
}  // namespace saltgw::salt_ipc
