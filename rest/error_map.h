// The one table from error kinds to HTTP status codes.
//
// Two families of kinds reach a client. salt_ipc::ErrorKind comes from below
// (the minion, its bus, the engine, the job store, the log files); HttpKind is
// what rest/ and the HTTP front end decide themselves (auth, methods, limits,
// HTTP's grammar). Each kind has exactly one status and one stable name; the
// name is the body's "kind" (docs/api-errors.md lists them all).
//
//   kind                        status  meaning for the client
//   invalid_argument            400     the request is malformed; fix it
//   unknown_function            400     the minion has no such function
//   unauthorized                401     token missing/invalid, or another device's unit id
//   forbidden                   403     functions_allow / functions_deny refuse the function
//   not_found                   404     no such route, job, log file
//   method_not_allowed          405     wrong method (Allow lists the right ones)
//   request_timeout             408     the request did not arrive in time
//   conflict                    409     the job is not running (DELETE)
//   body_too_large              413     body over max_body_bytes
//   too_many_requests           429     max_jobs_per_client reached (Retry-After)
//   headers_too_large           431     header fields over the limits
//   function_failed             500     the function ran and failed (as the reference API)
//   config, internal            500     a bug or a broken install: should not reach a client
//   not_implemented             501     a method or transfer coding saltgw does not serve
//   connection_lost             502     the minion went away mid-job; outcome unknown
//   result_trimmed              502     the minion cut the result (max_event_size)
//   protocol                    502     the minion's side spoke something unexpected
//   minion_unreachable          503     the minion is not running / bus not up (Retry-After)
//   engine_unavailable          503     the executor engine is not enabled (Retry-After)
//   overloaded                  503     too many jobs / connections (Retry-After)
//   cancelled                   503     saltgw is shutting down / job stopped (Retry-After)
//   timeout                     504     no result in time; the job may still run
//   http_version_not_supported  505     neither HTTP/1.0 nor HTTP/1.1
#pragma once

#include "salt_ipc/error.h"

namespace saltgw::rest {

// Kinds decided in rest/ (HTTP-level), beside salt_ipc::ErrorKind.
enum class HttpKind {
  kUnauthorized,
  kForbidden,
  kMethodNotAllowed,
  kRequestTimeout,
  kConflict,
  kBodyTooLarge,
  kTooManyRequests,
  kHeadersTooLarge,
  kNotImplemented,
  kHttpVersionNotSupported,
};
inline constexpr HttpKind kAllHttpKinds[] = {
    HttpKind::kUnauthorized,    HttpKind::kForbidden,       HttpKind::kMethodNotAllowed,
    HttpKind::kRequestTimeout,  HttpKind::kConflict,        HttpKind::kBodyTooLarge,
    HttpKind::kTooManyRequests, HttpKind::kHeadersTooLarge, HttpKind::kNotImplemented,
    HttpKind::kHttpVersionNotSupported,
};

struct HttpError {
  int status;
  int retry_after_s;  // 0: no Retry-After header
  const char* kind;   // the body's "kind"
};

HttpError http_error_for(salt_ipc::ErrorKind kind);
HttpError http_error_for(HttpKind kind);

// For a caller that knows only the status it answers (the HTTP front end's
// connection-level answers): the kind of that status in the table above, and
// its Retry-After. Statuses two kinds share resolve to the one such an answer
// means: 400 invalid_argument, 404 not_found, 500 internal, 502 protocol,
// 503 overloaded (max_connections), 504 timeout. A status not in the table
// keeps its number with kind internal.
HttpError http_error_for_status(int status);

}  // namespace saltgw::rest
