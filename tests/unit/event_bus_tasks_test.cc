// Unit tests for the I/O thread of salt_ipc/event_bus.h: post, run_and_wait,
// post_after, cancel_timer (no server needed).
#include <gtest/gtest.h>

#include "tests/unit/event_bus_fixture.h"

namespace saltgw::salt_ipc::bus_test {
namespace {

class EventBusTasksTest : public EventBusTest {
 protected:
  BusEndpoints nowhere() {
    BusEndpoints ep;
    ep.pub_path = dir_ + "/none_pub.ipc";
    ep.pull_path = dir_ + "/none_pull.ipc";
    return ep;
  }
};

struct Log {
  std::mutex mu;
  std::vector<std::string> items;
  void add(std::string s) {
    std::lock_guard<std::mutex> lock(mu);
    items.push_back(std::move(s));
  }
  std::vector<std::string> copy() {
    std::lock_guard<std::mutex> lock(mu);
    return items;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return items.size();
  }
};

TEST_F(EventBusTasksTest, PostRunsInOrderOnIoThread) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  std::atomic<bool> wrong_thread{false};
  for (int i = 0; i < 100; ++i) {
    bus.post([&, i] {
      if (!bus.on_io_thread()) wrong_thread = true;
      log.add(std::to_string(i));
    });
  }
  ASSERT_TRUE(wait_until([&] { return log.size() == 100; }));
  auto items = log.copy();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(items[i], std::to_string(i));
  EXPECT_FALSE(wrong_thread);
}

TEST_F(EventBusTasksTest, PostFromIoThreadRunsAfterCurrentTask) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  bus.post([&] {
    bus.post([&] { log.add("inner"); });
    log.add("outer");
  });
  ASSERT_TRUE(wait_until([&] { return log.size() == 2; }));
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"outer", "inner"}));
}

TEST_F(EventBusTasksTest, RunAndWaitFromAnotherThreadRunsOnTheIoThreadAndWaits) {
  EventBus bus(options(nowhere()));
  bus.start();
  bool on_io = false, ran = false;
  ASSERT_TRUE(bus.run_and_wait([&] { on_io = bus.on_io_thread(); ran = true; }, 5s));
  EXPECT_TRUE(ran);  // finished before run_and_wait returned
  EXPECT_TRUE(on_io);
}

// A strategy's cancel() called from a job's callback (on the I/O thread) used
// to post and then wait for itself: five seconds lost, false returned, and
// the cancel done only afterwards.
TEST_F(EventBusTasksTest, RunAndWaitOnTheIoThreadRunsAtOnce) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  std::atomic<bool> returned{false}, result{false};
  bus.post([&] {
    result = bus.run_and_wait([&] { log.add("inner"); }, 5s);
    log.add("after");
    returned = true;
  });
  ASSERT_TRUE(wait_until([&] { return returned.load(); }));
  EXPECT_TRUE(result);
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"inner", "after"}));
}

TEST_F(EventBusTasksTest, RunAndWaitGivesUpAfterItsLimitAndTheTaskStillRuns) {
  EventBus bus(options(nowhere()));
  bus.start();
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> late{false};
  bus.post([released] { released.wait(); });  // keeps the I/O thread busy
  EXPECT_FALSE(bus.run_and_wait([&] { late = true; }, 50ms));
  release.set_value();
  ASSERT_TRUE(wait_until([&] { return late.load(); }));
}

TEST_F(EventBusTasksTest, PostAfterFiresInDeadlineOrderAndNotEarly) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  auto t0 = Clock::now();
  std::atomic<int64_t> first_ms{-1};
  bus.post_after(90ms, [&] { log.add("90"); });
  bus.post_after(30ms, [&] {
    first_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    log.add("30");
  });
  bus.post_after(60ms, [&] { log.add("60"); });
  ASSERT_TRUE(wait_until([&] { return log.size() == 3; }));
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"30", "60", "90"}));
  EXPECT_GE(first_ms.load(), 30);
}

TEST_F(EventBusTasksTest, PostBeforePostAfterZero) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  bus.post([&] { log.add("post"); });
  bus.post_after(0ms, [&] { log.add("timer"); });
  ASSERT_TRUE(wait_until([&] { return log.size() == 2; }));
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"post", "timer"}));
}

TEST_F(EventBusTasksTest, CancelledTimerNeverRuns) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  uint64_t id = bus.post_after(30ms, [&] { log.add("cancelled"); });
  bus.cancel_timer(id);
  bus.post_after(80ms, [&] { log.add("sentinel"); });
  ASSERT_TRUE(wait_until([&] { return log.size() >= 1; }));
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"sentinel"}));
}

TEST_F(EventBusTasksTest, CancelFromIoThreadAndCancelUnknownId) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  uint64_t id = bus.post_after(40ms, [&] { log.add("cancelled"); });
  bus.post([&] { bus.cancel_timer(id); });
  bus.cancel_timer(987654321);  // unknown: harmless
  bus.post_after(70ms, [&] { log.add("sentinel"); });
  ASSERT_TRUE(wait_until([&] { return log.size() >= 1; }));
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"sentinel"}));
}

TEST_F(EventBusTasksTest, TimerIdsAreDistinct) {
  EventBus bus(options(nowhere()));
  bus.start();
  uint64_t a = bus.post_after(1000ms, [] {});
  uint64_t b = bus.post_after(1000ms, [] {});
  EXPECT_NE(a, b);
  bus.cancel_timer(a);
  bus.cancel_timer(b);
}

TEST_F(EventBusTasksTest, StopAndDestroyWithPendingTimers) {
  auto bus = std::make_unique<EventBus>(options(nowhere()));
  bus->start();
  std::atomic<bool> ran{false};
  bus->post_after(10000ms, [&] { ran = true; });
  auto t0 = Clock::now();
  bus.reset();
  EXPECT_LT(Clock::now() - t0, 1000ms);
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace saltgw::salt_ipc::bus_test
