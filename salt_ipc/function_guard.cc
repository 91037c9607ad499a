#include "salt_ipc/function_guard.h"

#include <mutex>
#include <unordered_set>

#include "salt_ipc/log.h"

namespace saltgw::salt_ipc {

using Clock = std::chrono::steady_clock;

// The cached list, shared by every guard built from the first one.
struct FunctionGuard::List : std::enable_shared_from_this<List> {
  Strategy& loader;  // runs sys.list_functions
  std::chrono::seconds trust_for;
  mutable std::mutex mu;
  std::unordered_set<std::string> functions;
  Clock::time_point loaded_at{};
  bool loaded = false;
  bool loading = false;
  uint64_t generation = 0;  // bumped by invalidate(); a load started earlier is stale

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

  void loaded_now(uint64_t gen, Result<JobResult> r) {
    std::lock_guard<std::mutex> lock(mu);
    loading = false;
    if (!r || !r->ret.is_list()) {
      log(LogLevel::kWarning, "function list: could not load (" + (r ? std::string("not a list") : r.error().message) +
                                  "); unknown functions are left to the minion");
      return;
    }
    std::unordered_set<std::string> fresh;
    for (const auto& f : r->ret.as_list())
      if (f.is_string()) fresh.insert(f.as_string());
    functions.swap(fresh);
    loaded = true;
    loaded_at = gen == generation ? Clock::now() : Clock::time_point{};
    log(LogLevel::kInfo, "function list: " + std::to_string(functions.size()) + " functions loaded");
  }

  enum class Verdict { kPass, kRefuse, kPassAndReload };
  Verdict judge(const std::string& fun) const {
    std::lock_guard<std::mutex> lock(mu);
    if (!loaded || functions.count(fun)) return Verdict::kPass;
    return Clock::now() - loaded_at < trust_for ? Verdict::kRefuse : Verdict::kPassAndReload;
  }
};

FunctionGuard::FunctionGuard(Strategy& inner, std::chrono::seconds trust_for)
    : inner_(inner), list_(std::make_shared<List>(inner, trust_for)) {}

FunctionGuard::FunctionGuard(Strategy& inner, const FunctionGuard& shares_list_of)
    : inner_(inner), list_(shares_list_of.list_) {}

FunctionGuard::~FunctionGuard() = default;

std::string_view FunctionGuard::name() const { return inner_.name(); }

size_t FunctionGuard::in_flight() const { return inner_.in_flight(); }

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

size_t FunctionGuard::size() const {
  std::lock_guard<std::mutex> lock(list_->mu);
  return list_->loaded ? list_->functions.size() : 0;
}

std::string FunctionGuard::submit(JobRequest request, JobCallback done) {
  List::Verdict verdict = list_->judge(request.fun);
  if (verdict == List::Verdict::kPassAndReload) list_->refresh();
  if (verdict == List::Verdict::kRefuse) {
    done(make_error(ErrorKind::kUnknownFunction,
                    "unknown function '" + request.fun + "': '" + request.fun + "' is not available on this minion"));
    return request.jid;
  }
  return inner_.submit(std::move(request), std::move(done));
}

}  // namespace saltgw::salt_ipc
