// The duty and timer decisions (workflows/duty_plan.h, workflows/timer_notice.h) without a
// database: what a case change opens and closes, what a fired timer sends or why nothing.
// Calendar: 2025 and 2026 with plain weekends and no holidays; 2027 is missing.
#include "workflows/duty_plan.h"

#include <gtest/gtest.h>

#include <sstream>

#include "workflows/date.h"
#include "workflows/timer_notice.h"

namespace fangfan {
namespace {

using std::chrono::March;

const WorkingDayCalendar& calendar() {
  static const WorkingDayCalendar c = [] {
    auto built =
        WorkingDayCalendar::build({CalendarYear{2025, {}, {}}, CalendarYear{2026, {}, {}}});
    EXPECT_TRUE(built);
    return *built;
  }();
  return c;
}

TimePoint at(const char* text) {
  auto t = parse_time(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(TimePoint{});
}

Date day(const char* text) { return parse_date(text).value_or(Date{}); }

ProgramRules rules() {
  ProgramRules r;
  r.deadlines[kStepHouseholdVerification] = {
      5, DayUnit::kWorkingDays, 1, {{0, "township_clerk"}, {2, "township_head"}}};
  r.visits.per_month = 2;
  r.monitoring.per_month = 1;
  r.evaluation.enabled = true;
  Campaign c;
  c.name = "screening";
  c.label = "2025年集中排查";
  c.start_year = 2025;
  c.start_month = 3;
  c.start_day = 3;
  c.milestones.push_back({"plan", "制定工作方案", 2025, 3, 14, 2, {{0, "township_clerk"}}});
  r.campaigns.push_back(c);
  return r;
}

CaseData household_data() {
  CaseData d;
  d.household.village_code = "v1";
  d.household.members.push_back({"张三丰", "", Relation::kHead});
  return d;
}

CaseFacts facts() {
  CaseFacts f = case_facts(42, household_data());
  f.township_code = "t1";
  f.village_name = "一村";
  f.township_name = "一镇";
  return f;
}

DutyRecord duty(std::int64_t id, std::string key, std::string kind, std::string subject,
                DutyState state = DutyState::kOpen, const char* due = "2025-04-01T08:00:00+08:00") {
  DutyRecord d;
  d.id = id;
  d.duty_key = std::move(key);
  d.case_id = 42;
  d.kind = std::move(kind);
  d.subject = std::move(subject);
  d.township_code = "t1";
  d.village_code = "v1";
  d.owner_role = "assistance_officer";
  d.state = state;
  d.due_at = at(due);
  return d;
}

std::string roles_of(const DutyNotice& n) {
  std::string out;
  for (const auto& r : n.roles) out += (out.empty() ? "" : "+") + r;
  return out;
}

const char* kind_name(DutyNoticeKind k) {
  return k == DutyNoticeKind::kTask       ? "task"
         : k == DutyNoticeKind::kReminder ? "reminder"
                                          : "overdue";
}

// One line per effect, e.g. "open step/42/x/7 due=2025-03-10 [reminder:reminder:township_clerk]".
std::vector<std::string> describe(const DutyPlan& plan) {
  std::vector<std::string> out;
  if (plan.refusal) out.push_back("refused " + std::to_string(plan.refusal->missing_year));
  for (const DutyAction& a : plan.actions) {
    std::ostringstream s;
    if (const auto* o = std::get_if<OpenDuty>(&a)) {
      s << "open " << o->duty.duty_key << " " << o->duty.owner_role;
      for (const PlannedTimer& t : o->timers) {
        s << " [" << t.suffix << ":" << kind_name(t.notice.notice) << ":" << roles_of(t.notice)
          << "]";
      }
      if (o->close_at_once) s << " closed";
    } else {
      const auto& c = std::get<CloseDuty>(a);
      s << (c.done ? "done " : "cancel ") << c.duty.duty_key;
    }
    out.push_back(s.str());
  }
  if (plan.officer) out.push_back("officer " + *plan.officer);
  for (const CalendarError& g : plan.calendar_gaps) {
    out.push_back("gap " + std::to_string(g.missing_year));
  }
  return out;
}

Outcome change(const char* when, std::string_view event, const char* before, const char* after) {
  Outcome o;
  o.entry.at = at(when);
  o.entry.event = std::string(event);
  o.entry.before = before;
  o.entry.after = after;
  return o;
}

struct ChangeCase {
  const char* name;
  Outcome outcome;
  std::vector<DutyRecord> duties;
  CaseData data;
  std::vector<std::string> expected;
};

TEST(DutyPlan, CaseChangeTable) {
  const std::string visits = "visits/42/2025-03", monitoring = "monitoring/42/2025-03";
  auto started = [](const char* when, const char* step) {
    Outcome o = change(when, "record_x", "discovered", "household_verification");
    o.step_started = step;
    return o;
  };
  auto ended = [](const char* step) {
    Outcome o = change("2025-03-05T10:00:00+08:00", "record_verification", "household_verification",
                       "democratic_review");
    o.step_ended = step;
    return o;
  };
  auto assisted = [](bool start) {
    Outcome o = change("2025-03-10T10:00:00+08:00", start ? "assist" : "stop", "registered",
                       start ? "registered" : "eliminated");
    o.assistance_started = start;
    o.assistance_ended = !start;
    return o;
  };
  CaseData two_visits = household_data();
  two_visits.visits = {{day("2025-03-03"), "李四"}, {day("2025-03-12"), "李四"}};
  CaseData one_visit = household_data();
  one_visit.visits = {{day("2025-03-12"), "李四"}};
  CaseData evaluated = household_data();  // issue 14: the Q4 evaluation's result
  evaluated.evaluations.push_back({});
  evaluated.evaluations.back().year = 2025;
  CaseData monitored = household_data();
  monitored.monitoring.push_back({});
  monitored.monitoring.back().account.month = std::chrono::year{2025} / March;
  CaseData with_officer = household_data();
  with_officer.officer = "李四";

  const std::vector<ChangeCase> cases{
      {"step started: duty with reminder, due and rung timers",
       started("2025-03-03T09:00:00+08:00", kStepHouseholdVerification),
       {},
       household_data(),
       {"open step/42/household_verification/7 township_clerk"
        " [reminder:reminder:township_clerk] [due:overdue:township_clerk]"
        " [rung/1:overdue:township_head]"}},
      {"step without a configured deadline: no duty",
       started("2025-03-03T09:00:00+08:00", kStepDemocraticReview),
       {},
       household_data(),
       {}},
      {"step started in a year the calendar lacks: refused",
       started("2027-03-03T09:00:00+08:00", kStepHouseholdVerification),
       {},
       household_data(),
       {"refused 2027"}},
      {"step ended: that step's open duty is done, no other",
       ended(kStepHouseholdVerification),
       {duty(1, "step/42/household_verification/7", kDutyStep, kStepHouseholdVerification),
        duty(2, "step/42/county_review/3", kDutyStep, kStepCountyReview)},
       household_data(),
       {"done step/42/household_verification/7"}},
      {"step ended whose duty is done already: nothing",
       ended(kStepHouseholdVerification),
       {duty(1, "step/42/household_verification/7", kDutyStep, kStepHouseholdVerification,
             DutyState::kDone)},
       household_data(),
       {}},
      {"assistance started: the month's visits and monitoring",
       assisted(true),
       {},
       household_data(),
       {"open visits/42/2025-03 assistance_officer [reminder:reminder:assistance_officer]"
        " [due:overdue:]",
        "open monitoring/42/2025-03 assistance_officer [reminder:reminder:assistance_officer]"
        " [due:overdue:]"}},
      {"assistance started, month already complete: done at once, next month opened",
       assisted(true),
       {duty(5, monitoring, kDutyMonitoring, "2025-03", DutyState::kDone)},
       two_visits,
       {"open visits/42/2025-03 assistance_officer [reminder:reminder:assistance_officer]"
        " [due:overdue:] closed",
        "open visits/42/2025-04 assistance_officer [reminder:reminder:assistance_officer]"
        " [due:overdue:]"}},
      {"assistance resumed: a cancelled month is reopened",
       assisted(true),
       {duty(5, visits, kDutyVisits, "2025-03", DutyState::kCancelled),
        duty(6, monitoring, kDutyMonitoring, "2025-03", DutyState::kOpen)},
       household_data(),
       {"open visits/42/2025-03 assistance_officer [reminder:reminder:assistance_officer]"
        " [due:overdue:]"}},
      {"assistance ended: visits, monitoring and evaluation cancelled, steps kept",
       assisted(false),
       {duty(1, "step/42/elimination_review/9", kDutyStep, kStepEliminationReview),
        duty(5, visits, kDutyVisits, "2025-03"), duty(6, monitoring, kDutyMonitoring, "2025-03"),
        duty(7, "evaluation/42/2024", kDutyEvaluation, "2024"),
        duty(8, "visits/42/2025-02", kDutyVisits, "2025-02", DutyState::kDone)},
       household_data(),
       {"cancel visits/42/2025-03", "cancel monitoring/42/2025-03", "cancel evaluation/42/2024"}},
      {"second visit of the month: month done, next opened",
       change("2025-03-12T10:00:00+08:00", RecordVisit::kName, "registered", "registered"),
       {duty(5, visits, kDutyVisits, "2025-03")},
       two_visits,
       {"done visits/42/2025-03",
        "open visits/42/2025-04 assistance_officer [reminder:reminder:assistance_officer]"
        " [due:overdue:]"}},
      {"first visit of the month: nothing yet",
       change("2025-03-12T10:00:00+08:00", RecordVisit::kName, "registered", "registered"),
       {duty(5, visits, kDutyVisits, "2025-03")},
       one_visit,
       {}},
      {"monitoring record completes the month",
       change("2025-03-12T10:00:00+08:00", RecordMonitoring::kName, "registered", "registered"),
       {duty(6, monitoring, kDutyMonitoring, "2025-03")},
       monitored,
       {"done monitoring/42/2025-03",
        "open monitoring/42/2025-04 assistance_officer [reminder:reminder:assistance_officer]"
        " [due:overdue:]"}},
      {"officer assigned: written on the duties",
       change("2025-03-12T10:00:00+08:00", AssignOfficer::kName, "registered", "registered"),
       {},
       with_officer,
       {"officer 李四"}},
      {"monitoring object during the Q4 evaluation: its task",
       change("2025-10-20T10:00:00+08:00", "record_publicity", "village_publicity", "registered"),
       {},
       household_data(),
       {"open evaluation/42/2025 county_office [task:task:county_office]"
        " [reminder:reminder:county_office]"}},
      {"monitoring object before the evaluation opens: nothing",
       change("2025-09-20T10:00:00+08:00", "record_publicity", "village_publicity", "registered"),
       {},
       household_data(),
       {}},
      {"the evaluation's result closes that year's task, not another year's",
       change("2025-11-20T10:00:00+08:00", RecordEvaluation::kName, "registered", "registered"),
       {duty(7, "evaluation/42/2025", kDutyEvaluation, "2025"),
        duty(8, "evaluation/42/2024", kDutyEvaluation, "2024")},
       evaluated,
       {"done evaluation/42/2025"}},
      {"monitoring object in a year the calendar lacks: reported, not refused",
       change("2027-10-20T10:00:00+08:00", "record_publicity", "village_publicity", "registered"),
       {},
       household_data(),
       {"gap 2027"}},
  };
  for (const ChangeCase& c : cases) {
    const DutyPlan plan =
        plan_case_change(c.outcome, c.data, 7, facts(), c.duties, rules(), calendar());
    EXPECT_EQ(describe(plan), c.expected) << c.name;
  }
}

TEST(DutyPlan, TimersCarryTheDueDateAndKeys) {
  Outcome o =
      change("2025-03-03T09:00:00+08:00", "record_x", "discovered", "household_verification");
  o.step_started = kStepHouseholdVerification;
  const DutyPlan plan = plan_case_change(o, household_data(), 7, facts(), {}, rules(), calendar());
  ASSERT_EQ(plan.actions.size(), 1u);
  const OpenDuty& open = std::get<OpenDuty>(plan.actions[0]);
  EXPECT_EQ(open.duty.due_at, at("2025-03-11T08:00:00+08:00"));
  EXPECT_EQ(open.duty.township_code, "t1");
  for (const PlannedTimer& t : open.timers) {
    EXPECT_EQ(t.notice.due_date, "2025-03-10") << t.suffix;
    EXPECT_EQ(t.notice.duty_id, 0) << t.suffix;
  }
  EXPECT_EQ(timer_dedupe_key(open.duty, "due"),
            "step/42/household_verification/7/" +
                std::to_string(open.duty.opened_at.time_since_epoch().count()) + "/due");
  EXPECT_EQ(timer_step(open.duty), kStepHouseholdVerification);
}

// A review sharing the verification's window ([002] "5个工作日内完成入户调查和民主评议") that
// starts after the window has passed: every rung already due would go out at once. One overdue
// notice, the highest rung already due; the rungs below it passed (stored, nothing sent); later
// rungs on their own time. Verification opened Mon 03-03: last day 03-10, overdue from 03-11
// 08:00; the review's rungs at 03-11 (0), 03-13 (2 working days) and 03-18 (5).
TEST(DutyPlan, AReviewStartedAfterItsSharedWindowSendsOnlyTheHighestDueRung) {
  ProgramRules r = rules();
  r.deadlines[kStepDemocraticReview] = {
      5,
      DayUnit::kWorkingDays,
      1,
      {{0, "village_officer"}, {2, "township_head"}, {5, "county_office"}},
      kStepHouseholdVerification};
  DutyRecord verification =
      duty(3, "step/42/household_verification/2", "step", kStepHouseholdVerification,
           DutyState::kOpen, "2025-03-11T08:00:00+08:00");
  verification.opened_at = at("2025-03-03T09:00:00+08:00");
  struct Row {
    const char* starts;
    std::vector<std::string> timers;  // suffix, "(passed)" when stored without a message
  };
  const std::vector<Row> rows = {
      {"2025-03-05T10:00:00+08:00", {"reminder", "due", "rung/1", "rung/2"}},
      {"2025-03-11T10:00:00+08:00", {"due", "rung/1", "rung/2"}},  // one rung due: sent
      {"2025-03-13T10:00:00+08:00", {"due(passed)", "rung/1", "rung/2"}},
      {"2025-03-20T10:00:00+08:00", {"due(passed)", "rung/1(passed)", "rung/2"}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.starts);
    Outcome o =
        change(row.starts, "record_verification", "household_verification", "democratic_review");
    o.step_ended = kStepHouseholdVerification;
    o.step_started = kStepDemocraticReview;
    const DutyPlan plan =
        plan_case_change(o, household_data(), 9, facts(), {verification}, r, calendar());
    ASSERT_EQ(plan.actions.size(), 2u);
    const OpenDuty& review = std::get<OpenDuty>(plan.actions[1]);
    EXPECT_EQ(review.duty.due_at, at("2025-03-11T08:00:00+08:00"));  // the shared window's
    std::vector<std::string> timers;
    for (const PlannedTimer& t : review.timers) {
      timers.push_back(t.suffix + (t.passed ? "(passed)" : ""));
    }
    EXPECT_EQ(timers, row.timers);
  }
  // A month's duty opened late passes nothing: its due timer opens the next month.
  NewDuty visits;
  visits.duty_key = "visits/42/2025-01";
  visits.kind = kDutyVisits;
  visits.owner_role = "assistance_officer";
  visits.opened_at = at("2025-03-20T10:00:00+08:00");
  Deadline d;
  d.last_day = day("2025-01-31");
  d.due = at("2025-02-03T08:00:00+08:00");
  d.ladder = {{0, 0, d.due, {"assistance_officer"}},
              {1, 2, at("2025-02-05T08:00:00+08:00"), {"township_clerk"}}};
  for (const PlannedTimer& t : duty_timers(visits, d, true)) EXPECT_FALSE(t.passed) << t.suffix;
}

TEST(DutyPlan, CampaignSeedingPerTownship) {
  const CampaignSeeding s =
      plan_campaign_duties(rules().campaigns[0], {"t1", "t2"}, calendar(),
                           at("2025-03-01T09:00:00+08:00"), std::chrono::days{45});
  ASSERT_EQ(s.duties.size(), 2u);
  EXPECT_EQ(s.duties[1].duty.duty_key, "campaign/screening/plan/t2");
  EXPECT_TRUE(s.gaps.empty());
  // After the last milestone's last rung: nothing to seed.
  EXPECT_TRUE(plan_campaign_duties(rules().campaigns[0], {"t1"}, calendar(),
                                   at("2025-06-01T09:00:00+08:00"), std::chrono::days{45})
                  .duties.empty());
}

TEST(DutyPlan, EvaluationSeedingTable) {
  struct Case {
    const char* now;
    std::vector<int> years;
    std::vector<int> gaps;
  };
  const std::vector<Case> cases{
      {"2025-08-01T09:00:00+08:00", {}, {}},      // opens more than 45 days ahead
      {"2025-09-01T09:00:00+08:00", {2025}, {}},  // within the horizon
      {"2025-11-20T09:00:00+08:00", {2025}, {}},  // open, not over
      {"2026-12-30T09:00:00+08:00", {}, {}},      // over; next year's is far
      {"2027-10-01T09:00:00+08:00", {}, {2027}},  // the calendar lacks 2027
  };
  for (const Case& c : cases) {
    const EvaluationSeeding s =
        evaluation_years(rules().evaluation, calendar(), at(c.now), std::chrono::days{45});
    std::vector<int> years, gaps;
    for (const auto& y : s.years) years.push_back(y.year);
    for (const auto& g : s.gaps) gaps.push_back(g.missing_year);
    EXPECT_EQ(years, c.years) << c.now;
    EXPECT_EQ(gaps, c.gaps) << c.now;
  }
  EXPECT_EQ(evaluation_open_key(2025), "evaluation/open/2025");
}

// -- firing ------------------------------------------------------------------------------------

struct FireCase {
  const char* name;
  DutyNoticeKind notice;
  int rung;
  std::vector<std::string> roles;
  std::optional<DutyRecord> duty;  // none: no such duty
  bool case_missing;
  const char* now;
  const char* type;      // expected message type, "" for none
  const char* rung_key;  // expected rung part of the key
  const char* skipped;   // expected part of `skipped`, "" for none
  std::vector<std::string> follow_up;
};

TEST(TimerNotice, FiredTimerTable) {
  const DutyRecord step =
      duty(1, "step/42/household_verification/7", kDutyStep, kStepHouseholdVerification,
           DutyState::kOpen, "2025-03-11T08:00:00+08:00");
  DutyRecord step_done = step;
  step_done.state = DutyState::kDone;
  DutyRecord step_cancelled = step;
  step_cancelled.state = DutyState::kCancelled;
  const DutyRecord month = duty(5, "visits/42/2025-03", kDutyVisits, "2025-03");
  DutyRecord month_done = month;
  month_done.state = DutyState::kDone;
  DutyRecord month_cancelled = month;
  month_cancelled.state = DutyState::kCancelled;
  const DutyRecord evaluation = duty(7, "evaluation/42/2025", kDutyEvaluation, "2025",
                                     DutyState::kOpen, "2025-12-08T08:00:00+08:00");
  DutyRecord campaign = duty(9, "campaign/screening/plan/t1", kDutyCampaign, "screening/plan");
  campaign.case_id.reset();
  const std::vector<std::string> april{
      "open visits/42/2025-04 assistance_officer [reminder:reminder:assistance_officer]"
      " [due:overdue:]"};
  const std::vector<FireCase> cases{
      {"reminder before due",
       DutyNoticeKind::kReminder,
       0,
       {"township_clerk"},
       step,
       false,
       "2025-03-10T08:00:00+08:00",
       "step_reminder",
       "0",
       "",
       {}},
      {"reminder of an overdue duty is skipped",
       DutyNoticeKind::kReminder,
       0,
       {"township_clerk"},
       step,
       false,
       "2025-03-11T08:00:00+08:00",
       "",
       "",
       "reminder skipped",
       {}},
      {"overdue at due time (rung 0)",
       DutyNoticeKind::kOverdue,
       0,
       {"township_clerk"},
       step,
       false,
       "2025-03-11T08:00:00+08:00",
       "step_overdue",
       "0",
       "",
       {}},
      {"escalation rung",
       DutyNoticeKind::kOverdue,
       1,
       {"township_head"},
       step,
       false,
       "2025-03-13T08:00:00+08:00",
       "step_overdue",
       "1",
       "",
       {}},
      {"evaluation task",
       DutyNoticeKind::kTask,
       0,
       {"county_office"},
       evaluation,
       false,
       "2025-10-20T10:00:00+08:00",
       "evaluation_task",
       "task",
       "",
       {}},
      {"campaign overdue",
       DutyNoticeKind::kOverdue,
       0,
       {"township_clerk"},
       campaign,
       false,
       "2025-03-17T08:00:00+08:00",
       "campaign_overdue",
       "0",
       "",
       {}},
      {"visit reminder",
       DutyNoticeKind::kReminder,
       0,
       {"assistance_officer"},
       month,
       false,
       "2025-03-20T08:00:00+08:00",
       "visit_reminder",
       "0",
       "",
       {}},
      {"duty done",
       DutyNoticeKind::kOverdue,
       0,
       {"township_clerk"},
       step_done,
       false,
       "2025-03-11T08:00:00+08:00",
       "",
       "",
       "duty no longer open",
       {}},
      {"duty cancelled",
       DutyNoticeKind::kOverdue,
       0,
       {"township_clerk"},
       step_cancelled,
       false,
       "2025-03-11T08:00:00+08:00",
       "",
       "",
       "duty no longer open",
       {}},
      {"no such duty",
       DutyNoticeKind::kOverdue,
       0,
       {"township_clerk"},
       std::nullopt,
       false,
       "2025-03-11T08:00:00+08:00",
       "",
       "",
       "no such duty",
       {}},
      {"case missing",
       DutyNoticeKind::kOverdue,
       0,
       {"township_clerk"},
       step,
       true,
       "2025-03-11T08:00:00+08:00",
       "",
       "",
       "case is missing",
       {}},
      {"month due, no one notified: next month opened",
       DutyNoticeKind::kOverdue,
       0,
       {},
       month,
       false,
       "2025-04-01T08:00:00+08:00",
       "",
       "",
       "no one is notified",
       april},
      {"month due with a rung-0 role: told, next month opened",
       DutyNoticeKind::kOverdue,
       0,
       {"assistance_officer"},
       month,
       false,
       "2025-04-01T08:00:00+08:00",
       "visit_overdue",
       "0",
       "",
       april},
      {"done month's due time still opens the next",
       DutyNoticeKind::kOverdue,
       0,
       {},
       month_done,
       false,
       "2025-04-01T08:00:00+08:00",
       "",
       "",
       "duty no longer open",
       april},
      {"cancelled month: no follow-up",
       DutyNoticeKind::kOverdue,
       0,
       {},
       month_cancelled,
       false,
       "2025-04-01T08:00:00+08:00",
       "",
       "",
       "duty no longer open",
       {}},
      {"month escalation rung: no follow-up",
       DutyNoticeKind::kOverdue,
       1,
       {"township_head"},
       month,
       false,
       "2025-04-03T08:00:00+08:00",
       "visit_overdue",
       "1",
       "",
       {}},
  };
  CaseData data = household_data();
  data.officer = "李四";
  data.visits = {{day("2025-03-03"), "李四"}};
  for (const FireCase& c : cases) {
    DutyTimerFacts in;
    if (c.duty) in.duty = &*c.duty;
    const bool has_case = c.duty && c.duty->case_id && !c.case_missing;
    if (has_case) {
      in.data = &data;
      in.facts = facts();
      in.facts.officer = data.officer;
      in.case_duties = {*c.duty};
    }
    in.duty_township_name = "一镇";
    const DutyNotice notice{c.duty ? c.duty->id : 99, c.notice, "2025-03-10", c.roles};
    const TimerDecision d = decide_duty_timer(notice, c.rung, in, rules(), calendar(), at(c.now));
    EXPECT_EQ(describe(d.follow_up), c.follow_up) << c.name;
    if (*c.type == '\0') {
      EXPECT_FALSE(d.message) << c.name;
      EXPECT_NE(d.skipped.find(c.skipped), std::string::npos) << c.name << ": " << d.skipped;
      continue;
    }
    ASSERT_TRUE(d.message) << c.name << ": " << d.skipped;
    EXPECT_TRUE(d.skipped.empty()) << c.name;
    EXPECT_EQ(d.message->message_type, c.type) << c.name;
    EXPECT_EQ(d.message->rung, c.rung_key) << c.name;
    EXPECT_EQ(d.message->roles, c.roles) << c.name;
  }
}

std::string param(const DutyMessage& m, const std::string& key) {
  for (const auto& [k, v] : m.params) {
    if (k == key) return v;
  }
  return "<none>";
}

TEST(TimerNotice, MessageFactsAndKeys) {
  CaseData data = household_data();
  data.officer = "李四";
  data.visits = {{day("2025-03-03"), "李四"}};
  const DutyRecord month = duty(5, "visits/42/2025-03", kDutyVisits, "2025-03");
  DutyTimerFacts in;
  in.duty = &month;
  in.data = &data;
  in.facts = facts();
  in.facts.officer = data.officer;
  const TimerDecision d =
      decide_duty_timer({5, DutyNoticeKind::kOverdue, "2025-03-31", {"assistance_officer"}}, 2, in,
                        rules(), calendar(), at("2025-04-03T08:00:00+08:00"));
  ASSERT_TRUE(d.message);
  const DutyMessage& m = *d.message;
  EXPECT_EQ(m.case_id, 42);
  EXPECT_EQ(m.officer, "李四");  // recipients by name
  // Staff names are not masked (issue 14 item 8: "officers' own names are masked in messages
  // to them and their superiors"); the household's are.
  EXPECT_EQ(param(m, "officer"), "李四");
  EXPECT_EQ(param(m, "household"), "张**");
  EXPECT_EQ(param(m, "village"), "一村");
  EXPECT_EQ(param(m, "recorded"), "1");
  EXPECT_EQ(param(m, "required"), "2");
  EXPECT_EQ(param(m, "days_overdue"), "3");
  EXPECT_EQ(param(m, "rung"), "2");
  EXPECT_EQ(duty_message_key(m, "王五@v1"), "visit_overdue:42:2025-03:2:王五@v1");

  DutyRecord campaign = duty(9, "campaign/screening/plan/t1", kDutyCampaign, "screening/plan");
  campaign.case_id.reset();
  DutyTimerFacts cin;
  cin.duty = &campaign;
  cin.duty_township_name = "一镇";
  const TimerDecision c =
      decide_duty_timer({9, DutyNoticeKind::kReminder, "2025-03-14", {"township_clerk"}}, 0, cin,
                        rules(), calendar(), at("2025-03-12T08:00:00+08:00"));
  ASSERT_TRUE(c.message);
  EXPECT_EQ(param(*c.message, "milestone_label"), "制定工作方案");
  // What people read is the campaign's name, not its code (issue 14 item 7).
  EXPECT_EQ(param(*c.message, "campaign_label"), "2025年集中排查");
  EXPECT_EQ(param(*c.message, "campaign"), "screening");
  EXPECT_EQ(param(*c.message, "township_name"), "一镇");
  EXPECT_EQ(param(*c.message, "days_overdue"), "<none>");
  EXPECT_EQ(duty_message_key(*c.message, "p@t1"), "campaign_reminder:t1:screening/plan:0:p@t1");
}

}  // namespace
}  // namespace fangfan
