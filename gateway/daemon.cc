#include "gateway/daemon.h"

#include <malloc.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/dispatch.h"
#include "gateway/sd_notify.h"
#include "rest/api.h"
#include "rest/http_server.h"
#include "rest/jwt.h"
#include "salt_ipc/event_bus.h"
#include "salt_ipc/function_guard.h"
#include "salt_ipc/job_announcer.h"
#include "salt_ipc/job_store.h"
#include "salt_ipc/minion_config.h"

namespace saltgw::gateway {

namespace {

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

int fail(const std::string& msg) {
  log_line("error", msg);
  return 1;
}

// The signals the main thread waits for, blocked before any thread starts so
// that every thread inherits the mask.
sigset_t block_signals() {
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return sigs;
}

rest::ApiOptions api_options(const Config& cfg, const salt_ipc::MinionConfig& minion, std::string_view dispatch) {
  rest::ApiOptions o;
  o.minion_id = minion.id;
  o.log_root = cfg.log_root;
  o.auth_required = cfg.auth == "required";
  o.job_timeout = ms(cfg.job_timeout_s);
  o.dispatch_name = std::string(dispatch);
  o.max_jobs = cfg.max_jobs;
  o.max_jobs_per_client = cfg.max_jobs_per_client;
  o.functions_allow = cfg.functions_allow;
  o.functions_deny = cfg.functions_deny;
  return o;
}

rest::ServerOptions server_options(const Config& cfg, std::shared_ptr<std::atomic<bool>> access_log_on) {
  rest::ServerOptions o;
  o.listen = "";
  o.threads = cfg.threads;
  o.max_body_bytes = cfg.max_body_bytes;
  o.cors = cfg.cors;
  o.access_log_on = std::move(access_log_on);
  o.max_connections = cfg.max_connections;
  o.open_connections = std::make_shared<std::atomic<size_t>>(0);  // one count for every address
  o.max_header_count = cfg.max_header_count;
  o.max_header_bytes = cfg.max_header_bytes;
  o.header_timeout = ms(cfg.header_timeout_s);
  o.body_timeout = ms(cfg.body_timeout_s);
  o.keepalive_timeout = ms(cfg.keepalive_timeout_s);
  o.answer_max = std::max(ms(cfg.stream_max_s), ms(cfg.job_timeout_s) + std::chrono::seconds(30));
  return o;
}

// Lines saltgw itself writes about its life (start, SIGHUP, stop) are
// written whatever the level, as operators look for them.

// Everything that runs, in the order it is built (and the reverse of the
// order it is taken down).
class Daemon {
 public:
  Daemon(const Config& cfg, const salt_ipc::MinionConfig& minion, const salt_ipc::BusEndpoints& endpoints,
         rest::JwtSigner signer)
      : cfg_(cfg), minion_(minion), endpoints_(endpoints), signer_(std::move(signer)) {}

  salt_ipc::Status start();
  // Waits for signals; returns once SIGTERM or SIGINT came.
  void serve(const sigset_t& sigs);
  void stop();

 private:
  void start_jobs();
  void reload();

  Config cfg_;
  salt_ipc::MinionConfig minion_;
  salt_ipc::BusEndpoints endpoints_;
  rest::JwtSigner signer_;
  std::unique_ptr<salt_ipc::EventBus> bus_;
  salt_ipc::JidGenerator jids_;
  JobPaths paths_;
  std::unique_ptr<salt_ipc::JobAnnouncer> announcer_;
  std::unique_ptr<salt_ipc::FunctionGuard> guard_;
  uint64_t refresh_sub_ = 0;
  std::atomic<bool> list_loaded_{false};
  std::thread list_loader_;
  std::unique_ptr<salt_ipc::JobStore> store_;
  std::unique_ptr<salt_ipc::JobAnnouncer> async_announcer_;
  std::unique_ptr<salt_ipc::FunctionGuard> async_guard_;
  std::unique_ptr<rest::LocalApi> api_;
  std::shared_ptr<std::atomic<bool>> access_log_on_;
  std::vector<std::unique_ptr<rest::HttpServer>> servers_;
};

void Daemon::start_jobs() {
  salt_ipc::EventBusOptions bus_opts;
  bus_opts.endpoints = endpoints_;
  bus_ = std::make_unique<salt_ipc::EventBus>(bus_opts);
  bus_->start();
  paths_ = build_job_paths(cfg_, minion_, *bus_, jids_);
  announcer_ = std::make_unique<salt_ipc::JobAnnouncer>(*paths_.jobs, *bus_);
  // announce_jobs: false saves one event per job on the minion's bus (the
  // minion's Python publisher forwards each one).
  guard_ = std::make_unique<salt_ipc::FunctionGuard>(cfg_.announce_jobs ? static_cast<salt_ipc::Strategy&>(*announcer_)
                                                                         : *paths_.jobs);
  refresh_sub_ = bus_->subscribe("module_refresh", [this](const salt_ipc::Event&) { guard_->invalidate(); });
  // The list loads once the bus (or engine) answers; retry until it has.
  list_loader_ = std::thread([this] {
    for (int i = 0; i < 600 && guard_->size() == 0 && !list_loaded_; ++i) {
      guard_->refresh();
      for (int k = 0; k < 20 && guard_->size() == 0 && !list_loaded_; ++k)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // Loading the list (a few thousand names, decoded twice over) leaves freed
    // heap behind; give it back to the system: saltgw idles for hours.
    malloc_trim(0);
  });
}

salt_ipc::Status Daemon::start() {
  start_jobs();
  store_ = std::make_unique<salt_ipc::JobStore>(cfg_.jobs_keep_count, std::chrono::seconds(static_cast<int64_t>(cfg_.jobs_keep_s)),
                                                cfg_.jobs_keep_bytes);
  async_announcer_ = std::make_unique<salt_ipc::JobAnnouncer>(*paths_.async_jobs, *bus_);
  // Async jobs are refused from the same list: scheduled on the minion, an
  // unknown function would make the minion's own process import every module.
  async_guard_ = std::make_unique<salt_ipc::FunctionGuard>(*async_announcer_, *guard_);
  api_ = std::make_unique<rest::LocalApi>(api_options(cfg_, minion_, guard_->name()),
                                          rest::ApiDeps{*guard_, *async_guard_, signer_, jids_, *store_, bus_.get()});
  // Access lines are info-level: off at log_level warning and error.
  access_log_on_ = std::make_shared<std::atomic<bool>>(access_lines_on(log_level()));
  rest::ServerOptions srv_opts = server_options(cfg_, access_log_on_);
  // One server per listen address (owners bind loopback and the hotspot only).
  salt_ipc::Status started = salt_ipc::Ok{};
  for (const auto& address : listen_addresses(cfg_.listen)) {
    rest::ServerOptions o = srv_opts;
    o.listen = address;
    servers_.push_back(std::make_unique<rest::HttpServer>(o, *api_, [](const std::string& line) { log_line("access", line); }));
    if (started) started = servers_.back()->start();
  }
  if (!started) return started;
  log_line("info", "saltgw " SALTGW_VERSION " serving the Local API on " + cfg_.listen + " for unit " +
                           api_->unit_id().display() + " (minion config " + cfg_.minion_config + ", dispatch " +
                           std::string(guard_->name()) + ": " + paths_.why + ", bus " + endpoints_.describe() + ")");
  sd_notify("READY=1");
  return started;
}

void Daemon::reload() {
  // Reload what can change while running; the rest needs a restart.
  Config fresh;
  if (!cfg_.config_file.empty()) {
    if (auto st = load_config_file(cfg_.config_file, fresh); !st) {
      log_line("error", "SIGHUP: keeping the running configuration: " + st.error().message);
      return;
    }
  } else {
    fresh = cfg_;
  }
  ReloadableSettings s = reload_settings(fresh);
  set_log_level(s.log_level);
  *access_log_on_ = access_lines_on(s.log_level);
  api_->reload(s.auth_required, s.job_timeout);
  log_line("info", "SIGHUP: reloaded " + (cfg_.config_file.empty() ? std::string("(no config file)") : cfg_.config_file) +
                           ": log_level " + fresh.log_level + ", auth " + fresh.auth + ", job_timeout " +
                           std::to_string(fresh.job_timeout_s) + " s (listen, dispatch and limits need a restart)");
}

void Daemon::serve(const sigset_t& sigs) {
  for (;;) {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (sig == SIGHUP) {
      reload();
      continue;
    }
    // Stop taking jobs, let the running ones finish within the grace period,
    // answer the rest with an error, then close.
    api_->drain();
    log_line("info", std::string("received ") + strsignal(sig) + ", shutting down (new jobs are refused)");
    return;
  }
}

void Daemon::stop() {
  if (api_) {
    auto grace_end = std::chrono::steady_clock::now() + ms(cfg_.shutdown_grace_s);
    while (api_->jobs_in_flight() > 0 && std::chrono::steady_clock::now() < grace_end)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (size_t left = api_->jobs_in_flight())
      log_line("warning", std::to_string(left) + " jobs still running after the grace period; answering them with an error");
  }
  sd_notify("STOPPING=1");
  list_loaded_ = true;
  if (list_loader_.joinable()) list_loader_.join();
  paths_.own_scheduler.reset();
  if (bus_) bus_->unsubscribe(refresh_sub_);
  guard_.reset();
  announcer_.reset();
  paths_.jobs.reset();  // answers jobs still in flight (503, kind cancelled)
  // Give those answers a moment to reach the clients, then close.
  if (api_) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (auto& sv : servers_) sv->stop();
  if (bus_) bus_->stop();
}

}  // namespace

ReloadableSettings reload_settings(const Config& config) {
  return {parse_log_level(config.log_level).value_or(LogLevel::kInfo), config.auth == "required",
          ms(config.job_timeout_s)};
}

int run_daemon(const Config& cfg) {
  set_log_level(parse_log_level(cfg.log_level).value_or(LogLevel::kInfo));
  route_library_logs();
  auto minion = salt_ipc::load_minion_config(cfg.minion_config);
  if (!minion) return fail(minion.error().message);
  auto endpoints = salt_ipc::find_bus_endpoints(minion.value());
  if (!endpoints) return fail(endpoints.error().message);
  auto signer = rest::JwtSigner::open(cfg.secret_file);
  if (!signer) return fail(signer.error().message);
  sigset_t sigs = block_signals();
  Daemon daemon(cfg, minion.value(), endpoints.value(), std::move(signer).value());
  if (auto st = daemon.start(); !st) {
    daemon.stop();
    return fail(st.error().message);
  }
  daemon.serve(sigs);
  daemon.stop();
  return 0;
}

}  // namespace saltgw::gateway
