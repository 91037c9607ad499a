#include "salt_ipc/engine_strategy.h"

#include <atomic>
#include <future>
#include <map>
#include <optional>
#include <thread>

#include "salt_ipc/in_flight.h"

namespace saltgw::salt_ipc {

using Clock = std::chrono::steady_clock;

namespace {

// How long a kill (from stop() or cancel()) may take.
constexpr std::chrono::seconds kKillTimeout{5};

Error shutting_down() { return make_error(ErrorKind::kCancelled, "saltgw is shutting down"); }

// A progress message as the job's ProgressCallback gets it.
JobProgress progress_of(const Value& msg) {
  JobProgress p;
  if (const Value* tag = msg.find("tag"); tag && tag->is_string()) p.tag = tag->as_string();
  if (const Value* data = msg.find("data")) p.data = *data;
  return p;
}

// What a run reply means for its caller.
Result<JobResult> outcome_of(Value reply, const InFlightJobs::Job& job, int64_t max_event_size) {
  if (const Value* e = reply.find("error")) {
    if (e->text() == "overloaded")
      return make_error(ErrorKind::kOverloaded,
                        "the executor engine is busy: every worker thread and queue place is taken; try again shortly");
    return make_error(ErrorKind::kProtocol, "engine refused the job: " + std::string(e->text()));
  }
  if (const Value* t = reply.find("timed_out"); t && t->is_bool() && t->as_bool())
    return make_error(ErrorKind::kTimeout,
                      "the job did not finish within its timeout in the executor engine; it may still be running there");
  return settle_result(read_job_return(std::move(reply), job.jid, job.fun), max_event_size);
}

}  // namespace

std::string engine_endpoint_for(const std::string& sock_dir) { return "ipc://" + sock_dir + "/saltgw.ipc"; }

struct EngineStrategy::Core : std::enable_shared_from_this<Core> {
  JidGenerator& jids;
  EngineChannel& link;
  EngineOptions opts;
  InFlightJobs jobs;      // run requests, by jid; I/O thread only
  InFlightJobs controls;  // ping, functions, kill, by request id (the reply is the JobResult's ret)
  // Jobs a kill was sent for, with their run reply when it came first.
  std::map<std::string, std::optional<Value>> stopping;
  std::atomic<int64_t> protocol{0};  // from the last pong (0: not known yet)

  Core(JidGenerator& j, EngineChannel& l, EngineOptions o)
      : jids(j), link(l), opts(std::move(o)), jobs(l), controls(l) {}

  void on_message(Value v) {
    const Value* idv = v.find("id");
    if (!idv || !idv->is_string()) return;
    std::string id = idv->as_string();
    if (const Value* op = v.find("op"); op && op->text() == "progress") return on_progress(id, v);
    if (controls.find(id)) return (void)controls.finish(id, JobResult{id, "", std::move(v), true, 0});
    if (auto s = stopping.find(id); s != stopping.end() && jobs.find(id)) {
      s->second = std::move(v);  // the kill's answer decides (the engine sends it after this)
      return;
    }
    on_reply(id, std::move(v));
  }

  // Ahead of its job's reply on the same socket: delivered in order.
  void on_progress(const std::string& id, const Value& msg) {
    InFlightJobs::Job* job = jobs.find(id);
    if (!job || !job->progress) return;  // not asked for, or the job has ended
    job->progress_seen++;
    job->progress(progress_of(msg));
  }

  void on_reply(const std::string& id, Value reply) {
    InFlightJobs::Job* job = jobs.find(id);
    if (!job) return;
    if (const Value* sent = reply.find("progress_sent");
        sent && sent->is_int() && job->progress && sent->as_int() > job->progress_seen) {
      JobProgress lost;
      lost.lost = static_cast<size_t>(sent->as_int() - job->progress_seen);
      job->progress(std::move(lost));
    }
    auto outcome = outcome_of(std::move(reply), *job, opts.max_event_size);
    jobs.finish(id, std::move(outcome));
  }

  void on_state(bool up, const std::string& why) {
    if (up) return;
    Error lost = make_error(ErrorKind::kConnectionLost, "lost the connection to the executor engine while the job was "
                                                        "running (" + why + "); the job's result is unknown");
    jobs.finish_all(lost);
    controls.finish_all(lost);
  }

  // I/O thread: sends `body` as request `id`, kept in `table` until its reply.
  void send(InFlightJobs& table, const std::string& id, Map body, std::chrono::milliseconds timeout,
            const std::string& what) {
    body["id"] = Value(id);
    if (Status st = link.send(Value(std::move(body))); !st) return (void)table.finish(id, st.error());
    table.expire_after(id, timeout, [&table, what](const std::string& key, Error) {
      table.finish(key, make_error(ErrorKind::kTimeout, "no answer from the executor engine for " + what +
                                                            " in time; the job may still be running"));
    });
  }

  // I/O thread.
  void start_run(const std::string& jid, JobRequest req, JobCallback done) {
    Map body{{"op", Value("run")},
             {"jid", Value(jid)},
             {"fun", Value(req.fun)},
             {"arg", Value(std::move(req.args))},
             {"kwarg", Value(std::move(req.kwargs))},
             {"timeout", Value(static_cast<double>(req.timeout.count()) / 1000.0)}};
    // protocol 2; an older engine ignores it and sends none
    if (req.progress) body["progress"] = Value(true);
    if (!jobs.add(jid, InFlightJobs::Job{jid, req.fun, std::move(req.progress), 0}, done))
      return done(make_error(ErrorKind::kInvalidArgument, "job " + jid + " is already running"));
    send(jobs, jid, std::move(body), req.timeout, req.fun);
  }

  // I/O thread: a control request; `done` gets the reply map as the JobResult's ret.
  void control(Map body, std::chrono::milliseconds timeout, JobCallback done) {
    std::string id = "ctl-" + jids.next();
    std::string what = body["op"].is_string() ? body["op"].as_string() : "request";
    controls.reserve();
    controls.add(id, InFlightJobs::Job{id, what, nullptr, 0}, std::move(done));
    send(controls, id, std::move(body), timeout, what);
  }

  // I/O thread: the engine answered a kill for `jid`.
  void killed(const std::string& jid, Result<JobResult> r, const StopCallback& done) {
    std::optional<Value> reply;
    if (auto s = stopping.find(jid); s != stopping.end()) {
      reply = std::move(s->second);
      stopping.erase(s);
    }
    const Value* yes = r ? r->ret.find("killed") : nullptr;
    if (yes && yes->is_bool() && yes->as_bool()) {
      jobs.finish(jid, make_error(ErrorKind::kCancelled, "stopped by request: the executor engine removed the job "
                                                         "before it started"));
      if (done) done(StopOutcome{true, true, "the executor engine removed the job before it started (it was waiting "
                                             "for a worker thread)", Value()});
      return;
    }
    if (reply) on_reply(jid, std::move(*reply));  // it ended meanwhile: its own result stands
    if (!done) return;
    if (!r) return done(r.error());
    if (const Value* e = r->ret.find("error")) return done(make_error(ErrorKind::kProtocol, "engine: " + std::string(e->text())));
    const Value* why = r->ret.find("reason");
    done(StopOutcome{true, false, why && why->is_string() ? why->as_string() : "the executor engine did not stop it",
                     Value()});
  }

  // I/O thread: asks the engine to kill `jid`; `done` (may be empty) hears how it went.
  void kill(const std::string& jid, StopCallback done) {
    stopping.try_emplace(jid);
    std::weak_ptr<Core> w = weak_from_this();
    control(Map{{"op", Value("kill")}, {"jid", Value(jid)}}, kKillTimeout,
            [w, jid, done = std::move(done)](Result<JobResult> r) {
              if (auto s = w.lock()) s->killed(jid, std::move(r), done);
            });
  }

  Result<Value> call(Map body, std::chrono::milliseconds timeout);
};

Result<Value> EngineStrategy::Core::call(Map body, std::chrono::milliseconds timeout) {
  // ZMQ_IMMEDIATE refuses to queue before the connection is up: right after
  // start-up, give it the time the caller allows.
  auto until = Clock::now() + timeout;
  while (!link.connected() && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  timeout = std::max(std::chrono::milliseconds(50),
                     std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()));
  auto p = std::make_shared<std::promise<Result<JobResult>>>();
  auto f = p->get_future();
  link.post([self = shared_from_this(), body = std::move(body), timeout, p]() mutable {
    self->control(std::move(body), timeout, [p](Result<JobResult> r) { p->set_value(std::move(r)); });
  });
  if (f.wait_for(timeout + std::chrono::seconds(2)) != std::future_status::ready)
    return make_error(ErrorKind::kTimeout, "engine did not answer");
  auto r = f.get();
  if (!r) return r.error();
  if (const Value* e = r->ret.find("error")) return make_error(ErrorKind::kProtocol, "engine: " + std::string(e->text()));
  if (const Value* v = r->ret.find("protocol"); v && v->is_int()) protocol = v->as_int();
  return std::move(r->ret);
}

EngineStrategy::EngineStrategy(JidGenerator& jids, EngineOptions options)
    : EngineStrategy(jids, std::make_unique<EngineLink>(EngineLinkOptions{options.endpoint, options.max_message_bytes}),
                     options) {}

EngineStrategy::EngineStrategy(JidGenerator& jids, std::unique_ptr<EngineChannel> channel, EngineOptions options)
    : channel_(std::move(channel)), core_(std::make_shared<Core>(jids, *channel_, std::move(options))) {
  std::weak_ptr<Core> w = core_;
  channel_->start([w](Value message) {
    if (auto s = w.lock()) s->on_message(std::move(message));
  },
                  [w](bool up, const std::string& why) {
                    if (auto s = w.lock()) s->on_state(up, why);
                  });
}

EngineStrategy::~EngineStrategy() {
  channel_->run_and_wait([core = core_] {
    core->jobs.finish_all(shutting_down());
    core->controls.finish_all(shutting_down());
  }, std::chrono::seconds(2));
  channel_->stop();  // runs what was posted meanwhile: a job submitted now fails
  core_->jobs.finish_all(shutting_down());  // this thread is the channel's now
  core_->controls.finish_all(shutting_down());
  core_.reset();  // before the channel its tables use
}

std::string EngineStrategy::submit(JobRequest req, JobCallback done) {
  std::string jid = req.jid.empty() ? core_->jids.next() : req.jid;
  core_->jobs.reserve();
  channel_->post([core = core_, jid, req = std::move(req), done = std::move(done)]() mutable {
    core->start_run(jid, std::move(req), std::move(done));
  });
  return jid;
}

size_t EngineStrategy::in_flight() const { return core_->jobs.size(); }

Capabilities EngineStrategy::capabilities() const {
  int64_t p = core_->protocol.load();
  if (p == 0 || p >= 2) return Capabilities{ProgressKind::kPerStep, "", StopKind::kBeforeStart};
  return Capabilities{ProgressKind::kNone, no_progress_note(name()), StopKind::kBeforeStart};
}

bool EngineStrategy::cancel(const std::string& jid, Error why) {
  auto found = std::make_shared<bool>(false);
  bool ran = channel_->run_and_wait([core = core_, jid, why, found]() mutable {
    *found = core->jobs.finish(jid, std::move(why));
    if (*found) core->kill(jid, nullptr);  // so that a job still queued there never runs
  }, std::chrono::seconds(5));
  return ran && *found;
}

void EngineStrategy::stop(const std::string& jid, StopCallback done) {
  channel_->post([core = core_, jid, done = std::move(done)]() mutable {
    if (!core->jobs.find(jid)) return done(StopOutcome{});
    core->kill(jid, std::move(done));
  });
}

bool EngineStrategy::connected() const { return channel_->connected(); }

Result<Value> EngineStrategy::ping(std::chrono::milliseconds timeout) {
  return core_->call(Map{{"op", Value("ping")}}, timeout);
}

Result<std::vector<std::string>> EngineStrategy::functions(std::chrono::milliseconds timeout) {
  auto r = core_->call(Map{{"op", Value("functions")}}, timeout);
  if (!r) return r.error();
  const Value* f = r->find("functions");
  if (!f || !f->is_list()) return make_error(ErrorKind::kProtocol, "engine sent no function list");
  std::vector<std::string> out;
  for (const auto& e : f->as_list())
    if (e.is_string()) out.push_back(e.as_string());
  return out;
}

}  // namespace saltgw::salt_ipc
