// Access to the sandbox minion from C++ integration tests.
//
// scripts/test.sh starts the sandbox minion and exports:
//   SALTGW_MINION_CONFIG  the minion's config file
//   SALTGW_SANDBOX_DIR    its folder
//   SALTGW_SANDBOX_PY     the Salt virtual environment's python
//   SALTGW_SANDBOX_SCRIPT tests/sandbox/sandbox_minion.py
// A test that needs the minion fails (never skips) when they are missing.
#pragma once

#include <cstdlib>
#include <string>

namespace saltgw::testing {

inline std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Restarts the sandbox minion and waits until it runs jobs again.
inline bool restart_sandbox_minion() {
  std::string cmd = env_or_empty("SALTGW_SANDBOX_PY") + " " + env_or_empty("SALTGW_SANDBOX_SCRIPT") +
                    " restart " + env_or_empty("SALTGW_SANDBOX_DIR") + " >/dev/null";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace saltgw::testing
