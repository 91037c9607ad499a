// `saltgw --check`: what works and what to fix, for an operator.
//
// Reads saltgw's configuration and the minion's, then tries each path to the
// minion for real: the event bus (connect and a hello round trip), a job
// through the minion's scheduler (test.version, which also names the Salt
// release), and the executor engine (ping). Prints one line per item, OK or
// FAIL with the fix, and returns 0 only when everything the configured
// dispatch needs works.
#pragma once

#include <ostream>

#include "gateway/config.h"

namespace saltgw::gateway {

int run_check(const Config& config, std::ostream& out);

}  // namespace saltgw::gateway
