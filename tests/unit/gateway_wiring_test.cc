// gateway/'s pure pieces: log levels (gateway/logging.h), the command line
// (gateway/command_line.h), the dispatch rule shared by the daemon and
// --check (gateway/dispatch.h) and what SIGHUP reloads (gateway/daemon.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/command_line.h"
#include "gateway/daemon.h"
#include "gateway/dispatch.h"
#include "gateway/logging.h"

namespace saltgw::gateway {
namespace {

TEST(Logging, LevelNamesRoundTripAndNothingElseParses) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError})
    EXPECT_EQ(parse_log_level(log_level_name(l)), l);
  EXPECT_FALSE(parse_log_level("INFO"));
  EXPECT_FALSE(parse_log_level("warn"));
  EXPECT_FALSE(parse_log_level(""));
}

TEST(Logging, AccessLinesAtInfoAndDebugOnly) {
  EXPECT_TRUE(access_lines_on(LogLevel::kDebug));
  EXPECT_TRUE(access_lines_on(LogLevel::kInfo));
  EXPECT_FALSE(access_lines_on(LogLevel::kWarning));
  EXPECT_FALSE(access_lines_on(LogLevel::kError));
}

TEST(Logging, LineFormat) {
  EXPECT_EQ(format_log_line(42, "warning", "bus down"), "saltgw[42] warning: bus down");
}

TEST(Logging, LevelIsOneSetting) {
  LogLevel before = log_level();
  set_log_level(LogLevel::kError);
  EXPECT_EQ(log_level(), LogLevel::kError);
  set_log_level(before);
}

salt_ipc::Result<CommandLine> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "saltgw");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

TEST(CommandLine, FlagsBothWaysAndInOrder) {
  auto cl = parse({"--listen", "127.0.0.1:1", "--dispatch=engine", "--check", "--listen=127.0.0.1:2"});
  ASSERT_TRUE(cl) << cl.error().message;
  EXPECT_EQ(cl->action, Action::kCheck);
  EXPECT_FALSE(cl->explicit_config);
  EXPECT_EQ(cl->config_path, "/etc/saltgw/saltgw.yaml");
  Config c;
  ASSERT_TRUE(apply_overrides(*cl, c));
  EXPECT_EQ(c.listen, "127.0.0.1:2");  // the last one wins
  EXPECT_EQ(c.dispatch, "engine");
}

TEST(CommandLine, ConfigHelpVersion) {
  auto cl = parse({"--config", "/tmp/x.yaml"});
  ASSERT_TRUE(cl);
  EXPECT_TRUE(cl->explicit_config);
  EXPECT_EQ(cl->config_path, "/tmp/x.yaml");
  EXPECT_EQ(parse({"--log-level", "debug", "--help"})->action, Action::kHelp);
  EXPECT_EQ(parse({"-h"})->action, Action::kHelp);
  EXPECT_EQ(parse({"--version"})->action, Action::kVersion);
  EXPECT_NE(std::string(kUsage).find("--engine-socket"), std::string::npos);
}

TEST(CommandLine, BadFlagsNameThemselves) {
  auto unknown = parse({"--nope", "1"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, salt_ipc::ErrorKind::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("--nope"), std::string::npos);
  auto missing = parse({"--listen"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("needs a value"), std::string::npos);
  auto timeout = parse({"--job-timeout", "soon"});
  ASSERT_TRUE(timeout);
  Config c;
  auto st = apply_overrides(*timeout, c);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("--job-timeout"), std::string::npos);
}

TEST(CommandLine, EveryValueFlagLandsInItsKey) {
  auto cl = parse({"--minion-config", "m", "--listen", "l", "--log-root", "r", "--secret-file", "s", "--auth",
                   "required", "--job-timeout", "2.5", "--log-level", "debug", "--dispatch", "schedule",
                   "--engine-socket", "ipc:///e"});
  ASSERT_TRUE(cl);
  Config c;
  ASSERT_TRUE(apply_overrides(*cl, c));
  EXPECT_EQ(c.minion_config, "m");
  EXPECT_EQ(c.listen, "l");
  EXPECT_EQ(c.log_root, "r");
  EXPECT_EQ(c.secret_file, "s");
  EXPECT_EQ(c.auth, "required");
  EXPECT_DOUBLE_EQ(c.job_timeout_s, 2.5);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.dispatch, "schedule");
  EXPECT_EQ(c.engine_socket, "ipc:///e");
}

EngineProbe answering(std::string salt) { return EngineProbe{"ipc:///e", true, std::move(salt), ""}; }
EngineProbe silent() { return EngineProbe{"ipc:///e", false, "", "timed out"}; }

TEST(Dispatch, ConfiguredDispatchesAreTakenAsTheyAre) {
  EXPECT_EQ(choose_dispatch("schedule", answering("3006.23")).dispatch, Dispatch::kSchedule);
  EXPECT_EQ(choose_dispatch("minion_job", answering("3006.23")).dispatch, Dispatch::kMinionJob);
  // Forced engine: used even when it does not answer (jobs get 503 until it does) ...
  DispatchChoice down = choose_dispatch("engine", silent());
  EXPECT_EQ(down.dispatch, Dispatch::kEngine);
  EXPECT_NE(down.why.find("NOT answering (timed out)"), std::string::npos);
  // ... and when its minion is too old for it, with a warning.
  DispatchChoice old = choose_dispatch("engine", answering("2017.7.8"));
  EXPECT_EQ(old.dispatch, Dispatch::kEngine);
  EXPECT_NE(old.why.find("WARNING"), std::string::npos);
}

TEST(Dispatch, AutoTakesASupportedAnsweringEngineElseTheScheduler) {
  DispatchChoice engine = choose_dispatch("auto", answering("3006.23"));
  EXPECT_EQ(engine.dispatch, Dispatch::kEngine);
  EXPECT_EQ(engine.why, "executor engine at ipc:///e (Salt 3006.23)");
  EXPECT_EQ(choose_dispatch("auto", answering("")).dispatch, Dispatch::kEngine);  // says no version: trusted
  EXPECT_EQ(choose_dispatch("auto", answering("2017.7.8")).dispatch, Dispatch::kSchedule);
  DispatchChoice none = choose_dispatch("auto", silent());
  EXPECT_EQ(none.dispatch, Dispatch::kSchedule);
  EXPECT_NE(none.why.find("not answering"), std::string::npos);
  EXPECT_STREQ(dispatch_name(Dispatch::kMinionJob), "minion_job");
}

TEST(Daemon, SighupReloadsLevelAuthAndTimeout) {
  Config c;
  c.log_level = "warning";
  c.auth = "required";
  c.job_timeout_s = 1.5;
  ReloadableSettings s = reload_settings(c);
  EXPECT_EQ(s.log_level, LogLevel::kWarning);
  EXPECT_TRUE(s.auth_required);
  EXPECT_EQ(s.job_timeout.count(), 1500);
}

}  // namespace
}  // namespace saltgw::gateway
