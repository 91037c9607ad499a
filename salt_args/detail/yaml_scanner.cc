// libyaml 0.2.5's scanner; see yaml_scanner.h.
#include "salt_args/detail/yaml_scanner.h"

#include <cstdint>
#include <string_view>
#include <utility>

#include "salt_args/detail/python_text.h"
#include "salt_args/detail/yaml_error.h"
#include "salt_args/yamlify.h"

namespace saltgw::salt_args::detail {
namespace {

using salt_ipc::kMaxYamlDepth;

struct SimpleKey {
  bool possible = false;
  bool required = false;
  size_t token_number = 0;
  Mark mark;
};

bool is_blank(char32_t c) { return c == U' ' || c == U'\t'; }
bool is_break(char32_t c) {
  return c == U'\r' || c == U'\n' || c == 0x85 || c == 0x2028 || c == 0x2029;
}
bool is_z(char32_t c) { return c == 0; }
bool is_breakz(char32_t c) { return is_break(c) || is_z(c); }
bool is_blankz(char32_t c) { return is_blank(c) || is_breakz(c); }
bool is_alpha(char32_t c) {
  return (c >= U'0' && c <= U'9') || (c >= U'A' && c <= U'Z') || (c >= U'a' && c <= U'z') ||
         c == U'_' || c == U'-';
}
bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool is_hex(char32_t c) {
  return is_digit(c) || (c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F');
}
unsigned hex_value(char32_t c) {
  if (is_digit(c)) return c - U'0';
  if (c >= U'a' && c <= U'f') return c - U'a' + 10;
  return c - U'A' + 10;
}

class Scanner {
 public:
  explicit Scanner(std::u32string in) : s_(std::move(in)) { s_.append(8, U'\0'); }

  std::vector<Token> scan_all() {
    fetch_stream_start();
    while (!done_) fetch_next_token();
    return std::move(tokens_);
  }

 private:
  char32_t ch(size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : 0; }
  void skip() {
    ++pos_;
    ++mark_.index;
    ++mark_.column;
  }
  void skip_line() {
    if (ch() == U'\r' && ch(1) == U'\n') {
      pos_ += 2;
      mark_.index += 2;
      mark_.column = 0;
      ++mark_.line;
    } else if (is_break(ch())) {
      ++pos_;
      ++mark_.index;
      mark_.column = 0;
      ++mark_.line;
    }
  }
  void read(std::string& out) {
    utf8_append(out, ch());
    skip();
  }
  void read_line(std::string& out) {
    char32_t c = ch();
    if (c == U'\r' && ch(1) == U'\n') {
      out.push_back('\n');
      pos_ += 2;
      mark_.index += 2;
    } else if (c == U'\r' || c == U'\n' || c == 0x85) {
      out.push_back('\n');
      ++pos_;
      ++mark_.index;
    } else if (c == 0x2028 || c == 0x2029) {
      utf8_append(out, c);
      ++pos_;
      ++mark_.index;
    } else {
      return;
    }
    mark_.column = 0;
    ++mark_.line;
  }

  void append(TT type, Mark m) {
    Token t;
    t.type = type;
    t.mark = m;
    tokens_.push_back(std::move(t));
  }

  // A one-character indicator token at the current position.
  void append_indicator(TT type) {
    Mark m = mark_;
    skip();
    append(type, m);
  }

  void fetch_stream_start() {
    indent_ = -1;
    simple_keys_.push_back(SimpleKey{});
    simple_key_allowed_ = true;
    append(TT::kStreamStart, mark_);
  }

  void fetch_next_token() {
    scan_to_next_token();
    stale_simple_keys();
    unroll_indent(static_cast<ptrdiff_t>(mark_.column));
    char32_t c = ch();
    if (is_z(c)) return fetch_stream_end();
    if (mark_.column == 0 && c == U'%') return fetch_directive();
    if (mark_.column == 0 && c == U'-' && ch(1) == U'-' && ch(2) == U'-' && is_blankz(ch(3))) {
      return fetch_document_indicator(TT::kDocumentStart);
    }
    if (mark_.column == 0 && c == U'.' && ch(1) == U'.' && ch(2) == U'.' && is_blankz(ch(3))) {
      return fetch_document_indicator(TT::kDocumentEnd);
    }
    if (c == U'[') return fetch_flow_collection_start(TT::kFlowSequenceStart);
    if (c == U'{') return fetch_flow_collection_start(TT::kFlowMappingStart);
    if (c == U']') return fetch_flow_collection_end(TT::kFlowSequenceEnd);
    if (c == U'}') return fetch_flow_collection_end(TT::kFlowMappingEnd);
    if (c == U',') return fetch_flow_entry();
    if (c == U'-' && is_blankz(ch(1))) return fetch_block_entry();
    if (c == U'?' && (flow_level_ || is_blankz(ch(1)))) return fetch_key();
    if (c == U':' && (flow_level_ || is_blankz(ch(1)))) return fetch_value();
    if (c == U'*') return fetch_anchor(TT::kAlias);
    if (c == U'&') return fetch_anchor(TT::kAnchor);
    if (c == U'!') return fetch_tag();
    if (c == U'|' && !flow_level_) return fetch_block_scalar(true);
    if (c == U'>' && !flow_level_) return fetch_block_scalar(false);
    if (c == U'\'') return fetch_flow_scalar(true);
    if (c == U'"') return fetch_flow_scalar(false);
    static constexpr std::u32string_view kIndicators = U"-?:,[]{}#&*!|>'\"%@`";
    if (!(is_blankz(c) || kIndicators.find(c) != std::u32string_view::npos) ||
        (c == U'-' && !is_blank(ch(1))) ||
        (!flow_level_ && (c == U'?' || c == U':') && !is_blankz(ch(1)))) {
      return fetch_plain_scalar();
    }
    fail();
  }

  void scan_to_next_token() {
    for (;;) {
      if (mark_.column == 0 && ch() == 0xFEFF) skip();
      while (ch() == U' ' || ((flow_level_ || !simple_key_allowed_) && ch() == U'\t')) skip();
      if (ch() == U'#') {
        while (!is_breakz(ch())) skip();
      }
      if (is_break(ch())) {
        skip_line();
        if (!flow_level_) simple_key_allowed_ = true;
      } else {
        break;
      }
    }
  }

  void stale_simple_keys() {
    for (auto& k : simple_keys_) {
      if (k.possible && (k.mark.line < mark_.line || k.mark.index + 1024 < mark_.index)) {
        if (k.required) fail();
        k.possible = false;
      }
    }
  }

  void save_simple_key() {
    bool required = !flow_level_ && indent_ == static_cast<ptrdiff_t>(mark_.column);
    if (simple_key_allowed_) {
      SimpleKey k;
      k.possible = true;
      k.required = required;
      k.token_number = tokens_.size();
      k.mark = mark_;
      remove_simple_key();
      simple_keys_.back() = k;
    }
  }

  void remove_simple_key() {
    SimpleKey& k = simple_keys_.back();
    if (k.possible && k.required) fail();
    k.possible = false;
  }

  void increase_flow_level() {
    simple_keys_.push_back(SimpleKey{});
    if (++flow_level_ > kMaxYamlDepth) fail();
  }

  void decrease_flow_level() {
    if (flow_level_) {
      --flow_level_;
      simple_keys_.pop_back();
    }
  }

  // number: absolute token index to insert at, or npos to append.
  void roll_indent(ptrdiff_t column, size_t number, TT type, Mark m) {
    if (flow_level_) return;
    if (indent_ < column) {
      indents_.push_back(indent_);
      if (indents_.size() > kMaxYamlDepth) fail();
      indent_ = column;
      Token t;
      t.type = type;
      t.mark = m;
      if (number == std::string::npos) {
        tokens_.push_back(std::move(t));
      } else {
        tokens_.insert(tokens_.begin() + static_cast<ptrdiff_t>(number), std::move(t));
      }
    }
  }

  void unroll_indent(ptrdiff_t column) {
    if (flow_level_) return;
    while (indent_ > column) {
      append(TT::kBlockEnd, mark_);
      indent_ = indents_.back();
      indents_.pop_back();
    }
  }

  void fetch_stream_end() {
    if (mark_.column != 0) {
      mark_.column = 0;
      ++mark_.line;
    }
    unroll_indent(-1);
    remove_simple_key();
    simple_key_allowed_ = false;
    append(TT::kStreamEnd, mark_);
    done_ = true;
  }

  void fetch_document_indicator(TT type) {
    unroll_indent(-1);
    remove_simple_key();
    simple_key_allowed_ = false;
    Mark m = mark_;
    skip();
    skip();
    skip();
    append(type, m);
  }

  void fetch_flow_collection_start(TT type) {
    save_simple_key();
    increase_flow_level();
    simple_key_allowed_ = true;
    append_indicator(type);
  }

  void fetch_flow_collection_end(TT type) {
    remove_simple_key();
    decrease_flow_level();
    simple_key_allowed_ = false;
    append_indicator(type);
  }

  void fetch_flow_entry() {
    remove_simple_key();
    simple_key_allowed_ = true;
    append_indicator(TT::kFlowEntry);
  }

  // In block context, an indicator (`-`, `?`, or `:` after no simple key)
  // must be allowed here, and opens a block collection at its column if
  // none is open there.
  void open_block_collection(TT start) {
    if (flow_level_) return;
    if (!simple_key_allowed_) fail();
    roll_indent(static_cast<ptrdiff_t>(mark_.column), std::string::npos, start, mark_);
  }

  void fetch_block_entry() {
    open_block_collection(TT::kBlockSequenceStart);
    remove_simple_key();
    simple_key_allowed_ = true;
    append_indicator(TT::kBlockEntry);
  }

  void fetch_key() {
    open_block_collection(TT::kBlockMappingStart);
    remove_simple_key();
    simple_key_allowed_ = !flow_level_;
    append_indicator(TT::kKey);
  }

  void fetch_value() {
    SimpleKey& k = simple_keys_.back();
    if (k.possible) {
      Token t;
      t.type = TT::kKey;
      t.mark = k.mark;
      tokens_.insert(tokens_.begin() + static_cast<ptrdiff_t>(k.token_number), std::move(t));
      roll_indent(static_cast<ptrdiff_t>(k.mark.column), k.token_number, TT::kBlockMappingStart,
                  k.mark);
      simple_keys_.back().possible = false;
      simple_key_allowed_ = false;
    } else {
      open_block_collection(TT::kBlockMappingStart);
      simple_key_allowed_ = !flow_level_;
    }
    append_indicator(TT::kValue);
  }

  void fetch_anchor(TT type) {
    save_simple_key();
    simple_key_allowed_ = false;
    Token t;
    t.type = type;
    t.mark = mark_;
    skip();
    size_t length = 0;
    while (is_alpha(ch())) {
      read(t.value);
      ++length;
    }
    char32_t c = ch();
    if (!length || !(is_blankz(c) || c == U'?' || c == U':' || c == U',' || c == U']' ||
                     c == U'}' || c == U'%' || c == U'@' || c == U'`')) {
      fail();
    }
    tokens_.push_back(std::move(t));
  }

  void fetch_tag() {
    save_simple_key();
    simple_key_allowed_ = false;
    Token t;
    t.type = TT::kTag;
    t.mark = mark_;
    if (ch(1) == U'<') {
      t.handle.clear();
      skip();
      skip();
      t.suffix = scan_tag_uri(true, nullptr);
      if (ch() != U'>') fail();
      skip();
    } else {
      std::string handle = scan_tag_handle();
      if (handle.size() > 1 && handle[0] == '!' && handle.back() == '!') {
        t.handle = handle;
        t.suffix = scan_tag_uri(false, nullptr);
      } else {
        t.suffix = scan_tag_uri(false, &handle);
        t.handle.assign(1, '!');  // not = "!": GCC 12 -Wrestrict false positive
        if (t.suffix.empty()) std::swap(t.handle, t.suffix);
      }
    }
    if (!is_blankz(ch())) {
      if (!flow_level_ || ch() != U',') fail();
    }
    tokens_.push_back(std::move(t));
  }

  std::string scan_tag_handle(bool directive = false) {
    std::string s;
    if (ch() != U'!') fail();
    read(s);
    while (is_alpha(ch())) read(s);
    if (ch() == U'!') {
      read(s);
    } else if (directive && s != "!") {
      fail();
    }
    return s;
  }

  void fetch_directive() {
    unroll_indent(-1);
    remove_simple_key();
    simple_key_allowed_ = false;
    Token t;
    t.type = TT::kDirective;
    t.mark = mark_;
    skip();
    while (is_alpha(ch())) read(t.value);
    if (t.value.empty() || !is_blankz(ch())) fail();
    if (t.value == "YAML") {
      while (is_blank(ch())) skip();
      t.major = scan_version_number();
      if (ch() != U'.') fail();
      skip();
      t.minor = scan_version_number();
    } else if (t.value == "TAG") {
      while (is_blank(ch())) skip();
      t.handle = scan_tag_handle(true);
      if (!is_blank(ch())) fail();
      while (is_blank(ch())) skip();
      t.suffix = scan_tag_uri(true, nullptr);
      if (!is_blankz(ch())) fail();
    } else {
      fail();
    }
    while (is_blank(ch())) skip();
    if (ch() == U'#') {
      while (!is_breakz(ch())) skip();
    }
    if (!is_breakz(ch())) fail();
    if (is_break(ch())) skip_line();
    tokens_.push_back(std::move(t));
  }

  int scan_version_number() {
    int value = 0, length = 0;
    while (is_digit(ch())) {
      if (++length > 9) fail();
      value = value * 10 + static_cast<int>(ch() - U'0');
      skip();
    }
    if (!length) fail();
    return value;
  }

  std::string scan_tag_uri(bool uri_char, const std::string* head) {
    size_t length = head ? head->size() : 0;
    std::string s;
    if (length > 1) s = head->substr(1);
    static constexpr std::u32string_view kUri = U";/?:@&=+$.%!~*'()";
    for (;;) {
      char32_t c = ch();
      bool ok = is_alpha(c) || kUri.find(c) != std::u32string_view::npos ||
                (uri_char && (c == U',' || c == U'[' || c == U']'));
      if (!ok || is_z(c)) break;
      if (c == U'%') {
        scan_uri_escapes(s);
      } else {
        read(s);
      }
      ++length;
    }
    if (!length) fail();
    return s;
  }

  void scan_uri_escapes(std::string& s) {
    int width = 0;
    do {
      if (!(ch() == U'%' && is_hex(ch(1)) && is_hex(ch(2)))) fail();
      unsigned octet = (hex_value(ch(1)) << 4) + hex_value(ch(2));
      if (!width) {
        width = (octet & 0x80) == 0x00   ? 1
                : (octet & 0xE0) == 0xC0 ? 2
                : (octet & 0xF0) == 0xE0 ? 3
                : (octet & 0xF8) == 0xF0 ? 4
                                         : 0;
        if (!width) fail();
      } else if ((octet & 0xC0) != 0x80) {
        fail();
      }
      s.push_back(static_cast<char>(octet));
      skip();
      skip();
      skip();
    } while (--width);
  }

  void fetch_block_scalar(bool literal) {
    remove_simple_key();
    simple_key_allowed_ = true;
    Token t;
    t.type = TT::kScalar;
    t.mark = mark_;
    t.style = literal ? Style::kLiteral : Style::kFolded;
    std::string& str = t.value;
    std::string leading_break, trailing_breaks;
    int chomping = 0;
    ptrdiff_t increment = 0, indent = 0;
    bool leading_blank = false, trailing_blank = false;
    skip();
    if (ch() == U'+' || ch() == U'-') {
      chomping = ch() == U'+' ? 1 : -1;
      skip();
      if (is_digit(ch())) {
        if (ch() == U'0') fail();
        increment = ch() - U'0';
        skip();
      }
    } else if (is_digit(ch())) {
      if (ch() == U'0') fail();
      increment = ch() - U'0';
      skip();
      if (ch() == U'+' || ch() == U'-') {
        chomping = ch() == U'+' ? 1 : -1;
        skip();
      }
    }
    while (is_blank(ch())) skip();
    if (ch() == U'#') {
      while (!is_breakz(ch())) skip();
    }
    if (!is_breakz(ch())) fail();
    if (is_break(ch())) skip_line();
    if (increment) indent = indent_ >= 0 ? indent_ + increment : increment;
    block_scalar_breaks(indent, trailing_breaks);
    while (static_cast<ptrdiff_t>(mark_.column) == indent && !is_z(ch())) {
      trailing_blank = is_blank(ch());
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
      leading_blank = is_blank(ch());
      while (!is_breakz(ch())) read(str);
      read_line(leading_break);
      block_scalar_breaks(indent, trailing_breaks);
    }
    if (chomping != -1) str += leading_break;
    if (chomping == 1) str += trailing_breaks;
    tokens_.push_back(std::move(t));
  }

  void block_scalar_breaks(ptrdiff_t& indent, std::string& breaks) {
    ptrdiff_t max_indent = 0;
    for (;;) {
      while ((!indent || static_cast<ptrdiff_t>(mark_.column) < indent) && ch() == U' ') skip();
      if (static_cast<ptrdiff_t>(mark_.column) > max_indent) {
        max_indent = static_cast<ptrdiff_t>(mark_.column);
      }
      if ((!indent || static_cast<ptrdiff_t>(mark_.column) < indent) && ch() == U'\t') fail();
      if (!is_break(ch())) break;
      read_line(breaks);
    }
    if (!indent) {
      indent = max_indent;
      if (indent < indent_ + 1) indent = indent_ + 1;
      if (indent < 1) indent = 1;
    }
  }

  // A document indicator (`---` or `...` then a blank) at column 0: it ends a
  // plain scalar and is an error inside a quoted one.
  bool at_document_indicator() const {
    return mark_.column == 0 &&
           ((ch() == U'-' && ch(1) == U'-' && ch(2) == U'-') ||
            (ch() == U'.' && ch(1) == U'.' && ch(2) == U'.')) &&
           is_blankz(ch(3));
  }

  // libyaml's line folding where a flow or plain scalar goes on after line
  // breaks: one break becomes a space, further breaks are kept.
  static void fold_breaks(std::string& str, std::string& leading_break,
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
  void scan_scalar_blanks(bool& leading_blanks, std::string& whitespaces,
                          std::string& leading_break, std::string& trailing_breaks,
                          ptrdiff_t tab_indent) {
    while (is_blank(ch()) || is_break(ch())) {
      if (is_blank(ch())) {
        if (leading_blanks && static_cast<ptrdiff_t>(mark_.column) < tab_indent &&
            ch() == U'\t') {
          fail();
        }
        if (!leading_blanks) {
          read(whitespaces);
        } else {
          skip();
        }
      } else {
        if (!leading_blanks) {
          whitespaces.clear();
          read_line(leading_break);
          leading_blanks = true;
        } else {
          read_line(trailing_breaks);
        }
      }
    }
  }

  // One escape sequence of a double-quoted scalar, at its backslash.
  void scan_escape(std::string& str) {
    size_t code_length = 0;
    switch (ch(1)) {
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
    skip();
    skip();
    if (code_length) {
      uint32_t value = 0;
      for (size_t k = 0; k < code_length; ++k) {
        if (!is_hex(ch(k))) fail();
        value = (value << 4) + hex_value(ch(k));
      }
      if ((value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) fail();
      utf8_append(str, value);
      for (size_t k = 0; k < code_length; ++k) skip();
    }
  }

  // The non-blank characters of a quoted scalar up to a blank, a break or
  // the closing quote. True when it stopped at an escaped line break.
  bool scan_quoted_text(bool single, std::string& str) {
    while (!is_blankz(ch())) {
      if (single && ch() == U'\'' && ch(1) == U'\'') {
        str.push_back('\'');
        skip();
        skip();
      } else if (ch() == (single ? U'\'' : U'"')) {
        break;
      } else if (!single && ch() == U'\\' && is_break(ch(1))) {
        skip();
        skip_line();
        return true;
      } else if (!single && ch() == U'\\') {
        scan_escape(str);
      } else {
        read(str);
      }
    }
    return false;
  }

  void fetch_flow_scalar(bool single) {
    save_simple_key();
    simple_key_allowed_ = false;
    Token t;
    t.type = TT::kScalar;
    t.mark = mark_;
    t.style = single ? Style::kSingle : Style::kDouble;
    std::string& str = t.value;
    std::string leading_break, trailing_breaks, whitespaces;
    skip();
    for (;;) {
      if (at_document_indicator()) fail();
      if (is_z(ch())) fail();
      bool leading_blanks = scan_quoted_text(single, str);
      if (ch() == (single ? U'\'' : U'"')) break;
      scan_scalar_blanks(leading_blanks, whitespaces, leading_break, trailing_breaks, 0);
      if (leading_blanks) {
        fold_breaks(str, leading_break, trailing_breaks);
      } else {
        str += whitespaces;
        whitespaces.clear();
      }
    }
    skip();
    tokens_.push_back(std::move(t));
  }

  void fetch_plain_scalar() {
    save_simple_key();
    simple_key_allowed_ = false;
    Token t;
    t.type = TT::kScalar;
    t.mark = mark_;
    t.style = Style::kPlain;
    std::string& str = t.value;
    std::string leading_break, trailing_breaks, whitespaces;
    bool leading_blanks = false;
    ptrdiff_t indent = indent_ + 1;
    for (;;) {
      if (at_document_indicator()) break;
      if (ch() == U'#') break;
      while (!is_blankz(ch())) {
        char32_t c = ch(), n = ch(1);
        if (flow_level_ && c == U':' &&
            (n == U',' || n == U'?' || n == U'[' || n == U']' || n == U'{' || n == U'}')) {
          fail();
        }
        if ((c == U':' && is_blankz(n)) ||
            (flow_level_ && (c == U',' || c == U'[' || c == U']' || c == U'{' || c == U'}'))) {
          break;
        }
        if (leading_blanks) {
          fold_breaks(str, leading_break, trailing_breaks);
          leading_blanks = false;
        } else if (!whitespaces.empty()) {
          str += whitespaces;
          whitespaces.clear();
        }
        read(str);
      }
      if (!(is_blank(ch()) || is_break(ch()))) break;
      scan_scalar_blanks(leading_blanks, whitespaces, leading_break, trailing_breaks, indent);
      if (!flow_level_ && static_cast<ptrdiff_t>(mark_.column) < indent) break;
    }
    tokens_.push_back(std::move(t));
    if (leading_blanks) simple_key_allowed_ = true;
  }

  std::u32string s_;
  size_t pos_ = 0;
  Mark mark_;
  std::vector<Token> tokens_;
  bool done_ = false;
  size_t flow_level_ = 0;
  ptrdiff_t indent_ = -1;
  std::vector<ptrdiff_t> indents_;
  bool simple_key_allowed_ = false;
  std::vector<SimpleKey> simple_keys_;
};

}  // namespace

std::vector<Token> scan_tokens(std::u32string text) {
  Scanner scanner(std::move(text));
  return scanner.scan_all();
}

}  // namespace saltgw::salt_args::detail
