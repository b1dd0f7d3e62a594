// `fangfanctl feed ...` and `fangfanctl alert(s) ...`: department feeds and alerts through the
// running daemon's API (daemon/api/feed_routes.h), in the token's scope.
//
//   feed list [--json]                               the feeds, their schedules and last runs
//   feed runs [--department D] [--feed F] [--period YYYY-MM] [--limit N] [--json]
//   feed run FEED|DEPARTMENT [--period YYYY-MM]      take a period's data now
//   feed quarantine [--run ID] [--csv OUT.csv] [--json]
//                                                    without --run: the runs with bad rows;
//                                                    with it: every bad row (paged through)
//   feed fix RUN FILE                                re-apply a corrected file for RUN's bad rows
//   alerts [--township T] [--status open|case_opened|dismissed] [--feed F] [--stage S]
//          [--limit N] [--json]                      S: a stage of a monitored case's alert loop
//   alert show ID [--json]
//   alert open ID FILE.json                          open a case from the alert (the body of
//                                                    POST /api/v1/cases)
//   alert dismiss ID --reason TEXT
//
// Exit status: 0 done, 1 the server refused or could not be reached (its sentence on `err`),
// 2 a usage error. --api/--token as for every API command (ctl_http.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "daemon/ctl/ctl_http.h"

namespace fangfan {

// `command` is "feed", "alerts" or "alert"; `args` the words after it.
int run_feed_command(const std::string& command, std::vector<std::string> args,
                     const CtlEnvironment& env, std::ostream& out, std::ostream& err);

}  // namespace fangfan
