// Unit tests for salt_args/shlex.h: Python's shlex.split in POSIX mode.
#include "salt_args/shlex.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace saltgw::salt_ipc {
namespace {

std::vector<std::string> split_ok(std::string_view s) {
  auto r = shell_split(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? r.value() : std::vector<std::string>{};
}

TEST(ShellSplit, QuotesAndEscapes) {
  EXPECT_EQ(split_ok("a 'b c' \"d e\""), (std::vector<std::string>{"a", "b c", "d e"}));
  EXPECT_EQ(split_ok("mixed'quo'\"tes\""), (std::vector<std::string>{"mixedquotes"}));
  EXPECT_EQ(split_ok("'' \"\" x"), (std::vector<std::string>{"", "", "x"}));
  EXPECT_EQ(split_ok("a\\ b c\\\\d"), (std::vector<std::string>{"a b", "c\\d"}));
  // Inside double quotes only \" and \\ are escapes; single quotes keep all.
  EXPECT_EQ(split_ok(R"("a \" b" "c \\ d" "e \n f" 'g \" h')"),
            (std::vector<std::string>{"a \" b", "c \\ d", "e \\n f", "g \\\" h"}));
  // '#' is not a comment in shlex.split.
  EXPECT_EQ(split_ok("a #b"), (std::vector<std::string>{"a", "#b"}));
  EXPECT_EQ(split_ok(" \t a\r\nb  "), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(split_ok("").empty());
  EXPECT_TRUE(split_ok("   ").empty());
}

TEST(ShellSplit, Errors) {
  for (const char* s : {"a \"b", "a 'b", "'", "a\"b"}) {
    auto r = shell_split(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(r.error().message, "No closing quotation");
  }
  for (const char* s : {"a\\", "\"a\\"}) {
    auto r = shell_split(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(r.error().message, "No escaped character");
  }
}

}  // namespace
}  // namespace saltgw::salt_ipc
