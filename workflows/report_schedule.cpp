// Monthly report schedules and their duty (workflows/report_schedule.h).
#include "workflows/report_schedule.h"

#include <algorithm>

#include "workflows/household.h"

namespace fangfan {
namespace {

using std::chrono::year_month;

const MonthlyReport* report_of(const ProgramRules& rules, const Schedule& s) {
  if (s.kind != kDutyReport || s.name.empty()) return nullptr;
  return rules.monthly_reports.find(s.name);
}

// The occurrences of `s` in `month`, one per configured day (a day past the month's end being
// its last day), in day order; none when the months filter leaves the month out.
std::vector<ReportOccurrence> occurrences_in(const Schedule& s, year_month month) {
  std::vector<ReportOccurrence> out;
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
    out.push_back(
        {s.name, format_month(reported_month(date)), china_time(date, std::chrono::hours{s.hour})});
  }
  return out;
}

}  // namespace

std::chrono::year_month reported_month(Date day) { return month_of(day) - std::chrono::months{1}; }

std::optional<ReportMonth> report_month(std::string_view period) {
  const std::optional<Date> first = parse_date(std::string(period) + "-01");
  if (period.size() != 7 || !first) return std::nullopt;
  ReportMonth m;
  m.month = month_of(*first);
  const Date next{(m.month + std::chrono::months{1}) / std::chrono::day{1}};
  m.from = china_time(*first);
  m.to = china_time(next);
  m.last_day = next - std::chrono::days{1};
  return m;
}

std::vector<ReportOccurrence> report_occurrences(const ProgramRules& rules, TimePoint from,
                                                 TimePoint to) {
  std::vector<ReportOccurrence> out;
  if (to <= from) return out;
  const year_month first = month_of(china_date(from));
  const year_month last = month_of(china_date(to));
  for (const Schedule& s : rules.schedules) {
    if (report_of(rules, s) == nullptr) continue;
    for (year_month m = first; m <= last; m += std::chrono::months{1}) {
      for (ReportOccurrence& o : occurrences_in(s, m)) {
        if (o.at > from && o.at <= to) out.push_back(std::move(o));
      }
    }
  }
  std::stable_sort(
      out.begin(), out.end(),
      [](const ReportOccurrence& a, const ReportOccurrence& b) { return a.at < b.at; });
  return out;
}

std::optional<ReportOccurrence> latest_report_occurrence(const ProgramRules& rules,
                                                         const Schedule& schedule, TimePoint now) {
  if (report_of(rules, schedule) == nullptr) return std::nullopt;
  year_month m = month_of(china_date(now));
  for (int back = 0; back <= 13; ++back, m -= std::chrono::months{1}) {
    std::vector<ReportOccurrence> in = occurrences_in(schedule, m);
    for (auto it = in.rbegin(); it != in.rend(); ++it) {
      if (it->at <= now) return std::move(*it);
    }
  }
  return std::nullopt;
}

std::optional<ReportOccurrence> report_due_occurrence(const ProgramRules& rules,
                                                      const ReportDue& due, TimePoint at) {
  for (const Schedule& s : rules.schedules) {
    if (s.name == due.schedule && report_of(rules, s) != nullptr) {
      return ReportOccurrence{due.schedule, due.period, at};
    }
  }
  return std::nullopt;
}

std::string report_due_key(std::string_view schedule, std::string_view period) {
  return "report_due/" + std::string(schedule) + "/" + std::string(period);
}

std::string report_duty_key(std::string_view schedule, std::string_view period) {
  return std::string(kDutyReport) + "/" + std::string(schedule) + "/" + std::string(period);
}

NewDuty report_duty(const ReportOccurrence& o, std::string_view county_code) {
  return county_office_duty(kDutyReport, o.schedule, o.period, county_code, o.at);
}

}  // namespace fangfan
