// List schedules and the duties of department lists (workflows/lists.h).
#include <algorithm>

#include "workflows/date.h"
#include "workflows/deadlines.h"
#include "workflows/lists.h"

namespace fangfan {
namespace {

using std::chrono::year_month;

const DepartmentList* list_of(const ProgramRules& rules, const Schedule& s) {
  if (s.kind != "list" || s.list.empty()) return nullptr;
  return rules.lists.find(s.list);
}

// The occurrences of `s` in `month`, one per configured day (a day past the month's end being
// its last day, so two such days are one occurrence), in day order; none when the months
// filter leaves the month out.
std::vector<ListOccurrence> occurrences_in(const Schedule& s, const DepartmentList& list,
                                           year_month month) {
  std::vector<ListOccurrence> out;
  if (!s.months.empty() &&
      std::find(s.months.begin(), s.months.end(), int(unsigned(month.month()))) == s.months.end()) {
    return out;
  }
  const unsigned last = unsigned(std::chrono::year_month_day_last{month / std::chrono::last}.day());
  std::vector<unsigned> days;
  for (int d : s.days_of_month) days.push_back(std::clamp(unsigned(std::max(d, 1)), 1u, last));
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());
  for (unsigned day : days) {
    const Date date{month / std::chrono::day{day}};
    ListOccurrence o;
    o.schedule = s.name;
    o.list = s.list;
    o.department = list.department.empty() ? s.department : list.department;
    o.period = format_date(date);
    o.at = china_time(date, std::chrono::hours{s.hour});
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

std::vector<ListOccurrence> list_occurrences(const ProgramRules& rules, TimePoint from,
                                             TimePoint to) {
  std::vector<ListOccurrence> out;
  if (to <= from) return out;
  const year_month first = month_of(china_date(from));
  const year_month last = month_of(china_date(to));
  for (const Schedule& s : rules.schedules) {
    const DepartmentList* list = list_of(rules, s);
    if (list == nullptr) continue;
    for (year_month m = first; m <= last; m += std::chrono::months{1}) {
      for (ListOccurrence& o : occurrences_in(s, *list, m)) {
        if (o.at > from && o.at <= to) out.push_back(std::move(o));
      }
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ListOccurrence& a, const ListOccurrence& b) { return a.at < b.at; });
  return out;
}

std::optional<ListOccurrence> latest_list_occurrence(const ProgramRules& rules,
                                                     const Schedule& schedule, TimePoint now) {
  const DepartmentList* list = list_of(rules, schedule);
  if (list == nullptr) return std::nullopt;
  year_month m = month_of(china_date(now));
  for (int back = 0; back <= 13; ++back, m -= std::chrono::months{1}) {
    std::vector<ListOccurrence> in = occurrences_in(schedule, *list, m);
    for (auto it = in.rbegin(); it != in.rend(); ++it) {
      if (it->at <= now) return std::move(*it);
    }
  }
  return std::nullopt;
}

std::optional<ListOccurrence> list_due_occurrence(const ProgramRules& rules, const ListDue& due,
                                                  TimePoint at) {
  const DepartmentList* list = rules.lists.find(due.list);
  if (list == nullptr) return std::nullopt;
  ListOccurrence o;
  for (const Schedule& s : rules.schedules) {
    if (s.kind == "list" && s.list == due.list) {
      o.schedule = s.name;
      break;
    }
  }
  o.list = due.list;
  o.department = list->department;
  o.period = due.period;
  o.at = at;
  return o;
}

std::string list_due_key(std::string_view list, std::string_view period) {
  return "list_due/" + std::string(list) + "/" + std::string(period);
}

std::string list_duty_key(std::string_view list, std::string_view period) {
  return std::string(kDutyList) + "/" + std::string(list) + "/" + std::string(period);
}

std::string feedback_duty_key(std::string_view list, std::string_view period) {
  return std::string(kDutyFeedback) + "/" + std::string(list) + "/" + std::string(period);
}

NewDuty list_duty(const ListOccurrence& o, std::string_view county_code) {
  return county_office_duty(kDutyList, o.list, o.period, county_code, o.at);
}

CalendarResult<OpenDuty> plan_feedback_duty(const DepartmentList& list, std::string_view period,
                                            TimePoint sent_at, std::string_view county_code,
                                            const WorkingDayCalendar& calendar) {
  StepDeadline rule = list.feedback;
  // An unanswered list must reach someone: without a ladder, the department clerk at due time.
  if (rule.escalation.empty()) rule.escalation.push_back({0, "department_clerk"});
  CalendarResult<Deadline> d = step_deadline(sent_at, rule, calendar);
  if (!d) return d.error();
  OpenDuty o;
  o.duty.duty_key = feedback_duty_key(list.name, period);
  o.duty.kind = kDutyFeedback;
  o.duty.subject = list.name + "/" + std::string(period);
  o.duty.township_code = std::string(county_code);
  o.duty.owner_role = "department_clerk";
  o.duty.due_at = d->due;
  o.duty.opened_at = sent_at;
  o.timers = duty_timers(o.duty, *d, false);
  return o;
}

}  // namespace fangfan
