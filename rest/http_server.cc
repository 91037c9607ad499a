#include "rest/http_server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <pistache/peer.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <cstdio>
#include <sstream>

#include "rest/json.h"

namespace saltgw::rest {

using namespace Pistache;
using salt_ipc::ErrorKind;
using salt_ipc::make_error;

namespace {

// Pistache 0.0.5 never writes "raw" headers into responses, only typed ones;
// this is a typed header with a name and value chosen at run time.
class NamedHeader : public Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
  void parse(const std::string& data) override { value_ = data; }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override { return std::hash<std::string>{}(name_); }
#endif

 private:
  std::string name_;
  std::string value_;
};

void set_header(Http::Header::Collection& h, const std::string& name, const std::string& value) {
  h.remove(name);
  h.add(std::make_shared<NamedHeader>(name, value));
}

std::string header_value(const Http::Request& req, const std::string& name) {
  const auto& headers = req.headers();
  if (auto h = headers.tryGet(name)) {
    std::ostringstream os;
    h->write(os);
    return os.str();
  }
  if (auto raw = headers.tryGetRaw(name)) return raw->value();
  return {};
}

std::string percent_decode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 503: return "Service Unavailable";
    default: return "OK";
  }
}

// A chunked response written straight to the peer. Peer::send only queues the
// bytes for the connection's reactor thread (thread-safe), unlike Pistache's
// ResponseStream::flush, which drains the reactor's queue from the calling
// thread. Writes are serialised by a mutex; backlog() counts bytes queued and
// not yet on the socket.
class PeerStream : public ResponseStream {
 public:
  explicit PeerStream(std::weak_ptr<Tcp::Peer> peer) : peer_(std::move(peer)) {}

  bool send_raw(std::string bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    return send_locked(std::move(bytes));
  }
  bool write(std::string_view chunk) override {
    if (chunk.empty()) return !closed();
    char head[24];
    std::snprintf(head, sizeof head, "%zx\r\n", chunk.size());
    std::string bytes;
    bytes.reserve(chunk.size() + 32);
    bytes.append(head).append(chunk).append("\r\n");
    std::lock_guard<std::mutex> lock(mu_);
    return send_locked(std::move(bytes));
  }
  void end() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    send_locked("0\r\n\r\n");
    ended_ = true;
  }
  size_t backlog() const override { return static_cast<size_t>(std::max<int64_t>(0, backlog_->load())); }
  bool closed() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_ || peer_.expired();
  }

 private:
  bool send_locked(std::string bytes) {
    if (ended_) return false;
    auto peer = peer_.lock();
    if (!peer) {
      ended_ = true;
      return false;
    }
    int64_t n = static_cast<int64_t>(bytes.size());
    *backlog_ += n;
    auto backlog = backlog_;
    try {
      peer->send(RawBuffer(std::move(bytes), static_cast<size_t>(n)))
          .then([backlog, n](ssize_t) { *backlog -= n; }, [backlog, n](std::exception_ptr) { *backlog -= n; });
    } catch (const std::exception&) {
      ended_ = true;
      return false;
    }
    return true;
  }

  std::weak_ptr<Tcp::Peer> peer_;
  mutable std::mutex mu_;
  bool ended_ = false;
  std::shared_ptr<std::atomic<int64_t>> backlog_ = std::make_shared<std::atomic<int64_t>>(0);
};

// Answers one request: whole (send) or streamed (stream), exactly once.
class PistacheReply : public Reply {
 public:
  PistacheReply(Http::ResponseWriter writer, const ServerOptions* opts, const AccessLog* log, std::string method,
                std::string resource, std::string origin, bool keep_alive, std::chrono::steady_clock::time_point started)
      : writer_(std::move(writer)), opts_(opts), log_(log), method_(std::move(method)), resource_(std::move(resource)),
        origin_(std::move(origin)), keep_alive_(keep_alive), started_(started) {}

  void send(HttpResponse r) override {
    if (r.json && r.body.empty() && r.file_path.empty()) return send_streamed_json(std::move(r));
    if (once_.exchange(true)) return;  // exactly one answer per request
    auto& h = writer_.headers();
    for (auto& [k, v] : cors_headers()) set_header(h, k, v);
    for (auto& [k, v] : r.headers) set_header(h, k, v);
    if (!r.jid.empty()) set_header(h, "X-Salt-Jid", r.jid);
    if (!r.file_path.empty()) {
      try {
        Http::serveFile(writer_, r.file_path, Http::Mime::MediaType::fromString(r.content_type));
      } catch (const std::exception& e) {  // vanished between resolve and open
        r = LocalApi::error_response(404, "404 Not Found: the log file could not be opened");
        h.remove("Content-Disposition");
        h.add<Http::Header::ContentType>(Http::Mime::MediaType::fromString(r.content_type));
        writer_.send(static_cast<Http::Code>(r.status), r.body);
      }
    } else {
      if (!r.content_type.empty()) h.add<Http::Header::ContentType>(Http::Mime::MediaType::fromString(r.content_type));
      if (r.status == 204) writer_.send(Http::Code::No_Content);
      else writer_.send(static_cast<Http::Code>(r.status), r.body);
    }
    access(r.status, r.jid);
  }

  // A large JSON result: chunked transfer, encoded piece by piece on a thread
  // of its own that waits while the client is behind, so the whole text never
  // sits in memory (only the result value and about a megabyte queued).
  void send_streamed_json(HttpResponse r) {
    std::vector<std::pair<std::string, std::string>> headers = r.headers;
    if (!r.jid.empty()) headers.emplace_back("X-Salt-Jid", r.jid);
    auto s = stream(r.status, "application/json", headers);
    std::thread([s, json = r.json] {
      json_write_chunked(*json, [&s](std::string_view piece) {
        while (s->backlog() > (1u << 20) && !s->closed()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return s->write(piece);
      });
      s->end();
    }).detach();
  }

  std::shared_ptr<ResponseStream> stream(int status, const std::string& content_type,
                                         const std::vector<std::pair<std::string, std::string>>& headers) override {
    auto s = std::make_shared<PeerStream>(writer_.getPeer());
    if (once_.exchange(true)) {
      s->end();
      return s;
    }
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
    head += "Content-Type: " + content_type + "\r\nTransfer-Encoding: chunked\r\n";
    head += keep_alive_ ? "Connection: Keep-Alive\r\n" : "Connection: Close\r\n";
    for (auto& [k, v] : cors_headers()) head += k + ": " + v + "\r\n";
    std::string jid;
    for (auto& [k, v] : headers) {
      head += k + ": " + v + "\r\n";
      if (k == "X-Salt-Jid") jid = v;
    }
    head += "\r\n";
    s->send_raw(std::move(head));
    access(status, jid, " (stream)");
    return s;
  }

 private:
  std::vector<std::pair<std::string, std::string>> cors_headers() const {
    if (!opts_->cors) return {};
    std::vector<std::pair<std::string, std::string>> v{
        {"Access-Control-Allow-Origin", origin_.empty() ? "*" : origin_},
        {"Access-Control-Expose-Headers", "Content-Disposition, X-Salt-Jid, Retry-After, Location"}};
    if (!origin_.empty()) v.emplace_back("Vary", "Origin");
    return v;
  }

  void access(int status, const std::string& jid, const char* extra = "") {
    if (!*log_) return;
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1fms", ms);
    (*log_)(method_ + " " + resource_ + " " + std::to_string(status) + " " + buf + (jid.empty() ? "" : " jid=" + jid) + extra);
  }

  Http::ResponseWriter writer_;
  const ServerOptions* opts_;
  const AccessLog* log_;
  std::string method_, resource_, origin_;
  bool keep_alive_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> once_{false};
};

class Handler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(Handler)

  Handler(LocalApi* api, const ServerOptions* opts, const AccessLog* log)
      : api_(api), opts_(opts), log_(log) {}

  void onRequest(const Http::Request& preq, Http::ResponseWriter response) override {
    auto started = std::chrono::steady_clock::now();
    HttpRequest req;
    req.method = Http::methodString(preq.method());
    std::string resource = preq.resource();
    req.path = percent_decode(resource);
    for (const char* q : {"file", "stream", "async", "tag"})
      if (auto v = preq.query().get(q)) req.query.emplace(q, percent_decode(*v));
    req.body = preq.body();
    req.authorization = header_value(preq, "Authorization");
    req.client = preq.address().host();
    req.request_headers = header_value(preq, "Access-Control-Request-Headers");
    if (auto accept = preq.headers().tryGet<Http::Header::Accept>()) {
      for (const auto& m : accept->media()) req.accept += m.toString() + ", ";
    }
    std::string origin = header_value(preq, "Origin");

    // Pistache 0.0.5 answers "Connection: close" to every request that did not
    // ask for keep-alive, although HTTP/1.1 connections persist by default
    // (RFC 9112 9.3); clients such as curl and wrk then reconnect every time.
    bool keep_alive = false;
    if (preq.version() == Http::Version::Http11) {
      auto conn = preq.headers().tryGet<Http::Header::Connection>();
      if (!conn || conn->control() != Http::ConnectionControl::Close) {
        response.headers().remove<Http::Header::Connection>();
        response.headers().add<Http::Header::Connection>(Http::ConnectionControl::KeepAlive);
        keep_alive = true;
      }
    }
    // Pistache closes a busy connection (with a 408) once header_timeout has
    // passed since the request arrived, even while we are still working on the
    // answer; an idle one only after keepalive_timeout. A request being
    // answered asynchronously (a job, a stream) counts as idle here. This runs
    // on the connection's reactor thread, as Pistache's own setIdle calls do.
    if (auto peer = response.getPeer()) peer->setIdle(true);
    auto reply = std::make_shared<PistacheReply>(std::move(response), opts_, log_, req.method, resource, origin,
                                                 keep_alive, started);
    if (req.body.size() > opts_->max_body_bytes) {
      reply->send(LocalApi::error_response(413, "request body of " + std::to_string(req.body.size()) +
                                                    " bytes is larger than max_body_bytes (" +
                                                    std::to_string(opts_->max_body_bytes) + ")"));
      return;
    }
    api_->handle(req, std::move(reply));
  }

 private:
  LocalApi* api_;
  const ServerOptions* opts_;
  const AccessLog* log_;
};

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
  std::unique_ptr<Http::Endpoint> endpoint;
};

HttpServer::HttpServer(ServerOptions options, LocalApi& api, AccessLog access_log)
    : impl_(std::make_unique<Impl>(Impl{std::move(options), api, std::move(access_log), nullptr})) {}

HttpServer::~HttpServer() { stop(); }

salt_ipc::Status HttpServer::start() {
  auto hp = parse_listen(impl_->opts.listen);
  if (!hp) return hp.error();
  try {
    Address addr(hp->first, Port(hp->second));
    impl_->endpoint = std::make_unique<Http::Endpoint>(addr);
    auto o = Http::Endpoint::options()
                 .threads(impl_->opts.threads)
                 .flags(Tcp::Options::ReuseAddr)
                 // Pistache's own ceiling (it answers 413 in plain text above it,
                 // with no hook to change that); bodies between max_body_bytes
                 // and it (16 MiB at least) get saltgw's JSON 413.
                 .maxRequestSize(std::max<size_t>(impl_->opts.max_body_bytes * 2 + 65536, 16u << 20))
                 .headerTimeout(impl_->opts.header_timeout)
                 .bodyTimeout(impl_->opts.body_timeout)
                 .keepaliveTimeout(impl_->opts.keepalive_timeout);
    impl_->endpoint->init(o);
    impl_->endpoint->setHandler(Http::make_handler<Handler>(&impl_->api, &impl_->opts, &impl_->log));
    impl_->endpoint->serveThreaded();
  } catch (const std::exception& e) {
    impl_->endpoint.reset();
    return make_error(ErrorKind::kConfig, "cannot listen on " + impl_->opts.listen + ": " + e.what());
  }
  return salt_ipc::Ok{};
}

void HttpServer::stop() {
  if (impl_->endpoint) {
    impl_->endpoint->shutdown();
    impl_->endpoint.reset();
  }
}

uint16_t HttpServer::port() const {
  return impl_->endpoint ? static_cast<uint16_t>(impl_->endpoint->getPort()) : 0;
}

}  // namespace saltgw::rest
