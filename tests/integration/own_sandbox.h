// A sandbox minion of a test's own, started in a temp folder with options the
// shared one (scripts/test.sh) does not have: ipc_mode tcp, the AutoPi patch.
//
// Uses SALTGW_SANDBOX_PY and SALTGW_SANDBOX_SCRIPT (set by scripts/test.sh);
// start() fails with a message when they are missing, never skips.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/integration/sandbox.h"

namespace saltgw::testing {

// A TCP port on 127.0.0.1 that nothing listens on right now.
inline int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  socklen_t len = sizeof sa;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
    port = ntohs(sa.sin_port);
  ::close(fd);
  return port;
}

class OwnSandbox {
 public:
  OwnSandbox() = default;
  OwnSandbox(const OwnSandbox&) = delete;
  OwnSandbox& operator=(const OwnSandbox&) = delete;
  ~OwnSandbox() { stop(); }

  // Starts a sandbox minion with `args` (e.g. "--ipc-mode tcp"). Returns ""
  // on success, else what went wrong (with the tail of the minion's log).
  std::string start(const std::string& args) {
    py_ = env_or_empty("SALTGW_SANDBOX_PY");
    script_ = env_or_empty("SALTGW_SANDBOX_SCRIPT");
    if (py_.empty() || script_.empty())
      return "SALTGW_SANDBOX_PY / SALTGW_SANDBOX_SCRIPT are not set: run via scripts/test.sh";
    char tmpl[] = "/tmp/saltgw-own-sandbox.XXXXXX";
    if (!::mkdtemp(tmpl)) return "mkdtemp failed";
    dir_ = tmpl;
    std::string out = dir_ + "/start.out";
    std::string cmd = py_ + " " + script_ + " start " + dir_ + " " + args + " >" + out + " 2>&1";
    int rc = std::system(cmd.c_str());
    std::string printed = read_file(out);
    if (rc != 0) {
      return "sandbox start failed (" + cmd + "): " + printed + "\n--- minion log:\n" +
             tail(read_file(dir_ + "/log/minion"), 3000);
    }
    config_ = dir_ + "/etc/salt/minion";
    return "";
  }

  bool restart() {
    std::string cmd = py_ + " " + script_ + " restart " + dir_ + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }

  void stop() {
    if (dir_.empty()) return;
    std::string cmd = py_ + " " + script_ + " stop " + dir_ + " >/dev/null 2>&1";
    (void)std::system(cmd.c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }

  const std::string& dir() const { return dir_; }
  const std::string& config() const { return config_; }
  std::string log_tail(size_t n = 3000) const { return tail(read_file(dir_ + "/log/minion"), n); }

 private:
  static std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static std::string tail(const std::string& s, size_t n) {
    return s.size() <= n ? s : s.substr(s.size() - n);
  }

  std::string py_, script_, dir_, config_;
};

}  // namespace saltgw::testing
