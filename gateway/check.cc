#include "gateway/check.h"

#include <sys/stat.h>

#include <chrono>
#include <future>
#include <thread>

#include "gateway/dispatch.h"
#include "rest/unit_id.h"
#include "salt_ipc/engine_strategy.h"
#include "salt_ipc/engine_support.h"
#include "salt_ipc/event_bus.h"
#include "salt_ipc/jid.h"
#include "salt_ipc/minion_config.h"
#include "salt_ipc/schedule_strategy.h"

namespace saltgw::gateway {

using namespace std::chrono_literals;

int run_check(const Config& cfg, std::ostream& out) {
  bool ok = true;
  auto line = [&](bool good, const std::string& what, const std::string& detail) {
    out << (good ? "OK   " : "FAIL ") << what << (detail.empty() ? "" : ": " + detail) << "\n";
    if (!good) ok = false;
  };
  out << "saltgw " << SALTGW_VERSION << " check\n";
  line(true, "config", cfg.config_file.empty() ? "defaults and flags (no config file)" : cfg.config_file);
  out << "     listen " << cfg.listen << ", dispatch " << cfg.dispatch << ", auth " << cfg.auth
      << ", log_root " << cfg.log_root << "\n";

  auto minion = salt_ipc::load_minion_config(cfg.minion_config);
  if (!minion) {
    line(false, "minion config", minion.error().message + " (set minion_config or --minion-config)");
    return 1;
  }
  rest::UnitId unit(minion->id);
  line(true, "minion config", cfg.minion_config + " (id " + minion->id + ", unit_id " + unit.display() +
                                  ", hash_type " + minion->hash_type + ", ipc_mode " + minion->ipc_mode + ")");
  auto ep = salt_ipc::find_bus_endpoints(minion.value());
  if (!ep) {
    line(false, "event bus", ep.error().message);
    return 1;
  }
  if (!ep->tcp) {
    struct stat st {};
    bool exists = ::stat(ep->pull_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
    line(exists, "bus sockets", exists ? ep->describe()
                                       : ep->pull_path + " missing: is salt-minion running? (systemctl status salt-minion)");
    struct stat dst {};
    if (::stat(minion->sock_dir.c_str(), &dst) == 0 && (dst.st_mode & S_IWOTH) && !(dst.st_mode & S_ISVTX))
      line(false, "sock_dir permissions", minion->sock_dir + " is world-writable; chmod o-w it");
  }

  salt_ipc::EventBusOptions bo;
  bo.endpoints = ep.value();
  bo.hello_timeout = 2000ms;
  salt_ipc::EventBus bus(bo);
  bus.start();
  auto deadline = std::chrono::steady_clock::now() + 4s;
  while (!bus.connected() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  bool bus_up = bus.connected();
  line(bus_up, "event bus", bus_up ? "connected, framing: Salt 2016.3+ msgpack stream" : bus.last_error());

  salt_ipc::JidGenerator jids;
  std::string salt_version;
  bool schedule_ok = false;
  if (bus_up) {
    salt_ipc::ScheduleStrategy sched(bus, jids);
    auto p = std::make_shared<std::promise<salt_ipc::Result<salt_ipc::JobResult>>>();
    auto f = p->get_future();
    sched.submit(salt_ipc::JobRequest{"test.version", {}, {}, 20s},
                 [p](salt_ipc::Result<salt_ipc::JobResult> r) { p->set_value(std::move(r)); });
    auto r = f.wait_for(25s) == std::future_status::ready ? f.get()
                                                          : salt_ipc::Result<salt_ipc::JobResult>(salt_ipc::make_error(
                                                                salt_ipc::ErrorKind::kTimeout, "no answer"));
    schedule_ok = r.ok();
    if (r) salt_version = std::string(r->ret.text());
    line(schedule_ok, "schedule dispatch", schedule_ok ? "test.version ran through the minion's scheduler (Salt " + salt_version + ")"
                                                       : r.error().message);
  }

  salt_ipc::EngineOptions eo;
  eo.endpoint = engine_endpoint(cfg, minion.value());
  EngineProbe probe;
  {
    salt_ipc::EngineStrategy engine(jids, eo);
    probe = probe_engine(engine, eo.endpoint, 1500ms);
  }
  std::string engine_salt = probe.salt_version;
  // The minion's Salt: the engine's answer, else what test.version said.
  if (probe.salt_version.empty()) probe.salt_version = salt_version;
  bool too_old = !salt_ipc::engine_supports_salt(probe.salt_version);
  bool engine_ok = probe.answers && !too_old;
  std::string detail;
  if (too_old)
    detail = salt_ipc::engine_unsupported_words(probe.salt_version);
  else if (probe.answers)
    detail = eo.endpoint + " (Salt " + (engine_salt.empty() ? "?" : engine_salt) + ")";
  else
    detail = eo.endpoint + " not answering; enable it: install /etc/salt/minion.d/saltgw.conf "
                           "(engines: [{saltgw_executor: {}}]) and restart salt-minion";
  if (cfg.dispatch == "engine") line(engine_ok, "executor engine", detail);
  else out << (engine_ok ? "OK   " : "INFO ") << "executor engine: " << detail << "\n";

  Dispatch chosen = choose_dispatch(cfg.dispatch, probe).dispatch;
  // minion_job needs the bus (its patch cannot be probed without running a job).
  bool needed = chosen == Dispatch::kEngine ? engine_ok : chosen == Dispatch::kMinionJob ? bus_up : schedule_ok;
  line(needed, "dispatch", std::string(dispatch_name(chosen)) + (cfg.dispatch == "auto" ? " (auto)" : ""));
  bus.stop();
  out << (ok ? "everything saltgw needs works\n" : "saltgw cannot serve jobs until the FAIL lines are fixed\n");
  return ok ? 0 : 1;
}

}  // namespace saltgw::gateway
