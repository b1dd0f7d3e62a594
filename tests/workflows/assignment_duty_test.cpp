// The registration duty (issue 14 item 2, workflows/duty_plan.h: "assignment/<case>") without a
// database: what a case change opens and closes, and what its fired timers say.
//   [000] "第一时间安排帮扶责任人"; [002] "对即时帮扶户要安排帮扶责任人，制定帮扶计划".
// Calendar: 2025 with plain weekends and no holidays; 2027 is missing.
#include <gtest/gtest.h>

#include <sstream>

#include "workflows/date.h"
#include "workflows/duty_plan.h"
#include "workflows/timer_notice.h"

namespace fangfan {
namespace {

const WorkingDayCalendar& calendar() {
  static const WorkingDayCalendar c = [] {
    auto built = WorkingDayCalendar::build({CalendarYear{2025, {}, {}}});
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

ProgramRules rules(bool enabled = true) {
  ProgramRules r;
  r.assignment.enabled = enabled;
  r.assignment.deadline.escalation = {{0, "township_clerk"}, {1, "township_head"}};
  return r;
}

CaseData household(const char* officer = "", bool measure = false, bool stopped = false) {
  CaseData d;
  d.household.village_code = "v1";
  d.household.members.push_back({"张三丰", "", Relation::kHead});
  d.officer = officer;
  if (measure) {
    d.measures.push_back({});
    d.measures.back().status = stopped ? MeasureStatus::kStopped : MeasureStatus::kPlanned;
  }
  return d;
}

CaseFacts facts(const CaseData& d) {
  CaseFacts f = case_facts(42, d);
  f.township_code = "t1";
  f.village_name = "一村";
  f.township_name = "一镇";
  return f;
}

DutyRecord assignment(DutyState state = DutyState::kOpen) {
  DutyRecord d;
  d.id = 3;
  d.duty_key = "assignment/42";
  d.case_id = 42;
  d.kind = kDutyAssignment;
  d.subject = kDutyAssignment;
  d.township_code = "t1";
  d.village_code = "v1";
  d.owner_role = "township_clerk";
  d.state = state;
  d.due_at = at("2025-03-17T08:00:00+08:00");
  return d;
}

std::string roles_of(const DutyNotice& n) {
  std::string out;
  for (const auto& r : n.roles) out += (out.empty() ? "" : "+") + r;
  return out;
}

// The plan's assignment effects, one line each.
std::vector<std::string> describe(const DutyPlan& plan) {
  std::vector<std::string> out;
  if (plan.refusal) out.push_back("refused " + std::to_string(plan.refusal->missing_year));
  for (const DutyAction& a : plan.actions) {
    std::ostringstream s;
    if (const auto* o = std::get_if<OpenDuty>(&a)) {
      if (o->duty.kind != kDutyAssignment) continue;
      s << "open " << o->duty.duty_key << " " << o->duty.owner_role << " due "
        << format_time(o->duty.due_at);
      for (const PlannedTimer& t : o->timers) {
        s << " [" << t.suffix << ":" << roles_of(t.notice) << "@" << format_time(t.due_at) << "]";
      }
      if (o->close_at_once) s << " closed";
    } else {
      const auto& c = std::get<CloseDuty>(a);
      if (c.duty.kind != kDutyAssignment) continue;
      s << (c.done ? "done " : "cancel ") << c.duty.duty_key;
    }
    out.push_back(s.str());
  }
  return out;
}

struct Row {
  const char* name;
  const char* when;
  const char* event;
  bool started, ended;
  ProgramRules rules;
  CaseData data;
  std::vector<DutyRecord> duties;
  std::vector<std::string> expected;
};

TEST(AssignmentDuty, CaseChangeTable) {
  // Registered on Thu 2025-03-13 at 10:00: "at once" is that day or the next working day, Fri
  // 03-14, the last day; overdue from Mon 03-17 08:00.
  const std::string opened =
      "open assignment/42 township_clerk due 2025-03-17T08:00:00+08:00"
      " [task:township_clerk+village_officer@2025-03-13T10:00:00+08:00]"
      " [due:township_clerk@2025-03-17T08:00:00+08:00]"
      " [rung/1:township_head@2025-03-18T08:00:00+08:00]";
  const std::vector<Row> rows{
      {"registration opens it, the township and village told at once",
       "2025-03-13T10:00:00+08:00",
       "close_publicity",
       true,
       false,
       rules(),
       household(),
       {},
       {opened}},
      {"without [rules.assignment] nothing opens",
       "2025-03-13T10:00:00+08:00",
       "close_publicity",
       true,
       false,
       rules(false),
       household(),
       {},
       {}},
      {"a case that already has an officer and a measure: done at once",
       "2025-03-13T10:00:00+08:00",
       "apply_rollback",
       true,
       false,
       rules(),
       household("李四", true),
       {},
       {opened + " closed"}},
      {"an officer but no plan: still open",
       "2025-03-13T10:00:00+08:00",
       "close_publicity",
       true,
       false,
       rules(),
       household("李四"),
       {},
       {opened}},
      {"a year the calendar lacks: refused",
       "2027-03-11T10:00:00+08:00",
       "close_publicity",
       true,
       false,
       rules(),
       household(),
       {},
       {"refused 2027"}},
      {"assign_officer after the plan closes it",
       "2025-03-14T09:00:00+08:00",
       "assign_officer",
       false,
       false,
       rules(),
       household("李四", true),
       {assignment()},
       {"done assignment/42"}},
      {"add_measure after the officer closes it",
       "2025-03-14T09:00:00+08:00",
       "add_measure",
       false,
       false,
       rules(),
       household("李四", true),
       {assignment()},
       {"done assignment/42"}},
      {"assign_officer without a plan: still open",
       "2025-03-14T09:00:00+08:00",
       "assign_officer",
       false,
       false,
       rules(),
       household("李四"),
       {assignment()},
       {}},
      {"a plan whose only measure is stopped is no plan",
       "2025-03-14T09:00:00+08:00",
       "update_measure",
       false,
       false,
       rules(),
       household("李四", true, true),
       {assignment()},
       {}},
      {"a done duty stays done",
       "2025-03-14T09:00:00+08:00",
       "record_visit",
       false,
       false,
       rules(),
       household("李四", true),
       {assignment(DutyState::kDone)},
       {}},
      {"assistance ends: cancelled",
       "2025-03-20T09:00:00+08:00",
       "record_county_review",
       false,
       true,
       rules(),
       household(),
       {assignment()},
       {"cancel assignment/42"}},
  };
  for (const Row& row : rows) {
    Outcome o;
    o.entry.at = at(row.when);
    o.entry.event = row.event;
    o.entry.before = "village_publicity";
    o.entry.after = "registered";
    o.assistance_started = row.started;
    o.assistance_ended = row.ended;
    const DutyPlan plan =
        plan_case_change(o, row.data, 9, facts(row.data), row.duties, row.rules, calendar());
    EXPECT_EQ(describe(plan), row.expected) << row.name;
  }
}

std::string param(const DutyMessage& m, const char* key) {
  for (const auto& [k, v] : m.params) {
    if (k == key) return v;
  }
  return "<none>";
}

TEST(AssignmentDuty, FiredTimersNameWhatIsMissing) {
  struct Fire {
    const char* name;
    DutyNoticeKind notice;
    int rung;
    CaseData data;
    const char* now;
    const char* type;
    const char* missing;
    const char* level;
  };
  const std::vector<Fire> fires{
      {"task at registration", DutyNoticeKind::kTask, 0, household(), "2025-03-13T10:00:00+08:00",
       "assignment_task", "安排帮扶责任人、制定帮扶计划", "<none>"},
      {"reminder", DutyNoticeKind::kReminder, 0, household("李四"), "2025-03-14T08:00:00+08:00",
       "assignment_reminder", "制定帮扶计划", "<none>"},
      {"overdue, first rung", DutyNoticeKind::kOverdue, 0, household("", true),
       "2025-03-17T08:00:00+08:00", "assignment_overdue", "安排帮扶责任人", "1"},
      {"second rung", DutyNoticeKind::kOverdue, 1, household(), "2025-03-18T08:00:00+08:00",
       "assignment_overdue", "安排帮扶责任人、制定帮扶计划", "2"},
  };
  const DutyRecord duty = assignment();
  for (const Fire& f : fires) {
    DutyTimerFacts in;
    in.duty = &duty;
    in.data = &f.data;
    in.facts = facts(f.data);
    const TimerDecision d =
        decide_duty_timer({3, f.notice, "2025-03-14", {"township_clerk", "village_officer"}},
                          f.rung, in, rules(), calendar(), at(f.now));
    ASSERT_TRUE(d.message) << f.name << ": " << d.skipped;
    EXPECT_EQ(d.message->message_type, f.type) << f.name;
    EXPECT_EQ(param(*d.message, "missing"), f.missing) << f.name;
    EXPECT_EQ(param(*d.message, "household"), "张**") << f.name;
    EXPECT_EQ(param(*d.message, "rung"), f.level) << f.name;
    EXPECT_EQ(param(*d.message, "due_date"), "2025-03-14") << f.name;
  }
}

}  // namespace
}  // namespace fangfan
