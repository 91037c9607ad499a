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

namespace {

// The report: one line per item, OK or FAIL; any FAIL fails the check.
struct Report {
  std::ostream& out;
  bool ok = true;
  void line(bool good, const std::string& what, const std::string& detail) {
    out << (good ? "OK   " : "FAIL ") << what << (detail.empty() ? "" : ": " + detail) << "\n";
    if (!good) ok = false;
  }
};

// The bus sockets exist, and their folder is not open to everyone.
void check_bus_sockets(Report& report, const salt_ipc::MinionConfig& minion, const salt_ipc::BusEndpoints& ep) {
  if (ep.tcp) return;
  struct stat st {};
  bool exists = ::stat(ep.pull_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
  report.line(exists, "bus sockets", exists ? ep.describe()
                                            : ep.pull_path + " missing: is salt-minion running? (systemctl status salt-minion)");
  struct stat dst {};
  if (::stat(minion.sock_dir.c_str(), &dst) == 0 && (dst.st_mode & S_IWOTH) && !(dst.st_mode & S_ISVTX))
    report.line(false, "sock_dir permissions", minion.sock_dir + " is world-writable; chmod o-w it");
}

// test.version through the minion's scheduler: the Salt release, or why not.
salt_ipc::Result<salt_ipc::JobResult> run_test_version(salt_ipc::EventBus& bus, salt_ipc::JidGenerator& jids) {
  salt_ipc::ScheduleStrategy sched(bus, jids);
  auto p = std::make_shared<std::promise<salt_ipc::Result<salt_ipc::JobResult>>>();
  auto f = p->get_future();
  sched.submit(salt_ipc::JobRequest{"test.version", {}, {}, 20s},
               [p](salt_ipc::Result<salt_ipc::JobResult> r) { p->set_value(std::move(r)); });
  if (f.wait_for(25s) != std::future_status::ready)
    return salt_ipc::make_error(salt_ipc::ErrorKind::kTimeout, "no answer");
  return f.get();
}

// Pings the engine and reports it (a FAIL only when dispatch is engine).
// `minion_salt` is what test.version said, for an engine that does not say.
EngineProbe check_engine(Report& report, const Config& cfg, const salt_ipc::MinionConfig& minion,
                         salt_ipc::JidGenerator& jids, const std::string& minion_salt) {
  salt_ipc::EngineOptions eo;
  eo.endpoint = engine_endpoint(cfg, minion);
  EngineProbe probe;
  {
    salt_ipc::EngineStrategy engine(jids, eo);
    probe = probe_engine(engine, eo.endpoint, 1500ms);
  }
  std::string engine_salt = probe.salt_version;
  // The minion's Salt: the engine's answer, else what test.version said.
  if (probe.salt_version.empty()) probe.salt_version = minion_salt;
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
  if (cfg.dispatch == "engine") report.line(engine_ok, "executor engine", detail);
  else report.out << (engine_ok ? "OK   " : "INFO ") << "executor engine: " << detail << "\n";
  probe.answers = engine_ok;  // what the dispatch rule may rely on
  return probe;
}

}  // namespace

int run_check(const Config& cfg, std::ostream& out) {
  Report report{out};
  out << "saltgw " << SALTGW_VERSION << " check\n";
  report.line(true, "config", cfg.config_file.empty() ? "defaults and flags (no config file)" : cfg.config_file);
  out << "     listen " << cfg.listen << ", dispatch " << cfg.dispatch << ", auth " << cfg.auth
      << ", log_root " << cfg.log_root << "\n";

  auto minion = salt_ipc::load_minion_config(cfg.minion_config);
  if (!minion) {
    report.line(false, "minion config", minion.error().message + " (set minion_config or --minion-config)");
    return 1;
  }
  rest::UnitId unit(minion->id);
  report.line(true, "minion config", cfg.minion_config + " (id " + minion->id + ", unit_id " + unit.display() +
                                         ", hash_type " + minion->hash_type + ", ipc_mode " + minion->ipc_mode + ")");
  auto ep = salt_ipc::find_bus_endpoints(minion.value());
  if (!ep) {
    report.line(false, "event bus", ep.error().message);
    return 1;
  }
  check_bus_sockets(report, minion.value(), ep.value());

  salt_ipc::EventBusOptions bo;
  bo.endpoints = ep.value();
  bo.hello_timeout = 2000ms;
  salt_ipc::EventBus bus(bo);
  bus.start();
  auto deadline = std::chrono::steady_clock::now() + 4s;
  while (!bus.connected() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  bool bus_up = bus.connected();
  report.line(bus_up, "event bus", bus_up ? "connected, framing: Salt 2016.3+ msgpack stream" : bus.last_error());

  salt_ipc::JidGenerator jids;
  std::string salt_version;
  bool schedule_ok = false;
  if (bus_up) {
    auto r = run_test_version(bus, jids);
    schedule_ok = r.ok();
    if (r) salt_version = std::string(r->ret.text());
    report.line(schedule_ok, "schedule dispatch",
                schedule_ok ? "test.version ran through the minion's scheduler (Salt " + salt_version + ")"
                            : r.error().message);
  }
  EngineProbe engine = check_engine(report, cfg, minion.value(), jids, salt_version);

  Dispatch chosen = choose_dispatch(cfg.dispatch, engine).dispatch;
  // minion_job needs the bus (its patch cannot be probed without running a job).
  bool needed = chosen == Dispatch::kEngine ? engine.answers : chosen == Dispatch::kMinionJob ? bus_up : schedule_ok;
  report.line(needed, "dispatch", std::string(dispatch_name(chosen)) + (cfg.dispatch == "auto" ? " (auto)" : ""));
  bus.stop();
  out << (report.ok ? "everything saltgw needs works\n" : "saltgw cannot serve jobs until the FAIL lines are fixed\n");
  return report.ok ? 0 : 1;
}

}  // namespace saltgw::gateway
