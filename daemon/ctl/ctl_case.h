// `fangfanctl case ...`: a stored case read straight from the database, with no running daemon.
//
//   case show ID     the case (household, village, kind, state, version, officer, emergency
//                    flag, members) and its history in order, for a township clerk to read
//
// ID is the case number (cases.id). Times are China time. ID numbers and phone numbers are
// masked. The database is only read; a missing SQLite file is reported, never created.
// Recording events goes through the daemon's API (its own issue), not through this command.
//
// Output goes to `out`, problems to `err`. Returns 0 when the case was shown, 1 when there is no
// such case or the database cannot be read, 2 on a usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/storage/case_repository.h"

namespace fangfan {

// `args` are the words after "fangfanctl case".
int run_case_command(const std::vector<std::string>& args, const Config& config, std::ostream& out,
                     std::ostream& err);

// The text `case show` prints for `view` (exposed for tests and the API's text rendering).
std::string render_case(const CaseView& view, const Config& config);

}  // namespace fangfan
