// `fangfanctl case open|event` and `fangfanctl cases`: cases through the running daemon's API
// (daemon/api/case_routes.h has the request shapes).
//
//   case open FILE.json [--json]                  POST /api/v1/cases with the file as body
//   case event ID FILE.json [--type T] [--json]   POST /api/v1/cases/ID/events; --type sets
//                                                 (or replaces) the body's "type"
//   cases [--state S] [--kind K] [--township T] [--village V] [--officer O] [--json]
//                                                 GET /api/v1/cases, a table by default
//
// FILE may be "-" for standard input. --api/--token as for every API command (ctl_http.h).
// `case show ID` stays in ctl_case.h (it reads the database directly, no daemon needed).
// Output goes to `out`, problems (with the server's message) to `err`. Exit status: 0 done,
// 1 the server refused or could not be reached, 2 a usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "daemon/ctl/ctl_http.h"

namespace fangfan {

// True for the `case` sub-commands handled here ("open", "event").
bool is_case_api_command(const std::vector<std::string>& args);

// `args` are the words after "fangfanctl case" (beginning with "open" or "event").
int run_case_api_command(std::vector<std::string> args, const CtlEnvironment& env,
                         std::ostream& out, std::ostream& err);

// `args` are the words after "fangfanctl cases".
int run_cases_command(std::vector<std::string> args, const CtlEnvironment& env, std::ostream& out,
                      std::ostream& err);

}  // namespace fangfan
