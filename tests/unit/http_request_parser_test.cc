// rest/http/request_parser.h: requests read from bytes however they arrive.
#include "rest/http/request_parser.h"

#include <gtest/gtest.h>

#include <string>

using saltgw::rest::http::Request;
using saltgw::rest::http::RequestLimits;
using saltgw::rest::http::RequestParser;
using State = RequestParser::State;

namespace {

// Feeds `bytes` in pieces of `step`; returns the parser's state and how many bytes it used.
std::pair<State, size_t> feed(RequestParser& p, std::string_view bytes, size_t step) {
  size_t used = 0;
  for (size_t i = 0; i < bytes.size(); i += step) {
    std::string_view piece = bytes.substr(i, step);
    size_t n = p.feed(piece);
    used += n;
    if (p.state() == State::kDone || p.state() == State::kBad) return {p.state(), used};
    EXPECT_EQ(n, piece.size());
  }
  return {p.state(), used};
}

}  // namespace

TEST(HttpRequestParser, AGetWithFieldsAnyWayItArrives) {
  const std::string req = "GET /a%20b?x=1&file=sys%2Flog HTTP/1.1\r\nHost: h\r\nAccept:  text/html \r\n\r\n";
  for (size_t step : {1, 2, 7, 1000}) {
    RequestParser p(RequestLimits{});
    auto [s, used] = feed(p, req + "GET /next", step);
    ASSERT_EQ(s, State::kDone) << step;
    EXPECT_EQ(used, req.size());
    Request r = p.take();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.target, "/a%20b?x=1&file=sys%2Flog");
    EXPECT_EQ(r.field("accept"), "text/html");
    EXPECT_EQ(r.field("HOST"), "h");
    EXPECT_TRUE(r.keep_alive());
    EXPECT_EQ(p.state(), State::kStart);
  }
}

TEST(HttpRequestParser, ContentLengthBody) {
  RequestParser p(RequestLimits{});
  std::string req = "POST /x HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhelloGET";
  auto [s, used] = feed(p, req, 3);
  ASSERT_EQ(s, State::kDone);
  EXPECT_EQ(used, req.size() - 3);
  Request r = p.take();
  EXPECT_EQ(r.body, "hello");
  EXPECT_FALSE(r.keep_alive());
}

TEST(HttpRequestParser, ChunkedBody) {
  std::string req =
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: y\r\n\r\n";
  for (size_t step : {1, 4, 1000}) {
    RequestParser p(RequestLimits{});
    auto [s, used] = feed(p, req + "next", step);
    ASSERT_EQ(s, State::kDone) << step;
    EXPECT_EQ(used, req.size());
    EXPECT_EQ(p.take().body, "hello0123456789");
  }
}

TEST(HttpRequestParser, BadChunkSizeIs400) {
  RequestParser p(RequestLimits{});
  feed(p, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n", 100);
  ASSERT_EQ(p.state(), State::kBad);
  EXPECT_EQ(p.problem().status, 400);
  EXPECT_NE(p.problem().message.find("chunk"), std::string::npos);
}

TEST(HttpRequestParser, HttpOneZeroClosesByDefault) {
  RequestParser p(RequestLimits{});
  feed(p, "GET / HTTP/1.0\r\n\r\n", 100);
  ASSERT_EQ(p.state(), State::kDone);
  Request r = p.take();
  EXPECT_EQ(r.minor, 0);
  EXPECT_FALSE(r.keep_alive());
}

TEST(HttpRequestParser, LimitsGiveTheirStatus) {
  RequestLimits lim{3, 40, 10};
  {
    RequestParser p(lim);
    feed(p, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 100);
    EXPECT_EQ(p.problem().status, 431);
    EXPECT_NE(p.problem().message.find("max_header_count"), std::string::npos);
  }
  {
    RequestParser p(lim);
    feed(p, "GET / HTTP/1.1\r\nA: " + std::string(50, 'a') + "\r\n\r\n", 100);
    EXPECT_EQ(p.problem().status, 431);
    EXPECT_NE(p.problem().message.find("max_header_bytes"), std::string::npos);
  }
  {
    RequestParser p(lim);
    // Never-ending headers are refused before they end.
    std::string endless = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 1000; ++i) endless += "X-Pad: pppppppppp\r\n";
    feed(p, endless, 64);
    EXPECT_EQ(p.state(), State::kBad);
    EXPECT_EQ(p.problem().status, 431);
  }
  {
    RequestParser p(lim);
    auto [s, used] = feed(p, "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 100);
    EXPECT_EQ(s, State::kBad);  // told at once, before the body
    EXPECT_EQ(p.problem().status, 413);
    EXPECT_NE(p.problem().message.find("max_body_bytes"), std::string::npos);
  }
  {
    RequestParser p(lim);
    feed(p, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", 100);
    EXPECT_EQ(p.problem().status, 413);
  }
}

TEST(HttpRequestParser, HeadFaultsComeFromTheChecker) {
  for (auto [bytes, status] : std::vector<std::pair<std::string, int>>{
           {"QUERY / HTTP/1.1\r\n\r\n", 501},
           {"GET / HTTP/2.0\r\n\r\n", 505},
           {"GET / HTTP/1.1\nHost: x\n\n", 400},
           {"POST / HTTP/1.1\r\nContent-Type: \r\n\r\n", 400},
           {"POST / HTTP/1.1\r\nContent-Type: json\r\n\r\n", 400},
       }) {
    RequestParser p(RequestLimits{});
    feed(p, bytes, 100);
    EXPECT_EQ(p.state(), State::kBad) << bytes;
    EXPECT_EQ(p.problem().status, status) << bytes;
  }
  RequestParser p(RequestLimits{});
  feed(p, "POST / HTTP/1.1\r\nContent-Type: application/json; charset=utf-8\r\n\r\n", 100);
  EXPECT_EQ(p.state(), State::kDone);
}

TEST(HttpRequestParser, TargetsArePercentDecodedAndSplit) {
  using saltgw::rest::http::split_target;
  auto t = split_target("/download_log/?file=a%2Fb.log&tail=10&flag&x=%zz#frag");
  EXPECT_EQ(t.path, "/download_log/");
  ASSERT_EQ(t.query.size(), 4u);
  EXPECT_EQ(t.query[0], (std::pair<std::string, std::string>{"file", "a/b.log"}));
  EXPECT_EQ(t.query[1].second, "10");
  EXPECT_EQ(t.query[2], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(t.query[3].second, "%zz");
  EXPECT_EQ(split_target("/a%20b%").path, "/a b%");
}
