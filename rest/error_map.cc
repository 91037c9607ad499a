#include "rest/error_map.h"

namespace saltgw::rest {

using salt_ipc::ErrorKind;

HttpError http_error_for(ErrorKind kind) {
  const char* name = salt_ipc::error_kind_name(kind);
  switch (kind) {
    case ErrorKind::kInvalidArgument: return {400, 0, name};
    case ErrorKind::kUnknownFunction: return {400, 0, name};
    case ErrorKind::kFunctionFailed: return {500, 0, name};
    case ErrorKind::kTimeout: return {504, 0, name};
    case ErrorKind::kMinionUnreachable: return {503, 2, name};
    case ErrorKind::kConnectionLost: return {502, 0, name};
    case ErrorKind::kResultTrimmed: return {502, 0, name};
    case ErrorKind::kProtocol: return {502, 0, name};
    case ErrorKind::kEngineUnavailable: return {503, 5, name};
    case ErrorKind::kOverloaded: return {503, 1, name};
    case ErrorKind::kCancelled: return {503, 1, name};
    case ErrorKind::kNotFound: return {404, 0, name};
    case ErrorKind::kConfig: return {500, 0, name};
    case ErrorKind::kInternal: return {500, 0, name};
  }
  return {500, 0, "internal"};
}

HttpError http_error_for(HttpKind kind) {
  switch (kind) {
    case HttpKind::kUnauthorized: return {401, 0, "unauthorized"};
    case HttpKind::kForbidden: return {403, 0, "forbidden"};
    case HttpKind::kMethodNotAllowed: return {405, 0, "method_not_allowed"};
    case HttpKind::kRequestTimeout: return {408, 0, "request_timeout"};
    case HttpKind::kConflict: return {409, 0, "conflict"};
    case HttpKind::kBodyTooLarge: return {413, 0, "body_too_large"};
    case HttpKind::kTooManyRequests: return {429, 1, "too_many_requests"};
    case HttpKind::kHeadersTooLarge: return {431, 0, "headers_too_large"};
    case HttpKind::kNotImplemented: return {501, 0, "not_implemented"};
    case HttpKind::kHttpVersionNotSupported: return {505, 0, "http_version_not_supported"};
  }
  return {500, 0, "internal"};
}

HttpError http_error_for_status(int status) {
  for (HttpKind k : kAllHttpKinds)
    if (http_error_for(k).status == status) return http_error_for(k);
  switch (status) {
    case 400: return http_error_for(ErrorKind::kInvalidArgument);
    case 404: return http_error_for(ErrorKind::kNotFound);
    case 500: return http_error_for(ErrorKind::kInternal);
    case 502: return http_error_for(ErrorKind::kProtocol);
    case 503: return http_error_for(ErrorKind::kOverloaded);
    case 504: return http_error_for(ErrorKind::kTimeout);
    default: return {status, 0, "internal"};
  }
}

}  // namespace saltgw::rest
