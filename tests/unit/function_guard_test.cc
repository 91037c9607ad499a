// FunctionGuard: an unknown function is refused from a fresh list before it
// reaches the strategy; before the list loads the job goes through; with a
// stale list it waits for the reload and is judged by it (sent on if the
// reload fails); a second guard shares the first one's list (the gateway's
// async jobs), so a refresh through either reaches both.
#include "salt_ipc/function_guard.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace saltgw::salt_ipc {
namespace {

using namespace std::chrono_literals;

// Answers sys.list_functions with `functions` (or holds that job back while
// `hold_list` is set); answers every other job with its function's name.
class Minion : public Strategy {
 public:
  explicit Minion(std::vector<std::string> fs) : functions(std::move(fs)) {}
  std::string_view name() const override { return "minion"; }
  std::string submit(JobRequest request, JobCallback done) override {
    submitted.push_back(request.fun);
    JobResult r;
    r.fun = request.fun;
    r.success = true;
    if (request.fun == "sys.list_functions") {
      if (fail_list) {
        done(make_error(ErrorKind::kTimeout, "no answer"));
        return "j";
      }
      List l;
      for (const auto& f : functions) l.emplace_back(f);
      r.ret = Value(std::move(l));
      if (hold_list) {
        held = [done, r]() mutable { done(std::move(r)); };
        return "j";
      }
    } else {
      r.ret = Value(request.fun);
    }
    done(std::move(r));
    return "j";
  }
  size_t in_flight() const override { return 0; }
  Capabilities capabilities() const override { return {ProgressKind::kNone, "", StopKind::kProcess}; }

  std::vector<std::string> functions;
  std::vector<std::string> submitted;
  bool hold_list = false;
  bool fail_list = false;
  std::function<void()> held;
};

std::optional<Result<JobResult>> run(Strategy& s, const std::string& fun) {
  std::optional<Result<JobResult>> got;
  s.submit(JobRequest{fun, {}, {}, 1s}, [&](Result<JobResult> r) { got = std::move(r); });
  return got;
}

TEST(FunctionGuard, RefusesAnUnknownFunctionWithoutAskingTheMinion) {
  Minion minion({"test.ping"});
  FunctionGuard guard(minion);
  guard.refresh();
  ASSERT_EQ(guard.size(), 1u);
  minion.submitted.clear();

  auto got = run(guard, "no.such");
  ASSERT_TRUE(got && !got->ok());
  EXPECT_EQ(got->error().kind, ErrorKind::kUnknownFunction);
  EXPECT_NE(got->error().message.find("'no.such'"), std::string::npos);
  EXPECT_TRUE(minion.submitted.empty());

  got = run(guard, "test.ping");
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ(minion.submitted, std::vector<std::string>{"test.ping"});
}

TEST(FunctionGuard, LetsEverythingThroughUntilTheListIsLoaded) {
  Minion minion({"test.ping"});
  minion.hold_list = true;
  FunctionGuard guard(minion);
  guard.refresh();
  EXPECT_EQ(guard.size(), 0u);
  auto got = run(guard, "no.such");
  ASSERT_TRUE(got && got->ok());  // the minion answers for itself
  minion.held();
  EXPECT_EQ(guard.size(), 1u);
  got = run(guard, "no.such");
  ASSERT_TRUE(got && !got->ok());
}

TEST(FunctionGuard, AStaleListLetsTheJobThroughAndReloads) {
  Minion minion({"test.ping"});
  FunctionGuard guard(minion, 0s);  // never fresh
  guard.refresh();
  minion.functions.push_back("new.fun");
  minion.submitted.clear();
  auto got = run(guard, "new.fun");
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ(minion.submitted, (std::vector<std::string>{"sys.list_functions", "new.fun"}));
  EXPECT_EQ(guard.size(), 2u);
}

TEST(FunctionGuard, AnUnknownFunctionWaitsForTheReloadOfAStaleListAndIsJudgedByIt) {
  Minion minion({"test.ping"});
  FunctionGuard guard(minion, 0s);  // never fresh
  guard.refresh();
  minion.hold_list = true;
  minion.submitted.clear();
  std::optional<Result<JobResult>> got;
  guard.submit(JobRequest{"no.such", {}, {}, 1s, "20260101000000000001"},
               [&](Result<JobResult> r) { got = std::move(r); });
  EXPECT_FALSE(got);  // parked: the reload has not answered
  EXPECT_EQ(guard.in_flight(), 1u);
  EXPECT_EQ(minion.submitted, std::vector<std::string>{"sys.list_functions"});
  minion.held();
  ASSERT_TRUE(got && !got->ok());
  EXPECT_EQ(got->error().kind, ErrorKind::kUnknownFunction);
  EXPECT_EQ(minion.submitted, std::vector<std::string>{"sys.list_functions"});  // never sent
  EXPECT_EQ(guard.in_flight(), 0u);
}

TEST(FunctionGuard, AJobWaitingForAReloadThatFailsIsSentOn) {
  Minion minion({"test.ping"});
  FunctionGuard guard(minion, 0s);
  guard.refresh();
  minion.fail_list = true;
  auto got = run(guard, "no.such");
  ASSERT_TRUE(got && got->ok());  // the minion answers for itself
  EXPECT_EQ(minion.submitted.back(), "no.such");
}

TEST(FunctionGuard, DestroyingAGuardAnswersTheJobsWaitingInIt) {
  Minion minion({"test.ping"});
  std::optional<Result<JobResult>> got;
  {
    FunctionGuard guard(minion, 0s);
    guard.refresh();
    minion.hold_list = true;
    guard.submit(JobRequest{"no.such", {}, {}, 1s, "20260101000000000002"},
                 [&](Result<JobResult> r) { got = std::move(r); });
    EXPECT_FALSE(got);
  }
  ASSERT_TRUE(got && !got->ok());
  EXPECT_EQ(got->error().kind, ErrorKind::kCancelled);
  minion.held();  // the reload answers after the guard is gone: nothing happens
}

TEST(FunctionGuard, ASecondGuardSharesTheListAndItsRefreshes) {
  Minion minion({"test.ping"});
  Minion async_minion({});
  FunctionGuard guard(minion);
  FunctionGuard async_guard(async_minion, guard);
  guard.refresh();
  EXPECT_EQ(async_guard.size(), 1u);

  auto got = run(async_guard, "no.such");
  ASSERT_TRUE(got && !got->ok());
  EXPECT_EQ(got->error().kind, ErrorKind::kUnknownFunction);
  EXPECT_TRUE(async_minion.submitted.empty());  // the list is never loaded through the second guard
  got = run(async_guard, "test.ping");
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ(async_minion.submitted, std::vector<std::string>{"test.ping"});

  // A module synced on the minion: invalidate() through the second guard
  // reloads the shared list (through the first one's strategy).
  minion.functions.push_back("gwsync.hello");
  async_guard.invalidate();
  EXPECT_EQ(guard.size(), 2u);
  got = run(async_guard, "gwsync.hello");
  ASSERT_TRUE(got && got->ok());
}

}  // namespace
}  // namespace saltgw::salt_ipc
