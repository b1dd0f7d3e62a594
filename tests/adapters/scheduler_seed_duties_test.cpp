// Issue 14 items 2 and 6 in the example county (config/example.toml, which runs its
// [rules.assignment] and [rules.alert_loop] tables as documented there), on the shipped calendar
// and a simulated clock moved hour by hour: what the seeds ask for at registration and after a
// monitoring finding, read as the people told read it.
//
// SQLite only: the backends' equivalence is scheduler_test.cpp's job.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <map>

#include "adapters/scheduler/case_alerts.h"
#include "adapters/storage/alert_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/outbox_store.h"
#include "tests/adapters/county_fixture.h"
#include "workflows/alert_loop.h"
#include "workflows/date.h"
#include "workflows/duties.h"
#include "workflows/message_templates.h"

namespace fangfan {
namespace {

using namespace county_test;  // NOLINT: the fixture's vocabulary
using namespace std::chrono_literals;
using testing::at;
using testing::CaseWalk;

Date at_day(const char* text) { return parse_date(text).value_or(Date{}); }

class SeedDuties : public CountyFixture {
 protected:
  SeedDuties() : CountyFixture("2025-03-03T08:00") {}

  // Moves the clock hour by hour to `end`, running `at_hour` before each hour's firing.
  void run_until(const char* end, const std::function<void(TimePoint)>& at_hour) {
    while (clock_.now() < at(end)) {
      clock_.advance(1h);
      if (at_hour) at_hour(clock_.now());
      for (OutboxRecord& m : fire_all(clock_.now())) sent_.push_back(std::move(m));
    }
  }

  std::vector<const OutboxRecord*> of(std::int64_t id, const char* type) const {
    std::vector<const OutboxRecord*> out;
    for (const OutboxRecord& m : sent_) {
      if (m.case_id == id && m.message_type == type) out.push_back(&m);
    }
    return out;
  }

  std::string text(const OutboxRecord& m) const {
    const boost::json::object o = boost::json::parse(m.body).as_object();
    std::map<std::string, std::string> params;
    for (const auto& [k, v] : o) {
      if (v.is_string()) params[std::string(k)] = std::string(v.as_string());
    }
    return render_message(m.message_type, params, config_->templates);
  }

  // Every outbox row in the order written: what the hook queued at once and what timers sent.
  std::vector<OutboxRecord> all_messages() {
    std::vector<OutboxRecord> out;
    for (std::int64_t id = 1;; ++id) {
      std::optional<OutboxRecord> m = load_outbox(s(), id);
      if (!m) break;
      out.push_back(std::move(*m));
    }
    return out;
  }

  std::optional<DutyRecord> duty_of(std::int64_t id, const char* kind) {
    for (const DutyRecord& d : case_duties(s(), id)) {
      if (d.kind == kind) return d;
    }
    return std::nullopt;
  }

  std::vector<OutboxRecord> sent_;
};

// Issue 14 item 2. [000] "采取针对性帮扶措施，第一时间安排帮扶责任人"; [002]
// "对即时帮扶户要安排帮扶 责任人，制定帮扶计划". A registered case owes an assistance officer and a
// plan at once: the township clerk and the village officer are told on the day of registration; "at
// once" is that day or the next working day (docs/rules.md), after which the ladder climbs. The
// duty closes when the case has both an officer and a measure.
TEST_F(SeedDuties, Registration_OfficerAndPlanAtOnce) {
  // The walks start on Sun 03-02 so that, with the publicity's five whole days (item 3), the
  // registration still falls on Thu 03-13.
  // A (东岭村) is registered Thu 03-13 09:00 and gets nobody; B (西河村) gets its officer at
  // registration and its first measure on Fri 03-14.
  CaseWalk a = walk(at("2025-03-02T09:00"), "3799010010010001", kDongling);
  const std::int64_t case_a = registered_case(a, nullptr);
  CaseWalk b = walk(at("2025-03-02T09:00"), "3799010020010001", kXihe);
  const std::int64_t case_b = registered_case(b, "朱晓东");
  run_until("2025-03-25T00:00", [&](TimePoint now) {
    if (now != at("2025-03-14T10:00")) return;
    walk_to(b, now);
    accept(b, case_b, b.measure(MeasureType::kEmployment));
  });

  // Told at once, the township and the village, naming what is missing and the last day.
  const auto task_a = of(case_a, "assignment_task");
  ASSERT_EQ(task_a.size(), 2u);
  // Registered at 10:00 (the walk's events are ten minutes apart): told at that very hour.
  EXPECT_EQ(format_time(task_a[0]->created_at), "2025-03-13T10:00:00+08:00");
  std::vector<std::string> told{task_a[0]->recipient, task_a[1]->recipient};
  std::sort(told.begin(), told.end());
  EXPECT_EQ(told, (std::vector<std::string>{"王丽@379901001", "蒋国庆@379901001001"}));
  EXPECT_NE(text(*task_a[0]).find("请于2025-03-14前安排帮扶责任人、制定帮扶计划"),
            std::string::npos)
      << text(*task_a[0]);

  // A: nobody acts; overdue on Mon 03-17, then the township head, then the county office.
  struct Late {
    const char* at;
    const char* recipient;
    const char* level;
    const char* days;
  };
  const std::vector<Late> late{{"2025-03-17T08:00:00+08:00", "王丽@379901001", "1", "3"},
                               {"2025-03-18T08:00:00+08:00", "郑海峰@379901001", "2", "4"},
                               {"2025-03-20T08:00:00+08:00", "吴秀兰@379901", "3", "6"}};
  const auto overdue = of(case_a, "assignment_overdue");
  ASSERT_EQ(overdue.size(), late.size());
  for (std::size_t i = 0; i < late.size(); ++i) {
    EXPECT_EQ(format_time(overdue[i]->created_at), late[i].at);
    EXPECT_EQ(overdue[i]->recipient, late[i].recipient);
    EXPECT_EQ(param(*overdue[i], "due_date"), "2025-03-14");
    EXPECT_EQ(param(*overdue[i], "rung"), late[i].level);
    EXPECT_EQ(param(*overdue[i], "days_overdue"), late[i].days);
  }
  EXPECT_NE(text(*overdue[0]).find("尚未安排帮扶责任人、制定帮扶计划，已于2025-03-14到期"),
            std::string::npos)
      << text(*overdue[0]);
  ASSERT_TRUE(duty_of(case_a, kDutyAssignment));
  EXPECT_EQ(duty_of(case_a, kDutyAssignment)->state, DutyState::kOpen);

  // B: its officer from registration and a measure the next day close the duty in time.
  EXPECT_EQ(of(case_b, "assignment_task").size(), 2u);
  EXPECT_TRUE(of(case_b, "assignment_overdue").empty());
  ASSERT_TRUE(duty_of(case_b, kDutyAssignment));
  EXPECT_EQ(duty_of(case_b, kDutyAssignment)->state, DutyState::kDone);
}

// Issue 14 item 6. [004] "每月对监测对象进行一次动态监测……对“两不愁三保障”出现缺项的，在大数据平台
// 上完成了预警标注、镇（街道）初审、市脱办复审并反馈至行业部门、行业部门限时完成补短帮扶、市脱办
// 核实销号预警"; [003] "乡镇、村如发现边缘户和脱贫不稳定贫困户家庭成员发生大病、重大意外伤害、抚
// （赡）养人病故等情况的，应及时向镇（街）扶贫办报告". A monthly record with a gap in 两不愁三保障
// marks an alert that goes round the loop, each step a duty with its ladder; a major event reaches
// the township and the county at once, on a Saturday evening, as a message no digest holds.
TEST_F(SeedDuties, MonitoringAlert_TheLoopOf004AndAMajorEventAtOnce) {
  CaseWalk a = walk(at("2025-03-02T09:00"), "3799010010010001", kDongling);
  const std::int64_t case_a = registered_case(a, "杨帆");
  accept(a, case_a, a.measure(MeasureType::kEmployment));
  CaseWalk b = walk(at("2025-03-02T09:00"), "3799010020010001", kXihe);
  const std::int64_t case_b = registered_case(b, "朱晓东");
  accept(b, case_b, b.measure(MeasureType::kMedical));

  // Each step as the API records it (POST /api/v1/alerts/{id}/step): decided, then applied.
  auto take = [&](std::int64_t alert, const AlertStepRequest& request, const AlertActor& actor) {
    std::optional<AlertRecord> record = load_alert(s(), alert);
    ASSERT_TRUE(record);
    std::vector<std::string> departments;
    for (const Department& d : config_->departments) departments.push_back(d.code);
    const AlertStepDecision decision = decide_alert_step(
        parse_alert_stage(record->stage), record->assigned_department, request, actor, departments);
    ASSERT_FALSE(decision.refused()) << decision.message;
    WriteTransaction tx(s());
    ASSERT_TRUE(apply_alert_step(s(), *config_, *calendar_, *record, request, decision, "someone",
                                 clock_.now())
                    .moved);
    tx.commit();
  };
  run_until("2025-04-26T00:00", [&](TimePoint now) {
    if (now == at("2025-04-08T10:00")) {  // March's record: 三保障 not secure
      walk_to(a, now);
      RecordMonitoring m = a.monitoring(2025y / std::chrono::March);
      m.record.basic_needs_secure = false;
      accept(a, case_a, m);
    } else if (now == at("2025-04-12T21:00")) {  // Saturday evening: a serious illness
      walk_to(b, now);
      accept(b, case_b,
             RecordMajorEvent{b.meta(), at_day("2025-04-12"), "serious_illness", "朱秀英",
                              "突发脑出血住院"});
    } else if (now == at("2025-04-14T10:00")) {  // the township confirms, a rung late
      take(1, {"confirm"}, {"township_clerk", ""});
    } else if (now == at("2025-04-15T10:00")) {  // the county gives it to civil affairs, 5 days
      take(1, {"assign", "", "civil_affairs", 5}, {"county_office", ""});
    } else if (now == at("2025-04-18T10:00")) {
      take(1, {"assisted", "已纳入临时救助"}, {"department_clerk", "civil_affairs"});
    } else if (now == at("2025-04-21T10:00")) {  // 市脱办核实销号
      take(1, {"close"}, {"county_office", ""});
    }
  });
  sent_ = all_messages();

  struct Told {
    const char* type;
    const char* at;
    const char* recipient;
  };
  // Alert 1, round the loop: marked and told to the township, reminded the working day before
  // its last day (Fri 04-11), climbed to the township head on Mon 04-14, then each later step's
  // owner told when the step opens; nothing late after that.
  const std::vector<Told> loop{
      // Recorded at 09:30 (the walk keeps its half hour) and told in the same transaction.
      {"alert_case_new", "2025-04-08T09:30:00+08:00", "王丽@379901001"},
      {"alert_step_reminder", "2025-04-10T08:00:00+08:00", "王丽@379901001"},
      {"alert_step_overdue", "2025-04-14T08:00:00+08:00", "郑海峰@379901001"},
      {"alert_step_task", "2025-04-14T10:00:00+08:00", "吴秀兰@379901"},
      {"alert_step_task", "2025-04-15T10:00:00+08:00", "许文@civil_affairs"},
      // The department's reminder 2 working days before its last day (Tue 04-22).
      {"alert_step_reminder", "2025-04-18T08:00:00+08:00", "许文@civil_affairs"},
      {"alert_step_task", "2025-04-18T10:00:00+08:00", "吴秀兰@379901"},
  };
  std::vector<const OutboxRecord*> about_a;
  for (const OutboxRecord& m : sent_) {
    if (m.case_id == case_a && m.message_type.rfind("alert_", 0) == 0) about_a.push_back(&m);
  }
  ASSERT_EQ(about_a.size(), loop.size());
  for (std::size_t i = 0; i < loop.size(); ++i) {
    EXPECT_EQ(about_a[i]->message_type, loop[i].type) << i;
    EXPECT_EQ(format_time(about_a[i]->created_at), loop[i].at) << i;
    EXPECT_EQ(about_a[i]->recipient, loop[i].recipient) << i;
  }
  EXPECT_EQ(param(*about_a[0], "due_date"), "2025-04-11");
  EXPECT_NE(text(*about_a[0]).find("2025年3月动态监测：“两不愁三保障”出现缺项"), std::string::npos)
      << text(*about_a[0]);
  EXPECT_EQ(param(*about_a[2], "rung"), "1");
  EXPECT_EQ(param(*about_a[2], "step_label"), "镇（街道）初审");
  EXPECT_EQ(param(*about_a[4], "step_label"), "行业部门补短帮扶");
  EXPECT_EQ(param(*about_a[4], "due_date"), "2025-04-22");  // the county's 5 working days

  std::optional<AlertRecord> one = load_alert(s(), 1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->stage, "closed");
  EXPECT_EQ(one->case_id, case_a);
  EXPECT_EQ(one->assigned_department, "civil_affairs");
  std::vector<std::string> steps;
  for (const AlertHistoryRecord& h : alert_history(s(), 1)) steps.push_back(h.event);
  EXPECT_EQ(steps, (std::vector<std::string>{"raised", "step_confirm", "step_assign",
                                             "step_assisted", "step_close"}));
  int done = 0;
  for (const DutyRecord& d : case_duties(s(), case_a)) {
    if (d.kind != kDutyAlertStep) continue;
    EXPECT_EQ(d.state, DutyState::kDone) << d.duty_key;
    ++done;
  }
  EXPECT_EQ(done, 4);

  // Alert 2, the major event: the township clerk and the county office at once, on a Saturday
  // evening, as a type no digest window holds.
  const auto major = of(case_b, "major_event");
  ASSERT_EQ(major.size(), 2u);
  std::vector<std::string> told{major[0]->recipient, major[1]->recipient};
  std::sort(told.begin(), told.end());
  EXPECT_EQ(told, (std::vector<std::string>{"吴秀兰@379901", "陈静@379901002"}));
  EXPECT_EQ(format_time(major[0]->created_at), "2025-04-12T20:30:00+08:00");  // when recorded
  EXPECT_FALSE(is_digestible("major_event"));
  EXPECT_NE(text(*major[0]).find("发生重大变故：朱**大病（突发脑出血住院）"), std::string::npos)
      << text(*major[0]);
  std::optional<AlertRecord> two = load_alert(s(), 2);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->stage, "township_review");
  EXPECT_EQ(two->alert.rule, "major_event");
}

}  // namespace
}  // namespace fangfan
