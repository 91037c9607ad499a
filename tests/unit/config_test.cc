// gateway::Config: the YAML file onto the defaults, and validation of every
// limit (a bad value stops start-up with a message naming the key).
#include "gateway/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace saltgw::gateway {
namespace {

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/saltgw-config-test.XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = tmpl;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  salt_ipc::Status load(const std::string& yaml, Config& c) {
    std::ofstream(path_) << yaml;
    return load_config_file(path_, c);
  }
  std::string path_;
};

TEST_F(ConfigFile, ConnectionAndHeaderLimitsAreRead) {
  Config c;
  auto st = load("max_connections: 12\nmax_header_count: 20\nmax_header_bytes: 4096\n"
                 "header_timeout_seconds: 2.5\nbody_timeout_seconds: 7\nkeepalive_timeout_seconds: 9\n", c);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(c.max_connections, 12u);
  EXPECT_EQ(c.max_header_count, 20u);
  EXPECT_EQ(c.max_header_bytes, 4096u);
  EXPECT_DOUBLE_EQ(c.header_timeout_s, 2.5);
  EXPECT_DOUBLE_EQ(c.body_timeout_s, 7);
  EXPECT_DOUBLE_EQ(c.keepalive_timeout_s, 9);
}

TEST_F(ConfigFile, DefaultsSuitADevice) {
  Config c;
  ASSERT_TRUE(load("", c).ok());
  EXPECT_TRUE(validate(c).ok());
  EXPECT_EQ(c.max_connections, 256u);
  EXPECT_EQ(c.max_header_count, 64u);
  EXPECT_EQ(c.max_header_bytes, 16384u);
  EXPECT_DOUBLE_EQ(c.header_timeout_s, 10);
  EXPECT_DOUBLE_EQ(c.body_timeout_s, 30);
  EXPECT_DOUBLE_EQ(c.keepalive_timeout_s, 60);
  EXPECT_EQ(c.jobs_keep_bytes, 32u << 20);
}

TEST_F(ConfigFile, UnknownKeyIsNamed) {
  Config c;
  auto st = load("max_conections: 3\n", c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("max_conections"), std::string::npos);
}

TEST_F(ConfigFile, WrongTypeIsNamed) {
  Config c;
  auto st = load("max_connections: lots\n", c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("max_connections"), std::string::npos);
}

struct BadValue {
  const char* yaml;
  const char* key;
};

class ConfigBadValue : public ConfigFile, public ::testing::WithParamInterface<BadValue> {};

TEST_P(ConfigBadValue, RefusedNamingTheKey) {
  Config c;
  auto st = load(GetParam().yaml, c);
  ASSERT_FALSE(st.ok()) << GetParam().yaml;
  EXPECT_EQ(st.error().kind, salt_ipc::ErrorKind::kConfig);
  EXPECT_NE(st.error().message.find(GetParam().key), std::string::npos) << st.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Limits, ConfigBadValue,
    ::testing::Values(BadValue{"max_connections: 0\n", "max_connections"},
                      BadValue{"max_connections: 70000\n", "max_connections"},
                      BadValue{"max_header_count: 2\n", "max_header_count"},
                      BadValue{"max_header_bytes: 100\n", "max_header_bytes"},
                      BadValue{"max_header_bytes: 2000000\n", "max_header_bytes"},
                      BadValue{"header_timeout_seconds: 0\n", "header_timeout_seconds"},
                      BadValue{"keepalive_timeout_seconds: 4\n", "keepalive_timeout_seconds"},
                      BadValue{"jobs_keep_bytes: 2000000000\n", "jobs_keep_bytes"},
                      BadValue{"header_timeout_seconds: 5\nbody_timeout_seconds: 4\n", "body_timeout_seconds"},
                      BadValue{"max_body_bytes: 10\n", "max_body_bytes"},
                      BadValue{"max_jobs: 4\nmax_jobs_per_client: 5\n", "max_jobs_per_client"},
                      BadValue{"dispatch: fastest\n", "dispatch"},
                      BadValue{"threads: 0\n", "threads"},
                      BadValue{"stream_max_seconds: 1\n", "stream_max_seconds"},
                      BadValue{"listen: []\n", "listen"}));

TEST(ListenAddresses, SplitsAndTrims) {
  auto v = listen_addresses(" 127.0.0.1:9000 ,192.168.4.1:9000,, ");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], "127.0.0.1:9000");
  EXPECT_EQ(v[1], "192.168.4.1:9000");
}

}  // namespace
}  // namespace saltgw::gateway
