#include "rest/http_server.h"

#include <pistache/listener.h>
#include <pistache/peer.h>
#include <sys/socket.h>

#include <unordered_map>

#include "rest/http/connection.h"
#include "rest/http/deadlines.h"
#include "rest/http/pistache_adapter.h"

namespace saltgw::rest {

using namespace Pistache;
using salt_ipc::ErrorKind;
using salt_ipc::make_error;

namespace {

class ReactorHandler;

// A connection's socket and reactor, as Pistache and ReactorHandler give them.
class PeerIo : public http::ConnectionIo {
 public:
  PeerIo(std::shared_ptr<Tcp::Peer> peer, ReactorHandler* handler, uint64_t id)
      : peer_(std::move(peer)), handler_(handler), id_(id) {}
  void send(std::string bytes, std::function<void(bool ok)> done) override;
  void shutdown(bool both) override { ::shutdown(peer_->fd(), both ? SHUT_RDWR : SHUT_WR); }
  void set_deadline(Clock::time_point when) override;
  void clear_deadline() override;

 private:
  std::shared_ptr<Tcp::Peer> peer_;
  ReactorHandler* handler_;
  uint64_t id_;
};

// Pistache's handler on one reactor thread (the listener clones it for each):
// the connections of that thread, their deadlines and the thread's one timer.
class ReactorHandler : public Tcp::Handler, public http::ReactorClient {
 public:
  explicit ReactorHandler(std::shared_ptr<const http::ServerContext> ctx) : ctx_(std::move(ctx)) {}
  std::shared_ptr<Tcp::Handler> clone() const override { return std::make_shared<ReactorHandler>(ctx_); }

  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    writer().forget(peer->fd());  // nothing of a socket that had this number before
    uint64_t id = ++next_id_;
    http::ReactorRef reactor{std::this_thread::get_id(), reactor_transport()->mailbox()};
    auto conn = std::make_shared<http::Connection>(ctx_, std::make_unique<PeerIo>(peer, this, id), reactor,
                                                   peer->address().host());
    by_fd_[peer->fd()] = id;
    connections_[id] = conn;
    conn->start();
  }

  void onInput(const char* buffer, size_t len, const std::shared_ptr<Tcp::Peer>& peer) override {
    if (auto conn = find(peer)) conn->on_input(std::string_view(buffer, len));
  }

  void onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    writer().forget(peer->fd());
    auto it = by_fd_.find(peer->fd());
    if (it == by_fd_.end()) return;
    uint64_t id = it->second;
    by_fd_.erase(it);
    auto c = connections_.find(id);
    if (c == connections_.end()) return;
    auto conn = std::move(c->second);
    connections_.erase(c);
    conn->on_close();
    clear_deadline(id);
  }

  void on_timer() override {
    for (uint64_t id : deadlines_.take_expired(std::chrono::steady_clock::now())) {
      auto it = connections_.find(id);
      if (it != connections_.end()) {
        auto conn = it->second;  // on_deadline may end it
        conn->on_deadline();
      }
    }
    rearm();
  }

  void set_deadline(uint64_t id, std::chrono::steady_clock::time_point when) {
    auto before = deadlines_.earliest();
    deadlines_.set(id, when);
    if (deadlines_.earliest() != before) rearm();
  }
  void clear_deadline(uint64_t id) {
    auto before = deadlines_.earliest();
    deadlines_.clear(id);
    if (deadlines_.earliest() != before) rearm();
  }

  http::SocketWriter& writer() { return reactor_transport()->writer(); }

 private:
  http::ReactorTransport* reactor_transport() { return static_cast<http::ReactorTransport*>(transport()); }

  std::shared_ptr<http::Connection> find(const std::shared_ptr<Tcp::Peer>& peer) {
    auto it = by_fd_.find(peer->fd());
    if (it == by_fd_.end()) return nullptr;
    auto c = connections_.find(it->second);
    return c == connections_.end() ? nullptr : c->second;
  }

  void rearm() {
    if (auto next = deadlines_.earliest()) reactor_transport()->arm(*next);
    else reactor_transport()->disarm();
  }

  std::shared_ptr<const http::ServerContext> ctx_;
  uint64_t next_id_ = 0;
  std::unordered_map<Fd, uint64_t> by_fd_;
  std::unordered_map<uint64_t, std::shared_ptr<http::Connection>> connections_;
  http::Deadlines deadlines_;
};

void PeerIo::send(std::string bytes, std::function<void(bool ok)> done) {
  handler_->writer().write(peer_->fd(), std::move(bytes), std::move(done));
}
void PeerIo::set_deadline(Clock::time_point when) { handler_->set_deadline(id_, when); }
void PeerIo::clear_deadline() { handler_->clear_deadline(id_); }

}  // namespace

salt_ipc::Result<std::pair<std::string, uint16_t>> parse_listen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error(ErrorKind::kConfig, "listen address '" + listen + "' must be HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_s = listen.substr(colon + 1);
  if (port_s.empty() || port_s.size() > 5 || port_s.find_first_not_of("0123456789") != std::string::npos)
    return make_error(ErrorKind::kConfig, "listen address '" + listen + "' has a bad port");
  int port = std::stoi(port_s);
  if (port > 65535) return make_error(ErrorKind::kConfig, "listen port out of range in '" + listen + "'");
  return std::make_pair(host, static_cast<uint16_t>(port));
}

struct HttpServer::Impl {
  ServerOptions opts;
  LocalApi& api;
  AccessLog log;
  std::unique_ptr<Tcp::Listener> listener;
};

HttpServer::HttpServer(ServerOptions options, LocalApi& api, AccessLog access_log)
    : impl_(std::make_unique<Impl>(Impl{std::move(options), api, std::move(access_log), nullptr})) {}

HttpServer::~HttpServer() { stop(); }

salt_ipc::Status HttpServer::start() {
  auto hp = parse_listen(impl_->opts.listen);
  if (!hp) return hp.error();
  if (!impl_->opts.open_connections) impl_->opts.open_connections = std::make_shared<std::atomic<size_t>>(0);
  auto ctx = std::make_shared<http::ServerContext>();
  ctx->api = &impl_->api;
  ctx->opts = impl_->opts;
  ctx->log = impl_->log;
  ctx->open = impl_->opts.open_connections.get();
  try {
    auto listener = std::make_unique<Tcp::Listener>(Address(hp->first, Port(hp->second)));
    listener->init(static_cast<size_t>(std::max(1, impl_->opts.threads)),
                   Flags<Tcp::Options>(Tcp::Options::ReuseAddr) | Tcp::Options::CloseOnExec, "saltgw-http");
    auto handler = std::make_shared<ReactorHandler>(ctx);
    listener->setHandler(handler);
    listener->setTransportFactory([handler] { return std::make_shared<http::ReactorTransport>(handler); });
    listener->bind();
    listener->runThreaded();
    impl_->listener = std::move(listener);
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kConfig, "cannot listen on " + impl_->opts.listen + ": " + e.what());
  }
  return salt_ipc::Ok{};
}

void HttpServer::stop() {
  if (impl_->listener) {
    impl_->listener->shutdown();
    impl_->listener.reset();
  }
}

size_t HttpServer::open_connections() const {
  return impl_->opts.open_connections ? impl_->opts.open_connections->load() : 0;
}

uint16_t HttpServer::port() const {
  return impl_->listener ? static_cast<uint16_t>(impl_->listener->getPort()) : 0;
}

}  // namespace saltgw::rest
