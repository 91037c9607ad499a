// What saltgw takes from Pistache, and the one place that works around what
// Pistache 0.0.5 (Debian's libpistache0 0.0.5+ds) cannot do.
//
// saltgw uses Pistache's TCP layer only, through its public API: Tcp::Listener
// (accept thread, reactor threads), Tcp::Handler's onConnection / onInput /
// onDisconnection, Tcp::Peer for the socket and the client's address, and a
// Tcp::Transport subclass made by Listener::setTransportFactory, as Pistache's
// own Http::Endpoint does. HTTP
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
//     taken), and saltgw writes only on the connection's reactor thread.
//  4. Peer::send cannot be used for an answer larger than the socket takes at
//     once: when the socket is full, Transport::asyncWriteImpl breaks out of
//     its write loop on EAGAIN without ending the loop around it, and calls
//     send(2) again and again until the client reads (a reactor thread at
//     100 % CPU for as long as a slow client does not read, and every other
//     connection of that thread waiting). A write that fails with EPIPE or
//     ECONNRESET also leaves its promise neither resolved nor rejected.
//     ReactorTransport writes the connections' bytes itself (SocketWriter):
//     send(2) as far as the socket takes them, then a wait in an epoll set of
//     its own, in the reactor's poller, until the socket can take more.
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
// Peer::send's promise resolves there, and its spin on a full socket (4).
#pragma once

#include <pistache/listener.h>
#include <pistache/transport.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
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

// Writes to the sockets of one reactor thread's connections (limitation 4).
// Reactor thread only. A socket's bytes go out in the order given; `done` of
// each write runs once all its bytes are written (true) or the socket failed
// (false), never inside write() itself: run_completions() runs them, one
// after the other, so a `done` that writes again does not recurse.
class SocketWriter {
 public:
  SocketWriter();
  ~SocketWriter();
  SocketWriter(const SocketWriter&) = delete;
  SocketWriter& operator=(const SocketWriter&) = delete;

  // The epoll set of the sockets waiting to take more: readable while one can.
  int fd() const { return epoll_fd_; }
  void write(int socket, std::string bytes, std::function<void(bool ok)> done);
  // The socket is closing: what it still had to write is dropped, and its
  // `done` callbacks never run.
  void forget(int socket);
  // fd() is readable: go on with the sockets that can take more.
  void on_ready();
  void run_completions();
  // Bytes given and not yet written, over all sockets.
  size_t pending_bytes() const;

 private:
  struct Piece {
    std::string bytes;
    size_t offset = 0;
    std::function<void(bool)> done;
  };
  // Writes what `socket` takes of its queue; when it is full, waits in fd().
  void flush(int socket);
  void fail(int socket);

  int epoll_fd_;
  std::unordered_map<int, std::deque<Piece>> queues_;  // sockets with bytes still to write
  std::deque<std::function<void()>> completions_;
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
  // Reactor thread: the connections' writes (instead of Peer::send).
  SocketWriter& writer() { return writer_; }

 private:
  std::shared_ptr<Pistache::Tcp::Handler> handler_;
  ReactorClient* client_;
  std::shared_ptr<Mailbox> mailbox_ = std::make_shared<Mailbox>();
  SocketWriter writer_;
  int timer_fd_ = -1;
  bool armed_ = false;
};

}  // namespace saltgw::rest::http
