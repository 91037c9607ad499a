// EngineLink's I/O thread without an engine listening: tasks and timers run
// on it in order, a send finds no engine (kEngineUnavailable), and stop()
// still runs what was posted before it (so no job is left unanswered).
#include "salt_ipc/engine_link.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <vector>

namespace saltgw::salt_ipc {
namespace {

using namespace std::chrono_literals;

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
};

class EngineLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    link.start([this](Value m) { messages += m.is_map() ? 1 : 0; },
               [this](bool up, const std::string&) { ups += up ? 1 : 0; });
  }
  EngineLink link{EngineLinkOptions{"ipc:///nonexistent/saltgw-test-engine.ipc"}};
  std::atomic<int> ups{0};
  std::atomic<int> messages{0};
};

TEST_F(EngineLinkTest, TasksRunInOrderOnTheIoThread) {
  Log log;
  std::atomic<bool> wrong_thread{false};
  for (int i = 0; i < 5; ++i)
    link.post([&, i] {
      if (!link.on_io_thread()) wrong_thread = true;
      log.add(std::to_string(i));
    });
  ASSERT_TRUE(link.run_and_wait([] {}, 5s));
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  EXPECT_FALSE(wrong_thread);
  EXPECT_FALSE(link.on_io_thread());
}

TEST_F(EngineLinkTest, TimersFireInDeadlineOrderNotEarlyAndCancelledOnesNever) {
  Log log;
  auto start = std::chrono::steady_clock::now();
  std::promise<void> last;
  link.post_after(120ms, [&] {
    log.add("late");
    last.set_value();
  });
  link.post_after(40ms, [&] { log.add("early"); });
  uint64_t cancelled = link.post_after(60ms, [&] { log.add("cancelled"); });
  link.cancel_timer(cancelled);
  link.cancel_timer(999999);  // unknown: ignored
  ASSERT_EQ(last.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 120ms);
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"early", "late"}));
}

TEST_F(EngineLinkTest, SendWithNoEngineListeningIsEngineUnavailable) {
  Status st = Ok{};
  ASSERT_TRUE(link.run_and_wait([&] { st = link.send(Value(Map{{"op", Value("ping")}})); }, 5s));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kEngineUnavailable);
  EXPECT_NE(st.error().message.find("/nonexistent/saltgw-test-engine.ipc"), std::string::npos);
  EXPECT_FALSE(link.connected());
  EXPECT_EQ(ups.load(), 0);
  EXPECT_EQ(messages.load(), 0);
}

TEST(EngineLinkStop, TasksPostedBeforeStopRunAndTheirSendsFail) {
  // Never started, so nothing runs the tasks before stop() does (a started
  // link may run them on its thread first, where sends find no engine).
  EngineLink link{EngineLinkOptions{"ipc:///nonexistent/saltgw-test-engine.ipc"}};
  int ran = 0;
  std::vector<Status> sends;
  link.post_after(1h, [&] { ran += 100; });  // never fires: dropped by stop()
  link.post([&] {
    ++ran;
    link.post([&] {  // posted by a task: runs too
      ++ran;
      sends.push_back(link.send(Value(Map{})));
    });
  });
  link.stop();
  EXPECT_EQ(ran, 2);
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].error().kind, ErrorKind::kCancelled);
  EXPECT_TRUE(link.on_io_thread());  // the caller of stop() is the I/O thread now
  link.stop();                       // idempotent
}

TEST_F(EngineLinkTest, StopOfARunningLinkJoinsItsThread) {
  ASSERT_TRUE(link.run_and_wait([] {}, 5s));
  EXPECT_FALSE(link.on_io_thread());
  link.stop();
  EXPECT_TRUE(link.on_io_thread());
  bool ran = false;
  link.post([&] { ran = true; });  // after stop: runs at the next stop (the destructor's)
  link.stop();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace saltgw::salt_ipc
