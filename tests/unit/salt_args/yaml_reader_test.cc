// Unit tests for salt_args/detail/yaml_reader.h: the scanner's cursor
// (marks, line breaks as libyaml counts and copies them) and libyaml's
// character classes.
#include "salt_args/detail/yaml_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace saltgw::salt_args::detail {
namespace {

TEST(LibyamlRead, DropsABomAndRefusesWhatIsNotPrintable) {
  std::u32string t = U"\uFEFFa: b";
  ASSERT_TRUE(libyaml_read(t));
  EXPECT_EQ(t, U"a: b");
  for (std::u32string ok : {U"", U"\t\n\r ~", U"\u0085\u00a0\ud7ff", U"\ue000\ufffd",
                            U"\U00010000\U0010FFFF", U"a\uFEFF"}) {
    EXPECT_TRUE(libyaml_read(ok));
  }
  for (char32_t c : {char32_t{0}, char32_t{0x0B}, char32_t{0x1B}, char32_t{0x7F}, char32_t{0x84},
                     char32_t{0xFFFE}}) {
    std::u32string bad = U"ok";
    bad.push_back(c);
    EXPECT_FALSE(libyaml_read(bad)) << static_cast<uint32_t>(c);
  }
}

TEST(YamlReader, LooksAheadAndGivesNulPastTheEnd) {
  YamlReader r(U"ab");
  EXPECT_EQ(r.ch(), U'a');
  EXPECT_EQ(r.ch(1), U'b');
  EXPECT_EQ(r.ch(2), U'\0');
  EXPECT_EQ(r.ch(100), U'\0');
  r.skip();
  r.skip();
  EXPECT_EQ(r.ch(), U'\0');
  EXPECT_EQ(r.mark().index, 2u);
  EXPECT_EQ(r.mark().column, 2u);
  EXPECT_EQ(r.column(), 2);
}

TEST(YamlReader, LineBreaksMoveTheMark) {
  YamlReader r(U"a\r\nb\rc\u2028d");
  r.skip();
  r.skip_line();  // CRLF: one break, two characters
  EXPECT_EQ(r.ch(), U'b');
  EXPECT_EQ(r.mark().index, 3u);
  EXPECT_EQ(r.mark().line, 1u);
  EXPECT_EQ(r.mark().column, 0u);
  r.skip();
  r.skip_line();
  EXPECT_EQ(r.ch(), U'c');
  EXPECT_EQ(r.mark().line, 2u);
  r.skip();
  r.skip_line();  // LINE SEPARATOR
  EXPECT_EQ(r.ch(), U'd');
  EXPECT_EQ(r.mark().line, 3u);
  r.skip_line();  // not at a break: nothing
  EXPECT_EQ(r.ch(), U'd');
  EXPECT_EQ(r.mark().line, 3u);
}

TEST(YamlReader, ReadCopiesAsLibyamlDoes) {
  YamlReader r(U"\u00e9\r\n\u0085\u2029\n");
  std::string out;
  r.read(out);
  EXPECT_EQ(out, "\xc3\xa9");
  r.read_line(out);  // CRLF -> LF
  r.read_line(out);  // NEL -> LF
  r.read_line(out);  // PARAGRAPH SEPARATOR kept
  r.read_line(out);
  EXPECT_EQ(out, "\xc3\xa9\n\n\xe2\x80\xa9\n");
  EXPECT_EQ(r.mark().line, 4u);
  EXPECT_EQ(r.ch(), U'\0');
}

TEST(YamlReader, CommentsIndicatorsAndTheLastLine) {
  YamlReader r(U"# note\n--- x");
  r.skip_comment();
  EXPECT_EQ(r.ch(), U'\n');
  EXPECT_FALSE(r.at_document_indicator());
  r.skip_line();
  EXPECT_TRUE(r.at_document_indicator());
  r.skip();
  EXPECT_FALSE(r.at_document_indicator());  // only at column 0
  r.skip_comment();                         // not at a '#': nothing
  EXPECT_EQ(r.ch(), U'-');
  // Named readers: gcc 12 (armhf) warns, wrongly, that a temporary's string
  // may be read uninitialised.
  YamlReader dashes(U"---x"), dots(U"...");
  EXPECT_FALSE(dashes.at_document_indicator());
  EXPECT_TRUE(dots.at_document_indicator());
  r.end_last_line();
  EXPECT_EQ(r.mark().line, 2u);
  EXPECT_EQ(r.mark().column, 0u);
  r.end_last_line();  // already at the start of a line
  EXPECT_EQ(r.mark().line, 2u);
}

TEST(YamlCharClasses, AsLibyaml) {
  EXPECT_TRUE(is_blank(U' ') && is_blank(U'\t'));
  EXPECT_FALSE(is_blank(U'\n'));
  for (char32_t c : {U'\r', U'\n', char32_t{0x85}, char32_t{0x2028}, char32_t{0x2029}}) {
    EXPECT_TRUE(is_break(c));
  }
  EXPECT_FALSE(is_break(U'\v'));
  EXPECT_TRUE(is_breakz(U'\0') && is_blankz(U'\0') && is_blankz(U'\t') && is_blankz(U'\n'));
  EXPECT_TRUE(is_alpha(U'a') && is_alpha(U'Z') && is_alpha(U'7') && is_alpha(U'_') &&
              is_alpha(U'-'));
  EXPECT_FALSE(is_alpha(U'.') || is_alpha(U'é') || is_alpha(U'!'));
  EXPECT_TRUE(is_hex(U'f') && is_hex(U'F') && is_hex(U'9'));
  EXPECT_FALSE(is_hex(U'g'));
  EXPECT_EQ(hex_value(U'0'), 0u);
  EXPECT_EQ(hex_value(U'a'), 10u);
  EXPECT_EQ(hex_value(U'F'), 15u);
}

}  // namespace
}  // namespace saltgw::salt_args::detail
