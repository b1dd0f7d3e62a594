// Deadline arithmetic (workflows/deadlines.h) on the shipped calendar (config/calendar): the
// National Day week, Spring Festival with its make-up weekend days, calendar-day publicity with
// the rest-day extension, escalation rungs, monthly duties, the Q4 evaluation, campaigns, and a
// missing year failing with the calendar's error.
#include "workflows/deadlines.h"

#include <gtest/gtest.h>

#include "adapters/calendar/calendar_files.h"
#include "workflows/date.h"
#include "workflows/duties.h"

namespace fangfan {
namespace {

using namespace std::chrono_literals;
using std::chrono::October;
using std::chrono::September;

const WorkingDayCalendar& shipped() {
  static const WorkingDayCalendar calendar = [] {
    CalendarLoad load = load_calendar_dir(FANGFAN_SOURCE_DIR "/config/calendar");
    EXPECT_TRUE(load.calendar.has_value());
    return *load.calendar;
  }();
  return calendar;
}

TimePoint at(const char* text) {
  auto t = parse_time(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(TimePoint{});
}

Date day(const char* text) {
  auto d = parse_date(text);
  EXPECT_TRUE(d) << text;
  return d.value_or(Date{});
}

StepDeadline verification_rule() {
  return {5,
          DayUnit::kWorkingDays,
          1,
          {{0, "township_clerk"}, {2, "township_head"}, {5, "county_office"}}};
}

std::vector<TimePoint> rung_times(const Deadline& d) {
  std::vector<TimePoint> out;
  for (const auto& r : d.ladder) out.push_back(r.at);
  return out;
}

struct StepCase {
  const char* name;
  const char* started;
  StepDeadline rule;
  const char* last_day;
  const char* due;
  const char* reminder;  // "" = none
  std::vector<const char*> rungs;
};

// gtest names a failing case by this instead of its bytes.
void PrintTo(const StepCase& c, std::ostream* os) { *os << c.name; }

class StepDeadlineTable : public ::testing::TestWithParam<StepCase> {};

TEST_P(StepDeadlineTable, LastDayDueReminderAndRungs) {
  const StepCase& c = GetParam();
  CalendarResult<Deadline> d = step_deadline(at(c.started), c.rule, shipped());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(format_date(d->last_day), c.last_day);
  EXPECT_EQ(format_time(d->due), format_time(at(c.due)));
  if (std::string(c.reminder).empty()) {
    EXPECT_FALSE(d->reminder.has_value());
  } else {
    ASSERT_TRUE(d->reminder.has_value());
    EXPECT_EQ(format_time(*d->reminder), format_time(at(c.reminder)));
  }
  std::vector<TimePoint> expected;
  for (const char* r : c.rungs) expected.push_back(at(r));
  EXPECT_EQ(rung_times(*d), expected);
}

INSTANTIATE_TEST_SUITE_P(
    Steps, StepDeadlineTable,
    ::testing::Values(
        // 2025 国庆节、中秋节: 10-01..10-08 off, 09-28 (Sun) and 10-11 (Sat) worked. Five working
        // days after Tue 09-30: 10-09, 10-10, 10-11 (make-up Saturday), 10-13, 10-14.
        StepCase{"NationalDayWeek2025",
                 "2025-09-30T16:00",
                 verification_rule(),
                 "2025-10-14",
                 "2025-10-15T08:00",
                 "2025-10-13T08:00",  // 1 working day before the last day (issue 14 item 8)
                 {"2025-10-15T08:00", "2025-10-17T08:00", "2025-10-22T08:00"}},
        // 2025 春节: 01-28..02-04 off, Sun 01-26 and Sat 02-08 worked. From Fri 01-24: 01-26,
        // 01-27, 02-05, 02-06, 02-07; due the make-up Saturday 02-08.
        StepCase{"SpringFestival2025",
                 "2025-01-24T15:00",
                 verification_rule(),
                 "2025-02-07",
                 "2025-02-08T08:00",
                 "2025-02-06T08:00",
                 {"2025-02-08T08:00", "2025-02-11T08:00", "2025-02-14T08:00"}},
        // 2026 春节: 02-15..02-23 off, Sat 02-14 and Sat 02-28 worked. From Fri 02-13: 02-14,
        // 02-24, 02-25, 02-26, 02-27; due Sat 02-28 (make-up).
        StepCase{"SpringFestival2026",
                 "2026-02-13T09:30",
                 verification_rule(),
                 "2026-02-27",
                 "2026-02-28T08:00",
                 "2026-02-26T08:00",
                 {"2026-02-28T08:00", "2026-03-03T08:00", "2026-03-06T08:00"}},
        // 公示 5 days from Mon 03-03 ends Sat 03-08, a rest day: the period ends Mon 03-10.
        StepCase{"PublicityEndingOnSaturday",
                 "2025-03-03T10:00",
                 {5, DayUnit::kCalendarDays, 0, {{1, "village_officer"}, {3, "township_head"}}},
                 "2025-03-10",
                 "2025-03-11T08:00",
                 "",
                 {"2025-03-12T08:00", "2025-03-14T08:00"}},
        // From Wed 03-05 it ends Mon 03-10, a working day: no extension.
        StepCase{"PublicityEndingOnWorkingDay",
                 "2025-03-05T10:00",
                 {5, DayUnit::kCalendarDays, 1, {{1, "village_officer"}}},
                 "2025-03-10",
                 "2025-03-11T08:00",
                 "2025-03-07T08:00",  // Fri: the working day before Mon 03-10
                 {"2025-03-12T08:00"}},
        // Publicity running into National Day: 09-28 + 5 = 10-03 (holiday) -> 10-09.
        StepCase{"PublicityIntoNationalDay",
                 "2025-09-28T10:00",
                 {5, DayUnit::kCalendarDays, 0, {}},
                 "2025-10-09",
                 "2025-10-10T08:00",
                 "",
                 {}},
        // A reminder that would come before the step started is left out.
        StepCase{"ReminderBeforeStartLeftOut",
                 "2025-03-03T10:00",
                 {1, DayUnit::kWorkingDays, 2, {{0, "county_office"}}},
                 "2025-03-04",
                 "2025-03-05T08:00",
                 "",
                 {"2025-03-05T08:00"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Deadlines, RungsWithTheSameDayAreOneRungAndNumberedFromOne) {
  const std::vector<EscalationRung> ladder{{2, "township_head"},
                                           {0, "township_clerk"},
                                           {0, "village_officer"},
                                           {2, "county_admin"},
                                           {4, "county_office"}};
  CalendarResult<std::vector<LadderTimer>> rungs =
      ladder_instants(at("2025-10-15T08:00"), ladder, shipped());
  ASSERT_TRUE(rungs);
  ASSERT_EQ(rungs->size(), 3u);
  EXPECT_EQ((*rungs)[0],
            (LadderTimer{0, 0, at("2025-10-15T08:00"), {"township_clerk", "village_officer"}}));
  EXPECT_EQ((*rungs)[1],
            (LadderTimer{1, 2, at("2025-10-17T08:00"), {"township_head", "county_admin"}}));
  EXPECT_EQ((*rungs)[2], (LadderTimer{2, 4, at("2025-10-21T08:00"), {"county_office"}}));
}

TEST(Deadlines, LadderWithoutRungZeroStartsAtOne) {
  CalendarResult<std::vector<LadderTimer>> rungs =
      ladder_instants(at("2025-03-11T08:00"), {{1, "village_officer"}}, shipped());
  ASSERT_TRUE(rungs);
  ASSERT_EQ(rungs->size(), 1u);
  EXPECT_EQ((*rungs)[0].rung, 1);
  EXPECT_EQ((*rungs)[0].at, at("2025-03-12T08:00"));
}

TEST(Deadlines, MonthOfVisitsRemindsOnTheDayAndFallsDueAfterTheMonth) {
  const std::vector<EscalationRung> ladder{
      {0, "assistance_officer"}, {3, "township_head"}, {8, "county_office"}};
  // October 2025: reminder Mon 10-20; last day Fri 10-31; due Mon 11-03.
  CalendarResult<Deadline> d =
      month_deadline(2025y / October, 20, ladder, at("2025-10-01T00:00"), shipped());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->last_day, day("2025-10-31"));
  EXPECT_EQ(d->due, at("2025-11-03T08:00"));
  EXPECT_EQ(d->reminder, at("2025-10-20T08:00"));
  EXPECT_EQ(rung_times(*d), (std::vector<TimePoint>{at("2025-11-03T08:00"), at("2025-11-06T08:00"),
                                                    at("2025-11-13T08:00")}));
  // September 2025: the 20th is a Saturday -> Mon 09-22; the month falls due after the National
  // Day holiday, on Thu 10-09.
  CalendarResult<Deadline> sep =
      month_deadline(2025y / September, 20, ladder, at("2025-09-01T00:00"), shipped());
  ASSERT_TRUE(sep);
  EXPECT_EQ(sep->reminder, at("2025-09-22T08:00"));
  EXPECT_EQ(sep->due, at("2025-10-09T08:00"));
  // Opened after the reminder day (assistance began on the 25th): no reminder that month.
  CalendarResult<Deadline> late =
      month_deadline(2025y / October, 20, ladder, at("2025-10-25T10:00"), shipped());
  ASSERT_TRUE(late);
  EXPECT_FALSE(late->reminder.has_value());
  EXPECT_EQ(late->due, at("2025-11-03T08:00"));
}

TEST(Deadlines, EvaluationOpensOnTheFirstWorkingDayAndRunsItsPeriod) {
  EvaluationRules rules;
  rules.enabled = true;
  rules.open_month = 10;
  rules.open_day = 1;  // a holiday: opens Thu 10-09
  rules.deadline = {10, DayUnit::kWorkingDays, 2, {{0, "county_office"}, {3, "county_admin"}}};
  CalendarResult<EvaluationWindow> w = evaluation_window(2025, rules, shipped());
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->opens, at("2025-10-09T08:00"));
  // 10 working days after 10-09: 10-10, 10-11 (Sat, worked), 10-13..10-17, 10-20, 10-21, 10-22.
  EXPECT_EQ(w->deadline.last_day, day("2025-10-22"));
  EXPECT_EQ(w->deadline.due, at("2025-10-23T08:00"));
  EXPECT_EQ(w->deadline.reminder, at("2025-10-20T08:00"));  // 2 working days before 10-22
  EXPECT_EQ(rung_times(w->deadline),
            (std::vector<TimePoint>{at("2025-10-23T08:00"), at("2025-10-28T08:00")}));
}

TEST(Deadlines, CampaignMilestonesOf2023Screening) {
  Campaign c;
  c.name = "screening_2023";
  c.start_year = 2023;
  c.start_month = 4;
  c.start_day = 1;  // a Saturday
  CalendarResult<TimePoint> opens = campaign_opens(c, shipped());
  ASSERT_TRUE(opens);
  EXPECT_EQ(*opens, at("2023-04-03T08:00"));
  // 2023-04-30 is a Sunday inside 劳动节 (04-29..05-03, 04-23 and 05-06 worked): the milestone
  // falls due when work resumes on Thu 05-04; the reminder 2 working days before is 04-27.
  CampaignMilestone plan{"plan", "制定工作方案", 2023, 4, 30, 2, {{0, "township_head"}}};
  CalendarResult<Deadline> d = milestone_deadline(plan, *opens, shipped());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->last_day, day("2023-04-30"));
  EXPECT_EQ(d->due, at("2023-05-04T08:00"));
  EXPECT_EQ(d->reminder, at("2023-04-27T08:00"));
}

TEST(Deadlines, MissingYearFailsWithTheCalendarsError) {
  // 2026-12-28 + 5 working days reaches 2027, which has no data.
  CalendarResult<Deadline> d =
      step_deadline(at("2026-12-28T09:00"), verification_rule(), shipped());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().missing_year, 2027);
  EXPECT_EQ(d.error().message, missing_year_message(2027));

  // December's visits fall due in January of the next year: needs that year too.
  CalendarResult<Deadline> dec = month_deadline(std::chrono::year{2026} / std::chrono::December, 20,
                                                {}, at("2026-12-01T00:00"), shipped());
  ASSERT_FALSE(dec);
  EXPECT_EQ(dec.error().missing_year, 2027);

  EvaluationRules rules;
  rules.enabled = true;
  EXPECT_EQ(evaluation_window(2027, rules, shipped()).error().missing_year, 2027);
}

TEST(Deadlines, DaysOverdueCountsCalendarDaysFromTheLastDay) {
  EXPECT_EQ(days_overdue(day("2025-10-14"), at("2025-10-15T08:00")), 1);
  EXPECT_EQ(days_overdue(day("2025-10-14"), at("2025-10-22T08:00")), 8);
  EXPECT_EQ(days_overdue(day("2025-10-14"), at("2025-10-14T23:59")), 0);
}

TEST(Duties, KeysOwnersAndMonthCounts) {
  EXPECT_EQ(step_duty_key(42, kStepHouseholdVerification, 3), "step/42/household_verification/3");
  EXPECT_EQ(month_duty_key(kDutyVisits, 42, 2025y / October), "visits/42/2025-10");
  EXPECT_EQ(evaluation_duty_key(42, 2025), "evaluation/42/2025");
  EXPECT_EQ(campaign_duty_key("screening_2023", "plan", "370102001"),
            "campaign/screening_2023/plan/370102001");
  EXPECT_EQ(step_owner_role(kStepHouseholdVerification), "township_clerk");
  EXPECT_EQ(step_owner_role(kStepVillagePublicity), "village_officer");
  EXPECT_EQ(step_owner_role(kStepCountyReview), "county_office");

  CaseData data;
  data.visits.push_back({day("2025-10-03"), "赵*", "", {}});
  data.visits.push_back({day("2025-10-31"), "赵*", "", {}});
  data.visits.push_back({day("2025-11-01"), "赵*", "", {}});
  MonitoringRecord m;
  m.account.month = 2025y / October;
  data.monitoring.push_back(m);
  EXPECT_EQ(visits_in_month(data, 2025y / October), 2);
  EXPECT_EQ(visits_in_month(data, 2025y / std::chrono::November), 1);
  EXPECT_EQ(monitoring_in_month(data, 2025y / October), 1);
  EXPECT_EQ(monitoring_in_month(data, 2025y / September), 0);
}

// Issue 14 item 8: the last day of a stored duty, the due date every list shows, is the day its
// messages name, for each kind of duty; days overdue and left are counted from it.
TEST(Deadlines, StoredDutysLastDayIsTheDayItsMessagesName) {
  ProgramRules rules;
  Campaign c;
  c.name = "screening";
  c.milestones.push_back({"plan", "制定工作方案", 2023, 4, 30, 2, {}});  // a Sunday
  rules.campaigns.push_back(c);
  struct Row {
    const char* name;
    const char* kind;
    const char* subject;
    const char* due_at;
    const char* last_day;
  };
  const std::vector<Row> table = {
      // 5 working days from Mon 03-03: last day Mon 03-10, overdue Tue 03-11.
      {"step", kDutyStep, "household_verification", "2025-03-11T08:00", "2025-03-10"},
      // Last day Fri 03-07: overdue Mon 03-10; the last day is the Friday, not the Sunday.
      {"step_friday", kDutyStep, "household_verification", "2025-03-10T08:00", "2025-03-07"},
      // Made-up Saturday 10-11 2025 is a working day.
      {"alert_makeup_saturday", kDutyAlert, "17", "2025-10-13T08:00", "2025-10-11"},
      // May 2025 ends on a Saturday; overdue after 端午 (05-31..06-02) on Tue 06-03.
      {"month_on_saturday", kDutyVisits, "2025-05", "2025-06-03T08:00", "2025-05-31"},
      // The milestone's own date, a Sunday in 劳动节 2023.
      {"milestone", kDutyCampaign, "screening/plan", "2023-05-04T08:00", "2023-04-30"},
      // An unknown milestone: the working day before its due day.
      {"milestone_unknown", kDutyCampaign, "gone/plan", "2025-03-10T08:00", "2025-03-07"},
      // A feed falls due on its scheduled day.
      {"feed", kDutyFeed, "civil_affairs/2025-09", "2025-09-05T09:00", "2025-09-05"},
  };
  for (const Row& r : table) {
    DutyRecord d;
    d.kind = r.kind;
    d.subject = r.subject;
    d.due_at = at(r.due_at);
    EXPECT_EQ(format_date(duty_last_day(d, rules, shipped())), r.last_day) << r.name;
  }
  EXPECT_EQ(days_overdue(day("2025-03-10"), at("2025-03-20T09:00")), 10);
  EXPECT_EQ(days_overdue(day("2025-03-07"), at("2025-03-10T08:00")), 3);
  EXPECT_EQ(days_left(day("2025-03-10"), at("2025-03-10T09:00")), 0);
  EXPECT_EQ(days_left(day("2025-03-10"), at("2025-03-07T09:00")), 3);
}

}  // namespace
}  // namespace fangfan

namespace fangfan {
namespace {

// [002] "乡镇扶贫部门组织人员5个工作日内完成入户调查和民主评议": a review sharing the
// verification's window ends with the verification's last day, wherever it starts inside it.
TEST(SharedWindow, TheReviewEndsWithTheVerificationsWindow) {
  struct Row {
    const char* verification_started;
    const char* review_started;
    const char* last_day;
    const char* reminder;  // "" = none (it would fall before the review started)
  };
  const StepDeadline review{5, DayUnit::kWorkingDays, 1, {{0, "village_officer"}}, "x"};
  const std::vector<Row> rows{
      // Mon 03-03: 03-04..03-10 (a weekend between); the review from Wed 03-05.
      {"2025-03-03T09:00", "2025-03-05T10:00", "2025-03-10", "2025-03-07T08:00"},
      // The review started on the window's last day: no reminder, same last day.
      {"2025-03-03T09:00", "2025-03-10T10:00", "2025-03-10", ""},
      // National Day: from Sun 09-28 (a make-up working day): 09-29, 09-30, 10-09, 10-10 and
      // Sat 10-11 (made up); reminded Fri 10-10.
      {"2025-09-28T09:00", "2025-09-30T09:00", "2025-10-11", "2025-10-10T08:00"},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.review_started);
    auto d = shared_step_deadline(at(r.verification_started), verification_rule(),
                                  at(r.review_started), review, shipped());
    ASSERT_TRUE(d);
    EXPECT_EQ(d->last_day, day(r.last_day));
    EXPECT_EQ(d->due, workday_start_after(day(r.last_day), shipped()).value());
    if (*r.reminder == '\0') {
      EXPECT_FALSE(d->reminder);
    } else {
      EXPECT_EQ(d->reminder, at(r.reminder));
    }
    ASSERT_EQ(d->ladder.size(), 1u);
    EXPECT_EQ(d->ladder[0].roles, std::vector<std::string>{"village_officer"});
  }
}

// [000] "公示期5天": five whole days after the day it is posted; it may be closed from the day
// after the fifth, and that day (or the next working day) is the publicity's due date.
TEST(Publicity, ClosesTheDayAfterItsFifthWholeDay) {
  struct Row {
    const char* started;
    const char* closes_on;
    const char* last_day;
  };
  const std::vector<Row> rows{
      {"2024-05-06T10:00", "2024-05-12", "2024-05-13"},  // Sun 05-12 → Mon 05-13
      {"2025-03-07T10:00", "2025-03-13", "2025-03-13"},  // Fri → Thu
      {"2025-03-03T10:00", "2025-03-09", "2025-03-10"},  // Sun 03-09 → Mon 03-10
      {"2025-09-27T10:00", "2025-10-03", "2025-10-09"},  // National Day → Thu 10-09
  };
  const StepDeadline rule{5, DayUnit::kCalendarDays, 0, {{1, "village_officer"}}};
  for (const Row& r : rows) {
    SCOPED_TRACE(r.started);
    EXPECT_EQ(publicity_closes_on(china_date(at(r.started)), 5), day(r.closes_on));
    auto d = publicity_deadline(at(r.started), rule, shipped());
    ASSERT_TRUE(d);
    EXPECT_EQ(d->last_day, day(r.last_day));
    EXPECT_FALSE(d->reminder);
  }
}

}  // namespace
}  // namespace fangfan
