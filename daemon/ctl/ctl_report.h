// `fangfanctl report`: a county report through the running daemon's API
// (daemon/api/report_routes.h).
//
//   report NAME [--township T] [--as-of DATE] [--from D --to D] [--year Y]
//               [--format table|csv|xlsx|json] [-o FILE]
//   report campaign CAMPAIGN ...
//
// NAME: households, measures, overdue, exchange, movements, evaluation. table (default): the
// report as aligned text (adapters/reports/report_files.h report_text); csv, xlsx: the file, to
// FILE (-o) or, for csv only, to standard output; json: the server's answer as it is.
// --api/--token as for every API command (ctl_http.h). Exit status: 0 done, 1 refused or
// unreachable (the server's sentence on `err`), 2 a usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "daemon/ctl/ctl_http.h"

namespace fangfan {

// `args`: the words after "report".
int run_report_command(std::vector<std::string> args, const CtlEnvironment& env, std::ostream& out,
                       std::ostream& err);

}  // namespace fangfan
