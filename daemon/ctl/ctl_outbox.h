// `fangfanctl outbox ...`: the outbox through the running daemon's API.
//
//   outbox [--status S] [--limit N] [--json]   list messages, newest first
//   outbox retry ID [--json]                    failed | dead -> pending (county_admin)
//   outbox cancel ID [--json]                   pending | failed | dead -> cancelled
//
// plus --api ADDR:PORT and --token TOKEN anywhere (see ctl_http.h for where
// else they come from). A table for people by default (phone numbers masked);
// --json prints the server's JSON as it is, for scripts. Exit status: 0 done,
// 1 the server refused or could not be reached (its message on `err`), 2 a
// usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "daemon/ctl/ctl_http.h"

namespace fangfan {

// `args` are the words after "fangfanctl outbox".
int run_outbox_command(std::vector<std::string> args, const CtlEnvironment& env, std::ostream& out,
                       std::ostream& err);

}  // namespace fangfan
