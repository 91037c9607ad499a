// The HTTP front end: Pistache in, LocalApi behind it.
//
// Converts each Pistache request to an HttpRequest, hands it to LocalApi and
// writes the HttpResponse back (from whichever thread answers: Pistache
// queues writes to the connection's reactor), adding CORS headers for any
// origin and logging one access line per request. Pistache's worker threads
// never wait for the minion.
#pragma once

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
  // An idle keep-alive connection, a job's answer, and a stream (NDJSON, SSE)
  // all end at the latest this long after the request arrived.
  std::chrono::milliseconds keepalive_timeout{std::chrono::hours(1)};
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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "host:port" -> pair; kConfig error when malformed.
salt_ipc::Result<std::pair<std::string, uint16_t>> parse_listen(const std::string& listen);

}  // namespace saltgw::rest
