// saltgw's command line: what to do, and the flags that override the config.
//
// parse_command_line() reads argv (flags as `--flag VALUE` or `--flag=VALUE`)
// without touching the configuration; apply_overrides() then puts the flags'
// values onto a Config loaded from the file, so that flags win. Both are pure
// and answer a bad flag with a kInvalidArgument error that names it. The
// usage text (--help) lives here too, beside the flags it describes.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gateway/config.h"
#include "salt_ipc/error.h"

namespace saltgw::gateway {

enum class Action { kServe, kCheck, kHelp, kVersion };

struct CommandLine {
  Action action = Action::kServe;
  std::string config_path = "/etc/saltgw/saltgw.yaml";
  bool explicit_config = false;  // --config given: the file must exist
  std::vector<std::pair<std::string, std::string>> overrides;  // ("--listen", "127.0.0.1:9000"), in order
};

extern const char* const kUsage;

salt_ipc::Result<CommandLine> parse_command_line(int argc, const char* const* argv);

// Applies the overrides, in order, onto `config`.
salt_ipc::Status apply_overrides(const CommandLine& command_line, Config& config);

}  // namespace saltgw::gateway
