// LocalApi's NDJSON stream of a job: the accepted line says what progress to
// expect, progress lines come in the order the strategy reports them and
// before the result, and progress that cannot be delivered (client too far
// behind, or lost on the way) is reported in a progress_dropped line, never
// left out silently. No minion: a scripted strategy and an in-memory stream.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rest/api.h"
#include "rest/json.h"

namespace {

using saltgw::rest::ApiDeps;
using saltgw::rest::ApiOptions;
using saltgw::rest::HttpRequest;
using saltgw::rest::HttpResponse;
using saltgw::rest::LocalApi;
using saltgw::rest::Reply;
using saltgw::rest::ResponseStream;
using saltgw::salt_ipc::JobCallback;
using saltgw::salt_ipc::JobProgress;
using saltgw::salt_ipc::JobRequest;
using saltgw::salt_ipc::JobResult;
using saltgw::salt_ipc::Map;
using saltgw::salt_ipc::ProgressKind;
using saltgw::salt_ipc::Value;

// Keeps every chunk; backlog() is what the test says.
class MemoryStream : public ResponseStream {
 public:
  bool write(std::string_view chunk) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return false;
    text_.append(chunk);
    return true;
  }
  void end() override {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
  }
  size_t backlog() const override { return backlog_; }
  bool closed() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_;
  }
  std::vector<Value> lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Value> out;
    size_t i = 0;
    while (i < text_.size()) {
      size_t j = text_.find('\n', i);
      auto v = saltgw::rest::json_parse(text_.substr(i, j - i));
      EXPECT_TRUE(v) << text_.substr(i, j - i);
      if (v) out.push_back(*v);
      i = j + 1;
    }
    return out;
  }
  bool ended() const { return closed(); }

  size_t backlog_ = 0;

 private:
  mutable std::mutex mu_;
  std::string text_;
  bool ended_ = false;
};

class MemoryReply : public Reply {
 public:
  void send(HttpResponse r) override { whole = std::move(r); }
  std::shared_ptr<ResponseStream> stream(int status, const std::string& type,
                                         const std::vector<std::pair<std::string, std::string>>&) override {
    this->status = status;
    content_type = type;
    return out;
  }
  std::shared_ptr<MemoryStream> out = std::make_shared<MemoryStream>();
  HttpResponse whole;
  int status = 0;
  std::string content_type;
};

// A strategy that keeps the job and lets the test play the minion's part.
class ScriptedStrategy : public saltgw::salt_ipc::Strategy {
 public:
  explicit ScriptedStrategy(ProgressKind kind) : kind_(kind) {}
  std::string_view name() const override { return "scripted"; }
  std::string submit(JobRequest request, JobCallback done) override {
    job = std::move(request);
    finish = std::move(done);
    return job.jid;
  }
  size_t in_flight() const override { return finish ? 1 : 0; }
  saltgw::salt_ipc::Capabilities capabilities() const override {
    if (kind_ == ProgressKind::kPerStep) return {kind_, "", saltgw::salt_ipc::StopKind::kNone};
    return {kind_, saltgw::salt_ipc::no_progress_note("scripted"), saltgw::salt_ipc::StopKind::kNone};
  }

  void step(int n) {
    ASSERT_TRUE(job.progress) << "the streamed job carries no progress callback";
    job.progress(JobProgress{"salt/job/" + job.jid + "/prog/m/" + std::to_string(n),
                             Value(Map{{"ret", Value(Map{{"__run_num__", Value(n)}})}, {"len", Value(8)}}), 0});
  }
  void end() {
    JobResult r;
    r.jid = job.jid;
    r.fun = job.fun;
    r.ret = Value(Map{{"a_|-b_|-c_|-d", Value(Map{{"result", Value(true)}})}});
    r.success = true;
    auto f = std::move(finish);
    finish = nullptr;
    f(std::move(r));
  }

  JobRequest job;
  JobCallback finish;

 private:
  ProgressKind kind_;
};

struct Fixture {
  explicit Fixture(ProgressKind kind, size_t limit = 1u << 20) : strategy(kind) {
    ApiOptions o;
    o.minion_id = "m";
    o.dispatch_name = kind == ProgressKind::kPerStep ? "engine" : "schedule";
    o.stream_max_backlog = limit;
    api = std::make_unique<LocalApi>(o, ApiDeps{strategy, strategy, signer, jids, store, nullptr});
  }
  // POST execute test.ping from one client, plain (no Accept header).
  static HttpRequest ping() {
    HttpRequest req;
    req.method = "POST";
    req.path = "/dongle/m/execute/";
    req.body = R"({"command": "test.ping"})";
    req.client = "127.0.0.1";
    return req;
  }
  std::shared_ptr<MemoryReply> start() {
    HttpRequest req;
    req.method = "POST";
    req.path = "/dongle/m/execute/";
    req.body = R"({"command": "state.sls", "arg": ["gwmulti"]})";
    req.accept = "application/x-ndjson";
    req.client = "127.0.0.1";
    auto reply = std::make_shared<MemoryReply>();
    api->handle(req, reply);
    return reply;
  }

  ScriptedStrategy strategy;
  saltgw::rest::JwtSigner signer{"secret"};
  saltgw::salt_ipc::JidGenerator jids;
  saltgw::salt_ipc::JobStore store;
  std::unique_ptr<LocalApi> api;
};

std::vector<std::string> types(const std::vector<Value>& lines) {
  std::vector<std::string> t;
  for (const auto& l : lines) t.push_back(l.find("type") ? l.find("type")->as_string() : "?");
  return t;
}

TEST(StreamProgress, EachProgressLineGoesOutAsReportedAndBeforeTheResult) {
  Fixture f(ProgressKind::kPerStep);
  auto reply = f.start();
  ASSERT_EQ(reply->status, 200);
  EXPECT_EQ(reply->content_type, "application/x-ndjson");
  for (int i = 0; i < 8; ++i) {
    f.strategy.step(i);
    // Written at once: the line is there before the next state finishes.
    auto lines = reply->out->lines();
    ASSERT_EQ(lines.size(), static_cast<size_t>(i + 2));
    EXPECT_EQ(lines.back().find("data")->find("ret")->find("__run_num__")->as_int(), i);
  }
  EXPECT_FALSE(reply->out->ended());
  f.strategy.end();
  auto lines = reply->out->lines();
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines[0].find("progress")->as_string(), "per_state");
  EXPECT_EQ(lines[0].find("progress_note"), nullptr);
  EXPECT_EQ(lines[9].find("type")->as_string(), "result");
  EXPECT_TRUE(reply->out->ended());
}

TEST(StreamProgress, AcceptedLineSaysWhenNoProgressWillCome) {
  Fixture f(ProgressKind::kNone);
  auto reply = f.start();
  f.strategy.end();
  auto lines = reply->out->lines();
  EXPECT_EQ(types(lines), (std::vector<std::string>{"accepted", "result"}));
  EXPECT_EQ(lines[0].find("progress")->as_string(), "none");
  EXPECT_NE(lines[0].find("progress_note")->as_string().find("master only"), std::string::npos);
  // The note is the strategy's own (it names its dispatch), not the API's.
  EXPECT_NE(lines[0].find("progress_note")->as_string().find("'scripted'"), std::string::npos);
}

TEST(StreamProgress, SlowClientGetsACountOfTheProgressNotQueued) {
  Fixture f(ProgressKind::kPerStep, 4096);
  auto reply = f.start();
  f.strategy.step(0);
  reply->out->backlog_ = 5000;  // the client stopped reading
  f.strategy.step(1);
  f.strategy.step(2);
  f.strategy.step(3);
  reply->out->backlog_ = 100;  // it caught up
  f.strategy.step(4);
  reply->out->backlog_ = 5000;
  f.strategy.step(5);
  f.strategy.end();  // the result line always goes out, after the count
  auto lines = reply->out->lines();
  EXPECT_EQ(types(lines), (std::vector<std::string>{"accepted", "progress", "progress_dropped", "progress",
                                                    "progress_dropped", "result"}));
  EXPECT_EQ(lines[2].find("count")->as_int(), 3);
  EXPECT_EQ(lines[2].find("reason")->as_string(), "client_too_slow");
  EXPECT_EQ(lines[2].find("jid")->as_string(), lines[0].find("jid")->as_string());
  EXPECT_EQ(lines[3].find("data")->find("ret")->find("__run_num__")->as_int(), 4);
  EXPECT_EQ(lines[4].find("count")->as_int(), 1);
}

TEST(StreamProgress, ProgressLostOnTheWayIsReported) {
  Fixture f(ProgressKind::kPerStep);
  auto reply = f.start();
  f.strategy.step(0);
  f.strategy.job.progress(JobProgress{"", Value(), 7});
  f.strategy.end();
  auto lines = reply->out->lines();
  EXPECT_EQ(types(lines), (std::vector<std::string>{"accepted", "progress", "progress_dropped", "result"}));
  EXPECT_EQ(lines[2].find("count")->as_int(), 7);
  EXPECT_EQ(lines[2].find("reason")->as_string(), "lost_in_transit");
}

TEST(StreamProgress, PlainExecuteAsksForNoProgress) {
  Fixture f(ProgressKind::kPerStep);
  HttpRequest req = Fixture::ping();
  auto reply = std::make_shared<MemoryReply>();
  f.api->handle(req, reply);
  EXPECT_FALSE(f.strategy.job.progress);
  f.strategy.end();
  EXPECT_EQ(reply->whole.status, 200);
}


// A client that sends its next job on the answer finds its place free
// (max_jobs_per_client 1 and one job at a time is never refused): the place
// is given back before the answer, or the stream's last line, goes out.
class WatchingReply : public MemoryReply {
 public:
  explicit WatchingReply(const LocalApi& api) : api_(api) {}
  void send(HttpResponse r) override {
    in_flight_at_answer = api_.jobs_in_flight();
    MemoryReply::send(std::move(r));
  }
  size_t in_flight_at_answer = 99;

 private:
  const LocalApi& api_;
};

class WatchingStream : public MemoryStream {
 public:
  explicit WatchingStream(const LocalApi& api) : api_(api) {}
  bool write(std::string_view chunk) override {
    if (chunk.find(R"("type":"result")") != std::string_view::npos) in_flight_at_result = api_.jobs_in_flight();
    return MemoryStream::write(chunk);
  }
  size_t in_flight_at_result = 99;

 private:
  const LocalApi& api_;
};

TEST(JobPlaces, ThePlaceIsFreeBeforeTheClientHearsTheAnswer) {
  Fixture f(ProgressKind::kNone);
  HttpRequest req = Fixture::ping();
  auto plain = std::make_shared<WatchingReply>(*f.api);
  f.api->handle(req, plain);
  EXPECT_EQ(f.api->jobs_in_flight(), 1u);
  f.strategy.end();
  EXPECT_EQ(plain->whole.status, 200);
  EXPECT_EQ(plain->in_flight_at_answer, 0u);

  req.accept = "application/x-ndjson";
  auto streamed = std::make_shared<MemoryReply>();
  auto stream = std::make_shared<WatchingStream>(*f.api);
  streamed->out = stream;
  f.api->handle(req, streamed);
  EXPECT_EQ(f.api->jobs_in_flight(), 1u);
  f.strategy.end();
  EXPECT_EQ(types(stream->lines()), (std::vector<std::string>{"accepted", "result"}));
  EXPECT_EQ(stream->in_flight_at_result, 0u);
}

}  // namespace
