// The loop of an alert about a monitored case (issue 14 item 6, workflows/alert_loop.h) without
// a database: what a case change raises, who may take which step, and each step's duty.
//   [004] "对“两不愁三保障”出现缺项的，在大数据平台上完成了预警标注、镇（街道）初审、市脱办复审并
//   反馈至行业部门、行业部门限时完成补短帮扶、市脱办核实销号预警".
//   [003] "乡镇、村如发现……家庭成员发生大病、重大意外伤害、抚（赡）养人病故等情况的，应及时向镇
//   （街）扶贫办报告".
// Calendar: 2025 with plain weekends and no holidays.
#include "workflows/alert_loop.h"

#include <gtest/gtest.h>

#include "workflows/date.h"

namespace fangfan {
namespace {

TimePoint at(const char* text) {
  auto t = parse_time(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(TimePoint{});
}

const WorkingDayCalendar& calendar() {
  static const WorkingDayCalendar c = [] {
    auto built = WorkingDayCalendar::build({CalendarYear{2025, {}, {}}});
    EXPECT_TRUE(built);
    return *built;
  }();
  return c;
}

AlertLoopRules loop(bool enabled = true) {
  AlertLoopRules r;
  r.enabled = enabled;
  return r;
}

CaseData monitored(bool needs, bool water, RiskTrend risk) {
  CaseData d;
  d.household.members.push_back({"张三丰", "", Relation::kHead});
  MonitoringRecord m;
  m.account.month = std::chrono::year{2025} / std::chrono::April;
  m.basic_needs_secure = needs;
  m.drinking_water_safe = water;
  m.risk = risk;
  d.monitoring.push_back(m);
  return d;
}

Outcome event(std::string_view name, Details details = {}) {
  Outcome o;
  o.entry.event = std::string(name);
  o.entry.at = at("2025-05-06T10:00:00+08:00");
  o.entry.details = std::move(details);
  return o;
}

TEST(AlertLoop, WhatACaseChangeRaises) {
  struct Row {
    const char* name;
    Outcome outcome;
    CaseData data;
    AlertLoopRules rules;
    std::vector<std::string> expected;  // "rule period urgent summary"
  };
  const auto kStable = RiskTrend::kStable;
  const std::vector<Row> rows{
      {"a secure month raises nothing",
       event(RecordMonitoring::kName),
       monitored(true, true, kStable),
       loop(),
       {}},
      {"三保障 not secure",
       event(RecordMonitoring::kName),
       monitored(false, true, kStable),
       loop(),
       {"basic_needs_unmet 2025-04 0 张**户2025年4月动态监测：“两不愁三保障”出现缺项。"}},
      {"water not secure",
       event(RecordMonitoring::kName),
       monitored(true, false, kStable),
       loop(),
       {"basic_needs_unmet 2025-04 0 张**户2025年4月动态监测：饮水安全出现缺项。"}},
      {"both and the risk increased: two alerts",
       event(RecordMonitoring::kName),
       monitored(false, false, RiskTrend::kIncreased),
       loop(),
       {"basic_needs_unmet 2025-04 0 张**户2025年4月动态监测：“两不愁三保障”和饮水安全出现缺项。",
        "risk_increased 2025-04 0 张**户2025年4月动态监测：返贫致贫风险增加。"}},
      {"a reduced risk raises nothing",
       event(RecordMonitoring::kName),
       monitored(true, true, RiskTrend::kReduced),
       loop(),
       {}},
      {"without [rules.alert_loop] nothing",
       event(RecordMonitoring::kName),
       monitored(false, true, kStable),
       loop(false),
       {}},
      {"a major event: urgent",
       event(RecordMajorEvent::kName, {{"date", "2025-05-05"},
                                       {"kind", "death"},
                                       {"member", "张*"},
                                       {"description", "赡养人病故"}}),
       monitored(true, true, kStable),
       loop(),
       {"major_event 2025-05-05 1 张**户2025-05-05发生重大变故：张*病故（赡养人病故）。"}},
      {"another event raises nothing",
       event(RecordVisit::kName),
       monitored(false, true, kStable),
       loop(),
       {}},
  };
  for (const Row& row : rows) {
    std::vector<std::string> got;
    for (const CaseAlert& a : case_alerts(row.outcome, row.data, row.rules)) {
      got.push_back(a.rule + " " + a.period + " " + (a.urgent ? "1" : "0") + " " + a.summary);
    }
    EXPECT_EQ(got, row.expected) << row.name;
  }
}

TEST(AlertLoop, WhoTakesWhichStep) {
  struct Row {
    const char* name;
    AlertStage stage;
    const char* assigned;
    AlertStepRequest request;
    AlertActor actor;
    const char* next;  // stage name, or "403 field", "400 field", "409 field"
  };
  const std::vector<std::string> departments{"civil_affairs", "medical_insurance"};
  const AlertActor township{"township_clerk", ""}, county{"county_office", ""},
      admin{"county_admin", ""}, civil{"department_clerk", "civil_affairs"},
      medical{"department_clerk", "medical_insurance"}, village{"village_officer", ""};
  using S = AlertStage;
  const std::vector<Row> rows{
      {"township confirms", S::kTownshipReview, "", {"confirm"}, township, "county_review"},
      {"township dismisses with a reason",
       S::kTownshipReview,
       "",
       {"dismiss", "已解决"},
       township,
       "dismissed"},
      {"a dismissal needs a reason", S::kTownshipReview, "", {"dismiss"}, township, "400 reason"},
      {"the county may not take the first review",
       S::kTownshipReview,
       "",
       {"confirm"},
       county,
       "403 "},
      {"a village officer takes no step", S::kTownshipReview, "", {"confirm"}, village, "403 "},
      {"county assigns a department",
       S::kCountyReview,
       "",
       {"assign", "", "civil_affairs", 7},
       county,
       "department"},
      {"an unknown department",
       S::kCountyReview,
       "",
       {"assign", "", "police"},
       county,
       "400 department"},
      {"days out of range",
       S::kCountyReview,
       "",
       {"assign", "", "civil_affairs", 61},
       county,
       "400 days"},
      {"the township may not review for the county",
       S::kCountyReview,
       "",
       {"assign"},
       township,
       "403 "},
      {"confirm is not a county review's action",
       S::kCountyReview,
       "",
       {"confirm"},
       county,
       "409 action"},
      {"the assigned department reports",
       S::kDepartment,
       "civil_affairs",
       {"assisted", "已纳入临时救助"},
       civil,
       "closure"},
      {"another department may not",
       S::kDepartment,
       "civil_affairs",
       {"assisted", "x"},
       medical,
       "403 "},
      {"the county may report for it",
       S::kDepartment,
       "civil_affairs",
       {"assisted", "x"},
       county,
       "closure"},
      {"the county closes", S::kClosure, "civil_affairs", {"close"}, county, "closed"},
      {"or returns it to the department",
       S::kClosure,
       "civil_affairs",
       {"return", "未落实"},
       county,
       "department"},
      {"the admin may take any step", S::kClosure, "civil_affairs", {"close"}, admin, "closed"},
      {"a closed alert takes no step", S::kClosed, "civil_affairs", {"close"}, admin, "409 "},
      {"a feed's alert is not in the loop", S::kNone, "", {"confirm"}, admin, "409 "},
  };
  for (const Row& row : rows) {
    const AlertStepDecision d =
        decide_alert_step(row.stage, row.assigned, row.request, row.actor, departments);
    const std::string got = d.refused() ? std::to_string(d.status) + " " + d.field
                                        : std::string(alert_stage_name(d.next));
    EXPECT_EQ(got, row.next) << row.name << ": " << d.message;
  }
}

TEST(AlertLoop, EachStepIsADutyWithItsLadder) {
  AlertLoopRules rules = loop();
  rules.county_review.escalation = {{0, "county_office"}, {2, "county_admin"}};
  AlertStepPlace place{7, 42, "t1", "v1", "civil_affairs"};
  struct Row {
    AlertStage stage;
    int round, days;
    const char* key;
    const char* subject;
    const char* owner;
    const char* due;     // overdue instant; raised Tue 2025-05-06 10:00
    std::size_t timers;  // task?, reminder, due/rungs
  };
  const std::vector<Row> rows{
      // 3 working days: last day Fri 05-09, overdue Mon 05-12; no task (alert_case_new tells).
      {AlertStage::kTownshipReview, 1, 0, "alert/7/township_review", "7/township_review",
       "township_clerk", "2025-05-12T08:00:00+08:00", 2},
      {AlertStage::kCountyReview, 1, 0, "alert/7/county_review", "7/county_review", "county_office",
       "2025-05-12T08:00:00+08:00", 4},
      // The county's 7 days win over the configured 10: last day Thu 05-15.
      {AlertStage::kDepartment, 1, 7, "alert/7/department", "7/department/civil_affairs",
       "department_clerk", "2025-05-16T08:00:00+08:00", 3},
      {AlertStage::kDepartment, 2, 0, "alert/7/department/2", "7/department/civil_affairs",
       "department_clerk", "2025-05-21T08:00:00+08:00", 3},
      {AlertStage::kClosure, 1, 0, "alert/7/closure", "7/closure", "county_office",
       "2025-05-14T08:00:00+08:00", 3},
  };
  for (const Row& row : rows) {
    auto o = plan_alert_step_duty(place, row.stage, row.round, row.days,
                                  at("2025-05-06T10:00:00+08:00"), rules, calendar());
    ASSERT_TRUE(o) << row.key;
    EXPECT_EQ(o->duty.duty_key, row.key);
    EXPECT_EQ(o->duty.kind, kDutyAlertStep);
    EXPECT_EQ(o->duty.subject, row.subject);
    EXPECT_EQ(o->duty.owner_role, row.owner) << row.key;
    EXPECT_EQ(o->duty.case_id, 42);
    EXPECT_EQ(format_time(o->duty.due_at), row.due) << row.key;
    EXPECT_EQ(o->timers.size(), row.timers) << row.key;
    auto s = parse_alert_step_subject(o->duty.subject);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->alert_id, 7);
    EXPECT_EQ(s->stage, row.stage);
  }
}

}  // namespace
}  // namespace fangfan
