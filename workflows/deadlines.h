// When things fall due (期限): the instants of a duty's reminder, its deadline and
// each rung of its escalation ladder, computed from the configured rules and
// the working-day calendar. Pure: time is passed in, nothing is read or stored.
//
// The time-of-day rule, one for every kind of duty:
//   - A period ends with its LAST DAY: a step's N-th working day after the day
//     it started (that day does not count), or its N-th calendar day; a month's
//     last day; a milestone's date. A calendar-day period whose last day is a
//     rest day ends on the next working day instead (期间届满的最后一日是节假日
//     的，以节假日后的第一日为期间届满的日期): nobody can close a publicity on
//     a Sunday.
//   - The duty is OVERDUE from 08:00 China time on the first working day after
//     its last day (kWorkdayStart): the whole last day is available, and the
//     overdue notice arrives when the office opens, never at midnight or on a
//     holiday. Duty rows store this instant as due_at.
//   - A reminder `remind_before_working_days` before goes out at 08:00 on that
//     working day before the LAST day (1 = the working day before it: "提前1个
//     工作日提醒" leaves a whole day to act, docs/rules.md). A
//     monthly reminder goes out at 08:00 on the first working day on or after
//     the configured day of the month. A reminder that would fall before the
//     duty was opened is left out.
//   - Escalation rungs are counted in working days from the due day, at 08:00:
//     weekends and holidays never burn through a ladder. Rungs with the same
//     after_working_days are one rung (one instant, several roles); rung 0 is
//     the set of rungs at due time (absent when none is configured), the
//     others are numbered 1, 2, ... in increasing order.
//
// Errors: every function needing a year the calendar has no data for returns
// the calendar's CalendarError naming that year (never a guess).
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "workflows/calendar.h"
#include "workflows/clock.h"
#include "workflows/duties.h"
#include "workflows/program_rules.h"

namespace fangfan {

// Offices open at 08:00 China time (上班时间): the instant reminders and
// overdue notices are sent at.
inline constexpr std::chrono::hours kWorkdayStart{8};

// One rung of a ladder with its instant.
struct LadderTimer {
  int rung = 0;  // 0: at due time; 1, 2, ...: escalations
  int after_working_days = 0;
  TimePoint at{};
  std::vector<std::string> roles;  // role names (config), in ladder order
  bool operator==(const LadderTimer&) const = default;
};

struct Deadline {
  Date last_day{};                    // shown as the due date ("2025-10-14")
  TimePoint due{};                    // overdue from here (08:00 after last_day)
  std::optional<TimePoint> reminder;  // none when not configured or before opening
  std::vector<LadderTimer> ladder;    // in rung order
  bool operator==(const Deadline&) const = default;
};

// 08:00 China time on the first working day strictly after `d`.
CalendarResult<TimePoint> workday_start_after(Date d, const WorkingDayCalendar& calendar);
// 08:00 China time on `d` if it is a working day, else on the next one.
CalendarResult<TimePoint> workday_start_on_or_after(Date d, const WorkingDayCalendar& calendar);

// The rungs of `ladder` counted from `due` (see the rule above).
CalendarResult<std::vector<LadderTimer>> ladder_instants(TimePoint due,
                                                         const std::vector<EscalationRung>& ladder,
                                                         const WorkingDayCalendar& calendar);

// A procedure step that started at `started`.
CalendarResult<Deadline> step_deadline(TimePoint started, const StepDeadline& rule,
                                       const WorkingDayCalendar& calendar);

// A step sharing the window of the step before it (StepDeadline::shared_window): its last day
// is the window's, `window_rule` counted from `window_started`; its reminder (counted from
// `started`) and ladder are its own. [002] "5个工作日内完成入户调查和民主评议".
CalendarResult<Deadline> shared_step_deadline(TimePoint window_started,
                                              const StepDeadline& window_rule, TimePoint started,
                                              const StepDeadline& rule,
                                              const WorkingDayCalendar& calendar);

// The first day a publicity (公示) of `days` days started on `started` may be closed: the day
// after its last whole day ([000] "公示期5天": posted on 05-06, days 05-07..05-11, closed from
// 05-12). The case guard and the publicity's duty use this one rule.
Date publicity_closes_on(Date started, int days);

// A publicity step started at `started`: its last day is the day it may first be closed
// (publicity_closes_on), or the next working day when that is a rest day; reminder and ladder as
// a step's.
CalendarResult<Deadline> publicity_deadline(TimePoint started, const StepDeadline& rule,
                                            const WorkingDayCalendar& calendar);

// A month's visits or monitoring (per_month by the month's end): reminder on
// reminder_day, overdue after the month's last day, ladder from there.
// `opened` is when the duty was opened (a reminder before it is left out).
CalendarResult<Deadline> month_deadline(std::chrono::year_month month, int reminder_day,
                                        const std::vector<EscalationRung>& ladder, TimePoint opened,
                                        const WorkingDayCalendar& calendar);

// The Q4 risk evaluation of `year`: when its tasks open, and their deadline
// (the period counted from the opening day).
struct EvaluationWindow {
  TimePoint opens{};
  Deadline deadline;
};
CalendarResult<EvaluationWindow> evaluation_window(int year, const EvaluationRules& rules,
                                                   const WorkingDayCalendar& calendar);

// A campaign: when its duties open, and one milestone's deadline.
CalendarResult<TimePoint> campaign_opens(const Campaign& campaign,
                                         const WorkingDayCalendar& calendar);
CalendarResult<Deadline> milestone_deadline(const CampaignMilestone& milestone, TimePoint opened,
                                            const WorkingDayCalendar& calendar);

// The one count of days overdue (逾期天数), in messages, lists and the API alike: whole
// calendar days from `last_day` to the China date of `now`; 1 on the morning the duty falls
// due after a plain working day, 3 on the Monday after a Friday last day.
int days_overdue(Date last_day, TimePoint now);
// Whole calendar days from the China date of `now` to `last_day`: 0 on the last day itself.
int days_left(Date last_day, TimePoint now);

// The last day of a stored duty (what its messages call due_date), recovered from its kind:
// a month's last day (visits, monitoring), a milestone's configured date (campaign), the day of
// the instant for duties due at a scheduled instant (feed, list, report), and otherwise the
// working day before its due day (a step-like period ends on a working day; so does a campaign
// no longer configured). A calendar gap falls back on the calendar day before the due day.
Date duty_last_day(const DutyRecord& duty, const ProgramRules& rules,
                   const WorkingDayCalendar& calendar);

}  // namespace fangfan
