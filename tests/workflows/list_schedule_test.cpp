// The schedules of department lists and the duties of producing and answering them
// (workflows/lists.h), on the shipped calendar.
#include <gtest/gtest.h>

#include "adapters/calendar/calendar_files.h"
#include "workflows/date.h"
#include "workflows/lists.h"

namespace fangfan {
namespace {

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

ProgramRules list_rules() {
  ProgramRules rules;
  DepartmentList civil;
  civil.name = "civil_affairs";
  civil.department = "civil_affairs";
  DepartmentList education;
  education.name = "education";
  education.department = "education";
  rules.lists.lists = {civil, education};
  Schedule s;
  s.name = "civil_affairs_list";
  s.kind = "list";
  s.department = "civil_affairs";
  s.list = "civil_affairs";
  s.days_of_month = {15, 1};
  s.hour = 8;
  rules.schedules.push_back(s);
  s.name = "education_list";
  s.department = "education";
  s.list = "education";
  s.days_of_month = {1};
  s.months = {3, 9};
  s.hour = 9;
  rules.schedules.push_back(s);
  s.name = "a feed";
  s.kind = "feed";
  s.feed = "civil_affairs";
  s.list = "";
  s.months = {};
  rules.schedules.push_back(s);
  s.name = "unknown list";
  s.kind = "list";
  s.list = "police";
  rules.schedules.push_back(s);
  return rules;
}

std::vector<std::string> described(const std::vector<ListOccurrence>& os) {
  std::vector<std::string> out;
  for (const ListOccurrence& o : os) {
    out.push_back(o.schedule + " " + o.list + " " + o.department + " " + o.period + " " +
                  format_time(o.at));
  }
  return out;
}

TEST(ListSchedule, EveryDayOfMonthIsItsOwnOccurrence) {
  const ProgramRules rules = list_rules();
  struct Case {
    const char* name;
    const char* from;
    const char* to;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"the 1st and 15th",
       "2026-11-20T00:00",
       "2026-12-20T00:00",
       {"civil_affairs_list civil_affairs civil_affairs 2026-12-01 2026-12-01T08:00:00+08:00",
        "civil_affairs_list civil_affairs civil_affairs 2026-12-15 2026-12-15T08:00:00+08:00"}},
      {"from is excluded, to included",
       "2026-12-01T08:00",
       "2026-12-15T08:00",
       {"civil_affairs_list civil_affairs civil_affairs 2026-12-15 2026-12-15T08:00:00+08:00"}},
      {"months filter and time order",
       "2026-08-31T00:00",
       "2026-09-02T00:00",
       {"civil_affairs_list civil_affairs civil_affairs 2026-09-01 2026-09-01T08:00:00+08:00",
        "education_list education education 2026-09-01 2026-09-01T09:00:00+08:00"}},
      {"empty span", "2026-12-15T08:00", "2026-12-15T08:00", {}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(described(list_occurrences(rules, at(c.from), at(c.to))), c.expected) << c.name;
  }
}

TEST(ListSchedule, LatestOccurrenceAtOrBeforeNow) {
  const ProgramRules rules = list_rules();
  struct Case {
    const char* name;
    std::size_t schedule;
    const char* now;
    std::optional<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"just before the 1st", 0, "2026-12-01T07:59", "2026-11-15 2026-11-15T08:00:00+08:00"},
      {"at the 1st", 0, "2026-12-01T08:00", "2026-12-01 2026-12-01T08:00:00+08:00"},
      {"the 15th's, missed", 0, "2026-12-20T10:00", "2026-12-15 2026-12-15T08:00:00+08:00"},
      {"months filter goes back", 1, "2027-02-01T10:00", "2026-09-01 2026-09-01T09:00:00+08:00"},
      {"not a list", 2, "2026-12-20T10:00", std::nullopt},
      {"list not configured", 3, "2026-12-20T10:00", std::nullopt},
  };
  for (const Case& c : cases) {
    auto o = latest_list_occurrence(rules, rules.schedules[c.schedule], at(c.now));
    ASSERT_EQ(o.has_value(), c.expected.has_value()) << c.name;
    if (o) {
      EXPECT_EQ(o->period + " " + format_time(o->at), *c.expected) << c.name;
    }
  }
}

TEST(ListSchedule, KeysAndTheDutyOfAPeriod) {
  EXPECT_EQ(list_due_key("civil_affairs", "2026-12-01"), "list_due/civil_affairs/2026-12-01");
  EXPECT_EQ(list_duty_key("civil_affairs", "2026-12-01"), "list/civil_affairs/2026-12-01");
  EXPECT_EQ(feedback_duty_key("civil_affairs", "2026-12-01"), "feedback/civil_affairs/2026-12-01");
  const ProgramRules rules = list_rules();
  auto o = list_due_occurrence(rules, ListDue{"education", "2026-09-01"}, at("2026-09-01T09:00"));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->schedule, "education_list");
  EXPECT_EQ(o->department, "education");
  EXPECT_EQ(o->period, "2026-09-01");
  EXPECT_FALSE(list_due_occurrence(rules, ListDue{"police", "2026-09-01"}, at("2026-09-01T09:00")));
  const NewDuty d = list_duty(*o, "371302");
  EXPECT_EQ(d.duty_key, "list/education/2026-09-01");
  EXPECT_EQ(d.kind, kDutyList);
  EXPECT_EQ(d.subject, "education/2026-09-01");
  EXPECT_EQ(d.township_code, "371302");
  EXPECT_EQ(d.owner_role, "county_office");
  EXPECT_FALSE(d.case_id);
  EXPECT_EQ(d.due_at, at("2026-09-01T09:00"));
  EXPECT_EQ(d.opened_at, at("2026-09-01T09:00"));
}

std::vector<std::string> timers_of(const std::vector<PlannedTimer>& timers) {
  std::vector<std::string> out;
  for (const PlannedTimer& t : timers) {
    std::string roles;
    for (const std::string& r : t.notice.roles) roles += " " + r;
    out.push_back(t.suffix + " " + t.kind + " " + format_time(t.due_at) + " " + t.notice.due_date +
                  roles);
  }
  return out;
}

// National Day 2025: 10-01..10-08 off, 09-28 and 10-11 worked.
TEST(ListDuties, TheFeedbackIsDueInWorkingDaysWithItsLadder) {
  DepartmentList list;
  list.name = "civil_affairs";
  list.department = "civil_affairs";
  list.feedback =
      StepDeadline{5, DayUnit::kWorkingDays, 1, {{0, "department_clerk"}, {2, "county_office"}}};
  auto open = plan_feedback_duty(list, "2025-09-29", at("2025-09-29T08:00"), "371302", shipped());
  ASSERT_TRUE(open) << open.error().message;
  EXPECT_EQ(open->duty.duty_key, "feedback/civil_affairs/2025-09-29");
  EXPECT_EQ(open->duty.kind, kDutyFeedback);
  EXPECT_EQ(open->duty.subject, "civil_affairs/2025-09-29");
  EXPECT_EQ(open->duty.township_code, "371302");
  EXPECT_EQ(open->duty.village_code, "");
  EXPECT_EQ(open->duty.owner_role, "department_clerk");
  EXPECT_EQ(open->duty.opened_at, at("2025-09-29T08:00"));
  EXPECT_EQ(open->duty.due_at, at("2025-10-14T08:00"));
  // The reminder goes one working day before the last day (10-13): Saturday 10-11 is worked.
  EXPECT_EQ(timers_of(open->timers),
            (std::vector<std::string>{
                "reminder reminder 2025-10-11T08:00:00+08:00 2025-10-13 department_clerk",
                "due due 2025-10-14T08:00:00+08:00 2025-10-13 department_clerk",
                "rung/1 escalation 2025-10-16T08:00:00+08:00 2025-10-13 county_office"}));
  // No ladder configured: the department clerk is told at due time.
  list.feedback.escalation.clear();
  open = plan_feedback_duty(list, "2025-09-29", at("2025-09-29T08:00"), "371302", shipped());
  ASSERT_TRUE(open);
  EXPECT_EQ(timers_of(open->timers),
            (std::vector<std::string>{
                "reminder reminder 2025-10-11T08:00:00+08:00 2025-10-13 department_clerk",
                "due due 2025-10-14T08:00:00+08:00 2025-10-13 department_clerk"}));
  // A year the calendar lacks: the gap, not a guess.
  auto gap = plan_feedback_duty(list, "2031-12-01", at("2031-12-01T08:00"), "371302", shipped());
  EXPECT_FALSE(gap);
}

}  // namespace
}  // namespace fangfan
