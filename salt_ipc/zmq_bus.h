// The legacy ZeroMQ event bus of Salt 2015.8 and older.
//
// Those releases put ZeroMQ endpoints at the same two paths (or TCP ports)
// the later stream bus uses: <sock_dir>/minion_event_<hash>_pub.ipc is a
// ZeroMQ PUB socket and ..._pull.ipc a ZeroMQ PULL socket. Each event is one
// single-part message holding the event payload itself (tag "\n\n"
// msgpack(data), event.h) with no {"head", "body"} wrapper.
//
// EventBus tells the two buses apart when it connects (probe_greeting): a
// ZeroMQ peer sends its ZMTP greeting as soon as a connection opens, Salt's
// IPC server never sends first. On a ZeroMQ bus EventBus hands the sockets to
// LegacyZmqBus and keeps everything else (hello round trip, subscriptions,
// timers, reconnects) as it is for the stream bus.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "salt_ipc/error.h"
#include "salt_ipc/minion_config.h"

namespace saltgw::salt_ipc {

enum class PeerGreeting {
  kNothing,  // the peer sent nothing (Salt's IPC / TCP-transport bus)
  kZmtp,     // a ZeroMQ greeting
  kOther,    // something else (e.g. an event the stream bus published at once)
};

// Classifies the first bytes a peer sent on a fresh connection. ZMTP 2.0/3.x
// greetings begin 0xFF, 8 padding bytes, 0x7F; ZMTP 1.0 (libzmq 2.x) peers
// begin with their identity frame, 0x01 0x00 for an anonymous one. 0xFF can
// never begin a Salt frame (a msgpack map) or its length prefix.
PeerGreeting classify_greeting(std::string_view first);

// Waits up to `wait` for the peer of the connected stream socket `fd` to send
// something and classifies it without consuming it (MSG_PEEK).
PeerGreeting probe_greeting(int fd, std::chrono::milliseconds wait);

// The ZeroMQ address of one side of the bus: ipc://<path> or tcp://host:port.
std::string zmq_address(const BusEndpoints& endpoints, bool pub);

// SUB (subscribed to everything) on the pub endpoint, PUSH on the pull
// endpoint, and a socket monitor that reports the PUB side going away (ZeroMQ
// reconnects silently; saltgw must notice a minion restart). Not thread-safe:
// EventBus uses it from its I/O thread only.
class LegacyZmqBus {
 public:
  LegacyZmqBus();
  ~LegacyZmqBus();
  LegacyZmqBus(const LegacyZmqBus&) = delete;
  LegacyZmqBus& operator=(const LegacyZmqBus&) = delete;

  Status open(const BusEndpoints& endpoints);

  // File descriptors to poll for POLLIN; when any is readable (or at any
  // other time) call receive(). ZeroMQ's descriptors are edge-like: receive()
  // drains everything, so none is left behind.
  std::vector<int> poll_fds() const;

  // Sends one event payload as a single-part message; kept in order and
  // retried by flush() when ZeroMQ would block.
  Status send(std::string payload);
  Status flush();
  bool has_queued() const;

  // Appends every message available now. An error means the minion's PUB
  // side went away (or a socket failed): the connection is over.
  Status receive(std::vector<std::string>& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace saltgw::salt_ipc
