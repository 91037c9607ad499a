// The minion_job strategy against a real minion patched the way AutoPi
// devices are: the test starts its own sandbox with --autopi
// (tests/sandbox/autopi_patch.py runs `minion_job` events as jobs; the
// `event_result` returner fires salt/job/<jid>/ret with the whole result).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "tests/integration/jobs.h"
#include "salt_ipc/event_bus.h"
#include "salt_ipc/jid.h"
#include "salt_ipc/minion_config.h"
#include "salt_ipc/minion_job_strategy.h"
#include "tests/integration/own_sandbox.h"
#include "tests/integration/strategy_contract.h"

using namespace saltgw::salt_ipc;
using namespace std::chrono_literals;
namespace contract = saltgw::testing::contract;

namespace {

TEST(MinionJobArgs, KwargsTravelAsTrailingKwargMap) {
  JobRequest req{"test.arg", List{Value(1), Value("two")}, Map{{"k", Value("v")}}};
  List arg = MinionJobStrategy::job_args(req);
  ASSERT_EQ(arg.size(), 3u);
  EXPECT_EQ(arg[0], Value(1));
  EXPECT_EQ(arg[1], Value("two"));
  EXPECT_EQ(arg[2], Value(Map{{"k", Value("v")}, {"__kwarg__", Value(true)}}));
  JobRequest plain{"test.ping", {}, {}};
  EXPECT_TRUE(MinionJobStrategy::job_args(plain).empty());
}

TEST(MinionJobArgs, RetTagJid) {
  EXPECT_EQ(MinionJobStrategy::jid_of_ret_tag("salt/job/20240101000000000001/ret"), "20240101000000000001");
  EXPECT_EQ(MinionJobStrategy::jid_of_ret_tag("salt/job/20240101000000000001/ret/minion"), "");
  EXPECT_EQ(MinionJobStrategy::jid_of_ret_tag("salt/job/20240101000000000001/prog/x/0"), "");
  EXPECT_EQ(MinionJobStrategy::jid_of_ret_tag("salt/job//ret"), "");
  EXPECT_EQ(MinionJobStrategy::jid_of_ret_tag("__schedule_return"), "");
}

class MinionJobTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sandbox_ = new saltgw::testing::OwnSandbox();
    start_error_ = sandbox_->start("--autopi");
  }
  static void TearDownTestSuite() {
    delete sandbox_;
    sandbox_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(start_error_, "");
    auto cfg = load_minion_config(sandbox_->config());
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    auto ep = bus_endpoints(cfg.value());
    ASSERT_TRUE(ep.ok()) << ep.error().message;
    EventBusOptions o;
    o.endpoints = ep.value();
    saltgw::testing::start_bus_with(o, jids_, bus_, strategy_);
  }
  void TearDown() override {
    strategy_.reset();
    if (bus_) bus_->stop();
  }

  // Submits a job; `calls` (when given) counts how often its callback ran.
  std::future<Result<JobResult>> submit(JobRequest req, std::string* jid = nullptr,
                                        std::shared_ptr<std::atomic<int>> calls = nullptr) {
    auto p = std::make_shared<std::promise<Result<JobResult>>>();
    auto f = p->get_future();
    std::string j = strategy_->submit(std::move(req), [p, calls](Result<JobResult> r) {
      if (calls && (*calls)++ > 0) return;  // a second call would be the bug under test
      p->set_value(std::move(r));
    });
    if (jid) *jid = j;
    return f;
  }

  Result<JobResult> run(std::string fun, List args = {}, Map kwargs = {},
                        std::chrono::milliseconds timeout = 60s) {
    return saltgw::testing::run_job(*strategy_, std::move(fun), std::move(args), std::move(kwargs), timeout);
  }

  static saltgw::testing::OwnSandbox* sandbox_;
  static std::string start_error_;
  JidGenerator jids_;
  std::unique_ptr<EventBus> bus_;
  std::unique_ptr<MinionJobStrategy> strategy_;
};

saltgw::testing::OwnSandbox* MinionJobTest::sandbox_ = nullptr;
std::string MinionJobTest::start_error_;

TEST_F(MinionJobTest, TestPing) {
  contract::test_ping_answers_true(*strategy_, 30s, [] { return sandbox_->log_tail(); });
  EXPECT_EQ(strategy_->name(), "minion_job");
}

TEST_F(MinionJobTest, TestArgWithArgsAndKwargs) {
  contract::test_arg_passes_args_and_kwargs(*strategy_);
}

TEST_F(MinionJobTest, RaisingFunctionIsFunctionFailed) {
  contract::raising_function_is_function_failed(*strategy_, contract::ExceptionWords::kQuoted);
}

TEST_F(MinionJobTest, StateSls) {
  contract::state_sls_of_test_state(*strategy_);
}

TEST_F(MinionJobTest, TwentyJobsInFlightEachGetTheirOwnAnswer) {
  contract::jobs_in_flight_each_get_their_own_answer(*strategy_);
}

TEST_F(MinionJobTest, TimeoutThenLateResultIsIgnored) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  std::string jid;
  auto start = std::chrono::steady_clock::now();
  auto f = submit(JobRequest{"test.sleep", List{Value(2)}, {}, 500ms}, &jid, calls);
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  auto r = f.get();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  // The minion still finishes the job and fires salt/job/<jid>/ret: see it
  // come, and see that the callback is not called again.
  auto late = std::make_shared<std::promise<void>>();
  auto once = std::make_shared<std::atomic<bool>>(false);
  bus_->subscribe("salt/job/" + jid + "/ret", [late, once](const Event&) {
    if (!once->exchange(true)) late->set_value();
  });
  ASSERT_EQ(late->get_future().wait_for(15s), std::future_status::ready);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(calls->load(), 1);
  EXPECT_EQ(strategy_->in_flight(), 0u);
  auto p = run("test.ping");
  ASSERT_TRUE(p.ok()) << p.error().message;
}

TEST_F(MinionJobTest, CancelCompletesOnceWithTheGivenError) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  std::string jid;
  auto f = submit(JobRequest{"test.sleep", List{Value(2)}, {}, 30s}, &jid, calls);
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(strategy_->cancel(jid, make_error(ErrorKind::kCancelled, "stopped by test")));
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  auto r = f.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCancelled);
  EXPECT_FALSE(strategy_->cancel(jid, make_error(ErrorKind::kCancelled, "again")));
  std::this_thread::sleep_for(3s);  // the job's own result arrives meanwhile
  EXPECT_EQ(calls->load(), 1);
}

// The API stops a job from the callback of another job (saltutil.kill_job's
// result, on the bus's I/O thread): the cancel must have taken effect, and
// the stopped job's callback run, when cancel() returns.
TEST_F(MinionJobTest, CancelFromAnotherJobsCallbackTakesEffectBeforeItReturns) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  std::string jid;
  auto f = submit(JobRequest{"test.sleep", List{Value(20)}, {}, 60s}, &jid, calls);
  std::this_thread::sleep_for(200ms);
  auto seen = std::make_shared<std::promise<std::pair<bool, int>>>();
  auto seen_f = seen->get_future();
  strategy_->submit(JobRequest{"test.ping", {}, {}, 30s}, [this, jid, calls, seen](Result<JobResult>) {
    bool cancelled = strategy_->cancel(jid, make_error(ErrorKind::kCancelled, "stopped from a callback"));
    seen->set_value({cancelled, calls->load()});
  });
  ASSERT_EQ(seen_f.wait_for(30s), std::future_status::ready);
  auto [cancelled, calls_then] = seen_f.get();
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(calls_then, 1);  // the stopped job's callback had run
  ASSERT_EQ(f.wait_for(1s), std::future_status::ready);
  auto r = f.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCancelled);
}

TEST_F(MinionJobTest, MinionRestartFailsInFlightJobAndRecovers) {
  uint64_t connects = 0;
  contract::minion_restart_fails_in_flight_job_and_recovers(
      *strategy_, 500ms,
      [&] {
        connects = bus_->connects();
        ASSERT_TRUE(sandbox_->restart()) << sandbox_->log_tail();
      },
      [&] {
        ASSERT_TRUE(saltgw::testing::wait_connected(*bus_, 30s)) << bus_->last_error();
        EXPECT_GT(bus_->connects(), connects);
      });
}

TEST_F(MinionJobTest, SubmitWhileDisconnectedFailsAtOnce) {
  EventBusOptions o;
  o.endpoints.pub_path = "/nonexistent/saltgw_pub.ipc";
  o.endpoints.pull_path = "/nonexistent/saltgw_pull.ipc";
  EventBus dead(o);
  MinionJobStrategy s(dead, jids_);
  dead.start();
  auto p = std::make_shared<std::promise<Result<JobResult>>>();
  auto f = p->get_future();
  s.submit(JobRequest{"test.ping", {}, {}, 5s}, [p](Result<JobResult> r) { p->set_value(std::move(r)); });
  ASSERT_EQ(f.wait_for(3s), std::future_status::ready);
  auto r = f.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kMinionUnreachable);
  dead.stop();
}

}  // namespace
