// JobControl: stop asks the strategy of async jobs first, then the other;
// a job neither holds is answered without asking the minion; the APN
// settings are stored, reloaded and read back through the job strategy.
#include "salt_ipc/job_control.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace saltgw::salt_ipc {
namespace {

using namespace std::chrono_literals;

// Holds the jids it is told to; answers each submitted job from `answers` (by function).
class Recording : public Strategy {
 public:
  std::string_view name() const override { return "recording"; }
  std::string submit(JobRequest request, JobCallback done) override {
    submitted.push_back(request);
    auto it = answers.find(request.fun);
    if (it == answers.end()) {
      done(make_error(ErrorKind::kFunctionFailed, request.fun + " failed"));
    } else {
      JobResult r;
      r.fun = request.fun;
      r.ret = it->second;
      r.success = true;
      done(std::move(r));
    }
    return "j";
  }
  size_t in_flight() const override { return 0; }
  Capabilities capabilities() const override { return {ProgressKind::kPerStep, "", StopKind::kBeforeStart}; }
  void stop(const std::string& jid, StopCallback done) override {
    asked.push_back(jid);
    if (jid != held) return done(StopOutcome{});
    done(StopOutcome{true, true, std::string(name_) + " stopped it", Value()});
  }

  explicit Recording(const char* n) : name_(n) {}
  const char* name_;
  std::string held;
  std::vector<std::string> asked;
  std::vector<JobRequest> submitted;
  std::map<std::string, Value> answers;
};

TEST(JobControl, StopAsksTheAsyncStrategyFirstThenTheOther) {
  Recording jobs("jobs"), async("async");
  jobs.held = "1";
  std::optional<Result<StopOutcome>> got;
  JobControl(jobs, async).stop("1", [&](Result<StopOutcome> r) { got = std::move(r); });
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ((*got)->how, "jobs stopped it");
  EXPECT_EQ(async.asked, std::vector<std::string>{"1"});
  EXPECT_EQ(jobs.asked, std::vector<std::string>{"1"});

  async.held = "2";
  JobControl(jobs, async).stop("2", [&](Result<StopOutcome> r) { got = std::move(r); });
  EXPECT_EQ((*got)->how, "async stopped it");
  EXPECT_EQ(jobs.asked.size(), 1u);  // not asked: the async strategy held it
}

TEST(JobControl, AJobNoStrategyHoldsIsNotStopped) {
  Recording jobs("jobs"), async("async");
  std::optional<Result<StopOutcome>> got;
  JobControl(jobs, async).stop("9", [&](Result<StopOutcome> r) { got = std::move(r); });
  ASSERT_TRUE(got && got->ok());
  EXPECT_FALSE((*got)->held);
  EXPECT_FALSE((*got)->stopped);
  EXPECT_NE((*got)->how.find("no process"), std::string::npos);
  EXPECT_TRUE(jobs.submitted.empty());
}

TEST(JobControl, CapabilitiesAreThoseOfTheJobStrategy) {
  Recording jobs("jobs"), async("async");
  EXPECT_EQ(JobControl(jobs, async).capabilities().stop, StopKind::kBeforeStart);
}

TEST(JobControl, ApplyApnStoresReloadsAndReadsBack) {
  Recording jobs("jobs"), async("async");
  Value stored(Map{{"apn", Value("web")}});
  jobs.answers = {{"grains.setval", Value(true)}, {"saltutil.refresh_grains", Value(true)}, {"grains.get", stored}};
  std::optional<Result<Value>> got;
  JobControl(jobs, async).apply_apn(Map{{"apn", Value("web")}}, 5s, [&](Result<Value> r) { got = std::move(r); });
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ(got->value(), stored);
  ASSERT_EQ(jobs.submitted.size(), 3u);
  EXPECT_EQ(jobs.submitted[0].fun, "grains.setval");
  EXPECT_EQ(jobs.submitted[0].args, (List{Value("qmi"), Value(Map{{"apn", Value("web")}})}));
  EXPECT_EQ(jobs.submitted[1].fun, "saltutil.refresh_grains");
  EXPECT_EQ(jobs.submitted[2].fun, "grains.get");
  EXPECT_EQ(jobs.submitted[2].timeout, 5s);
  EXPECT_TRUE(async.submitted.empty());
}

TEST(JobControl, ApplyApnStopsAtTheFirstFailure) {
  Recording jobs("jobs"), async("async");
  jobs.answers = {{"grains.setval", Value(true)}};
  std::optional<Result<Value>> got;
  JobControl(jobs, async).apply_apn(Map{}, 5s, [&](Result<Value> r) { got = std::move(r); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->error().message, "saltutil.refresh_grains failed");
  EXPECT_EQ(jobs.submitted.size(), 2u);
}

TEST(JobControl, ReadApnIsAMapEvenWhenNothingIsStored) {
  Recording jobs("jobs"), async("async");
  jobs.answers = {{"grains.get", Value("")}};
  std::optional<Result<Value>> got;
  JobControl(jobs, async).read_apn(5s, [&](Result<Value> r) { got = std::move(r); });
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ(got->value(), Value(Map{}));
}

}  // namespace
}  // namespace saltgw::salt_ipc
