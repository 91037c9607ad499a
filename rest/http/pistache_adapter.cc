#include "rest/http/pistache_adapter.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace saltgw::rest::http {

using namespace Pistache;

Mailbox::Mailbox() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("eventfd failed");
}

Mailbox::~Mailbox() { ::close(fd_); }

void Mailbox::post(std::function<void()> task) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_empty = tasks_.empty();
    tasks_.push_back(std::move(task));
  }
  if (was_empty) {
    uint64_t one = 1;
    ssize_t n;
    do n = ::write(fd_, &one, sizeof one);
    while (n < 0 && errno == EINTR);
  }
}

std::vector<std::function<void()>> Mailbox::take() {
  uint64_t count;
  while (::read(fd_, &count, sizeof count) > 0) {
  }
  std::vector<std::function<void()>> tasks;
  std::lock_guard<std::mutex> lock(mu_);
  tasks.swap(tasks_);
  return tasks;
}

SocketWriter::SocketWriter() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (epoll_fd_ < 0) throw std::runtime_error("epoll_create1 failed");
}

SocketWriter::~SocketWriter() { ::close(epoll_fd_); }

void SocketWriter::write(int socket, std::string bytes, std::function<void(bool ok)> done) {
  auto& queue = queues_[socket];
  bool was_idle = queue.empty();
  queue.push_back(Piece{std::move(bytes), 0, std::move(done)});
  if (was_idle) flush(socket);  // else it waits for room, or for the pieces before it
}

void SocketWriter::flush(int socket) {
  auto it = queues_.find(socket);
  if (it == queues_.end()) return;
  auto& queue = it->second;
  while (!queue.empty()) {
    Piece& piece = queue.front();
    while (piece.offset < piece.bytes.size()) {
      ssize_t n = ::send(socket, piece.bytes.data() + piece.offset, piece.bytes.size() - piece.offset,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        piece.offset += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // Edge-triggered: one event when the socket can take more.
        epoll_event ev{};
        ev.events = EPOLLOUT | EPOLLET;
        ev.data.fd = socket;
        if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, socket, &ev) < 0 && errno != EEXIST) return fail(socket);
        return;
      } else {
        return fail(socket);
      }
    }
    completions_.push_back([done = std::move(piece.done)] {
      if (done) done(true);
    });
    queue.pop_front();
  }
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);  // fails harmlessly if it never waited
  queues_.erase(it);
}

void SocketWriter::fail(int socket) {
  auto it = queues_.find(socket);
  if (it == queues_.end()) return;
  for (auto& piece : it->second)
    completions_.push_back([done = std::move(piece.done)] {
      if (done) done(false);
    });
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
  queues_.erase(it);
}

void SocketWriter::forget(int socket) {
  if (queues_.erase(socket)) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
}

void SocketWriter::on_ready() {
  epoll_event events[64];
  int n;
  do {
    n = ::epoll_wait(epoll_fd_, events, 64, 0);
    for (int i = 0; i < n; ++i) flush(events[i].data.fd);
  } while (n == 64);
}

void SocketWriter::run_completions() {
  while (!completions_.empty()) {
    auto done = std::move(completions_.front());
    completions_.pop_front();
    done();  // may write again, and queue more
  }
}

size_t SocketWriter::pending_bytes() const {
  size_t total = 0;
  for (const auto& [socket, queue] : queues_)
    for (const auto& piece : queue) total += piece.bytes.size() - piece.offset;
  return total;
}

ReactorTransport::ReactorTransport(const std::shared_ptr<Tcp::Handler>& handler)
    : Tcp::Transport(handler), handler_(handler), client_(dynamic_cast<ReactorClient*>(handler.get())) {
  if (!client_) throw std::logic_error("ReactorTransport: the handler is not a ReactorClient");
}

ReactorTransport::~ReactorTransport() {
  if (timer_fd_ >= 0) ::close(timer_fd_);
}

std::shared_ptr<Aio::Handler> ReactorTransport::clone() const {
  return std::make_shared<ReactorTransport>(handler_->clone());
}

void ReactorTransport::registerPoller(Polling::Epoll& poller) {
  Tcp::Transport::registerPoller(poller);
  timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) throw std::runtime_error("timerfd_create failed");
  poller.addFd(timer_fd_, Flags<Polling::NotifyOn>(Polling::NotifyOn::Read), Polling::Tag(timer_fd_));
  poller.addFd(mailbox_->fd(), Flags<Polling::NotifyOn>(Polling::NotifyOn::Read), Polling::Tag(mailbox_->fd()));
  poller.addFd(writer_.fd(), Flags<Polling::NotifyOn>(Polling::NotifyOn::Read), Polling::Tag(writer_.fd()));
}

void ReactorTransport::onReady(const Aio::FdSet& fds) {
  // Pistache's Transport::onReady ignores the tags it does not know (ours).
  Tcp::Transport::onReady(fds);
  for (const auto& entry : fds) {
    if (timer_fd_ >= 0 && entry.getTag() == Polling::Tag(timer_fd_)) {
      uint64_t expirations;
      if (::read(timer_fd_, &expirations, sizeof expirations) > 0) {
        armed_ = false;
        client_->on_timer();
      }
    } else if (entry.getTag() == Polling::Tag(mailbox_->fd())) {
      for (auto& task : mailbox_->take()) task();
    } else if (entry.getTag() == Polling::Tag(writer_.fd())) {
      writer_.on_ready();
    }
  }
  // Every callback of this thread runs from here (Pistache's handlers, our
  // tasks and timer): what their writes finished, now.
  writer_.run_completions();
}

void ReactorTransport::arm(std::chrono::steady_clock::time_point when) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  if (ns <= 0) ns = 1;
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
  armed_ = true;
}

void ReactorTransport::disarm() {
  if (!armed_) return;
  itimerspec spec{};
  ::timerfd_settime(timer_fd_, 0, &spec, nullptr);
  armed_ = false;
}

}  // namespace saltgw::rest::http
