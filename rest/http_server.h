// The HTTP front end: Pistache in, LocalApi behind it.
//
// Converts each Pistache request to an HttpRequest, hands it to LocalApi and
// writes the HttpResponse back (from whichever thread answers: Pistache
// queues writes to the connection's reactor), adding CORS headers for any
// origin and logging one access line per request. Pistache's worker threads
// never wait for the minion.
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
  // progress is closed after keepalive_timeout (at least 5 s: the gate's tick
  // that keeps busy connections from counting as idle runs every second). A
  // job's answer or a stream (NDJSON, SSE) ends at the latest answer_max
  // after its request was handed on.
  std::chrono::milliseconds keepalive_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds answer_max{std::chrono::hours(1)};
  // Open connections (over every server sharing `open_connections`). The one
  // over the limit gets a JSON 503 with Retry-After and is closed at once,
  // before it can hold a worker or a parser.
  size_t max_connections = 256;
  std::shared_ptr<std::atomic<size_t>> open_connections;  // null: this server counts alone
  // Request headers: more than max_header_count fields, or more than
  // max_header_bytes of names and values together, get a JSON 431.
  size_t max_header_count = 64;
  size_t max_header_bytes = 16384;
  // One access-log line per request while this is true (null: always). The
  // connection gate's refusals are logged regardless.
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
