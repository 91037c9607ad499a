// A file as a response body (a log download), read a piece at a time as the
// client takes it: the file is never read whole into memory.
//
// open() takes the size at opening; the body is exactly that many bytes (a
// file that grows meanwhile is cut at that size). A file that shrinks or
// cannot be read any more ends the body early: failed() then says so, and the
// connection, having promised a Content-Length, must be closed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rest/body_source.h"
#include "salt_ipc/error.h"

namespace saltgw::rest::http {

class FileBodySource : public BodySource {
 public:
  // kNotFound when the file cannot be opened (or is not a regular file).
  static salt_ipc::Result<std::unique_ptr<FileBodySource>> open(const std::string& path);
  ~FileBodySource() override;
  FileBodySource(const FileBodySource&) = delete;
  FileBodySource& operator=(const FileBodySource&) = delete;

  uint64_t size() const { return size_; }
  bool failed() const { return failed_; }
  bool next(std::string& out, size_t max) override;

 private:
  FileBodySource(int fd, uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  uint64_t size_;
  uint64_t sent_ = 0;
  bool failed_ = false;
};

}  // namespace saltgw::rest::http
