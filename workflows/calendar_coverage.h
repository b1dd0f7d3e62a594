// When to warn that the working-day calendar is running out. The State Council
// publishes next year's holiday arrangement in (late) autumn; deadlines that
// cross New Year cannot be computed without it, so from 1 November the county
// admin is told every week until the file is added — and at once, as an error,
// if the current year itself has no data.
#pragma once

#include <optional>
#include <string>

#include "workflows/calendar.h"

namespace fangfan {

struct CalendarCoverageWarning {
  int missing_year = 0;
  bool current_year = false;  // true: deadlines already cannot be computed
  std::string text;           // the message for the county admin, in Chinese
  std::string period_key;     // one warning per person per period: the Monday of this week
};

std::optional<CalendarCoverageWarning> calendar_coverage_warning(const WorkingDayCalendar& calendar,
                                                                 Date today);

}  // namespace fangfan
