// The monthly report workbook's schedule, reported month and duty (workflows/report_schedule.h).
#include "workflows/report_schedule.h"

#include <gtest/gtest.h>

#include "workflows/date.h"

namespace fangfan {
namespace {

TimePoint at(const char* text) {
  auto t = parse_time(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(TimePoint{});
}

ProgramRules report_rules() {
  ProgramRules rules;
  Schedule s;
  s.name = "monthly";
  s.kind = "report";
  s.days_of_month = {1};
  s.hour = 8;
  rules.schedules.push_back(s);
  s.name = "quarterly";  // the 31st: a month's last day; only in the months of a quarter's end
  s.days_of_month = {31};
  s.months = {3, 6, 9, 12};
  s.hour = 17;
  rules.schedules.push_back(s);
  s.name = "a list";  // another kind of the same name as nothing: never a report
  s.kind = "list";
  s.months = {};
  rules.schedules.push_back(s);
  s.name = "unconfigured";  // a report schedule without its MonthlyReport
  s.kind = "report";
  rules.schedules.push_back(s);
  rules.monthly_reports.reports = {{"monthly", default_monthly_reports(), "/srv/r", "", false},
                                   {"quarterly", {"overdue"}, "", "县群", false},
                                   {"a list", {"overdue"}, "/srv/x", "", false}};
  return rules;
}

TEST(ReportSchedule, OccurrencesReportTheMonthBeforeInTimeOrder) {
  const ProgramRules rules = report_rules();
  struct Case {
    const char* from;
    const char* to;
    std::vector<ReportOccurrence> want;
  };
  const std::vector<Case> cases = {
      {"2026-11-15T00:00",
       "2026-12-31T23:59",
       {{"monthly", "2026-11", at("2026-12-01T08:00")},
        {"quarterly", "2026-11", at("2026-12-31T17:00")}}},
      // (from, to]: an occurrence at `from` is not in it, one at `to` is.
      {"2026-12-01T08:00",
       "2027-01-01T08:00",
       {{"quarterly", "2026-11", at("2026-12-31T17:00")},
        {"monthly", "2026-12", at("2027-01-01T08:00")}}},
      // January reports December of the year before; June's 31st is its 30th.
      {"2026-12-31T18:00",
       "2027-07-01T07:59",
       {{"monthly", "2026-12", at("2027-01-01T08:00")},
        {"monthly", "2027-01", at("2027-02-01T08:00")},
        {"monthly", "2027-02", at("2027-03-01T08:00")},
        {"quarterly", "2027-02", at("2027-03-31T17:00")},
        {"monthly", "2027-03", at("2027-04-01T08:00")},
        {"monthly", "2027-04", at("2027-05-01T08:00")},
        {"monthly", "2027-05", at("2027-06-01T08:00")},
        {"quarterly", "2027-05", at("2027-06-30T17:00")}}},
      {"2026-12-02T00:00", "2026-12-30T00:00", {}},
      {"2026-12-30T00:00", "2026-12-02T00:00", {}},  // an empty span
  };
  for (const Case& c : cases) {
    EXPECT_EQ(report_occurrences(rules, at(c.from), at(c.to)), c.want) << c.from << " " << c.to;
  }
}

TEST(ReportSchedule, TheLatestOccurrenceAtOrBeforeNow) {
  const ProgramRules rules = report_rules();
  struct Case {
    std::size_t schedule;
    const char* now;
    std::optional<ReportOccurrence> want;
  };
  const std::vector<Case> cases = {
      {0, "2026-12-01T08:00", ReportOccurrence{"monthly", "2026-11", at("2026-12-01T08:00")}},
      {0, "2026-12-01T07:59", ReportOccurrence{"monthly", "2026-10", at("2026-11-01T08:00")}},
      {0, "2027-01-20T00:00", ReportOccurrence{"monthly", "2026-12", at("2027-01-01T08:00")}},
      {1, "2027-02-10T00:00", ReportOccurrence{"quarterly", "2026-11", at("2026-12-31T17:00")}},
      {2, "2027-02-10T00:00", std::nullopt},  // a list schedule
      {3, "2027-02-10T00:00", std::nullopt},  // no MonthlyReport
  };
  for (const Case& c : cases) {
    EXPECT_EQ(latest_report_occurrence(rules, rules.schedules[c.schedule], at(c.now)), c.want)
        << c.schedule << " " << c.now;
  }
}

TEST(ReportSchedule, AFiredTimerIsItsOccurrenceWhileTheScheduleIsConfigured) {
  const ProgramRules rules = report_rules();
  const TimePoint due = at("2026-12-01T08:00");
  EXPECT_EQ(report_due_occurrence(rules, {"monthly", "2026-11"}, due),
            (ReportOccurrence{"monthly", "2026-11", due}));
  EXPECT_EQ(report_due_occurrence(rules, {"gone", "2026-11"}, due), std::nullopt);
  EXPECT_EQ(report_due_occurrence(rules, {"a list", "2026-11"}, due), std::nullopt);
  EXPECT_EQ(report_due_occurrence(rules, {"unconfigured", "2026-11"}, due), std::nullopt);
}

TEST(ReportSchedule, TheReportedMonthsSpan) {
  struct Case {
    const char* period;
    bool ok;
    const char* from;
    const char* to;
    const char* last_day;
  };
  const std::vector<Case> cases = {
      {"2026-11", true, "2026-11-01T00:00", "2026-12-01T00:00", "2026-11-30"},
      {"2026-12", true, "2026-12-01T00:00", "2027-01-01T00:00", "2026-12-31"},
      {"2028-02", true, "2028-02-01T00:00", "2028-03-01T00:00", "2028-02-29"},
      {"2026-13", false, "", "", ""},
      {"2026-1", false, "", "", ""},
      {"2026-11-01", false, "", "", ""},
      {"", false, "", "", ""},
  };
  for (const Case& c : cases) {
    const std::optional<ReportMonth> m = report_month(c.period);
    ASSERT_EQ(m.has_value(), c.ok) << c.period;
    if (!m) continue;
    EXPECT_EQ(m->from, at(c.from)) << c.period;
    EXPECT_EQ(m->to, at(c.to)) << c.period;
    EXPECT_EQ(format_date(m->last_day), c.last_day) << c.period;
  }
  EXPECT_EQ(reported_month(*parse_date("2027-01-01")),
            std::chrono::year{2026} / std::chrono::December);
}

TEST(ReportSchedule, KeysAndTheDutyOfTheCountyOffice) {
  EXPECT_EQ(report_due_key("monthly", "2026-11"), "report_due/monthly/2026-11");
  EXPECT_EQ(report_duty_key("monthly", "2026-11"), "report/monthly/2026-11");
  const NewDuty d = report_duty({"monthly", "2026-11", at("2026-12-01T08:00")}, "379901");
  EXPECT_EQ(d.duty_key, "report/monthly/2026-11");
  EXPECT_EQ(d.kind, "report");
  EXPECT_EQ(d.subject, "monthly/2026-11");
  EXPECT_EQ(d.township_code, "379901");
  EXPECT_EQ(d.owner_role, "county_office");
  EXPECT_EQ(d.due_at, at("2026-12-01T08:00"));
  EXPECT_EQ(d.opened_at, at("2026-12-01T08:00"));
  EXPECT_FALSE(d.case_id.has_value());
}

}  // namespace
}  // namespace fangfan
