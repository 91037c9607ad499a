#include "rest/api_error.h"

#include "rest/api.h"
#include "rest/json.h"

namespace saltgw::rest {

ApiError::ApiError(const HttpError& e, std::string msg)
    : status(e.status), kind(e.kind), message(std::move(msg)), retry_after_s(e.retry_after_s) {}

ApiError::ApiError(const salt_ipc::Error& error) : ApiError(http_error_for(error.kind), error.message) {
  detail = error.detail;
}

ApiError::ApiError(HttpKind k, std::string msg) : ApiError(http_error_for(k), std::move(msg)) {}

ApiError::ApiError(salt_ipc::ErrorKind k, std::string msg) : ApiError(http_error_for(k), std::move(msg)) {}

ApiError ApiError::for_status(int status, std::string message) {
  return ApiError(http_error_for_status(status), std::move(message));
}

ApiError& ApiError::with_header(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

salt_ipc::Map error_fields(const ApiError& error) {
  salt_ipc::Map m{{"error", salt_ipc::Value(error.message)}, {"kind", salt_ipc::Value(error.kind)}};
  if (error.detail) m["return"] = *error.detail;
  return m;
}

HttpResponse error_response(const ApiError& error) {
  HttpResponse r;
  r.status = error.status;
  r.content_type = "application/json";
  r.body = json_write(salt_ipc::Value(error_fields(error)));
  if (error.retry_after_s > 0) r.headers.emplace_back("Retry-After", std::to_string(error.retry_after_s));
  for (const auto& h : error.headers) r.headers.push_back(h);
  return r;
}

}  // namespace saltgw::rest
