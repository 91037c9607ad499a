#include "salt_ipc/minion_job_strategy.h"

#include <atomic>
#include <future>
#include <map>

#include "salt_ipc/log.h"

namespace saltgw::salt_ipc {

struct MinionJobStrategy::Impl : std::enable_shared_from_this<Impl> {
  EventBus& bus;
  JidGenerator& jids;
  MinionJobOptions opts;
  uint64_t sub_id = 0;
  uint64_t state_id = 0;
  std::atomic<size_t> count{0};

  struct Pending {
    std::string fun;
    JobCallback done;
    uint64_t timer = 0;
  };
  std::map<std::string, Pending> pending;  // by jid; I/O thread only

  Impl(EventBus& b, JidGenerator& j, MinionJobOptions o) : bus(b), jids(j), opts(std::move(o)) {}

  // Completes a job once: the entry is gone afterwards, so anything arriving
  // later for this jid finds nothing.
  void finish(const std::string& jid, Result<JobResult> outcome) {
    auto it = pending.find(jid);
    if (it == pending.end()) return;
    Pending p = std::move(it->second);
    pending.erase(it);
    count--;
    if (p.timer) bus.cancel_timer(p.timer);
    p.done(std::move(outcome));
  }

  void on_ret(const Event& ev) {
    std::string jid = jid_of_ret_tag(ev.tag);
    if (jid.empty()) return;
    auto it = pending.find(jid);
    if (it == pending.end()) return;
    JobResult r;
    r.jid = jid;
    r.fun = it->second.fun;
    if (const Value* v = ev.data.find("fun"); v && v->is_string()) r.fun = v->as_string();
    if (const Value* v = ev.data.find("return")) r.ret = *v;
    if (const Value* v = ev.data.find("retcode"); v && v->is_int())
      r.retcode = static_cast<int>(v->as_int());
    const Value* success = ev.data.find("success");
    // Salt always sets "success"; an answer without it is judged by retcode.
    r.success = success && success->is_bool() ? success->as_bool() : r.retcode == 0;
    finish(jid, settle_result(std::move(r), opts.max_event_size));
  }

  void on_state(bool up, const std::string& reason) {
    if (up) return;
    std::vector<std::string> ids;
    for (auto& [jid, p] : pending) ids.push_back(jid);
    for (auto& jid : ids)
      finish(jid, make_error(ErrorKind::kConnectionLost,
                             "lost the connection to the minion while the job was running (" +
                                 reason + "); the job's result is unknown"));
  }

  void start_job(const std::string& jid, const JobRequest& req) {
    Status st = bus.publish("minion_job", Map{{"jid", jid},
                                              {"fun", req.fun},
                                              {"arg", Value(job_args(req))},
                                              {"ret", opts.returner}});
    if (!st) {
      finish(jid, st.error());
      return;
    }
    auto self = weak_from_this();
    auto secs = std::to_string(req.timeout.count() / 1000.0);
    secs.erase(secs.find_last_not_of('0') + 1);
    if (!secs.empty() && secs.back() == '.') secs.pop_back();
    pending[jid].timer = bus.post_after(req.timeout, [self, jid, secs] {
      auto s = self.lock();
      if (!s) return;
      auto it = s->pending.find(jid);
      if (it == s->pending.end()) return;
      it->second.timer = 0;
      s->finish(jid, make_error(ErrorKind::kTimeout, "no result from the minion within " + secs +
                                                         " s; the job may still be running"));
    });
  }
};

List MinionJobStrategy::job_args(const JobRequest& request) {
  List arg = request.args;
  if (!request.kwargs.empty()) {
    Map kw = request.kwargs;
    kw["__kwarg__"] = Value(true);
    arg.push_back(Value(std::move(kw)));
  }
  return arg;
}

std::string MinionJobStrategy::jid_of_ret_tag(std::string_view tag) {
  constexpr std::string_view head = "salt/job/", tail = "/ret";
  if (tag.size() <= head.size() + tail.size() || tag.substr(0, head.size()) != head ||
      tag.substr(tag.size() - tail.size()) != tail)
    return {};
  std::string_view jid = tag.substr(head.size(), tag.size() - head.size() - tail.size());
  if (jid.find('/') != std::string_view::npos) return {};  // salt/job/<jid>/ret/<minion> etc.
  return std::string(jid);
}

MinionJobStrategy::MinionJobStrategy(EventBus& bus, JidGenerator& jids, MinionJobOptions options)
    : impl_(std::make_shared<Impl>(bus, jids, std::move(options))) {
  std::weak_ptr<Impl> w = impl_;
  impl_->sub_id = bus.subscribe("salt/job/", [w](const Event& ev) {
    if (auto s = w.lock()) s->on_ret(ev);
  });
  impl_->state_id = bus.add_state_listener([w](bool up, const std::string& reason) {
    if (auto s = w.lock()) s->on_state(up, reason);
  });
}

MinionJobStrategy::~MinionJobStrategy() {
  impl_->bus.unsubscribe(impl_->sub_id);
  impl_->bus.remove_state_listener(impl_->state_id);
  // Jobs still pending are answered rather than dropped.
  auto impl = impl_;
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  impl_->bus.post([impl, done] {
    impl->on_state(false, "saltgw is shutting down");
    done->set_value();
  });
  if (fut.wait_for(std::chrono::seconds(2)) != std::future_status::ready)
    log(LogLevel::kWarning, "minion_job: I/O thread did not answer at shutdown");
}

std::string MinionJobStrategy::submit(JobRequest request, JobCallback done) {
  std::string jid = request.jid.empty() ? impl_->jids.next() : request.jid;
  impl_->count++;
  auto impl = impl_;
  impl_->bus.post([impl, jid, request = std::move(request), done = std::move(done)]() mutable {
    if (impl->pending.count(jid)) {  // a caller reused a jid still in flight
      impl->count--;
      done(make_error(ErrorKind::kInvalidArgument, "job " + jid + " is already running"));
      return;
    }
    impl->pending[jid] = Impl::Pending{request.fun, std::move(done), 0};
    impl->start_job(jid, request);
  });
  return jid;
}

size_t MinionJobStrategy::in_flight() const { return impl_->count.load(); }

bool MinionJobStrategy::cancel(const std::string& jid, Error why) {
  auto impl = impl_;
  auto done = std::make_shared<std::promise<bool>>();
  auto fut = done->get_future();
  impl_->bus.post([impl, jid, why, done]() mutable {
    bool found = impl->pending.count(jid) > 0;
    if (found) impl->finish(jid, std::move(why));
    done->set_value(found);
  });
  if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return false;
  return fut.get();
}

}  // namespace saltgw::salt_ipc
