// Issue 5's simulated year: the shipped example county (config/example.toml) on the shipped
// calendar, five cases through the whole of 2025 on a simulated clock moved timer by timer (and
// event by event) into January 2026 until December's last rung has had its day. Officers record
// visits and monitoring in some months and miss them in others; one household verification runs
// late, one on time. The expected messages are computed by an independent model of the rules
// (program-rules.md, [rules.visits], [rules.monitoring], [rules.deadlines]) over
// WorkingDayCalendar::add_working_days, and a few are checked by hand in comments.
//
// SQLite only: the backends' equivalence is scheduler_test.cpp's job.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "adapters/calendar/calendar_files.h"
#include "adapters/config/config.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_store.h"
#include "adapters/storage/timer_store.h"
#include "tests/adapters/county_fixture.h"
#include "tests/support/people.h"
#include "tests/workflows/case_fixture.h"
#include "workflows/date.h"
#include "workflows/duties.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace county_test;  // NOLINT: the fixture's vocabulary
using namespace std::chrono_literals;
using testing::at;
using testing::CaseWalk;

class CountyYear : public CountyFixture {
 protected:
  CountyYear() : CountyFixture("2025-01-02T08:00") {}
};

// One expected or queued message: China time, type, recipient, case.
std::string line(TimePoint t, const std::string& type, const std::string& to, std::int64_t id) {
  return format_time(t) + " " + type + " " + to + " case " + std::to_string(id);
}

// 08:00 China time on d is 00:00 UTC on d.
TimePoint eight_am(Date d) { return TimePoint{std::chrono::sys_days(d)}; }

// The independent model: who should hear what, when, from the rules and the calendar alone.
class Model {
 public:
  struct Person {
    std::string officer, township_head, township_clerk, village_officer;
  };
  Model(const ProgramRules& rules, const WorkingDayCalendar& calendar)
      : rules_(rules), cal_(calendar) {}

  Date wd(Date d, int n) const {
    const CalendarResult<Date> r = cal_.add_working_days(d, n);
    EXPECT_TRUE(r.ok()) << format_date(d);
    return r.ok() ? *r : d;
  }
  bool working(Date d) const {
    const CalendarResult<bool> r = cal_.is_working_day(d);
    EXPECT_TRUE(r.ok()) << format_date(d);
    return r.ok() && *r;
  }
  std::string to(const std::string& role, const Person& p) const {
    if (role == "assistance_officer") return p.officer;
    if (role == "township_head") return p.township_head;
    if (role == "township_clerk") return p.township_clerk;
    if (role == "village_officer") return p.village_officer;
    if (role == "county_office") return "吴秀兰@379901";
    if (role == "county_admin") return "周建国@379901";
    ADD_FAILURE() << "role not in the model: " << role;
    return role;
  }

  // A month's duty left short (fewer than per_month records): a reminder on reminder_day (or the
  // next working day), then one notice per rung counted in working days from the first working
  // day after the month's end (rung 0 at that day's 08:00).
  void missed_month(std::chrono::year_month ym, bool visits, std::int64_t id, const Person& p) {
    const int reminder_day = visits ? rules_.visits.reminder_day : rules_.monitoring.reminder_day;
    const auto& ladder = visits ? rules_.visits.escalation : rules_.monitoring.escalation;
    const std::string kind = visits ? "visit" : "monitoring";
    Date r = Date{ym / std::chrono::day(static_cast<unsigned>(reminder_day))};
    if (!working(r)) r = wd(r, 1);
    out_.push_back(line(eight_am(r), kind + "_reminder", p.officer, id));
    const Date due = wd(Date{ym / std::chrono::last}, 1);
    for (const EscalationRung& rung : ladder) {
      out_.push_back(line(eight_am(wd(due, rung.after_working_days)), kind + "_overdue",
                          to(rung.to_role, p), id));
    }
  }

  // A working-day step started on `start` and ended at `ended`: it falls due at 08:00 on the
  // working day after its period's last day; a reminder remind_before working days before that
  // last day (issue 14 item 8); each rung counted from due. Only what fires before `ended` is
  // sent.
  void step(const std::string& name, Date start, TimePoint ended, std::int64_t id,
            const Person& p) {
    const StepDeadline& d = rules_.deadlines.at(name);
    const Date last_day = wd(start, d.period);
    const Date due = wd(last_day, 1);
    const TimePoint reminder = eight_am(wd(last_day, -d.remind_before_working_days));
    if (reminder < ended) out_.push_back(line(reminder, "step_reminder", p.township_clerk, id));
    for (const EscalationRung& rung : d.escalation) {
      const TimePoint t = eight_am(wd(due, rung.after_working_days));
      if (t < ended) out_.push_back(line(t, "step_overdue", to(rung.to_role, p), id));
    }
  }

  // The registration duty ([rules.assignment]; [000] "第一时间安排帮扶责任人", [002]
  // "对即时帮扶户要 安排帮扶责任人，制定帮扶计划"): the notify roles are told at registration; its
  // last day is `period` working days after the day of registration, its rungs counted from 08:00
  // of the working day after; only what fires before the plan (`planned`) is sent.
  void assignment(TimePoint registered, TimePoint planned, std::int64_t id, const Person& p) {
    const AssignmentRules& a = rules_.assignment;
    for (const std::string& role : a.notify_roles) {
      out_.push_back(line(registered, "assignment_task", to(role, p), id));
    }
    const Date last_day = wd(china_date(registered), a.deadline.period);
    const Date due = wd(last_day, 1);
    if (a.deadline.remind_before_working_days > 0) {
      const TimePoint r = eight_am(wd(last_day, -a.deadline.remind_before_working_days));
      if (r < planned) out_.push_back(line(r, "assignment_reminder", to(a.owner_role, p), id));
    }
    for (const EscalationRung& rung : a.deadline.escalation) {
      const TimePoint t = eight_am(wd(due, rung.after_working_days));
      if (t < planned) out_.push_back(line(t, "assignment_overdue", to(rung.to_role, p), id));
    }
  }

  // A step sharing the window of `window`, started at `started` after that window's due time
  // (issue 14 item 3): of its rungs already due when it starts only the highest goes out, then
  // (docs/rules.md "A late start sends one overdue notice"); the others on their day until `ended`.
  void late_shared_step(const std::string& name, const std::string& window, Date window_start,
                        TimePoint started, TimePoint ended, std::int64_t id, const Person& p,
                        const std::string& village_officer) {
    const StepDeadline& w = rules_.deadlines.at(window);
    const StepDeadline& d = rules_.deadlines.at(name);
    const Date due = wd(wd(window_start, w.period), 1);
    std::optional<std::string> highest_due;
    for (const EscalationRung& rung : d.escalation) {
      const TimePoint t = eight_am(wd(due, rung.after_working_days));
      const std::string who =
          rung.to_role == "village_officer" ? village_officer : to(rung.to_role, p);
      if (t <= started) {
        highest_due = line(started, "step_overdue", who, id);
      } else if (t < ended) {
        out_.push_back(line(t, "step_overdue", who, id));
      }
    }
    if (highest_due) out_.push_back(*highest_due);
  }

  std::vector<std::string> sorted_until(TimePoint end) const {
    std::vector<std::string> v;
    for (const std::string& s : out_) {
      if (s < format_time(end)) v.push_back(s);
    }
    std::sort(v.begin(), v.end());
    return v;
  }

 private:
  const ProgramRules& rules_;
  const WorkingDayCalendar& cal_;
  std::vector<std::string> out_;
};

TEST_F(CountyYear, Year2025_EveryMonthMissedOrMade_MatchesTheModel) {
  using std::chrono::month;
  using std::chrono::year_month;
  // Registered on 01-12 around 10:00 (opened Thu 01-02), assisted from January:
  // A (东岭村, officer 杨帆) records both visits and the monitoring record every month;
  // B (西河村, officer 朱晓东) records one visit in even months and in September, two otherwise,
  //   and the monitoring record every month;
  // C (南山村, officer 韩立新, its village officer: a visit needs an assigned officer) records both
  //   visits every month and the
  //   monitoring record in every month but April, May and June.
  // A, B and C get their officer and first measure at registration: their registration duties
  // ([rules.assignment]) close before anyone is told.
  CaseWalk a = walk(at("2025-01-02T09:00"), "3799010010010001", kDongling);
  const std::int64_t case_a = registered_case(a, "杨帆");
  accept(a, case_a, a.measure(MeasureType::kIndustry));
  CaseWalk b = walk(at("2025-01-02T09:00"), "3799010020010001", kXihe);
  const std::int64_t case_b = registered_case(b, "朱晓东");
  accept(b, case_b, b.measure(MeasureType::kIndustry));
  CaseWalk c = walk(at("2025-01-02T09:00"), "3799010030010001", kNanshan);
  const std::int64_t case_c = registered_case(c, "韩立新");
  accept(c, case_c, c.measure(MeasureType::kIndustry));
  // In recognition in November: D (柳树村) verified late, E (杏花村) on time; both then pass
  // quickly, are registered with an officer and record everything for November and December.
  // E's first measure comes on the last day of its registration duty; D never has one.
  CaseWalk d = walk(at("2025-11-03T08:50"), "3799010010020001", kLiushu);
  CaseWalk e = walk(at("2025-11-05T08:50"), "3799010020020001", kXinghua);
  std::int64_t case_d = 0;
  std::int64_t case_e = 0;
  TimePoint d_registered{}, e_registered{};

  auto b_visits = [](unsigned m) { return (m % 2 == 0 || m == 9) ? 1 : 2; };
  auto c_monitors = [](unsigned m) { return m < 4 || m > 6; };

  std::multimap<TimePoint, std::function<void()>> events;
  auto record_month = [&](CaseWalk& w, std::int64_t id, year_month ym, int visits, bool monitor,
                          TimePoint t) {
    walk_to(w, t);
    for (int i = 0; i < visits; ++i) {
      accept(w, id, w.visit());
      w.hours(1);
    }
    if (monitor) accept(w, id, w.monitoring(ym));
  };
  for (unsigned m = 1; m <= 12; ++m) {
    const year_month ym = 2025y / month(m);
    char when[32];
    std::snprintf(when, sizeof when, "2025-%02u-14T10:00", m);
    const TimePoint t = at(when);
    events.emplace(t, [&, ym, t, m] {
      record_month(a, case_a, ym, 2, true, t);
      record_month(b, case_b, ym, b_visits(m), true, t);
      record_month(c, case_c, ym, 2, c_monitors(m), t);
    });
  }
  // D: opened Mon 11-03 09:00; 5 working days 11-04..07, 10 -> due Tue 11-11 08:00, reminder Mon
  // 11-10, rung 2 Thu 11-13 (township head); verified Fri 11-14, before the 5-day rung (11-18).
  events.emplace(at("2025-11-03T09:00"), [&] {
    walk_to(d, at("2025-11-03T09:00"));
    case_d = open(d);
    accept(d, case_d, d.start_verification());
  });
  // E: opened Wed 11-05 09:00; 11-06, 07, 10, 11, 12 -> due Thu 11-13; reminder Wed 11-12;
  // verified that afternoon.
  events.emplace(at("2025-11-05T09:00"), [&] {
    walk_to(e, at("2025-11-05T09:00"));
    case_e = open(e);
    accept(e, case_e, e.start_verification());
  });
  events.emplace(at("2025-11-12T14:00"), [&] {
    walk_to(e, at("2025-11-12T14:00"));
    accept(e, case_e, e.eligible_verification());
  });
  // E's review shares the verification's window (issue 14 item 3): it passes the same afternoon.
  events.emplace(at("2025-11-12T15:00"), [&] {
    walk_to(e, at("2025-11-12T15:00"));
    accept(e, case_e, e.review_pass());
  });
  events.emplace(at("2025-11-13T11:00"), [&] {
    walk_to(e, at("2025-11-13T11:00"));
    accept(e, case_e, e.county_pass());
  });
  events.emplace(at("2025-11-14T11:00"), [&] {
    walk_to(d, at("2025-11-14T11:00"));
    accept(d, case_d, d.eligible_verification());
  });
  events.emplace(at("2025-11-17T10:00"), [&] {
    walk_to(d, at("2025-11-17T10:00"));
    accept(d, case_d, d.review_pass());
  });
  events.emplace(at("2025-11-18T10:00"), [&] {
    walk_to(d, at("2025-11-18T10:00"));
    accept(d, case_d, d.county_pass());
  });
  // Publicities of five whole days (issue 14 item 3): E's from 11-13 closes on 11-19, D's from
  // 11-18 on Mon 11-24.
  events.emplace(at("2025-11-19T12:00"), [&] {
    walk_to(e, at("2025-11-19T12:00"));
    accept(e, case_e, e.close_publicity());
    EXPECT_EQ(e.state(), "registered");
    e_registered = std::max(e.now(), clock_.now());  // told at the first firing after
    accept(e, case_e, e.assign_officer("朱晓东"));
    record_month(e, case_e, 2025y / month(11), 2, true, at("2025-11-19T13:00"));
  });
  events.emplace(at("2025-11-24T11:00"), [&] {
    walk_to(d, at("2025-11-24T11:00"));
    accept(d, case_d, d.close_publicity());
    EXPECT_EQ(d.state(), "registered");
    d_registered = std::max(d.now(), clock_.now());  // told at the first firing after
    accept(d, case_d, d.assign_officer("杨帆"));
    record_month(d, case_d, 2025y / month(11), 2, true, at("2025-11-24T12:00"));
  });
  // E registered Wed 11-19: 1 working day makes Thu 11-20 the last day; its plan that morning.
  events.emplace(at("2025-11-20T10:00"), [&] {
    walk_to(e, at("2025-11-20T10:00"));
    accept(e, case_e, e.measure(MeasureType::kIndustry));
  });
  events.emplace(at("2025-12-15T10:00"), [&] {
    record_month(d, case_d, 2025y / month(12), 2, true, at("2025-12-15T10:00"));
    record_month(e, case_e, 2025y / month(12), 2, true, at("2025-12-15T10:00"));
  });

  // Timer by timer: to the earlier of the next pending timer and the next event, firing all due.
  const TimePoint end = at("2026-01-20T00:00");
  std::vector<OutboxRecord> sent;
  clock_.advance(at("2025-01-12T12:00") - clock_.now());
  auto ev = events.begin();
  while (true) {
    for (OutboxRecord& m : fire_all(clock_.now())) sent.push_back(std::move(m));
    std::optional<TimePoint> next;
    if (auto t = next_due_timer(s())) next = std::max(t->due_at, clock_.now());
    if (ev != events.end() && (!next || ev->first <= *next)) next = ev->first;
    if (!next || *next >= end) break;
    if (*next > clock_.now()) clock_.advance(*next - clock_.now());
    while (ev != events.end() && ev->first <= clock_.now()) (ev++)->second();
  }
  EXPECT_EQ(ev, events.end());

  Model model(config_->rules, *calendar_);
  const Model::Person pa{"杨帆@379901001001", "郑海峰@379901001", "王丽@379901001"};
  const Model::Person pb{"朱晓东@379901002001", "冯志强@379901002", "陈静@379901002"};
  const Model::Person pc{"韩立新@379901003001", "褚卫东@379901003", "<no clerk>"};
  const Model::Person pd{"杨帆@379901001001", "郑海峰@379901001", "王丽@379901001",
                         "孔德明@379901001002"};
  const Model::Person pe{"朱晓东@379901002001", "冯志强@379901002", "陈静@379901002",
                         "严国华@379901002002"};
  for (unsigned m = 1; m <= 12; ++m) {
    const year_month ym = 2025y / month(m);
    if (b_visits(m) < config_->rules.visits.per_month) model.missed_month(ym, true, case_b, pb);
    if (!c_monitors(m)) model.missed_month(ym, false, case_c, pc);
  }
  // January 2026: nobody records; the model lists it and the end of the run cuts it.
  for (auto [id, p] : {std::pair{case_a, pa}, std::pair{case_b, pb}, std::pair{case_c, pc},
                       std::pair{case_d, pd}, std::pair{case_e, pe}}) {
    model.missed_month(2026y / month(1), true, id, p);
    model.missed_month(2026y / month(1), false, id, p);
  }
  model.step("household_verification", Date{2025y / month(11) / 3}, at("2025-11-14T11:00"), case_d,
             pd);
  model.step("household_verification", Date{2025y / month(11) / 5}, at("2025-11-12T14:00"), case_e,
             pe);
  // D registered Mon 11-24 (the event at 11:00) and never planned: told at once (王丽, 孔德明),
  // last day Tue 11-25, rungs Wed 11-26 (township clerk), Thu 11-27 (township head), Mon 12-01
  // (county office). E: told at once, planned on its last day, nothing after.
  model.assignment(d_registered, end, case_d, pd);
  model.assignment(e_registered, at("2025-11-20T10:00"), case_e, pe);
  // D's review shares its verification's window (due 11-11): overdue when it starts at 11-14
  // 11:00, its rungs at due and 2 working days after are both due then and only the higher (the
  // township head) goes out; it passes on 11-17, before the 5-day rung (11-18).
  model.late_shared_step("democratic_review", "household_verification", Date{2025y / month(11) / 3},
                         at("2025-11-14T11:00"), at("2025-11-17T10:00"), case_d, pd,
                         "孔德明@379901001002");

  // The Q4 risk evaluation ([rules.evaluation], opens 11-01, 30 working days, owner county
  // office) is outside the model: this run never calls ensure_recurring_timers(), so only D and
  // E, which become monitoring objects while the window is open, are given the task (by the
  // hook, at registration). Its instants as queued: reminder 5 working days before due (Tue
  // 12-09), due Tue 12-16 (rung 0, county office), 5 working days later Tue 12-23 (county
  // admin). Due 12-16 is 30 working days counted after Mon 11-03 (last day Mon 12-15); counted
  // after the opening date itself (Sat 11-01) the last day would be Fri 12-12, due Mon 12-15.
  std::vector<std::string> got, evaluation;
  for (const OutboxRecord& m : sent) {
    const std::string l = line(m.created_at, m.message_type, m.recipient, m.case_id.value_or(0));
    (m.message_type.rfind("evaluation_", 0) == 0 ? evaluation : got).push_back(l);
  }
  std::sort(evaluation.begin(), evaluation.end());  // same-instant order is by timer id
  const std::string d_id = std::to_string(case_d), e_id = std::to_string(case_e);
  EXPECT_EQ(evaluation,
            (std::vector<std::string>{
                "2025-11-19T12:00:00+08:00 evaluation_task 吴秀兰@379901 case " + e_id,
                "2025-11-24T11:00:00+08:00 evaluation_task 吴秀兰@379901 case " + d_id,
                // The reminder 5 working days before the last day 12-15 (issue 14: was 12-09).
                "2025-12-08T08:00:00+08:00 evaluation_task 吴秀兰@379901 case " + d_id,
                "2025-12-08T08:00:00+08:00 evaluation_task 吴秀兰@379901 case " + e_id,
                "2025-12-16T08:00:00+08:00 evaluation_overdue 吴秀兰@379901 case " + d_id,
                "2025-12-16T08:00:00+08:00 evaluation_overdue 吴秀兰@379901 case " + e_id,
                "2025-12-23T08:00:00+08:00 evaluation_overdue 周建国@379901 case " + d_id,
                "2025-12-23T08:00:00+08:00 evaluation_overdue 周建国@379901 case " + e_id,
            }));
  EXPECT_TRUE(std::is_sorted(
      got.begin(), got.end(),
      [](const std::string& x, const std::string& y) { return x.substr(0, 25) < y.substr(0, 25); }))
      << "queued out of time order";
  std::sort(got.begin(), got.end());
  const std::vector<std::string> want = model.sorted_until(end);
  EXPECT_EQ(got, want);
  // On a mismatch, name the lines rather than leave them to the long dump above.
  std::vector<std::string> only_got, only_want;
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(),
                      std::back_inserter(only_got));
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                      std::back_inserter(only_want));
  for (const std::string& x : only_got) ADD_FAILURE() << "queued, not in the model: " << x;
  for (const std::string& x : only_want) ADD_FAILURE() << "in the model, not queued: " << x;

  // Hand checks of the model (2025 calendar: 春节 01-28..02-04, make-up Sun 01-26 and Sat 02-08;
  // 劳动节 05-01..05, make-up Sun 04-27; 国庆/中秋 10-01..08, make-up Sun 09-28 and Sat 10-11).
  const std::set<std::string> all(want.begin(), want.end());
  // February (B one visit): reminder Thu 02-20; Feb ends Fri 02-28 -> due Mon 03-03; 3 working
  // days -> Thu 03-06 (township head); 8 -> Thu 03-13 (county office).
  EXPECT_TRUE(all.count("2025-02-20T08:00:00+08:00 visit_reminder 朱晓东@379901002001 case " +
                        std::to_string(case_b)));
  EXPECT_TRUE(all.count("2025-03-06T08:00:00+08:00 visit_overdue 冯志强@379901002 case " +
                        std::to_string(case_b)));
  EXPECT_TRUE(all.count("2025-03-13T08:00:00+08:00 visit_overdue 吴秀兰@379901 case " +
                        std::to_string(case_b)));
  // September (B one visit): 09-20 is a Saturday -> reminder Mon 09-22; Sep ends Tue 09-30 and
  // National Day follows -> due Thu 10-09; 3 working days 10-10, Sat 10-11 (make-up), Mon 10-13;
  // 8 -> 10-14, 15, 16, 17, Mon 10-20.
  EXPECT_TRUE(all.count("2025-09-22T08:00:00+08:00 visit_reminder 朱晓东@379901002001 case " +
                        std::to_string(case_b)));
  EXPECT_TRUE(all.count("2025-10-09T08:00:00+08:00 visit_overdue 朱晓东@379901002001 case " +
                        std::to_string(case_b)));
  EXPECT_TRUE(all.count("2025-10-13T08:00:00+08:00 visit_overdue 冯志强@379901002 case " +
                        std::to_string(case_b)));
  EXPECT_TRUE(all.count("2025-10-20T08:00:00+08:00 visit_overdue 吴秀兰@379901 case " +
                        std::to_string(case_b)));
  // April (C no monitoring): reminder Fri 04-25; Apr ends Wed 04-30, 劳动节 -> due Tue 05-06; 5
  // working days 05-07, 08, 09, 12, 13 -> Tue 05-13 (township head).
  EXPECT_TRUE(all.count("2025-04-25T08:00:00+08:00 monitoring_reminder 韩立新@379901003001 case " +
                        std::to_string(case_c)));
  EXPECT_TRUE(all.count("2025-05-06T08:00:00+08:00 monitoring_overdue 韩立新@379901003001 case " +
                        std::to_string(case_c)));
  EXPECT_TRUE(all.count("2025-05-13T08:00:00+08:00 monitoring_overdue 褚卫东@379901003 case " +
                        std::to_string(case_c)));
  // D's verification: reminder Fri 11-07 (1 working day before the last day Mon 11-10), due Tue
  // 11-11, township head Thu 11-13, then verified.
  EXPECT_TRUE(all.count("2025-11-13T08:00:00+08:00 step_overdue 郑海峰@379901001 case " +
                        std::to_string(case_d)));
  EXPECT_TRUE(all.count("2025-11-07T08:00:00+08:00 step_reminder 王丽@379901001 case " +
                        std::to_string(case_d)));
  EXPECT_TRUE(all.count("2025-11-11T08:00:00+08:00 step_reminder 陈静@379901002 case " +
                        std::to_string(case_e)));
  // D's registration duty, by hand: last day Tue 11-25; Wed 11-26 the clerk, Thu 11-27 the
  // township head, 3 working days after 11-26: Mon 12-01, the county office.
  EXPECT_TRUE(all.count("2025-11-26T08:00:00+08:00 assignment_overdue 王丽@379901001 case " +
                        std::to_string(case_d)));
  EXPECT_TRUE(all.count("2025-11-27T08:00:00+08:00 assignment_overdue 郑海峰@379901001 case " +
                        std::to_string(case_d)));
  EXPECT_TRUE(all.count("2025-12-01T08:00:00+08:00 assignment_overdue 吴秀兰@379901 case " +
                        std::to_string(case_d)));
  // January (everyone complete): no message before 02-20. Spring Festival is checked through the
  // model's month ends (Jan 31 is in 春节: a January miss would fall due Wed 02-05).
  EXPECT_EQ(model.wd(Date{2025y / month(1) / 31}, 1), Date{2025y / month(2) / 5});
  ASSERT_FALSE(got.empty());
  EXPECT_GE(got.front(), std::string("2025-02-20"));

  for (const OutboxRecord& m : sent) EXPECT_NE(m.case_id, case_a) << m.message_type;
  if (!sent.empty()) {
    EXPECT_EQ(param(sent.front(), "month"), "2025年2月");  // issue 14 item 8: was "2025-02"
  }
}

}  // namespace
}  // namespace fangfan
