#include "rest/request_head.h"

#include <gtest/gtest.h>

#include <string>

using saltgw::rest::RequestHeadChecker;
using namespace std::string_literals;
using State = RequestHeadChecker::State;

namespace {

// Feeds `bytes` in pieces of `step` bytes; returns the state after the last
// piece (or the first that was not kNeedMore).
State feed_in_steps(RequestHeadChecker& c, const std::string& bytes, size_t step) {
  State s = State::kNeedMore;
  for (size_t i = 0; i < bytes.size() && s == State::kNeedMore; i += step)
    s = c.feed(std::string_view(bytes).substr(i, step));
  return s;
}

struct Bad {
  int status;
  std::string message;
};

Bad check_bad(const std::string& bytes) {
  RequestHeadChecker c;
  State s = c.feed(bytes);
  EXPECT_EQ(s, State::kBad) << bytes;
  return {c.problem().status, c.problem().message};
}

TEST(RequestHead, AWellFormedHeadIsDoneAtTheBlankLine) {
  const std::string head = "POST /dongle/x/execute/ HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n";
  RequestHeadChecker c;
  EXPECT_EQ(c.feed(head + "body"), State::kDone);
  EXPECT_EQ(c.consumed(), head.size());
  // More bytes after the head are not looked at.
  EXPECT_EQ(c.feed("\x01\x02 anything"), State::kDone);
}

TEST(RequestHead, ByteByByteGivesTheSameAnswer) {
  const std::string head = "GET /?stream=1 HTTP/1.0\r\nAccept: */*\r\nX-A: b c \r\n\r\n";
  for (size_t step : {1, 2, 3, 7, 1000}) {
    RequestHeadChecker c;
    EXPECT_EQ(feed_in_steps(c, head, step), State::kDone) << step;
  }
  RequestHeadChecker c;
  EXPECT_EQ(feed_in_steps(c, "GET / HTTP/1.1\r\nHost: a\r\n", 1), State::kNeedMore);
}

TEST(RequestHead, ResetStartsANewRequest) {
  RequestHeadChecker c;
  EXPECT_EQ(c.feed("BREW /pot HTTP/1.1\r\n\r\n"), State::kBad);
  c.reset();
  EXPECT_EQ(c.feed("GET / HTTP/1.1\r\n\r\n"), State::kDone);
}

TEST(RequestHead, UnknownMethodIs501AsSoonAsItsSpaceArrives) {
  RequestHeadChecker c;
  EXPECT_EQ(c.feed("BRE"), State::kNeedMore);
  EXPECT_EQ(c.feed("W /pot"), State::kBad);  // no line end needed
  EXPECT_EQ(c.problem().status, 501);
  EXPECT_NE(c.problem().message.find("'BREW'"), std::string::npos) << c.problem().message;
  // Methods are case-sensitive (RFC 9110 9.1).
  EXPECT_EQ(check_bad("get / HTTP/1.1\r\n\r\n").status, 501);
}

TEST(RequestHead, KnownMethodsPass) {
  for (const char* m : {"GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "CONNECT"}) {
    RequestHeadChecker c;
    EXPECT_EQ(c.feed(std::string(m) + " / HTTP/1.1\r\n\r\n"), State::kDone) << m;
  }
}

TEST(RequestHead, MalformedRequestLinesAre400) {
  for (const char* line : {
           "GET  / HTTP/1.1\r\n\r\n",           // two spaces: empty target
           "GET /\r\n\r\n",                     // no version
           "GET / HTTP/1.1 x\r\n\r\n",          // trailing junk
           "GET / http/1.1\r\n\r\n",            // version is case-sensitive
           "GET / HTTP/1\r\n\r\n",              // Pistache would take it for 1.0
           "G@T / HTTP/1.1\r\n\r\n",            // method not a token
           "GET /a\x01z HTTP/1.1\r\n\r\n",      // control byte in the target
           "\r\nGET / HTTP/1.1\r\n\r\n",        // empty request line
           "GET / HTTP/1.1\n\n",                // bare LF
           "GET / HTTP/1.1\r\r\n\r\n",          // bare CR
           "GET\r\n\r\n",                       // method only
       }) {
    Bad b = check_bad(line);
    EXPECT_EQ(b.status, 400) << line << " -> " << b.message;
    EXPECT_FALSE(b.message.empty());
  }
}

TEST(RequestHead, SeventeenBytesWithoutSpaceDecideBeforeTheLineEnds) {
  // No method is longer than 7: a token of 17 is an unknown method, anything
  // else is no request line at all.
  RequestHeadChecker token;
  EXPECT_EQ(token.feed(std::string(16, 'A')), State::kNeedMore);
  EXPECT_EQ(token.feed("A"), State::kBad);
  EXPECT_EQ(token.problem().status, 501);
  RequestHeadChecker junk;
  EXPECT_EQ(junk.feed(std::string(17, '@')), State::kBad);
  EXPECT_EQ(junk.problem().status, 400);
  // The same verdict when the whole line comes at once.
  EXPECT_EQ(check_bad(std::string(17, 'A') + "@ / HTTP/1.1\r\n\r\n").status, 501);
}

TEST(RequestHead, OtherHttpVersionsAre505) {
  for (const char* line : {"GET / HTTP/2.0\r\n\r\n", "GET / HTTP/0.9\r\n\r\n", "GET / HTTP/9.9\r\n\r\n"}) {
    Bad b = check_bad(line);
    EXPECT_EQ(b.status, 505) << line;
    EXPECT_NE(b.message.find("HTTP/1.1"), std::string::npos) << b.message;
  }
}

TEST(RequestHead, MalformedFieldLinesAre400) {
  for (const char* head : {
           "GET / HTTP/1.1\r\nHost a\r\n\r\n",              // no colon
           "GET / HTTP/1.1\r\nHost : a\r\n\r\n",            // space before the colon (RFC 9112 5.1)
           "GET / HTTP/1.1\r\n: a\r\n\r\n",                 // empty name
           "GET / HTTP/1.1\r\nX(y): a\r\n\r\n",             // not a token
           "GET / HTTP/1.1\r\nX-A: a\r\n folded\r\n\r\n",   // obs-fold
           "GET / HTTP/1.1\r\nX-A: a\nX-B: b\r\n\r\n",      // bare LF
       }) {
    Bad b = check_bad(head);
    EXPECT_EQ(b.status, 400) << head << " -> " << b.message;
  }
  const std::string nul = "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n"s;  // the NUL is part of the request
  RequestHeadChecker c;
  EXPECT_EQ(c.feed(nul), State::kBad);
  EXPECT_NE(c.problem().message.find("NUL"), std::string::npos);
  // A long field name is quoted short in the message, as every input is
  // (the fuzzer found a 700-byte name copied whole).
  const std::string long_name = "GET / HTTP/1.1\r\n" + std::string(700, 'V') + ": a\0b\r\n\r\n"s;
  RequestHeadChecker l;
  EXPECT_EQ(l.feed(long_name), State::kBad);
  EXPECT_NE(l.problem().message.find("NUL"), std::string::npos);
  EXPECT_LT(l.problem().message.size(), 100u) << l.problem().message;
}

TEST(RequestHead, ContentLengthMustBeOneNumber) {
  EXPECT_EQ(check_bad("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n").status, 400);
  EXPECT_EQ(check_bad("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n").status, 400);
  EXPECT_EQ(check_bad("POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n").status, 400);
  EXPECT_EQ(check_bad("POST / HTTP/1.1\r\ncontent-length: 99999999999999999999\r\n\r\n").status, 400);
  EXPECT_EQ(check_bad("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").status, 400);
  RequestHeadChecker same;
  EXPECT_EQ(same.feed("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length:2 \r\n\r\nab"), State::kDone);
}

TEST(RequestHead, TransferEncoding) {
  RequestHeadChecker chunked;
  EXPECT_EQ(chunked.feed("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"), State::kDone);
  EXPECT_EQ(check_bad("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").status, 501);
  // Both framings: ambiguous, refused whichever comes first.
  EXPECT_EQ(check_bad("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n").status, 400);
  EXPECT_EQ(check_bad("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n").status, 400);
}

TEST(RequestHead, TheFieldCheckSeesValuesAsTheParserBehindReadsThem) {
  std::string seen_name, seen_value;
  RequestHeadChecker c([&](std::string_view name, std::string_view value) -> std::optional<std::string> {
    seen_name = name;
    seen_value = value;
    if (value == "bad\t") return std::string("not a host");
    return std::nullopt;
  });
  EXPECT_EQ(c.feed("GET / HTTP/1.1\r\nHost:   ok.example \r\n"), State::kNeedMore);
  EXPECT_EQ(seen_name, "Host");
  EXPECT_EQ(seen_value, "ok.example ");  // leading spaces skipped, as Pistache does
  EXPECT_EQ(c.feed("Host: bad\t\r\n\r\n"), State::kBad);
  EXPECT_EQ(c.problem().status, 400);
  EXPECT_NE(c.problem().message.find("not a host"), std::string::npos) << c.problem().message;
  EXPECT_NE(c.problem().message.find("Host"), std::string::npos);
}

TEST(RequestHead, QuotedInputIsBoundedAndEscaped) {
  Bad b = check_bad("GET / HTTP/1.1\r\nX-" + std::string(500, 'a') + "\x7f: v\r\n\r\n");
  EXPECT_EQ(b.status, 400);
  EXPECT_LT(b.message.size(), 200u) << b.message;
  EXPECT_EQ(b.message.find('\x7f'), std::string::npos);
}

TEST(RequestHead, ManyLinesFedByteByByte) {
  // Size limits are the server's: the checker itself takes any number of lines.
  RequestHeadChecker c;
  std::string req = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 2000; ++i) req += "X-" + std::to_string(i) + ": v\r\n";
  req += "\r\n";
  EXPECT_EQ(feed_in_steps(c, req, 1), State::kDone);
}

}  // namespace
