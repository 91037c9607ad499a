// salt_ipc against the real sandbox minion: the event bus and the schedule
// strategy, end to end.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <vector>

#include "salt_ipc/event_bus.h"
#include "salt_ipc/jid.h"
#include "salt_ipc/minion_config.h"
#include "salt_ipc/schedule_strategy.h"
#include "tests/integration/jobs.h"
#include "tests/integration/sandbox.h"
#include "tests/integration/strategy_contract.h"

using namespace saltgw::salt_ipc;
using namespace std::chrono_literals;
namespace contract = saltgw::testing::contract;

namespace {

class BusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = saltgw::testing::env_or_empty("SALTGW_MINION_CONFIG");
    ASSERT_FALSE(path.empty()) << "SALTGW_MINION_CONFIG is not set: run via scripts/test.sh";
    auto cfg = load_minion_config(path);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    config_ = cfg.value();
    auto ep = bus_endpoints(config_);
    ASSERT_TRUE(ep.ok()) << ep.error().message;
    EventBusOptions o;
    o.endpoints = ep.value();
    saltgw::testing::start_bus_with(o, jids_, bus_, strategy_);
  }
  void TearDown() override {
    strategy_.reset();
    if (bus_) bus_->stop();
  }

  std::future<Result<JobResult>> submit(JobRequest req, std::string* jid = nullptr) {
    return saltgw::testing::submit_job(*strategy_, std::move(req), jid);
  }

  Result<JobResult> run(std::string fun, List args = {}, Map kwargs = {},
                        std::chrono::milliseconds timeout = 60s) {
    return saltgw::testing::run_job(*strategy_, std::move(fun), std::move(args), std::move(kwargs), timeout);
  }

  MinionConfig config_;
  JidGenerator jids_;
  std::unique_ptr<EventBus> bus_;
  std::unique_ptr<ScheduleStrategy> strategy_;
};

TEST_F(BusTest, TestPingReturnsTrue) {
  contract::test_ping_answers_true(*strategy_, 30s);
}

TEST_F(BusTest, TestArgPassesArgsAndKwargs) {
  contract::test_arg_passes_args_and_kwargs(*strategy_);
}

TEST_F(BusTest, CmdRunReturnsOutput) {
  auto r = run("cmd.run", List{Value("echo hi; echo there")});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->ret, Value("hi\nthere"));
}

TEST_F(BusTest, CmdRunFailingCommandIsSuccessWithRetcode) {
  // Verified behaviour of the schedule path: the job succeeded, the command did not.
  auto r = run("cmd.run", List{Value("echo out; exit 3")}, Map{{"python_shell", Value(true)}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->ret, Value("out"));
  EXPECT_EQ(r->retcode, 3);
}

TEST_F(BusTest, GrainsSetThenGet) {
  std::string value = "v-" + jids_.next();
  auto s = run("grains.set", List{Value("saltgw_test:key"), Value(value)}, Map{{"force", Value(true)}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto g = run("grains.get", List{Value("saltgw_test:key")});
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->ret, Value(value));
}

TEST_F(BusTest, StateSlsOfTestState) {
  contract::state_sls_of_test_state(*strategy_);
}

TEST_F(BusTest, UnknownFunctionIsAnErrorNamingIt) {
  contract::unknown_function_is_an_error_naming_it(*strategy_);
}

TEST_F(BusTest, RaisingFunctionIsFunctionFailed) {
  contract::raising_function_is_function_failed(*strategy_, contract::ExceptionWords::kNotCarried);
}

TEST_F(BusTest, TwentyJobsInFlightEachGetTheirOwnAnswer) {
  contract::jobs_in_flight_each_get_their_own_answer(*strategy_);
}

TEST_F(BusTest, JobOutlivingItsTimeoutGetsTimeout) {
  contract::job_outliving_its_timeout_gets_timeout(*strategy_, 5, 800ms);
}

TEST_F(BusTest, MinionRestartFailsInFlightJobAndRecovers) {
  uint64_t connects = 0;
  contract::minion_restart_fails_in_flight_job_and_recovers(
      *strategy_, 500ms,
      [&] {
        connects = bus_->connects();
        ASSERT_TRUE(saltgw::testing::restart_sandbox_minion());
      },
      [&] {
        ASSERT_TRUE(saltgw::testing::wait_connected(*bus_, 30s)) << bus_->last_error();
        EXPECT_GT(bus_->connects(), connects);
      });
}

TEST_F(BusTest, SubscriberSeesEventsItPublishes) {
  auto got = std::make_shared<std::promise<Event>>();
  auto once = std::make_shared<std::atomic<bool>>(false);
  bus_->subscribe("saltgw/test/", [got, once](const Event& ev) {
    if (!once->exchange(true)) got->set_value(ev);
  });
  auto f = got->get_future();
  ASSERT_TRUE(bus_->publish("saltgw/test/ping", Map{{"x", Value(1)}}).ok());
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  Event ev = f.get();
  EXPECT_EQ(ev.tag, "saltgw/test/ping");
  EXPECT_EQ(*ev.data.find("x"), Value(1));
}

TEST_F(BusTest, StopKillsTheJobsProcessOnTheMinion) {
  std::string jid;
  auto job = submit(JobRequest{"test.sleep", List{Value(60)}, {}, 120s}, &jid);
  std::string name = ScheduleStrategy::schedule_name(jid);
  auto listed = [&] {
    auto running = run("saltutil.running");
    if (!running.ok() || !running->ret.is_list()) return false;
    for (const auto& p : running->ret.as_list())
      if (const Value* s = p.find("schedule"); s && s->text() == name) return true;
    return false;
  };
  ASSERT_TRUE(saltgw::testing::wait_until(listed, 20s)) << "the job's process never showed up";
  auto stopped = std::make_shared<std::promise<Result<StopOutcome>>>();
  auto f = stopped->get_future();
  strategy_->stop(jid, [stopped](Result<StopOutcome> r) { stopped->set_value(std::move(r)); });
  ASSERT_EQ(f.wait_for(30s), std::future_status::ready);
  auto r = f.get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->held);
  EXPECT_TRUE(r->stopped);
  EXPECT_NE(r->how.find("kill_job"), std::string::npos) << r->how;
  ASSERT_EQ(job.wait_for(5s), std::future_status::ready);
  auto answer = job.get();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().kind, ErrorKind::kCancelled);
  EXPECT_TRUE(saltgw::testing::wait_until([&] { return !listed(); }, 10s)) << "the process still runs";
}

}  // namespace
