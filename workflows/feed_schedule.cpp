// Feed schedules and the duties of feeds and alerts (workflows/feeds.h).
#include <algorithm>

#include "workflows/date.h"
#include "workflows/deadlines.h"
#include "workflows/feeds.h"
#include "workflows/household.h"

namespace fangfan {
namespace {

using std::chrono::year_month;

// The month's occurrence of `s` (its first day of the month, a day past the month's end being
// the last day); nullopt when the months filter leaves the month out or no day is configured.
std::optional<FeedOccurrence> occurrence_in(const Schedule& s, const FeedSource& source,
                                            year_month month) {
  if (s.days_of_month.empty()) return std::nullopt;
  if (!s.months.empty() &&
      std::find(s.months.begin(), s.months.end(), int(unsigned(month.month()))) == s.months.end()) {
    return std::nullopt;
  }
  const int first = *std::min_element(s.days_of_month.begin(), s.days_of_month.end());
  const unsigned last = unsigned(std::chrono::year_month_day_last{month / std::chrono::last}.day());
  const unsigned day = std::clamp(unsigned(std::max(first, 1)), 1u, last);
  FeedOccurrence o;
  o.schedule = s.name;
  o.feed = s.feed;
  o.department = source.department.empty() ? s.department : source.department;
  o.period = format_month(month);
  o.at = china_time(Date{month / std::chrono::day{day}}, std::chrono::hours{s.hour});
  return o;
}

const FeedSource* source_of(const ProgramRules& rules, const Schedule& s) {
  if (s.kind != "feed" || s.feed.empty()) return nullptr;
  return rules.feeds.find(s.feed);
}

}  // namespace

std::vector<FeedOccurrence> feed_occurrences(const ProgramRules& rules, TimePoint from,
                                             TimePoint to) {
  std::vector<FeedOccurrence> out;
  if (to <= from) return out;
  const year_month first = month_of(china_date(from));
  const year_month last = month_of(china_date(to));
  for (const Schedule& s : rules.schedules) {
    const FeedSource* source = source_of(rules, s);
    if (source == nullptr) continue;
    for (year_month m = first; m <= last; m += std::chrono::months{1}) {
      std::optional<FeedOccurrence> o = occurrence_in(s, *source, m);
      if (o && o->at > from && o->at <= to) out.push_back(std::move(*o));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const FeedOccurrence& a, const FeedOccurrence& b) { return a.at < b.at; });
  return out;
}

std::optional<FeedOccurrence> latest_feed_occurrence(const ProgramRules& rules,
                                                     const Schedule& schedule, TimePoint now) {
  const FeedSource* source = source_of(rules, schedule);
  if (source == nullptr) return std::nullopt;
  year_month m = month_of(china_date(now));
  for (int back = 0; back <= 13; ++back, m -= std::chrono::months{1}) {
    std::optional<FeedOccurrence> o = occurrence_in(schedule, *source, m);
    if (o && o->at <= now) return o;
  }
  return std::nullopt;
}

std::optional<FeedOccurrence> feed_due_occurrence(const ProgramRules& rules, const FeedDue& due,
                                                  TimePoint at) {
  const FeedSource* source = rules.feeds.find(due.feed);
  if (source == nullptr) return std::nullopt;
  FeedOccurrence o;
  for (const Schedule& s : rules.schedules) {
    if (s.kind == "feed" && s.feed == due.feed) {
      o.schedule = s.name;
      break;
    }
  }
  o.feed = due.feed;
  o.department = source->department;
  o.period = due.period;
  o.at = at;
  return o;
}

std::string feed_due_key(std::string_view feed, std::string_view period) {
  return "feed_due/" + std::string(feed) + "/" + std::string(period);
}

std::string feed_duty_key(std::string_view feed, std::string_view period) {
  return std::string(kDutyFeed) + "/" + std::string(feed) + "/" + std::string(period);
}

std::string alert_duty_key(std::int64_t alert_id) {
  return std::string(kDutyAlert) + "/" + std::to_string(alert_id);
}

NewDuty feed_duty(const FeedOccurrence& o, std::string_view county_code) {
  NewDuty d;
  d.duty_key = feed_duty_key(o.feed, o.period);
  d.kind = kDutyFeed;
  d.subject = o.feed + "/" + o.period;
  d.township_code = std::string(county_code);
  d.owner_role = "department_clerk";
  d.due_at = o.at;
  d.opened_at = o.at;
  return d;
}

CalendarResult<std::vector<PlannedTimer>> plan_feed_missing(const DutyRecord& duty,
                                                            const FeedSource& source,
                                                            const WorkingDayCalendar& calendar) {
  std::vector<EscalationRung> ladder = source.escalation;
  if (ladder.empty()) ladder.push_back({0, duty.owner_role});
  CalendarResult<std::vector<LadderTimer>> rungs = ladder_instants(duty.due_at, ladder, calendar);
  if (!rungs) return rungs.error();
  Deadline d;
  d.last_day = china_date(duty.due_at);
  d.due = duty.due_at;
  d.ladder = std::move(rungs).value();
  NewDuty n;
  n.duty_key = duty.duty_key;
  n.case_id = duty.case_id;
  n.kind = duty.kind;
  n.subject = duty.subject;
  n.township_code = duty.township_code;
  n.village_code = duty.village_code;
  n.owner_role = duty.owner_role;
  n.officer = duty.officer;
  n.due_at = duty.due_at;
  n.opened_at = duty.opened_at;
  return duty_timers(n, d, false);
}

CalendarResult<OpenDuty> plan_alert_duty(std::int64_t alert_id, std::string_view township_code,
                                         std::string_view village_code, TimePoint raised_at,
                                         const AlertRules& rules,
                                         const WorkingDayCalendar& calendar) {
  StepDeadline rule = rules.deadline;
  // Overdue must reach someone: without a ladder, the owner at due time.
  if (rule.escalation.empty()) rule.escalation.push_back({0, rules.owner_role});
  CalendarResult<Deadline> d = step_deadline(raised_at, rule, calendar);
  if (!d) return d.error();
  OpenDuty o;
  o.duty.duty_key = alert_duty_key(alert_id);
  o.duty.kind = kDutyAlert;
  o.duty.subject = std::to_string(alert_id);
  o.duty.township_code = std::string(township_code);
  o.duty.village_code = std::string(village_code);
  o.duty.owner_role = rules.owner_role;
  o.duty.due_at = d->due;
  o.duty.opened_at = raised_at;
  o.timers = duty_timers(o.duty, *d, false);
  return o;
}

}  // namespace fangfan
