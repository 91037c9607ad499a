// rest/http/response_codec.h, deadlines.h, file_body.h and the answer an
// Exchange builds (exchange.h): the pure pieces of the HTTP front end.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "rest/http/deadlines.h"
#include "rest/http/exchange.h"
#include "rest/json_body.h"
#include "rest/http/file_body.h"
#include "rest/http/response_codec.h"

using namespace saltgw::rest::http;
using saltgw::rest::HttpResponse;

TEST(HttpCodec, HeadWithLengthChunkedOrNone) {
  ResponseHead h;
  h.status = 200;
  h.fields = {{"Content-Type", "application/json"}};
  h.length = 12;
  std::string out;
  encode_head(h, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n");
  h.framing = Framing::kChunked;
  h.keep_alive = false;
  out.clear();
  encode_head(h, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(framing_for(204, true), Framing::kNone);
  EXPECT_EQ(framing_for(304, true), Framing::kNone);
  EXPECT_EQ(framing_for(200, false), Framing::kChunked);
  EXPECT_STREQ(reason_phrase(431), "Request Header Fields Too Large");
}

TEST(HttpCodec, Chunks) {
  std::string out;
  encode_chunk("", out);
  EXPECT_EQ(out, "");
  encode_chunk(std::string(26, 'x'), out);
  EXPECT_EQ(out, "1a\r\n" + std::string(26, 'x') + "\r\n");
  EXPECT_EQ(kLastChunk, "0\r\n\r\n");
}

TEST(HttpDeadlines, EarliestFirstMovedAndCleared) {
  Deadlines d;
  auto t0 = Deadlines::Clock::time_point{} + std::chrono::seconds(100);
  EXPECT_FALSE(d.earliest());
  d.set(1, t0 + std::chrono::seconds(10));
  d.set(2, t0 + std::chrono::seconds(5));
  d.set(3, t0 + std::chrono::seconds(60));
  EXPECT_EQ(*d.earliest(), t0 + std::chrono::seconds(5));
  d.set(2, t0 + std::chrono::seconds(30));  // moved: the old one is gone
  EXPECT_EQ(*d.earliest(), t0 + std::chrono::seconds(10));
  d.clear(1);
  EXPECT_EQ(*d.earliest(), t0 + std::chrono::seconds(30));
  EXPECT_EQ(d.take_expired(t0 + std::chrono::seconds(29)), std::vector<uint64_t>{});
  EXPECT_EQ(d.take_expired(t0 + std::chrono::seconds(60)), (std::vector<uint64_t>{2, 3}));
  EXPECT_FALSE(d.earliest());
  EXPECT_EQ(d.size(), 0u);
}

TEST(HttpFileBody, ReadsInPiecesUpToItsSize) {
  std::string path = ::testing::TempDir() + "/file_body_test.log";
  std::string content;
  for (int i = 0; i < 20000; ++i) content += "line " + std::to_string(i) + "\n";
  std::ofstream(path) << content;
  auto f = FileBodySource::open(path);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->size(), content.size());
  std::string out;
  int calls = 0;
  while ((*f)->next(out, 4096)) ++calls;
  EXPECT_EQ(out, content);
  EXPECT_GT(calls, 10);
  EXPECT_FALSE((*f)->failed());
  EXPECT_FALSE(FileBodySource::open(path + ".missing").ok());
  std::remove(path.c_str());
}

TEST(HttpExchange, FieldsCorsFirstTheResponseWins) {
  auto f = response_fields(true, "http://o", "application/json", {{"Vary", "Accept"}, {"Retry-After", "1"}}, "123");
  std::vector<std::pair<std::string, std::string>> want = {
      {"Access-Control-Allow-Origin", "http://o"},
      {"Access-Control-Expose-Headers", "Content-Disposition, X-Salt-Jid, Retry-After, Location"},
      {"Content-Type", "application/json"},
      {"Vary", "Accept"},
      {"Retry-After", "1"},
      {"X-Salt-Jid", "123"}};
  EXPECT_EQ(f, want);
  EXPECT_EQ(response_fields(false, "", "", {}, ""), (std::vector<std::pair<std::string, std::string>>{}));
}

TEST(HttpExchange, AnswersForWholeJsonAndFileBodies) {
  HttpResponse r;
  r.body = "{\"a\":1}";
  Answer a = make_answer(r, {}, true);
  EXPECT_EQ(a.head.framing, Framing::kLength);
  EXPECT_EQ(a.head.length, 7u);
  EXPECT_EQ(a.body, r.body);

  HttpResponse j;
  j.body_source = std::make_shared<saltgw::rest::JsonBody>(
      std::make_shared<const saltgw::salt_ipc::Value>(saltgw::salt_ipc::Value("x")));
  Answer b = make_answer(j, {}, true);
  EXPECT_EQ(b.head.framing, Framing::kChunked);
  ASSERT_TRUE(b.source);
  std::string out;
  while (b.source->next(out, 100)) {
  }
  EXPECT_EQ(out, "\"x\"");

  HttpResponse f;
  f.file_path = "/nonexistent/file";
  Answer c = make_answer(f, {{"Content-Disposition", "attachment"}, {"Content-Type", "application/octet-stream"}}, true);
  EXPECT_EQ(c.head.status, 404);  // gone: a JSON 404, without the attachment field
  EXPECT_EQ(c.head.fields, (std::vector<std::pair<std::string, std::string>>{{"Content-Type", "application/json"}}));
  EXPECT_NE(c.body.find("error"), std::string::npos);

  HttpResponse n;
  n.status = 204;
  Answer d = make_answer(n, {}, true);
  EXPECT_EQ(d.head.framing, Framing::kNone);
}

// A stream ended with a tail (ResponseStream::end_with): the queued chunks
// first, then the tail a piece per take(), chunk-framed, then the last chunk;
// every byte handed out is counted in the backlog until the connection
// subtracts it, and a closed stream drops the tail unread.
TEST(HttpExchange, StreamTailIsPulledAfterTheQueuedChunks) {
  using saltgw::rest::http::StreamState;
  std::string big(200 * 1024, 'x');
  auto state = std::make_shared<StreamState>();
  int wakes = 0;
  state->wake = [&wakes] { ++wakes; };
  {
    std::lock_guard<std::mutex> lock(state->mu);
    state->chunks.push_back("3\r\nabc\r\n");
    state->backlog += 8;
  }
  class Tail : public saltgw::rest::BodySource {
   public:
    explicit Tail(std::string s) : s_(std::move(s)) {}
    bool next(std::string& out, size_t max) override {
      size_t n = std::min(max, s_.size() - pos_);
      out.append(s_, pos_, n);
      pos_ += n;
      return pos_ < s_.size();
    }
    size_t pos_ = 0;
   private:
    std::string s_;
  };
  auto tail = std::make_shared<Tail>(big);
  state->tail = tail;
  state->ended = true;

  std::string wire;
  size_t taken = 0, rounds = 0;
  for (bool complete = false; !complete; ++rounds) {
    std::string out;
    auto [moved, done] = state->take(out, 64 * 1024);
    EXPECT_EQ(moved, out.size());
    EXPECT_LE(out.size(), 64 * 1024 + 64u);  // about one piece at a time
    taken += moved;
    wire += out;
    state->backlog -= moved;  // what the connection does once it is written
    complete = done;
    ASSERT_LT(rounds, 100u);
  }
  EXPECT_GE(rounds, 4u);  // 200 KiB in pieces, not at once
  EXPECT_EQ(state->backlog.load(), 0u);
  EXPECT_EQ(taken, wire.size());
  // Undo the chunk framing: the queued chunk, then the tail, then the end.
  std::string body;
  size_t pos = 0;
  for (;;) {
    size_t eol = wire.find("\r\n", pos);
    ASSERT_NE(eol, std::string::npos);
    size_t n = std::stoul(wire.substr(pos, eol - pos), nullptr, 16);
    if (n == 0) {
      EXPECT_EQ(wire.substr(eol), "\r\n\r\n");
      break;
    }
    body += wire.substr(eol + 2, n);
    pos = eol + 2 + n + 2;
  }
  EXPECT_EQ(body, "abc" + big);

  // Closed before the tail is pulled: the tail is dropped, never read.
  auto closed = std::make_shared<StreamState>();
  auto unread = std::make_shared<Tail>(big);
  closed->tail = unread;
  closed->ended = true;
  closed->close();
  std::string out;
  closed->take(out, 64 * 1024);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(unread->pos_, 0u);
  (void)wakes;
}
