// libyaml 0.2.5's scalar scanners; see yaml_scalars.h.
#include "salt_args/detail/yaml_scalars.h"

#include <cstdint>
#include <string>
#include <utility>

#include "salt_args/detail/python_text.h"
#include "salt_args/detail/yaml_error.h"

namespace saltgw::salt_args::detail {
namespace {

// The empty lines and indentation before a block scalar's next line: breaks
// go to breaks; a tab in the indentation is an error. Where indent is still
// 0 (no indentation indicator), it becomes that of the first non-empty line,
// at least one more than parent_indent and at least 1.
void block_scalar_breaks(YamlReader& r, ptrdiff_t parent_indent, ptrdiff_t& indent,
                         std::string& breaks) {
  ptrdiff_t max_indent = 0;
  for (;;) {
    while ((!indent || r.column() < indent) && r.ch() == U' ') r.skip();
    if (r.column() > max_indent) {
      max_indent = r.column();
    }
    if ((!indent || r.column() < indent) && r.ch() == U'\t') fail();
    if (!is_break(r.ch())) break;
    r.read_line(breaks);
  }
  if (!indent) {
    indent = max_indent;
    if (indent < parent_indent + 1) indent = parent_indent + 1;
    if (indent < 1) indent = 1;
  }
}

// libyaml's line folding where a flow or plain scalar goes on after line
// breaks: one break becomes a space, further breaks are kept.
void fold_breaks(std::string& str, std::string& leading_break,
                        std::string& trailing_breaks) {
  if (!leading_break.empty() && leading_break[0] == '\n') {
    if (trailing_breaks.empty()) {
      str.push_back(' ');
    } else {
      str += trailing_breaks;
      trailing_breaks.clear();
    }
    leading_break.clear();
  } else {
    str += leading_break;
    str += trailing_breaks;
    leading_break.clear();
    trailing_breaks.clear();
  }
}

// The blanks and line breaks inside a flow or plain scalar: blanks before
// the first break go to whitespaces, the first break to leading_break, later
// ones to trailing_breaks. A tab in the indentation (a column below
// tab_indent after a break) is an error; flow scalars pass 0 (never).
void scan_scalar_blanks(YamlReader& r, bool& leading_blanks, std::string& whitespaces,
                        std::string& leading_break, std::string& trailing_breaks,
                        ptrdiff_t tab_indent) {
  while (is_blank(r.ch()) || is_break(r.ch())) {
    if (is_blank(r.ch())) {
      if (leading_blanks && r.column() < tab_indent &&
          r.ch() == U'\t') {
        fail();
      }
      if (!leading_blanks) {
        r.read(whitespaces);
      } else {
        r.skip();
      }
    } else {
      if (!leading_blanks) {
        whitespaces.clear();
        r.read_line(leading_break);
        leading_blanks = true;
      } else {
        r.read_line(trailing_breaks);
      }
    }
  }
}

// One escape sequence of a double-quoted scalar, at its backslash.
void scan_escape(YamlReader& r, std::string& str) {
  size_t code_length = 0;
  switch (r.ch(1)) {
    case U'0': str.push_back('\0'); break;
    case U'a': str.push_back('\x07'); break;
    case U'b': str.push_back('\x08'); break;
    case U't':
    case U'\t': str.push_back('\x09'); break;
    case U'n': str.push_back('\x0A'); break;
    case U'v': str.push_back('\x0B'); break;
    case U'f': str.push_back('\x0C'); break;
    case U'r': str.push_back('\x0D'); break;
    case U'e': str.push_back('\x1B'); break;
    case U' ': str.push_back(' '); break;
    case U'"': str.push_back('"'); break;
    case U'/': str.push_back('/'); break;
    case U'\\': str.push_back('\\'); break;
    case U'N': utf8_append(str, 0x85); break;
    case U'_': utf8_append(str, 0xA0); break;
    case U'L': utf8_append(str, 0x2028); break;
    case U'P': utf8_append(str, 0x2029); break;
    case U'x': code_length = 2; break;
    case U'u': code_length = 4; break;
    case U'U': code_length = 8; break;
    default: fail();
  }
  r.skip();
  r.skip();
  if (code_length) {
    uint32_t value = 0;
    for (size_t k = 0; k < code_length; ++k) {
      if (!is_hex(r.ch(k))) fail();
      value = (value << 4) + hex_value(r.ch(k));
    }
    if ((value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) fail();
    utf8_append(str, value);
    for (size_t k = 0; k < code_length; ++k) r.skip();
  }
}

// The non-blank characters of a quoted scalar up to a blank, a break or
// the closing quote. True when it stopped at an escaped line break.
bool scan_quoted_text(YamlReader& r, bool single, std::string& str) {
  while (!is_blankz(r.ch())) {
    if (single && r.ch() == U'\'' && r.ch(1) == U'\'') {
      str.push_back('\'');
      r.skip();
      r.skip();
    } else if (r.ch() == (single ? U'\'' : U'"')) {
      break;
    } else if (!single && r.ch() == U'\\' && is_break(r.ch(1))) {
      r.skip();
      r.skip_line();
      return true;
    } else if (!single && r.ch() == U'\\') {
      scan_escape(r, str);
    } else {
      r.read(str);
    }
  }
  return false;
}

}  // namespace

Token scan_block_scalar(YamlReader& r, bool literal, ptrdiff_t parent_indent) {
  Token t;
  t.type = TT::kScalar;
  t.mark = r.mark();
  t.style = literal ? Style::kLiteral : Style::kFolded;
  std::string& str = t.value;
  std::string leading_break, trailing_breaks;
  int chomping = 0;
  ptrdiff_t increment = 0, indent = 0;
  bool leading_blank = false, trailing_blank = false;
  r.skip();
  if (r.ch() == U'+' || r.ch() == U'-') {
    chomping = r.ch() == U'+' ? 1 : -1;
    r.skip();
    if (is_digit(r.ch())) {
      if (r.ch() == U'0') fail();
      increment = r.ch() - U'0';
      r.skip();
    }
  } else if (is_digit(r.ch())) {
    if (r.ch() == U'0') fail();
    increment = r.ch() - U'0';
    r.skip();
    if (r.ch() == U'+' || r.ch() == U'-') {
      chomping = r.ch() == U'+' ? 1 : -1;
      r.skip();
    }
  }
  while (is_blank(r.ch())) r.skip();
  r.skip_comment();
  if (!is_breakz(r.ch())) fail();
  if (is_break(r.ch())) r.skip_line();
  if (increment) indent = parent_indent >= 0 ? parent_indent + increment : increment;
  block_scalar_breaks(r, parent_indent, indent, trailing_breaks);
  while (r.column() == indent && !is_z(r.ch())) {
    trailing_blank = is_blank(r.ch());
    if (!literal && !leading_break.empty() && leading_break[0] == '\n' && !leading_blank &&
        !trailing_blank) {
      if (trailing_breaks.empty()) str.push_back(' ');
      leading_break.clear();
    } else {
      str += leading_break;
      leading_break.clear();
    }
    str += trailing_breaks;
    trailing_breaks.clear();
    leading_blank = is_blank(r.ch());
    while (!is_breakz(r.ch())) r.read(str);
    r.read_line(leading_break);
    block_scalar_breaks(r, parent_indent, indent, trailing_breaks);
  }
  if (chomping != -1) str += leading_break;
  if (chomping == 1) str += trailing_breaks;
  return t;
}

Token scan_flow_scalar(YamlReader& r, bool single) {
  Token t;
  t.type = TT::kScalar;
  t.mark = r.mark();
  t.style = single ? Style::kSingle : Style::kDouble;
  std::string& str = t.value;
  std::string leading_break, trailing_breaks, whitespaces;
  r.skip();
  for (;;) {
    if (r.at_document_indicator()) fail();
    if (is_z(r.ch())) fail();
    bool leading_blanks = scan_quoted_text(r, single, str);
    if (r.ch() == (single ? U'\'' : U'"')) break;
    scan_scalar_blanks(r, leading_blanks, whitespaces, leading_break, trailing_breaks, 0);
    if (leading_blanks) {
      fold_breaks(str, leading_break, trailing_breaks);
    } else {
      str += whitespaces;
      whitespaces.clear();
    }
  }
  r.skip();
  return t;
}

Token scan_plain_scalar(YamlReader& r, bool in_flow, ptrdiff_t parent_indent, bool& after_break) {
  Token t;
  t.type = TT::kScalar;
  t.mark = r.mark();
  t.style = Style::kPlain;
  std::string& str = t.value;
  std::string leading_break, trailing_breaks, whitespaces;
  bool leading_blanks = false;
  ptrdiff_t indent = parent_indent + 1;
  for (;;) {
    if (r.at_document_indicator()) break;
    if (r.ch() == U'#') break;
    while (!is_blankz(r.ch())) {
      char32_t c = r.ch(), n = r.ch(1);
      if (in_flow && c == U':' &&
          (n == U',' || n == U'?' || n == U'[' || n == U']' || n == U'{' || n == U'}')) {
        fail();
      }
      if ((c == U':' && is_blankz(n)) ||
          (in_flow && (c == U',' || c == U'[' || c == U']' || c == U'{' || c == U'}'))) {
        break;
      }
      if (leading_blanks) {
        fold_breaks(str, leading_break, trailing_breaks);
        leading_blanks = false;
      } else if (!whitespaces.empty()) {
        str += whitespaces;
        whitespaces.clear();
      }
      r.read(str);
    }
    if (!(is_blank(r.ch()) || is_break(r.ch()))) break;
    scan_scalar_blanks(r, leading_blanks, whitespaces, leading_break, trailing_breaks, indent);
    if (!in_flow && r.column() < indent) break;
  }
  after_break = leading_blanks;
  return t;
}

}  // namespace saltgw::salt_args::detail
