// `fangfanctl storage copy --from FILE --to postgresql://...`: moves a county from SQLite to
// PostgreSQL (README, "When to move from SQLite to PostgreSQL"). Straight on both databases, no
// configuration and no daemon needed; a daemon on the SQLite file makes it refuse
// (adapters/storage/storage_copy.h says what is checked and copied).
//
//   --from  sqlite3://PATH or a file path (relative to the current folder)
//   --to    a libpq URI, postgresql://USER:PASSWORD@HOST:PORT/DBNAME
//   --progress-every ROWS  a progress line on `err` each time a table passes a multiple of ROWS
//           rows, and at its end (default 100000)
//
// Prints each table with its row count on both sides once the copy is committed. Exit status:
// 0 copied; 1 refused (the reason on `err`; nothing was copied) or a database failure (rolled
// back); 2 a usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "workflows/clock.h"

namespace fangfan {

// `args` are the words after "fangfanctl storage".
int run_storage_command(const std::vector<std::string>& args, const Clock& clock, std::ostream& out,
                        std::ostream& err);

}  // namespace fangfan
