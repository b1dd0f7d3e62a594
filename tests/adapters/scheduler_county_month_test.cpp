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
#include "workflows/duties.h"

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
  // Assisted from 03-13: A (东岭村, officer 杨帆) makes both visits (03-17, 03-19, before
  // reminder_day) and the monitoring record;
  // B (西河村, officer 朱晓东) one visit, no record; C (南山村, no officer assigned) nothing.
  CaseWalk a = walk(at("2025-03-03T09:00"), "3799010010010001", kDongling);
  const std::int64_t case_a = registered_case(a, "杨帆");
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
      {at("2025-03-27T10:00"),
       [&] {
         walk_to(e, at("2025-03-27T10:00"));
         accept(e, case_e, e.review_pass());
       }},
      {at("2025-03-28T10:00"),
       [&] {
         walk_to(e, at("2025-03-28T10:00"));
         accept(e, case_e, e.county_pass());
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
         // E's publicity (5 calendar days from 03-28) is over: E is registered and assisted
         // from April (its April reminder, 04-21, is after this run).
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
  // D's verification: reminder 1 working day before due (Mon 03-24) to the owner (township
  // clerk); rungs at due (Tue 03-25, township clerk) and 2 working days after (Thu 03-27,
  // township head); the 5-day rung (04-01, county office) is cancelled by the verification.
  // D's county review: reminder 1 working day before Mon 04-07 08:00 = Thu 04-03 (the owner,
  // county office); rungs at due (04-07, county office) and 2 working days after (Wed 04-09,
  // county admin).
  // E's verification: reminder Wed 03-26 08:00 to 西河镇's clerk; nothing after.
  const std::vector<Expected> expected{
      {"2025-03-20T08:00:00+08:00", "visit_reminder", "朱晓东@379901002001", case_b},
      {"2025-03-20T08:00:00+08:00", "visit_reminder", "韩立新@379901003001", case_c},
      {"2025-03-24T08:00:00+08:00", "step_reminder", "王丽@379901001", case_d},
      {"2025-03-25T08:00:00+08:00", "monitoring_reminder", "朱晓东@379901002001", case_b},
      {"2025-03-25T08:00:00+08:00", "monitoring_reminder", "韩立新@379901003001", case_c},
      {"2025-03-25T08:00:00+08:00", "step_overdue", "王丽@379901001", case_d},
      {"2025-03-26T08:00:00+08:00", "step_reminder", "陈静@379901002", case_e},
      {"2025-03-27T08:00:00+08:00", "step_overdue", "郑海峰@379901001", case_d},
      {"2025-04-01T08:00:00+08:00", "visit_overdue", "朱晓东@379901002001", case_b},
      {"2025-04-01T08:00:00+08:00", "monitoring_overdue", "朱晓东@379901002001", case_b},
      {"2025-04-01T08:00:00+08:00", "visit_overdue", "韩立新@379901003001", case_c},
      {"2025-04-01T08:00:00+08:00", "monitoring_overdue", "韩立新@379901003001", case_c},
      {"2025-04-03T08:00:00+08:00", "step_reminder", "吴秀兰@379901", case_d},
      {"2025-04-07T08:00:00+08:00", "visit_overdue", "冯志强@379901002", case_b},
      {"2025-04-07T08:00:00+08:00", "visit_overdue", "褚卫东@379901003", case_c},
      {"2025-04-07T08:00:00+08:00", "step_overdue", "吴秀兰@379901", case_d},
      {"2025-04-09T08:00:00+08:00", "monitoring_overdue", "冯志强@379901002", case_b},
      {"2025-04-09T08:00:00+08:00", "monitoring_overdue", "褚卫东@379901003", case_c},
      {"2025-04-09T08:00:00+08:00", "step_overdue", "周建国@379901", case_d},
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
  EXPECT_EQ(param(sent[0], "recorded"), "1");
  EXPECT_EQ(param(sent[0], "required"), "2");
  EXPECT_EQ(param(sent[0], "month"), "2025-03");
  EXPECT_EQ(param(sent[0], "due_date"), "2025-03-31");
  EXPECT_EQ(param(sent[0], "village"), "西河村");
  EXPECT_EQ(param(sent[1], "recorded"), "0");
  EXPECT_EQ(param(sent[1], "officer"), "");
  EXPECT_EQ(param(sent[2], "step"), "household_verification");
  EXPECT_EQ(param(sent[2], "due_date"), "2025-03-24");
  EXPECT_EQ(param(sent[2], "village"), "柳树村");
  EXPECT_EQ(param(sent[2], "township"), "东岭镇");
  EXPECT_EQ(param(sent[7], "rung"), "1");
  EXPECT_EQ(param(sent[12], "step"), "county_review");
  EXPECT_EQ(param(sent[12], "due_date"), "2025-04-03");
  EXPECT_EQ(param(sent[19], "rung"), "2");
  EXPECT_EQ(param(sent[19], "days_overdue"), "14");  // 03-31 -> 04-14
}

}  // namespace
}  // namespace fangfan
