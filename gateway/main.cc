// saltgw: the AutoPi Local API on port 9000, served natively over the local
// Salt minion's own sockets. This file is the composition root: it reads the
// configuration, builds the pieces, owns the threads and shuts them down.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <cstdio>
#include <iostream>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/check.h"
#include "gateway/config.h"
#include "gateway/sd_notify.h"
#include "rest/api.h"
#include "rest/http_server.h"
#include "rest/jwt.h"
#include "salt_ipc/engine_strategy.h"
#include "salt_ipc/engine_support.h"
#include "salt_ipc/event_bus.h"
#include "salt_ipc/function_guard.h"
#include "salt_ipc/job_announcer.h"
#include "salt_ipc/job_store.h"
#include "salt_ipc/minion_job_strategy.h"
#include "salt_ipc/jid.h"
#include "salt_ipc/log.h"
#include "salt_ipc/minion_config.h"
#include "salt_ipc/schedule_strategy.h"

namespace {

using namespace saltgw;

const char* kUsage = R"(Usage: saltgw [OPTIONS]

Serves the AutoPi Local API (REST, port 9000) by running Salt functions on the
local minion over its event bus.

Options:
  --config PATH          saltgw YAML config (default /etc/saltgw/saltgw.yaml)
  --minion-config PATH   the minion's config (default /etc/salt/minion)
  --listen ADDR:PORT     address to serve on (default 0.0.0.0:9000)
  --log-root DIR         folder /download_log/ serves from (default /var/log)
  --secret-file PATH     JWT signing secret, created 0600 when missing
  --auth open|required   require a token on every route but /, /auth/login/ and /ui/
  --job-timeout SECONDS  per-job timeout (default 300)
  --dispatch MODE        auto (engine when it answers, else schedule), engine, schedule,
                         minion_job (AutoPi's patched minions)
  --engine-socket URL    executor engine endpoint (default ipc://<sock_dir>/saltgw.ipc)
  --log-level LEVEL      debug, info, warning or error (default info)
  --check                try the configuration, the minion's bus and the engine;
                         print what works and what to fix (exit 0 when all is well)
  --version              print the version and exit
  --help                 print this help and exit
)";

std::mutex g_log_mu;
std::atomic<int> g_log_level{1};  // changed by SIGHUP, read by every thread that logs

void log_line(const char* level, std::string_view msg) {
  std::lock_guard<std::mutex> lock(g_log_mu);
  std::fprintf(stderr, "saltgw[%d] %s: %.*s\n", static_cast<int>(::getpid()), level,
               static_cast<int>(msg.size()), msg.data());
}

int fail(const std::string& msg) {
  log_line("error", msg);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  gateway::Config cfg;
  std::string config_path;
  bool explicit_config = false;
  bool check = false;
  std::vector<std::pair<std::string, std::string>> overrides;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--check") {
      check = true;
      continue;
    }
    if (a == "--version") {
      std::printf("saltgw %s\n", SALTGW_VERSION);
      return 0;
    }
    std::string val;
    auto eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      val = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if (i + 1 < argc) {
      val = argv[++i];
    } else {
      return fail("option " + a + " needs a value (see --help)");
    }
    if (a == "--config") config_path = val, explicit_config = true;
    else if (a == "--minion-config" || a == "--listen" || a == "--log-root" || a == "--secret-file" ||
             a == "--auth" || a == "--job-timeout" || a == "--log-level" || a == "--dispatch" ||
             a == "--engine-socket")
      overrides.emplace_back(a, val);
    else return fail("unknown option " + a + " (see --help)");
  }
  if (!explicit_config) config_path = "/etc/saltgw/saltgw.yaml";
  if (explicit_config || std::filesystem::exists(config_path)) {
    if (auto st = gateway::load_config_file(config_path, cfg); !st) return fail(st.error().message);
  }
  for (auto& [k, v] : overrides) {
    if (k == "--minion-config") cfg.minion_config = v;
    else if (k == "--listen") cfg.listen = v;
    else if (k == "--log-root") cfg.log_root = v;
    else if (k == "--secret-file") cfg.secret_file = v;
    else if (k == "--auth") cfg.auth = v;
    else if (k == "--dispatch") cfg.dispatch = v;
    else if (k == "--engine-socket") cfg.engine_socket = v;
    else if (k == "--log-level") cfg.log_level = v;
    else if (k == "--job-timeout") {
      try {
        cfg.job_timeout_s = std::stod(v);
      } catch (...) {
        return fail("--job-timeout needs a number of seconds");
      }
    }
  }
  if (auto st = gateway::validate(cfg); !st) return fail(st.error().message);
  if (check) {
    salt_ipc::set_log_sink([](salt_ipc::LogLevel, std::string_view) {});
    return gateway::run_check(cfg, std::cout);
  }
  g_log_level = cfg.log_level == "debug" ? 0 : cfg.log_level == "info" ? 1 : cfg.log_level == "warning" ? 2 : 3;

  salt_ipc::set_log_sink([](salt_ipc::LogLevel level, std::string_view msg) {
    static const char* names[] = {"debug", "info", "warning", "error"};
    int l = static_cast<int>(level);
    if (l >= g_log_level) log_line(names[l], msg);
  });

  auto minion = salt_ipc::load_minion_config(cfg.minion_config);
  if (!minion) return fail(minion.error().message);
  auto endpoints = salt_ipc::find_bus_endpoints(minion.value());
  if (!endpoints) return fail(endpoints.error().message);
  auto signer = rest::JwtSigner::open(cfg.secret_file);
  if (!signer) return fail(signer.error().message);

  // Block the signals we wait for before any thread starts.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  salt_ipc::EventBusOptions bus_opts;
  bus_opts.endpoints = endpoints.value();
  salt_ipc::EventBus bus(bus_opts);
  salt_ipc::JidGenerator jids;
  bus.start();

  // Pick how jobs reach the minion.
  std::unique_ptr<salt_ipc::Strategy> base;
  std::string why;
  if (cfg.dispatch == "engine" || cfg.dispatch == "auto") {
    salt_ipc::EngineOptions eo;
    eo.endpoint = cfg.engine_socket.empty() ? salt_ipc::engine_endpoint_for(minion->sock_dir) : cfg.engine_socket;
    eo.max_event_size = minion->max_event_size;
    auto engine = std::make_unique<salt_ipc::EngineStrategy>(jids, eo);
    auto pong = engine->ping(std::chrono::milliseconds(cfg.dispatch == "auto" ? 500 : 2000));
    std::string engine_salt = pong && pong->find("salt_version") ? std::string(pong->find("salt_version")->text()) : "";
    if (pong && !salt_ipc::engine_supports_salt(engine_salt) && cfg.dispatch == "auto") {
      // An engine that answers from a minion too old for it: do not trust it.
      why = "executor engine at " + eo.endpoint + " answers, but " + salt_ipc::engine_unsupported_words(engine_salt);
    } else if (pong) {
      why = "executor engine at " + eo.endpoint + " (Salt " + (engine_salt.empty() ? "?" : engine_salt) + ")";
      if (!salt_ipc::engine_supports_salt(engine_salt))
        why += " -- WARNING: older than the engine supports (Salt " + std::to_string(salt_ipc::kEngineMinSalt) +
               "+); dispatch: auto would use the minion's scheduler";
      base = std::move(engine);
    } else if (cfg.dispatch == "engine") {
      why = "executor engine at " + eo.endpoint + " NOT answering (" + pong.error().message +
            "); jobs get 503 until it runs";
      base = std::move(engine);
    } else {
      why = "executor engine not answering at " + eo.endpoint + ", using the minion's scheduler";
    }
  }
  if (!base && cfg.dispatch == "minion_job") {
    base = std::make_unique<salt_ipc::MinionJobStrategy>(
        bus, jids, salt_ipc::MinionJobOptions{minion->max_event_size, "event_result"});
    why = "minion_job events (AutoPi's patched minion, returner event_result)";
  }
  if (!base) {
    base = std::make_unique<salt_ipc::ScheduleStrategy>(
        bus, jids, salt_ipc::ScheduleOptions{minion->max_event_size});
    if (why.empty()) why = "the minion's scheduler over the event bus";
  }
  auto announcer = std::make_unique<salt_ipc::JobAnnouncer>(*base, bus);
  // announce_jobs: false saves one event per job on the minion's bus (the
  // minion's Python publisher forwards each one).
  auto strategy = std::make_unique<salt_ipc::FunctionGuard>(cfg.announce_jobs ? static_cast<salt_ipc::Strategy&>(*announcer)
                                                                               : *base);
  uint64_t refresh_sub = bus.subscribe("module_refresh", [&strategy](const salt_ipc::Event&) {
    strategy->invalidate();
  });
  // The list loads once the bus (or engine) answers; retry until it has.
  std::atomic<bool> list_loaded{false};
  std::thread list_loader([&] {
    for (int i = 0; i < 600 && strategy->size() == 0 && !list_loaded; ++i) {
      strategy->refresh();
      for (int k = 0; k < 20 && strategy->size() == 0 && !list_loaded; ++k)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // Loading the list (a few thousand names, decoded twice over) leaves freed
    // heap behind; give it back to the system: saltgw idles for hours.
    malloc_trim(0);
  });

  rest::ApiOptions api_opts;
  api_opts.minion_id = minion->id;
  api_opts.log_root = cfg.log_root;
  api_opts.auth_required = cfg.auth == "required";
  api_opts.job_timeout = std::chrono::milliseconds(static_cast<int64_t>(cfg.job_timeout_s * 1000));
  api_opts.dispatch_name = std::string(strategy->name());
  api_opts.max_jobs = cfg.max_jobs;
  api_opts.max_jobs_per_client = cfg.max_jobs_per_client;
  api_opts.functions_allow = cfg.functions_allow;
  api_opts.functions_deny = cfg.functions_deny;
  // Async jobs go through the minion's scheduler: each runs in its own
  // process there, so DELETE can stop it (an engine thread cannot be killed).
  salt_ipc::ScheduleStrategy* sched = dynamic_cast<salt_ipc::ScheduleStrategy*>(base.get());
  std::unique_ptr<salt_ipc::ScheduleStrategy> async_sched;
  if (!sched) {
    async_sched = std::make_unique<salt_ipc::ScheduleStrategy>(
        bus, jids, salt_ipc::ScheduleOptions{minion->max_event_size});
    sched = async_sched.get();
  }
  salt_ipc::JobStore store(cfg.jobs_keep_count, std::chrono::seconds(static_cast<int64_t>(cfg.jobs_keep_s)),
                           cfg.jobs_keep_bytes);
  salt_ipc::JobAnnouncer async_announcer(*sched, bus);
  rest::LocalApi api(api_opts, rest::ApiDeps{*strategy, async_announcer, signer.value(), jids, store, &bus});

  rest::ServerOptions srv_opts;
  srv_opts.listen = "";
  srv_opts.threads = cfg.threads;
  srv_opts.max_body_bytes = cfg.max_body_bytes;
  srv_opts.cors = cfg.cors;
  // Access lines are info-level: off at log_level warning and error.
  auto access_log_on = std::make_shared<std::atomic<bool>>(g_log_level <= 1);
  srv_opts.access_log_on = access_log_on;
  srv_opts.max_connections = cfg.max_connections;
  srv_opts.open_connections = std::make_shared<std::atomic<size_t>>(0);  // one count for every address
  srv_opts.max_header_count = cfg.max_header_count;
  srv_opts.max_header_bytes = cfg.max_header_bytes;
  srv_opts.header_timeout = std::chrono::milliseconds(static_cast<int64_t>(cfg.header_timeout_s * 1000));
  srv_opts.body_timeout = std::chrono::milliseconds(static_cast<int64_t>(cfg.body_timeout_s * 1000));
  srv_opts.keepalive_timeout = std::chrono::milliseconds(static_cast<int64_t>(cfg.keepalive_timeout_s * 1000));
  srv_opts.answer_max = std::max(std::chrono::milliseconds(static_cast<int64_t>(cfg.stream_max_s * 1000)),
                                 api_opts.job_timeout + std::chrono::seconds(30));
  // One server per listen address (owners bind loopback and the hotspot only).
  std::vector<std::unique_ptr<rest::HttpServer>> servers;
  salt_ipc::Status started = salt_ipc::Ok{};
  for (const auto& address : gateway::listen_addresses(cfg.listen)) {
    rest::ServerOptions o = srv_opts;
    o.listen = address;
    servers.push_back(std::make_unique<rest::HttpServer>(o, api, [](const std::string& line) { log_line("access", line); }));
    if (started) started = servers.back()->start();
  }
  if (auto st = started; !st) {
    for (auto& sv : servers) sv->stop();
    list_loaded = true;
    list_loader.join();
    return fail(st.error().message);
  }

  log_line("info", "saltgw " SALTGW_VERSION " serving the Local API on " + cfg.listen +
                       " for unit " + api.unit_id().display() + " (minion config " +
                       cfg.minion_config + ", dispatch " + std::string(strategy->name()) + ": " + why +
                       ", bus " + endpoints->describe() + ")");
  gateway::sd_notify("READY=1");

  for (;;) {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (sig == SIGHUP) {
      // Reload what can change while running; the rest needs a restart.
      gateway::Config fresh;
      if (!cfg.config_file.empty()) {
        if (auto st = gateway::load_config_file(cfg.config_file, fresh); !st) {
          log_line("error", "SIGHUP: keeping the running configuration: " + st.error().message);
          continue;
        }
      } else {
        fresh = cfg;
      }
      g_log_level = fresh.log_level == "debug" ? 0 : fresh.log_level == "info" ? 1 : fresh.log_level == "warning" ? 2 : 3;
      *access_log_on = g_log_level <= 1;
      api.reload(fresh.auth == "required", std::chrono::milliseconds(static_cast<int64_t>(fresh.job_timeout_s * 1000)));
      log_line("info", "SIGHUP: reloaded " + (cfg.config_file.empty() ? std::string("(no config file)") : cfg.config_file) +
                           ": log_level " + fresh.log_level + ", auth " + fresh.auth + ", job_timeout " +
                           std::to_string(fresh.job_timeout_s) + " s (listen, dispatch and limits need a restart)");
      continue;
    }
    // Stop taking jobs, let the running ones finish within the grace period,
    // answer the rest with an error, then close.
    api.drain();
    log_line("info", std::string("received ") + strsignal(sig) + ", shutting down (new jobs are refused)");
    break;
  }
  auto grace_end = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(cfg.shutdown_grace_s * 1000));
  while (api.jobs_in_flight() > 0 && std::chrono::steady_clock::now() < grace_end)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (size_t left = api.jobs_in_flight())
    log_line("warning", std::to_string(left) + " jobs still running after the grace period; answering them with an error");
  gateway::sd_notify("STOPPING=1");
  list_loaded = true;
  list_loader.join();
  async_sched.reset();
  bus.unsubscribe(refresh_sub);
  strategy.reset();
  announcer.reset();
  base.reset();  // answers jobs still in flight (503, kind cancelled)
  // Give those answers a moment to reach the clients, then close.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (auto& sv : servers) sv->stop();
  bus.stop();
  return 0;
}
