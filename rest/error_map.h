// The one table from error kinds to HTTP status codes.
//
//   kind                status  meaning for the client
//   invalid_argument    400     the request is malformed; fix it
//   unknown_function    400     the minion has no such function
//   function_failed     500     the function ran and failed (as the reference API)
//   timeout             504     no result in time; the job may still run
//   minion_unreachable  503     the minion is not running / bus not up (Retry-After)
//   connection_lost     502     the minion went away mid-job; outcome unknown
//   result_trimmed      502     the minion cut the result (max_event_size)
//   protocol            502     the minion's side spoke something unexpected
//   engine_unavailable  503     the executor engine is not enabled (Retry-After)
//   overloaded          503     too many jobs in flight (Retry-After)
//   cancelled           503     saltgw is shutting down / job stopped
//   not_found           404
//   config, internal    500
#pragma once

#include "salt_ipc/error.h"

namespace saltgw::rest {

struct HttpError {
  int status;
  int retry_after_s;  // 0: no Retry-After header
};

HttpError http_error_for(salt_ipc::ErrorKind kind);

}  // namespace saltgw::rest
