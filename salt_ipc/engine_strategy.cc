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

  // The DEALER socket is used by the I/O thread and by the threads that
  // submit jobs (they send directly, saving a hand-over to the I/O thread);
  // `sock_mu` serialises every use of it (ZeroMQ allows a socket to move
  // between threads with a full memory barrier between uses). The I/O thread
  // waits on the socket's ZMQ_FD without the lock, so a sender never waits
  // for it. ZMQ_FD is edge-triggered: any use of the socket may consume its
  // signal, so whoever used the socket last checks ZMQ_EVENTS and wakes the
  // I/O thread when a reply is already waiting.
  std::mutex sock_mu;
  zmq::socket_t* dealer = nullptr;  // null until the I/O thread made it, and after it stopped
  struct Pending {
    Clock::time_point deadline;
    std::string what;
    ReplyFn reply;
    ReplyFn progress;  // empty unless the request asked for progress
    int64_t progress_seen = 0;
  };
  std::map<std::string, Pending> pending;
  std::set<std::pair<Clock::time_point, std::string>> deadlines;
  // Until `dealer` exists, requests wait here.
  struct Outgoing {
    std::string id;
    std::string payload;
    Clock::time_point deadline;
    std::string what;
    ReplyFn reply;
    ReplyFn progress;
  };
  std::deque<Outgoing> queue;
  // When the I/O thread will look at deadlines next (it is woken for earlier ones).
  std::atomic<int64_t> next_check_ns{0};
  // The engine's protocol version from its last pong (0: not known yet).
  std::atomic<int64_t> protocol{0};

  using Completion = std::pair<ReplyFn, Result<Value>>;

  Impl(JidGenerator& j, EngineOptions o) : jids(j), opts(std::move(o)) {
    wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  ~Impl() {
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void wake() {
    uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wake_fd, &one, sizeof one);
  }

  static void run(std::vector<Completion>& done) {
    for (auto& [reply, result] : done) reply(std::move(result));
    done.clear();
  }

  // sock_mu held. Removes the job and queues its reply for after the unlock
  // (after a "lost" progress notice when the reply counts more progress
  // messages than arrived).
  void complete_locked(const std::string& id, Result<Value> r, std::vector<Completion>& done) {
    auto it = pending.find(id);
    if (it == pending.end()) return;
    deadlines.erase({it->second.deadline, id});
    if (const Value* sent = r ? r->find("progress_sent") : nullptr;
        sent && sent->is_int() && it->second.progress && sent->as_int() > it->second.progress_seen)
      done.emplace_back(it->second.progress, Value(Map{{"lost", Value(sent->as_int() - it->second.progress_seen)}}));
    done.emplace_back(std::move(it->second.reply), std::move(r));
    pending.erase(it);
  }

  void fail_all_locked(ErrorKind kind, const std::string& why, std::vector<Completion>& done) {
    std::vector<std::string> ids;
    for (auto& [id, p] : pending) ids.push_back(id);
    for (auto& id : ids) complete_locked(id, make_error(kind, why), done);
  }

  std::string unavailable() const {
    return "the saltgw executor engine is not running in the minion (no listener on " + opts.endpoint +
           "); enable it with 'engines: [{saltgw_executor: {}}]' in /etc/salt/minion.d/saltgw.conf and restart "
           "the minion, or set dispatch: schedule";
  }

  // sock_mu held, `dealer` set. Sends one request.
  void send_locked(Outgoing o, std::vector<Completion>& done) {
    pending[o.id] = Pending{o.deadline, o.what, std::move(o.reply), std::move(o.progress)};
    deadlines.emplace(o.deadline, o.id);
    bool sent = false;
    try {
      sent = dealer->send(zmq::buffer(o.payload), zmq::send_flags::dontwait).has_value();
    } catch (const zmq::error_t& e) {
      return complete_locked(o.id, make_error(ErrorKind::kEngineUnavailable, std::string("engine: ") + e.what()), done);
    }
    if (!sent) complete_locked(o.id, make_error(ErrorKind::kEngineUnavailable, unavailable()), done);
  }

  // sock_mu held. True when a reply is waiting on the socket.
  bool readable_locked() {
    try {
      return (dealer->get(zmq::sockopt::events) & ZMQ_POLLIN) != 0;
    } catch (const zmq::error_t&) {
      return false;
    }
  }

  // sock_mu held. Takes every reply waiting on the socket.
  void receive_locked(std::vector<Completion>& done) {
    for (int i = 0; i < 1000; ++i) {
      zmq::message_t msg;
      zmq::recv_result_t got;
      try {
        got = dealer->recv(msg, zmq::recv_flags::dontwait);
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) log(LogLevel::kWarning, std::string("engine: receive failed: ") + e.what());
        return;
      }
      if (!got) return;
      // A large reply (a big result) is not copied: its message is kept and
      // the result stays in it, packed (msgpack_decode_shared).
      Result<Value> v = Value();
      if (msg.size() < kPackedMinBytes) {
        v = msgpack_decode(std::string_view(static_cast<const char*>(msg.data()), msg.size()));
      } else {
        auto kept = std::make_shared<const zmq::message_t>(std::move(msg));
        v = msgpack_decode_shared(kept, std::string_view(static_cast<const char*>(kept->data()), kept->size()),
                                  kPackedMinBytes);
      }
      if (!v || !v->is_map()) {
        log(LogLevel::kWarning, "engine: dropping an undecodable reply");
        continue;
      }
      const Value* id = v->find("id");
      if (!id || !id->is_string()) continue;
      if (const Value* op = v->find("op"); op && op->is_string() && op->as_string() == "progress") {
        // Ahead of its job's reply on the same socket: queued in order.
        auto it = pending.find(id->as_string());
        if (it == pending.end() || !it->second.progress) continue;  // not asked for, or the job has ended
        it->second.progress_seen++;
        done.emplace_back(it->second.progress, std::move(v).value());
        continue;
      }
      complete_locked(id->as_string(), std::move(v).value(), done);
    }
  }

  void expire_locked(std::vector<Completion>& done) {
    auto now = Clock::now();
    while (!deadlines.empty() && deadlines.begin()->first <= now) {
      std::string id = deadlines.begin()->second;
      auto it = pending.find(id);
      std::string what = it != pending.end() ? it->second.what : "request";
      complete_locked(id, make_error(ErrorKind::kTimeout, "no answer from the executor engine for " + what +
                                                              " in time; the job may still be running"),
                      done);
    }
  }

  void loop() {
    zmq::socket_t sock(ctx, zmq::socket_type::dealer);
    sock.set(zmq::sockopt::immediate, 1);
    sock.set(zmq::sockopt::linger, 0);
    sock.set(zmq::sockopt::reconnect_ivl, 100);
    sock.set(zmq::sockopt::reconnect_ivl_max, 2000);
    sock.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(opts.max_message_bytes));
    sock.set(zmq::sockopt::sndhwm, 10000);
    // Each strategy has its own context, so one inproc name is enough.
    zmq_socket_monitor(sock.handle(), "inproc://saltgw-engine-monitor",
                       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED);
    zmq::socket_t monitor(ctx, zmq::socket_type::pair);
    monitor.connect("inproc://saltgw-engine-monitor");
    sock.connect(opts.endpoint);
    int sock_fd = sock.get(zmq::sockopt::fd);
    std::vector<Completion> done;
    {
      std::lock_guard<std::mutex> lock(sock_mu);
      dealer = &sock;
      while (!queue.empty()) {
        send_locked(std::move(queue.front()), done);
        queue.pop_front();
      }
    }
    run(done);

    while (!stopping) {
      int timeout = 1000;
      {
        std::lock_guard<std::mutex> lock(sock_mu);
        if (!deadlines.empty()) {
          auto d = std::chrono::duration_cast<std::chrono::milliseconds>(deadlines.begin()->first - Clock::now()).count();
          timeout = static_cast<int>(std::clamp<int64_t>(d + 1, 0, 1000));
        }
        next_check_ns = (Clock::now() + std::chrono::milliseconds(timeout)).time_since_epoch().count();
        // Replies that arrived while a sender used the socket.
        receive_locked(done);
      }
      run(done);
      zmq::pollitem_t items[] = {{nullptr, sock_fd, ZMQ_POLLIN, 0},
                                 {monitor.handle(), 0, ZMQ_POLLIN, 0},
                                 {nullptr, wake_fd, ZMQ_POLLIN, 0}};
      try {
        zmq::poll(items, 3, std::chrono::milliseconds(timeout));
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) log(LogLevel::kError, std::string("engine: poll failed: ") + e.what());
        continue;
      }
      if (items[2].revents & ZMQ_POLLIN) {
        uint64_t n;
        [[maybe_unused]] auto r = ::read(wake_fd, &n, sizeof n);
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
            std::lock_guard<std::mutex> lock(sock_mu);
            receive_locked(done);  // replies that made it before the connection went
            fail_all_locked(ErrorKind::kConnectionLost,
                            "lost the connection to the executor engine while the job was running "
                            "(minion restarted?); the job's result is unknown",
                            done);
          }
        }
      }
      {
        std::lock_guard<std::mutex> lock(sock_mu);
        receive_locked(done);
        expire_locked(done);
      }
      run(done);
    }
    {
      std::lock_guard<std::mutex> lock(sock_mu);
      dealer = nullptr;
      fail_all_locked(ErrorKind::kCancelled, "saltgw is shutting down", done);
      for (auto& o : queue) done.emplace_back(std::move(o.reply), make_error(ErrorKind::kCancelled, "saltgw is shutting down"));
      queue.clear();
    }
    run(done);
    zmq_socket_monitor(sock.handle(), nullptr, 0);  // stop monitoring before the PAIR closes
  }

  // Sends from the calling thread (or queues until the I/O thread has made
  // the socket). The reply callback runs on the I/O thread, or here when the
  // request fails at once.
  void request(Map body, std::string id, std::chrono::milliseconds timeout, std::string what, ReplyFn reply,
               ReplyFn progress = nullptr) {
    body["id"] = Value(id);
    Outgoing o{id,          msgpack_encode(Value(std::move(body))), Clock::now() + timeout, std::move(what),
               std::move(reply), std::move(progress)};
    std::vector<Completion> done;
    bool wake_io = false;
    {
      std::lock_guard<std::mutex> lock(sock_mu);
      if (stopping) {
        done.emplace_back(std::move(o.reply), make_error(ErrorKind::kCancelled, "saltgw is shutting down"));
      } else if (!dealer) {
        queue.push_back(std::move(o));
        wake_io = true;
      } else {
        auto deadline_ns = o.deadline.time_since_epoch().count();
        send_locked(std::move(o), done);
        // The send may have taken the socket's signal for a waiting reply;
        // and the I/O thread must see a deadline earlier than it planned.
        wake_io = readable_locked() || deadline_ns < next_check_ns.load();
      }
    }
    if (wake_io) wake();
    run(done);
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
    if (const Value* v = r ? r->find("protocol") : nullptr; v && v->is_int()) protocol = v->as_int();
    return r;
  }
};

EngineStrategy::EngineStrategy(JidGenerator& jids, EngineOptions options)
    : impl_(std::make_unique<Impl>(jids, std::move(options))) {
  impl_->thread = std::thread([this] { impl_->loop(); });
}

EngineStrategy::~EngineStrategy() {
  impl_->stopping = true;
  impl_->wake();
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
  ReplyFn progress;
  if (req.progress) {
    body["progress"] = Value(true);  // protocol 2; an older engine ignores it and sends none
    progress = [cb = std::move(req.progress)](Result<Value> r) {
      if (!r) return;
      JobProgress p;
      if (const Value* lost = r->find("lost"); lost && lost->is_int()) {
        p.lost = static_cast<size_t>(lost->as_int());
      } else {
        if (const Value* tag = r->find("tag"); tag && tag->is_string()) p.tag = tag->as_string();
        if (const Value* data = r->find("data")) p.data = *data;
      }
      cb(std::move(p));
    };
  }
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
                 },
                 std::move(progress));
  return jid;
}

size_t EngineStrategy::in_flight() const { return impl_->count.load(); }

ProgressKind EngineStrategy::progress_kind() const {
  int64_t p = impl_->protocol.load();
  return p == 0 || p >= 2 ? ProgressKind::kPerStep : ProgressKind::kNone;
}

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
