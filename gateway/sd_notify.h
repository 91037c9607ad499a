// systemd's readiness protocol (sd_notify(3)), without libsystemd.
//
// A Type=notify unit passes $NOTIFY_SOCKET, a unix datagram socket (a path, or
// an abstract name written with a leading '@'). notify() sends one datagram of
// "KEY=VALUE" lines to it. Without $NOTIFY_SOCKET (not started by systemd) it
// does nothing and returns false. Linking libsystemd only for this would load
// seven more shared libraries (about 1 MB of resident memory) into saltgw.
#pragma once

#include <string_view>

namespace saltgw::gateway {

// True when the datagram was sent.
bool sd_notify(std::string_view state);

}  // namespace saltgw::gateway
