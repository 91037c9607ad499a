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
//   {"op": "kill", "id", "jid"} -> {"id", "killed", "reason"}
//   {"op": "ping", "id"} -> {"id", "op": "pong", "engine", "protocol", "salt_version", "pid"}
//   {"op": "functions", "id"} -> {"id", "functions": [...]}
//   any failure -> {"id", "error": "..."}; "overloaded" (the engine's
//   workers and queue are full) becomes kOverloaded.
//
// The transport is an EngineChannel (salt_ipc/engine_link.h: the DEALER
// socket and its I/O thread); this file pair is the protocol. Jobs in flight
// live in InFlightJobs on the channel's I/O thread, matched by id (the jid);
// control requests (ping, functions, kill) in a second table. Every callback
// runs on that thread, including for a request that could not be sent
// (engine not listening: kEngineUnavailable).
// The engine going away gives jobs in flight kConnectionLost; a job's
// timeout gives kTimeout.
//
// Progress: a JobRequest with a ProgressCallback is sent with "progress":
// true; each progress message is handed to the callback, in arrival order,
// before the job's callback (the engine sends them ahead of the reply on the
// same connection, so nothing is waited for or reordered). When the reply's
// progress_sent is larger than the number that arrived, the callback gets
// one JobProgress with `lost` set, before the job's callback.
// capabilities().progress is kPerStep unless the engine's pong said protocol 1.
//
// Stopping (StopKind kBeforeStart): stop() and cancel() send the engine
// `kill`. A job still waiting for a worker thread is removed there and never
// runs (stop() says so, the job gets kCancelled); a running one is a Python
// thread, which cannot be stopped: stop() says so and the job goes on to its
// result. cancel() answers the job with `why` at once either way.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "salt_ipc/engine_link.h"
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
  // Over a real EngineLink to options.endpoint.
  EngineStrategy(JidGenerator& jids, EngineOptions options);
  // Over `channel` (not started yet; the strategy starts and stops it).
  EngineStrategy(JidGenerator& jids, std::unique_ptr<EngineChannel> channel, EngineOptions options);
  // Jobs still in flight get kCancelled; the channel stops.
  ~EngineStrategy() override;

  std::string_view name() const override { return "engine"; }
  std::string submit(JobRequest request, JobCallback done) override;
  size_t in_flight() const override;
  Capabilities capabilities() const override;
  bool cancel(const std::string& jid, Error why) override;
  void stop(const std::string& jid, StopCallback done) override;

  // Asks the engine who it is ({"engine", "protocol", "salt_version", "pid"}).
  Result<Value> ping(std::chrono::milliseconds timeout);
  // The names of every function the minion has loaded.
  Result<std::vector<std::string>> functions(std::chrono::milliseconds timeout);
  bool connected() const;

 private:
  struct Core;
  std::unique_ptr<EngineChannel> channel_;
  std::shared_ptr<Core> core_;
};

}  // namespace saltgw::salt_ipc
