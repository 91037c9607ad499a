// The AutoPi Local API, independent of any HTTP library.
//
// LocalApi turns an HttpRequest into an HttpResponse: routing, trailing
// slashes, methods (405 with Allow), CORS preflight, unit-id checks, auth,
// JSON bodies, and the jobs behind each route. Job routes answer
// asynchronously: the Responder is called exactly once, possibly from the
// salt_ipc I/O thread, never while a lock of the caller is held.
//
// Routes (trailing slash optional):
//   GET  /                               {"unit_id": ...}
//   POST /auth/login/                    token + local user
//   GET  /dongle/devices/                [{"unit_id", "display"}]
//   GET  /download_log/?file=NAME        the file, as an attachment
//   POST /dongle/<unit_id>/execute/      {"command","arg","kwarg"} or ["fun", "word", ...]
//   POST /dongle/<unit_id>/execute_raw/  {"command": "fun word ..."}
//   GET  /dongle/<unit_id>/settings/apn/
//   PUT  /dongle/<unit_id>/settings/apn/
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rest/jwt.h"
#include "rest/unit_id.h"
#include "salt_ipc/job.h"

namespace saltgw::rest {

struct HttpRequest {
  std::string method;    // "GET", ...
  std::string path;      // without the query string, percent-decoded
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string authorization;  // Authorization header, if any
  std::string request_headers;  // Access-Control-Request-Headers, if any
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string file_path;  // when set: stream this file as the body
  std::string jid;        // for the access log
};

using Responder = std::function<void(HttpResponse)>;

struct ApiOptions {
  std::string minion_id;
  std::string log_root = "/var/log";
  bool auth_required = false;
  std::chrono::milliseconds job_timeout{std::chrono::seconds(300)};
  std::string dispatch_name;  // shown in GET / diagnostics headers
};

class LocalApi {
 public:
  // `strategy` and `signer` must outlive the LocalApi.
  LocalApi(ApiOptions options, salt_ipc::Strategy& strategy, const JwtSigner& signer);

  void handle(const HttpRequest& request, Responder respond);

  const UnitId& unit_id() const { return unit_id_; }

  // Error response for an error kind (the one table in error_map.h).
  static HttpResponse error_response(const salt_ipc::Error& error);
  static HttpResponse error_response(int status, std::string_view message);

 private:
  void execute(const HttpRequest& req, Responder respond, bool raw);
  void apn_get(Responder respond);
  void apn_put(const HttpRequest& req, Responder respond);
  void run_job(salt_ipc::JobRequest job, Responder respond);
  bool authorized(const HttpRequest& req) const;

  ApiOptions opts_;
  UnitId unit_id_;
  salt_ipc::Strategy& strategy_;
  const JwtSigner& signer_;
};

}  // namespace saltgw::rest
