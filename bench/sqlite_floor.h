// SQLite's own floor under timers_bench's figures (`timers_bench --floor`, issue 15): the rows
// the daemon wrote, written again through SQLite's C API alone — prepared statements reused,
// values bound in place, no decision, no JSON, no SOCI — on the daemon's pragmas (WAL,
// synchronous = FULL, foreign keys on, the same page cache). What is left between the daemon's
// figure and this one is the daemon's own work; this one is what any daemon on these tables pays.
//
//   create: every timer row of a created database inserted again, in due order as the bulk
//           opening stores them, into a fresh file holding the timers table and its indexes as
//           the schema has them (and the case ids its foreign key checks), as many rows per
//           commit as the bench's `cases_per_transaction` cases had timers on average.
//   burst:  on a copy of the created database, the fired database's timers marked fired in due
//           order and its outbox rows inserted (as many per batch as the daemon wrote per timer
//           on average), `batch` timers per commit.
// Each prints its CPU per timer beside what the target leaves on SQLite's one writer.
#pragma once

#include <filesystem>

namespace fangfan::bench {

// Prints the create floor; `scratch` is a file to create (removed at the end). False on error
// (printed).
bool print_create_floor(const std::filesystem::path& created, const std::filesystem::path& scratch,
                        int cases_per_transaction);

// Prints the burst floor; `scratch` is where the created database is copied (removed at the end).
// `fired` holds the daemon's burst: its fired timers and outbox rows.
bool print_burst_floor(const std::filesystem::path& created, const std::filesystem::path& fired,
                       const std::filesystem::path& scratch, int batch);

}  // namespace fangfan::bench
