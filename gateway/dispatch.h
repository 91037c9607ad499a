// How jobs reach the minion: the choice of dispatch (shared by the daemon and
// `saltgw --check`) and the strategies that carry it out.
//
// choose_dispatch() is the one rule (docs/dispatch.md): `engine`,
// `schedule` and `minion_job` are taken as configured; `auto` takes the
// executor engine when it answers from a Salt it supports, else the minion's
// scheduler. It is pure: the caller probes the engine first.
//
// build_job_paths() makes the strategies the daemon serves jobs with: the
// chosen one for jobs, and the minion's scheduler for async jobs (each runs
// in its own process there, so DELETE can stop it; an engine thread cannot
// be killed), which is the same object when schedule is the choice.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/config.h"
#include "salt_ipc/engine_strategy.h"
#include "salt_ipc/event_bus.h"
#include "salt_ipc/jid.h"
#include "salt_ipc/job.h"
#include "salt_ipc/minion_config.h"
#include "salt_ipc/schedule_strategy.h"

namespace saltgw::gateway {

enum class Dispatch { kEngine, kSchedule, kMinionJob };

const char* dispatch_name(Dispatch dispatch);

// What pinging the executor engine found.
struct EngineProbe {
  std::string endpoint;
  bool answers = false;
  std::string salt_version;  // the Salt it runs in, as it says ("" = not said)
  std::string error;         // why it did not answer
};

// Pings the engine at `endpoint` (waits up to `timeout`).
EngineProbe probe_engine(salt_ipc::EngineStrategy& engine, const std::string& endpoint,
                         std::chrono::milliseconds timeout);

struct DispatchChoice {
  Dispatch dispatch;
  std::string why;  // one line for the start-up log
};

// `configured` is a validated Config::dispatch.
DispatchChoice choose_dispatch(std::string_view configured, const EngineProbe& engine);

// The engine's endpoint for this configuration.
std::string engine_endpoint(const Config& config, const salt_ipc::MinionConfig& minion);

struct JobPaths {
  std::unique_ptr<salt_ipc::Strategy> jobs;  // the chosen dispatch
  salt_ipc::ScheduleStrategy* async_jobs = nullptr;  // the scheduler: `jobs` itself or `own_scheduler`
  std::unique_ptr<salt_ipc::ScheduleStrategy> own_scheduler;  // when `jobs` is not the scheduler
  std::string why;
};

// Probes the engine (auto, engine) and builds the strategies.
JobPaths build_job_paths(const Config& config, const salt_ipc::MinionConfig& minion, salt_ipc::EventBus& bus,
                         salt_ipc::JidGenerator& jids);

}  // namespace saltgw::gateway
