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
#include "tests/support/people.h"
#include "tests/workflows/case_fixture.h"
#include "workflows/date.h"
#include "workflows/duties.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::at;
using testing::CaseWalk;
using testing::PeopleGenerator;

// The example county's places and assistance officers (config/example.toml).
constexpr const char* kDongling = "379901001001";  // 东岭村, 东岭镇
constexpr const char* kLiushu = "379901001002";    // 柳树村, 东岭镇 (no village officer)
constexpr const char* kXihe = "379901002001";      // 西河村, 西河镇
constexpr const char* kXinghua = "379901002002";   // 杏花村, 西河镇 (no village officer)
constexpr const char* kNanshan = "379901003001";   // 南山村, 南山乡

std::shared_ptr<const Config> example_config() {
  ConfigResult r = load_config(FANGFAN_SOURCE_DIR "/config/example.toml");
  if (const auto* errors = std::get_if<std::vector<ConfigError>>(&r)) {
    for (const ConfigError& e : *errors) ADD_FAILURE() << e.to_string();
    return nullptr;
  }
  return std::get<std::shared_ptr<const Config>>(r);
}

std::shared_ptr<const WorkingDayCalendar> shipped_calendar() {
  CalendarLoad load = load_calendar_dir(FANGFAN_SOURCE_DIR "/config/calendar");
  EXPECT_TRUE(load.calendar.has_value());
  return load.calendar ? std::make_shared<const WorkingDayCalendar>(*load.calendar) : nullptr;
}

fs::path fresh_temp_dir() {
  static std::atomic<int> counter{0};
  const fs::path dir =
      fs::temp_directory_path() /
      ("fangfan-county-month-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::int64_t next_case_id(soci::session& s) {
  long long max_id = 0;
  soci::indicator ind = soci::i_null;
  s << "SELECT MAX(id) FROM cases", soci::into(max_id, ind);
  return ind == soci::i_ok ? max_id + 1 : 1;
}

std::string param(const OutboxRecord& m, const char* key) {
  const boost::json::value v = boost::json::parse(m.body);
  const boost::json::value* p = v.as_object().if_contains(key);
  return p != nullptr && p->is_string() ? std::string(p->as_string()) : "<missing>";
}

class CountyMonth : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(config_ != nullptr);
    ASSERT_TRUE(calendar_ != nullptr);
    dir_ = fresh_temp_dir();
    db_.emplace(Database::open("sqlite3://" + (dir_ / "fangfan.db").string()));
    migrate(*db_, at("2025-01-01T00:00"));
    session_ = db_->open_session();
    repo_.emplace(*session_, *config_, clock_);
    repo_->set_change_hook(make_timer_hook(config_, calendar_));
  }

  void TearDown() override {
    repo_.reset();
    session_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  soci::session& s() { return *session_; }

  CaseWalk walk(TimePoint start, const std::string& household_code, const char* village) {
    PeopleGenerator people(std::hash<std::string>{}(household_code));
    return CaseWalk(config_->rules, format_case_id(next_case_id(s())), "marginal",
                    people.household(household_code, village, 3), start);
  }

  std::int64_t open(CaseWalk& w) {
    const OpenCase e = w.open_event();
    w.ok(e);
    const OpenResult r = repo_->open_case(e);
    const auto* change = std::get_if<CaseChange>(&r);
    if (change == nullptr) {
      ADD_FAILURE() << "open refused: " << std::get<Refusal>(r).message;
      return 0;
    }
    return change->case_id;
  }

  void accept(CaseWalk& w, std::int64_t id, const CaseEvent& e) {
    w.ok(e);
    const ApplyResult r = repo_->apply(id, e);
    EXPECT_TRUE(std::holds_alternative<CaseChange>(r)) << event_name(e) << " not stored";
  }

  // Moves the walk to `t` (a whole number of hours ahead) before its next event.
  static void walk_to(CaseWalk& w, TimePoint t) { w.hours(static_cast<int>((t - w.now()) / 1h)); }

  // Opens a case on Mon 2025-03-03 09:00 and takes it through recognition before any of its
  // step reminders (registered on 2025-03-13 around 10:00), so the only timers it leaves are
  // March's visits and monitoring.
  std::int64_t registered_case(CaseWalk& w, const char* officer) {
    const std::int64_t id = open(w);
    accept(w, id, w.start_verification());
    w.days(2);
    accept(w, id, w.eligible_verification());
    w.days(1);
    accept(w, id, w.review_pass());
    w.days(2);
    accept(w, id, w.county_pass());
    w.days(5);
    accept(w, id, w.close_publicity());
    EXPECT_EQ(w.state(), "registered");
    if (officer != nullptr) accept(w, id, w.assign_officer(officer));
    return id;
  }

  std::vector<OutboxRecord> fire_all(TimePoint now) {
    std::vector<OutboxRecord> out;
    int fired = 0;
    while (auto f = fire_next_due_timer(s(), *config_, *calendar_, now)) {
      for (std::int64_t id : f->outbox_ids) out.push_back(*load_outbox(s(), id));
      if (++fired > 1000) break;
    }
    return out;
  }

  std::shared_ptr<const Config> config_ = example_config();
  std::shared_ptr<const WorkingDayCalendar> calendar_ = shipped_calendar();
  SimulatedClock clock_{at("2025-03-03T08:00")};
  fs::path dir_;
  std::optional<Database> db_;
  std::unique_ptr<soci::session> session_;
  std::optional<CaseRepository> repo_;
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
