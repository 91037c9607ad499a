// Unit tests for salt_args/detail/yaml_scanner.h: libyaml 0.2.5's scanner.
// Each expected token stream is what yaml.scan(text, Loader=CSafeLoader)
// gives in Salt 3006's PyYAML (libyaml underneath); "ERR" where it raises.
#include "salt_args/detail/yaml_scanner.h"

#include <gtest/gtest.h>

#include <string>

#include "salt_args/detail/python_text.h"
#include "salt_args/detail/yaml_error.h"

namespace saltgw::salt_args::detail {
namespace {

const char* name(TT t) {
  switch (t) {
    case TT::kStreamStart: return "StreamStart";
    case TT::kStreamEnd: return "StreamEnd";
    case TT::kDirective: return "Directive";
    case TT::kDocumentStart: return "DocumentStart";
    case TT::kDocumentEnd: return "DocumentEnd";
    case TT::kBlockSequenceStart: return "BlockSequenceStart";
    case TT::kBlockMappingStart: return "BlockMappingStart";
    case TT::kBlockEnd: return "BlockEnd";
    case TT::kFlowSequenceStart: return "FlowSequenceStart";
    case TT::kFlowSequenceEnd: return "FlowSequenceEnd";
    case TT::kFlowMappingStart: return "FlowMappingStart";
    case TT::kFlowMappingEnd: return "FlowMappingEnd";
    case TT::kBlockEntry: return "BlockEntry";
    case TT::kFlowEntry: return "FlowEntry";
    case TT::kKey: return "Key";
    case TT::kValue: return "Value";
    case TT::kAlias: return "Alias";
    case TT::kAnchor: return "Anchor";
    case TT::kTag: return "Tag";
    case TT::kScalar: return "Scalar";
  }
  return "?";
}

const char* style(Style s) {
  switch (s) {
    case Style::kPlain: return "";
    case Style::kSingle: return ",'";
    case Style::kDouble: return ",\"";
    case Style::kLiteral: return ",|";
    case Style::kFolded: return ",>";
  }
  return "?";
}

// The token stream in the notation of the comments above: names, with the
// value (and quoting style) of scalars, anchors and aliases, and the handle
// and suffix of tags, between the StreamStart and StreamEnd tokens.
std::string scan(std::string_view text) {
  std::u32string u;
  if (!utf8_decode(text, u)) return "bad utf-8";
  std::vector<Token> tokens;
  try {
    tokens = scan_tokens(std::move(u));
  } catch (const YamlError&) {
    return "ERR";
  }
  EXPECT_GE(tokens.size(), 2u);
  EXPECT_EQ(tokens.front().type, TT::kStreamStart);
  EXPECT_EQ(tokens.back().type, TT::kStreamEnd);
  std::string out;
  for (size_t i = 1; i + 1 < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (!out.empty()) out += ' ';
    out += name(t.type);
    if (t.type == TT::kScalar) out += "(" + t.value + style(t.style) + ")";
    if (t.type == TT::kAnchor || t.type == TT::kAlias) out += "(" + t.value + ")";
    if (t.type == TT::kTag) out += "(" + t.handle + "," + t.suffix + ")";
    if (t.type == TT::kDirective) {
      out += "(" + t.value + "," +
             (t.value == "YAML" ? std::to_string(t.major) + "." + std::to_string(t.minor)
                                : t.handle + " " + t.suffix) +
             ")";
    }
  }
  return out;
}

TEST(YamlScanner, PlainScalars) {
  EXPECT_EQ(scan(""), "");
  EXPECT_EQ(scan("a"), "Scalar(a)");
  EXPECT_EQ(scan("plain  two"), "Scalar(plain  two)");
  EXPECT_EQ(scan("key:value"), "Scalar(key:value)");
  EXPECT_EQ(scan("-a"), "Scalar(-a)");
  EXPECT_EQ(scan(":a"), "Scalar(:a)");
  EXPECT_EQ(scan("a #c"), "Scalar(a)");      // a comment after a blank
  EXPECT_EQ(scan("a#c"), "Scalar(a#c)");     // not a comment
  EXPECT_EQ(scan("a\n b"), "Scalar(a b)");   // folded continuation line
  EXPECT_EQ(scan("a\n\n b"), "Scalar(a\nb)");
  EXPECT_EQ(scan("a\n--- b"), "Scalar(a) DocumentStart Scalar(b)");
}

TEST(YamlScanner, QuotedScalars) {
  EXPECT_EQ(scan("'it''s'"), "Scalar(it's,')");
  EXPECT_EQ(scan("'a\n\n b'"), "Scalar(a\nb,')");
  EXPECT_EQ(scan("'a\n b'"), "Scalar(a b,')");
  EXPECT_EQ(scan("\"a\\tb\\x41\\u00e9\""), "Scalar(a\tbA\xc3\xa9,\")");
  EXPECT_EQ(scan("\"\\U0001F600\\N\\_\""), "Scalar(\xf0\x9f\x98\x80\xc2\x85\xc2\xa0,\")");
  EXPECT_EQ(scan("\"a\\\nb\""), "Scalar(ab,\")");  // escaped line break
  EXPECT_EQ(scan("'single \\n'"), "Scalar(single \\n,')");
  // Unterminated, unknown escapes, surrogates, a document marker inside.
  for (const char* bad : {"'abc", "\"abc", "\"\\q\"", "\"\\ud800\"", "\"\\x4\"",
                          "'a\n--- b'", "'a\n... b'"}) {
    EXPECT_EQ(scan(bad), "ERR") << bad;
  }
}

TEST(YamlScanner, BlockScalars) {
  EXPECT_EQ(scan("|\n  a\n  b\n"), "Scalar(a\nb\n,|)");
  EXPECT_EQ(scan(">\n  a\n  b\n"), "Scalar(a b\n,>)");
  EXPECT_EQ(scan("|-\n  a\n"), "Scalar(a,|)");
  EXPECT_EQ(scan(">+\n  a\n\n"), "Scalar(a\n\n,>)");
  EXPECT_EQ(scan("|2\n   a\n"), "Scalar( a\n,|)");  // explicit indentation
  EXPECT_EQ(scan("| # comment\n a\n"), "Scalar(a\n,|)");
  EXPECT_EQ(scan("|"), "Scalar(,|)");
  EXPECT_EQ(scan("|0\n a"), "ERR");   // indentation indicator 0
  EXPECT_EQ(scan("|x\n a"), "ERR");   // junk after the header
  EXPECT_EQ(scan("|\n\ta"), "ERR");   // tab as indentation
}

TEST(YamlScanner, FlowCollections) {
  EXPECT_EQ(scan("[a, b]"), "FlowSequenceStart Scalar(a) FlowEntry Scalar(b) FlowSequenceEnd");
  EXPECT_EQ(scan("{a: b}"), "FlowMappingStart Key Scalar(a) Value Scalar(b) FlowMappingEnd");
  EXPECT_EQ(scan("[a:b]"), "FlowSequenceStart Scalar(a:b) FlowSequenceEnd");
  EXPECT_EQ(scan("[a: b]"), "FlowSequenceStart Key Scalar(a) Value Scalar(b) FlowSequenceEnd");
  EXPECT_EQ(scan("{a: [b, c]}"),
            "FlowMappingStart Key Scalar(a) Value FlowSequenceStart Scalar(b) FlowEntry "
            "Scalar(c) FlowSequenceEnd FlowMappingEnd");
  EXPECT_EQ(scan("[\"a\":b]"),
            "FlowSequenceStart Key Scalar(a,\") Value Scalar(b) FlowSequenceEnd");
  // Unbalanced brackets are the parser's business, not the scanner's.
  EXPECT_EQ(scan("["), "FlowSequenceStart");
  EXPECT_EQ(scan("[a:,b]"), "ERR");  // ':' before a flow indicator in a plain scalar
}

TEST(YamlScanner, BlockCollectionsAndIndentation) {
  EXPECT_EQ(scan("a: b\nc: d"),
            "BlockMappingStart Key Scalar(a) Value Scalar(b) Key Scalar(c) Value Scalar(d) "
            "BlockEnd");
  EXPECT_EQ(scan("- a\n- b"),
            "BlockSequenceStart BlockEntry Scalar(a) BlockEntry Scalar(b) BlockEnd");
  EXPECT_EQ(scan("- - a"),
            "BlockSequenceStart BlockEntry BlockSequenceStart BlockEntry Scalar(a) BlockEnd "
            "BlockEnd");
  EXPECT_EQ(scan("a:\n- b"), "BlockMappingStart Key Scalar(a) Value BlockEntry Scalar(b) BlockEnd");
  EXPECT_EQ(scan("? a\n: b"), "BlockMappingStart Key Scalar(a) Value Scalar(b) BlockEnd");
  // Indentation errors, as libyaml reports them.
  EXPECT_EQ(scan("a: b\n  c: d"), "ERR");  // mapping values are not allowed here
  EXPECT_EQ(scan("a: b: c"), "ERR");
  EXPECT_EQ(scan("a: - b"), "ERR");        // block sequence entries not allowed here
  EXPECT_EQ(scan("a:\n\tb"), "ERR");       // a tab where indentation is expected
}

TEST(YamlScanner, SimpleKeyLimits) {
  // A simple key must fit on one line and in 1024 characters.
  EXPECT_EQ(scan(std::string(1023, 'k') + ": v").rfind("BlockMappingStart Key", 0), 0u);
  EXPECT_EQ(scan(std::string(1030, 'k') + ": v"), "ERR");
  // Over a line break, the key is not a simple key any more: a lone VALUE.
  EXPECT_EQ(scan("[a\nb: c]"), "FlowSequenceStart Scalar(a b) Value Scalar(c) FlowSequenceEnd");
}

TEST(YamlScanner, AnchorsAliasesAndTags) {
  EXPECT_EQ(scan("&x a"), "Anchor(x) Scalar(a)");
  EXPECT_EQ(scan("*x"), "Alias(x)");
  EXPECT_EQ(scan("[*x, &y-1_z b]"),
            "FlowSequenceStart Alias(x) FlowEntry Anchor(y-1_z) Scalar(b) FlowSequenceEnd");
  EXPECT_EQ(scan("&"), "ERR");         // empty anchor name
  EXPECT_EQ(scan("&a.b c"), "ERR");    // '.' is not an anchor character
  EXPECT_EQ(scan("!!str a"), "Tag(!!,str) Scalar(a)");
  EXPECT_EQ(scan("!e!x a"), "Tag(!e!,x) Scalar(a)");
  EXPECT_EQ(scan("!local a"), "Tag(!,local) Scalar(a)");
  EXPECT_EQ(scan("! a"), "Tag(,!) Scalar(a)");
  EXPECT_EQ(scan("!<tag:x> a"), "Tag(,tag:x) Scalar(a)");
  EXPECT_EQ(scan("!!str%21 a"), "Tag(!!,str!) Scalar(a)");  // %-escape in a tag
  EXPECT_EQ(scan("!!str%zz a"), "ERR");
  EXPECT_EQ(scan("!<tag:x a"), "ERR");
}

TEST(YamlScanner, Directives) {
  EXPECT_EQ(scan("%YAML 1.1\n--- a"), "Directive(YAML,1.1) DocumentStart Scalar(a)");
  EXPECT_EQ(scan("%TAG !e! tag:e.com,2000:\n--- !e!x a"),
            "Directive(TAG,!e! tag:e.com,2000:) DocumentStart Tag(!e!,x) Scalar(a)");
  EXPECT_EQ(scan("%YAML 1\n--- a"), "ERR");
  EXPECT_EQ(scan("%FOO\n--- a"), "ERR");
  EXPECT_EQ(scan("%TAG !e tag:x\n--- a"), "ERR");  // a named handle must end in '!'
}

TEST(YamlScanner, MarksCountCodePoints) {
  std::u32string u;
  ASSERT_TRUE(utf8_decode("\xc3\xa9: [b]", u));
  std::vector<Token> t = scan_tokens(u);
  // StreamStart BlockMappingStart Key Scalar Value FlowSequenceStart ...
  ASSERT_GE(t.size(), 6u);
  EXPECT_EQ(t[3].type, TT::kScalar);
  EXPECT_EQ(t[3].mark.column, 0u);
  EXPECT_EQ(t[4].type, TT::kValue);
  EXPECT_EQ(t[4].mark.column, 1u);
  EXPECT_EQ(t[5].mark.index, 3u);
}

TEST(YamlScanner, DepthLimit) {
  EXPECT_NE(scan(std::string(100, '[')), "ERR");
  EXPECT_EQ(scan(std::string(100000, '[')), "ERR");
}

}  // namespace
}  // namespace saltgw::salt_args::detail
