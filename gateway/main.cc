// saltgw: the AutoPi Local API on port 9000, served natively over the local
// Salt minion's own sockets. This file reads the command line and the
// configuration and hands over: to `saltgw --check` (gateway/check.h) or to
// the daemon (gateway/daemon.h), which builds the pieces and runs them.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "gateway/check.h"
#include "gateway/command_line.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/logging.h"

namespace {

using namespace saltgw;

int fail(const std::string& msg) {
  gateway::log_line("error", msg);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto cl = gateway::parse_command_line(argc, argv);
  if (!cl) return fail(cl.error().message);
  if (cl->action == gateway::Action::kHelp) {
    std::fputs(gateway::kUsage, stdout);
    return 0;
  }
  if (cl->action == gateway::Action::kVersion) {
    std::printf("saltgw %s\n", SALTGW_VERSION);
    return 0;
  }
  gateway::Config cfg;
  if (cl->explicit_config || std::filesystem::exists(cl->config_path)) {
    if (auto st = gateway::load_config_file(cl->config_path, cfg); !st) return fail(st.error().message);
  }
  if (auto st = gateway::apply_overrides(cl.value(), cfg); !st) return fail(st.error().message);
  if (auto st = gateway::validate(cfg); !st) return fail(st.error().message);
  if (cl->action == gateway::Action::kCheck) {
    gateway::silence_library_logs();
    return gateway::run_check(cfg, std::cout);
  }
  return gateway::run_daemon(cfg);
}
