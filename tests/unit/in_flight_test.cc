// InFlightJobs on a real EventBus I/O thread (pointed at sockets that do not
// exist: it never connects, but posts and timers run as on a device).
#include "salt_ipc/in_flight.h"

#include "salt_ipc/event_bus.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>
#include <vector>

using namespace saltgw::salt_ipc;
using namespace std::chrono_literals;

namespace {

class InFlightTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EventBusOptions o;
    o.endpoints.pub_path = "/nonexistent/saltgw-test-pub.ipc";
    o.endpoints.pull_path = "/nonexistent/saltgw-test-pull.ipc";
    bus_ = std::make_unique<EventBus>(o);
    bus_->start();
    on_io([&] { jobs_ = std::make_unique<InFlightJobs>(*bus_); });
  }
  void TearDown() override {
    on_io([&] { jobs_.reset(); });
    bus_->stop();
  }
  // Runs fn on the bus's I/O thread and waits for it.
  template <typename F>
  void on_io(F fn) {
    std::promise<void> p;
    bus_->post([&] {
      fn();
      p.set_value();
    });
    ASSERT_EQ(p.get_future().wait_for(5s), std::future_status::ready);
  }

  std::unique_ptr<EventBus> bus_;
  std::unique_ptr<InFlightJobs> jobs_;
  std::vector<Result<JobResult>> answers_;  // I/O thread only
  JobCallback record() {
    return [this](Result<JobResult> r) { answers_.push_back(std::move(r)); };
  }
};

JobResult result(std::string jid) {
  JobResult r;
  r.jid = std::move(jid);
  r.ret = Value(true);
  r.success = true;
  return r;
}

TEST_F(InFlightTest, AJobCompletesExactlyOnce) {
  jobs_->reserve();
  EXPECT_EQ(jobs_->size(), 1u);  // counted before the I/O thread adds it
  on_io([&] {
    ASSERT_TRUE(jobs_->add("k1", {"j1", "test.ping"}, record()));
    ASSERT_NE(jobs_->find("k1"), nullptr);
    EXPECT_EQ(jobs_->find("k1")->jid, "j1");
    EXPECT_EQ(jobs_->find("k1")->fun, "test.ping");
    EXPECT_TRUE(jobs_->finish("k1", result("j1")));
    EXPECT_FALSE(jobs_->finish("k1", result("j1")));  // a late second answer finds nothing
    EXPECT_EQ(jobs_->find("k1"), nullptr);
  });
  EXPECT_EQ(jobs_->size(), 0u);
  on_io([&] {
    ASSERT_EQ(answers_.size(), 1u);
    EXPECT_TRUE(answers_[0].ok());
  });
}

TEST_F(InFlightTest, ADuplicateKeyIsRefusedAndItsReservationReleased) {
  jobs_->reserve();
  jobs_->reserve();
  on_io([&] {
    EXPECT_TRUE(jobs_->add("k", {"j", "f"}, record()));
    EXPECT_FALSE(jobs_->add("k", {"j", "g"}, record()));
    EXPECT_EQ(jobs_->find("k")->fun, "f");  // the first one stays
  });
  EXPECT_EQ(jobs_->size(), 1u);
}

TEST_F(InFlightTest, TheTimeoutCallsExpiredWithATimeoutErrorOnce) {
  std::promise<Error> expired;
  auto fut = expired.get_future();
  jobs_->reserve();
  on_io([&] {
    jobs_->add("k", {"j", "test.sleep"}, record());
    jobs_->expire_after("k", 50ms, [&](const std::string& key, Error why) {
      EXPECT_EQ(key, "k");
      jobs_->finish(key, why);
      expired.set_value(why);
    });
  });
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  Error why = fut.get();
  EXPECT_EQ(why.kind, ErrorKind::kTimeout);
  EXPECT_EQ(why.message, "no result from the minion within 0.05 s; the job may still be running");
  on_io([&] {
    ASSERT_EQ(answers_.size(), 1u);
    EXPECT_EQ(answers_[0].error().kind, ErrorKind::kTimeout);
  });
  EXPECT_EQ(jobs_->size(), 0u);
}

TEST_F(InFlightTest, AnAnswerBeforeTheTimeoutCancelsIt) {
  bool expired = false;
  jobs_->reserve();
  on_io([&] {
    jobs_->add("k", {"j", "f"}, record());
    jobs_->expire_after("k", 100ms, [&](const std::string&, Error) { expired = true; });
    jobs_->finish("k", result("j"));
  });
  std::this_thread::sleep_for(300ms);
  on_io([&] {
    EXPECT_FALSE(expired);
    EXPECT_EQ(answers_.size(), 1u);
  });
}

TEST_F(InFlightTest, FinishAllAnswersEveryJob) {
  for (int i = 0; i < 3; ++i) jobs_->reserve();
  on_io([&] {
    for (int i = 0; i < 3; ++i) {
      jobs_->add("k" + std::to_string(i), {"j" + std::to_string(i), "f"}, record());
      jobs_->expire_after("k" + std::to_string(i), 10s, [](const std::string&, Error) { FAIL(); });
    }
    jobs_->finish_all(make_error(ErrorKind::kConnectionLost, "gone"));
    ASSERT_EQ(answers_.size(), 3u);
    for (auto& a : answers_) EXPECT_EQ(a.error().kind, ErrorKind::kConnectionLost);
  });
  EXPECT_EQ(jobs_->size(), 0u);
}

TEST_F(InFlightTest, TimeoutMessagesReadAsSeconds) {
  EXPECT_NE(InFlightJobs::timeout_error(300s).message.find("within 300 s;"), std::string::npos);
  EXPECT_NE(InFlightJobs::timeout_error(2500ms).message.find("within 2.5 s;"), std::string::npos);
}

TEST_F(InFlightTest, ATimerOutlivingTheTableDoesNothing) {
  bool expired = false;
  jobs_->reserve();
  on_io([&] {
    jobs_->add("k", {"j", "f"}, record());
    jobs_->expire_after("k", 50ms, [&](const std::string&, Error) { expired = true; });
    jobs_.reset();  // the strategy went away; its timers are cancelled
  });
  std::this_thread::sleep_for(200ms);
  on_io([&] { EXPECT_FALSE(expired); });
}

}  // namespace
