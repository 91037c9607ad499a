// saltgw's one configuration object.
//
// Sources, later ones winning: built-in defaults, the YAML file
// (/etc/saltgw/saltgw.yaml or --config PATH; a missing default file is fine,
// a missing explicit one is an error), then command-line flags. Unknown keys
// and bad values stop start-up with a message naming the key.
#pragma once

#include <string>
#include <vector>

#include "salt_ipc/error.h"

namespace saltgw::gateway {

struct Config {
  std::string config_file;                        // where it was read from ("" = none)
  std::string listen = "0.0.0.0:9000";            // one ADDRESS:PORT, or several separated by commas (or a YAML list)
  std::string minion_config = "/etc/salt/minion";
  std::string dispatch = "auto";                  // auto | engine | schedule | minion_job
  std::string engine_socket;                      // "" = ipc://<sock_dir>/saltgw.ipc
  double job_timeout_s = 300;                     // per job
  std::string log_root = "/var/log";
  std::string auth = "open";                      // open | required
  bool cors = true;
  std::string secret_file = "/var/lib/saltgw/secret";
  int threads = 2;                                // HTTP worker threads
  size_t max_body_bytes = 1u << 20;
  std::string log_level = "info";                 // debug | info | warning | error
  size_t max_jobs = 64;                           // jobs in flight in total (503 beyond)
  size_t max_jobs_per_client = 16;                // ... from one client address (429 beyond)
  std::vector<std::string> functions_allow;       // globs; empty = every function
  std::vector<std::string> functions_deny;        // globs; deny wins
  double shutdown_grace_s = 10;                   // SIGTERM: how long running jobs may finish
  double stream_max_s = 3600;                     // longest a stream (SSE, NDJSON) lives
  double keepalive_timeout_s = 60;                // an idle keep-alive connection is closed after this
  size_t jobs_keep_count = 1000;                  // finished jobs remembered for GET .../jobs/<jid>
  double jobs_keep_s = 3600;                      // ... and for how long
  size_t jobs_keep_bytes = 32u << 20;             // ... and their results' size together
  bool announce_jobs = true;                      // publish saltgw/job/<jid>/ret on the minion's bus per job
  size_t max_connections = 256;                   // open HTTP connections, all listen addresses (503 beyond)
  size_t max_header_count = 64;                   // header fields in one request (431 beyond)
  size_t max_header_bytes = 16384;                // their names and values together (431 beyond)
  double header_timeout_s = 10;                   // to receive a request's line and headers (then closed)
  double body_timeout_s = 30;                     // to receive the whole request with its body
};

// Applies the YAML file at `path` onto `config`.
salt_ipc::Status load_config_file(const std::string& path, Config& config);

// The addresses in `listen` ("127.0.0.1:9000, 192.168.4.1:9000").
std::vector<std::string> listen_addresses(const std::string& listen);

// Validates cross-field constraints (values in range, enum values).
salt_ipc::Status validate(const Config& config);

}  // namespace saltgw::gateway
