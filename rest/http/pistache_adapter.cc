#include "rest/http/pistache_adapter.h"

#include <sys/eventfd.h>
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
    }
  }
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
