// The contract every dispatch keeps, checked against each dispatch's fixture.
//
// What a job strategy promises its caller, whatever way it reaches the
// minion (the schedule over the event bus, minion_job events, the executor
// engine): written once here, and run by each dispatch's fixture from a
// TEST_F of one or two lines. Each check is a void function with gtest
// assertions inside; a fatal failure ends the check, and the TEST_F ends with
// it (nothing follows the call). Where the dispatches differ (how a restart is
// done and seen to be over, how many jobs to send), the difference is a
// parameter; what is asserted is the same for all.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "salt_ipc/jid.h"
#include "salt_ipc/job.h"
#include "tests/integration/jobs.h"

namespace saltgw::testing::contract {

// test.ping answers true, successfully, under the jid submit() returned.
// `context` (when given) is added to the message of a failed job (a minion
// log's tail).
inline void test_ping_answers_true(salt_ipc::Strategy& s, std::chrono::milliseconds timeout,
                                   const std::function<std::string()>& context = {}) {
  using namespace saltgw::salt_ipc;
  std::string jid;
  auto r = submit_job(s, JobRequest{"test.ping", {}, {}, timeout}, &jid).get();
  ASSERT_TRUE(r.ok()) << r.error().message << (context ? "\n" + context() : std::string());
  EXPECT_EQ(r->ret, Value(true));
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->retcode, 0);
  EXPECT_EQ(r->fun, "test.ping");
  EXPECT_EQ(r->jid, jid);
  EXPECT_TRUE(is_valid_jid(jid)) << jid;
}

// test.arg sees the positional args (nested lists and floats too) and the
// kwargs as sent, and no marker of how kwargs travelled (Salt's __kwarg__).
inline void test_arg_passes_args_and_kwargs(salt_ipc::Strategy& s) {
  using namespace saltgw::salt_ipc;
  auto r = run_job(s, "test.arg", List{Value(1), Value("two"), Value(List{Value(3.5)})},
                   Map{{"k", Value("v")}, {"n", Value(3)}, {"flag", Value(true)}}, std::chrono::seconds(60));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Value* args = r->ret.find("args");
  const Value* kwargs = r->ret.find("kwargs");
  ASSERT_TRUE(args && kwargs) << r->ret.debug_string();
  EXPECT_EQ(*args, Value(List{Value(1), Value("two"), Value(List{Value(3.5)})}));
  EXPECT_EQ(*kwargs->find("k"), Value("v"));
  EXPECT_EQ(*kwargs->find("n"), Value(3));
  EXPECT_EQ(*kwargs->find("flag"), Value(true));
  // The marker is Salt's business: it must not reach the function.
  EXPECT_EQ(kwargs->find("__kwarg__"), nullptr);
}

// state.sls of the sandbox's gwtest state returns the state map with its one
// state succeeded.
inline void state_sls_of_test_state(salt_ipc::Strategy& s) {
  using namespace saltgw::salt_ipc;
  auto r = run_job(s, "state.sls", List{Value("gwtest")}, Map{{"queue", Value(true)}}, std::chrono::seconds(60));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->ret.is_map()) << r->ret.debug_string();
  const Value* st = r->ret.find("test_|-gwtest-ok_|-gwtest_|-succeed_without_changes");
  ASSERT_TRUE(st) << r->ret.debug_string();
  EXPECT_EQ(*st->find("result"), Value(true));
  EXPECT_EQ(*st->find("comment"), Value("Success!"));
}

// A function the minion does not have is kUnknownFunction, naming it; within
// `within` when given (a dispatch that knows the function list answers at
// once).
inline void unknown_function_is_an_error_naming_it(salt_ipc::Strategy& s,
                                                   std::optional<std::chrono::milliseconds> within = std::nullopt) {
  using namespace saltgw::salt_ipc;
  auto start = std::chrono::steady_clock::now();
  auto r = run_job(s, "no.such", {}, {}, std::chrono::seconds(60));
  if (within) {
    EXPECT_LT(std::chrono::steady_clock::now() - start, *within);
  }
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnknownFunction) << r.error().message;
  EXPECT_NE(r.error().message.find("no.such"), std::string::npos) << r.error().message;
}

// Whether a failed job's message quotes the exception: the minion's schedule
// reports only "Unhandled exception running <fun>", the others the words.
enum class ExceptionWords { kQuoted, kNotCarried };

// A function that raises is kFunctionFailed, with the exception's words where
// the dispatch carries them.
inline void raising_function_is_function_failed(salt_ipc::Strategy& s, ExceptionWords words) {
  using namespace saltgw::salt_ipc;
  auto r = run_job(s, "test.exception", List{Value("boom from saltgw")}, {}, std::chrono::seconds(60));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kFunctionFailed) << r.error().message;
  if (words == ExceptionWords::kQuoted) {
    EXPECT_NE(r.error().message.find("boom from saltgw"), std::string::npos) << r.error().message;
  }
}

// How many test.echo jobs go out at once, and what is checked meanwhile.
struct InFlight {
  int jobs = 20;
  std::string prefix = "job-";      // job i echoes prefix + i
  std::chrono::milliseconds timeout = std::chrono::seconds(90);
  bool counted_while_running = true;  // in_flight() >= 1 right after submitting
};

// `n.jobs` jobs in flight at once each get their own answer under their own
// jid, and none is left in flight after.
inline void jobs_in_flight_each_get_their_own_answer(salt_ipc::Strategy& s, const InFlight& n = {}) {
  using namespace saltgw::salt_ipc;
  std::vector<std::future<Result<JobResult>>> fs;
  std::vector<std::string> jids(n.jobs);
  for (int i = 0; i < n.jobs; ++i)
    fs.push_back(submit_job(s, JobRequest{"test.echo", List{Value(n.prefix + std::to_string(i))}, {}, n.timeout},
                            &jids[i]));
  if (n.counted_while_running) {
    EXPECT_GE(s.in_flight(), 1u);
  }
  for (int i = 0; i < n.jobs; ++i) {
    auto r = fs[i].get();
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message;
    EXPECT_EQ(r->ret, Value(n.prefix + std::to_string(i)));
    EXPECT_EQ(r->jid, jids[i]);
  }
  EXPECT_EQ(s.in_flight(), 0u);
}

// A test.sleep of `sleep_s` seconds with a `timeout` shorter than that gets
// kTimeout within 4 s, and the dispatch still runs jobs afterwards.
inline void job_outliving_its_timeout_gets_timeout(salt_ipc::Strategy& s, int sleep_s,
                                                   std::chrono::milliseconds timeout) {
  using namespace saltgw::salt_ipc;
  auto start = std::chrono::steady_clock::now();
  auto r = run_job(s, "test.sleep", List{Value(sleep_s)}, {}, timeout);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout) << r.error().message;
  EXPECT_LT(took, std::chrono::seconds(4));
  // The dispatch still works afterwards.
  auto p = run_job(s, "test.ping", {}, {}, std::chrono::seconds(60));
  ASSERT_TRUE(p.ok()) << p.error().message;
}

// A job in flight when the minion restarts fails with kConnectionLost, and
// once the dispatch has recovered, jobs run again. `restart` restarts the
// minion (after `settle`, so the job is running) and `recovered` waits for
// the dispatch to be back; both assert what they need.
inline void minion_restart_fails_in_flight_job_and_recovers(salt_ipc::Strategy& s, std::chrono::milliseconds settle,
                                                            const std::function<void()>& restart,
                                                            const std::function<void()>& recovered) {
  using namespace saltgw::salt_ipc;
  auto inflight = submit_job(s, JobRequest{"test.sleep", List{Value(30)}, {}, std::chrono::seconds(120)});
  std::this_thread::sleep_for(settle);
  restart();
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_EQ(inflight.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto r = inflight.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kConnectionLost) << r.error().message;
  recovered();
  if (::testing::Test::HasFatalFailure()) return;
  auto p = run_job(s, "test.ping", {}, {}, std::chrono::seconds(60));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->ret, Value(true));
}

}  // namespace saltgw::testing::contract
