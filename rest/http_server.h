// The HTTP front end: saltgw's HTTP/1.1 (rest/http/) on Pistache's TCP layer,
// LocalApi behind it.
//
// A Pistache Tcp::Listener accepts connections and spreads them over
// `threads` reactor threads (rest/http/pistache_adapter.h); each connection
// (rest/http/connection.h) reads its requests, hands each to LocalApi as an
// HttpRequest and writes the HttpResponse back (from whichever thread
// answers), adding CORS headers for any origin and logging one access line
// per request. Reactor threads never wait for the minion, and sleep while
// nothing happens: a timer is armed only while a connection has a deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "rest/api.h"

namespace saltgw::rest {

struct ServerOptions {
  std::string listen = "0.0.0.0:9000";
  int threads = 2;
  size_t max_body_bytes = 1u << 20;
  bool cors = true;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  // A keep-alive connection with no request coming in and no answer in
  // progress is closed after keepalive_timeout. A job's answer or a stream
  // (NDJSON, SSE) ends at the latest answer_max after its request was handed
  // on. header_timeout and body_timeout apply to every request of a
  // connection (see rest/http/connection.h).
  std::chrono::milliseconds keepalive_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds answer_max{std::chrono::hours(1)};
  // Open connections (over every server sharing `open_connections`). The one
  // over the limit gets a JSON 503 with Retry-After and is closed at once,
  // before any of its bytes is read.
  size_t max_connections = 256;
  std::shared_ptr<std::atomic<size_t>> open_connections;  // null: this server counts alone
  // Request headers: more than max_header_count fields, or more than
  // max_header_bytes of names and values together, get a JSON 431.
  size_t max_header_count = 64;
  size_t max_header_bytes = 16384;
  // One access-log line per request while this is true (null: always).
  // Refused and cut-off connections are logged regardless.
  std::shared_ptr<std::atomic<bool>> access_log_on;
};

// One access-log line: method, path, status, duration, jid.
using AccessLog = std::function<void(const std::string& line)>;

class HttpServer {
 public:
  HttpServer(ServerOptions options, LocalApi& api, AccessLog access_log);
  ~HttpServer();

  // Binds and starts serving in background threads. kConfig error on a bad
  // address, kInternal when the port cannot be bound (message says why).
  salt_ipc::Status start();
  void stop();
  // The port actually bound (useful with port 0).
  uint16_t port() const;
  // Connections open now (shared count when open_connections was given).
  size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "host:port" -> pair; kConfig error when malformed.
salt_ipc::Result<std::pair<std::string, uint16_t>> parse_listen(const std::string& listen);

}  // namespace saltgw::rest
