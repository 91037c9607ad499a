// The core of the dispatch strategies that run jobs over the minion's event
// bus (schedule, minion_job): one table of jobs in flight (InFlightJobs),
// one way to submit, answer, time out, cancel and stop a job. What differs
// between them, the Salt protocol of one dispatch, is a BusProtocol.
//
// For each job, all on the bus's I/O thread: the job is added under
// protocol.key_for(jid); protocol.start() pushes what makes the minion run
// it; the minion's answer (an event under protocol.answer_tag() that
// protocol.key_of() maps to the key) is read by read_job_return() and
// settle_result() (salt_ipc/job.h) and completes the job. A job completes
// exactly once, whichever comes first: its answer, its timeout (kTimeout),
// cancel() or stop(), the loss of the bus connection (kConnectionLost: no
// answer will come), or the strategy's destruction (kCancelled). After an
// answer, a timeout or a stop, protocol.clean_up() removes what the job left
// on the minion.
//
// stop(): the job runs in a process of its own on the minion (StopKind
// kProcess). The process is found with `saltutil.running` (the entry whose
// field protocol.process_field() equals protocol.process_value()), killed
// with `saltutil.kill_job`, and the job completed with kCancelled; both
// helper jobs run through this same strategy.
//
// Depends on Bus (salt_ipc/bus.h) only, so it is unit-tested with an
// in-memory bus (tests/unit/bus_strategy_test.cc).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "salt_ipc/bus.h"
#include "salt_ipc/event.h"
#include "salt_ipc/jid.h"
#include "salt_ipc/job.h"

namespace saltgw::salt_ipc {

// The Salt protocol of one bus dispatch. Called on the bus's I/O thread
// (name() and key_for() on any thread); must not block.
class BusProtocol {
 public:
  virtual ~BusProtocol() = default;
  virtual std::string_view name() const = 0;
  // The key a job is kept under: what the minion's answer carries.
  virtual std::string key_for(const std::string& jid) const = 0;
  // Tag prefix of the events that carry answers.
  virtual std::string answer_tag() const = 0;
  // The key an event answers; empty when it answers no job.
  virtual std::string key_of(const Event& event) const = 0;
  // Pushes what makes the minion run the job.
  virtual Status start(Bus& bus, const std::string& key, const std::string& jid, const JobRequest& request) const = 0;
  // Removes what a job left on the minion (called while the bus is up).
  virtual void clean_up(Bus& bus, const std::string& key) const {
    (void)bus;
    (void)key;
  }
  // How `saltutil.running` shows the job's process: its `field` equals `value`.
  virtual std::string process_field() const = 0;
  virtual std::string process_value(const std::string& key, const std::string& jid) const = 0;
};

class BusStrategy : public Strategy {
 public:
  // `max_event_size` is quoted when the minion trimmed a result.
  BusStrategy(Bus& bus, JidGenerator& jids, std::shared_ptr<const BusProtocol> protocol, int64_t max_event_size);
  // Jobs still in flight are answered with kCancelled (waits up to 2 s for the I/O thread).
  ~BusStrategy() override;
  BusStrategy(const BusStrategy&) = delete;
  BusStrategy& operator=(const BusStrategy&) = delete;

  std::string_view name() const override;
  std::string submit(JobRequest request, JobCallback done) override;
  size_t in_flight() const override;
  // progress kNone (Salt sends state events to a master only), stop kProcess.
  Capabilities capabilities() const override;
  bool cancel(const std::string& jid, Error why) override;
  void stop(const std::string& jid, StopCallback done) override;

 private:
  struct Core;
  std::shared_ptr<Core> core_;
};

}  // namespace saltgw::salt_ipc
