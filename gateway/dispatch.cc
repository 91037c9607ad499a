#include "gateway/dispatch.h"

#include "salt_ipc/engine_support.h"
#include "salt_ipc/minion_job_strategy.h"

namespace saltgw::gateway {

const char* dispatch_name(Dispatch dispatch) {
  switch (dispatch) {
    case Dispatch::kEngine: return "engine";
    case Dispatch::kSchedule: return "schedule";
    case Dispatch::kMinionJob: return "minion_job";
  }
  return "schedule";
}

EngineProbe probe_engine(salt_ipc::EngineStrategy& engine, const std::string& endpoint,
                         std::chrono::milliseconds timeout) {
  EngineProbe probe;
  probe.endpoint = endpoint;
  auto pong = engine.ping(timeout);
  probe.answers = pong.ok();
  if (!pong) probe.error = pong.error().message;
  else if (const salt_ipc::Value* v = pong->find("salt_version")) probe.salt_version = std::string(v->text());
  return probe;
}

DispatchChoice choose_dispatch(std::string_view configured, const EngineProbe& engine) {
  if (configured == "minion_job")
    return {Dispatch::kMinionJob, "minion_job events (AutoPi's patched minion, returner event_result)"};
  if (configured != "engine" && configured != "auto")
    return {Dispatch::kSchedule, "the minion's scheduler over the event bus"};
  bool supported = salt_ipc::engine_supports_salt(engine.salt_version);
  const std::string& ep = engine.endpoint;
  if (engine.answers && !supported && configured == "auto")  // an engine in a minion too old for it: not trusted
    return {Dispatch::kSchedule,
            "executor engine at " + ep + " answers, but " + salt_ipc::engine_unsupported_words(engine.salt_version)};
  if (engine.answers) {
    std::string why = "executor engine at " + ep + " (Salt " + (engine.salt_version.empty() ? "?" : engine.salt_version) + ")";
    if (!supported)
      why += " -- WARNING: older than the engine supports (Salt " + std::to_string(salt_ipc::kEngineMinSalt) +
             "+); dispatch: auto would use the minion's scheduler";
    return {Dispatch::kEngine, why};
  }
  if (configured == "engine")
    return {Dispatch::kEngine, "executor engine at " + ep + " NOT answering (" + engine.error + "); jobs get 503 until it runs"};
  return {Dispatch::kSchedule, "executor engine not answering at " + ep + ", using the minion's scheduler"};
}

std::string engine_endpoint(const Config& config, const salt_ipc::MinionConfig& minion) {
  return config.engine_socket.empty() ? salt_ipc::engine_endpoint_for(minion.sock_dir) : config.engine_socket;
}

JobPaths build_job_paths(const Config& cfg, const salt_ipc::MinionConfig& minion, salt_ipc::EventBus& bus,
                         salt_ipc::JidGenerator& jids) {
  std::unique_ptr<salt_ipc::EngineStrategy> engine;
  EngineProbe probe;
  if (cfg.dispatch == "engine" || cfg.dispatch == "auto") {
    salt_ipc::EngineOptions eo;
    eo.endpoint = engine_endpoint(cfg, minion);
    eo.max_event_size = minion.max_event_size;
    engine = std::make_unique<salt_ipc::EngineStrategy>(jids, eo);
    probe = probe_engine(*engine, eo.endpoint, std::chrono::milliseconds(cfg.dispatch == "auto" ? 500 : 2000));
  }
  DispatchChoice choice = choose_dispatch(cfg.dispatch, probe);
  JobPaths paths;
  paths.why = choice.why;
  const salt_ipc::ScheduleOptions schedule_options{minion.max_event_size};
  switch (choice.dispatch) {
    case Dispatch::kEngine: paths.jobs = std::move(engine); break;
    case Dispatch::kMinionJob:
      paths.jobs = std::make_unique<salt_ipc::MinionJobStrategy>(
          bus, jids, salt_ipc::MinionJobOptions{minion.max_event_size, "event_result"});
      break;
    case Dispatch::kSchedule: {
      auto scheduler = std::make_unique<salt_ipc::ScheduleStrategy>(bus, jids, schedule_options);
      paths.async_jobs = scheduler.get();
      paths.jobs = std::move(scheduler);
      break;
    }
  }
  if (!paths.async_jobs) {
    paths.own_scheduler = std::make_unique<salt_ipc::ScheduleStrategy>(bus, jids, schedule_options);
    paths.async_jobs = paths.own_scheduler.get();
  }
  return paths;
}

}  // namespace saltgw::gateway
