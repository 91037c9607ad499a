#include "rest/request_head.h"

#include <algorithm>
#include <cctype>

namespace saltgw::rest {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

namespace {

// RFC 9110 5.6.2: tchar.
bool is_tchar(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

std::string unsupported_method(std::string_view method) {
  return "HTTP method " + quote(method) + " is not supported; use GET, POST, PUT, DELETE or OPTIONS";
}

}  // namespace

std::string quote(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 40; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\') {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 40) out += "...";
  return out + "'";
}

RequestHeadChecker::RequestHeadChecker(FieldCheck field_check) : field_check_(std::move(field_check)) {}

bool RequestHeadChecker::known_method(std::string_view m) {
  for (const char* k : {"GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "CONNECT"})
    if (m == k) return true;
  return false;
}

void RequestHeadChecker::reset() {
  state_ = State::kNeedMore;
  partial_.clear();
  lines_ = 0;
  method_checked_ = false;
  consumed_ = 0;
  content_length_.reset();
  chunked_ = false;
  problem_ = HeadProblem{};
}

RequestHeadChecker::State RequestHeadChecker::bad(int status, std::string message) {
  problem_ = HeadProblem{status, std::move(message)};
  state_ = State::kBad;
  return state_;
}

RequestHeadChecker::State RequestHeadChecker::feed(std::string_view bytes) {
  consumed_ = 0;
  if (state_ != State::kNeedMore) return state_;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t lf = bytes.find('\n', pos);
    if (lf == std::string_view::npos) {
      // The method is checked as soon as it is there: a client that sends
      // no line end is still told at once that its method is unknown.
      partial_.append(bytes.substr(pos));
      if (lines_ == 0 && !method_checked_ && method_verdict(partial_, false) == State::kBad) return state_;
      consumed_ = bytes.size();
      return state_;
    }
    State s;
    if (partial_.empty()) {
      s = line(bytes.substr(pos, lf - pos));
    } else {
      partial_.append(bytes.substr(pos, lf - pos));
      std::string whole;
      whole.swap(partial_);
      s = line(whole);
    }
    pos = lf + 1;
    if (s != State::kNeedMore) {
      consumed_ = pos;
      return s;
    }
  }
  consumed_ = bytes.size();
  return state_;
}

// The method decides from the first 17 bytes of the request line (the
// longest method is 7): the same verdict however the bytes arrive.
RequestHeadChecker::State RequestHeadChecker::method_verdict(std::string_view start, bool complete) {
  constexpr size_t kDecideAt = 17;
  size_t sp = start.find(' ');
  if (sp != std::string_view::npos && sp < kDecideAt) {
    std::string_view method = start.substr(0, sp);
    if (!is_token(method)) return bad(400, "malformed request line: " + quote(start));
    if (!known_method(method)) return bad(501, unsupported_method(method));
    method_checked_ = true;
    return State::kNeedMore;
  }
  if (start.size() >= kDecideAt) {
    std::string_view prefix = start.substr(0, kDecideAt);
    return is_token(prefix) ? bad(501, unsupported_method(prefix)) : bad(400, "malformed request line: " + quote(start));
  }
  if (!complete) return State::kNeedMore;
  if (!start.empty() && start.back() == '\r') start.remove_suffix(1);
  if (is_token(start) && !known_method(start)) return bad(501, unsupported_method(start));
  return bad(400, "malformed request line: expected 'METHOD /target HTTP/1.1', got " + quote(start));
}

RequestHeadChecker::State RequestHeadChecker::line(std::string_view text) {
  ++lines_;
  if (lines_ == 1 && !method_checked_ && method_verdict(text, true) == State::kBad) return state_;
  if (text.empty() || text.back() != '\r') {
    return bad(400, lines_ == 1 ? "malformed request line: it must end with CRLF"
                                : "malformed header line: each must end with CRLF (line " +
                                      std::to_string(lines_) + ")");
  }
  text.remove_suffix(1);
  if (text.find('\r') != std::string_view::npos)
    return bad(400, "a bare CR inside line " + std::to_string(lines_) + " of the request");
  if (lines_ == 1) return request_line(text);
  if (text.empty()) {
    // The end of the head. RFC 9112 6.1: with both framings a request is
    // ambiguous (request smuggling); refused here.
    if (content_length_ && chunked_)
      return bad(400, "a request may not have both Content-Length and Transfer-Encoding");
    state_ = State::kDone;
    return state_;
  }
  return field_line(text);
}

// method SP request-target SP HTTP-version (RFC 9112 3).
RequestHeadChecker::State RequestHeadChecker::request_line(std::string_view text) {
  size_t sp1 = text.find(' ');  // after a known method (method_verdict)
  std::string_view rest = text.substr(sp1 + 1);
  size_t sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos || sp2 == 0)
    return bad(400, "malformed request line: expected 'METHOD /target HTTP/1.1', got " + quote(text));
  std::string_view target = rest.substr(0, sp2);
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f)
      return bad(400, "malformed request target " + quote(target) + ": control bytes must be percent-encoded");
  }
  std::string_view version = rest.substr(sp2 + 1);
  if (version == "HTTP/1.1" || version == "HTTP/1.0") return State::kNeedMore;
  if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && std::isdigit(static_cast<unsigned char>(version[5])) &&
      version[6] == '.' && std::isdigit(static_cast<unsigned char>(version[7])))
    return bad(505, "HTTP version " + quote(version) + " is not supported; use HTTP/1.1");
  return bad(400, "malformed request line: expected 'METHOD /target HTTP/1.1', got " + quote(text));
}

// field-name ":" OWS field-value OWS (RFC 9112 5).
RequestHeadChecker::State RequestHeadChecker::field_line(std::string_view text) {
  if (text.front() == ' ' || text.front() == '\t')
    return bad(400, "obsolete line folding is not accepted (line " + std::to_string(lines_) + ")");
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return bad(400, "malformed header line " + quote(text) + ": no ':'");
  std::string_view name = text.substr(0, colon);
  if (!is_token(name)) return bad(400, "malformed header field name " + quote(name));
  std::string_view raw = text.substr(colon + 1);
  for (char c : raw)
    if (c == '\0') return bad(400, "header " + quote(name) + ": NUL byte in its value");
  std::string_view value = trim(raw);
  if (iequals(name, "Content-Length")) {
    if (value.empty() || value.size() > 15 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return bad(400, "Content-Length " + quote(value) + " is not a number of bytes");
    if (content_length_ && *content_length_ != value)
      return bad(400, "two different Content-Length fields (" + *content_length_ + " and " + std::string(value) + ")");
    content_length_ = std::string(value);
  } else if (iequals(name, "Transfer-Encoding")) {
    if (!iequals(value, "chunked"))
      return bad(501, "Transfer-Encoding " + quote(value) + " is not supported; send Content-Length or chunked");
    chunked_ = true;
  }
  if (field_check_) {
    // The value as the parser reads it: after the spaces that follow ':'.
    std::string_view as_read = raw;
    while (!as_read.empty() && as_read.front() == ' ') as_read.remove_prefix(1);
    if (auto why = field_check_(name, as_read))
      return bad(400, "header " + quote(name) + ": value " + quote(value) + " could not be read (" +
                          why->substr(0, 80) + ")");
  }
  return State::kNeedMore;
}

}  // namespace saltgw::rest
