// The monthly report workbook's schedule and duty (月报, workflows/report_rules.h), pure: when a
// kind = "report" schedule falls due, which month it reports, and the keys of its timer and duty.
//
// Occurrences: every configured day of the month at `hour` China time (months filter as for
// lists; a day past the month's end is its last day). The period is the month BEFORE the
// occurrence's ("2026-11" for the 1 December run): the month the workbook reports. Several days in
// one month report the same period; the period's keys make it one workbook.
// Keys: timer "report_due/<schedule>/<period>", duty "report/<schedule>/<period>" (kind
// "report", owed by the county office, the county's, no timers: the list runner produces it).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/clock.h"
#include "workflows/date.h"
#include "workflows/duties.h"
#include "workflows/program_rules.h"
#include "workflows/timer_payload.h"

namespace fangfan {

// duties.kind (and timers.step) of producing a monthly report workbook; owed by the county office.
inline constexpr const char* kDutyReport = "report";

struct ReportOccurrence {
  std::string schedule;
  std::string period;  // the month reported, "YYYY-MM"
  TimePoint at{};
  bool operator==(const ReportOccurrence&) const = default;
};

// Occurrences of every kind = "report" schedule with a configured MonthlyReport, with at in
// (from, to], in time order (ties in schedule order).
std::vector<ReportOccurrence> report_occurrences(const ProgramRules& rules, TimePoint from,
                                                 TimePoint to);
// The latest occurrence of `schedule` at or before `now` (within the last 13 months); nullopt
// when it is not a configured report schedule.
std::optional<ReportOccurrence> latest_report_occurrence(const ProgramRules& rules,
                                                         const Schedule& schedule, TimePoint now);
// A fired ReportDue timer's occurrence (`at`: the timer's due_at); nullopt when the schedule is
// no longer a configured report schedule.
std::optional<ReportOccurrence> report_due_occurrence(const ProgramRules& rules,
                                                      const ReportDue& due, TimePoint at);

// The month reported by a run on `day`: the month before it.
std::chrono::year_month reported_month(Date day);
// [first day 00:00, next month's first day 00:00) China time of a period "YYYY-MM"; nullopt
// when it is not one.
struct ReportMonth {
  std::chrono::year_month month{};
  TimePoint from{}, to{};
  Date last_day{};
};
std::optional<ReportMonth> report_month(std::string_view period);

std::string report_due_key(std::string_view schedule, std::string_view period);
std::string report_duty_key(std::string_view schedule, std::string_view period);

// "Produce and send this month's report workbook": kind "report", subject
// "<schedule>/<period>", the county's, owed by the county office, due and opened at the
// occurrence, without timers.
NewDuty report_duty(const ReportOccurrence& occurrence, std::string_view county_code);

}  // namespace fangfan
