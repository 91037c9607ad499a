// Unit tests for salt_ipc/jid.h: jid format, uniqueness across threads and
// validation.
#include "salt_ipc/jid.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace saltgw::salt_ipc {
namespace {

// Sets TZ for the scope of a test and restores the previous value.
class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~ScopedTz() {
    if (old_) ::setenv("TZ", old_->c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
  }
  ScopedTz(const ScopedTz&) = delete;
  ScopedTz& operator=(const ScopedTz&) = delete;

 private:
  std::optional<std::string> old_;
};

// Expected values: python3 -c 'import datetime; print(datetime.datetime.fromtimestamp(1700000000, datetime.timezone.utc).strftime("%Y%m%d%H%M%S"))'
TEST(JidTest, FormatKnownEpochInUtc) {
  ScopedTz tz("UTC");
  EXPECT_EQ(format_jid(int64_t{1700000000} * 1000000 + 123456), "20231114221320123456");
  EXPECT_EQ(format_jid(0), "19700101000000000000");
  EXPECT_EQ(format_jid(int64_t{1709210096} * 1000000 + 7), "20240229123456000007");  // leap day
  EXPECT_EQ(format_jid(int64_t{4102444799} * 1000000 + 999999), "20991231235959999999");
}

// Past the 32-bit time_t limit (2^31 - 1 s = 2038-01-19T03:14:07Z): runs
// under qemu-arm in scripts/test-arm.sh, where time_t is 64-bit only
// because of _TIME_BITS=64 (meson.build).
TEST(JidTest, FormatPast2038) {
  ScopedTz tz("UTC");
  EXPECT_EQ(format_jid(int64_t{2147483647} * 1000000 + 999999), "20380119031407999999");
  EXPECT_EQ(format_jid(int64_t{2147483648} * 1000000), "20380119031408000000");
  EXPECT_EQ(format_jid(int64_t{4294967296} * 1000000 + 1), "21060207062816000001");  // past 2^32 s too
  static_assert(sizeof(time_t) == 8);
  // Order still follows time across the boundary.
  EXPECT_LT(format_jid(int64_t{2147483647} * 1000000), format_jid(int64_t{2147483648} * 1000000));
}

TEST(JidTest, FormatUsesLocalTime) {
  ScopedTz tz("XST-2");  // POSIX TZ: two hours east of UTC, no tzdata needed
  EXPECT_EQ(format_jid(int64_t{1700000000} * 1000000 + 123456), "20231115001320123456");
}

TEST(JidTest, TzIsRestored) {
  const char* before = std::getenv("TZ");
  std::optional<std::string> saved;
  if (before) saved = before;
  { ScopedTz tz("UTC"); }
  const char* after = std::getenv("TZ");
  EXPECT_EQ(saved.has_value(), after != nullptr);
  if (saved && after) {
    EXPECT_EQ(*saved, after);
  }
}

TEST(JidTest, NextIsTwentyDigits) {
  JidGenerator gen;
  for (int i = 0; i < 100; ++i) {
    std::string jid = gen.next();
    EXPECT_EQ(jid.size(), 20u) << jid;
    EXPECT_TRUE(is_valid_jid(jid)) << jid;
  }
}

TEST(JidTest, NextIsCloseToNow) {
  ScopedTz tz("UTC");
  JidGenerator gen;
  std::string jid = gen.next();
  time_t now = std::time(nullptr);
  struct tm tm {};
  gmtime_r(&now, &tm);
  char prefix[16];
  std::strftime(prefix, sizeof prefix, "%Y%m%d", &tm);
  EXPECT_EQ(jid.substr(0, 8), prefix) << jid;  // same day (ignoring a midnight race)
}

TEST(JidTest, StrictlyIncreasingAndUniqueAcrossThreads) {
  JidGenerator gen;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25000;  // 100000 calls in all
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&gen, &got, t] {
      auto& mine = got[t];
      mine.reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) mine.push_back(gen.next());
    });
  }
  for (auto& th : threads) th.join();

  std::set<std::string> all;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(got[t].size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_TRUE(is_valid_jid(got[t][i])) << got[t][i];
      // Fixed width, so string order is numeric order.
      if (i > 0) {
        ASSERT_LT(got[t][i - 1], got[t][i]) << "thread " << t << " call " << i;
      }
      all.insert(got[t][i]);
    }
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(JidTest, SeparateGeneratorsAreEachIncreasing) {
  JidGenerator a, b;
  std::string prev_a = a.next(), prev_b = b.next();
  for (int i = 0; i < 1000; ++i) {
    std::string na = a.next(), nb = b.next();
    EXPECT_LT(prev_a, na);
    EXPECT_LT(prev_b, nb);
    prev_a = na;
    prev_b = nb;
  }
}

TEST(JidTest, IsValidJid) {
  EXPECT_TRUE(is_valid_jid("20240101120000123456"));
  EXPECT_TRUE(is_valid_jid("00000000000000000000"));
  EXPECT_FALSE(is_valid_jid(""));
  EXPECT_FALSE(is_valid_jid("2024010112000012345"));     // 19 digits
  EXPECT_FALSE(is_valid_jid("202401011200001234567"));   // 21 digits
  EXPECT_FALSE(is_valid_jid("2024010112000012345a"));
  EXPECT_FALSE(is_valid_jid("-2024010112000012345"));
  EXPECT_FALSE(is_valid_jid(" 2024010112000012345"));
  EXPECT_FALSE(is_valid_jid("2024010112000012345\n"));
  EXPECT_FALSE(is_valid_jid("req"));
  EXPECT_FALSE(is_valid_jid(std::string_view("20240101120000123456\0", 21)));
  EXPECT_FALSE(is_valid_jid("２0240101120000123456"));  // non-ASCII digit
}

}  // namespace
}  // namespace saltgw::salt_ipc
