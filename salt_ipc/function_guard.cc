#include "salt_ipc/function_guard.h"

#include <atomic>
#include <mutex>
#include <unordered_set>

#include "salt_ipc/log.h"

namespace saltgw::salt_ipc {

using Clock = std::chrono::steady_clock;

struct FunctionGuard::Impl : std::enable_shared_from_this<Impl> {
  Strategy& inner;
  std::chrono::seconds trust_for;
  mutable std::mutex mu;
  std::unordered_set<std::string> functions;
  Clock::time_point loaded_at{};
  bool loaded = false;
  bool loading = false;
  uint64_t generation = 0;  // bumped by invalidate(); a load started earlier is stale

  Impl(Strategy& s, std::chrono::seconds t) : inner(s), trust_for(t) {}

  void refresh() {
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (loading) return;
      loading = true;
      gen = generation;
    }
    std::weak_ptr<Impl> weak = shared_from_this();
    inner.submit(JobRequest{"sys.list_functions", {}, {}, std::chrono::seconds(60)},
                 [weak, gen](Result<JobResult> r) {
                   auto self = weak.lock();
                   if (!self) return;
                   std::lock_guard<std::mutex> lock(self->mu);
                   self->loading = false;
                   if (!r || !r->ret.is_list()) {
                     log(LogLevel::kWarning, "function list: could not load (" +
                                                 (r ? std::string("not a list") : r.error().message) +
                                                 "); unknown functions are left to the minion");
                     return;
                   }
                   std::unordered_set<std::string> fresh;
                   for (const auto& f : r->ret.as_list())
                     if (f.is_string()) fresh.insert(f.as_string());
                   self->functions.swap(fresh);
                   self->loaded = true;
                   self->loaded_at = gen == self->generation ? Clock::now() : Clock::time_point{};
                   log(LogLevel::kInfo, "function list: " + std::to_string(self->functions.size()) +
                                            " functions loaded");
                 });
  }
};

FunctionGuard::FunctionGuard(Strategy& inner, std::chrono::seconds trust_for)
    : impl_(std::make_shared<Impl>(inner, trust_for)) {}

FunctionGuard::~FunctionGuard() = default;

std::string_view FunctionGuard::name() const { return impl_->inner.name(); }

size_t FunctionGuard::in_flight() const { return impl_->inner.in_flight(); }

Capabilities FunctionGuard::capabilities() const { return impl_->inner.capabilities(); }

void FunctionGuard::refresh() { impl_->refresh(); }

bool FunctionGuard::cancel(const std::string& jid, Error why) { return impl_->inner.cancel(jid, std::move(why)); }

void FunctionGuard::stop(const std::string& jid, StopCallback done) { impl_->inner.stop(jid, std::move(done)); }

void FunctionGuard::invalidate() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->generation++;
    impl_->loaded_at = Clock::time_point{};
  }
  impl_->refresh();
}

size_t FunctionGuard::size() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->loaded ? impl_->functions.size() : 0;
}

std::string FunctionGuard::submit(JobRequest request, JobCallback done) {
  bool refuse = false, reload = false;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->loaded && !impl_->functions.count(request.fun)) {
      bool fresh = Clock::now() - impl_->loaded_at < impl_->trust_for;
      if (fresh) refuse = true;
      else reload = true;
    }
  }
  if (reload) impl_->refresh();
  if (refuse) {
    done(make_error(ErrorKind::kUnknownFunction,
                    "unknown function '" + request.fun + "': '" + request.fun +
                        "' is not available on this minion"));
    return request.jid;
  }
  return impl_->inner.submit(std::move(request), std::move(done));
}

}  // namespace saltgw::salt_ipc
