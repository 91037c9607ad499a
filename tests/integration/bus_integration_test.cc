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

using namespace saltgw::salt_ipc;
using namespace std::chrono_literals;

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
    bus_ = std::make_unique<EventBus>(o);
    strategy_ = std::make_unique<ScheduleStrategy>(*bus_, jids_);
    bus_->start();
    ASSERT_TRUE(wait_connected(20s)) << bus_->last_error();
  }
  void TearDown() override {
    strategy_.reset();
    if (bus_) bus_->stop();
  }

  bool wait_connected(std::chrono::seconds limit) {
    return saltgw::testing::wait_until([this] { return bus_->connected(); }, limit);
  }

  std::future<Result<JobResult>> submit(JobRequest req, std::string* jid = nullptr) {
    return saltgw::testing::submit_job(*strategy_, std::move(req), jid);
  }

  Result<JobResult> run(std::string fun, List args = {}, Map kwargs = {},
                        std::chrono::milliseconds timeout = 60s) {
    return saltgw::testing::await_job(submit(JobRequest{std::move(fun), std::move(args), std::move(kwargs), timeout}),
                                      timeout);
  }

  MinionConfig config_;
  JidGenerator jids_;
  std::unique_ptr<EventBus> bus_;
  std::unique_ptr<ScheduleStrategy> strategy_;
};

TEST_F(BusTest, TestPingReturnsTrue) {
  std::string jid;
  auto f = submit(JobRequest{"test.ping", {}, {}, 30s}, &jid);
  auto r = f.get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->ret, Value(true));
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->retcode, 0);
  EXPECT_EQ(r->fun, "test.ping");
  EXPECT_EQ(r->jid, jid);
  EXPECT_TRUE(is_valid_jid(jid)) << jid;
}

TEST_F(BusTest, TestArgPassesArgsAndKwargs) {
  auto r = run("test.arg", List{Value(1), Value("two"), Value(List{Value(3.5)})},
               Map{{"k", Value("v")}, {"n", Value(3)}, {"flag", Value(true)}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Value* args = r->ret.find("args");
  const Value* kwargs = r->ret.find("kwargs");
  ASSERT_TRUE(args && kwargs) << r->ret.debug_string();
  EXPECT_EQ(*args, Value(List{Value(1), Value("two"), Value(List{Value(3.5)})}));
  EXPECT_EQ(*kwargs->find("k"), Value("v"));
  EXPECT_EQ(*kwargs->find("n"), Value(3));
  EXPECT_EQ(*kwargs->find("flag"), Value(true));
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
  auto r = run("state.sls", List{Value("gwtest")}, Map{{"queue", Value(true)}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->ret.is_map()) << r->ret.debug_string();
  const Value* st = r->ret.find("test_|-gwtest-ok_|-gwtest_|-succeed_without_changes");
  ASSERT_TRUE(st) << r->ret.debug_string();
  EXPECT_EQ(*st->find("result"), Value(true));
  EXPECT_EQ(*st->find("comment"), Value("Success!"));
}

TEST_F(BusTest, UnknownFunctionIsAnErrorNamingIt) {
  auto r = run("no.such", {}, {}, 60s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnknownFunction) << r.error().message;
  EXPECT_NE(r.error().message.find("no.such"), std::string::npos);
}

TEST_F(BusTest, RaisingFunctionIsFunctionFailed) {
  auto r = run("test.exception", List{Value("boom from saltgw")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kFunctionFailed) << r.error().message;
}

TEST_F(BusTest, TwentyJobsInFlightEachGetTheirOwnAnswer) {
  std::vector<std::future<Result<JobResult>>> fs;
  std::vector<std::string> jids(20);
  for (int i = 0; i < 20; ++i)
    fs.push_back(submit(JobRequest{"test.echo", List{Value("job-" + std::to_string(i))}, {}, 90s}, &jids[i]));
  EXPECT_GE(strategy_->in_flight(), 1u);
  for (int i = 0; i < 20; ++i) {
    auto r = fs[i].get();
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message;
    EXPECT_EQ(r->ret, Value("job-" + std::to_string(i)));
    EXPECT_EQ(r->jid, jids[i]);
  }
  EXPECT_EQ(strategy_->in_flight(), 0u);
}

TEST_F(BusTest, JobOutlivingItsTimeoutGetsTimeout) {
  auto start = std::chrono::steady_clock::now();
  auto r = run("test.sleep", List{Value(5)}, {}, 800ms);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_LT(took, 4s);
  // The bus still works afterwards.
  auto p = run("test.ping");
  ASSERT_TRUE(p.ok()) << p.error().message;
}

TEST_F(BusTest, MinionRestartFailsInFlightJobAndRecovers) {
  auto inflight = submit(JobRequest{"test.sleep", List{Value(30)}, {}, 120s});
  std::this_thread::sleep_for(500ms);
  uint64_t connects = bus_->connects();
  ASSERT_TRUE(saltgw::testing::restart_sandbox_minion());
  ASSERT_EQ(inflight.wait_for(30s), std::future_status::ready);
  auto r = inflight.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kConnectionLost) << r.error().message;
  ASSERT_TRUE(wait_connected(30s)) << bus_->last_error();
  EXPECT_GT(bus_->connects(), connects);
  auto p = run("test.ping");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->ret, Value(true));
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
