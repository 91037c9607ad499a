// Which minions the executor engine (packaging/salt/engines/saltgw_executor.py)
// runs on, and the words saltgw uses when a minion is older than that.
//
// The engine needs Python 3.7 or newer (contextvars; checked with vermin by
// scripts/check-engine-versions.sh) and Salt 3006 or newer (the loader
// context API it relies on; 3006 LTS is the oldest release tested, see
// docs/salt-releases.md). AutoPi's older fleet runs Salt 2017.7 on Python
// 2.7: there the engine cannot load, and saltgw dispatches through the
// minion's scheduler, which works on every Salt since 2016.3.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace saltgw::salt_ipc {

inline constexpr int kEngineMinSalt = 3006;
inline constexpr std::string_view kEngineMinPython = "3.7";

// The release number Salt versions start with: 2017 for "2017.7.8", 3006
// for "3006.23", 3007 for "3007.1rc1". Year-based (2014-2019) and
// Salt-numbered (3000+) releases order correctly by it. nullopt when the
// text does not start with digits.
std::optional<int> salt_release(std::string_view version);

// False only when `version` names a Salt release older than kEngineMinSalt
// (an unknown or empty version is not held against the minion).
bool engine_supports_salt(std::string_view version);

// One sentence for logs and `saltgw --check`: that Salt `version` is older
// than the engine supports and that schedule dispatch serves the jobs.
std::string engine_unsupported_words(std::string_view version);

}  // namespace saltgw::salt_ipc
