// What saltgw takes from Pistache, and the one place that works around what
// Pistache 0.0.5 (Debian's libpistache0 0.0.5+ds) cannot do.
//
// saltgw uses Pistache's TCP layer only, through its public API: Tcp::Listener
// (accept thread, reactor threads), Tcp::Handler's onConnection / onInput /
// onDisconnection, Tcp::Peer::send (its promise is resolved on the reactor
// thread once the bytes are written) and a Tcp::Transport subclass made by
// Listener::setTransportFactory, as Pistache's own Http::Endpoint does. HTTP
// itself is saltgw's (rest/http/). The limitations, each with why it matters:
//
//  1. Http::Endpoint arms a periodic 500 ms timer on every reactor thread
//     (Http::TransportImpl::checkIdlePeers), whether or not any connection
//     is open: an idle saltgw would wake 4 times a second. Hence no
//     Http::Endpoint: a Tcp::Listener with ReactorTransport.
//  2. Transport::armTimer registers a timer's fd with the poller once
//     (EPOLL_CTL_ADD): a fired timer's fd cannot be armed again, and
//     disarmTimer leaves the kernel timer running (it still wakes the thread).
//     ReactorTransport keeps one timerfd of its own in the reactor's poller,
//     armed for the earliest deadline of its connections and disarmed when
//     there is none.
//  3. Pistache's PollableQueue (the write queue behind Peer::send, the timer
//     queue) can lose a wake-up when pushed from another thread (its pop reads
//     the eventfd after finding the queue empty), and nothing in the public API
//     runs a task on a reactor thread. ReactorTransport has a mailbox of its
//     own (an eventfd in the reactor's poller, drained before the tasks are
//     taken), and saltgw calls Peer::send only on the connection's reactor
//     thread, where the push and the pop cannot race.
//  4. A write that fails with EPIPE or ECONNRESET leaves Peer::send's promise
//     neither resolved nor rejected. Connections are therefore never kept
//     alive by a pending send: they end when Pistache reports the disconnection.
//  5. There is no way to stop reading a connection (Transport re-enables
//     reading whenever it writes): input that arrives while an answer is in
//     progress is buffered up to a limit (rest/http/connection.h).
//  6. Closing: Transport::removePeer (protected) closes the fd at once, which
//     can turn unread input into a reset that destroys the answer still on
//     its way. saltgw shuts the socket down instead (shutdown(2) on
//     Peer::fd()), and Pistache closes it when it reads the end.
//
// tests/unit/pistache_adapter_test.cc pins the version (pistache/version.h)
// and the behaviour relied on: a ReactorTransport's reactor has no timer while
// nothing is due, tasks posted from another thread run on the reactor thread,
// and Peer::send's promise resolves there.
#pragma once

#include <pistache/listener.h>
#include <pistache/transport.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace saltgw::rest::http {

// Tasks for one reactor thread, posted from any thread.
class Mailbox {
 public:
  Mailbox();
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Queues `task` to run on the reactor thread (dropped if the reactor has
  // stopped). Thread-safe.
  void post(std::function<void()> task);
  // The eventfd that is readable while tasks wait.
  int fd() const { return fd_; }
  // Reactor thread: takes the waiting tasks (after clearing the eventfd, so a
  // task posted meanwhile makes it readable again).
  std::vector<std::function<void()>> take();

 private:
  int fd_;
  std::mutex mu_;
  std::vector<std::function<void()>> tasks_;
};

// What the reactor thread calls back (implemented by the server's handler).
class ReactorClient {
 public:
  virtual ~ReactorClient() = default;
  // The reactor's timer fired (some deadline may have passed).
  virtual void on_timer() = 0;
};

class ReactorTransport : public Pistache::Tcp::Transport {
 public:
  // `handler` must also be a ReactorClient.
  explicit ReactorTransport(const std::shared_ptr<Pistache::Tcp::Handler>& handler);
  ~ReactorTransport() override;

  void registerPoller(Pistache::Polling::Epoll& poller) override;
  void onReady(const Pistache::Aio::FdSet& fds) override;
  std::shared_ptr<Pistache::Aio::Handler> clone() const override;

  // Reactor thread: the one timer fires once at `when` (or at once if past);
  // disarm() stops it.
  void arm(std::chrono::steady_clock::time_point when);
  void disarm();
  bool on_reactor_thread() const { return context().thread() == std::this_thread::get_id(); }
  const std::shared_ptr<Mailbox>& mailbox() const { return mailbox_; }

 private:
  std::shared_ptr<Pistache::Tcp::Handler> handler_;
  ReactorClient* client_;
  std::shared_ptr<Mailbox> mailbox_ = std::make_shared<Mailbox>();
  int timer_fd_ = -1;
  bool armed_ = false;
};

}  // namespace saltgw::rest::http
