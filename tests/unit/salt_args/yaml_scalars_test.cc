// Unit tests for salt_args/detail/yaml_scalars.h: libyaml's scalar
// scanners called directly, with the context the scanner would give them.
// Expected values are libyaml's (yaml.scan with CSafeLoader in Salt 3006's
// PyYAML) for the same text in that context.
#include "salt_args/detail/yaml_scalars.h"

#include <gtest/gtest.h>

#include <string>

#include "salt_args/detail/yaml_error.h"

namespace saltgw::salt_args::detail {
namespace {

TEST(YamlScalars, BlockScalarChompingAndFolding) {
  auto block = [](std::u32string text, bool literal, ptrdiff_t parent_indent) {
    YamlReader r(std::move(text));
    return scan_block_scalar(r, literal, parent_indent).value;
  };
  EXPECT_EQ(block(U"|\n a\n b\n", true, -1), "a\nb\n");
  EXPECT_EQ(block(U"|-\n a\n\n\n", true, -1), "a");
  EXPECT_EQ(block(U"|+\n a\n\n\n", true, -1), "a\n\n\n");
  EXPECT_EQ(block(U">\n a\n b\n\n c\n", false, -1), "a b\nc\n");
  EXPECT_EQ(block(U">\n a\n  b\n c\n", false, -1), "a\n b\nc\n");  // more indented: kept
  EXPECT_EQ(block(U">-\n a\n b\n", false, -1), "a b");
  // An indentation indicator counts from the enclosing block indentation.
  EXPECT_EQ(block(U"|1\n    a\n", true, 0), "   a\n");
  EXPECT_EQ(block(U"|1\n    a\n", true, 2), " a\n");
  EXPECT_THROW(block(U"|\n\ta\n", true, -1), YamlError);
  EXPECT_THROW(block(U"|0\n a\n", true, -1), YamlError);
}

TEST(YamlScalars, BlockScalarStopsAtLessIndentation) {
  YamlReader r(U"|\n a\n b\nc");
  Token t = scan_block_scalar(r, true, -1);
  EXPECT_EQ(t.type, TT::kScalar);
  EXPECT_EQ(t.style, Style::kLiteral);
  EXPECT_EQ(t.value, "a\nb\n");
  EXPECT_EQ(t.mark.index, 0u);
  EXPECT_EQ(r.ch(), U'c');
  EXPECT_EQ(r.mark().line, 3u);
}

TEST(YamlScalars, QuotedScalars) {
  YamlReader r(U"'a''b' rest");
  Token t = scan_flow_scalar(r, true);
  EXPECT_EQ(t.value, "a'b");
  EXPECT_EQ(t.style, Style::kSingle);
  EXPECT_EQ(r.ch(), U' ');  // left after the closing quote
  auto quoted = [](std::u32string text, bool single) {
    YamlReader q(std::move(text));
    return scan_flow_scalar(q, single).value;
  };
  EXPECT_EQ(quoted(U"'a\n\n\n  b'", true), "a\n\nb");
  EXPECT_EQ(quoted(U"'a\tb'", true), "a\tb");
  EXPECT_EQ(quoted(U"\"a\\\n  b\"", false), "ab");
  EXPECT_EQ(quoted(U"\"a \\\n b\"", false), "a b");
  EXPECT_EQ(quoted(U"\"\\x41\\u263A\\U0001F600\\e\\0\"", false),
            std::string("A\xe2\x98\xba\xf0\x9f\x98\x80\x1b\0", 10));
  EXPECT_THROW(quoted(U"\"\\U00110000\"", false), YamlError);
  EXPECT_THROW(quoted(U"\"\\udfff\"", false), YamlError);
  EXPECT_THROW(quoted(U"'open", true), YamlError);
  EXPECT_THROW(quoted(U"'a\n... b'", true), YamlError);  // a document end inside
  EXPECT_EQ(quoted(U"'a\n...b'", true), "a ...b");           // not one: no blank after
}

TEST(YamlScalars, PlainScalarInBlockContext) {
  bool after_break = true;
  YamlReader r(U"a b: c");
  EXPECT_EQ(scan_plain_scalar(r, false, -1, after_break).value, "a b");
  EXPECT_FALSE(after_break);
  EXPECT_EQ(r.ch(), U':');
  // Continuation lines must be indented beyond the enclosing block.
  YamlReader r2(U"a\n b\nc");
  EXPECT_EQ(scan_plain_scalar(r2, false, 0, after_break).value, "a b");
  EXPECT_TRUE(after_break);
  EXPECT_EQ(r2.ch(), U'c');
  YamlReader r3(U"a\nb");
  EXPECT_EQ(scan_plain_scalar(r3, false, -1, after_break).value, "a b");
  YamlReader r4(U"a,b #c");
  EXPECT_EQ(scan_plain_scalar(r4, false, -1, after_break).value, "a,b");
  EXPECT_EQ(r4.ch(), U'#');  // the blanks before a comment are consumed
}

TEST(YamlScalars, PlainScalarInFlowContext) {
  bool after_break = true;
  YamlReader r(U"a b,c]");
  EXPECT_EQ(scan_plain_scalar(r, true, -1, after_break).value, "a b");
  EXPECT_EQ(r.ch(), U',');
  YamlReader r2(U"a:b]");
  EXPECT_EQ(scan_plain_scalar(r2, true, -1, after_break).value, "a:b");
  EXPECT_EQ(r2.ch(), U']');
  YamlReader r3(U"a:,b");
  EXPECT_THROW(scan_plain_scalar(r3, true, -1, after_break), YamlError);
}

}  // namespace
}  // namespace saltgw::salt_args::detail
