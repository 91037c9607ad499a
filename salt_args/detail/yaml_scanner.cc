// libyaml 0.2.5's scanner; see yaml_scanner.h.
#include "salt_args/detail/yaml_scanner.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "salt_args/detail/yaml_error.h"
#include "salt_args/detail/yaml_reader.h"
#include "salt_args/detail/yaml_scalars.h"
#include "salt_args/yamlify.h"

namespace saltgw::salt_args::detail {
namespace {

using salt_ipc::kMaxYamlDepth;

// A place where a KEY token may have to be inserted, should a `:` follow
// (libyaml's yaml_simple_key_t); one per flow level.
struct SimpleKey {
  bool possible = false;
  bool required = false;
  size_t token_number = 0;
  Mark mark;
};

class Scanner {
 public:
  explicit Scanner(std::u32string in) : r_(std::move(in)) {}

  std::vector<Token> scan_all();

 private:
  char32_t ch(size_t k = 0) const { return r_.ch(k); }
  void skip() { r_.skip(); }
  void read(std::string& out) { r_.read(out); }

  // Token output.
  void append(TT type, Mark m);
  // A one-character indicator token at the current position.
  void append_indicator(TT type);

  // Simple keys, flow levels and block indentation.
  void stale_simple_keys();
  void save_simple_key();
  void remove_simple_key();
  void increase_flow_level();
  void decrease_flow_level();
  // number: absolute token index to insert at, or npos to append.
  void roll_indent(ptrdiff_t column, size_t number, TT type, Mark m);
  void unroll_indent(ptrdiff_t column);
  // In block context, an indicator (`-`, `?`, or `:` after no simple key)
  // must be allowed here, and opens a block collection at its column if
  // none is open there.
  void open_block_collection(TT start);

  // libyaml's fetch_* functions: the next token, by its first character.
  void fetch_stream_start();
  void fetch_next_token();
  void scan_to_next_token();
  void fetch_stream_end();
  void fetch_document_indicator(TT type);
  void fetch_flow_collection_start(TT type);
  void fetch_flow_collection_end(TT type);
  void fetch_flow_entry();
  void fetch_block_entry();
  void fetch_key();
  void fetch_value();
  void fetch_anchor(TT type);
  void fetch_tag();
  void fetch_directive();
  void fetch_block_scalar(bool literal);
  void fetch_flow_scalar(bool single);
  void fetch_plain_scalar();

  // The text of tags and directives.
  std::string scan_tag_handle(bool directive = false);
  int scan_version_number();
  std::string scan_tag_uri(bool uri_char, const std::string* head);
  void scan_uri_escapes(std::string& s);

  YamlReader r_;
  std::vector<Token> tokens_;
  bool done_ = false;
  size_t flow_level_ = 0;
  ptrdiff_t indent_ = -1;
  std::vector<ptrdiff_t> indents_;
  bool simple_key_allowed_ = false;
  std::vector<SimpleKey> simple_keys_;
};

std::vector<Token> Scanner::scan_all() {
  fetch_stream_start();
  while (!done_) fetch_next_token();
  return std::move(tokens_);
}

void Scanner::append(TT type, Mark m) {
  Token t;
  t.type = type;
  t.mark = m;
  tokens_.push_back(std::move(t));
}

void Scanner::append_indicator(TT type) {
  Mark m = r_.mark();
  skip();
  append(type, m);
}

void Scanner::fetch_stream_start() {
  indent_ = -1;
  simple_keys_.push_back(SimpleKey{});
  simple_key_allowed_ = true;
  append(TT::kStreamStart, r_.mark());
}

void Scanner::fetch_next_token() {
  scan_to_next_token();
  stale_simple_keys();
  unroll_indent(r_.column());
  char32_t c = ch();
  if (is_z(c)) return fetch_stream_end();
  if (r_.mark().column == 0 && c == U'%') return fetch_directive();
  if (r_.at_document_indicator()) {
    return fetch_document_indicator(c == U'-' ? TT::kDocumentStart : TT::kDocumentEnd);
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

void Scanner::scan_to_next_token() {
  for (;;) {
    if (r_.mark().column == 0 && ch() == 0xFEFF) skip();
    while (ch() == U' ' || ((flow_level_ || !simple_key_allowed_) && ch() == U'\t')) skip();
    r_.skip_comment();
    if (is_break(ch())) {
      r_.skip_line();
      if (!flow_level_) simple_key_allowed_ = true;
    } else {
      break;
    }
  }
}

void Scanner::stale_simple_keys() {
  for (auto& k : simple_keys_) {
    if (k.possible && (k.mark.line < r_.mark().line || k.mark.index + 1024 < r_.mark().index)) {
      if (k.required) fail();
      k.possible = false;
    }
  }
}

void Scanner::save_simple_key() {
  bool required = !flow_level_ && indent_ == r_.column();
  if (simple_key_allowed_) {
    SimpleKey k;
    k.possible = true;
    k.required = required;
    k.token_number = tokens_.size();
    k.mark = r_.mark();
    remove_simple_key();
    simple_keys_.back() = k;
  }
}

void Scanner::remove_simple_key() {
  SimpleKey& k = simple_keys_.back();
  if (k.possible && k.required) fail();
  k.possible = false;
}

void Scanner::increase_flow_level() {
  simple_keys_.push_back(SimpleKey{});
  if (++flow_level_ > kMaxYamlDepth) fail();
}

void Scanner::decrease_flow_level() {
  if (flow_level_) {
    --flow_level_;
    simple_keys_.pop_back();
  }
}

void Scanner::roll_indent(ptrdiff_t column, size_t number, TT type, Mark m) {
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

void Scanner::unroll_indent(ptrdiff_t column) {
  if (flow_level_) return;
  while (indent_ > column) {
    append(TT::kBlockEnd, r_.mark());
    indent_ = indents_.back();
    indents_.pop_back();
  }
}

void Scanner::fetch_stream_end() {
  r_.end_last_line();
  unroll_indent(-1);
  remove_simple_key();
  simple_key_allowed_ = false;
  append(TT::kStreamEnd, r_.mark());
  done_ = true;
}

void Scanner::fetch_document_indicator(TT type) {
  unroll_indent(-1);
  remove_simple_key();
  simple_key_allowed_ = false;
  Mark m = r_.mark();
  skip();
  skip();
  skip();
  append(type, m);
}

void Scanner::fetch_flow_collection_start(TT type) {
  save_simple_key();
  increase_flow_level();
  simple_key_allowed_ = true;
  append_indicator(type);
}

void Scanner::fetch_flow_collection_end(TT type) {
  remove_simple_key();
  decrease_flow_level();
  simple_key_allowed_ = false;
  append_indicator(type);
}

void Scanner::fetch_flow_entry() {
  remove_simple_key();
  simple_key_allowed_ = true;
  append_indicator(TT::kFlowEntry);
}

void Scanner::open_block_collection(TT start) {
  if (flow_level_) return;
  if (!simple_key_allowed_) fail();
  roll_indent(r_.column(), std::string::npos, start, r_.mark());
}

void Scanner::fetch_block_entry() {
  open_block_collection(TT::kBlockSequenceStart);
  remove_simple_key();
  simple_key_allowed_ = true;
  append_indicator(TT::kBlockEntry);
}

void Scanner::fetch_key() {
  open_block_collection(TT::kBlockMappingStart);
  remove_simple_key();
  simple_key_allowed_ = !flow_level_;
  append_indicator(TT::kKey);
}

void Scanner::fetch_value() {
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

void Scanner::fetch_anchor(TT type) {
  save_simple_key();
  simple_key_allowed_ = false;
  Token t;
  t.type = type;
  t.mark = r_.mark();
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

void Scanner::fetch_tag() {
  save_simple_key();
  simple_key_allowed_ = false;
  Token t;
  t.type = TT::kTag;
  t.mark = r_.mark();
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

std::string Scanner::scan_tag_handle(bool directive) {
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

void Scanner::fetch_directive() {
  unroll_indent(-1);
  remove_simple_key();
  simple_key_allowed_ = false;
  Token t;
  t.type = TT::kDirective;
  t.mark = r_.mark();
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
  r_.skip_comment();
  if (!is_breakz(ch())) fail();
  if (is_break(ch())) r_.skip_line();
  tokens_.push_back(std::move(t));
}

int Scanner::scan_version_number() {
  int value = 0, length = 0;
  while (is_digit(ch())) {
    if (++length > 9) fail();
    value = value * 10 + static_cast<int>(ch() - U'0');
    skip();
  }
  if (!length) fail();
  return value;
}

std::string Scanner::scan_tag_uri(bool uri_char, const std::string* head) {
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

void Scanner::scan_uri_escapes(std::string& s) {
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

void Scanner::fetch_block_scalar(bool literal) {
  remove_simple_key();
  simple_key_allowed_ = true;
  tokens_.push_back(scan_block_scalar(r_, literal, indent_));
}

void Scanner::fetch_flow_scalar(bool single) {
  save_simple_key();
  simple_key_allowed_ = false;
  tokens_.push_back(scan_flow_scalar(r_, single));
}

void Scanner::fetch_plain_scalar() {
  save_simple_key();
  simple_key_allowed_ = false;
  bool after_break = false;
  tokens_.push_back(scan_plain_scalar(r_, flow_level_ != 0, indent_, after_break));
  if (after_break) simple_key_allowed_ = true;
}

}  // namespace

std::vector<Token> scan_tokens(std::u32string text) {
  Scanner scanner(std::move(text));
  return scanner.scan_all();
}

}  // namespace saltgw::salt_args::detail
