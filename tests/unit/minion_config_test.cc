// Unit tests for salt_ipc/minion_config.h: loading minion config trees and
// deriving the event-bus endpoints. Each test works in its own temp dir.
#include "salt_ipc/minion_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace saltgw::salt_ipc {
namespace {

namespace fs = std::filesystem;

class MinionConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "saltgw_cfg_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // Writes `content` to dir_/rel (creating folders) and returns the full path.
  std::string write(const std::string& rel, const std::string& content) {
    fs::path p = fs::path(dir_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << content;
    return p.string();
  }

  Result<MinionConfig> load(const std::string& main_content) {
    return load_minion_config(write("minion", main_content));
  }

  std::string dir_;
};

TEST_F(MinionConfigTest, IdFromIdKeyAndDefaults) {
  std::string path = write("minion", "id: my-minion\n");
  auto c = load_minion_config(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->config_path, path);
  EXPECT_EQ(c->id, "my-minion");
  EXPECT_EQ(c->root_dir, "/");
  EXPECT_EQ(c->sock_dir, "/var/run/salt/minion");
  EXPECT_EQ(c->cachedir, "/var/cache/salt/minion");
  EXPECT_EQ(c->hash_type, "sha256");
  EXPECT_EQ(c->ipc_mode, "ipc");
  EXPECT_EQ(c->tcp_pub_port, 4510);
  EXPECT_EQ(c->tcp_pull_port, 4511);
  EXPECT_EQ(c->max_event_size, 1048576);
  EXPECT_FALSE(c->cache_jobs);
}

TEST_F(MinionConfigTest, ReadsAllKnownKeys) {
  auto c = load(
      "id: m1\n"
      "hash_type: md5\n"
      "max_event_size: 2097152\n"
      "cache_jobs: True\n"
      "sock_dir: /run/s\n"
      "cachedir: /cache\n"
      "unknown_key: {a: 1}\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->hash_type, "md5");
  EXPECT_EQ(c->max_event_size, 2097152);
  EXPECT_TRUE(c->cache_jobs);
  EXPECT_EQ(c->sock_dir, "/run/s");
  EXPECT_EQ(c->cachedir, "/cache");
}

TEST_F(MinionConfigTest, NumericIdIsText) {
  auto c = load("id: 12345\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->id, "12345");
}

TEST_F(MinionConfigTest, IdFromMinionIdFileNextToConfig) {
  write("minion_id", "  file-minion\n");
  auto c = load("hash_type: sha256\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->id, "file-minion");
}

TEST_F(MinionConfigTest, IdFromMinionIdFileWhenConfigIsEmptyOrIdIsNull) {
  write("minion_id", "file-minion");
  auto empty = load("");
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_EQ(empty->id, "file-minion");
  auto null_id = load("id:\n");
  ASSERT_TRUE(null_id.ok()) << null_id.error().message;
  EXPECT_EQ(null_id->id, "file-minion");
}

TEST_F(MinionConfigTest, IdKeyBeatsMinionIdFile) {
  write("minion_id", "file-minion\n");
  auto c = load("id: key-minion\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->id, "key-minion");
}

TEST_F(MinionConfigTest, IdFromMinionIdUnderRootDir) {
  write("root/etc/salt/minion_id", "root-minion\n");
  auto c = load("root_dir: " + dir_ + "/root\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->id, "root-minion");
}

TEST_F(MinionConfigTest, IdFallsBackToHostName) {
  if (fs::exists("/etc/salt/minion_id")) GTEST_SKIP() << "/etc/salt/minion_id exists here";
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  auto c = load("hash_type: sha256\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->id, host);
}

TEST_F(MinionConfigTest, MinionDOverridesMainInSortedOrder) {
  // Written out of order so creation order cannot stand in for sorting.
  write("minion.d/20-late.conf", "max_event_size: 300\nhash_type: sha512\n");
  write("minion.d/10-early.conf", "max_event_size: 200\ntcp_pub_port: 1234\nhash_type: sha1\n");
  write("minion.d/99-ignored.txt", "max_event_size: 999\n");
  write("minion.d/05-first.conf", "id: from-minion-d\n");
  auto c = load("id: main\nmax_event_size: 100\nhash_type: md5\ncache_jobs: true\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->max_event_size, 300);
  EXPECT_EQ(c->hash_type, "sha512");
  EXPECT_EQ(c->tcp_pub_port, 1234);
  EXPECT_EQ(c->id, "from-minion-d");
  EXPECT_TRUE(c->cache_jobs);  // untouched keys keep the main file's value
}

TEST_F(MinionConfigTest, EmptyMinionDFileIsFine) {
  write("minion.d/empty.conf", "");
  auto c = load("id: m\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->id, "m");
}

TEST_F(MinionConfigTest, IncludeListIsApplied) {
  write("extra/a.conf", "max_event_size: 111\ntcp_pull_port: 7000\n");
  std::string abs = write("elsewhere/b.conf", "max_event_size: 222\n");
  auto c = load("id: m\ninclude:\n  - extra/a.conf\n  - " + abs + "\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->max_event_size, 222);  // later include wins
  EXPECT_EQ(c->tcp_pull_port, 7000);
}

TEST_F(MinionConfigTest, IncludeAsSingleStringWithGlob) {
  write("conf/1.conf", "tcp_pub_port: 1\n");
  write("conf/2.conf", "tcp_pub_port: 2\n");
  auto c = load("id: m\ninclude: conf/*.conf\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->tcp_pub_port, 2);
}

TEST_F(MinionConfigTest, IncludeComesAfterMinionD) {
  write("minion.d/a.conf", "max_event_size: 1\n");
  write("inc.conf", "max_event_size: 2\n");
  auto c = load("id: m\ninclude: [inc.conf]\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->max_event_size, 2);
}

TEST_F(MinionConfigTest, MissingIncludeIsNotAnError) {
  auto c = load("id: m\ninclude:\n  - does/not/exist.conf\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->id, "m");
}

TEST_F(MinionConfigTest, RootDirPrependedToPaths) {
  std::string root = dir_ + "/root";
  auto c = load("id: m\nroot_dir: " + root + "\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->root_dir, root);
  EXPECT_EQ(c->sock_dir, root + "/var/run/salt/minion");
  EXPECT_EQ(c->cachedir, root + "/var/cache/salt/minion");
}

TEST_F(MinionConfigTest, RootDirWithTrailingSlash) {
  std::string root = dir_ + "/root";
  auto c = load("id: m\nroot_dir: " + root + "/\nsock_dir: /run/salt\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->sock_dir, root + "/run/salt");
}

TEST_F(MinionConfigTest, RootDirNotPrependedWhenSockDirAlreadyUnderIt) {
  std::string root = dir_ + "/root";
  auto c = load("id: m\nroot_dir: " + root + "\nsock_dir: " + root + "/sock\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->sock_dir, root + "/sock");
}

TEST_F(MinionConfigTest, RootDirSlashLeavesPathsAlone) {
  auto c = load("id: m\nroot_dir: /\nsock_dir: /run/x\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->sock_dir, "/run/x");
}

TEST_F(MinionConfigTest, RootDirFromMinionDApplies) {
  std::string root = dir_ + "/r";
  write("minion.d/root.conf", "root_dir: " + root + "\n");
  auto c = load("id: m\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->sock_dir, root + "/var/run/salt/minion");
}

TEST_F(MinionConfigTest, TcpModeGivesTcpEndpoints) {
  auto c = load("id: m\nipc_mode: tcp\ntcp_pub_port: 5510\ntcp_pull_port: 5511\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->ipc_mode, "tcp");
  auto e = bus_endpoints(c.value());
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_TRUE(e->tcp);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->pub_port, 5510);
  EXPECT_EQ(e->pull_port, 5511);
  EXPECT_NE(e->describe().find("5510"), std::string::npos) << e->describe();
  EXPECT_NE(e->describe().find("5511"), std::string::npos) << e->describe();
}

TEST_F(MinionConfigTest, TcpModeDefaultPorts) {
  auto c = load("id: m\nipc_mode: tcp\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto e = bus_endpoints(c.value());
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_TRUE(e->tcp);
  EXPECT_EQ(e->pub_port, 4510);
  EXPECT_EQ(e->pull_port, 4511);
}

TEST_F(MinionConfigTest, InvalidIpcModeIsConfigErrorNamingKey) {
  auto c = load("id: m\nipc_mode: zmq\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kConfig);
  EXPECT_NE(c.error().message.find("ipc_mode"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("zmq"), std::string::npos) << c.error().message;
}

// minion_config.h: "kConfig errors name the file and the key."
TEST_F(MinionConfigTest, InvalidIpcModeErrorNamesConfigFile) {
  std::string path = write("minion", "id: m\nipc_mode: zmq\n");
  auto c = load_minion_config(path);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find(path), std::string::npos) << c.error().message;
}

TEST_F(MinionConfigTest, NonMappingYamlIsConfigError) {
  for (const char* content : {"- a\n- b\n", "just a string\n", "42\n"}) {
    std::string path = write("minion", content);
    auto c = load_minion_config(path);
    ASSERT_FALSE(c.ok()) << content;
    EXPECT_EQ(c.error().kind, ErrorKind::kConfig);
    EXPECT_NE(c.error().message.find(path), std::string::npos) << c.error().message;
  }
}

TEST_F(MinionConfigTest, NonMappingMinionDFileIsConfigErrorNamingIt) {
  std::string bad = write("minion.d/bad.conf", "- a\n");
  auto c = load("id: m\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kConfig);
  EXPECT_NE(c.error().message.find(bad), std::string::npos) << c.error().message;
}

TEST_F(MinionConfigTest, MissingFileIsConfigError) {
  std::string path = dir_ + "/no/such/minion";
  auto c = load_minion_config(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kConfig);
  EXPECT_NE(c.error().message.find(path), std::string::npos) << c.error().message;
}

TEST_F(MinionConfigTest, SyntaxErrorIsConfigError) {
  std::string path = write("minion", "id: [unclosed\n");
  auto c = load_minion_config(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kConfig);
  EXPECT_NE(c.error().message.find(path), std::string::npos) << c.error().message;
}

TEST_F(MinionConfigTest, BadValueTypeIsConfigErrorNamingFileAndKey) {
  std::string path = write("minion", "id: m\ntcp_pub_port: not-a-number\n");
  auto c = load_minion_config(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kConfig);
  EXPECT_NE(c.error().message.find(path), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("tcp_pub_port"), std::string::npos) << c.error().message;
}

TEST_F(MinionConfigTest, BadValueTypeInIncludedFileNamesThatFile) {
  std::string inc = write("minion.d/ports.conf", "tcp_pub_port: [1, 2]\n");
  auto c = load("id: m\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kConfig);
  EXPECT_NE(c.error().message.find(inc), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("tcp_pub_port"), std::string::npos) << c.error().message;
}

TEST_F(MinionConfigTest, OtherBadValueTypes) {
  for (const char* content : {"id: m\nmax_event_size: lots\n", "id: m\ncache_jobs: maybe\n",
                              "id: {a: 1}\n", "id: m\ninclude: {a: 1}\n"}) {
    auto c = load(content);
    ASSERT_FALSE(c.ok()) << content;
    EXPECT_EQ(c.error().kind, ErrorKind::kConfig) << content;
  }
}

// ---- bus_endpoints ----
// Expected names: python3 -c 'import hashlib; print(hashlib.sha256(b"e4f2c1a9b0d34e6f8a7c5b2d1e0f9a8b").hexdigest()[:10])'
// (and hashlib.md5 / hashlib.sha1 likewise).

MinionConfig config_with(const std::string& hash_type) {
  MinionConfig c;
  c.id = "e4f2c1a9b0d34e6f8a7c5b2d1e0f9a8b";
  c.hash_type = hash_type;
  return c;
}

TEST(BusEndpointsTest, Sha256SocketPaths) {
  auto e = bus_endpoints(config_with("sha256"));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_FALSE(e->tcp);
  EXPECT_EQ(e->pub_path, "/var/run/salt/minion/minion_event_2c8ea1cd3f_pub.ipc");
  EXPECT_EQ(e->pull_path, "/var/run/salt/minion/minion_event_2c8ea1cd3f_pull.ipc");
  EXPECT_NE(e->describe().find(e->pub_path), std::string::npos) << e->describe();
}

TEST(BusEndpointsTest, Md5SocketPaths) {
  auto e = bus_endpoints(config_with("md5"));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->pub_path, "/var/run/salt/minion/minion_event_34541e5f42_pub.ipc");
  EXPECT_EQ(e->pull_path, "/var/run/salt/minion/minion_event_34541e5f42_pull.ipc");
}

TEST(BusEndpointsTest, Sha1SocketPaths) {
  auto e = bus_endpoints(config_with("sha1"));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->pub_path, "/var/run/salt/minion/minion_event_5267ab9be7_pub.ipc");
}

TEST(BusEndpointsTest, UnknownHashTypeIsConfigError) {
  auto e = bus_endpoints(config_with("whirlpool"));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind, ErrorKind::kConfig);
}

TEST_F(MinionConfigTest, EndpointsUseRootedSockDir) {
  auto c = load("id: e4f2c1a9b0d34e6f8a7c5b2d1e0f9a8b\nroot_dir: " + dir_ + "\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto e = bus_endpoints(c.value());
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->pub_path, dir_ + "/var/run/salt/minion/minion_event_2c8ea1cd3f_pub.ipc");
  EXPECT_EQ(e->pull_path, dir_ + "/var/run/salt/minion/minion_event_2c8ea1cd3f_pull.ipc");
}

TEST_F(MinionConfigTest, EndpointsFollowConfiguredHashType) {
  // An AutoPi-style 2017.7 minion: md5.
  auto c = load("id: e4f2c1a9b0d34e6f8a7c5b2d1e0f9a8b\nhash_type: md5\nsock_dir: /run/m\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto e = bus_endpoints(c.value());
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->pub_path, "/run/m/minion_event_34541e5f42_pub.ipc");
}

}  // namespace
}  // namespace saltgw::salt_ipc
