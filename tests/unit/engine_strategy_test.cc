// EngineStrategy's protocol over an in-memory channel: the test plays the
// executor engine. Submit -> result, progress order, lost progress,
// overloaded, timeouts, stop and cancel through the engine's kill, the
// engine going away, shutdown.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "salt_ipc/engine_strategy.h"
#include "tests/unit/fake_bus.h"

namespace saltgw::salt_ipc {
namespace {

using namespace std::chrono_literals;
using testing::FakeChannel;

Value run_reply(const std::string& id, Value ret, bool success = true, int retcode = 0) {
  return Value(Map{{"id", Value(id)}, {"jid", Value(id)}, {"fun", Value("test.arg")}, {"return", std::move(ret)},
                   {"success", Value(success)}, {"retcode", Value(retcode)}});
}

class EngineCore : public ::testing::Test {
 protected:
  std::vector<std::string> order;  // progress and results as the caller saw them
  std::vector<Result<JobResult>> got;
  FakeChannel* channel = new FakeChannel;
  JidGenerator jids;
  std::unique_ptr<EngineStrategy> engine =
      std::make_unique<EngineStrategy>(jids, std::unique_ptr<EngineChannel>(channel), EngineOptions{"", 2048});

  std::string run(const std::string& fun = "test.arg", std::chrono::milliseconds timeout = 10s, bool progress = false) {
    JobRequest req{fun, List{Value(1)}, Map{{"k", Value("v")}}, timeout};
    if (progress)
      req.progress = [this](JobProgress p) {
        order.push_back(p.lost ? "lost " + std::to_string(p.lost) : "progress " + p.tag);
      };
    return engine->submit(std::move(req), [this](Result<JobResult> r) {
      order.push_back("done");
      got.push_back(std::move(r));
    });
  }
  const Value& last_sent() { return channel->sent.back(); }
};

TEST_F(EngineCore, SubmitSendsARunAndTheReplyAnswersIt) {
  std::string jid = run();
  ASSERT_EQ(channel->sent.size(), 1u);
  EXPECT_EQ(last_sent().find("op")->text(), "run");
  EXPECT_EQ(last_sent().find("id")->text(), jid);
  EXPECT_EQ(last_sent().find("jid")->text(), jid);
  EXPECT_EQ(*last_sent().find("arg"), Value(List{Value(1)}));
  EXPECT_EQ(*last_sent().find("kwarg"), Value(Map{{"k", Value("v")}}));
  EXPECT_EQ(*last_sent().find("timeout"), Value(10.0));
  EXPECT_EQ(last_sent().find("progress"), nullptr);
  EXPECT_EQ(engine->in_flight(), 1u);
  channel->reply(run_reply(jid, Value("ok")));
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0].ok());
  EXPECT_EQ(got[0]->ret, Value("ok"));
  EXPECT_EQ(engine->in_flight(), 0u);
  EXPECT_EQ(channel->loop.timers(), 0u);
  channel->reply(run_reply(jid, Value("again")));
  EXPECT_EQ(got.size(), 1u);
}

TEST_F(EngineCore, ReplyShapesBecomeOutcomes) {
  std::string a = run(), b = run(), c = run(), d = run(), e = run();
  channel->reply(Value(Map{{"id", Value(a)}, {"error", Value("overloaded")}}));
  channel->reply(Value(Map{{"id", Value(b)}, {"error", Value("bad arg")}}));
  channel->reply(Value(Map{{"id", Value(c)}, {"timed_out", Value(true)}, {"success", Value(false)}}));
  channel->reply(run_reply(d, Value("'x.y' is not available."), false, 254));
  channel->reply(run_reply(e, Value(Map{{"big", Value("VALUE_TRIMMED")}})));
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].error().kind, ErrorKind::kOverloaded);
  EXPECT_EQ(got[1].error().kind, ErrorKind::kProtocol);
  EXPECT_NE(got[1].error().message.find("bad arg"), std::string::npos);
  EXPECT_EQ(got[2].error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(got[3].error().kind, ErrorKind::kFunctionFailed);  // "x.y" is not the job's function
  EXPECT_EQ(got[4].error().kind, ErrorKind::kResultTrimmed);
}

TEST_F(EngineCore, ProgressComesInOrderBeforeTheResultAndLossIsReported) {
  std::string jid = run("state.sls", 10s, true);
  EXPECT_EQ(*last_sent().find("progress"), Value(true));
  for (int n : {0, 1})
    channel->reply(Value(Map{{"id", Value(jid)}, {"op", Value("progress")}, {"tag", Value("t" + std::to_string(n))},
                             {"data", Value(n)}}));
  Value reply = run_reply(jid, Value(Map{}));
  reply.as_map()["progress_sent"] = Value(3);
  channel->reply(reply);
  channel->reply(Value(Map{{"id", Value(jid)}, {"op", Value("progress")}, {"tag", Value("late")}}));
  EXPECT_EQ(order, (std::vector<std::string>{"progress t0", "progress t1", "lost 1", "done"}));
}

TEST_F(EngineCore, ProgressNotAskedForIsDropped) {
  std::string jid = run();
  channel->reply(Value(Map{{"id", Value(jid)}, {"op", Value("progress")}, {"tag", Value("t")}}));
  channel->reply(run_reply(jid, Value(1)));
  EXPECT_EQ(order, (std::vector<std::string>{"done"}));
}

TEST_F(EngineCore, NoReplyInTimeIsATimeout) {
  run("test.sleep", 1500ms);
  channel->loop.advance(1499ms);
  EXPECT_TRUE(got.empty());
  channel->loop.advance(1ms);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].error().kind, ErrorKind::kTimeout);
  EXPECT_NE(got[0].error().message.find("test.sleep"), std::string::npos);
}

TEST_F(EngineCore, EngineNotListeningAnswersAtOnce) {
  channel->set_up(false);
  run();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].error().kind, ErrorKind::kEngineUnavailable);
  EXPECT_EQ(engine->in_flight(), 0u);
}

TEST_F(EngineCore, EngineGoingAwayAnswersEveryJob) {
  run();
  run();
  channel->set_up(false, "minion restarted");
  ASSERT_EQ(got.size(), 2u);
  for (auto& r : got) EXPECT_EQ(r.error().kind, ErrorKind::kConnectionLost);
}

TEST_F(EngineCore, StopOfAQueuedJobRemovesItAndTheJobIsCancelled) {
  std::string jid = run("test.sleep");
  std::optional<Result<StopOutcome>> stopped;
  engine->stop(jid, [&](Result<StopOutcome> r) { stopped = std::move(r); });
  ASSERT_EQ(channel->sent.size(), 2u);
  EXPECT_EQ(last_sent().find("op")->text(), "kill");
  EXPECT_EQ(last_sent().find("jid")->text(), jid);
  std::string kill_id = last_sent().find("id")->as_string();
  // As the engine does: the run's own answer first, then the kill's.
  channel->reply(run_reply(jid, Value("Killed before it started"), false, 254));
  EXPECT_TRUE(got.empty());  // held until the kill's answer says what happened
  channel->reply(Value(Map{{"id", Value(kill_id)}, {"killed", Value(true)}, {"reason", Value("queued")}}));
  ASSERT_TRUE(stopped && stopped->ok());
  EXPECT_TRUE((*stopped)->held);
  EXPECT_TRUE((*stopped)->stopped);
  EXPECT_NE((*stopped)->how.find("before it started"), std::string::npos);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].error().kind, ErrorKind::kCancelled);
}

TEST_F(EngineCore, StopOfARunningJobSaysWhyAndTheJobEndsNormally) {
  std::string jid = run("test.sleep");
  std::optional<Result<StopOutcome>> stopped;
  engine->stop(jid, [&](Result<StopOutcome> r) { stopped = std::move(r); });
  channel->reply(Value(Map{{"id", last_sent().find("id")->as_string()}, {"killed", Value(false)},
                           {"reason", Value("Python threads cannot be killed")}}));
  ASSERT_TRUE(stopped && stopped->ok());
  EXPECT_FALSE((*stopped)->stopped);
  EXPECT_EQ((*stopped)->how, "Python threads cannot be killed");
  EXPECT_TRUE(got.empty());
  channel->reply(run_reply(jid, Value(true)));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].ok());
}

TEST_F(EngineCore, AJobThatEndedWhileTheKillWasOnItsWayKeepsItsResult) {
  std::string jid = run();
  std::optional<Result<StopOutcome>> stopped;
  engine->stop(jid, [&](Result<StopOutcome> r) { stopped = std::move(r); });
  std::string kill_id = last_sent().find("id")->as_string();
  channel->reply(run_reply(jid, Value("finished")));
  channel->reply(Value(Map{{"id", Value(kill_id)}, {"killed", Value(false)}, {"reason", Value("no job")}}));
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0].ok());
  EXPECT_EQ(got[0]->ret, Value("finished"));
  ASSERT_TRUE(stopped && stopped->ok());
  EXPECT_FALSE((*stopped)->stopped);
}

TEST_F(EngineCore, StopOfAnUnknownJobAsksNothing) {
  std::optional<Result<StopOutcome>> stopped;
  engine->stop("20000101000000000000", [&](Result<StopOutcome> r) { stopped = std::move(r); });
  ASSERT_TRUE(stopped && stopped->ok());
  EXPECT_FALSE((*stopped)->held);
  EXPECT_TRUE(channel->sent.empty());
}

TEST_F(EngineCore, KillWithNoAnswerIsATimeoutForStop) {
  std::string jid = run("test.sleep", 60s);
  std::optional<Result<StopOutcome>> stopped;
  engine->stop(jid, [&](Result<StopOutcome> r) { stopped = std::move(r); });
  channel->loop.advance(5s);
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(engine->in_flight(), 1u);
}

TEST_F(EngineCore, CancelAnswersAtOnceAndKillsTheJobOnTheEngine) {
  std::string jid = run("test.sleep");
  EXPECT_TRUE(engine->cancel(jid, make_error(ErrorKind::kCancelled, "by test")));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].error().message, "by test");
  EXPECT_EQ(last_sent().find("op")->text(), "kill");
  channel->reply(run_reply(jid, Value("Killed before it started"), false, 254));
  channel->reply(Value(Map{{"id", last_sent().find("id")->as_string()}, {"killed", Value(true)}}));
  EXPECT_EQ(got.size(), 1u);
  EXPECT_FALSE(engine->cancel(jid, make_error(ErrorKind::kCancelled, "again")));
}

TEST_F(EngineCore, PingLearnsTheProtocolAndCapabilitiesFollow) {
  EXPECT_EQ(engine->capabilities().progress, ProgressKind::kPerStep);  // not known yet: assume 2
  EXPECT_EQ(engine->capabilities().stop, StopKind::kBeforeStart);
  channel->engine = [](const Value& req) {
    return std::vector<Value>{Value(Map{{"id", *req.find("id")}, {"op", Value("pong")}, {"protocol", Value(1)}})};
  };
  auto pong = engine->ping(1s);
  ASSERT_TRUE(pong.ok()) << pong.error().message;
  Capabilities c = engine->capabilities();
  EXPECT_EQ(c.progress, ProgressKind::kNone);
  EXPECT_NE(c.progress_note.find("'engine'"), std::string::npos);
}

TEST_F(EngineCore, FunctionsAndControlErrors) {
  channel->engine = [](const Value& req) {
    if (req.find("op")->text() == "functions")
      return std::vector<Value>{Value(Map{{"id", *req.find("id")}, {"functions", Value(List{Value("test.ping")})}})};
    return std::vector<Value>{Value(Map{{"id", *req.find("id")}, {"error", Value("unknown op")}})};
  };
  auto f = engine->functions(1s);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, std::vector<std::string>{"test.ping"});
  EXPECT_EQ(engine->in_flight(), 0u);  // control requests are not jobs
  channel->engine = [](const Value& req) {
    return std::vector<Value>{Value(Map{{"id", *req.find("id")}, {"error", Value("overloaded")}})};
  };
  EXPECT_EQ(engine->functions(1s).error().kind, ErrorKind::kProtocol);
}

TEST_F(EngineCore, DestructionAnswersJobsInFlightAndStopsTheChannel) {
  run();
  engine.reset();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].error().kind, ErrorKind::kCancelled);
}

}  // namespace
}  // namespace saltgw::salt_ipc
