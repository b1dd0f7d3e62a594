#include "workflows/deadlines.h"

#include <algorithm>

#include "workflows/date.h"
#include "workflows/report_schedule.h"

namespace fangfan {
namespace {

// Propagates a CalendarResult's error out of the calling function.
#define FANGFAN_TRY(var, expr)                    \
  auto var##_result = (expr);                     \
  if (!var##_result) return var##_result.error(); \
  auto var = std::move(var##_result).value()

// The last day of a period of `n` `unit`s started on `start`, with the rest-day extension of a
// calendar-day period.
CalendarResult<Date> period_last_day(Date start, int n, DayUnit unit,
                                     const WorkingDayCalendar& calendar) {
  FANGFAN_TRY(last, calendar.add_days(start, n, unit));
  if (unit == DayUnit::kCalendarDays) {
    FANGFAN_TRY(working, calendar.is_working_day(last));
    if (!working) return calendar.add_working_days(last, 1);
  }
  return last;
}

// 08:00 on the `before`-th working day before the last day; nullopt for 0 or when it would not
// be after `opened`. Counted from the last day, not from the due day: "remind 1 working day
// before" must leave the last day itself to act on.
CalendarResult<std::optional<TimePoint>> reminder_before(Date last_day, int before,
                                                         TimePoint opened,
                                                         const WorkingDayCalendar& calendar) {
  if (before <= 0) return std::optional<TimePoint>{};
  FANGFAN_TRY(day, calendar.add_working_days(last_day, -before));
  const TimePoint at = china_time(day, kWorkdayStart);
  if (at <= opened) return std::optional<TimePoint>{};
  return std::optional<TimePoint>{at};
}

// A deadline whose period ends with `last_day`.
CalendarResult<Deadline> deadline_ending(Date last_day, const std::vector<EscalationRung>& ladder,
                                         const WorkingDayCalendar& calendar) {
  Deadline d;
  d.last_day = last_day;
  FANGFAN_TRY(due, workday_start_after(last_day, calendar));
  d.due = due;
  FANGFAN_TRY(rungs, ladder_instants(due, ladder, calendar));
  d.ladder = std::move(rungs);
  return d;
}

}  // namespace

CalendarResult<TimePoint> workday_start_after(Date d, const WorkingDayCalendar& calendar) {
  FANGFAN_TRY(next, calendar.add_working_days(d, 1));
  return china_time(next, kWorkdayStart);
}

CalendarResult<TimePoint> workday_start_on_or_after(Date d, const WorkingDayCalendar& calendar) {
  FANGFAN_TRY(working, calendar.is_working_day(d));
  if (working) return china_time(d, kWorkdayStart);
  return workday_start_after(d, calendar);
}

CalendarResult<std::vector<LadderTimer>> ladder_instants(TimePoint due,
                                                         const std::vector<EscalationRung>& ladder,
                                                         const WorkingDayCalendar& calendar) {
  std::vector<EscalationRung> sorted = ladder;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.after_working_days < b.after_working_days;
  });
  std::vector<LadderTimer> out;
  const Date due_day = china_date(due);
  int next_rung = 1;
  for (const EscalationRung& r : sorted) {
    if (!out.empty() && out.back().after_working_days == r.after_working_days) {
      out.back().roles.push_back(r.to_role);
      continue;
    }
    LadderTimer t;
    t.after_working_days = r.after_working_days;
    t.rung = r.after_working_days == 0 ? 0 : next_rung++;
    if (r.after_working_days == 0) {
      t.at = due;
    } else {
      FANGFAN_TRY(day, calendar.add_working_days(due_day, r.after_working_days));
      t.at = china_time(day, kWorkdayStart);
    }
    t.roles.push_back(r.to_role);
    out.push_back(std::move(t));
  }
  return out;
}

CalendarResult<Deadline> step_deadline(TimePoint started, const StepDeadline& rule,
                                       const WorkingDayCalendar& calendar) {
  FANGFAN_TRY(last, period_last_day(china_date(started), rule.period, rule.unit, calendar));
  FANGFAN_TRY(d, deadline_ending(last, rule.escalation, calendar));
  FANGFAN_TRY(reminder,
              reminder_before(d.last_day, rule.remind_before_working_days, started, calendar));
  d.reminder = reminder;
  return d;
}

CalendarResult<Deadline> shared_step_deadline(TimePoint window_started,
                                              const StepDeadline& window_rule, TimePoint started,
                                              const StepDeadline& rule,
                                              const WorkingDayCalendar& calendar) {
  FANGFAN_TRY(window, step_deadline(window_started, window_rule, calendar));
  FANGFAN_TRY(d, deadline_ending(window.last_day, rule.escalation, calendar));
  FANGFAN_TRY(reminder,
              reminder_before(d.last_day, rule.remind_before_working_days, started, calendar));
  d.reminder = reminder;
  return d;
}

Date publicity_closes_on(Date started, int days) { return started + std::chrono::days{days + 1}; }

CalendarResult<Deadline> publicity_deadline(TimePoint started, const StepDeadline& rule,
                                            const WorkingDayCalendar& calendar) {
  const Date first = publicity_closes_on(china_date(started), rule.period);
  FANGFAN_TRY(working, calendar.is_working_day(first));
  Date last = first;
  if (!working) {
    FANGFAN_TRY(next, calendar.add_working_days(first, 1));
    last = next;
  }
  FANGFAN_TRY(d, deadline_ending(last, rule.escalation, calendar));
  FANGFAN_TRY(reminder,
              reminder_before(d.last_day, rule.remind_before_working_days, started, calendar));
  d.reminder = reminder;
  return d;
}

CalendarResult<Deadline> month_deadline(std::chrono::year_month month, int reminder_day,
                                        const std::vector<EscalationRung>& ladder, TimePoint opened,
                                        const WorkingDayCalendar& calendar) {
  const Date last = Date{month / std::chrono::last};
  FANGFAN_TRY(d, deadline_ending(last, ladder, calendar));
  if (reminder_day >= 1) {
    const Date day = Date{month / std::chrono::day(static_cast<unsigned>(reminder_day))};
    FANGFAN_TRY(at, workday_start_on_or_after(day, calendar));
    if (at > opened && at < d.due) d.reminder = at;
  }
  return d;
}

CalendarResult<EvaluationWindow> evaluation_window(int year, const EvaluationRules& rules,
                                                   const WorkingDayCalendar& calendar) {
  using std::chrono::month;
  const Date open_day =
      Date{std::chrono::year{year} / month(static_cast<unsigned>(rules.open_month)) /
           std::chrono::day(static_cast<unsigned>(rules.open_day))};
  FANGFAN_TRY(opens, workday_start_on_or_after(open_day, calendar));
  FANGFAN_TRY(d, step_deadline(opens, rules.deadline, calendar));
  EvaluationWindow w;
  w.opens = opens;
  w.deadline = std::move(d);
  return w;
}

CalendarResult<TimePoint> campaign_opens(const Campaign& campaign,
                                         const WorkingDayCalendar& calendar) {
  using std::chrono::month;
  const Date start = Date{std::chrono::year{campaign.start_year} /
                          month(static_cast<unsigned>(campaign.start_month)) /
                          std::chrono::day(static_cast<unsigned>(campaign.start_day))};
  return workday_start_on_or_after(start, calendar);
}

CalendarResult<Deadline> milestone_deadline(const CampaignMilestone& milestone, TimePoint opened,
                                            const WorkingDayCalendar& calendar) {
  using std::chrono::month;
  const Date last =
      Date{std::chrono::year{milestone.year} / month(static_cast<unsigned>(milestone.month)) /
           std::chrono::day(static_cast<unsigned>(milestone.day))};
  FANGFAN_TRY(d, deadline_ending(last, milestone.escalation, calendar));
  FANGFAN_TRY(reminder,
              reminder_before(d.last_day, milestone.remind_before_working_days, opened, calendar));
  d.reminder = reminder;
  return d;
}

int days_overdue(Date last_day, TimePoint now) {
  return static_cast<int>((china_date(now) - last_day).count());
}

int days_left(Date last_day, TimePoint now) { return -days_overdue(last_day, now); }

Date duty_last_day(const DutyRecord& duty, const ProgramRules& rules,
                   const WorkingDayCalendar& calendar) {
  const Date due_day = china_date(duty.due_at);
  if (duty.kind == kDutyVisits || duty.kind == kDutyMonitoring) {
    if (auto first = parse_date(duty.subject + "-01")) {
      const std::chrono::year_month_day ymd{*first};
      return Date{ymd.year() / ymd.month() / std::chrono::last};
    }
  } else if (duty.kind == kDutyCampaign) {  // subject "campaign/milestone"
    const std::size_t slash = duty.subject.find('/');
    if (const std::optional<Campaign> c =
            find_campaign(rules.campaigns, duty.subject.substr(0, slash))) {
      for (const CampaignMilestone& m : c->milestones) {
        if (slash != std::string::npos && m.name == duty.subject.substr(slash + 1)) {
          using std::chrono::month;
          return Date{std::chrono::year{m.year} / month(static_cast<unsigned>(m.month)) /
                      std::chrono::day(static_cast<unsigned>(m.day))};
        }
      }
    }
  } else if (duty.kind == kDutyFeed || duty.kind == kDutyList || duty.kind == kDutyReport) {
    return due_day;  // due at the scheduled instant itself (workflows/feeds.h, lists.h)
  }
  if (auto before = calendar.add_working_days(due_day, -1)) return *before;
  return due_day - std::chrono::days{1};
}

#undef FANGFAN_TRY

}  // namespace fangfan
