#include "rest/error_map.h"

namespace saltgw::rest {

using salt_ipc::ErrorKind;

HttpError http_error_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return {400, 0};
    case ErrorKind::kUnknownFunction: return {400, 0};
    case ErrorKind::kFunctionFailed: return {500, 0};
    case ErrorKind::kTimeout: return {504, 0};
    case ErrorKind::kMinionUnreachable: return {503, 2};
    case ErrorKind::kConnectionLost: return {502, 0};
    case ErrorKind::kResultTrimmed: return {502, 0};
    case ErrorKind::kProtocol: return {502, 0};
    case ErrorKind::kEngineUnavailable: return {503, 5};
    case ErrorKind::kOverloaded: return {503, 1};
    case ErrorKind::kCancelled: return {503, 1};
    case ErrorKind::kNotFound: return {404, 0};
    case ErrorKind::kConfig: return {500, 0};
    case ErrorKind::kInternal: return {500, 0};
  }
  return {500, 0};
}

}  // namespace saltgw::rest
