// Unit tests for salt_ipc/value.h: find, text, contains_string, debug_string
// and equality of the neutral value tree.
#include "salt_ipc/value.h"

#include <gtest/gtest.h>

#include <string>

namespace saltgw::salt_ipc {
namespace {

using namespace std::string_literals;

TEST(ValueTest, DefaultIsNull) {
  Value v;
  EXPECT_TRUE(v.is_null());
  EXPECT_FALSE(v.is_map());
  EXPECT_EQ(v, Value(nullptr));
}

TEST(ValueTest, ConstructorsPickTheRightAlternative) {
  EXPECT_TRUE(Value(true).is_bool());
  EXPECT_TRUE(Value(7).is_int());
  EXPECT_EQ(Value(7).as_int(), 7);
  EXPECT_TRUE(Value(int64_t{-9}).is_int());
  EXPECT_TRUE(Value(1.5).is_double());
  EXPECT_TRUE(Value("s").is_string());
  EXPECT_TRUE(Value("s"s).is_string());
  EXPECT_TRUE(Value(std::string_view("s")).is_string());
  EXPECT_TRUE(Value(Bytes{"b"}).is_bytes());
  EXPECT_TRUE(Value(List{}).is_list());
  EXPECT_TRUE(Value(Map{}).is_map());
}

TEST(ValueTest, FindOnMap) {
  Value v(Map{{"a", Value(1)}, {"b", Value("x")}});
  ASSERT_NE(v.find("a"), nullptr);
  EXPECT_EQ(*v.find("a"), Value(1));
  ASSERT_NE(v.find("b"), nullptr);
  EXPECT_EQ(v.find("b")->as_string(), "x");
  EXPECT_EQ(v.find("c"), nullptr);
  EXPECT_EQ(v.find(""), nullptr);
}

TEST(ValueTest, FindOnNonMapIsNull) {
  EXPECT_EQ(Value().find("a"), nullptr);
  EXPECT_EQ(Value("a").find("a"), nullptr);
  EXPECT_EQ(Value(List{Value("a")}).find("a"), nullptr);
  EXPECT_EQ(Value(Bytes{"a"}).find("a"), nullptr);
}

TEST(ValueTest, FindWithStringViewKeyNotNulTerminated) {
  Value v(Map{{"ab", Value(1)}, {"a", Value(2)}});
  std::string_view key = std::string_view("abc").substr(0, 1);
  ASSERT_NE(v.find(key), nullptr);
  EXPECT_EQ(v.find(key)->as_int(), 2);
}

TEST(ValueTest, TextOfStrAndBin) {
  EXPECT_EQ(Value("hello").text(), "hello");
  EXPECT_EQ(Value(Bytes{"\x00\xff"s}).text(), "\x00\xff"s);
  EXPECT_EQ(Value("").text(), "");
}

TEST(ValueTest, TextOfOtherTypesIsEmpty) {
  EXPECT_TRUE(Value().text().empty());
  EXPECT_TRUE(Value(true).text().empty());
  EXPECT_TRUE(Value(12).text().empty());
  EXPECT_TRUE(Value(1.25).text().empty());
  EXPECT_TRUE(Value(List{Value("x")}).text().empty());
  EXPECT_TRUE(Value(Map{{"x", Value("y")}}).text().empty());
}

TEST(ValueTest, ContainsStringTopLevel) {
  EXPECT_TRUE(contains_string(Value("VALUE_TRIMMED"), "VALUE_TRIMMED"));
  EXPECT_FALSE(contains_string(Value("VALUE_TRIMMED!"), "VALUE_TRIMMED"));
  EXPECT_FALSE(contains_string(Value("xVALUE_TRIMMED"), "VALUE_TRIMMED"));
}

TEST(ValueTest, ContainsStringNested) {
  Value v(Map{{"outer",
               Value(List{Value(1), Value(Map{{"inner", Value(List{Value("needle")})}})})}});
  EXPECT_TRUE(contains_string(v, "needle"));
  EXPECT_FALSE(contains_string(v, "need"));
  EXPECT_FALSE(contains_string(v, "inner"));  // keys are not values
  EXPECT_FALSE(contains_string(v, "outer"));
}

TEST(ValueTest, ContainsStringIgnoresBytesAndScalars) {
  EXPECT_FALSE(contains_string(Value(Bytes{"needle"}), "needle"));
  EXPECT_FALSE(contains_string(Value(), "None"));
  EXPECT_FALSE(contains_string(Value(1), "1"));
  EXPECT_FALSE(contains_string(Value(List{}), ""));
  EXPECT_TRUE(contains_string(Value(List{Value("")}), ""));
}

TEST(ValueTest, DebugStringScalars) {
  EXPECT_EQ(Value().debug_string(), "None");
  EXPECT_EQ(Value(true).debug_string(), "True");
  EXPECT_EQ(Value(false).debug_string(), "False");
  EXPECT_EQ(Value(-42).debug_string(), "-42");
  EXPECT_EQ(Value(1.5).debug_string(), "1.5");
  EXPECT_EQ(Value("abc").debug_string(), "'abc'");
  EXPECT_EQ(Value(Bytes{"abc"}).debug_string(), "b'abc'");
}

TEST(ValueTest, DebugStringContainersSortedKeys) {
  Value v(Map{{"b", Value(List{Value(1), Value("x")})}, {"a", Value()}});
  EXPECT_EQ(v.debug_string(), "{'a': None, 'b': [1, 'x']}");
  EXPECT_EQ(Value(List{}).debug_string(), "[]");
  EXPECT_EQ(Value(Map{}).debug_string(), "{}");
}

TEST(ValueTest, EqualityIsDeepAndTypeSensitive) {
  Value a(Map{{"k", Value(List{Value(1), Value("s"), Value(Bytes{"b"})})}});
  Value b(Map{{"k", Value(List{Value(1), Value("s"), Value(Bytes{"b"})})}});
  EXPECT_EQ(a, b);
  Value c(Map{{"k", Value(List{Value(1), Value("s"), Value("b")})}});
  EXPECT_FALSE(a == c);  // str vs bin differ
  EXPECT_FALSE(Value(1) == Value(1.0));
  EXPECT_FALSE(Value(1) == Value(true));
  EXPECT_FALSE(Value("") == Value());
  EXPECT_FALSE(Value(List{}) == Value(Map{}));
}

TEST(ValueTest, CopiesAreIndependent) {
  Value a(Map{{"k", Value(1)}});
  Value b = a;
  b.as_map()["k"] = Value(2);
  b.as_map()["new"] = Value("x");
  EXPECT_EQ(a.find("k")->as_int(), 1);
  EXPECT_EQ(a.find("new"), nullptr);
  EXPECT_EQ(b.find("k")->as_int(), 2);
}

TEST(ValueTest, MutableListAccess) {
  Value v(List{});
  v.as_list().push_back(Value(3));
  ASSERT_EQ(v.as_list().size(), 1u);
  EXPECT_EQ(v.as_list()[0], Value(3));
}

}  // namespace
}  // namespace saltgw::salt_ipc
