#include "rest/http/request_parser.h"

#include "rest/request_head.h"

#include <algorithm>
#include <cctype>

namespace saltgw::rest::http {
namespace {

using saltgw::rest::iequals;
using saltgw::rest::quote;
using saltgw::rest::trim;

bool is_tchar(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr size_t kMaxChunkLine = 1024;  // a chunk-size line (with extensions) or a trailer field

}  // namespace

std::string_view Request::field(std::string_view name) const {
  for (const auto& [n, v] : fields)
    if (iequals(n, name)) return v;
  return {};
}

bool Request::keep_alive() const {
  if (minor == 0) return false;
  std::string_view c = field("Connection");
  // A list of options (RFC 9110 7.6.1): "close" anywhere in it.
  while (!c.empty()) {
    size_t comma = c.find(',');
    if (iequals(trim(c.substr(0, comma)), "close")) return false;
    c = comma == std::string_view::npos ? std::string_view() : c.substr(comma + 1);
  }
  return true;
}

std::optional<std::string> check_field(std::string_view name, std::string_view value) {
  if (!iequals(name, "Content-Type")) return std::nullopt;
  std::string_view type = trim(value.substr(0, value.find(';')));
  size_t slash = type.find('/');
  if (slash == std::string_view::npos || !is_token(type.substr(0, slash)) || !is_token(type.substr(slash + 1)))
    return std::string("not a media type such as application/json");
  return std::nullopt;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hex_digit(s[i + 1])) >= 0 && (lo = hex_digit(s[i + 2])) >= 0) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Target split_target(std::string_view target) {
  Target t;
  size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  size_t q = target.find('?');
  t.path = percent_decode(target.substr(0, q));
  if (q == std::string_view::npos) return t;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    t.query.emplace_back(percent_decode(pair.substr(0, eq)), percent_decode(value));
  }
  return t;
}

RequestParser::RequestParser(RequestLimits limits) : limits_(limits), checker_(check_field) {}

void RequestParser::bad(int status, std::string message) {
  problem_ = HeadProblem{status, std::move(message)};
  state_ = State::kBad;
}

Request RequestParser::take() {
  Request r = std::move(request_);
  request_ = Request{};
  head_.clear();
  checker_.reset();
  state_ = State::kStart;
  chunked_ = false;
  chunk_ = Chunk::kSize;
  line_.clear();
  body_left_ = chunk_left_ = 0;
  return r;
}

size_t RequestParser::feed(std::string_view bytes) {
  size_t used = 0;
  if (state_ == State::kStart && !bytes.empty()) state_ = State::kHead;
  if (state_ == State::kHead) used += feed_head(bytes);
  if (state_ == State::kBody) used += chunked_ ? feed_chunked(bytes.substr(used)) : feed_body(bytes.substr(used));
  return used;
}

size_t RequestParser::feed_head(std::string_view bytes) {
  auto s = checker_.feed(bytes);
  if (s == RequestHeadChecker::State::kBad) {
    bad(checker_.problem().status, checker_.problem().message);
    return 0;
  }
  size_t used = checker_.consumed();
  head_.append(bytes.substr(0, used));
  if (s == RequestHeadChecker::State::kNeedMore) {
    // Headers still coming and far over the limit: stop buffering them.
    if (head_.size() > 2 * limits_.max_header_bytes + 8192)
      bad(431, "request headers of more than " + std::to_string(head_.size()) + " bytes (max_header_bytes is " +
                   std::to_string(limits_.max_header_bytes) + ")");
    return used;
  }
  head_complete();
  return used;
}

// The head is complete and well-formed (the checker saw every line).
void RequestParser::head_complete() {
  std::string_view head = head_;
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  request_.method = std::string(line.substr(0, sp1));
  request_.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  request_.minor = line.substr(sp2 + 1) == "HTTP/1.0" ? 0 : 1;
  size_t count = 0, bytes = 0;
  std::string_view length;
  for (size_t at = eol + 2; at < head.size();) {
    size_t end = head.find("\r\n", at);
    std::string_view f = head.substr(at, end - at);
    at = end + 2;
    if (f.empty()) break;
    size_t colon = f.find(':');
    std::string_view name = f.substr(0, colon), value = trim(f.substr(colon + 1));
    ++count;
    bytes += name.size() + value.size();
    if (iequals(name, "Content-Length")) length = value;
    if (iequals(name, "Transfer-Encoding")) chunked_ = true;  // the checker allows only "chunked"
    request_.fields.emplace_back(name, value);
  }
  // `length` points into head_: read it before head_ goes.
  body_left_ = length.empty() ? 0 : std::stoull(std::string(length));  // the checker saw 1 to 15 digits
  head_.clear();
  head_.shrink_to_fit();
  if (count > limits_.max_header_count || bytes > limits_.max_header_bytes)
    return bad(431, "request headers too large: " + std::to_string(count) + " fields, " + std::to_string(bytes) +
                        " bytes (max_header_count " + std::to_string(limits_.max_header_count) +
                        ", max_header_bytes " + std::to_string(limits_.max_header_bytes) + ")");
  if (body_left_ > limits_.max_body_bytes)
    return bad(413, "request body of " + std::to_string(body_left_) + " bytes is larger than max_body_bytes (" +
                        std::to_string(limits_.max_body_bytes) + ")");
  state_ = State::kBody;
  if (!chunked_ && body_left_ == 0) state_ = State::kDone;
  else if (!chunked_) request_.body.reserve(static_cast<size_t>(body_left_));
}

size_t RequestParser::feed_body(std::string_view bytes) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(body_left_, bytes.size()));
  request_.body.append(bytes.substr(0, n));
  body_left_ -= n;
  if (body_left_ == 0) state_ = State::kDone;
  return n;
}

// chunk = chunk-size [ext] CRLF data CRLF; last-chunk = "0" [ext] CRLF, then
// trailer fields and CRLF (RFC 9112 7.1). Trailers are read and dropped.
size_t RequestParser::feed_chunked(std::string_view bytes) {
  size_t used = 0;
  while (used < bytes.size() && state_ == State::kBody) {
    std::string_view rest = bytes.substr(used);
    if (chunk_ == Chunk::kData) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_left_, rest.size()));
      request_.body.append(rest.substr(0, n));
      chunk_left_ -= n;
      used += n;
      if (chunk_left_ == 0) chunk_ = Chunk::kDataEnd;
      continue;
    }
    size_t lf = rest.find('\n');
    size_t take = lf == std::string_view::npos ? rest.size() : lf + 1;
    line_.append(rest.substr(0, take));
    used += take;
    if (line_.size() > kMaxChunkLine) return bad(400, "malformed chunked body: a line of more than 1024 bytes"), used;
    if (lf == std::string_view::npos) break;
    std::string line;
    line.swap(line_);
    if (line.size() < 2 || line[line.size() - 2] != '\r')
      return bad(400, "malformed chunked body: each line must end with CRLF"), used;
    line.resize(line.size() - 2);
    if (chunk_ == Chunk::kDataEnd) {
      if (!line.empty()) return bad(400, "malformed chunked body: chunk data longer than its size"), used;
      chunk_ = Chunk::kSize;
    } else if (chunk_ == Chunk::kTrailer) {
      if (line.empty()) state_ = State::kDone;
    } else {  // kSize
      std::string_view size = trim(std::string_view(line).substr(0, line.find(';')));
      uint64_t n = 0;
      if (size.empty() || size.size() > 15 || !std::all_of(size.begin(), size.end(), [](char c) { return hex_digit(c) >= 0; }))
        return bad(400, "malformed chunked body: chunk size " + quote(size) + " is not hexadecimal"), used;
      for (char c : size) n = n * 16 + static_cast<uint64_t>(hex_digit(c));
      if (request_.body.size() + n > limits_.max_body_bytes)
        return bad(413, "request body of more than " + std::to_string(limits_.max_body_bytes) +
                            " bytes (max_body_bytes is " + std::to_string(limits_.max_body_bytes) + ")"), used;
      chunk_left_ = n;
      chunk_ = n == 0 ? Chunk::kTrailer : Chunk::kData;
    }
  }
  return used;
}

}  // namespace saltgw::rest::http
