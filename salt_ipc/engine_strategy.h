// The `engine` dispatch strategy: jobs go over ZeroMQ to the saltgw executor
// engine running inside the minion (packaging/salt/engines/saltgw_executor.py),
// which calls the function in the already-loaded minion process. No fork per
// job; this is the fast path.
//
// Wire protocol (one msgpack map per ZeroMQ message, DEALER -> ROUTER):
//   {"op": "run", "id", "jid", "fun", "arg", "kwarg", "timeout", "progress"?}
//     -> with "progress": true (protocol 2), zero or more
//        {"id", "op": "progress", "jid", "tag", "data"}, one per finished state,
//        in run order, then
//     -> {"id", "jid", "fun", "return", "success", "retcode", "duration",
//         "progress_sent"? (with "progress": true)}
//   {"op": "ping", "id"} -> {"id", "op": "pong", "engine", "protocol", "salt_version", "pid"}
//   {"op": "functions", "id"} -> {"id", "functions": [...]}
//   any failure -> {"id", "error": "..."}
//
// One DEALER socket carries every job; any number are in flight on it,
// matched by id (the jid). The submitting thread sends the request itself
// (under a mutex, no hand-over to another thread); one I/O thread waits for
// replies, deadlines and the socket monitor, and runs the callbacks. A
// callback runs on that thread, or on the submitting thread when the request
// fails at once (engine not listening, shutting down). The socket is set ZMQ_IMMEDIATE, so a job
// submitted while no engine is listening fails at once with
// kEngineUnavailable. A socket monitor notices the engine going away (minion
// restart): jobs in flight then get kConnectionLost; ZeroMQ reconnects by
// itself. Per-job timeouts give kTimeout.
//
// Progress: a JobRequest with a ProgressCallback is sent with "progress":
// true; each progress message is handed to the callback on the I/O thread,
// in arrival order, before the job's callback (the engine sends them ahead of
// the reply on the same connection, so nothing is waited for or reordered).
// When the reply's progress_sent is larger than the number that arrived, the
// callback gets one JobProgress with `lost` set, before the job's callback.
// progress_kind() is kPerStep unless the engine's pong said protocol 1.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "salt_ipc/jid.h"
#include "salt_ipc/job.h"

namespace saltgw::salt_ipc {

struct EngineOptions {
  std::string endpoint;  // "ipc:///var/run/salt/minion/saltgw.ipc"
  int64_t max_event_size = 1048576;
  size_t max_message_bytes = 256u << 20;
};

// The engine's socket path for a minion's sock_dir.
std::string engine_endpoint_for(const std::string& sock_dir);

class EngineStrategy : public Strategy {
 public:
  EngineStrategy(JidGenerator& jids, EngineOptions options);
  ~EngineStrategy() override;

  std::string_view name() const override { return "engine"; }
  std::string submit(JobRequest request, JobCallback done) override;
  size_t in_flight() const override;
  ProgressKind progress_kind() const override;

  // Asks the engine who it is ({"engine", "protocol", "salt_version", "pid"}).
  Result<Value> ping(std::chrono::milliseconds timeout);
  // The names of every function the minion has loaded.
  Result<std::vector<std::string>> functions(std::chrono::milliseconds timeout);
  bool connected() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace saltgw::salt_ipc
