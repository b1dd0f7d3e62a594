// `fangfanctl overdue` and `fangfanctl due-soon`: what is late and what falls due,
// through the running daemon's API (daemon/api/duty_routes.h), in the token's scope.
//
//   overdue  [--township T] [--village V] [--officer NAME] [--limit N] [--json]
//   due-soon [--days N] [--township T] [--village V] [--officer NAME] [--limit N] [--json]
//
// A table by default (the due date, days late or left, what, where, who), then the
// counts per township and per officer; --json prints the server's answer as it is.
// --api/--token as for every API command (ctl_http.h). Exit status: 0 done, 1 the
// server refused or could not be reached (its message on `err`), 2 a usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "daemon/ctl/ctl_http.h"

namespace fangfan {

// `command` is "overdue" or "due-soon"; `args` the words after it.
int run_duties_command(const std::string& command, std::vector<std::string> args,
                       const CtlEnvironment& env, std::ostream& out, std::ostream& err);

}  // namespace fangfan
