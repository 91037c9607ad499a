#include "gateway/command_line.h"

#include <algorithm>
#include <cstdlib>

namespace saltgw::gateway {

using salt_ipc::ErrorKind;
using salt_ipc::make_error;

const char* const kUsage = R"(Usage: saltgw [OPTIONS]

Serves the AutoPi Local API (REST, port 9000) by running Salt functions on the
local minion over its event bus.

Options:
  --config PATH          saltgw YAML config (default /etc/saltgw/saltgw.yaml)
  --minion-config PATH   the minion's config (default /etc/salt/minion)
  --listen ADDR:PORT     address to serve on (default 0.0.0.0:9000)
  --log-root DIR         folder /download_log/ serves from (default /var/log)
  --secret-file PATH     JWT signing secret, created 0600 when missing
  --auth open|required   require a token on every route but /, /auth/login/ and /ui/
  --job-timeout SECONDS  per-job timeout (default 300)
  --dispatch MODE        auto (engine when it answers, else schedule), engine, schedule,
                         minion_job (AutoPi's patched minions)
  --engine-socket URL    executor engine endpoint (default ipc://<sock_dir>/saltgw.ipc)
  --log-level LEVEL      debug, info, warning or error (default info)
  --check                try the configuration, the minion's bus and the engine;
                         print what works and what to fix (exit 0 when all is well)
  --version              print the version and exit
  --help                 print this help and exit
)";

namespace {

constexpr const char* kValueFlags[] = {"--minion-config", "--listen",    "--log-root",   "--secret-file",
                                       "--auth",          "--job-timeout", "--log-level", "--dispatch",
                                       "--engine-socket"};

bool takes_value(const std::string& flag) {
  return std::find(std::begin(kValueFlags), std::end(kValueFlags), flag) != std::end(kValueFlags);
}

}  // namespace

salt_ipc::Result<CommandLine> parse_command_line(int argc, const char* const* argv) {
  CommandLine cl;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") return CommandLine{Action::kHelp, {}, false, {}};
    if (a == "--version") return CommandLine{Action::kVersion, {}, false, {}};
    if (a == "--check") {
      cl.action = Action::kCheck;
      continue;
    }
    std::string val;
    auto eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      val = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if (i + 1 < argc) {
      val = argv[++i];
    } else {
      return make_error(ErrorKind::kInvalidArgument, "option " + a + " needs a value (see --help)");
    }
    if (a == "--config") cl.config_path = val, cl.explicit_config = true;
    else if (takes_value(a)) cl.overrides.emplace_back(a, val);
    else return make_error(ErrorKind::kInvalidArgument, "unknown option " + a + " (see --help)");
  }
  return cl;
}

salt_ipc::Status apply_overrides(const CommandLine& command_line, Config& cfg) {
  for (const auto& [k, v] : command_line.overrides) {
    if (k == "--minion-config") cfg.minion_config = v;
    else if (k == "--listen") cfg.listen = v;
    else if (k == "--log-root") cfg.log_root = v;
    else if (k == "--secret-file") cfg.secret_file = v;
    else if (k == "--auth") cfg.auth = v;
    else if (k == "--dispatch") cfg.dispatch = v;
    else if (k == "--engine-socket") cfg.engine_socket = v;
    else if (k == "--log-level") cfg.log_level = v;
    else if (k == "--job-timeout") {
      char* end = nullptr;
      double s = std::strtod(v.c_str(), &end);
      if (v.empty() || end == v.c_str()) return make_error(ErrorKind::kInvalidArgument, "--job-timeout needs a number of seconds");
      cfg.job_timeout_s = s;
    }
  }
  return salt_ipc::Ok{};
}

}  // namespace saltgw::gateway
