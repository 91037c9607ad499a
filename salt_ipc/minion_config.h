// What saltgw needs to know about a minion, read from the minion's own config.
//
// Reads the main file (default /etc/salt/minion) and then, as Salt does,
// every file matched by `default_include` (minion.d/*.conf, relative to the
// main file's folder) and by `include`, later files overriding earlier keys.
// The id comes from `id:`, else the `minion_id` file next to the config, else
// <root_dir>/etc/salt/minion_id, else the host name (Salt's own fallback).
// Paths get `root_dir` prepended the way salt.config.prepend_root_dir does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "salt_ipc/error.h"

namespace saltgw::salt_ipc {

struct MinionConfig {
  std::string config_path;
  std::string id;
  std::string root_dir = "/";
  std::string sock_dir = "/var/run/salt/minion";
  std::string cachedir = "/var/cache/salt/minion";
  std::string hash_type = "sha256";
  // True when some config file names hash_type. A minion whose config does
  // not may be a 2017.7 one, whose default was md5 (sha256 since 2019.2).
  bool hash_type_set = false;
  std::string ipc_mode = "ipc";  // "ipc" (unix sockets) or "tcp"
  int tcp_pub_port = 4510;
  int tcp_pull_port = 4511;
  int64_t max_event_size = 1048576;
  bool cache_jobs = false;
};

// Where the minion's event bus listens.
struct BusEndpoints {
  bool tcp = false;
  std::string pub_path;   // unix socket path (ipc mode)
  std::string pull_path;  // unix socket path (ipc mode)
  std::string host = "127.0.0.1";
  int pub_port = 0;       // tcp mode
  int pull_port = 0;      // tcp mode
  std::string hash_type;  // ipc mode: the hash that named the socket files
  std::string describe() const;  // "unix:/var/run/.../minion_event_xxx_pub.ipc" ...
};

// Loads the config at `path`. kConfig errors name the file and the key.
Result<MinionConfig> load_minion_config(const std::string& path);

// Derives the bus endpoints exactly as salt.utils.event.SaltEvent does:
// <sock_dir>/minion_event_<first 10 hex of hash_type(id)>_{pub,pull}.ipc.
Result<BusEndpoints> bus_endpoints(const MinionConfig& config);

// Every place the minion's bus may be, most likely first. saltgw cannot tell
// a minion's release from its config, and the socket names depend on
// hash_type, whose default changed from md5 (2017.7 and older) to sha256
// (2019.2 and later). So: tcp mode or an explicit hash_type -> just
// bus_endpoints(config); otherwise the sha256 names, then the md5 names.
// Empty only when hash_type is one saltgw does not know (bus_endpoints says why).
std::vector<BusEndpoints> candidate_bus_endpoints(const MinionConfig& config);

// The first candidate whose pub socket exists on disk (tcp endpoints count as
// existing), else the first candidate, so a minion that is not up yet is
// waited for at its most likely address. Errors as bus_endpoints.
Result<BusEndpoints> find_bus_endpoints(const MinionConfig& config);

}  // namespace saltgw::salt_ipc
