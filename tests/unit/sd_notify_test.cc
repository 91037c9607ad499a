// gateway::sd_notify: systemd's datagram, to a path or an abstract socket.
#include "gateway/sd_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace saltgw::gateway {
namespace {

// A bound datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@') addr.sun_path[0] = '\0';
    if (name[0] == '/') ::unlink(name.c_str());
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr),
                 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size())) == 0;
    timeval tv{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
    path_ = name[0] == '/' ? name : "";
  }
  ~NotifySocket() {
    ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
    ::unsetenv("NOTIFY_SOCKET");
  }
  bool ok() const { return ok_; }
  std::string receive() {
    char buf[256];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

 private:
  int fd_;
  bool ok_;
  std::string path_;
};

TEST(SdNotify, SendsToAPathSocket) {
  NotifySocket s("/tmp/saltgw-notify-test-" + std::to_string(getpid()));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(sd_notify("READY=1"));
  EXPECT_EQ(s.receive(), "READY=1");
  EXPECT_TRUE(sd_notify("STOPPING=1"));
  EXPECT_EQ(s.receive(), "STOPPING=1");
}

TEST(SdNotify, SendsToAnAbstractSocket) {
  NotifySocket s("@saltgw-notify-test-" + std::to_string(getpid()));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(sd_notify("READY=1"));
  EXPECT_EQ(s.receive(), "READY=1");
}

TEST(SdNotify, DoesNothingOutsideSystemd) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(sd_notify("READY=1"));
  ::setenv("NOTIFY_SOCKET", "relative/path", 1);
  EXPECT_FALSE(sd_notify("READY=1"));
  ::setenv("NOTIFY_SOCKET", "/nonexistent/dir/notify", 1);
  EXPECT_FALSE(sd_notify("READY=1"));
  ::unsetenv("NOTIFY_SOCKET");
}

}  // namespace
}  // namespace saltgw::gateway
