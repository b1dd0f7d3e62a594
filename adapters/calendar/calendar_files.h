// Loads the working-day calendar from a directory of TOML files, one per year
// (config/calendar/2025.toml, ...), in the format described in
// config/calendar/README.md. A deployment adds next year's file when the State
// Council publishes it; no rebuild.
//
// Strict by design: an unknown key, a wrong year, a date outside the file's
// year, a day that is both off and on, a make-up workday on a weekday or a
// missing `source` citation is refused, not ignored, because a silently wrong
// calendar moves every deadline. Every problem found is reported (not just the
// first), each naming the file, the line and the key.
//
// Thread-safety: the functions share no state.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "workflows/calendar.h"

namespace fangfan {

struct CalendarFileError {
  std::filesystem::path file;
  int line = 0;     // 1-based; 0 when the problem is not on one line
  std::string key;  // e.g. "holiday[2].makeup_workdays"; empty when none applies
  std::string message;

  // "/etc/fangfan/calendar/2025.toml 第12行（holiday[2].days）：…"
  std::string to_string() const;
};

struct CalendarYearLoad {
  std::optional<CalendarYear> year;  // set iff errors is empty
  std::vector<CalendarFileError> errors;
};

struct CalendarLoad {
  std::optional<WorkingDayCalendar> calendar;  // set iff errors is empty
  std::vector<CalendarFileError> errors;
  std::vector<std::filesystem::path> files;  // the files read, in year order
};

// Reads and checks one YYYY.toml file.
CalendarYearLoad load_calendar_file(const std::filesystem::path& file);

// Reads every *.toml in `dir` (other files are ignored, subdirectories too) and
// builds the calendar. A missing or unreadable directory, or one without any
// .toml file, is an error.
CalendarLoad load_calendar_dir(const std::filesystem::path& dir);

}  // namespace fangfan
