// `fangfanctl import`: bulk import of a visit log or case list through the running daemon's
// API (daemon/api/import_routes.h; the recognised columns are in adapters/import/import_columns.h).
//
//   import FILE --kind visits|cases [--name NAME] [--bad-rows OUT.csv] [--json]
//        POSTs the file (CSV in UTF-8 or GBK, or XLSX) to /api/v1/imports and prints the
//        applied / duplicate / bad counts and the bad rows as a table (line, column, reason).
//        --name is the file name recorded on the run (default: FILE's base name);
//        --bad-rows saves the bad rows as a CSV Excel opens, for correction and re-import.
//   import show ID [--bad-rows OUT.csv] [--json]
//        GET /api/v1/imports/ID: the same report for an earlier run.
//
// --api/--token as for every API command (ctl_http.h). Exit status: 0 every row applied or
// already applied, 1 any bad row (or the server refused, or could not be reached), 2 a usage
// error. Output to `out`, problems to `err`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "daemon/ctl/ctl_http.h"

namespace fangfan {

// `args` are the words after "fangfanctl import".
int run_import_command(std::vector<std::string> args, const CtlEnvironment& env, std::ostream& out,
                       std::ostream& err);

}  // namespace fangfan
