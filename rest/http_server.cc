#include "rest/http_server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>

#include <atomic>
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

class Handler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(Handler)

  Handler(LocalApi* api, const ServerOptions* opts, const AccessLog* log)
      : api_(api), opts_(opts), log_(log) {}

  void onRequest(const Http::Request& preq, Http::ResponseWriter response) override {
    auto started = std::chrono::steady_clock::now();
    bool body_too_large = false;
    HttpRequest req;
    req.method = Http::methodString(preq.method());
    std::string resource = preq.resource();
    req.path = percent_decode(resource);
    for (const char* q : {"file", "stream", "async", "tag"})
      if (auto v = preq.query().get(q)) req.query.emplace(q, percent_decode(*v));
    req.body = preq.body();
    if (req.body.size() > opts_->max_body_bytes) {
      body_too_large = true;
    }
    req.authorization = header_value(preq, "Authorization");
    req.request_headers = header_value(preq, "Access-Control-Request-Headers");
    std::string origin = header_value(preq, "Origin");

    // Pistache 0.0.5 answers "Connection: close" to every request that did not
    // ask for keep-alive, although HTTP/1.1 connections persist by default
    // (RFC 9112 9.3); clients such as curl and wrk then reconnect every time.
    if (preq.version() == Http::Version::Http11) {
      auto conn = preq.headers().tryGet<Http::Header::Connection>();
      if (!conn || conn->control() != Http::ConnectionControl::Close) {
        response.headers().remove<Http::Header::Connection>();
        response.headers().add<Http::Header::Connection>(Http::ConnectionControl::KeepAlive);
      }
    }
    auto writer = std::make_shared<Http::ResponseWriter>(std::move(response));
    auto once = std::make_shared<std::atomic<bool>>(false);
    const ServerOptions* opts = opts_;
    const AccessLog* log = log_;
    std::string method = req.method;
    auto respond = [writer, once, opts, log, method, resource, origin, started](HttpResponse r) {
      if (once->exchange(true)) return;  // exactly one answer per request
      auto& h = writer->headers();
      if (opts->cors) {
        set_header(h, "Access-Control-Allow-Origin", origin.empty() ? "*" : origin);
        if (!origin.empty()) set_header(h, "Vary", "Origin");
        set_header(h, "Access-Control-Expose-Headers", "Content-Disposition, X-Salt-Jid, Retry-After");
      }
      for (auto& [k, v] : r.headers) set_header(h, k, v);
      if (!r.jid.empty()) set_header(h, "X-Salt-Jid", r.jid);
      if (!r.file_path.empty()) {
        try {
          Http::serveFile(*writer, r.file_path, Http::Mime::MediaType::fromString(r.content_type));
        } catch (const std::exception& e) {  // vanished between resolve and open
          r = LocalApi::error_response(404, "404 Not Found: the log file could not be opened");
          h.remove("Content-Disposition");
          h.add<Http::Header::ContentType>(Http::Mime::MediaType::fromString(r.content_type));
          writer->send(static_cast<Http::Code>(r.status), r.body);
        }
      } else {
        if (!r.content_type.empty())
          h.add<Http::Header::ContentType>(Http::Mime::MediaType::fromString(r.content_type));
        if (r.status == 204) writer->send(Http::Code::No_Content);
        else writer->send(static_cast<Http::Code>(r.status), r.body);
      }
      if (*log) {
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1fms", ms);
        (*log)(method + " " + resource + " " + std::to_string(r.status) + " " + buf +
               (r.jid.empty() ? "" : " jid=" + r.jid));
      }
    };
    if (body_too_large) {
      respond(LocalApi::error_response(413, "request body of " + std::to_string(req.body.size()) +
                                                " bytes is larger than max_body_bytes (" +
                                                std::to_string(opts_->max_body_bytes) + ")"));
      return;
    }
    api_->handle(req, std::move(respond));
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
                 // Pistache's own ceiling (it answers 413 in plain text above it);
                 // bodies between max_body_bytes and it get saltgw's JSON 413.
                 .maxRequestSize(impl_->opts.max_body_bytes * 2 + 65536)
                 .headerTimeout(impl_->opts.header_timeout)
                 .bodyTimeout(impl_->opts.body_timeout);
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
