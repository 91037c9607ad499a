#include "salt_ipc/zmq_bus.h"

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <zmq.hpp>

namespace saltgw::salt_ipc {

PeerGreeting classify_greeting(std::string_view first) {
  if (first.empty()) return PeerGreeting::kNothing;
  auto b = [&](size_t i) { return static_cast<unsigned char>(first[i]); };
  if (b(0) == 0xFF) {
    // ZMTP 2.0/3.x signature: 0xFF, 8 bytes, 0x7F (low bit set).
    if (first.size() < 10 || (b(9) & 0x01) == 0x01) return PeerGreeting::kZmtp;
    return PeerGreeting::kOther;
  }
  if (first.size() >= 2 && b(0) == 0x01 && b(1) == 0x00) return PeerGreeting::kZmtp;  // ZMTP 1.0
  return PeerGreeting::kOther;
}

PeerGreeting probe_greeting(int fd, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, static_cast<int>(wait.count()));
  } while (rc < 0 && errno == EINTR);
  if (rc <= 0 || !(p.revents & POLLIN)) return PeerGreeting::kNothing;
  char buf[10];
  ssize_t n;
  do {
    n = ::recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return PeerGreeting::kNothing;  // closed: the normal read path will say so
  if (n < 10 && static_cast<unsigned char>(buf[0]) == 0xFF) {
    // The rest of the signature is normally in the same segment; give it a moment.
    ::poll(&p, 1, 20);
    n = ::recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    if (n <= 0) return PeerGreeting::kZmtp;
  }
  return classify_greeting(std::string_view(buf, static_cast<size_t>(n)));
}

std::string zmq_address(const BusEndpoints& ep, bool pub) {
  if (ep.tcp) return "tcp://" + ep.host + ":" + std::to_string(pub ? ep.pub_port : ep.pull_port);
  return "ipc://" + (pub ? ep.pub_path : ep.pull_path);
}

struct LegacyZmqBus::Impl {
  zmq::context_t ctx{1};
  zmq::socket_t sub{ctx, zmq::socket_type::sub};
  zmq::socket_t push{ctx, zmq::socket_type::push};
  zmq::socket_t monitor{ctx, zmq::socket_type::pair};
  std::deque<std::string> queue;
  bool opened = false;
};

LegacyZmqBus::LegacyZmqBus() : impl_(std::make_unique<Impl>()) {}

LegacyZmqBus::~LegacyZmqBus() {
  if (impl_->opened) zmq_socket_monitor(impl_->sub.handle(), nullptr, 0);
}

Status LegacyZmqBus::open(const BusEndpoints& ep) {
  static std::atomic<uint64_t> seq{0};
  auto& d = *impl_;
  try {
    d.sub.set(zmq::sockopt::linger, 0);
    d.sub.set(zmq::sockopt::subscribe, "");
    d.push.set(zmq::sockopt::linger, 0);
    // Report the PUB side going away: ZeroMQ itself would reconnect silently.
    std::string mon = "inproc://saltgw-legacy-bus-monitor-" + std::to_string(seq++);
    if (zmq_socket_monitor(d.sub.handle(), mon.c_str(), ZMQ_EVENT_DISCONNECTED) != 0)
      return make_error(ErrorKind::kInternal, std::string("zmq_socket_monitor: ") + zmq_strerror(zmq_errno()));
    d.opened = true;
    d.monitor.set(zmq::sockopt::linger, 0);
    d.monitor.connect(mon);
    d.sub.connect(zmq_address(ep, true));
    d.push.connect(zmq_address(ep, false));
  } catch (const zmq::error_t& e) {
    return make_error(ErrorKind::kMinionUnreachable,
                      "legacy ZeroMQ bus at " + ep.describe() + ": " + e.what());
  }
  return Ok{};
}

std::vector<int> LegacyZmqBus::poll_fds() const {
  return {static_cast<int>(impl_->sub.get(zmq::sockopt::fd)),
          static_cast<int>(impl_->monitor.get(zmq::sockopt::fd))};
}

Status LegacyZmqBus::send(std::string payload) {
  impl_->queue.push_back(std::move(payload));
  return flush();
}

Status LegacyZmqBus::flush() {
  auto& d = *impl_;
  try {
    while (!d.queue.empty()) {
      auto sent = d.push.send(zmq::buffer(d.queue.front()), zmq::send_flags::dontwait);
      if (!sent) break;  // would block: try again later
      d.queue.pop_front();
    }
  } catch (const zmq::error_t& e) {
    return make_error(ErrorKind::kConnectionLost, std::string("legacy ZeroMQ bus: send failed: ") + e.what());
  }
  return Ok{};
}

bool LegacyZmqBus::has_queued() const { return !impl_->queue.empty(); }

Status LegacyZmqBus::receive(std::vector<std::string>& out) {
  auto& d = *impl_;
  try {
    // The monitor first: a disconnect ends the connection.
    zmq::message_t ev;
    while (d.monitor.recv(ev, zmq::recv_flags::dontwait)) {
      uint16_t id = 0;
      if (ev.size() >= 2) std::memcpy(&id, ev.data(), 2);  // little-endian event id, then value
      while (d.monitor.get(zmq::sockopt::rcvmore)) {
        zmq::message_t more;
        (void)d.monitor.recv(more, zmq::recv_flags::dontwait);
      }
      if (id == ZMQ_EVENT_DISCONNECTED)
        return make_error(ErrorKind::kConnectionLost, "the minion closed its ZeroMQ pub socket");
    }
    zmq::message_t msg;
    while (d.sub.recv(msg, zmq::recv_flags::dontwait)) {
      std::string payload(static_cast<const char*>(msg.data()), msg.size());
      // Events are single-part; drop any further parts of a multi-part one.
      while (d.sub.get(zmq::sockopt::rcvmore)) {
        zmq::message_t more;
        (void)d.sub.recv(more, zmq::recv_flags::dontwait);
      }
      out.push_back(std::move(payload));
    }
  } catch (const zmq::error_t& e) {
    return make_error(ErrorKind::kConnectionLost, std::string("legacy ZeroMQ bus: ") + e.what());
  }
  return Ok{};
}

}  // namespace saltgw::salt_ipc
