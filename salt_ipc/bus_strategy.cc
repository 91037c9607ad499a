#include "salt_ipc/bus_strategy.h"

#include "salt_ipc/in_flight.h"
#include "salt_ipc/log.h"

namespace saltgw::salt_ipc {

namespace {

// The helper jobs stop() runs (saltutil.running, saltutil.kill_job).
constexpr std::chrono::seconds kStopJobTimeout{20};

// The jid of the saltutil.running entry whose `field` is `value`; empty when none.
std::string process_jid(const Value& running, const std::string& field, const std::string& value) {
  if (!running.is_list()) return {};
  for (const auto& p : running.as_list())
    if (const Value* f = p.find(field); f && f->text() == value)
      if (const Value* j = p.find("jid")) return std::string(j->text());
  return {};
}

}  // namespace

struct BusStrategy::Core : std::enable_shared_from_this<Core> {
  Bus& bus;
  JidGenerator& jids;
  std::shared_ptr<const BusProtocol> protocol;
  int64_t max_event_size;
  uint64_t sub_id = 0;
  uint64_t state_id = 0;
  InFlightJobs jobs;  // by protocol key; I/O thread only

  Core(Bus& b, JidGenerator& j, std::shared_ptr<const BusProtocol> p, int64_t max_event)
      : bus(b), jids(j), protocol(std::move(p)), max_event_size(max_event), jobs(b) {}

  // I/O thread. Completes a job once; `clean_up` removes what it left on the
  // minion (not when it never started, or the minion that held it is gone).
  void finish(const std::string& key, Result<JobResult> outcome, bool clean_up) {
    if (!jobs.find(key)) return;
    if (clean_up && bus.connected()) protocol->clean_up(bus, key);
    jobs.finish(key, std::move(outcome));
  }

  void on_answer(const Event& ev) {
    std::string key = protocol->key_of(ev);
    const InFlightJobs::Job* job = key.empty() ? nullptr : jobs.find(key);
    if (!job) return;
    JobResult r = read_job_return(ev.data, job->jid, job->fun);
    finish(key, settle_result(std::move(r), max_event_size), true);
  }

  void on_state(bool up, const std::string& reason) {
    if (up) return;
    jobs.finish_all(make_error(ErrorKind::kConnectionLost,
                               "lost the connection to the minion while the job was running (" + reason +
                                   "); the job's result is unknown"));
  }

  // I/O thread: the job is added (reserved by submit()).
  void start(const std::string& key, const std::string& jid, JobRequest req, JobCallback done) {
    if (!jobs.add(key, InFlightJobs::Job{jid, req.fun, nullptr, 0}, done)) {  // a caller reused a jid in flight
      done(make_error(ErrorKind::kInvalidArgument, "job " + jid + " is already running"));
      return;
    }
    if (Status st = protocol->start(bus, key, jid, req); !st) return finish(key, st.error(), false);
    std::weak_ptr<Core> self = weak_from_this();
    jobs.expire_after(key, req.timeout, [self](const std::string& k, Error why) {
      if (auto s = self.lock()) s->finish(k, std::move(why), true);
    });
  }

  std::string submit(JobRequest request, JobCallback done) {
    std::string jid = request.jid.empty() ? jids.next() : request.jid;
    std::string key = protocol->key_for(jid);
    jobs.reserve();
    bus.post([self = shared_from_this(), key, jid, request = std::move(request), done = std::move(done)]() mutable {
      self->start(key, jid, std::move(request), std::move(done));
    });
    return jid;
  }

  // Any thread. Whether a job is in flight under `key`.
  bool holds(const std::string& key) {
    auto found = std::make_shared<bool>(false);
    bool ran = bus.run_and_wait([self = shared_from_this(), key, found] { *found = self->jobs.find(key) != nullptr; },
                                std::chrono::seconds(5));
    return ran && *found;
  }

  bool cancel(const std::string& jid, Error why) {
    std::string key = protocol->key_for(jid);
    auto found = std::make_shared<bool>(false);
    // From a job's callback (the I/O thread) this runs at once.
    bool ran = bus.run_and_wait([self = shared_from_this(), key, why, found]() mutable {
      *found = self->jobs.find(key) != nullptr;
      if (*found) self->finish(key, std::move(why), true);
    }, std::chrono::seconds(5));
    return ran && *found;
  }

  // The job's process is known (saltutil.running): kill it, then answer the job.
  void kill(const std::string& jid, const std::string& proc_jid, StopCallback done) {
    auto self = shared_from_this();
    submit(JobRequest{"saltutil.kill_job", List{Value(proc_jid)}, {}, kStopJobTimeout, ""},
           [self, jid, proc_jid, done](Result<JobResult> killed) {
             if (!killed) return done(killed.error());
             self->cancel(jid, make_error(ErrorKind::kCancelled, "stopped by request (saltutil.kill_job " + proc_jid + ")"));
             done(StopOutcome{true, true, "saltutil.kill_job " + proc_jid + " (SIGKILL to the job's process)",
                              std::move(killed->ret)});
           });
  }

  void stop(const std::string& jid, StopCallback done) {
    std::string key = protocol->key_for(jid);
    if (!holds(key)) return done(StopOutcome{});
    auto self = shared_from_this();
    submit(JobRequest{"saltutil.running", {}, {}, kStopJobTimeout, ""},
           [self, key, jid, done](Result<JobResult> running) {
             if (!running) return done(running.error());
             std::string proc = process_jid(running->ret, self->protocol->process_field(),
                                            self->protocol->process_value(key, jid));
             if (!proc.empty()) return self->kill(jid, proc, done);
             bool cancelled = self->cancel(
                 jid, make_error(ErrorKind::kCancelled, "stopped by request (no process was running on the minion)"));
             done(StopOutcome{true, cancelled, "no process of this job runs on the minion; the job was marked stopped",
                              Value()});
           });
  }
};

BusStrategy::BusStrategy(Bus& bus, JidGenerator& jids, std::shared_ptr<const BusProtocol> protocol,
                         int64_t max_event_size)
    : core_(std::make_shared<Core>(bus, jids, std::move(protocol), max_event_size)) {
  std::weak_ptr<Core> w = core_;
  core_->sub_id = bus.subscribe(core_->protocol->answer_tag(), [w](const Event& ev) {
    if (auto s = w.lock()) s->on_answer(ev);
  });
  core_->state_id = bus.add_state_listener([w](bool up, const std::string& reason) {
    if (auto s = w.lock()) s->on_state(up, reason);
  });
}

BusStrategy::~BusStrategy() {
  core_->bus.unsubscribe(core_->sub_id);
  core_->bus.remove_state_listener(core_->state_id);
  // Jobs still pending are answered rather than dropped.
  bool ran = core_->bus.run_and_wait([core = core_] {
    core->jobs.finish_all(
        make_error(ErrorKind::kCancelled, "saltgw is shutting down; the job may still finish on the minion"));
  }, std::chrono::seconds(2));
  if (!ran) log(LogLevel::kWarning, std::string(name()) + ": I/O thread did not answer at shutdown");
}

std::string_view BusStrategy::name() const { return core_->protocol->name(); }

std::string BusStrategy::submit(JobRequest request, JobCallback done) {
  return core_->submit(std::move(request), std::move(done));
}

size_t BusStrategy::in_flight() const { return core_->jobs.size(); }

Capabilities BusStrategy::capabilities() const {
  return Capabilities{ProgressKind::kNone, no_progress_note(name()), StopKind::kProcess};
}

bool BusStrategy::cancel(const std::string& jid, Error why) { return core_->cancel(jid, std::move(why)); }

void BusStrategy::stop(const std::string& jid, StopCallback done) { core_->stop(jid, std::move(done)); }

}  // namespace saltgw::salt_ipc
