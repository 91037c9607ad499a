#include "salt_ipc/schedule_strategy.h"

namespace saltgw::salt_ipc {

namespace {

constexpr std::string_view kNamePrefix = "saltgw_";

class ScheduleProtocol : public BusProtocol {
 public:
  std::string_view name() const override { return "schedule"; }
  std::string key_for(const std::string& jid) const override { return ScheduleStrategy::schedule_name(jid); }
  std::string answer_tag() const override { return "__schedule_return"; }
  std::string key_of(const Event& ev) const override {
    const Value* sched = ev.data.find("schedule");
    return sched && sched->is_string() ? sched->as_string() : std::string();
  }

  Status start(Bus& bus, const std::string& key, const std::string& jid, const JobRequest& req) const override {
    (void)jid;
    Map entry{{"function", req.fun},
              {"args", Value(req.args)},
              {"enabled", false},
              {"jid_include", true},
              {"maxrunning", 1},
              {"name", key}};
    if (!req.kwargs.empty()) entry["kwargs"] = Value(req.kwargs);
    Status st = bus.publish("manage_schedule", Map{{"func", "add"},
                                                   {"persist", false},
                                                   {"schedule", Map{{key, Value(std::move(entry))}}}});
    if (st) st = bus.publish("manage_schedule", Map{{"func", "run_job"}, {"name", key}});
    return st;
  }

  void clean_up(Bus& bus, const std::string& key) const override {
    (void)bus.publish("manage_schedule", Map{{"func", "delete"}, {"name", key}, {"persist", false}});
  }

  std::string process_field() const override { return "schedule"; }
  std::string process_value(const std::string& key, const std::string& jid) const override {
    (void)jid;
    return key;
  }
};

}  // namespace

ScheduleStrategy::ScheduleStrategy(Bus& bus, JidGenerator& jids, ScheduleOptions options)
    : BusStrategy(bus, jids, std::make_shared<ScheduleProtocol>(), options.max_event_size) {}

std::string ScheduleStrategy::schedule_name(const std::string& jid) { return std::string(kNamePrefix) + jid; }

}  // namespace saltgw::salt_ipc
