#include "salt_ipc/minion_job_strategy.h"

namespace saltgw::salt_ipc {

namespace {

class MinionJobProtocol : public BusProtocol {
 public:
  explicit MinionJobProtocol(std::string returner) : returner_(std::move(returner)) {}

  std::string_view name() const override { return "minion_job"; }
  std::string key_for(const std::string& jid) const override { return jid; }
  std::string answer_tag() const override { return "salt/job/"; }
  std::string key_of(const Event& ev) const override { return MinionJobStrategy::jid_of_ret_tag(ev.tag); }

  Status start(Bus& bus, const std::string& key, const std::string& jid, const JobRequest& req) const override {
    (void)key;
    return bus.publish("minion_job", Map{{"jid", jid},
                                         {"fun", req.fun},
                                         {"arg", Value(MinionJobStrategy::job_args(req))},
                                         {"ret", returner_}});
  }

  std::string process_field() const override { return "jid"; }
  std::string process_value(const std::string& key, const std::string& jid) const override {
    (void)key;
    return jid;
  }

 private:
  std::string returner_;
};

}  // namespace

MinionJobStrategy::MinionJobStrategy(Bus& bus, JidGenerator& jids, MinionJobOptions options)
    : BusStrategy(bus, jids, std::make_shared<MinionJobProtocol>(options.returner), options.max_event_size) {}

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

}  // namespace saltgw::salt_ipc
