// The running saltgw, from a validated Config to exit.
//
// run_daemon() reads the minion's config and the JWT secret, connects to the
// minion's bus, picks the dispatch (gateway/dispatch.h), builds the API and
// one HTTP server per listen address, tells systemd it is ready, and then
// waits for signals on the calling thread (they are blocked in every other
// thread): SIGHUP reloads the settings that can change while running
// (log_level, auth, job_timeout; reload_settings() below); SIGTERM or SIGINT
// stop it in order: new jobs are refused, running ones may finish within
// shutdown_grace_seconds, the rest are answered (503 cancelled), then the
// servers and the bus close. Returns the process's exit code: 0 after a
// clean stop, 1 when start-up failed (the reason is logged).
#pragma once

#include <chrono>

#include "gateway/config.h"
#include "gateway/logging.h"

namespace saltgw::gateway {

int run_daemon(const Config& config);

// What SIGHUP applies from a freshly read config.
struct ReloadableSettings {
  LogLevel log_level;
  bool auth_required;
  std::chrono::milliseconds job_timeout;
};
ReloadableSettings reload_settings(const Config& config);

}  // namespace saltgw::gateway
