// Internal. What libyaml's reader (reader.c) lets through, the cursor the
// YAML scanner reads decoded text with, and libyaml's character classes
// (scanner.c's IS_BLANK, IS_BREAK, ... macros).
//
// libyaml_read: a leading BOM is dropped (it selects the encoding); text
// with any character YAML 1.1 does not call printable is refused.
// Guarantees: ch(k) looks k characters ahead and is 0 (NUL) past the end,
// so a scan stops at the end without bounds checks; the mark (index, line,
// column in code points) follows every character consumed, a CRLF pair
// counting as one line break as in libyaml. read() and read_line() append
// what they consume as UTF-8, a line break read_line() turns into "\n"
// (CR, LF, CRLF, NEL) or keeps (LS, PS), as libyaml does.
// Nothing here fails or throws except std::bad_alloc.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "salt_args/detail/python_text.h"
#include "salt_args/detail/yaml_scanner.h"

namespace saltgw::salt_args::detail {

inline bool is_blank(char32_t c) { return c == U' ' || c == U'\t'; }
inline bool is_break(char32_t c) {
  return c == U'\r' || c == U'\n' || c == 0x85 || c == 0x2028 || c == 0x2029;
}
inline bool is_z(char32_t c) { return c == 0; }
inline bool is_breakz(char32_t c) { return is_break(c) || is_z(c); }
inline bool is_blankz(char32_t c) { return is_blank(c) || is_breakz(c); }
// libyaml's IS_ALPHA: the characters of anchors, tag handles and directives.
inline bool is_alpha(char32_t c) {
  return (c >= U'0' && c <= U'9') || (c >= U'A' && c <= U'Z') || (c >= U'a' && c <= U'z') ||
         c == U'_' || c == U'-';
}
inline bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }
inline bool is_hex(char32_t c) {
  return is_digit(c) || (c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F');
}
// The value of a hex digit (is_hex(c) must hold).
inline unsigned hex_value(char32_t c) {
  if (is_digit(c)) return c - U'0';
  if (c >= U'a' && c <= U'f') return c - U'a' + 10;
  return c - U'A' + 10;
}

// libyaml's reader on decoded text: drops a leading BOM; false where a
// character is not printable (printable: tab, LF, CR, 0x20-0x7E, NEL,
// U+00A0-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF).
inline bool libyaml_read(std::u32string& text) {
  if (!text.empty() && text[0] == 0xFEFF) text.erase(0, 1);
  for (char32_t c : text) {
    bool ok = c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) || c == 0x85 ||
              (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
              (c >= 0x10000 && c <= 0x10FFFF);
    if (!ok) return false;
  }
  return true;
}

class YamlReader {
 public:
  explicit YamlReader(std::u32string text) : s_(std::move(text)) {}

  char32_t ch(size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : 0; }
  const Mark& mark() const { return mark_; }
  ptrdiff_t column() const { return static_cast<ptrdiff_t>(mark_.column); }

  // Consumes one character that is not a line break.
  void skip() {
    ++pos_;
    ++mark_.index;
    ++mark_.column;
  }
  // Consumes a line break (CRLF as one), if there is one.
  void skip_line() {
    if (ch() == U'\r' && ch(1) == U'\n') {
      advance_line(2);
    } else if (is_break(ch())) {
      advance_line(1);
    }
  }
  // Consumes one character that is not a line break, appending it.
  void read(std::string& out) {
    utf8_append(out, ch());
    skip();
  }
  // Consumes a line break, if there is one, appending it as libyaml does.
  void read_line(std::string& out) {
    char32_t c = ch();
    if (c == U'\r' && ch(1) == U'\n') {
      out.push_back('\n');
      advance_line(2);
    } else if (c == U'\r' || c == U'\n' || c == 0x85) {
      out.push_back('\n');
      advance_line(1);
    } else if (c == 0x2028 || c == 0x2029) {
      utf8_append(out, c);
      advance_line(1);
    }
  }
  // Consumes a comment (`#` up to the line break), if there is one.
  void skip_comment() {
    if (ch() != U'#') return;
    while (!is_breakz(ch())) skip();
  }
  // At the end of the text, moves the mark to the start of a new line unless
  // it is at one (libyaml's fetch_stream_end).
  void end_last_line() {
    if (mark_.column != 0) {
      mark_.column = 0;
      ++mark_.line;
    }
  }
  // A document indicator (`---` or `...` then a blank) at column 0: it ends
  // a plain scalar and is an error inside a quoted one.
  bool at_document_indicator() const {
    return mark_.column == 0 &&
           ((ch() == U'-' && ch(1) == U'-' && ch(2) == U'-') ||
            (ch() == U'.' && ch(1) == U'.' && ch(2) == U'.')) &&
           is_blankz(ch(3));
  }

 private:
  void advance_line(size_t chars) {
    pos_ += chars;
    mark_.index += chars;
    mark_.column = 0;
    ++mark_.line;
  }

  std::u32string s_;
  size_t pos_ = 0;
  Mark mark_;
};

}  // namespace saltgw::salt_args::detail
