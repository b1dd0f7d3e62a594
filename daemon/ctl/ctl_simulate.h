// `fangfanctl simulate --from DATE --to DATE [--json]`: the dry run of the deadline machinery
// through the running daemon's API (POST /api/v1/simulate, see daemon/api/clock_routes.h).
//
// Prints, in date order, every reminder and escalation that the current cases and
// configuration would produce from the first date through the second (China dates, both
// included): when, which timer (kind, step, rung), the case, the recipient (phone numbers
// masked), the message type and its text. Nothing is sent and nothing stays in the database.
// --json prints the server's JSON as it is.
//
// plus --api ADDR:PORT and --token TOKEN anywhere (see ctl_http.h). Exit status: 0 done, 1 the
// server refused or could not be reached (its message on `err`), 2 a usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "daemon/ctl/ctl_http.h"

namespace fangfan {

// `args` are the words after "fangfanctl simulate".
int run_simulate_command(std::vector<std::string> args, const CtlEnvironment& env,
                         std::ostream& out, std::ostream& err);

}  // namespace fangfan
