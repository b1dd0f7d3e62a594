// `fangfanctl clock ...`: the daemon's clock through its API.
//
//   clock [--json]                 what time the daemon thinks it is, and whether its clock is
//                                  simulated (fangfand --simulated-clock)
//   clock advance DURATION [--json]
//                                  moves a simulated clock forward by DURATION ("3d", "12h",
//                                  "30m"); every timer that falls due in between fires in order
//                                  before the answer comes (county_admin). A daemon on the real
//                                  clock refuses with 409 and says why.
//
// plus --api ADDR:PORT and --token TOKEN anywhere (see ctl_http.h). Exit status: 0 done, 1 the
// server refused or could not be reached (its message on `err`), 2 a usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "daemon/ctl/ctl_http.h"

namespace fangfan {

// `args` are the words after "fangfanctl clock".
int run_clock_command(std::vector<std::string> args, const CtlEnvironment& env, std::ostream& out,
                      std::ostream& err);

}  // namespace fangfan
