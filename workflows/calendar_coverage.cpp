#include "workflows/calendar_coverage.h"

#include "workflows/date.h"

namespace fangfan {

std::optional<CalendarCoverageWarning> calendar_coverage_warning(const WorkingDayCalendar& calendar,
                                                                 Date today) {
  using namespace std::chrono;
  const year_month_day ymd{today};
  const int year = int(ymd.year());
  const weekday wd{today};
  const Date monday = today - days{(wd.c_encoding() + 6) % 7};
  CalendarCoverageWarning w;
  w.period_key = format_date(monday);
  if (!calendar.covers_year(year)) {
    w.missing_year = year;
    w.current_year = true;
    w.text =
        "【fangfan】" + missing_year_message(year) + "今年的工作日无法计算，所有期限提醒已受影响。";
    return w;
  }
  if (ymd.month() >= November && !calendar.covers_year(year + 1)) {
    w.missing_year = year + 1;
    w.text = "【fangfan】" + missing_year_message(year + 1) +
             "国务院办公厅通常在年底前发布次年放假安排，请在发布后尽快添加，以免跨年期限无法计算。";
    return w;
  }
  return std::nullopt;
}

}  // namespace fangfan
