#include "salt_ipc/job.h"

#include <cctype>

namespace saltgw::salt_ipc {

bool is_valid_function_name(std::string_view fun) {
  if (fun.empty() || fun.size() > 256) return false;
  size_t dot = fun.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == fun.size()) return false;
  char prev = '.';
  for (char c : fun) {
    bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!word && c != '.') return false;
    if (c == '.' && prev == '.') return false;
    prev = c;
  }
  return true;
}

std::string no_progress_note(std::string_view dispatch) {
  return "dispatch '" + std::string(dispatch) +
         "': Salt sends state progress to a master only, so this stream carries the result only";
}

JobResult read_job_return(Value answer, std::string jid, std::string fun) {
  JobResult r;
  r.jid = std::move(jid);
  r.fun = std::move(fun);
  if (const Value* v = answer.find("fun"); v && v->is_string()) r.fun = v->as_string();
  if (answer.is_map())
    if (auto it = answer.as_map().find("return"); it != answer.as_map().end()) r.ret = std::move(it->second);
  if (const Value* v = answer.find("retcode"); v && v->is_int()) r.retcode = static_cast<int>(v->as_int());
  const Value* success = answer.find("success");
  r.success = success && success->is_bool() ? success->as_bool() : r.retcode == 0;
  return r;
}

Result<JobResult> settle_result(JobResult result, int64_t max_event_size) {
  if (contains_string(result.ret, "VALUE_TRIMMED")) {
    return make_error(ErrorKind::kResultTrimmed,
                      "the minion trimmed the result of " + result.fun +
                          " because it exceeded max_event_size (" +
                          std::to_string(max_event_size) +
                          " bytes); raise max_event_size in the minion config or use the "
                          "engine dispatch");
  }
  if (result.success) return result;
  std::string text;
  if (result.ret.is_string()) text = result.ret.as_string();
  // Salt's loader answers unknown names with "'mod.fun' is not available."
  const std::string_view na = " is not available.";
  if (text.size() >= na.size() && std::string_view(text).substr(text.size() - na.size()) == na &&
      text.find(result.fun) != std::string::npos) {
    return make_error(ErrorKind::kUnknownFunction,
                      "unknown function '" + result.fun + "': " + text);
  }
  Error e = make_error(ErrorKind::kFunctionFailed,
                       result.fun + " failed (retcode " + std::to_string(result.retcode) + ")" +
                           (text.empty() ? std::string() : ": " + text));
  if (!result.ret.is_string() && !result.ret.is_null())
    e.detail = std::make_shared<const Value>(std::move(result.ret));
  return e;
}

}  // namespace saltgw::salt_ipc
