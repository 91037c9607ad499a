#include "salt_ipc/minion_config.h"

#include <glob.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "salt_ipc/digest.h"

namespace saltgw::salt_ipc {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> glob_sorted(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  return out;  // glob sorts by default
}

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  auto e = s.find_last_not_of(ws);
  s.erase(e == std::string::npos ? 0 : e + 1);
  return s;
}

// Salt's prepend_root_dir: absolute paths outside root_dir get root_dir prefixed.
std::string prepend_root(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return path;
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  if (path == r || path.rfind(r + "/", 0) == 0) return path;
  if (!path.empty() && path[0] == '/') return r + path;
  return r + "/" + path;
}

struct Loader {
  MinionConfig cfg;
  bool have_id = false;
  std::string default_include = "minion.d/*.conf";
  std::vector<std::string> includes;

  Status apply(const std::string& file, bool required) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(file);
    } catch (const YAML::BadFile&) {
      if (!required) return Ok{};
      return make_error(ErrorKind::kConfig, "cannot read minion config " + file);
    } catch (const YAML::Exception& e) {
      return make_error(ErrorKind::kConfig, "minion config " + file + ": " + e.what());
    }
    if (!root || root.IsNull()) return Ok{};
    if (!root.IsMap())
      return make_error(ErrorKind::kConfig, "minion config " + file + " is not a YAML mapping");
    std::string key;
    try {
      for (const auto& kv : root) {
        key = kv.first.as<std::string>();
        const YAML::Node& v = kv.second;
        if (v.IsNull()) continue;
        if (key == "id") { cfg.id = v.as<std::string>(); have_id = true; }
        else if (key == "root_dir") cfg.root_dir = v.as<std::string>();
        else if (key == "sock_dir") cfg.sock_dir = v.as<std::string>();
        else if (key == "cachedir") cfg.cachedir = v.as<std::string>();
        else if (key == "hash_type") { cfg.hash_type = v.as<std::string>(); cfg.hash_type_set = true; }
        else if (key == "ipc_mode") cfg.ipc_mode = v.as<std::string>();
        else if (key == "tcp_pub_port") cfg.tcp_pub_port = v.as<int>();
        else if (key == "tcp_pull_port") cfg.tcp_pull_port = v.as<int>();
        else if (key == "max_event_size") cfg.max_event_size = v.as<int64_t>();
        else if (key == "cache_jobs") cfg.cache_jobs = v.as<bool>();
        else if (key == "default_include") default_include = v.as<std::string>();
        else if (key == "include") {
          if (v.IsSequence())
            for (const auto& e : v) includes.push_back(e.as<std::string>());
          else
            includes.push_back(v.as<std::string>());
        }
      }
    } catch (const YAML::Exception& e) {
      return make_error(ErrorKind::kConfig,
                        "minion config " + file + ": bad value for '" + key + "': " + e.what());
    }
    return Ok{};
  }
};

}  // namespace

Result<MinionConfig> load_minion_config(const std::string& path) {
  Loader l;
  l.cfg.config_path = path;
  if (auto s = l.apply(path, true); !s) return s.error();
  fs::path dir = fs::path(path).parent_path();
  auto resolve = [&](const std::string& pattern) {
    return fs::path(pattern).is_absolute() ? pattern : (dir / pattern).string();
  };
  // default_include first, then explicit includes (Salt's include_config order).
  std::vector<std::string> patterns{resolve(l.default_include)};
  for (const auto& inc : l.includes) patterns.push_back(resolve(inc));
  for (const auto& pattern : patterns)
    for (const auto& f : glob_sorted(pattern))
      if (auto s = l.apply(f, false); !s) return s.error();

  MinionConfig cfg = l.cfg;
  if (cfg.ipc_mode != "ipc" && cfg.ipc_mode != "tcp")
    return make_error(ErrorKind::kConfig, "minion config " + path +
                                              ": ipc_mode must be 'ipc' or 'tcp', not '" + cfg.ipc_mode + "'");
  cfg.sock_dir = prepend_root(cfg.root_dir, cfg.sock_dir);
  cfg.cachedir = prepend_root(cfg.root_dir, cfg.cachedir);
  if (!l.have_id) {
    std::vector<std::string> candidates{(dir / "minion_id").string(),
                                        prepend_root(cfg.root_dir, "/etc/salt/minion_id")};
    for (const auto& c : candidates) {
      std::ifstream in(c);
      if (!in) continue;
      std::stringstream ss;
      ss << in.rdbuf();
      cfg.id = trim(ss.str());
      if (!cfg.id.empty()) break;
    }
    if (cfg.id.empty()) {
      char host[256] = {};
      if (::gethostname(host, sizeof host - 1) == 0) cfg.id = host;
    }
  }
  if (cfg.id.empty())
    return make_error(ErrorKind::kConfig, "minion config " + path + ": no minion id found");
  return cfg;
}

std::string BusEndpoints::describe() const {
  if (tcp)
    return "tcp://" + host + ":" + std::to_string(pub_port) + " (pub), tcp://" + host + ":" +
           std::to_string(pull_port) + " (pull)";
  return pub_path + " (pub), " + pull_path + " (pull)";
}

Result<BusEndpoints> bus_endpoints(const MinionConfig& config) {
  BusEndpoints e;
  if (config.ipc_mode == "tcp") {
    e.tcp = true;
    e.pub_port = config.tcp_pub_port;
    e.pull_port = config.tcp_pull_port;
    return e;
  }
  auto h = hex_digest(config.hash_type, config.id);
  if (!h) return h.error();
  std::string id_hash = h->substr(0, 10);
  e.pub_path = (fs::path(config.sock_dir) / ("minion_event_" + id_hash + "_pub.ipc")).string();
  e.pull_path = (fs::path(config.sock_dir) / ("minion_event_" + id_hash + "_pull.ipc")).string();
  e.hash_type = config.hash_type;
  return e;
}

std::vector<BusEndpoints> candidate_bus_endpoints(const MinionConfig& config) {
  std::vector<BusEndpoints> out;
  if (config.ipc_mode == "tcp" || config.hash_type_set) {
    if (auto e = bus_endpoints(config)) out.push_back(e.value());
    return out;
  }
  // No hash_type in the config: the release's default decides, and saltgw
  // cannot know the release. The configured (default) hash first, then md5.
  for (const char* hash : {config.hash_type.c_str(), "md5"}) {
    MinionConfig c = config;
    c.hash_type = hash;
    auto e = bus_endpoints(c);
    if (!e) continue;
    bool dup = false;
    for (const auto& o : out) dup = dup || o.pub_path == e->pub_path;
    if (!dup) out.push_back(e.value());
  }
  return out;
}

Result<BusEndpoints> find_bus_endpoints(const MinionConfig& config) {
  auto all = candidate_bus_endpoints(config);
  if (all.empty()) return bus_endpoints(config);  // carries the error
  for (const auto& e : all) {
    std::error_code ec;
    if (e.tcp || fs::exists(e.pub_path, ec)) return e;
  }
  return all.front();
}

}  // namespace saltgw::salt_ipc
