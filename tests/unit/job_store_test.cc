#include "salt_ipc/job_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

using namespace saltgw::salt_ipc;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const JobResult> result_of(size_t bytes) {
  auto r = std::make_shared<JobResult>();
  r->ret = Value(std::string(bytes, 'x'));
  r->success = true;
  return r;
}

TEST(JobStore, RunningThenFinishedExactlyOnce) {
  JobStore store;
  store.started("j1", "test.ping");
  EXPECT_EQ(store.running(), 1u);
  auto rec = store.get("j1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->state, JobRecord::State::kRunning);
  store.finished("j1", result_of(3));
  store.failed("j1", make_error(ErrorKind::kTimeout, "late"));  // ignored: ended already
  rec = store.get("j1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->state, JobRecord::State::kFinished);
  ASSERT_TRUE(rec->result);
  EXPECT_EQ(rec->result->ret, Value("xxx"));
  EXPECT_FALSE(rec->error);
  EXPECT_EQ(store.running(), 0u);
}

TEST(JobStore, TheResultIsSharedNotCopied) {
  JobStore store;
  store.started("j", "cmd.run");
  auto r = result_of(1000);
  store.finished("j", r);
  auto rec = store.get("j");
  ASSERT_TRUE(rec && rec->result);
  EXPECT_EQ(rec->result.get(), r.get());
  EXPECT_EQ(&rec->result->ret, &r->ret);
}

TEST(JobStore, AFailureKeepsItsError) {
  JobStore store;
  store.started("j", "test.sleep");
  store.finished("j", Result<std::shared_ptr<const JobResult>>(make_error(ErrorKind::kTimeout, "slow")));
  auto rec = store.get("j");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->state, JobRecord::State::kFailed);
  ASSERT_TRUE(rec->error);
  EXPECT_EQ(rec->error->kind, ErrorKind::kTimeout);
  EXPECT_FALSE(rec->result);
}

TEST(JobStore, OldestFinishedGoFirstPastTheCount) {
  JobStore store(2, 1h);
  for (const char* j : {"a", "b", "c"}) {
    store.started(j, "f");
    store.finished(j, result_of(1));
  }
  EXPECT_FALSE(store.get("a"));
  EXPECT_TRUE(store.get("b"));
  EXPECT_TRUE(store.get("c"));
}

TEST(JobStore, ResultsAreKeptWithinTheirByteBudget) {
  // 3 results of ~400 KB under a 1 MB budget: the oldest goes.
  JobStore store(1000, 1h, 1000 * 1000);
  for (const char* j : {"a", "b", "c"}) {
    store.started(j, "cmd.run");
    store.finished(j, result_of(400 * 1000));
  }
  EXPECT_FALSE(store.get("a"));
  EXPECT_TRUE(store.get("b"));
  EXPECT_TRUE(store.get("c"));
  // Small results and failures cost next to nothing.
  for (int i = 0; i < 100; ++i) {
    std::string j = "small" + std::to_string(i);
    store.started(j, "test.ping");
    store.finished(j, result_of(1));
  }
  EXPECT_TRUE(store.get("c"));
  // A result larger than the budget is not kept at all; the others stay.
  store.started("huge", "cmd.run");
  store.finished("huge", result_of(2 * 1000 * 1000));
  EXPECT_FALSE(store.get("huge"));
  EXPECT_FALSE(store.get("b"));  // evicted on the way: oldest first
}

TEST(JobStore, RunningJobsAreNeverDropped) {
  JobStore store(1, 1h, 10);
  store.started("running", "test.sleep");
  for (const char* j : {"a", "b"}) {
    store.started(j, "f");
    store.finished(j, result_of(100));
  }
  auto rec = store.get("running");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->state, JobRecord::State::kRunning);
}

TEST(Value, ApproxBytesGrowsWithContent) {
  EXPECT_LT(approx_bytes(Value(1)), 64u);
  EXPECT_GE(approx_bytes(Value(std::string(1000, 'a'))), 1000u);
  Map m{{"k", Value(std::string(500, 'b'))}, {"l", Value(List{Value(Bytes{std::string(300, 'c')})})}};
  EXPECT_GE(approx_bytes(Value(m)), 800u);
  EXPECT_LT(approx_bytes(Value(m)), 1200u);
}

}  // namespace
