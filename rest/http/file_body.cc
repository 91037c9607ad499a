#include "rest/http/file_body.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace saltgw::rest::http {

using salt_ipc::ErrorKind;
using salt_ipc::make_error;

salt_ipc::Result<std::unique_ptr<FileBodySource>> FileBodySource::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorKind::kNotFound, "cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorKind::kNotFound, path + " is not a regular file");
  }
  return std::unique_ptr<FileBodySource>(new FileBodySource(fd, static_cast<uint64_t>(st.st_size)));
}

FileBodySource::~FileBodySource() { ::close(fd_); }

bool FileBodySource::next(std::string& out, size_t max) {
  if (failed_ || sent_ >= size_) return false;
  size_t want = static_cast<size_t>(std::min<uint64_t>(std::max<size_t>(max, 1), size_ - sent_));
  size_t at = out.size();
  out.resize(at + want);
  ssize_t n;
  do {
    n = ::pread(fd_, out.data() + at, want, static_cast<off_t>(sent_));
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {  // shrunk under us, or unreadable
    out.resize(at);
    failed_ = true;
    return false;
  }
  out.resize(at + static_cast<size_t>(n));
  sent_ += static_cast<uint64_t>(n);
  return sent_ < size_;
}

}  // namespace saltgw::rest::http
