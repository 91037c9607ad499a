#include "gateway/config.h"

#include <yaml-cpp/yaml.h>

#include "gateway/logging.h"

namespace saltgw::gateway {

using salt_ipc::ErrorKind;
using salt_ipc::make_error;

salt_ipc::Status load_config_file(const std::string& path, Config& c) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return make_error(ErrorKind::kConfig, "cannot read config file " + path);
  } catch (const YAML::Exception& e) {
    return make_error(ErrorKind::kConfig, "config file " + path + ": " + e.what());
  }
  c.config_file = path;
  if (!root || root.IsNull()) return salt_ipc::Ok{};
  if (!root.IsMap()) return make_error(ErrorKind::kConfig, "config file " + path + " is not a YAML mapping");
  std::string key;
  try {
    for (const auto& kv : root) {
      key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "listen") {
        if (v.IsSequence()) {  // a list of addresses: serve on each
          c.listen.clear();
          for (const auto& e : v) {
            if (!c.listen.empty()) c.listen.push_back(',');
            c.listen.append(e.as<std::string>());
          }
        } else {
          c.listen = v.as<std::string>();
        }
      }
      else if (key == "minion_config") c.minion_config = v.as<std::string>();
      else if (key == "dispatch") c.dispatch = v.as<std::string>();
      else if (key == "engine_socket") c.engine_socket = v.as<std::string>();
      else if (key == "job_timeout") c.job_timeout_s = v.as<double>();
      else if (key == "log_root") c.log_root = v.as<std::string>();
      else if (key == "auth") c.auth = v.as<std::string>();
      else if (key == "cors") c.cors = v.as<bool>();
      else if (key == "secret_file") c.secret_file = v.as<std::string>();
      else if (key == "threads") c.threads = v.as<int>();
      else if (key == "max_body_bytes") c.max_body_bytes = v.as<size_t>();
      else if (key == "log_level") c.log_level = v.as<std::string>();
      else if (key == "max_jobs") c.max_jobs = v.as<size_t>();
      else if (key == "max_jobs_per_client") c.max_jobs_per_client = v.as<size_t>();
      else if (key == "functions_allow") c.functions_allow = v.as<std::vector<std::string>>();
      else if (key == "functions_deny") c.functions_deny = v.as<std::vector<std::string>>();
      else if (key == "shutdown_grace_seconds") c.shutdown_grace_s = v.as<double>();
      else if (key == "stream_max_seconds") c.stream_max_s = v.as<double>();
      else if (key == "jobs_keep_count") c.jobs_keep_count = v.as<size_t>();
      else if (key == "jobs_keep_seconds") c.jobs_keep_s = v.as<double>();
      else if (key == "jobs_keep_bytes") c.jobs_keep_bytes = v.as<size_t>();
      else if (key == "announce_jobs") c.announce_jobs = v.as<bool>();
      else if (key == "max_connections") c.max_connections = v.as<size_t>();
      else if (key == "max_header_count") c.max_header_count = v.as<size_t>();
      else if (key == "max_header_bytes") c.max_header_bytes = v.as<size_t>();
      else if (key == "header_timeout_seconds") c.header_timeout_s = v.as<double>();
      else if (key == "keepalive_timeout_seconds") c.keepalive_timeout_s = v.as<double>();
      else if (key == "body_timeout_seconds") c.body_timeout_s = v.as<double>();
      else return make_error(ErrorKind::kConfig, "config file " + path + ": unknown key '" + key + "'");
    }
  } catch (const YAML::Exception& e) {
    return make_error(ErrorKind::kConfig, "config file " + path + ": bad value for '" + key + "'");
  }
  return validate(c);
}

std::vector<std::string> listen_addresses(const std::string& listen) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= listen.size()) {
    size_t j = listen.find(',', i);
    if (j == std::string::npos) j = listen.size();
    std::string a = listen.substr(i, j - i);
    a.erase(0, a.find_first_not_of(" \t"));
    a.erase(a.find_last_not_of(" \t") + 1);
    if (!a.empty()) out.push_back(a);
    i = j + 1;
  }
  return out;
}

salt_ipc::Status validate(const Config& c) {
  auto bad = [](const std::string& key, const std::string& why) {
    return make_error(ErrorKind::kConfig, "config: '" + key + "' " + why);
  };
  if (c.dispatch != "auto" && c.dispatch != "engine" && c.dispatch != "schedule" && c.dispatch != "minion_job")
    return bad("dispatch", "must be auto, engine, schedule or minion_job (got '" + c.dispatch + "')");
  if (!(c.job_timeout_s > 0 && c.job_timeout_s <= 86400)) return bad("job_timeout", "must be between 0 and 86400 seconds");
  if (listen_addresses(c.listen).empty()) return bad("listen", "needs at least one ADDRESS:PORT");
  if (listen_addresses(c.listen).size() > 16) return bad("listen", "takes at most 16 addresses");
  if (c.auth != "open" && c.auth != "required") return bad("auth", "must be 'open' or 'required'");
  if (c.threads < 1 || c.threads > 64) return bad("threads", "must be between 1 and 64");
  if (c.max_body_bytes < 1024 || c.max_body_bytes > (256u << 20)) return bad("max_body_bytes", "must be between 1 KiB and 256 MiB");
  if (c.max_jobs < 1 || c.max_jobs > 100000) return bad("max_jobs", "must be between 1 and 100000");
  if (c.max_jobs_per_client < 1 || c.max_jobs_per_client > c.max_jobs)
    return bad("max_jobs_per_client", "must be between 1 and max_jobs");
  if (!(c.shutdown_grace_s >= 0 && c.shutdown_grace_s <= 3600)) return bad("shutdown_grace_seconds", "must be between 0 and 3600");
  if (!(c.stream_max_s >= 10 && c.stream_max_s <= 86400)) return bad("stream_max_seconds", "must be between 10 and 86400");
  if (c.jobs_keep_count < 1 || c.jobs_keep_count > 100000) return bad("jobs_keep_count", "must be between 1 and 100000");
  if (!(c.jobs_keep_s >= 1 && c.jobs_keep_s <= 7 * 86400)) return bad("jobs_keep_seconds", "must be between 1 s and 7 days");
  if (c.jobs_keep_bytes > (size_t{1} << 30)) return bad("jobs_keep_bytes", "must be at most 1073741824 (1 GiB)");
  if (c.max_connections < 1 || c.max_connections > 60000) return bad("max_connections", "must be between 1 and 60000");
  if (c.max_header_count < 8 || c.max_header_count > 1000) return bad("max_header_count", "must be between 8 and 1000");
  if (c.max_header_bytes < 1024 || c.max_header_bytes > (1u << 20)) return bad("max_header_bytes", "must be between 1 KiB and 1 MiB");
  if (!(c.header_timeout_s >= 0.5 && c.header_timeout_s <= 600)) return bad("header_timeout_seconds", "must be between 0.5 and 600");
  if (!(c.keepalive_timeout_s >= 5 && c.keepalive_timeout_s <= 86400))
    return bad("keepalive_timeout_seconds", "must be between 5 and 86400");
  if (!(c.body_timeout_s >= c.header_timeout_s && c.body_timeout_s <= 3600))
    return bad("body_timeout_seconds", "must be between header_timeout_seconds and 3600");
  if (!parse_log_level(c.log_level))
    return bad("log_level", "must be debug, info, warning or error");
  return salt_ipc::Ok{};
}

}  // namespace saltgw::gateway
