// Issue 5's "done when", end to end in process: the shipped example county (config/example.toml,
// its people and [rules]) on the shipped working-day calendar (config/calendar), several cases
// in three townships, March 2025 on a simulated clock moved hour by hour into April (past
// Qingming, 04-04..04-06) until the last escalation rung of March has had its day. Every outbox
// message is checked against a table derived by hand from the config and the calendar.
//
// SQLite only: the backends' equivalence is scheduler_test.cpp's job.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <functional>
#include <map>

#include "adapters/calendar/calendar_files.h"
#include "adapters/config/config.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_store.h"
#include "tests/adapters/county_fixture.h"
#include "tests/support/people.h"
#include "tests/workflows/case_fixture.h"
#include "workflows/date.h"
#include "workflows/deadlines.h"
#include "workflows/duties.h"
#include "workflows/message_templates.h"

namespace fangfan {
namespace {

using namespace county_test;  // NOLINT: the fixture's vocabulary
using namespace std::chrono_literals;
using testing::at;
using testing::CaseWalk;

class CountyMonth : public CountyFixture {
 protected:
  CountyMonth() : CountyFixture("2025-03-03T08:00") {}
};

TEST_F(CountyMonth, March2025_ExactRemindersAndEscalationsOnWorkingDays) {
  // Assisted from Fri 03-14: A (东岭村, officer 杨帆) makes both visits (03-17, 03-19, before
  // reminder_day) and the monitoring record;
  // B (西河村, officer 朱晓东) one visit, no record; C (南山村, no officer assigned) nothing.
  // Registered Fri 03-14, each case owes an officer and a plan at once ([000] "第一时间安排帮扶
  // 责任人"; [002] "对即时帮扶户要安排帮扶责任人，制定帮扶计划"; the example's [rules.assignment]:
  // 1 working day, so Mon 03-17 is the last day). A gets both at registration (its duty closes
  // before anyone is told); B its officer then, its first measure on Mon 03-17; C neither.
  CaseWalk a = walk(at("2025-03-03T09:00"), "3799010010010001", kDongling);
  const std::int64_t case_a = registered_case(a, "杨帆");
  accept(a, case_a, a.measure(MeasureType::kIndustry));
  CaseWalk b = walk(at("2025-03-03T09:00"), "3799010020010001", kXihe);
  const std::int64_t case_b = registered_case(b, "朱晓东");
  CaseWalk c = walk(at("2025-03-03T09:00"), "3799010030010001", kNanshan);
  const std::int64_t case_c = registered_case(c, nullptr);
  // In recognition during the month: D (柳树村) is verified late, E (杏花村) on time.
  CaseWalk d = walk(at("2025-03-17T08:50"), "3799010010020001", kLiushu);
  CaseWalk e = walk(at("2025-03-19T08:50"), "3799010020020001", kXinghua);
  std::int64_t case_d = 0;
  std::int64_t case_e = 0;

  std::map<TimePoint, std::function<void()>> events{
      {at("2025-03-14T10:00"),
       [&] {
         walk_to(a, at("2025-03-14T10:00"));
         accept(a, case_a, a.monitoring(2025y / std::chrono::March));
       }},
      {at("2025-03-17T09:00"),
       [&] {
         walk_to(a, at("2025-03-17T09:00"));
         accept(a, case_a, a.visit());
         // D opens at 09:00 and its verification starts; 5 working days counted from the day
         // after (03-18..03-21, 03-24) make 03-24 its last day: due Tue 03-25 08:00.
         case_d = open(d);
         accept(d, case_d, d.start_verification());
       }},
      {at("2025-03-17T10:00"),
       [&] {
         // B's plan on the last day of its assignment duty: in time, no overdue rung.
         walk_to(b, at("2025-03-17T10:00"));
         accept(b, case_b, b.measure(MeasureType::kEmployment));
       }},
      {at("2025-03-18T10:00"),
       [&] {
         walk_to(b, at("2025-03-18T10:00"));
         accept(b, case_b, b.visit());
       }},
      {at("2025-03-19T09:00"),
       [&] {
         // E: 5 working days from 03-20 (03-20, 21, 24, 25, 26): due Thu 03-27 08:00.
         case_e = open(e);
         accept(e, case_e, e.start_verification());
       }},
      {at("2025-03-19T11:00"),
       [&] {
         // A's second March visit, before reminder_day: March is done, no reminder is due.
         walk_to(a, at("2025-03-19T11:00"));
         accept(a, case_a, a.visit());
       }},
      {at("2025-03-26T14:00"),
       [&] {
         // E verified after its reminder but before it falls due; then its review, county
         // review and publicity pass each well before their reminders.
         walk_to(e, at("2025-03-26T14:00"));
         accept(e, case_e, e.eligible_verification());
       }},
      {at("2025-03-26T15:00"),
       [&] {
         // E's review shares the verification's window ([002] "5个工作日内完成入户调查和民主
         // 评议", issue 14 item 3): its last day is 03-26 too, so it passes the same afternoon.
         walk_to(e, at("2025-03-26T15:00"));
         accept(e, case_e, e.review_pass());
       }},
      {at("2025-03-27T10:00"),
       [&] {
         walk_to(e, at("2025-03-27T10:00"));
         accept(e, case_e, e.county_pass());
       }},
      {at("2025-03-28T10:00"),
       [&] {
         // D verified after its second rung (03-27) and before its third (04-01).
         walk_to(d, at("2025-03-28T10:00"));
         accept(d, case_d, d.eligible_verification());
       }},
      {at("2025-03-31T10:00"),
       [&] {
         // D's democratic review passes; its county review (3 working days from 04-01:
         // 04-01, 02, 03) then falls due after Qingming, Mon 04-07 08:00, and is never done.
         walk_to(d, at("2025-03-31T10:00"));
         accept(d, case_d, d.review_pass());
       }},
      {at("2025-04-02T11:00"),
       [&] {
         // E's publicity (5 whole days after 03-27: 03-28..04-01; issue 14 item 3) is over: E is
         // registered and assisted from April (its April reminder, 04-21, is after this run).
         walk_to(e, at("2025-04-02T11:00"));
         accept(e, case_e, e.close_publicity());
         EXPECT_EQ(e.state(), "registered");
       }},
  };

  clock_.advance(at("2025-03-13T12:00") - clock_.now());
  std::vector<OutboxRecord> sent = fire_all(clock_.now());
  // March's last rung is 8 working days after 04-01 (Mon 04-14); run the whole of that day.
  while (clock_.now() < at("2025-04-15T00:00")) {
    clock_.advance(1h);
    if (auto ev = events.find(clock_.now()); ev != events.end()) ev->second();
    for (OutboxRecord& m : fire_all(clock_.now())) sent.push_back(std::move(m));
  }

  struct Expected {
    const char* at;
    const char* type;
    const char* recipient;
    std::int64_t case_id;
  };
  // Visits: reminder_day 20 (Thu 03-20, a working day) at 08:00 when fewer than per_month = 2
  // are recorded; March ends Mon 03-31, so the month falls due at 08:00 on the next working
  // day, Tue 04-01 (rung 0, the assistance officer: the assigned one, else the village's
  // village officers). Rungs count working days after 04-01, skipping Qingming (04-04..06):
  // 3 -> 04-02, 03, 07 = Mon 04-07 (township head); 8 -> 04-02, 03, 07, 08, 09, 10, 11, 14 =
  // Mon 04-14 (county office).
  // Monitoring: reminder_day 25 (Tue 03-25); due 04-01 (rung 0, assistance officer); 5 working
  // days later -> 04-02, 03, 07, 08, 09 = Wed 04-09 (township head).
  // D's verification: reminder 1 working day before its last day Mon 03-24, Fri 03-21 (issue 14
  // item 8: it used to come on the last day itself), to the owner (township clerk); rungs at due
  // (Tue 03-25, township clerk) and 2 working days after (Thu 03-27, township head); the 5-day rung
  // (04-01, county office) is cancelled by the verification. D's county review: last day Thu 04-03,
  // reminder 1 working day before = Wed 04-02 (the owner, county office); rungs at due (04-07,
  // county office) and 2 working days after (Wed 04-09, county admin). E's verification: last day
  // Wed 03-26, reminder Tue 03-25 08:00 to 西河镇's clerk; nothing after.
  // The assignment duty ([rules.assignment]): opened at registration, the township clerk and the
  // village officer are told at once (notify); the ladder starts at 08:00 on the working day after
  // the last day (rung 0: the township clerk), then 1 working day later the township head and 3
  // working days later the county office.
  const std::vector<Expected> expected{
      // B and C registered Fri 03-14 (~09:00): told at the next hour's firing.
      {"2025-03-14T10:00:00+08:00", "assignment_task", "陈静@379901002", case_b},
      {"2025-03-14T10:00:00+08:00", "assignment_task", "沈玉梅@379901002001", case_b},
      {"2025-03-14T10:00:00+08:00", "assignment_task", "卫小红@379901003", case_c},
      {"2025-03-14T10:00:00+08:00", "assignment_task", "韩立新@379901003001", case_c},
      // C has no officer and no plan by Mon 03-17: rung 0 Tue 03-18 (南山乡's clerk), rung 1
      // Wed 03-19 (南山乡's head), rung 3 working days after 03-18: Fri 03-21 (county office).
      {"2025-03-18T08:00:00+08:00", "assignment_overdue", "卫小红@379901003", case_c},
      {"2025-03-19T08:00:00+08:00", "assignment_overdue", "褚卫东@379901003", case_c},
      {"2025-03-20T08:00:00+08:00", "visit_reminder", "朱晓东@379901002001", case_b},
      {"2025-03-20T08:00:00+08:00", "visit_reminder", "韩立新@379901003001", case_c},
      {"2025-03-21T08:00:00+08:00", "assignment_overdue", "吴秀兰@379901", case_c},
      {"2025-03-21T08:00:00+08:00", "step_reminder", "王丽@379901001", case_d},
      {"2025-03-25T08:00:00+08:00", "monitoring_reminder", "朱晓东@379901002001", case_b},
      {"2025-03-25T08:00:00+08:00", "monitoring_reminder", "韩立新@379901003001", case_c},
      {"2025-03-25T08:00:00+08:00", "step_overdue", "王丽@379901001", case_d},
      {"2025-03-25T08:00:00+08:00", "step_reminder", "陈静@379901002", case_e},
      {"2025-03-27T08:00:00+08:00", "step_overdue", "郑海峰@379901001", case_d},
      // D's review shares the verification's window (issue 14 item 3), which ended 03-24: it
      // is overdue from the moment it starts. Of its ladder already due (at due: 柳树村's village
      // officer; 2 working days after: the township head) only the highest goes out: one notice
      // for a late start (docs/rules.md "A late start sends one overdue notice").
      {"2025-03-28T10:00:00+08:00", "step_overdue", "郑海峰@379901001", case_d},
      {"2025-04-01T08:00:00+08:00", "visit_overdue", "朱晓东@379901002001", case_b},
      {"2025-04-01T08:00:00+08:00", "monitoring_overdue", "朱晓东@379901002001", case_b},
      {"2025-04-01T08:00:00+08:00", "visit_overdue", "韩立新@379901003001", case_c},
      {"2025-04-01T08:00:00+08:00", "monitoring_overdue", "韩立新@379901003001", case_c},
      {"2025-04-02T08:00:00+08:00", "step_reminder", "吴秀兰@379901", case_d},
      // E registered Wed 04-02 11:00 with no officer: 西河镇's clerk and 杏花村's village officer
      // are told at once; its last day is Thu 04-03, so its rungs wait for Qingming (04-04..06):
      // Mon 04-07 (clerk), Tue 04-08 (西河镇's head), Thu 04-10 (county office).
      {"2025-04-02T11:00:00+08:00", "assignment_task", "陈静@379901002", case_e},
      {"2025-04-02T11:00:00+08:00", "assignment_task", "严国华@379901002002", case_e},
      {"2025-04-07T08:00:00+08:00", "visit_overdue", "冯志强@379901002", case_b},
      {"2025-04-07T08:00:00+08:00", "visit_overdue", "褚卫东@379901003", case_c},
      {"2025-04-07T08:00:00+08:00", "step_overdue", "吴秀兰@379901", case_d},
      {"2025-04-07T08:00:00+08:00", "assignment_overdue", "陈静@379901002", case_e},
      {"2025-04-08T08:00:00+08:00", "assignment_overdue", "冯志强@379901002", case_e},
      {"2025-04-09T08:00:00+08:00", "monitoring_overdue", "冯志强@379901002", case_b},
      {"2025-04-09T08:00:00+08:00", "monitoring_overdue", "褚卫东@379901003", case_c},
      {"2025-04-09T08:00:00+08:00", "step_overdue", "周建国@379901", case_d},
      {"2025-04-10T08:00:00+08:00", "assignment_overdue", "吴秀兰@379901", case_e},
      {"2025-04-14T08:00:00+08:00", "visit_overdue", "吴秀兰@379901", case_b},
      {"2025-04-14T08:00:00+08:00", "visit_overdue", "吴秀兰@379901", case_c},
  };
  std::vector<std::string> want, got;
  for (const Expected& x : expected) {
    want.push_back(std::string(x.at) + " " + x.type + " " + x.recipient + " case " +
                   std::to_string(x.case_id));
  }
  for (const OutboxRecord& m : sent) {
    got.push_back(format_time(m.created_at) + " " + m.message_type + " " + m.recipient + " case " +
                  std::to_string(m.case_id.value_or(0)));
  }
  EXPECT_EQ(got, want);

  // A recorded both visits and its monitoring: not one message about it.
  for (const OutboxRecord& m : sent) EXPECT_NE(m.case_id, case_a) << m.message_type;
  EXPECT_EQ(find_duty(s(), month_duty_key(kDutyVisits, case_a, 2025y / std::chrono::March))->state,
            DutyState::kDone);
  EXPECT_EQ(
      find_duty(s(), month_duty_key(kDutyMonitoring, case_a, 2025y / std::chrono::March))->state,
      DutyState::kDone);

  // The params the texts are made of.
  ASSERT_EQ(sent.size(), expected.size());
  EXPECT_EQ(param(sent[6], "recorded"), "1");
  EXPECT_EQ(param(sent[6], "required"), "2");
  EXPECT_EQ(param(sent[6], "month"), "2025年3月");  // issue 14 item 8: was "2025-03"
  EXPECT_EQ(param(sent[6], "due_date"), "2025-03-31");
  EXPECT_EQ(param(sent[6], "village"), "西河村");
  EXPECT_EQ(param(sent[7], "recorded"), "0");
  EXPECT_EQ(param(sent[7], "officer"), "");
  EXPECT_EQ(param(sent[9], "step"), "household_verification");
  EXPECT_EQ(param(sent[9], "due_date"), "2025-03-24");
  EXPECT_EQ(param(sent[9], "village"), "柳树村");
  EXPECT_EQ(param(sent[9], "township"), "东岭镇");
  EXPECT_EQ(param(sent[14], "rung"), "2");  // rung 1 of a ladder from 0: level 2 (issue 14)
  EXPECT_EQ(param(sent[15], "step"), "democratic_review");
  EXPECT_EQ(param(sent[15], "due_date"), "2025-03-24");
  EXPECT_EQ(param(sent[15], "rung"), "2");  // the late start sends its highest rung due: level 2
  EXPECT_EQ(param(sent[20], "step"), "county_review");
  EXPECT_EQ(param(sent[20], "due_date"), "2025-04-03");
  EXPECT_EQ(param(sent[32], "rung"), "3");  // rung 2 of a ladder from 0: level 3 (issue 14)
  EXPECT_EQ(param(sent[32], "days_overdue"), "14");  // 03-31 -> 04-14
  // C's assignment: its last day Mon 03-17, level 1 the next morning; E's county-office rung
  // (rung 2 of a ladder from 0: level 3) counts the days from its last day Thu 04-03.
  EXPECT_EQ(param(sent[4], "due_date"), "2025-03-17");
  EXPECT_EQ(param(sent[4], "rung"), "1");
  EXPECT_EQ(param(sent[4], "days_overdue"), "1");
  EXPECT_EQ(param(sent[31], "due_date"), "2025-04-03");
  EXPECT_EQ(param(sent[31], "rung"), "3");
  EXPECT_EQ(param(sent[31], "days_overdue"), "7");
}

// Issue 14 item 8, "what people read", in the example county: one late verification, one
// unfinished publicity and one assisted household in the villages the example used to leave
// without officers, read the way the clerk, the officer and their superiors read them.
//   [000] "镇扶贫办接贫困户申请或发现有致贫风险农户后5个工作日内开展入户调查": the fifth working
//   day is the last day; the message, the overdue list and the API all name it, and count days late
//   from it the same way (docs/api.md, Deadlines). The reminder "1 working day before" comes
//   the working day before that last day, not on it.
//   [000] "审核通过后，将名单在村内进行公示，公示期5天": the publicity's ladder starts one working
//   day after it is due, and its first rung still reads 第1级督办. [000]
//   "帮扶责任人要每月两次对所帮扶贫困户……进行走访，做好走访记录" and "对在各级检查中发现问题的帮扶
//   责任人、村将全镇通报": the officer is named in full; the month reads "2025年3月".
TEST_F(CountyMonth, WhatPeopleRead_OneDueDateOneCountLevelsFromOneNamedOfficers) {
  // F (柳树村) applies Mon 03-03; its verification is never done: 5 working days 03-04..03-07,
  // 03-10 make Mon 03-10 the last day, overdue from Tue 03-11 08:00.
  CaseWalk f = walk(at("2025-03-03T09:00"), "3799010010020002", kLiushu);
  const std::int64_t case_f = open(f);
  accept(f, case_f, f.start_verification());
  // G (柳树村) is registered by 03-13 with the village's assistance officer and records nothing.
  CaseWalk g = walk(at("2025-03-03T09:00"), "3799010010020003", kLiushu);
  const std::int64_t case_g = registered_case(g, "曹春燕");
  // H (杏花村) passes the county review on 03-06; its publicity is never closed.
  CaseWalk h = walk(at("2025-03-03T09:00"), "3799010020020002", kXinghua);
  const std::int64_t case_h = open(h);
  accept(h, case_h, h.start_verification());
  h.days(1);
  accept(h, case_h, h.eligible_verification());
  h.days(1);
  accept(h, case_h, h.review_pass());
  h.days(1);
  accept(h, case_h, h.county_pass());

  std::vector<OutboxRecord> sent;
  while (clock_.now() < at("2025-04-02T00:00")) {
    clock_.advance(1h);
    for (OutboxRecord& m : fire_all(clock_.now())) sent.push_back(std::move(m));
  }
  auto of = [&](std::int64_t id, const char* type) {
    std::vector<const OutboxRecord*> out;
    for (const OutboxRecord& m : sent) {
      if (m.case_id == id && m.message_type == type) out.push_back(&m);
    }
    return out;
  };
  auto text = [&](const OutboxRecord& m) {
    const boost::json::object o = boost::json::parse(m.body).as_object();
    std::map<std::string, std::string> params;
    for (const auto& [k, v] : o) {
      if (v.is_string()) params[std::string(k)] = std::string(v.as_string());
    }
    return render_message(m.message_type, params, config_->templates);
  };

  // F: the reminder on Fri 03-07, the working day before the last day.
  const auto reminders = of(case_f, "step_reminder");
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(format_time(reminders[0]->created_at), "2025-03-07T08:00:00+08:00");
  EXPECT_EQ(param(*reminders[0], "due_date"), "2025-03-10");

  // F late: every rung names the last day, counts from it and numbers its level from 1.
  struct Late {
    const char* at;
    const char* recipient;
    const char* level;
    const char* days;
  };
  const std::vector<Late> late{{"2025-03-11T08:00:00+08:00", "王丽@379901001", "1", "1"},
                               {"2025-03-13T08:00:00+08:00", "郑海峰@379901001", "2", "3"},
                               {"2025-03-18T08:00:00+08:00", "吴秀兰@379901", "3", "8"}};
  const auto overdue = of(case_f, "step_overdue");
  ASSERT_EQ(overdue.size(), late.size());
  std::optional<DutyRecord> step;
  for (const DutyRecord& d : case_duties(s(), case_f)) {
    if (d.kind == kDutyStep && d.subject == kStepHouseholdVerification) step = d;
  }
  ASSERT_TRUE(step);
  // What GET /api/v1/overdue shows of the same duty (daemon/api/duty_routes.cpp).
  const Date last_day = duty_last_day(*step, config_->rules, *calendar_);
  EXPECT_EQ(format_date(last_day), "2025-03-10");
  EXPECT_EQ(step->due_at, at("2025-03-11T08:00"));  // overdue_since
  for (std::size_t i = 0; i < late.size(); ++i) {
    const OutboxRecord& m = *overdue[i];
    EXPECT_EQ(format_time(m.created_at), late[i].at);
    EXPECT_EQ(m.recipient, late[i].recipient);
    EXPECT_EQ(param(m, "due_date"), "2025-03-10");
    EXPECT_EQ(param(m, "rung"), late[i].level);
    EXPECT_EQ(param(m, "days_overdue"), late[i].days);
    // The list at the same moment counts the same days.
    EXPECT_EQ(std::to_string(days_overdue(last_day, m.created_at)), late[i].days);
    EXPECT_NE(text(m).find("已于2025-03-10到期，现已逾期" + std::string(late[i].days) + "天（第" +
                           late[i].level + "级督办）"),
              std::string::npos)
        << text(m);
  }
  EXPECT_EQ(days_overdue(last_day, at("2025-03-20T09:00")), 10);

  // G: March's visits, to the village's own officer, named in full, the month in words.
  const auto visit = of(case_g, "visit_reminder");
  ASSERT_EQ(visit.size(), 1u);
  EXPECT_EQ(visit[0]->recipient, "曹春燕@379901001002");
  EXPECT_EQ(param(*visit[0], "officer"), "曹春燕");
  EXPECT_EQ(param(*visit[0], "month"), "2025年3月");
  const auto visit_late = of(case_g, "visit_overdue");
  ASSERT_FALSE(visit_late.empty());
  EXPECT_EQ(visit_late[0]->recipient, "曹春燕@379901001002");
  EXPECT_EQ(param(*visit_late[0], "rung"), "1");
  EXPECT_NE(text(*visit_late[0]).find("2025年3月走访0/2次，已逾期1天，请帮扶责任人曹春燕尽快入户"),
            std::string::npos)
      << text(*visit_late[0]);
  const auto monitoring = of(case_g, "monitoring_reminder");
  ASSERT_EQ(monitoring.size(), 1u);
  EXPECT_NE(text(*monitoring[0]).find("2025年3月"), std::string::npos) << text(*monitoring[0]);
  EXPECT_NE(text(*monitoring[0]).find("责任人：曹春燕"), std::string::npos) << text(*monitoring[0]);
  for (const OutboxRecord& m : sent) {
    EXPECT_EQ(text(m).find("-03月"), std::string::npos) << text(m);
    EXPECT_EQ(text(m).find("第0级"), std::string::npos) << text(m);
  }

  // G has its officer but no plan: [002] "对即时帮扶户要安排帮扶责任人，制定帮扶计划". 东岭镇's
  // clerk and 柳树村's village officer read what is missing and its last day (the working day
  // after registration, Mon 03-17); the clerk's first overdue notice is 第1级督办.
  const auto assignment = of(case_g, "assignment_task");
  ASSERT_EQ(assignment.size(), 2u);
  EXPECT_EQ(assignment[0]->recipient, "王丽@379901001");
  EXPECT_EQ(assignment[1]->recipient, "孔德明@379901001002");
  EXPECT_NE(text(*assignment[0]).find("请于2025-03-17前制定帮扶计划"), std::string::npos)
      << text(*assignment[0]);
  const auto assignment_late = of(case_g, "assignment_overdue");
  ASSERT_FALSE(assignment_late.empty());
  EXPECT_EQ(assignment_late[0]->recipient, "王丽@379901001");
  EXPECT_NE(text(*assignment_late[0]).find("已于2025-03-17到期，现已逾期1天（第1级督办）"),
            std::string::npos)
      << text(*assignment_late[0]);

  // H: the publicity's first rung (1 working day after due) reaches 杏花村's village officer as
  // 第1级督办, the same level every other ladder starts at.
  const auto publicity = of(case_h, "step_overdue");
  ASSERT_FALSE(publicity.empty());
  EXPECT_EQ(param(*publicity[0], "step"), kStepVillagePublicity);
  EXPECT_EQ(publicity[0]->recipient, "严国华@379901002002");
  EXPECT_EQ(param(*publicity[0], "rung"), "1");

  // Every village of the example has its officers: --check-config has nothing to say. Without
  // 柳树村's village officer it names the place and who receives the rungs instead.
  EXPECT_EQ(config_warnings(*config_), std::vector<std::string>{});
  Config without = *config_;
  std::erase_if(without.people, [](const Person& p) { return p.name == "孔德明"; });
  const std::vector<std::string> warnings = config_warnings(without);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("柳树村（379901001002）没有village_officer"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find("郑海峰（township_head）"), std::string::npos) << warnings[0];
}

}  // namespace
}  // namespace fangfan
