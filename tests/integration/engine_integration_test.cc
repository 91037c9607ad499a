// The engine dispatch against the real sandbox minion with the saltgw
// executor engine enabled (scripts/test.sh starts it with --engine).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include "salt_ipc/engine_strategy.h"
#include "salt_ipc/jid.h"
#include "salt_ipc/minion_config.h"
#include "tests/integration/jobs.h"
#include "tests/integration/sandbox.h"
#include "tests/integration/strategy_contract.h"

using namespace saltgw::salt_ipc;
using namespace std::chrono_literals;
namespace contract = saltgw::testing::contract;

namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = saltgw::testing::env_or_empty("SALTGW_MINION_CONFIG");
    ASSERT_FALSE(path.empty()) << "SALTGW_MINION_CONFIG is not set: run via scripts/test.sh";
    auto cfg = load_minion_config(path);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EngineOptions o;
    o.endpoint = engine_endpoint_for(cfg->sock_dir);
    engine_ = std::make_unique<EngineStrategy>(jids_, o);
    ASSERT_TRUE(wait_engine(30s)) << "the executor engine does not answer at " << o.endpoint;
  }

  bool wait_engine(std::chrono::seconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (engine_->ping(500ms).ok()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  std::future<Result<JobResult>> submit(JobRequest req, std::string* jid = nullptr) {
    return saltgw::testing::submit_job(*engine_, std::move(req), jid);
  }

  Result<JobResult> run(std::string fun, List args = {}, Map kwargs = {}, std::chrono::milliseconds timeout = 60s) {
    return saltgw::testing::run_job(*engine_, std::move(fun), std::move(args), std::move(kwargs), timeout);
  }

  JidGenerator jids_;
  std::unique_ptr<EngineStrategy> engine_;
};

TEST_F(EngineTest, PingNamesTheEngineAndSaltVersion) {
  auto p = engine_->ping(2s);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->find("engine")->text(), "saltgw_executor");
  EXPECT_FALSE(p->find("salt_version")->text().empty());
}

TEST_F(EngineTest, FunctionListHasTheBasics) {
  auto f = engine_->functions(5s);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_NE(std::find(f->begin(), f->end(), "test.ping"), f->end());
  EXPECT_NE(std::find(f->begin(), f->end(), "state.sls"), f->end());
  EXPECT_GT(f->size(), 500u);
}

TEST_F(EngineTest, StateProgressArrivesInRunOrderBeforeTheResult) {
  ASSERT_EQ(engine_->capabilities().progress, ProgressKind::kPerStep);  // the pong said protocol 2
  struct Seen {
    std::mutex mu;
    std::vector<JobProgress> steps;
    bool done = false;
    bool step_after_done = false;
  };
  auto seen = std::make_shared<Seen>();
  JobRequest req{"state.sls", List{Value("gwmulti")}, Map{{"queue", Value(true)}}, 120s};
  req.progress = [seen](JobProgress p) {
    std::lock_guard<std::mutex> lock(seen->mu);
    if (seen->done) seen->step_after_done = true;
    seen->steps.push_back(std::move(p));
  };
  auto promise = std::make_shared<std::promise<Result<JobResult>>>();
  auto f = promise->get_future();
  std::string jid = engine_->submit(std::move(req), [seen, promise](Result<JobResult> r) {
    {
      std::lock_guard<std::mutex> lock(seen->mu);
      seen->done = true;
    }
    promise->set_value(std::move(r));
  });
  ASSERT_EQ(f.wait_for(120s), std::future_status::ready);
  auto r = f.get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::lock_guard<std::mutex> lock(seen->mu);
  EXPECT_FALSE(seen->step_after_done);
  ASSERT_EQ(seen->steps.size(), 8u);
  for (size_t i = 0; i < seen->steps.size(); ++i) {
    const auto& p = seen->steps[i];
    EXPECT_EQ(p.lost, 0u);
    EXPECT_EQ(p.tag.rfind("salt/job/" + jid + "/prog/", 0), 0u) << p.tag;
    EXPECT_EQ(p.data.find("ret")->find("__run_num__")->as_int(), static_cast<int64_t>(i));
  }
}

TEST_F(EngineTest, TestPing) {
  contract::test_ping_answers_true(*engine_, 10s);
}

TEST_F(EngineTest, ArgsAndKwargs) {
  contract::test_arg_passes_args_and_kwargs(*engine_);
}

TEST_F(EngineTest, CmdRunAndGrainsAndState) {
  auto c = run("cmd.run", List{Value("echo hi")});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->ret, Value("hi"));
  auto g = run("grains.get", List{Value("id")});
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_FALSE(g->ret.text().empty());
  contract::state_sls_of_test_state(*engine_);
}

// A large result stays in the reply message (a Packed value): not decoded on
// the way through the strategy (settle_result's checks read it in place), and
// equal to the expected text when it is looked at.
TEST_F(EngineTest, LargeResultStaysPackedUntilInspected) {
  auto c = run("cmd.run", List{Value("head -c 3000000 /dev/zero | tr '\\000' q")}, Map{{"python_shell", Value(true)}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->ret.is_packed());
  EXPECT_TRUE(c->ret.is_string());
  EXPECT_TRUE(c->success);
  EXPECT_EQ(c->retcode, 0);
  EXPECT_FALSE(c->ret.packed()->was_decoded());
  EXPECT_EQ(c->ret.as_string(), std::string(3000000, 'q'));
  EXPECT_TRUE(c->ret.packed()->was_decoded());
  // A small result is decoded as before.
  auto small = run("cmd.run", List{Value("echo hi")});
  ASSERT_TRUE(small.ok()) << small.error().message;
  EXPECT_FALSE(small->ret.is_packed());
}

TEST_F(EngineTest, FailingStateIsFunctionFailedWithTheStateResults) {
  auto s = run("state.sls", List{Value("gwfail")}, Map{{"queue", Value(true)}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kFunctionFailed);
  ASSERT_TRUE(s.error().detail);
  EXPECT_TRUE(s.error().detail->is_map());
}

TEST_F(EngineTest, UnknownAndRaisingFunctions) {
  contract::unknown_function_is_an_error_naming_it(*engine_, 1s);
  if (HasFatalFailure()) return;
  contract::raising_function_is_function_failed(*engine_, contract::ExceptionWords::kQuoted);
}

TEST_F(EngineTest, FiftyJobsInFlight) {
  contract::jobs_in_flight_each_get_their_own_answer(*engine_, {50, "e", 60s, false});
}

TEST_F(EngineTest, Timeout) {
  contract::job_outliving_its_timeout_gets_timeout(*engine_, 3, 500ms);
}

TEST_F(EngineTest, MissingEngineIsUnavailableAtOnce) {
  EngineOptions o;
  o.endpoint = "ipc:///tmp/saltgw-no-engine-" + jids_.next() + ".ipc";
  EngineStrategy nobody(jids_, o);
  auto p = std::make_shared<std::promise<Result<JobResult>>>();
  auto f = p->get_future();
  nobody.submit(JobRequest{"test.ping", {}, {}, 10s}, [p](Result<JobResult> r) { p->set_value(std::move(r)); });
  ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
  auto r = f.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kEngineUnavailable);
  EXPECT_NE(r.error().message.find("saltgw_executor"), std::string::npos);
}

TEST_F(EngineTest, MinionRestartFailsInFlightJobAndRecovers) {
  contract::minion_restart_fails_in_flight_job_and_recovers(
      *engine_, 300ms, [] { ASSERT_TRUE(saltgw::testing::restart_sandbox_minion()); },
      [this] { ASSERT_TRUE(wait_engine(60s)); });
}

// The sandbox engine runs 4 worker threads: four sleeps take them all, a
// fifth waits for one. stop() removes the waiting one; a running one cannot
// be stopped (a Python thread) and ends normally.
TEST_F(EngineTest, StopRemovesAQueuedJobAndSaysARunningOneGoesOn) {
  EXPECT_EQ(engine_->capabilities().stop, StopKind::kBeforeStart);
  std::vector<std::string> jids(5);
  std::vector<std::future<Result<JobResult>>> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back(submit(JobRequest{"test.sleep", List{Value(3)}, {}, 60s}, &jids[i]));
  std::this_thread::sleep_for(500ms);
  auto stop = [&](const std::string& jid) {
    auto p = std::make_shared<std::promise<Result<StopOutcome>>>();
    auto f = p->get_future();
    engine_->stop(jid, [p](Result<StopOutcome> r) { p->set_value(std::move(r)); });
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  };
  auto queued = stop(jids[4]);
  ASSERT_TRUE(queued.ok()) << queued.error().message;
  EXPECT_TRUE(queued->stopped) << queued->how;
  ASSERT_EQ(jobs[4].wait_for(5s), std::future_status::ready);
  auto q = jobs[4].get();
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().kind, ErrorKind::kCancelled);

  auto running = stop(jids[0]);
  ASSERT_TRUE(running.ok()) << running.error().message;
  EXPECT_TRUE(running->held);
  EXPECT_FALSE(running->stopped);
  EXPECT_NE(running->how.find("cannot be killed"), std::string::npos) << running->how;
  for (int i = 0; i < 4; ++i) {
    auto r = saltgw::testing::await_job(std::move(jobs[i]), 60s);
    EXPECT_TRUE(r.ok()) << i << ": " << r.error().message;
  }
  auto unknown = stop("20000101000000000000");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->held);
}

}  // namespace
