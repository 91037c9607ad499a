// The bus strategies' shared core (BusStrategy) through both of its
// protocols, schedule and minion_job, on an in-memory bus: the test plays the
// minion. Submit -> result, the answer shapes the minion sends, timeout,
// cancel, connection loss, shutdown, and stop (saltutil.running, then
// saltutil.kill_job).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "salt_ipc/minion_job_strategy.h"
#include "salt_ipc/schedule_strategy.h"
#include "tests/unit/fake_bus.h"

namespace saltgw::salt_ipc {
namespace {

using namespace std::chrono_literals;
using testing::FakeBus;

struct Outcomes {
  std::vector<Result<JobResult>> got;
  JobCallback callback() {
    return [this](Result<JobResult> r) { got.push_back(std::move(r)); };
  }
};

// The schedule entry a manage_schedule add published for `fun` (last one).
std::string added_name(const FakeBus& bus, const std::string& fun) {
  std::string name;
  for (const auto& ev : bus.published) {
    if (ev.tag != "manage_schedule" || ev.data.find("func")->text() != "add") continue;
    for (const auto& [n, entry] : ev.data.find("schedule")->as_map())
      if (entry.find("function")->text() == fun) name = n;
  }
  return name;
}

size_t count(const FakeBus& bus, const std::string& func, const std::string& name) {
  size_t n = 0;
  for (const auto& ev : bus.published)
    if (ev.tag == "manage_schedule" && ev.data.find("func")->text() == func && ev.data.find("name") &&
        ev.data.find("name")->text() == name)
      ++n;
  return n;
}

Value answer(const std::string& name, Value ret, bool success = true, int retcode = 0) {
  return Value(Map{{"schedule", Value(name)}, {"return", std::move(ret)},
                   {"success", Value(success)}, {"retcode", Value(retcode)}});
}

class ScheduleCore : public ::testing::Test {
 protected:
  Outcomes out;
  FakeBus bus;
  JidGenerator jids;
  std::unique_ptr<ScheduleStrategy> strategy = std::make_unique<ScheduleStrategy>(bus, jids, ScheduleOptions{4096});

  std::string run(const std::string& fun = "test.arg", std::chrono::milliseconds timeout = 10s) {
    JobRequest req{fun, List{Value("a")}, Map{{"k", Value(1)}}, timeout};
    return strategy->submit(std::move(req), out.callback());
  }
};

TEST_F(ScheduleCore, SubmitAddsRunsAndDeletesOneEntryAndAnswersOnce) {
  std::string jid = run();
  ASSERT_EQ(jid.size(), 20u);
  std::string name = ScheduleStrategy::schedule_name(jid);
  EXPECT_EQ(added_name(bus, "test.arg"), name);
  EXPECT_EQ(count(bus, "run_job", name), 1u);
  EXPECT_EQ(strategy->in_flight(), 1u);
  bus.deliver("__schedule_return", answer(name, Value("ok")));
  ASSERT_EQ(out.got.size(), 1u);
  ASSERT_TRUE(out.got[0].ok());
  EXPECT_EQ(out.got[0]->jid, jid);
  EXPECT_EQ(out.got[0]->ret, Value("ok"));
  EXPECT_EQ(count(bus, "delete", name), 1u);
  EXPECT_EQ(strategy->in_flight(), 0u);
  bus.deliver("__schedule_return", answer(name, Value("again")));  // late duplicate: nobody hears it
  EXPECT_EQ(out.got.size(), 1u);
  EXPECT_EQ(bus.loop.timers(), 0u);  // the timeout was disarmed
}

TEST_F(ScheduleCore, AnswersForOtherEntriesAreIgnored) {
  run();
  bus.deliver("__schedule_return", answer("saltgw_someone_else", Value(1)));
  bus.deliver("__schedule_return", Value(Map{{"return", Value(1)}}));  // no schedule name at all
  EXPECT_TRUE(out.got.empty());
}

TEST_F(ScheduleCore, AnswerShapesBecomeOutcomes) {
  // success missing: judged by retcode.
  std::string a = ScheduleStrategy::schedule_name(run());
  bus.deliver("__schedule_return", Value(Map{{"schedule", Value(a)}, {"return", Value(3)}, {"retcode", Value(0)}}));
  // success false with Salt's words for an unknown function.
  std::string b = ScheduleStrategy::schedule_name(run("nope.nope"));
  bus.deliver("__schedule_return", answer(b, Value("'nope.nope' is not available."), false, 254));
  // a trimmed result.
  std::string c = ScheduleStrategy::schedule_name(run());
  bus.deliver("__schedule_return", answer(c, Value(Map{{"x", Value("VALUE_TRIMMED")}})));
  // a failed function with a structured return.
  std::string d = ScheduleStrategy::schedule_name(run());
  bus.deliver("__schedule_return", answer(d, Value(Map{{"state", Value(false)}}), false, 2));
  ASSERT_EQ(out.got.size(), 4u);
  ASSERT_TRUE(out.got[0].ok());
  EXPECT_TRUE(out.got[0]->success);
  EXPECT_EQ(out.got[1].error().kind, ErrorKind::kUnknownFunction);
  EXPECT_EQ(out.got[2].error().kind, ErrorKind::kResultTrimmed);
  EXPECT_NE(out.got[2].error().message.find("4096"), std::string::npos);
  EXPECT_EQ(out.got[3].error().kind, ErrorKind::kFunctionFailed);
  ASSERT_TRUE(out.got[3].error().detail);
  EXPECT_EQ(*out.got[3].error().detail, Value(Map{{"state", Value(false)}}));
}

TEST_F(ScheduleCore, TimeoutAnswersAndDeletesTheEntry) {
  std::string name = ScheduleStrategy::schedule_name(run("test.sleep", 2500ms));
  bus.loop.advance(2499ms);
  EXPECT_TRUE(out.got.empty());
  bus.loop.advance(1ms);
  ASSERT_EQ(out.got.size(), 1u);
  EXPECT_EQ(out.got[0].error().kind, ErrorKind::kTimeout);
  EXPECT_NE(out.got[0].error().message.find("2.5 s"), std::string::npos);
  EXPECT_EQ(count(bus, "delete", name), 1u);
  bus.deliver("__schedule_return", answer(name, Value("late")));
  EXPECT_EQ(out.got.size(), 1u);
}

TEST_F(ScheduleCore, CancelAnswersOnceAndUnknownJidsAreNotHeld) {
  std::string jid = run();
  EXPECT_TRUE(strategy->cancel(jid, make_error(ErrorKind::kCancelled, "by test")));
  EXPECT_FALSE(strategy->cancel(jid, make_error(ErrorKind::kCancelled, "twice")));
  ASSERT_EQ(out.got.size(), 1u);
  EXPECT_EQ(out.got[0].error().message, "by test");
  EXPECT_EQ(count(bus, "delete", ScheduleStrategy::schedule_name(jid)), 1u);
  EXPECT_FALSE(strategy->cancel("20000101000000000000", make_error(ErrorKind::kCancelled, "x")));
}

TEST_F(ScheduleCore, ConnectionLossAnswersEveryJobWithoutCleanup) {
  run();
  run();
  bus.set_connected(false, "socket closed");
  ASSERT_EQ(out.got.size(), 2u);
  for (auto& r : out.got) {
    EXPECT_EQ(r.error().kind, ErrorKind::kConnectionLost);
    EXPECT_NE(r.error().message.find("socket closed"), std::string::npos);
  }
  EXPECT_EQ(strategy->in_flight(), 0u);
}

TEST_F(ScheduleCore, PublishFailureAnswersAtOnce) {
  bus.set_connected(false, "down");
  run();
  ASSERT_EQ(out.got.size(), 1u);
  EXPECT_EQ(out.got[0].error().kind, ErrorKind::kMinionUnreachable);
  EXPECT_EQ(strategy->in_flight(), 0u);
}

TEST_F(ScheduleCore, AJidInFlightCannotBeReused) {
  JobRequest a{"test.arg", {}, {}, 10s, "20240101000000000001"};
  JobRequest b{"test.arg", {}, {}, 10s, "20240101000000000001"};
  strategy->submit(std::move(a), out.callback());
  strategy->submit(std::move(b), out.callback());
  ASSERT_EQ(out.got.size(), 1u);
  EXPECT_EQ(out.got[0].error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(strategy->in_flight(), 1u);
}

TEST_F(ScheduleCore, DestructionAnswersJobsInFlightAndUnsubscribes) {
  run();
  strategy.reset();
  ASSERT_EQ(out.got.size(), 1u);
  EXPECT_EQ(out.got[0].error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(bus.subscriptions(), 0u);
}

TEST_F(ScheduleCore, CapabilitiesSayNoProgressAndProcessStop) {
  Capabilities c = strategy->capabilities();
  EXPECT_EQ(c.progress, ProgressKind::kNone);
  EXPECT_NE(c.progress_note.find("'schedule'"), std::string::npos);
  EXPECT_NE(c.progress_note.find("master only"), std::string::npos);
  EXPECT_EQ(c.stop, StopKind::kProcess);
}

TEST_F(ScheduleCore, StopFindsTheProcessByScheduleNameAndKillsIt) {
  std::string jid = run("test.sleep");
  std::string name = ScheduleStrategy::schedule_name(jid);
  std::optional<Result<StopOutcome>> stopped;
  strategy->stop(jid, [&](Result<StopOutcome> r) { stopped = std::move(r); });
  std::string running = added_name(bus, "saltutil.running");
  ASSERT_FALSE(running.empty());
  bus.deliver("__schedule_return",
              answer(running, Value(List{Value(Map{{"schedule", Value("saltgw_other")}, {"jid", Value("111")}}),
                                         Value(Map{{"schedule", Value(name)}, {"jid", Value("222")}})})));
  std::string kill = added_name(bus, "saltutil.kill_job");
  ASSERT_FALSE(kill.empty());
  EXPECT_FALSE(stopped);
  // The kill names the job's process, found by its schedule name.
  for (const auto& ev : bus.published) {
    if (ev.tag == "manage_schedule" && ev.data.find("schedule") && ev.data.find("schedule")->find(kill)) {
      EXPECT_EQ(*ev.data.find("schedule")->find(kill)->find("args"), Value(List{Value("222")}));
    }
  }
  bus.deliver("__schedule_return", answer(kill, Value(Map{{"Signal 9 sent to job 222", Value(true)}})));
  ASSERT_TRUE(stopped && stopped->ok());
  EXPECT_TRUE((*stopped)->held);
  EXPECT_TRUE((*stopped)->stopped);
  EXPECT_NE((*stopped)->how.find("kill_job 222"), std::string::npos);
  EXPECT_TRUE((*stopped)->minion.is_map());
  ASSERT_EQ(out.got.size(), 1u);  // the helper jobs answer stop() only
  EXPECT_EQ(out.got.back().error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(count(bus, "delete", name), 1u);
}

TEST_F(ScheduleCore, StopWithNoProcessMarksTheJobStopped) {
  std::string jid = run("test.sleep");
  std::optional<Result<StopOutcome>> stopped;
  strategy->stop(jid, [&](Result<StopOutcome> r) { stopped = std::move(r); });
  bus.deliver("__schedule_return", answer(added_name(bus, "saltutil.running"), Value(List{})));
  ASSERT_TRUE(stopped && stopped->ok());
  EXPECT_TRUE((*stopped)->stopped);
  EXPECT_NE((*stopped)->how.find("no process"), std::string::npos);
  EXPECT_EQ(added_name(bus, "saltutil.kill_job"), "");
  EXPECT_EQ(out.got.back().error().kind, ErrorKind::kCancelled);
}

TEST_F(ScheduleCore, StopOfAJobNotHeldAnswersAtOnceWithoutAskingTheMinion) {
  std::optional<Result<StopOutcome>> stopped;
  strategy->stop("20000101000000000000", [&](Result<StopOutcome> r) { stopped = std::move(r); });
  ASSERT_TRUE(stopped && stopped->ok());
  EXPECT_FALSE((*stopped)->held);
  EXPECT_TRUE(bus.published.empty());
}

TEST_F(ScheduleCore, StopWhenTheMinionCannotListProcessesIsAnError) {
  std::string jid = run("test.sleep");
  std::optional<Result<StopOutcome>> stopped;
  strategy->stop(jid, [&](Result<StopOutcome> r) { stopped = std::move(r); });
  bus.deliver("__schedule_return", answer(added_name(bus, "saltutil.running"), Value("boom"), false, 1));
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->error().kind, ErrorKind::kFunctionFailed);
  EXPECT_EQ(strategy->in_flight(), 1u);  // the job itself goes on
}

// ---- minion_job ----------------------------------------------------------------

class MinionJobCore : public ::testing::Test {
 protected:
  Outcomes out;
  FakeBus bus;
  JidGenerator jids;
  MinionJobStrategy strategy{bus, jids, MinionJobOptions{1024, "event_result"}};

  const Event* job_event(const std::string& jid) {
    for (const auto& ev : bus.published)
      if (ev.tag == "minion_job" && ev.data.find("jid")->text() == jid) return &ev;
    return nullptr;
  }
};

TEST_F(MinionJobCore, SubmitPushesTheJobAndItsReturnAnswersIt) {
  std::string jid = strategy.submit(JobRequest{"test.arg", List{Value(1)}, Map{{"k", Value("v")}}, 10s}, out.callback());
  const Event* ev = job_event(jid);
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->data.find("fun")->text(), "test.arg");
  EXPECT_EQ(ev->data.find("ret")->text(), "event_result");
  EXPECT_EQ(ev->data.find("arg")->as_list().size(), 2u);  // 1, then the kwargs map
  bus.deliver("salt/job/" + jid + "/ret/other", Value(Map{{"return", Value(0)}}));  // not a ret tag
  EXPECT_TRUE(out.got.empty());
  bus.deliver("salt/job/" + jid + "/ret", Value(Map{{"return", Value("r")}, {"retcode", Value(0)}}));
  ASSERT_EQ(out.got.size(), 1u);
  ASSERT_TRUE(out.got[0].ok());  // no "success": retcode 0 means success
  EXPECT_EQ(out.got[0]->ret, Value("r"));
  EXPECT_EQ(bus.published.size(), 1u);  // nothing to clean up
}

TEST_F(MinionJobCore, FailedReturnAndTimeout) {
  std::string a = strategy.submit(JobRequest{"cmd.run", {}, {}, 10s}, out.callback());
  bus.deliver("salt/job/" + a + "/ret", Value(Map{{"return", Value("no")}, {"retcode", Value(1)}}));
  strategy.submit(JobRequest{"test.sleep", {}, {}, 1s}, out.callback());
  bus.loop.advance(1s);
  ASSERT_EQ(out.got.size(), 2u);
  EXPECT_EQ(out.got[0].error().kind, ErrorKind::kFunctionFailed);
  EXPECT_EQ(out.got[1].error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(strategy.name(), "minion_job");
}

TEST_F(MinionJobCore, StopFindsTheProcessByJid) {
  std::string jid = strategy.submit(JobRequest{"test.sleep", List{Value(60)}, {}, 100s}, out.callback());
  std::optional<Result<StopOutcome>> stopped;
  strategy.stop(jid, [&](Result<StopOutcome> r) { stopped = std::move(r); });
  ASSERT_EQ(bus.published.size(), 2u);
  std::string running = bus.published[1].data.find("jid")->as_string();
  EXPECT_EQ(bus.published[1].data.find("fun")->text(), "saltutil.running");
  bus.deliver("salt/job/" + running + "/ret",
              Value(Map{{"return", Value(List{Value(Map{{"jid", Value(jid)}, {"fun", Value("test.sleep")}})})},
                        {"success", Value(true)}}));
  ASSERT_EQ(bus.published.size(), 3u);
  EXPECT_EQ(bus.published[2].data.find("fun")->text(), "saltutil.kill_job");
  EXPECT_EQ(*bus.published[2].data.find("arg"), Value(List{Value(jid)}));
  bus.deliver("salt/job/" + bus.published[2].data.find("jid")->as_string() + "/ret",
              Value(Map{{"return", Value(Map{})}, {"success", Value(true)}}));
  ASSERT_TRUE(stopped && stopped->ok());
  EXPECT_TRUE((*stopped)->stopped);
  EXPECT_NE((*stopped)->how.find("kill_job " + jid), std::string::npos);
  EXPECT_EQ(out.got.back().error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(strategy.in_flight(), 0u);
}

}  // namespace
}  // namespace saltgw::salt_ipc
