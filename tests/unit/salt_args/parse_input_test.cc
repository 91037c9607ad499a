// Unit tests for salt_args/parse_input.h: Salt's parse_input(words,
// condition=False), i.e. which words are keyword arguments (parse_kwarg's
// KWARG_REGEX) and how both kinds are loaded. Expected values were checked
// with salt.utils.args.parse_input in Salt 3006.
#include "salt_args/parse_input.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "salt_args/cli_args.h"

namespace saltgw::salt_ipc {
namespace {

TEST(ParseKwarg, Regex) {
  auto kv = parse_kwarg("k=v");
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->first, "k");
  EXPECT_EQ(kv->second, "v");
  EXPECT_TRUE(parse_kwarg("a.b-c_d=1"));
  EXPECT_TRUE(parse_kwarg("k="));
  EXPECT_EQ(parse_kwarg("k=a=b")->second, "a=b");
  EXPECT_TRUE(parse_kwarg("_x=1"));
  EXPECT_FALSE(parse_kwarg("key==value"));
  EXPECT_FALSE(parse_kwarg("k=={a: 1}"));
  EXPECT_FALSE(parse_kwarg("=value"));
  EXPECT_FALSE(parse_kwarg("1a=2"));
  EXPECT_FALSE(parse_kwarg("-k=1"));
  EXPECT_FALSE(parse_kwarg("a b=1"));
  EXPECT_FALSE(parse_kwarg("k"));
  EXPECT_FALSE(parse_kwarg(""));
}

TEST(ParseKwarg, UnicodeNames) {
  // Python's \w and \d are Unicode-aware: a name may start with any word
  // character that is not a decimal digit.
  EXPECT_EQ(parse_kwarg("ключ=значение")->first, "ключ");
  EXPECT_EQ(parse_kwarg("é=1")->first, "é");
  EXPECT_EQ(parse_kwarg("a٣=1")->first, "a٣");
  EXPECT_TRUE(parse_kwarg("²=5"));   // a digit, but not a decimal one
  EXPECT_FALSE(parse_kwarg("٣a=1"));  // ARABIC-INDIC DIGIT THREE is decimal
  EXPECT_FALSE(parse_kwarg("€=1"));
  EXPECT_FALSE(parse_kwarg("k\xff=1"));  // not UTF-8: never a keyword argument
}

TEST(ParseKwarg, NewlinesLikePythonDollar) {
  EXPECT_FALSE(parse_kwarg("k=a\nb"));              // `.` does not match a newline
  EXPECT_EQ(parse_kwarg("k=ab\n")->second, "ab");  // `$` matches before a final one
  EXPECT_EQ(parse_kwarg("k=\n")->second, "");
  EXPECT_FALSE(parse_kwarg("k=a\n\n"));
}

TEST(ParseCliArgs, KwargsAndPositionals) {
  ParsedArgs p = parse_cli_args(
      {"key==value", "k=", "=v", "a.b=1", "x-y=yes", "k2=v", "k2=w", "٣a=1", "k3=a\nb"});
  EXPECT_EQ(Value(p.args), Value(List{Value("key==value"), Value("=v"), Value("٣a=1"),
                                      Value("k3=a\nb")}));
  EXPECT_EQ(Value(p.kwargs), Value(Map{{"k", Value("")},
                                       {"a.b", Value(1)},
                                       {"x-y", Value(true)},
                                       {"k2", Value("w")}}));  // the last one wins
}

TEST(ParseCliArgs, BothKindsAreYamlified) {
  ParsedArgs p = parse_cli_args({"1", "[1, x]", "name=yes", "l=[1]", "m={a: ~}", "s=1_000"});
  EXPECT_EQ(Value(p.args), Value(List{Value(1), Value(List{Value(1), Value("x")})}));
  EXPECT_EQ(Value(p.kwargs), Value(Map{{"name", Value(true)},
                                       {"l", Value(List{Value(1)})},
                                       {"m", Value(Map{{"a", Value()}})},
                                       {"s", Value("1_000")}}));
  EXPECT_TRUE(parse_cli_args({}).args.empty());
}

TEST(ParseCliArgs, ReferenceExampleEndToEnd) {
  // The execute_raw example, through shell_split as the endpoint does it.
  auto words = shell_split("test.arg 1 yes [1,2] {a: b} k=v n=3");
  ASSERT_TRUE(words.ok());
  ASSERT_EQ(words->front(), "test.arg");
  ParsedArgs p = parse_cli_args(std::vector<std::string>(words->begin() + 1, words->end()));
  EXPECT_EQ(Value(p.args), Value(List{Value(1), Value(true), Value(List{Value(1), Value(2)}),
                                      Value("{a:"), Value("b}")}));
  EXPECT_EQ(Value(p.kwargs), Value(Map{{"k", Value("v")}, {"n", Value(3)}}));
}

TEST(ParseCliValues, JsonListForm) {
  Map kw{{"__kwarg__", Value(true)}, {"x", Value(1)}};
  Map not_kw{{"__kwarg__", Value(false)}, {"y", Value(2)}};
  ParsedArgs p = parse_cli_values(List{Value("a"), Value("k=v"), Value("2"), Value(3), Value(kw),
                                       Value(not_kw)});
  EXPECT_EQ(Value(p.args),
            Value(List{Value("a"), Value(2), Value(3), Value(Map{{"y", Value(2)}})}));
  EXPECT_EQ(Value(p.kwargs), Value(Map{{"k", Value("v")}, {"x", Value(1)}}));
}

TEST(ParseCliValues, OnlyTrueMarksKeywordArguments) {
  // Salt: `arg.pop("__kwarg__", False) is True`; anything else is positional,
  // without its __kwarg__ key. Maps without the key and other values are kept.
  Map one{{"__kwarg__", Value(1)}, {"z", Value(3)}};
  Map text{{"__kwarg__", Value("yes")}, {"w", Value(4)}};
  Map plain{{"p", Value(5)}};
  ParsedArgs p = parse_cli_values(
      List{Value(one), Value(text), Value(plain), Value(List{Value("k=v")}), Value()});
  EXPECT_EQ(Value(p.args), Value(List{Value(Map{{"z", Value(3)}}), Value(Map{{"w", Value(4)}}),
                                      Value(plain), Value(List{Value("k=v")}), Value()}));
  EXPECT_TRUE(p.kwargs.empty());
}

}  // namespace
}  // namespace saltgw::salt_ipc
