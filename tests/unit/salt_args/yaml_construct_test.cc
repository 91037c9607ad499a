// Unit tests for salt_args/detail/yaml_construct.h: SafeConstructor with
// SaltYamlSafeLoader's overrides. Expected values are what
// yaml.load(text, Loader=SaltYamlSafeLoader) gives in Salt 3006, mapped onto
// Value as yamlify.h describes; "ERR" cases raise there too (except where a
// test says it is one of our guards).
#include "salt_args/detail/yaml_construct.h"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <optional>
#include <string>

#include "salt_args/detail/python_number.h"
#include "salt_args/detail/python_text.h"
#include "salt_args/detail/yaml_error.h"
#include "salt_args/yamlify.h"
#include "tests/unit/salt_args/alias_bomb.h"

namespace saltgw::salt_args::detail {
namespace {

using salt_ipc::Bytes;
using salt_ipc::List;
using salt_ipc::Map;
using salt_ipc::Value;

// scan, compose and construct; nullopt where a stage throws YamlError.
std::optional<Obj> load(std::string_view text) {
  std::u32string u;
  if (!utf8_decode(text, u)) return std::nullopt;
  std::deque<Node> nodes;
  try {
    Node* root = compose(scan_tokens(std::move(u)), nodes);
    if (!root) return Obj{};
    return construct_document(root);
  } catch (const YamlError&) {
    return std::nullopt;
  }
}

Value value_of(std::string_view text, Kind kind) {
  auto o = load(text);
  EXPECT_TRUE(o) << text;
  if (!o) return Value("<error>");
  EXPECT_EQ(o->kind, kind) << text;
  return o->value;
}

TEST(YamlConstruct, Ints) {
  EXPECT_EQ(value_of("0x1F", Kind::kInt), Value(31));
  EXPECT_EQ(value_of("-0x10", Kind::kInt), Value(-16));
  EXPECT_EQ(value_of("+0x_ff", Kind::kInt), Value(255));
  EXPECT_EQ(value_of("0b1_01", Kind::kInt), Value(5));
  EXPECT_EQ(value_of("-0b11", Kind::kInt), Value(-3));
  EXPECT_EQ(value_of("017", Kind::kInt), Value(17));  // Salt: leading zeros are not octal
  EXPECT_EQ(value_of("00", Kind::kInt), Value(0));
  EXPECT_EQ(value_of("0_0", Kind::kInt), Value(0));
  EXPECT_EQ(value_of("1_000", Kind::kInt), Value(1000));
  EXPECT_EQ(value_of("190:20:30", Kind::kInt), Value(685230));
  EXPECT_EQ(value_of("-1:30", Kind::kInt), Value(-90));
  EXPECT_EQ(value_of("!!int '12'", Kind::kInt), Value(12));
  // Outside int64: the decimal text, kept also in int_text for key identity.
  EXPECT_EQ(value_of("9223372036854775808", Kind::kInt), Value("9223372036854775808"));
  EXPECT_EQ(value_of("-9223372036854775808", Kind::kInt),
            Value(std::numeric_limits<int64_t>::min()));
  auto big = load("0x10000000000000000");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->int_text, "18446744073709551616");
  EXPECT_FALSE(load("!!int 1.5"));
  EXPECT_FALSE(load("1" + std::string(kPyMaxStrDigits, '0')));  // str() would raise
}

TEST(YamlConstruct, Floats) {
  EXPECT_EQ(value_of("1.5", Kind::kFloat), Value(1.5));
  EXPECT_EQ(value_of("1_0.5", Kind::kFloat), Value(10.5));
  EXPECT_EQ(value_of("6.8523015e+5", Kind::kFloat), Value(685230.15));
  EXPECT_EQ(value_of("1:20.5", Kind::kFloat), Value(80.5));
  EXPECT_EQ(value_of("1:0:0.5", Kind::kFloat), Value(3600.5));
  EXPECT_EQ(value_of("!!float 1:30", Kind::kFloat), Value(90.0));
  EXPECT_EQ(value_of("!!float '1'", Kind::kFloat), Value(1.0));
  EXPECT_EQ(value_of("1.0e+400", Kind::kFloat), Value(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(value_of("-.inf", Kind::kFloat), Value(-std::numeric_limits<double>::infinity()));
  Value nan = value_of(".nan", Kind::kFloat);
  ASSERT_TRUE(nan.is_double());
  EXPECT_TRUE(std::isnan(nan.as_double()));
  EXPECT_FALSE(load("!!float abc"));
}

TEST(YamlConstruct, ScalarsOfOtherTypes) {
  EXPECT_EQ(value_of("yes", Kind::kBool), Value(true));
  EXPECT_EQ(value_of("Off", Kind::kBool), Value(false));
  EXPECT_EQ(value_of("!!bool yes", Kind::kBool), Value(true));
  EXPECT_FALSE(load("!!bool maybe"));
  EXPECT_TRUE(value_of("~", Kind::kNone).is_null());
  EXPECT_TRUE(value_of("!!null ''", Kind::kNone).is_null());
  EXPECT_TRUE(value_of("", Kind::kNone).is_null());
  EXPECT_EQ(value_of("2024-01-02", Kind::kStr), Value("2024-01-02"));  // Salt: timestamps as text
  EXPECT_EQ(value_of("!!timestamp 2024-01-02", Kind::kStr), Value("2024-01-02"));
  EXPECT_EQ(value_of("!!str 123", Kind::kStr), Value("123"));
  EXPECT_EQ(value_of("!!python/unicode x", Kind::kStr), Value("x"));
  EXPECT_FALSE(load("!foo x"));  // unknown tag
}

TEST(YamlConstruct, Binary) {
  EXPECT_EQ(value_of("!!binary aGVsbG8=", Kind::kBytes), Value(Bytes{"hello"}));
  EXPECT_EQ(value_of("!!binary 'aGV sbG8='", Kind::kBytes), Value(Bytes{"hello"}));  // junk skipped
  EXPECT_EQ(value_of("!!binary aGk=", Kind::kBytes), Value(Bytes{"hi"}));
  EXPECT_FALSE(load("!!binary aGVsbG8"));      // incorrect padding
  EXPECT_FALSE(load("!!binary \"\\u00e9\""));  // not ASCII
}

TEST(YamlConstruct, Collections) {
  EXPECT_EQ(value_of("[a, [b, {c: d}]]", Kind::kList),
            Value(List{Value("a"), Value(List{Value("b"), Value(Map{{"c", Value("d")}})})}));
  EXPECT_EQ(value_of("a: 1", Kind::kDict), Value(Map{{"a", Value(1)}}));
  EXPECT_EQ(value_of("- a", Kind::kList), Value(List{Value("a")}));
  EXPECT_EQ(value_of("{? a}", Kind::kDict), Value(Map{{"a", Value()}}));
  EXPECT_EQ(value_of("{=: 1, a: 2}", Kind::kDict), Value(Map{{"=", Value(1)}, {"a", Value(2)}}));
  // Sets keep document order; omap and pairs become lists of [key, value].
  EXPECT_EQ(value_of("!!set {b, a}", Kind::kSet), Value(List{Value("b"), Value("a")}));
  EXPECT_EQ(value_of("!!omap [a: 1, b: 2]", Kind::kList),
            Value(List{Value(List{Value("a"), Value(1)}), Value(List{Value("b"), Value(2)})}));
  EXPECT_EQ(value_of("!!pairs [a: 1, a: 2]", Kind::kList),
            Value(List{Value(List{Value("a"), Value(1)}), Value(List{Value("a"), Value(2)})}));
  EXPECT_FALSE(load("!!omap [a, b]"));
  EXPECT_FALSE(load("!!seq {a: 1}"));
  EXPECT_FALSE(load("!!map [a]"));
}

TEST(YamlConstruct, MapKeys) {
  // Non-text keys become their JSON text.
  EXPECT_EQ(value_of("{1: a, 1.5: b, ~: c, false: d, -.inf: e, .nan: f}", Kind::kDict),
            Value(Map{{"1", Value("a")},
                      {"1.5", Value("b")},
                      {"null", Value("c")},
                      {"false", Value("d")},
                      {"-Infinity", Value("e")},
                      {"NaN", Value("f")}}));
  // Keys equal in Python are duplicates (SaltYamlSafeLoader raises).
  for (const char* dup : {"{a: 1, a: 2}", "{1: a, 1.0: b}", "{1: a, true: b}", "{0: a, false: b}",
                          "{~: a, null: b}", "{1: a, 0x1: b}"}) {
    EXPECT_FALSE(load(dup)) << dup;
  }
  // Every `.nan` is PyYAML's one nan_value object, so `key in mapping` finds
  // it by identity: a duplicate. float("nan") (from `!!float nan`) is a new
  // object each time, and NaN is never equal to itself: distinct keys, which
  // collapse into one "NaN" text key here (the later one wins).
  EXPECT_FALSE(load("{.nan: a, .NaN: b}"));
  EXPECT_FALSE(load("{!!float -.nan: a, .nan: b}"));
  EXPECT_EQ(value_of("{!!float nan: a, !!float nan: b}", Kind::kDict),
            Value(Map{{"NaN", Value("b")}}));
  EXPECT_EQ(value_of("{.nan: a, !!float nan: b}", Kind::kDict), Value(Map{{"NaN", Value("b")}}));
  EXPECT_FALSE(load("{&n !!float nan: a, *n: b}"));  // the same object twice
  // "1" and 1 differ in Python.
  EXPECT_EQ(value_of("{1: a, '1': b}", Kind::kDict), Value(Map{{"1", Value("b")}}));
  EXPECT_FALSE(load("{[1]: a}"));  // unhashable
  EXPECT_FALSE(load("{{a: 1}: b}"));
}

TEST(YamlConstruct, MergeKeys) {
  EXPECT_EQ(value_of("{<<: {a: 1, b: 2}, b: 3}", Kind::kDict),
            Value(Map{{"a", Value(1)}, {"b", Value(3)}}));
  EXPECT_EQ(value_of("{<<: [{a: 1}, {c: 3}], b: 2}", Kind::kDict),
            Value(Map{{"a", Value(1)}, {"b", Value(2)}, {"c", Value(3)}}));
  EXPECT_EQ(value_of("- &k {a: 1}\n- {<<: *k, b: 2}", Kind::kList),
            Value(List{Value(Map{{"a", Value(1)}}), Value(Map{{"a", Value(1)}, {"b", Value(2)}})}));
  // Salt rejects a key that two merged maps both give.
  EXPECT_FALSE(load("{<<: [{a: 1}, {a: 2, c: 3}]}"));
  EXPECT_FALSE(load("{<<: 1}"));
  EXPECT_FALSE(load("{<<: [1]}"));
}

TEST(YamlConstruct, AliasesAndTheExpansionBudget) {
  EXPECT_EQ(value_of("[&x 1, *x]", Kind::kList), Value(List{Value(1), Value(1)}));
  auto o = load("[&a [x, y], *a, *a]");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->size, 10u);  // 3 per copy of [x, y], and the outer list
  // 10^6 values after expansion, beyond kMaxYamlValues; 10^5 is within it.
  EXPECT_TRUE(load(test_input::alias_bomb(5)));
  EXPECT_FALSE(load(test_input::alias_bomb(6)));  // our guard: Python would build it
}

}  // namespace
}  // namespace saltgw::salt_args::detail
