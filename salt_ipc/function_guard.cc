#include "salt_ipc/function_guard.h"

#include <mutex>
#include <unordered_set>
#include <vector>

#include "salt_ipc/log.h"

namespace saltgw::salt_ipc {

using Clock = std::chrono::steady_clock;

// The cached list, shared by every guard built from the first one, and the
// jobs parked while it reloads.
struct FunctionGuard::List : std::enable_shared_from_this<List> {
  struct Parked {
    const FunctionGuard* owner;
    JobRequest request;
    JobCallback done;
  };
  enum class Verdict { kPass, kRefuse, kParked };

  Strategy& loader;  // runs sys.list_functions
  std::chrono::seconds trust_for;
  mutable std::mutex mu;
  // Held while parked jobs are handed on, so that a guard being destroyed
  // either takes its own parked jobs or waits until they were handed on.
  std::mutex hand_on;
  std::unordered_set<std::string> functions;
  Clock::time_point loaded_at{};
  bool loaded = false;
  bool loading = false;
  uint64_t generation = 0;  // bumped by invalidate(); a load started earlier is stale
  std::vector<Parked> parked;

  List(Strategy& s, std::chrono::seconds t) : loader(s), trust_for(t) {}

  void refresh() {
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (loading) return;
      loading = true;
      gen = generation;
    }
    std::weak_ptr<List> weak = shared_from_this();
    loader.submit(JobRequest{"sys.list_functions", {}, {}, std::chrono::seconds(60)},
                  [weak, gen](Result<JobResult> r) {
                    if (auto self = weak.lock()) self->loaded_now(gen, std::move(r));
                  });
  }

  // A known function (or any, before the first load) passes; an unknown one
  // is refused when the list is fresh, else parked (a copy of the request:
  // the caller still returns its jid) until the reload ends.
  Verdict admit(const FunctionGuard* owner, const JobRequest& request, JobCallback& done) {
    std::lock_guard<std::mutex> lock(mu);
    if (!loaded || functions.count(request.fun)) return Verdict::kPass;
    if (Clock::now() - loaded_at < trust_for) return Verdict::kRefuse;
    parked.push_back(Parked{owner, request, std::move(done)});
    return Verdict::kParked;
  }

  void loaded_now(uint64_t gen, Result<JobResult> r) {
    std::lock_guard<std::mutex> handing(hand_on);
    std::vector<Parked> waiting;
    bool ok = r && r->ret.is_list();
    {
      std::lock_guard<std::mutex> lock(mu);
      loading = false;
      waiting.swap(parked);
      if (ok) {
        std::unordered_set<std::string> fresh;
        for (const auto& f : r->ret.as_list())
          if (f.is_string()) fresh.insert(f.as_string());
        functions.swap(fresh);
        loaded = true;
        loaded_at = gen == generation ? Clock::now() : Clock::time_point{};
      }
    }
    if (ok)
      log(LogLevel::kInfo, "function list: " + std::to_string(size()) + " functions loaded");
    else
      log(LogLevel::kWarning, "function list: could not load (" + (r ? std::string("not a list") : r.error().message) +
                                  "); unknown functions are left to the minion");
    // Parked jobs are judged by this load, fresh or not: they never wait twice.
    for (auto& p : waiting) {
      bool known = !ok || has(p.request.fun);
      if (known) p.owner->inner_.submit(std::move(p.request), std::move(p.done));
      else p.done(refusal(p.request.fun));
    }
  }

  bool has(const std::string& fun) const {
    std::lock_guard<std::mutex> lock(mu);
    return functions.count(fun) > 0;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu);
    return loaded ? functions.size() : 0;
  }
  size_t parked_for(const FunctionGuard* owner) const {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = 0;
    for (const auto& p : parked) n += p.owner == owner;
    return n;
  }
  std::vector<Parked> take_parked(const FunctionGuard* owner) {
    std::lock_guard<std::mutex> handing(hand_on);
    std::lock_guard<std::mutex> lock(mu);
    std::vector<Parked> mine, others;
    for (auto& p : parked) (p.owner == owner ? mine : others).push_back(std::move(p));
    parked.swap(others);
    return mine;
  }

  static Error refusal(const std::string& fun) {
    return make_error(ErrorKind::kUnknownFunction,
                      "unknown function '" + fun + "': '" + fun + "' is not available on this minion");
  }
};

FunctionGuard::FunctionGuard(Strategy& inner, std::chrono::seconds trust_for)
    : inner_(inner), list_(std::make_shared<List>(inner, trust_for)) {}

FunctionGuard::FunctionGuard(Strategy& inner, const FunctionGuard& shares_list_of)
    : inner_(inner), list_(shares_list_of.list_) {}

FunctionGuard::~FunctionGuard() {
  // Jobs parked here are answered before `inner_` may go away.
  for (auto& p : list_->take_parked(this))
    p.done(make_error(ErrorKind::kCancelled, "saltgw is shutting down; the job was not started"));
}

std::string_view FunctionGuard::name() const { return inner_.name(); }

size_t FunctionGuard::in_flight() const { return inner_.in_flight() + list_->parked_for(this); }

Capabilities FunctionGuard::capabilities() const { return inner_.capabilities(); }

void FunctionGuard::refresh() { list_->refresh(); }

bool FunctionGuard::cancel(const std::string& jid, Error why) { return inner_.cancel(jid, std::move(why)); }

void FunctionGuard::stop(const std::string& jid, StopCallback done) { inner_.stop(jid, std::move(done)); }

void FunctionGuard::invalidate() {
  {
    std::lock_guard<std::mutex> lock(list_->mu);
    list_->generation++;
    list_->loaded_at = Clock::time_point{};
  }
  list_->refresh();
}

size_t FunctionGuard::size() const { return list_->size(); }

std::string FunctionGuard::submit(JobRequest request, JobCallback done) {
  switch (list_->admit(this, request, done)) {
    case List::Verdict::kPass: break;
    case List::Verdict::kRefuse: done(List::refusal(request.fun)); return request.jid;
    case List::Verdict::kParked: list_->refresh(); return request.jid;
  }
  return inner_.submit(std::move(request), std::move(done));
}

}  // namespace saltgw::salt_ipc
