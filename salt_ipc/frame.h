// The framed msgpack stream of Salt's IPC sockets (Salt 2016.3 and later).
//
// Each message on the minion's event-bus sockets is one msgpack map
// {"head": {...}, "body": <payload>} written back to back with no length
// prefix. FrameDecoder is a streaming decoder: feed it whatever a read()
// returned (one byte, half a frame, several frames) and it yields every
// complete frame in order. A malformed stream is an Error; after that the
// decoder refuses further input and the connection must be closed.
//
// Length prefix (Salt 3006.24+, 3007.x, 3008.x; fixtures and findings in
// tests/unit/framing_releases_test.cc):
// Salt's frame_msg_ipc now writes a 4-byte big-endian length before each
// frame, and the minion's pull socket only reads that form (it reads 4 bytes
// as a length, so an unprefixed frame is never consumed). What the pub socket
// sends depends on the release: 3006.24+ IPC prefixes, the TCP-transport bus
// of 3007/3008 does not. FrameDecoder therefore decides from the first byte of
// the stream: a frame (a msgpack map) starts with 0x80-0x8f, 0xde or 0xdf,
// while the prefix of a frame under 16 MiB starts with 0x00. (A first frame
// that large never happens: the minion trims events above max_event_size,
// 1 MiB by default, and the first event on a connection is a small one.)
// Which form to *send* cannot be seen from the pub side; EventBus finds out
// with its hello.
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

  // True once the stream turned out to carry 4-byte length prefixes.
  bool length_prefixed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Frames `body` for an IPC socket: msgpack {"head": {}, "body": bin(body)}.
std::string frame_encode(std::string_view body);

// The same frame preceded by its length as 4 bytes big-endian, as Salt's
// frame_msg_ipc writes it from 3006.24 / 3007.x on.
std::string frame_encode_length_prefixed(std::string_view body);

}  // namespace saltgw::salt_ipc
