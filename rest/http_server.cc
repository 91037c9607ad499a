#include "rest/http_server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <pistache/peer.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "rest/json.h"
#include "rest/request_head.h"

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

// The reason phrase of a status line saltgw writes itself (RFC 9110 15).
const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return status < 400 ? "OK" : "Error";
  }
}

// Counts, while alive, as an answer in progress on its connection (a job
// being worked on, a stream being written). The connection gate's tick keeps
// Pistache's idle clock from running on such a connection, so that only truly
// idle keep-alive connections are closed after keepalive_timeout.
class Answering {
 public:
  explicit Answering(std::shared_ptr<std::atomic<int>> count) : count_(std::move(count)) {
    if (count_) count_->fetch_add(1);
  }
  ~Answering() {
    if (count_) count_->fetch_sub(1);
  }
  Answering(const Answering&) = delete;
  Answering& operator=(const Answering&) = delete;

 private:
  std::shared_ptr<std::atomic<int>> count_;
};

// A chunked response written straight to the peer. Peer::send only queues the
// bytes for the connection's reactor thread (thread-safe), unlike Pistache's
// ResponseStream::flush, which drains the reactor's queue from the calling
// thread. Writes are serialised by a mutex; backlog() counts bytes queued and
// not yet on the socket.
class PeerStream : public ResponseStream {
 public:
  PeerStream(std::weak_ptr<Tcp::Peer> peer, std::unique_ptr<Answering> answering)
      : peer_(std::move(peer)), answering_(std::move(answering)) {}

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
    answering_.reset();
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
  std::unique_ptr<Answering> answering_;  // released at end()
  mutable std::mutex mu_;
  bool ended_ = false;
  std::shared_ptr<std::atomic<int64_t>> backlog_ = std::make_shared<std::atomic<int64_t>>(0);
};

// Answers one request: whole (send) or streamed (stream), exactly once.
class PistacheReply : public Reply {
 public:
  PistacheReply(Http::ResponseWriter writer, const ServerOptions* opts, const AccessLog* log, std::string method,
                std::string resource, std::string origin, bool keep_alive, std::chrono::steady_clock::time_point started,
                std::shared_ptr<std::atomic<int>> answering)
      : writer_(std::move(writer)), opts_(opts), log_(log), method_(std::move(method)), resource_(std::move(resource)),
        origin_(std::move(origin)), keep_alive_(keep_alive), started_(started),
        answering_(std::make_unique<Answering>(std::move(answering))) {}

  void send(HttpResponse r) override {
    if (r.body_source && r.body.empty() && r.file_path.empty()) return send_streamed_json(std::move(r));
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
    answering_.reset();  // the answer is queued for the socket
    access(r.status, r.jid);
  }

  // A body made while it is sent (a large JSON result): chunked transfer,
  // pulled piece by piece on a thread of its own that waits while the client
  // is behind, so the whole text never sits in memory (only the result value
  // and about a megabyte queued).
  void send_streamed_json(HttpResponse r) {
    std::vector<std::pair<std::string, std::string>> headers = r.headers;
    if (!r.jid.empty()) headers.emplace_back("X-Salt-Jid", r.jid);
    auto s = stream(r.status, r.content_type, headers);
    std::thread([s, body = std::move(r.body_source)] {
      std::string piece;
      for (bool more = true; more;) {
        while (s->backlog() > (1u << 20) && !s->closed()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        piece.clear();
        more = body->next(piece, 64 * 1024);
        if (!piece.empty() && !s->write(piece)) break;
      }
      s->end();
    }).detach();
  }

  std::shared_ptr<ResponseStream> stream(int status, const std::string& content_type,
                                         const std::vector<std::pair<std::string, std::string>>& headers) override {
    if (once_.exchange(true)) {
      auto s = std::make_shared<PeerStream>(writer_.getPeer(), nullptr);
      s->end();
      return s;
    }
    auto s = std::make_shared<PeerStream>(writer_.getPeer(), std::move(answering_));
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
    if (!*log_ || (opts_->access_log_on && !opts_->access_log_on->load(std::memory_order_relaxed))) return;
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
  std::unique_ptr<Answering> answering_;  // until the answer is sent, or handed to the stream
  std::atomic<bool> once_{false};
};

// Names and values of a request's headers, in bytes.
size_t header_bytes(const Http::Header::Collection& headers) {
  size_t bytes = 0;
  for (const auto& h : headers.list()) {
    std::ostringstream os;
    h->write(os);
    bytes += std::strlen(h->name()) + static_cast<size_t>(os.tellp());
  }
  for (const auto& [name, raw] : headers.rawList()) bytes += name.size() + raw.value().size();
  return bytes;
}

// Reads a header field's value as Pistache's parser will (its typed headers:
// Host, Content-Type, Accept, Date...): nullopt when Pistache will accept it.
// Pistache answers a typed header it cannot parse in plain text (a 400, or a
// 500 when its parser throws something else).
std::optional<std::string> pistache_field_check(std::string_view name, std::string_view value) {
  try {
    std::string n(name);
    if (Http::Header::LowercaseEqualStatic(n, "cookie")) {
      Http::CookieJar jar;
      jar.addFromRaw(value.data(), value.size());
    } else if (Http::Header::LowercaseEqualStatic(n, "set-cookie")) {
      (void)Http::Cookie::fromRaw(value.data(), value.size());
    } else if (Http::Header::Registry::instance().isRegistered(n)) {
      Http::Header::Registry::instance().makeHeader(n)->parseRaw(value.data(), value.size());
    }
  } catch (const std::exception& e) {
    return std::string(e.what());
  } catch (...) {
    return std::string("unreadable");
  }
  return std::nullopt;
}

// What saltgw keeps for each open connection, in the Peer's data: it lives
// exactly as long as Pistache's Peer, so the count of open connections stays
// right however Pistache closes it (client EOF, timeouts, errors). Touched on
// the connection's reactor thread only, but for `answering`.
struct Connection {
  explicit Connection(std::atomic<size_t>* open) : open(open) { open->fetch_add(1); }
  ~Connection() { open->fetch_sub(1); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  std::atomic<size_t>* open;
  bool refused = false;  // answered with an error and being closed: input is dropped
  size_t pending = 0;    // bytes received since the last request was handed on
  uint64_t served = 0;   // requests handed on
  RequestHeadChecker head{pistache_field_check};  // the current request's head, as it arrives
  // Answers in progress (Answering tokens alive) and when the last request
  // was handed on.
  std::shared_ptr<std::atomic<int>> answering = std::make_shared<std::atomic<int>>(0);
  std::chrono::steady_clock::time_point answer_started{};
};
constexpr const char* kConnectionData = "saltgw.connection";

std::shared_ptr<Connection> connection_of(const std::shared_ptr<Tcp::Peer>& peer) {
  return std::static_pointer_cast<Connection>(peer->tryGetData(kConnectionData));
}

// An error answer that ends the connection: JSON, "Connection: close".
std::string closing_response(int status, const HttpResponse& r, bool cors) {
  std::string bytes = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
                      "\r\nContent-Type: application/json\r\n";
  for (auto& [k, v] : r.headers) bytes += k + ": " + v + "\r\n";
  if (cors) bytes += "Access-Control-Allow-Origin: *\r\n";
  return bytes + "Connection: close\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
}

// Tcp::Handler::associateTransport is private (Pistache's Transport is its
// friend). An explicit template instantiation may name a private member
// (C++20 [temp.spec.general]/6); this one hands over its address so that the
// parser host below can be attached to its reactor's transport.
using AssociateFn = void (Tcp::Handler::*)(Tcp::Transport*);
struct AssociateTag {};
AssociateFn associate_fn(AssociateTag);
template <AssociateFn F>
struct AssociateAccess {
  friend AssociateFn associate_fn(AssociateTag) { return F; }
};
template struct AssociateAccess<&Tcp::Handler::associateTransport>;

class Handler;

// Pistache's HTTP parser (Http::Handler::onInput, private there), run on
// behalf of Handler, which sees every byte first.
class ParserHost : public Http::Handler {
 public:
  HTTP_PROTOTYPE(ParserHost)
  explicit ParserHost(saltgw::rest::Handler* outer) : outer_(outer) {}
  void onRequest(const Http::Request& request, Http::ResponseWriter response) override;

 private:
  saltgw::rest::Handler* outer_;
};

// The HTTP handler Pistache calls (a clone per reactor thread; the connection
// count is shared through a pointer). It stands in front of Pistache's parser
// to enforce what Pistache 0.0.5 cannot:
//   - max_connections: the connection over it gets a JSON 503 + Retry-After and
//     is closed before it can hold a parser;
//   - a request larger than Pistache's buffer ceiling, or headers far over
//     max_header_bytes, get a JSON 413 / 431 and the connection is closed (Pistache
//     would answer in plain text and then parse the rest of the body as new
//     requests);
//   - header_timeout / body_timeout apply to every request on a keep-alive
//     connection, not only the first (Pistache 0.0.5 leaves a connection
//     "idle" after its first answer, so a client trickling a second request
//     could hold it for keepalive_timeout);
//   - keepalive_timeout closes idle keep-alive connections only: Pistache 0.0.5
//     measures idleness from the request's arrival, answer in progress or not,
//     so a once-a-second tick on each reactor thread restarts that clock on
//     connections with an answer in progress (a job, a stream), and ends those
//     past answer_max itself.
class Handler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(Handler)

  Handler(LocalApi* api, const ServerOptions* opts, const AccessLog* log, std::atomic<size_t>* open)
      : api_(api), opts_(opts), log_(log), open_(open) {}
  // A clone gets a parser host and tick timers of its own, on its own transport.
  Handler(const Handler& other)
      : Http::Handler(other), api_(other.api_), opts_(other.opts_), log_(other.log_), open_(other.open_) {}
  ~Handler() override {
    if (tick_fd_ >= 0) ::close(tick_fd_);  // a tick still armed when the server stops
  }

  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    if (!tick_armed_) arm_tick();
    // What Http::Handler::onConnection does (it is private there).
    peer->putData(ParserData, std::make_shared<Http::RequestParser>(getMaxRequestSize()));
    auto conn = std::make_shared<Connection>(open_);
    peer->putData(kConnectionData, conn);
    size_t n = open_->load();
    if (n <= opts_->max_connections) return;
    conn->refused = true;
    // Nothing is queued on a new connection, so the answer goes straight to
    // the socket (a few hundred bytes fit in a fresh socket's buffer).
    std::string bytes = closing_response(
        503,
        LocalApi::error_response(salt_ipc::make_error(
            ErrorKind::kOverloaded, "too many open connections (max_connections is " +
                                        std::to_string(opts_->max_connections) + "); try again shortly")),
        opts_->cors);
    (void)::send(peer->fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(peer->fd(), SHUT_WR);
    access("- - 503 connection refused: " + std::to_string(n - 1) + " open, max_connections " +
           std::to_string(opts_->max_connections) + " (" + peer->address().host() + ")");
  }

  void onInput(const char* buffer, size_t len, const std::shared_ptr<Tcp::Peer>& peer) override {
    auto conn = connection_of(peer);
    if (!conn || conn->refused) return;  // being closed: nothing more is parsed
    auto parser = Http::Handler::getParser(peer);
    if (conn->pending == 0) {
      // A new request starts: its header and body clocks start now, and the
      // connection is no longer idle (Pistache then applies header_timeout and
      // body_timeout to it; while an answer is being worked on, serve() marks it
      // idle again). Pistache keeps no bytes between requests, so this reset
      // loses nothing.
      parser->reset();
      peer->setIdle(false);
    }
    conn->pending += len;
    if (conn->pending > getMaxRequestSize()) {
      return refuse(peer, *conn, 413, "request of more than " + std::to_string(getMaxRequestSize()) +
                                          " bytes (max_body_bytes is " + std::to_string(opts_->max_body_bytes) + ")");
    }
    // The request line and header fields, checked before Pistache parses
    // them: Pistache 0.0.5 answers a request it cannot parse in plain text
    // and then reads what follows (the body) as a new request.
    if (conn->head.state() == RequestHeadChecker::State::kNeedMore &&
        conn->head.feed(std::string_view(buffer, len)) == RequestHeadChecker::State::kBad) {
      return refuse(peer, *conn, conn->head.problem().status, conn->head.problem().message);
    }
    if (!parser_host_) {
      parser_host_ = std::make_shared<ParserHost>(this);
      parser_host_->setMaxRequestSize(getMaxRequestSize());
      parser_host_->setMaxResponseSize(getMaxResponseSize());
      (static_cast<Tcp::Handler*>(parser_host_.get())->*associate_fn(AssociateTag{}))(transport());
    }
    auto parse_started = parser->time();
    uint64_t served_before = conn->served;
    static_cast<Tcp::Handler&>(*parser_host_).onInput(buffer, len, peer);
    if (conn->served == served_before && parser->time() != parse_started) {
      // Pistache rejected the request itself (it answers in plain text and
      // resets its parser, and would read what follows as a new request):
      // close the connection after its answer.
      return refuse(peer, *conn, 0, "request rejected by the HTTP parser");
    }
    // Headers still incomplete and far over the limit: stop buffering them.
    if (conn->pending > 0 && !conn->refused) {
      auto id = parser->step()->id();
      if ((id == Http::Private::RequestLineStep::Id || id == Http::Private::HeadersStep::Id) &&
          conn->pending > 2 * opts_->max_header_bytes + 8192) {
        refuse(peer, *conn, 431, "request headers of more than " + std::to_string(conn->pending) +
                                     " bytes (max_header_bytes is " + std::to_string(opts_->max_header_bytes) + ")");
      }
    }
  }

  // Pistache's parser runs in ParserHost, which calls serve(); this is only
  // here because Http::Handler requires it.
  void onRequest(const Http::Request& request, Http::ResponseWriter response) override {
    serve(request, std::move(response));
  }

  // A whole request, parsed by Pistache (on the connection's reactor thread).
  void serve(const Http::Request& preq, Http::ResponseWriter response) {
    auto started = std::chrono::steady_clock::now();
    size_t received = SIZE_MAX;  // bytes of this request (line, headers, body)
    std::shared_ptr<std::atomic<int>> answering;
    if (auto peer = response.getPeer()) {
      if (auto conn = connection_of(peer)) {
        answering = conn->answering;
        conn->answer_started = started;
        received = conn->pending;
        conn->pending = 0;
        conn->served++;
        conn->head.reset();
      }
    }
    HttpRequest req;
    req.method = Http::methodString(preq.method());
    std::string resource = preq.resource();
    req.path = percent_decode(resource);
    for (const char* q : {"file", "stream", "async", "tag", "tail"})
      if (auto v = preq.query().get(q)) req.query.emplace(q, percent_decode(*v));
    req.body = preq.body();
    req.authorization = header_value(preq, "Authorization");
    req.client = preq.address().host();
    req.request_headers = header_value(preq, "Access-Control-Request-Headers");
    if (auto accept = preq.headers().tryGet<Http::Header::Accept>()) {
      for (const auto& m : accept->media()) {
        std::string type = m.toString();
        if (m.q() && type.find("q=") == std::string::npos) {  // the page is chosen by q-values
          char q[16];
          std::snprintf(q, sizeof q, ";q=%.2f", m.q()->value() / 100.0);
          type += q;
        }
        req.accept += type + ", ";
      }
    }
    req.accept_encoding = header_value(preq, "Accept-Encoding");
    req.if_none_match = header_value(preq, "If-None-Match");
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
                                                 keep_alive, started, std::move(answering));
    // Measuring every header field costs a formatted copy of each; a request
    // whose line and headers took fewer bytes than the limit cannot be over it.
    size_t head_bytes = received >= req.body.size() ? received - req.body.size() : SIZE_MAX;
    size_t count = preq.headers().list().size() + preq.headers().rawList().size();
    size_t bytes = head_bytes <= opts_->max_header_bytes ? 0 : header_bytes(preq.headers());
    if (count > opts_->max_header_count || bytes > opts_->max_header_bytes) {
      reply->send(LocalApi::error_response(
          431, "request headers too large: " + std::to_string(count) + " fields, " + std::to_string(bytes) +
                   " bytes (max_header_count " + std::to_string(opts_->max_header_count) + ", max_header_bytes " +
                   std::to_string(opts_->max_header_bytes) + ")"));
      return;
    }
    if (req.body.size() > opts_->max_body_bytes) {
      reply->send(LocalApi::error_response(413, "request body of " + std::to_string(req.body.size()) +
                                                    " bytes is larger than max_body_bytes (" +
                                                    std::to_string(opts_->max_body_bytes) + ")"));
      return;
    }
    api_->handle(req, std::move(reply));
  }

 private:
  // Arms the next tick on this reactor's transport (its callback runs on this
  // reactor thread). Each tick has a timerfd of its own, as Pistache's own
  // timeouts do: Pistache leaves a fired timer's fd in its poller and in its
  // timer table until after the callback, so neither can be armed again; the
  // callback arms the next tick on a new fd, then closes its own.
  void arm_tick() {
    int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return;  // out of descriptors: the next connection tries again
    tick_armed_ = true;
    tick_fd_ = fd;
    Async::Promise<uint64_t> p([this, fd](Async::Deferred<uint64_t> deferred) {
      transport()->armTimer(fd, std::chrono::seconds(1), std::move(deferred));
    });
    p.then(
        [this, fd](uint64_t) {
          tick();
          close_tick_fd(fd);
        },
        [this, fd](std::exception_ptr) {
          tick_armed_ = false;
          close_tick_fd(fd);
        });
  }
  void close_tick_fd(int fd) {
    if (tick_fd_ == fd) tick_fd_ = -1;
    ::close(fd);
  }

  void tick() {
    tick_armed_ = false;
    auto peers = transport()->getAllPeer();
    auto now = std::chrono::steady_clock::now();
    for (const auto& peer : peers) {
      auto conn = connection_of(peer);
      // Idle (Pistache's keepalive_timeout applies) or receiving a request
      // (its header and body timeouts apply): nothing to do.
      if (!conn || conn->refused || conn->pending != 0 || conn->answering->load() == 0) continue;
      if (now - conn->answer_started > opts_->answer_max) {
        conn->refused = true;
        ::shutdown(peer->fd(), SHUT_RDWR);  // Pistache then closes it as any client EOF
        access("- - - connection closed: its answer or stream passed " +
               std::to_string(opts_->answer_max.count() / 1000) + " s (" + peer->address().host() + ")");
        continue;
      }
      Http::Handler::getParser(peer)->reset();  // restarts Pistache's idle clock
    }
    if (!peers.empty()) arm_tick();
  }

  // Answers `status` (0: Pistache has answered already) and closes the
  // connection once the answer is written.
  void refuse(const std::shared_ptr<Tcp::Peer>& peer, Connection& conn, int status, const std::string& message) {
    conn.refused = true;
    std::string bytes =
        status ? closing_response(status, LocalApi::error_response(status, message), opts_->cors) : std::string();
    size_t n = bytes.size();
    Fd fd = peer->fd();
    std::weak_ptr<Tcp::Peer> weak = peer;
    // Through Pistache's write queue (after any answer already queued); the
    // callback runs on this reactor thread, where the fd is still open while
    // the Peer lives.
    peer->send(RawBuffer(std::move(bytes), n)).then(
        [weak, fd](ssize_t) {
          if (weak.lock()) ::shutdown(fd, SHUT_WR);
        },
        [weak, fd](std::exception_ptr) {
          if (weak.lock()) ::shutdown(fd, SHUT_RDWR);
        });
    access("- - " + std::to_string(status) + " connection closed: " + message + " (" + peer->address().host() + ")");
  }

  void access(const std::string& line) const {
    if (*log_) (*log_)(line);
  }

  LocalApi* api_;
  const ServerOptions* opts_;
  const AccessLog* log_;
  std::atomic<size_t>* open_;
  std::shared_ptr<ParserHost> parser_host_;
  int tick_fd_ = -1;  // the armed tick's timerfd
  bool tick_armed_ = false;
};

void ParserHost::onRequest(const Http::Request& request, Http::ResponseWriter response) {
  outer_->serve(request, std::move(response));
}

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
                 .keepaliveTimeout(impl_->opts.keepalive_timeout);  // idle connections only (see tick)
    impl_->endpoint->init(o);
    if (!impl_->opts.open_connections) impl_->opts.open_connections = std::make_shared<std::atomic<size_t>>(0);
    impl_->endpoint->setHandler(
        Http::make_handler<Handler>(&impl_->api, &impl_->opts, &impl_->log, impl_->opts.open_connections.get()));
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

size_t HttpServer::open_connections() const {
  return impl_->opts.open_connections ? impl_->opts.open_connections->load() : 0;
}

uint16_t HttpServer::port() const {
  return impl_->endpoint ? static_cast<uint16_t>(impl_->endpoint->getPort()) : 0;
}

}  // namespace saltgw::rest
