// The framed msgpack stream of Salt's IPC sockets (Salt 2016.3 and later).
//
// Each message on the minion's event-bus sockets is one msgpack map
// {"head": {...}, "body": <payload>} written back to back with no length
// prefix. FrameDecoder is a streaming decoder: feed it whatever a read()
// returned (one byte, half a frame, several frames) and it yields every
// complete frame in order. A malformed stream is an Error; after that the
// decoder refuses further input and the connection must be closed.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "salt_ipc/error.h"
#include "salt_ipc/msgpack_codec.h"
#include "salt_ipc/value.h"

namespace saltgw::salt_ipc {

struct Frame {
  Value head;        // usually an empty map
  std::string body;  // payload bytes, whether sent as msgpack str or bin
};

class FrameDecoder {
 public:
  explicit FrameDecoder(const DecodeLimits& limits = {});
  ~FrameDecoder();
  FrameDecoder(FrameDecoder&&) noexcept;
  FrameDecoder& operator=(FrameDecoder&&) noexcept;

  // Consumes `bytes`, appending each complete frame to `out`.
  Status feed(std::string_view bytes, std::vector<Frame>& out);

  // Bytes received but not yet part of a complete frame.
  size_t buffered() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Frames `body` for an IPC socket: msgpack {"head": {}, "body": bin(body)}.
std::string frame_encode(std::string_view body);

}  // namespace saltgw::salt_ipc
