// Unit tests for salt_args/detail/yaml_compose.h: libyaml's parser and
// PyYAML's composer. Expected graphs are what yaml.compose(text,
// Loader=SaltYamlSafeLoader) gives in Salt 3006 (tags shortened to `!!x`),
// except that timestamps resolve to str (yaml_resolve.h); "ERR" where it
// raises.
#include "salt_args/detail/yaml_compose.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "salt_args/detail/python_text.h"
#include "salt_args/detail/yaml_error.h"

namespace saltgw::salt_args::detail {
namespace {

std::string short_tag(const std::string& tag) {
  static const std::string kPrefix = "tag:yaml.org,2002:";
  return tag.rfind(kPrefix, 0) == 0 ? "!!" + tag.substr(kPrefix.size()) : tag;
}

std::string describe(const Node* n) {
  std::string out = short_tag(n->tag);
  switch (n->kind) {
    case Node::kScalar: return out + ":" + n->value;
    case Node::kSeq:
      out += "[";
      for (size_t i = 0; i < n->items.size(); ++i) out += (i ? ", " : "") + describe(n->items[i]);
      return out + "]";
    case Node::kMap:
      out += "{";
      for (size_t i = 0; i < n->pairs.size(); ++i) {
        out += (i ? ", " : "") + describe(n->pairs[i].first) + ": " + describe(n->pairs[i].second);
      }
      return out + "}";
  }
  return "?";
}

// Composes text; the root (nullptr for an empty stream) or nullopt on error.
struct Composed {
  std::deque<Node> nodes;
  const Node* root = nullptr;
  bool ok = false;
};

void compose_text(std::string_view text, Composed& c) {
  std::u32string u;
  ASSERT_TRUE(utf8_decode(text, u));
  try {
    c.root = compose(scan_tokens(std::move(u)), c.nodes);
    c.ok = true;
  } catch (const YamlError&) {
    c.ok = false;
  }
}

std::string graph(std::string_view text) {
  Composed c;
  compose_text(text, c);
  if (!c.ok) return "ERR";
  return c.root ? describe(c.root) : "None";
}

TEST(YamlCompose, Documents) {
  EXPECT_EQ(graph(""), "None");
  EXPECT_EQ(graph("# only a comment"), "None");
  EXPECT_EQ(graph("a"), "!!str:a");
  EXPECT_EQ(graph("--- a"), "!!str:a");
  EXPECT_EQ(graph("--- a\n..."), "!!str:a");
  EXPECT_EQ(graph("--- \n..."), "!!null:");
  // yaml.load reads a single document.
  EXPECT_EQ(graph("a\n--- b"), "ERR");
  EXPECT_EQ(graph("--- a\n--- b"), "ERR");
}

TEST(YamlCompose, ScalarsGetResolvedTags) {
  EXPECT_EQ(graph("[1, yes, ~, 'x', 1.5, 2001-01-01]"),
            "!!seq[!!int:1, !!bool:yes, !!null:~, !!str:x, !!float:1.5, !!str:2001-01-01]");
  EXPECT_EQ(graph("'1'"), "!!str:1");  // quoted: never implicit
  EXPECT_EQ(graph("!!str 1"), "!!str:1");
  EXPECT_EQ(graph("! 1"), "!!int:1");  // the non-specific `!` still resolves plain text
  EXPECT_EQ(graph("!foo 1"), "!foo:1");
  EXPECT_EQ(graph("!<tag:x> 1"), "tag:x:1");
  EXPECT_EQ(graph("[!!str , ! ]"), "!!seq[!!str:, !!str:]");
  EXPECT_EQ(graph("&a !!str"), "!!str:");
  EXPECT_EQ(graph("!!str &a"), "!!str:");
}

TEST(YamlCompose, Collections) {
  EXPECT_EQ(graph("{a: 1, b}"), "!!map{!!str:a: !!int:1, !!str:b: !!null:}");
  EXPECT_EQ(graph("{? a, b: }"), "!!map{!!str:a: !!null:, !!str:b: !!null:}");
  EXPECT_EQ(graph("'x' : 1"), "!!map{!!str:x: !!int:1}");
  EXPECT_EQ(graph("a: \n- x\n- y\nb: c"),
            "!!map{!!str:a: !!seq[!!str:x, !!str:y], !!str:b: !!str:c}");
  EXPECT_EQ(graph("- \n- a"), "!!seq[!!null:, !!str:a]");
  EXPECT_EQ(graph("[? a]"), "!!seq[!!map{!!str:a: !!null:}]");
  EXPECT_EQ(graph("[a: 1]"), "!!seq[!!map{!!str:a: !!int:1}]");
  EXPECT_EQ(graph("[a, ]"), "!!seq[!!str:a]");
  EXPECT_EQ(graph("!!map {a: 1}"), "!!map{!!str:a: !!int:1}");
  for (const char* bad : {"[a, b", "{a: 1", "[, a]", "[a: 1, : 2]", "[?]", "]", "a: b\n- c"}) {
    EXPECT_EQ(graph(bad), "ERR") << bad;
  }
}

TEST(YamlCompose, Directives) {
  EXPECT_EQ(graph("%YAML 1.1\n--- a"), "!!str:a");
  EXPECT_EQ(graph("%YAML 1.2\n--- a"), "!!str:a");
  EXPECT_EQ(graph("%TAG !e! tag:e.com,2000:\n--- !e!x a"), "tag:e.com,2000:x:a");
  EXPECT_EQ(graph("%TAG !! tag:other:\n--- !!x a"), "tag:other:x:a");
  for (const char* bad : {"!e!x a", "%YAML 1.3\n--- a", "%YAML 2.0\n--- a",
                          "%YAML 1.1\n%YAML 1.1\n--- a", "%TAG !e! x\n%TAG !e! y\n--- a"}) {
    EXPECT_EQ(graph(bad), "ERR") << bad;
  }
}

TEST(YamlCompose, AnchorsAndAliasesShareNodes) {
  Composed c;
  compose_text("- [x]\n- &k {a: 1}\n- *k", c);
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(describe(c.root),
            "!!seq[!!seq[!!str:x], !!map{!!str:a: !!int:1}, !!map{!!str:a: !!int:1}]");
  ASSERT_EQ(c.root->items.size(), 3u);
  EXPECT_EQ(c.root->items[1], c.root->items[2]);  // one node, twice
  EXPECT_NE(c.root->items[0], c.root->items[1]);
  EXPECT_EQ(graph("[&a x, *a]"), "!!seq[!!str:x, !!str:x]");
  EXPECT_EQ(graph("[*a]"), "ERR");             // undefined alias
  EXPECT_EQ(graph("[&a x, &a y]"), "ERR");     // duplicate anchor
  EXPECT_EQ(graph("&a [1, *a]"), "ERR");       // recursive (PyYAML: a self-containing list)
  EXPECT_EQ(graph("&a {k: *a}"), "ERR");
}

TEST(YamlCompose, DepthLimit) {
  EXPECT_NE(graph(std::string(200, '[') + std::string(200, ']')), "ERR");
  // `[a: [a: ...]]`: each level is a sequence and a single-pair mapping, so
  // 150 levels are 150 flow levels for the scanner (within its limit) but
  // 300 nested nodes for the composer (beyond kMaxYamlDepth).
  std::string pairs;
  for (int i = 0; i < 100; ++i) pairs += "[a: ";
  EXPECT_NE(graph(pairs + "x" + std::string(100, ']')), "ERR");
  for (int i = 100; i < 150; ++i) pairs += "[a: ";
  EXPECT_EQ(graph(pairs + "x" + std::string(150, ']')), "ERR");
}

}  // namespace
}  // namespace saltgw::salt_args::detail
