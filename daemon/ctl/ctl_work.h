// `fangfanctl duty`, `fangfanctl campaign` and `fangfanctl evaluation`: the work that is not a
// case event, through the running daemon's API (daemon/api/duty_routes.h, work_routes.h).
//
//   duty done ID                                    a Q4 evaluation task whose result is recorded
//                                                   (the ID is in `fangfanctl overdue` /
//                                                   `due-soon`); refused without a result
//   campaign progress NAME                          each township's milestones, the late first
//   campaign done NAME MILESTONE --township CODE    a township finished a milestone
//   evaluation progress YEAR                        the Q4 evaluation tasks by township
//
// A table by default, --json for the server's answer as it is; --api/--token as for every API
// command (ctl_http.h). Exit status: 0 done, 1 refused or unreachable (the server's sentence on
// `err`), 2 a usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "daemon/ctl/ctl_http.h"

namespace fangfan {

// `command` is "duty", "campaign" or "evaluation"; `args` the words after it.
int run_work_command(const std::string& command, std::vector<std::string> args,
                     const CtlEnvironment& env, std::ostream& out, std::ostream& err);

}  // namespace fangfan
