#include "salt_ipc/engine_strategy.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <zmq.hpp>

#include "salt_ipc/log.h"
#include "salt_ipc/msgpack_codec.h"

namespace saltgw::salt_ipc {

using Clock = std::chrono::steady_clock;

std::string engine_endpoint_for(const std::string& sock_dir) {
  return "ipc://" + sock_dir + "/saltgw.ipc";
}

namespace {
// Reply callback: the decoded reply map or an error.
using ReplyFn = std::function<void(Result<Value>)>;
}  // namespace

struct EngineStrategy::Impl {
  JidGenerator& jids;
  EngineOptions opts;
  zmq::context_t ctx{1};
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<bool> peer_up{false};
  std::atomic<size_t> count{0};
  int wake_fd = -1;

  struct Outgoing {
    std::string id;
    std::string payload;
    Clock::time_point deadline;
    std::string what;  // for timeout messages
    ReplyFn reply;
  };
  std::mutex mu;
  std::deque<Outgoing> queue;

  // I/O thread only.
  struct Pending {
    Clock::time_point deadline;
    std::string what;
    ReplyFn reply;
  };
  std::map<std::string, Pending> pending;
  std::set<std::pair<Clock::time_point, std::string>> deadlines;
  uint64_t next_ctl = 0;

  Impl(JidGenerator& j, EngineOptions o) : jids(j), opts(std::move(o)) {
    wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  ~Impl() {
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void enqueue(Outgoing o) {
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back(std::move(o));
    }
    uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wake_fd, &one, sizeof one);
  }

  void complete(const std::string& id, Result<Value> r) {
    auto it = pending.find(id);
    if (it == pending.end()) return;
    Pending p = std::move(it->second);
    deadlines.erase({p.deadline, id});
    pending.erase(it);
    p.reply(std::move(r));
  }

  void fail_all(ErrorKind kind, const std::string& why) {
    std::vector<std::string> ids;
    for (auto& [id, p] : pending) ids.push_back(id);
    for (auto& id : ids) complete(id, make_error(kind, why));
  }

  void loop() {
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::immediate, 1);
    dealer.set(zmq::sockopt::linger, 0);
    dealer.set(zmq::sockopt::reconnect_ivl, 100);
    dealer.set(zmq::sockopt::reconnect_ivl_max, 2000);
    dealer.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(opts.max_message_bytes));
    dealer.set(zmq::sockopt::sndhwm, 10000);
    // Each strategy has its own context, so one inproc name is enough.
    zmq_socket_monitor(dealer.handle(), "inproc://saltgw-engine-monitor",
                       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED);
    zmq::socket_t monitor(ctx, zmq::socket_type::pair);
    monitor.connect("inproc://saltgw-engine-monitor");
    dealer.connect(opts.endpoint);

    while (!stopping) {
      int timeout = 1000;
      if (!deadlines.empty()) {
        auto d = std::chrono::duration_cast<std::chrono::milliseconds>(deadlines.begin()->first - Clock::now()).count();
        timeout = static_cast<int>(std::clamp<int64_t>(d + 1, 0, 1000));
      }
      zmq::pollitem_t items[] = {{dealer.handle(), 0, ZMQ_POLLIN, 0},
                                 {monitor.handle(), 0, ZMQ_POLLIN, 0},
                                 {nullptr, wake_fd, ZMQ_POLLIN, 0}};
      try {
        zmq::poll(items, 3, std::chrono::milliseconds(timeout));
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) log(LogLevel::kError, std::string("engine: poll failed: ") + e.what());
        continue;
      }
      if (items[1].revents & ZMQ_POLLIN) {
        zmq::message_t ev, addr;
        if (monitor.recv(ev, zmq::recv_flags::dontwait) && monitor.recv(addr, zmq::recv_flags::dontwait) &&
            ev.size() >= 2) {
          uint16_t event;
          std::memcpy(&event, ev.data(), sizeof event);
          // Up once the ZMTP handshake is done: only then does ZMQ_IMMEDIATE
          // let messages through (CONNECTED comes earlier).
          if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            if (!peer_up.exchange(true)) log(LogLevel::kInfo, "engine: connected to " + opts.endpoint);
          } else if (event == ZMQ_EVENT_DISCONNECTED) {
            peer_up = false;
            log(LogLevel::kWarning, "engine: " + opts.endpoint + " went away");
            fail_all(ErrorKind::kConnectionLost,
                     "lost the connection to the executor engine while the job was running "
                     "(minion restarted?); the job's result is unknown");
          }
        }
      }
      if (items[0].revents & ZMQ_POLLIN) {
        for (int i = 0; i < 1000; ++i) {
          zmq::message_t msg;
          auto got = dealer.recv(msg, zmq::recv_flags::dontwait);
          if (!got) break;
          auto v = msgpack_decode(std::string_view(static_cast<const char*>(msg.data()), msg.size()));
          if (!v || !v->is_map()) {
            log(LogLevel::kWarning, "engine: dropping an undecodable reply");
            continue;
          }
          const Value* id = v->find("id");
          if (!id || !id->is_string()) continue;
          complete(id->as_string(), std::move(v).value());
        }
      }
      if (items[2].revents & ZMQ_POLLIN) {
        uint64_t n;
        [[maybe_unused]] auto r = ::read(wake_fd, &n, sizeof n);
        std::deque<Outgoing> batch;
        {
          std::lock_guard<std::mutex> lock(mu);
          batch.swap(queue);
        }
        for (auto& o : batch) {
          pending[o.id] = Pending{o.deadline, o.what, std::move(o.reply)};
          deadlines.emplace(o.deadline, o.id);
          bool sent = false;
          try {
            sent = dealer.send(zmq::buffer(o.payload), zmq::send_flags::dontwait).has_value();
          } catch (const zmq::error_t& e) {
            complete(o.id, make_error(ErrorKind::kEngineUnavailable, std::string("engine: ") + e.what()));
            continue;
          }
          if (!sent)
            complete(o.id, make_error(ErrorKind::kEngineUnavailable,
                                      "the saltgw executor engine is not running in the minion (no listener on " +
                                          opts.endpoint +
                                          "); enable it with 'engines: [{saltgw_executor: {}}]' in "
                                          "/etc/salt/minion.d/saltgw.conf and restart the minion, or set "
                                          "dispatch: schedule"));
        }
      }
      auto now = Clock::now();
      while (!deadlines.empty() && deadlines.begin()->first <= now) {
        std::string id = deadlines.begin()->second;
        auto it = pending.find(id);
        std::string what = it != pending.end() ? it->second.what : "request";
        complete(id, make_error(ErrorKind::kTimeout, "no answer from the executor engine for " + what +
                                                         " in time; the job may still be running"));
      }
    }
    fail_all(ErrorKind::kCancelled, "saltgw is shutting down");
    zmq_socket_monitor(dealer.handle(), nullptr, 0);  // stop monitoring before the PAIR closes
  }

  void request(Map body, std::string id, std::chrono::milliseconds timeout, std::string what, ReplyFn reply) {
    body["id"] = Value(id);
    enqueue(Outgoing{id, msgpack_encode(Value(std::move(body))), Clock::now() + timeout, std::move(what),
                     std::move(reply)});
  }

  Result<Value> call(Map body, std::chrono::milliseconds timeout) {
    // ZMQ_IMMEDIATE refuses to queue before the connection is up: right after
    // start-up, give it the time the caller allows.
    auto until = Clock::now() + timeout;
    while (!peer_up.load() && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    timeout = std::max(std::chrono::milliseconds(50),
                       std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()));
    auto p = std::make_shared<std::promise<Result<Value>>>();
    auto f = p->get_future();
    std::string id = "ctl-" + jids.next();
    std::string op = body["op"].is_string() ? body["op"].as_string() : "request";
    request(std::move(body), id, timeout, op, [p](Result<Value> r) { p->set_value(std::move(r)); });
    if (f.wait_for(timeout + std::chrono::seconds(2)) != std::future_status::ready)
      return make_error(ErrorKind::kTimeout, "engine did not answer");
    auto r = f.get();
    if (r && r->find("error")) return make_error(ErrorKind::kProtocol, "engine: " + std::string(r->find("error")->text()));
    return r;
  }
};

EngineStrategy::EngineStrategy(JidGenerator& jids, EngineOptions options)
    : impl_(std::make_unique<Impl>(jids, std::move(options))) {
  impl_->thread = std::thread([this] { impl_->loop(); });
}

EngineStrategy::~EngineStrategy() {
  impl_->stopping = true;
  uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(impl_->wake_fd, &one, sizeof one);
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string EngineStrategy::submit(JobRequest req, JobCallback done) {
  std::string jid = req.jid.empty() ? impl_->jids.next() : req.jid;
  impl_->count++;
  Impl* impl = impl_.get();
  std::string fun = req.fun;
  int64_t max_event = impl_->opts.max_event_size;
  Map body{{"op", Value("run")},
           {"jid", Value(jid)},
           {"fun", Value(req.fun)},
           {"arg", Value(std::move(req.args))},
           {"kwarg", Value(std::move(req.kwargs))},
           {"timeout", Value(static_cast<double>(req.timeout.count()) / 1000.0)}};
  impl_->request(std::move(body), jid, req.timeout, fun,
                 [impl, jid, fun, max_event, done = std::move(done)](Result<Value> r) {
                   impl->count--;
                   if (!r) return done(r.error());
                   const Value& v = r.value();
                   if (const Value* e = v.find("error"))
                     return done(make_error(ErrorKind::kProtocol, "engine refused the job: " + std::string(e->text())));
                   if (const Value* t = v.find("timed_out"); t && t->is_bool() && t->as_bool())
                     return done(make_error(ErrorKind::kTimeout, "the job did not finish within its timeout in the "
                                                                 "executor engine; it may still be running there"));
                   JobResult res;
                   res.jid = jid;
                   res.fun = fun;
                   if (const Value* x = v.find("return")) res.ret = *x;
                   const Value* s = v.find("success");
                   res.success = s && s->is_bool() && s->as_bool();
                   if (const Value* x = v.find("retcode"); x && x->is_int()) res.retcode = static_cast<int>(x->as_int());
                   done(settle_result(std::move(res), max_event));
                 });
  return jid;
}

size_t EngineStrategy::in_flight() const { return impl_->count.load(); }

bool EngineStrategy::connected() const { return impl_->peer_up.load(); }

Result<Value> EngineStrategy::ping(std::chrono::milliseconds timeout) {
  return impl_->call(Map{{"op", Value("ping")}}, timeout);
}

Result<std::vector<std::string>> EngineStrategy::functions(std::chrono::milliseconds timeout) {
  auto r = impl_->call(Map{{"op", Value("functions")}}, timeout);
  if (!r) return r.error();
  const Value* f = r->find("functions");
  if (!f || !f->is_list()) return make_error(ErrorKind::kProtocol, "engine sent no function list");
  std::vector<std::string> out;
  for (const auto& e : f->as_list())
    if (e.is_string()) out.push_back(e.as_string());
  return out;
}

}  // namespace saltgw::salt_ipc
