// libFuzzer target: rest::resolve_log_file, the /download_log/?file=NAME
// resolver, against a real directory tree with ways out of the root.
//
// Tree (made once per process in a fresh temp dir, removed at exit):
//   logs/syslog, logs/salt/minion, logs/dir/, logs/fifo (a FIFO),
//   logs/in -> syslog, logs/salt/up -> ../syslog (symlinks that stay inside),
//   logs/out -> ../outside/secret, logs/outdir -> ../outside,
//   logs/evil -> ../logs-evil/secret (a sibling sharing the root's prefix),
//   logs/abs -> <tmp>/outside/secret, logs/loop -> loop, logs/dangling -> nope
//   outside/secret, logs-evil/secret
// Invariant: any name that resolves gives a regular file strictly under the
// root's canonical path, never a file outside it.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "rest/log_file.h"
#include "tests/fuzz/fuzz_common.h"

namespace fs = std::filesystem;
using namespace saltgw;

namespace {

struct Tree {
  std::string base;
  std::string root;       // as given to resolve_log_file (not canonical: has a "//" and a "./")
  std::string root_real;  // canonical

  Tree() {
    char tmpl[] = "/tmp/saltgw-fuzz-logs.XXXXXX";
    FUZZ_CHECK(::mkdtemp(tmpl) != nullptr, "mkdtemp failed");
    base = tmpl;
    fs::path b(base);
    fs::create_directories(b / "logs" / "salt");
    fs::create_directories(b / "logs" / "dir");
    fs::create_directories(b / "outside");
    fs::create_directories(b / "logs-evil");
    std::ofstream(b / "logs" / "syslog") << "syslog\n";
    std::ofstream(b / "logs" / "salt" / "minion") << "minion\n";
    std::ofstream(b / "outside" / "secret") << "secret\n";
    std::ofstream(b / "logs-evil" / "secret") << "evil\n";
    ::mkfifo((b / "logs" / "fifo").c_str(), 0600);
    fs::create_symlink("syslog", b / "logs" / "in");
    fs::create_symlink("../syslog", b / "logs" / "salt" / "up");
    fs::create_symlink("../outside/secret", b / "logs" / "out");
    fs::create_directory_symlink("../outside", b / "logs" / "outdir");
    fs::create_symlink("../logs-evil/secret", b / "logs" / "evil");
    fs::create_symlink(b / "outside" / "secret", b / "logs" / "abs");
    fs::create_symlink("loop", b / "logs" / "loop");
    fs::create_symlink("nope", b / "logs" / "dangling");
    root = base + "//./logs";
    root_real = fs::canonical(b / "logs").string();
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
};

Tree* g_tree = nullptr;

void cleanup() {
  delete g_tree;
  g_tree = nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_tree = new Tree();
  std::atexit(cleanup);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view name(reinterpret_cast<const char*>(data), size);
  auto r = rest::resolve_log_file(g_tree->root, name);
  if (!r) {
    FUZZ_CHECK(r.error().kind == salt_ipc::ErrorKind::kNotFound, "refusal is not kNotFound");
    if (name.find(g_tree->base) == std::string_view::npos)
      FUZZ_CHECK(r.error().message.find(g_tree->base) == std::string::npos, "refusal message leaks a path");
    return 0;
  }
  const std::string& p = r.value();
  const std::string prefix = g_tree->root_real + "/";
  FUZZ_CHECK(p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0,
             "resolved outside the root: '" + p + "' for name '" + std::string(name) + "'");
  struct stat st {};
  FUZZ_CHECK(::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode), "resolved to something not a regular file: " + p);
  std::error_code ec;
  FUZZ_CHECK(fs::canonical(p, ec).string() == p, "result is not canonical: " + p);
  return 0;
}
