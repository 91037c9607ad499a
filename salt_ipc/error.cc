#include "salt_ipc/error.h"

namespace saltgw::salt_ipc {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return "invalid_argument";
    case ErrorKind::kUnknownFunction: return "unknown_function";
    case ErrorKind::kFunctionFailed: return "function_failed";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kMinionUnreachable: return "minion_unreachable";
    case ErrorKind::kConnectionLost: return "connection_lost";
    case ErrorKind::kResultTrimmed: return "result_trimmed";
    case ErrorKind::kProtocol: return "protocol";
    case ErrorKind::kConfig: return "config";
    case ErrorKind::kEngineUnavailable: return "engine_unavailable";
    case ErrorKind::kOverloaded: return "overloaded";
    case ErrorKind::kCancelled: return "cancelled";
    case ErrorKind::kNotFound: return "not_found";
    case ErrorKind::kInternal: return "internal";
  }
  return "internal";
}

}  // namespace saltgw::salt_ipc
