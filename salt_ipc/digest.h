// Hex digests for the hash_type values a minion may use to name its sockets.
//
// Salt names the bus sockets after H(minion id) where H is the minion's
// `hash_type`: sha256 by default since 2019.2, md5 on older minions (such as
// 2017.7 on AutoPi devices), and sha1/sha512 where configured. sha256/sha512
// come from libsodium; md5 and sha1 are implemented here (they are not used for
// security, only to reproduce Salt's file names).
#pragma once

#include <string>
#include <string_view>

#include "salt_ipc/error.h"

namespace saltgw::salt_ipc {

// Lower-case hex digest of `data` with the named algorithm
// ("md5", "sha1", "sha256", "sha512"); kConfig error for any other name.
Result<std::string> hex_digest(std::string_view hash_type, std::string_view data);

}  // namespace saltgw::salt_ipc
