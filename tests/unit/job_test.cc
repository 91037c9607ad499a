// Unit tests for salt_ipc/job.h: function-name validation and settle_result.
#include "salt_ipc/job.h"

#include <gtest/gtest.h>

#include <string>

namespace saltgw::salt_ipc {
namespace {

TEST(JobTest, ValidFunctionNames) {
  for (const char* fun : {"test.ping", "state.sls", "cmd.run", "a.b", "grains.items",
                          "mod_x.fun_1", "Test.Ping", "x9.y9", "network.wlan.x", "_a._b"}) {
    EXPECT_TRUE(is_valid_function_name(fun)) << fun;
  }
  EXPECT_TRUE(is_valid_function_name("m." + std::string(254, 'f')));  // 256 chars
}

TEST(JobTest, InvalidFunctionNames) {
  for (const char* fun :
       {"", "test", ".", "..", ".ping", "test.", "test..ping", "a..b.c", "test.ping.",
        "test ping", "test. ping", "test.ping ", " test.ping", "test.pi-ng", "test.ping;id",
        "test.ping\n", "../etc.passwd", "a/b.c", "test.ping()", "t\xc3\xa9st.ping", "*.ping",
        "test.*"}) {
    EXPECT_FALSE(is_valid_function_name(fun)) << fun;
  }
  EXPECT_FALSE(is_valid_function_name(std::string_view("test.ping\0x", 11)));
  EXPECT_FALSE(is_valid_function_name("m." + std::string(255, 'f')));  // 257 chars
}

JobResult result(std::string fun, Value ret, bool success, int retcode = 0) {
  JobResult r;
  r.jid = "20240101120000123456";
  r.fun = std::move(fun);
  r.ret = std::move(ret);
  r.success = success;
  r.retcode = retcode;
  return r;
}

TEST(JobTest, SuccessPassesThrough) {
  Value ret(Map{{"a", Value(List{Value(1), Value("two")})}});
  auto r = settle_result(result("test.echo", ret, true), 1048576);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->jid, "20240101120000123456");
  EXPECT_EQ(r->fun, "test.echo");
  EXPECT_EQ(r->ret, ret);
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->retcode, 0);
}

TEST(JobTest, SuccessWithFalseReturnPassesThrough) {
  auto r = settle_result(result("test.false", Value(false), true), 1048576);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->ret, Value(false));
}

TEST(JobTest, SuccessWithNotAvailableLookingTextIsStillSuccess) {
  auto r = settle_result(result("test.echo", Value("'test.echo' is not available."), true), 1);
  ASSERT_TRUE(r.ok()) << r.error().message;
}

TEST(JobTest, TrimmedTopLevelIsResultTrimmed) {
  auto r = settle_result(result("cmd.run", Value("VALUE_TRIMMED"), true), 1048576);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kResultTrimmed);
  EXPECT_NE(r.error().message.find("max_event_size"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("1048576"), std::string::npos) << r.error().message;
}

TEST(JobTest, TrimmedNestedIsResultTrimmed) {
  Value ret(Map{{"pkgs", Value(List{Value("ok"), Value(Map{{"big", Value("VALUE_TRIMMED")}})})}});
  auto r = settle_result(result("pkg.list_pkgs", ret, true), 4096);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kResultTrimmed);
  EXPECT_NE(r.error().message.find("max_event_size"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("4096"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("pkg.list_pkgs"), std::string::npos) << r.error().message;
}

TEST(JobTest, TrimmedEvenWhenSuccessFalse) {
  auto r = settle_result(result("cmd.run", Value(List{Value("VALUE_TRIMMED")}), false, 1), 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kResultTrimmed);
}

TEST(JobTest, SubstringOfTrimmedMarkerIsNotTrimmed) {
  auto r = settle_result(result("test.echo", Value("VALUE_TRIMMED is a marker"), true), 100);
  ASSERT_TRUE(r.ok()) << r.error().message;
}

TEST(JobTest, NotAvailableIsUnknownFunction) {
  auto r = settle_result(result("no.such", Value("'no.such' is not available."), false, 254),
                         1048576);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnknownFunction);
  EXPECT_NE(r.error().message.find("no.such"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("'no.such' is not available."), std::string::npos)
      << r.error().message;
}

TEST(JobTest, NotAvailableForAnotherFunctionIsFunctionFailed) {
  auto r = settle_result(
      result("my.fun", Value("'other.dep' is not available."), false, 1), 1048576);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kFunctionFailed);
}

TEST(JobTest, RaisingFunctionIsFunctionFailedWithText) {
  const std::string text =
      "The minion function caused an exception: Traceback (most recent call last):\n"
      "  File \"/usr/lib/python3/dist-packages/salt/minion.py\", line 1912, in _thread_return\n"
      "ZeroDivisionError: division by zero\n";
  auto r = settle_result(result("x.y", Value(text), false, 254), 1048576);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kFunctionFailed);
  EXPECT_NE(r.error().message.find("x.y"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("ZeroDivisionError: division by zero"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("254"), std::string::npos) << r.error().message;
}

TEST(JobTest, CommandExecutionErrorIsFunctionFailed) {
  auto r = settle_result(
      result("file.read", Value("ERROR executing 'file.read': No such file: /nope"), false, 1),
      1048576);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kFunctionFailed);
  EXPECT_NE(r.error().message.find("No such file: /nope"), std::string::npos)
      << r.error().message;
}

TEST(JobTest, FailureWithStructuredReturnIsFunctionFailedWithDetail) {
  Value ret(Map{{"pid", Value(12)}, {"retcode", Value(2)}, {"stderr", Value("boom")}});
  auto r = settle_result(result("cmd.run_all", ret, false, 2), 1048576);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kFunctionFailed);
  EXPECT_NE(r.error().message.find("cmd.run_all"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("2"), std::string::npos) << r.error().message;
  ASSERT_NE(r.error().detail, nullptr);
  EXPECT_EQ(*r.error().detail, ret);
}

TEST(JobTest, FailureWithTextReturnHasNoDetail) {
  auto r = settle_result(result("x.y", Value("it broke"), false, 1), 1048576);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kFunctionFailed);
  EXPECT_NE(r.error().message.find("it broke"), std::string::npos) << r.error().message;
}

TEST(JobTest, FailureWithFalseReturnIsFunctionFailed) {
  auto r = settle_result(result("test.false", Value(false), false, 1), 1048576);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kFunctionFailed);
  EXPECT_NE(r.error().message.find("test.false"), std::string::npos) << r.error().message;
}

// ---- read_job_return: the one reading of an answer for every dispatch ----

TEST(JobTest, ReadJobReturnTakesEveryField) {
  Value answer(Map{{"fun", Value("test.arg")}, {"return", Value(List{Value(1)})}, {"retcode", Value(0)},
                   {"success", Value(true)}, {"jid", Value("ignored")}});
  JobResult r = read_job_return(answer, "20240101000000000001", "asked.fun");
  EXPECT_EQ(r.jid, "20240101000000000001");
  EXPECT_EQ(r.fun, "test.arg");  // the minion's word for the function wins
  EXPECT_EQ(r.ret, Value(List{Value(1)}));
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.retcode, 0);
}

TEST(JobTest, ReadJobReturnJudgesByRetcodeWhenSuccessIsMissingOrNotABool) {
  EXPECT_TRUE(read_job_return(Value(Map{{"return", Value(1)}}), "j", "f").success);
  EXPECT_FALSE(read_job_return(Value(Map{{"retcode", Value(2)}}), "j", "f").success);
  EXPECT_EQ(read_job_return(Value(Map{{"retcode", Value(2)}}), "j", "f").retcode, 2);
  EXPECT_FALSE(read_job_return(Value(Map{{"success", Value("yes")}, {"retcode", Value(1)}}), "j", "f").success);
  // success says false although retcode is 0: success wins.
  EXPECT_FALSE(read_job_return(Value(Map{{"success", Value(false)}, {"retcode", Value(0)}}), "j", "f").success);
}

TEST(JobTest, ReadJobReturnOfAnythingButAMapKeepsTheDefaults) {
  JobResult r = read_job_return(Value("not a map"), "j", "f");
  EXPECT_EQ(r.fun, "f");
  EXPECT_TRUE(r.ret.is_null());
  EXPECT_TRUE(r.success);  // retcode 0
  JobResult bad = read_job_return(Value(Map{{"fun", Value(5)}, {"retcode", Value("x")}}), "j", "f");
  EXPECT_EQ(bad.fun, "f");
  EXPECT_EQ(bad.retcode, 0);
}

TEST(JobTest, NoProgressNoteNamesTheDispatch) {
  std::string note = no_progress_note("schedule");
  EXPECT_NE(note.find("dispatch 'schedule'"), std::string::npos);
  EXPECT_NE(note.find("master only"), std::string::npos);
}

}  // namespace
}  // namespace saltgw::salt_ipc
