// list_log_files and read_log_tail (rest/log_file.h): what GET /logs/ lists
// and what /download_log/?tail=N sends.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "rest/log_file.h"

namespace saltgw::rest {
namespace {

namespace fs = std::filesystem;

class LogList : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/saltgw-loglist.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_ = base_ / "log";
    fs::create_directories(root_ / "salt");
    write(root_ / "syslog", "one\ntwo\n");
    write(root_ / "salt" / "minion", "m");
    write(base_ / "secret", "outside");
    fs::create_symlink(base_ / "secret", root_ / "escape");
    fs::create_symlink(root_ / "syslog", root_ / "syslog.link");
    fs::create_directories(root_ / "empty-dir");
  }
  void TearDown() override { fs::remove_all(base_); }
  static void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

  fs::path base_, root_;
};

TEST_F(LogList, ListsWhatDownloadServesSortedWithSizes) {
  auto files = list_log_files(root_.string());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].name, "salt/minion");
  EXPECT_EQ(files[0].size, 1u);
  EXPECT_EQ(files[1].name, "syslog");
  EXPECT_EQ(files[1].size, 8u);
  EXPECT_EQ(files[2].name, "syslog.link");  // a link that stays inside the root is served, so listed
  EXPECT_GT(files[1].modified, 1600000000);
  for (const auto& f : files) EXPECT_TRUE(resolve_log_file(root_.string(), f.name).ok()) << f.name;
}

TEST_F(LogList, LimitsAndMissingRoot) {
  EXPECT_EQ(list_log_files(root_.string(), 1).size(), 1u);
  auto shallow = list_log_files(root_.string(), 2000, 0);  // the root's own files only
  for (const auto& f : shallow) EXPECT_EQ(f.name.find('/'), std::string::npos) << f.name;
  EXPECT_TRUE(list_log_files((base_ / "nope").string()).empty());
}

TEST_F(LogList, TailGivesTheLastBytes) {
  uint64_t size = 0;
  auto t = read_log_tail((root_ / "syslog").string(), 4, &size);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value(), "two\n");
  EXPECT_EQ(size, 8u);
  auto all = read_log_tail((root_ / "syslog").string(), 1000, &size);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.value(), "one\ntwo\n");
  write(root_ / "empty", "");
  auto none = read_log_tail((root_ / "empty").string(), 10, &size);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.value(), "");
  EXPECT_EQ(size, 0u);
  auto missing = read_log_tail((root_ / "gone").string(), 10, &size);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, salt_ipc::ErrorKind::kNotFound);
}

}  // namespace
}  // namespace saltgw::rest
