// The AutoPi Local API, independent of any HTTP library.
//
// LocalApi turns an HttpRequest into an HttpResponse: routing (the table in
// rest/routes.h), trailing slashes, methods (405 with Allow), CORS preflight,
// unit-id checks, auth, JSON bodies, and the jobs behind each route. Every
// error it answers is an ApiError written by rest::error_response
// (rest/api_error.h), so every error body has "error" and "kind". Job routes answer
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
//   GET|DELETE /dongle/<unit_id>/jobs/<jid>   a job's state / stop it
//   GET  /dongle/<unit_id>/events?tag=PREFIX  the minion's events, as SSE
//   GET  /logs/                          the files /download_log/ serves (name, size, modified)
//   GET  /info/                          saltgw's version, dispatch, uptime, auth mode
//   GET  /ui/                            the configuration page (rest/ui_assets.h); GET / too
//                                        when the client asks for HTML first
//   GET  /ui/<asset>                     its script and style sheet (versioned names)
// execute and execute_raw also take ?async=1 (202 {"jid"}) and stream NDJSON
// with `Accept: application/x-ndjson` or ?stream=1: an `accepted` line (with
// "progress": "per_state" or "none", from JobControl::capabilities()),
// then `progress` lines (one per state, in run order) and `progress_dropped`
// lines (progress not delivered: the client was stream_max_backlog bytes
// behind, or it was lost on the way), then one `result` or `error` line.
// Progress comes from the strategy's ProgressCallback; nothing waits for it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rest/api_error.h"
#include "rest/body_source.h"
#include "rest/jwt.h"
#include "rest/routes.h"
#include "rest/unit_id.h"
#include "salt_ipc/event_source.h"
#include "salt_ipc/jid.h"
#include "salt_ipc/job.h"
#include "salt_ipc/job_store.h"

namespace saltgw::rest {

struct HttpRequest {
  std::string method;    // "GET", ... (a HEAD request comes as "GET", with `head` set)
  bool head = false;     // HEAD: answered as GET; the server sends the head without the body
  std::string path;      // without the query string, percent-decoded
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string authorization;  // Authorization header, if any
  std::string request_headers;  // Access-Control-Request-Headers, if any
  std::string accept;           // Accept header
  std::string accept_encoding;  // Accept-Encoding header (the page is sent gzipped when it allows)
  std::string if_none_match;    // If-None-Match header (the page's ETag)
  std::string client;           // the peer's address, for per-client limits
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string file_path;  // when set: stream this file as the body
  // When set (and body empty): a body produced piece by piece as the client
  // takes it (rest/body_source.h), sent chunked; for example a large JSON
  // result (rest/json_body.h).
  std::shared_ptr<BodySource> body_source;
  std::string jid;        // for the access log
};

using Responder = std::function<void(HttpResponse)>;

// A response sent in pieces (chunked transfer): NDJSON lines, SSE events.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Queues `chunk`; false once the client is gone (or the stream ended).
  virtual bool write(std::string_view chunk) = 0;
  // Ends the response. Later writes are refused.
  virtual void end() = 0;
  // Ends the response with `tail`'s bytes (a large last line), as one or more
  // chunks. The HTTP layer pulls them only as the client takes them, so the
  // tail never sits whole in memory and no thread waits for the client; this
  // default (for streams without a connection behind them, such as tests'
  // fakes) writes it all now.
  virtual void end_with(std::shared_ptr<BodySource> tail) {
    std::string piece;
    for (bool more = true; more;) {
      piece.clear();
      more = tail->next(piece, 64 * 1024);
      if (!piece.empty() && !write(piece)) break;
    }
    end();
  }
  // Bytes queued for the client and not yet written to its socket.
  virtual size_t backlog() const = 0;
  virtual bool closed() const = 0;
};

// How LocalApi answers: one whole response, or a stream.
class Reply {
 public:
  virtual ~Reply() = default;
  virtual void send(HttpResponse response) = 0;
  virtual std::shared_ptr<ResponseStream> stream(int status, const std::string& content_type,
                                                 const std::vector<std::pair<std::string, std::string>>& headers) = 0;
};

struct ApiOptions {
  std::string minion_id;
  std::string log_root = "/var/log";
  bool auth_required = false;
  std::chrono::milliseconds job_timeout{std::chrono::seconds(300)};
  std::string dispatch_name;  // shown in GET / diagnostics headers
  std::chrono::milliseconds sse_heartbeat{std::chrono::seconds(15)};
  size_t sse_max_backlog = 1u << 20;   // bytes queued for a slow SSE client before events are dropped
  size_t sse_disconnect_backlog = 8u << 20;  // ... and before it is disconnected
  // Bytes queued for a slow NDJSON (streamed job) client beyond which progress
  // lines are not queued but counted and reported in a progress_dropped line.
  size_t stream_max_backlog = 1u << 20;
  size_t max_jobs = 64;             // jobs in flight from all clients (503 beyond)
  size_t max_jobs_per_client = 16;  // jobs in flight from one address (429 beyond)
  // Function policy, glob patterns ("cmd.*"): when allow is not empty only
  // matching functions run; deny always wins. Applies to every job route.
  std::vector<std::string> functions_allow;
  std::vector<std::string> functions_deny;
};

// What LocalApi works with, all owned by the caller and outliving it.
struct ApiDeps {
  salt_ipc::Strategy& strategy;          // jobs
  salt_ipc::Strategy& async_strategy;    // async jobs (one whose jobs can be stopped on the minion)
  const JwtSigner& signer;
  salt_ipc::JidGenerator& jids;
  salt_ipc::JobStore& store;
  salt_ipc::EventSource* events = nullptr;  // live events (SSE /events); may be null
};

class LocalApi {
 public:
  LocalApi(ApiOptions options, ApiDeps deps);
  ~LocalApi();

  void handle(const HttpRequest& request, std::shared_ptr<Reply> reply);

  // SSE clients connected now.
  size_t event_clients() const;
  // Jobs started through the API and not answered yet.
  size_t jobs_in_flight() const;

  // Shutdown: from now on new jobs are refused (503, kind cancelled).
  void drain();
  // SIGHUP: settings that can change while running.
  void reload(bool auth_required, std::chrono::milliseconds job_timeout);

  const UnitId& unit_id() const { return unit_id_; }

  // Error answers, written by rest::error_response (rest/api_error.h), for
  // the HTTP front end and the page: an ApiError (or a salt_ipc::Error, which
  // converts), or a bare status whose kind the table in error_map.h gives.
  static HttpResponse error_response(const ApiError& error);
  static HttpResponse error_response(int status, std::string_view message);

 private:
  // What every route checks before its own work (method, auth, unit id).
  std::optional<ApiError> refusal(const HttpRequest& req, const RouteMatch& route) const;
  // The route's own work.
  void serve(const RouteMatch& route, const HttpRequest& req, std::shared_ptr<Reply> reply);
  HttpResponse login_response() const;
  HttpResponse info_response() const;
  void execute(const HttpRequest& req, std::shared_ptr<Reply> reply, bool raw);
  void apn_get(Responder respond);
  void apn_put(const HttpRequest& req, Responder respond);
  void run_job(salt_ipc::JobRequest job, Responder respond, std::shared_ptr<void> slot);
  void run_streamed(salt_ipc::JobRequest job, std::shared_ptr<Reply> reply, std::shared_ptr<void> slot);
  void run_async(salt_ipc::JobRequest job, Responder respond, std::shared_ptr<void> slot);
  void job_get(const std::string& jid, Responder respond);
  void job_delete(const std::string& jid, Responder respond);
  void events(const HttpRequest& req, std::shared_ptr<Reply> reply);
  bool authorized(const HttpRequest& req) const;
  // A place for one more job from `client`, released when the holder dies;
  // nullptr (and an answer sent) when a limit is reached. A job's callback
  // releases it before the client hears the answer, so that a client that
  // sends its next job on the answer always finds its place free.
  std::shared_ptr<void> admit(const std::string& client, const Responder& respond);

  struct Sse;
  struct Admission;
  std::atomic<bool> draining_{false};
  std::atomic<bool> auth_required_{false};
  std::atomic<int64_t> job_timeout_ms_{0};
  ApiOptions opts_;
  UnitId unit_id_;
  ApiDeps deps_;
  std::shared_ptr<Sse> sse_;
  std::shared_ptr<Admission> admission_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace saltgw::rest
