// Unit tests for salt_args/detail/yaml_resolve.h: PyYAML's YAML 1.1
// implicit resolvers. Expected tags are what SaltYamlSafeLoader's
// resolve(ScalarNode, text, (True, False)) gives in Salt 3006, except for
// timestamps, which the header leaves out on purpose (str here).
#include "salt_args/detail/yaml_resolve.h"

#include <gtest/gtest.h>

#include <string_view>

namespace saltgw::salt_args::detail {
namespace {

std::string_view tag(std::string_view text) { return resolve_scalar(text, true); }

TEST(YamlResolve, Booleans) {
  for (const char* t : {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false",
                        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"}) {
    EXPECT_EQ(tag(t), kTagBool) << t;
  }
  for (const char* t : {"yEs", "tRue", "y", "n", "Y", "N", "oN", "yes!", "nope"}) {
    EXPECT_EQ(tag(t), kTagStr) << t;
  }
}

TEST(YamlResolve, Integers) {
  for (const char* t : {"0", "-0", "+12", "017", "0x1F", "0x_1", "0b101", "-0b1_1", "1_000",
                        "1__0", "190:20:30", "-1:30", "1:59"}) {
    EXPECT_EQ(tag(t), kTagInt) << t;
  }
  // 0o is YAML 1.2; 08 is neither octal nor decimal; sexagesimal digits go
  // up to 59 and the first group cannot start with 0.
  for (const char* t : {"0o17", "08", "0b", "0x", "0b102", "_1", "1:60", "0:30", "1e5", "+", "-"}) {
    EXPECT_EQ(tag(t), kTagStr) << t;
  }
}

TEST(YamlResolve, Floats) {
  for (const char* t : {"1.5", "-1.5", "1.", "09.5", ".5", "1_0.5", "1.0e+3", "6.8523015e+5",
                        "685.230_15e+03", "-0.0", "1:20.5", "190:20:30.15", ".inf", "-.Inf",
                        "+.INF", ".nan", ".NaN", ".NAN"}) {
    EXPECT_EQ(tag(t), kTagFloat) << t;
  }
  // YAML 1.1 needs a dot and a signed exponent; no bare inf/nan.
  for (const char* t : {"1e3", "1.e3", "1.0e3", "inf", "nan", "-.nan", ".", "..5", ".inF",
                        "1.5.5"}) {
    EXPECT_NE(tag(t), kTagFloat) << t;
  }
}

TEST(YamlResolve, NullAndSpecialKeys) {
  for (const char* t : {"", "~", "null", "Null", "NULL"}) EXPECT_EQ(tag(t), kTagNull) << t;
  for (const char* t : {"nUll", "none", "None", "~~"}) EXPECT_EQ(tag(t), kTagStr) << t;
  EXPECT_EQ(tag("<<"), kTagMerge);
  EXPECT_EQ(tag("<<<"), kTagStr);
  EXPECT_EQ(tag("="), kTagValue);
  EXPECT_EQ(tag("=="), kTagStr);
  for (const char* t : {"!", "&", "*"}) EXPECT_EQ(tag(t), kTagYaml) << t;
}

TEST(YamlResolve, TimestampsAreText) {
  // SaltYamlSafeLoader constructs timestamps as their text, so the resolver
  // leaves them as str (PyYAML would say tag:yaml.org,2002:timestamp).
  EXPECT_EQ(tag("2001-12-14"), kTagStr);
  EXPECT_EQ(tag("2001-12-14t21:59:43.10-05:00"), kTagStr);
}

TEST(YamlResolve, FinalNewlineLikePythonDollar) {
  // Python's re `$` also matches before one final newline.
  EXPECT_EQ(tag("1\n"), kTagInt);
  EXPECT_EQ(tag("yes\n"), kTagBool);
  EXPECT_EQ(tag("1.5\n"), kTagFloat);
  EXPECT_EQ(tag("~\n"), kTagNull);
  EXPECT_EQ(tag("1\n\n"), kTagStr);
  EXPECT_EQ(tag("\n"), kTagStr);
}

TEST(YamlResolve, NotImplicitIsAlwaysText) {
  for (const char* t : {"", "1", "yes", "~", "1.5", "<<"}) {
    EXPECT_EQ(resolve_scalar(t, false), kTagStr) << t;
  }
}

}  // namespace
}  // namespace saltgw::salt_args::detail
