// `fangfanctl calendar ...`: working-day arithmetic from the calendar files,
// with no running daemon.
//
//   calendar is-working-day DATE            prints "yes" or "no"
//   calendar add-working-days DATE N        prints the date N working days after
//                                           DATE (DATE itself does not count;
//                                           negative N counts backwards)
//   calendar working-days-between A B       prints the number of working days
//                                           from A through B, both included
//   calendar check                          loads and checks every file, prints
//                                           the years covered
//
// Dates are YYYY-MM-DD. Output goes to `out` (one line), problems to `err`.
// Returns 0 on success, 2 on a usage error, unreadable calendar files or a date
// in a year with no arrangement.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace fangfan {

// `args` are the words after "fangfanctl calendar"; `calendar_dir` holds the
// YYYY.toml files (resolved by the caller from the configuration).
int run_calendar_command(const std::vector<std::string>& args,
                         const std::filesystem::path& calendar_dir, std::ostream& out,
                         std::ostream& err);

}  // namespace fangfan
