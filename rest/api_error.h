// An error as the API answers it, and the one function that writes it.
//
// Every error a client sees is an ApiError: a status, a stable kind (the
// names in rest/error_map.h, listed in docs/api-errors.md), a message a
// person can act on, a Retry-After when the table says so, and, for a
// function that failed with a structured return, that return. Its status and
// Retry-After always come from the table in rest/error_map.h: an ApiError is
// made from a salt_ipc::Error, from an HttpKind, or (for the HTTP front end,
// which knows only the status it answers) from a status.
//
// error_fields() is the one place that decides what an error says
// ({"error", "kind"} and "return" when there is one); error_response() is
// the one function that writes an error answer (JSON body of those fields,
// Retry-After, and the extra headers the error carries, such as Allow).
// The streamed NDJSON error line and the job view embed error_fields().
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rest/error_map.h"
#include "salt_ipc/error.h"
#include "salt_ipc/value.h"

namespace saltgw::rest {

struct HttpResponse;  // rest/api.h

struct ApiError {
  int status = 500;
  std::string kind = "internal";
  std::string message;
  int retry_after_s = 0;  // 0: no Retry-After
  // The function's return, when it failed with one worth showing ("return").
  std::shared_ptr<const salt_ipc::Value> detail;
  // Extra response headers this answer needs (Allow, WWW-Authenticate).
  std::vector<std::pair<std::string, std::string>> headers;

  // From an error of the layers below; implicit, so a salt_ipc::Error can be
  // answered as it is.
  ApiError(const salt_ipc::Error& error);  // NOLINT(google-explicit-constructor)
  ApiError(HttpKind kind, std::string message);
  ApiError(salt_ipc::ErrorKind kind, std::string message);
  // The HTTP front end's connection-level answers (400, 408, 413, 431, 501,
  // 505, ...): the kind is the one error_map.h gives that status.
  static ApiError for_status(int status, std::string message);

  // Adds a header to the answer; returns *this for chaining.
  ApiError& with_header(std::string name, std::string value);

 private:
  ApiError(const HttpError& e, std::string message);
};

// {"error": message, "kind": kind} and "return" when the error has a detail.
salt_ipc::Map error_fields(const ApiError& error);

// The answer: error.status, a JSON body of error_fields(error), Retry-After
// when due, then error.headers.
HttpResponse error_response(const ApiError& error);

}  // namespace saltgw::rest
