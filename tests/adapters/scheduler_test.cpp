// Deadlines in storage (adapters/scheduler/timer_firing.h, adapters/storage/duty_store.h), one
// suite run unchanged on SQLite and on PostgreSQL: duties and timers made and cancelled in the
// case transaction, exactly-once firing, recipients by role and scope, visits clearing their
// reminders, recurring work seeding, and a simulated month of one case checked message by message.
//
// CMake compiles this file once per backend (FANGFAN_SCHEDULER_TEST_SQLITE=1 or
// FANGFAN_SCHEDULER_TEST_POSTGRESQL=1); with neither, both run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "adapters/calendar/calendar_files.h"
#include "adapters/scheduler/bulk_opening.h"
#include "adapters/scheduler/deadline_batch.h"
#include "adapters/scheduler/duty_writer.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/storage/campaign_store.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_store.h"
#include "tests/adapters/stored_walk.h"
#include "tests/adapters/test_case_writer.h"
#include "tests/support/people.h"
#include "tests/support/pg_server.h"
#include "tests/workflows/case_fixture.h"
#include "workflows/date.h"
#include "workflows/duties.h"
#include "workflows/feeds.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::PgTestServer;
using test::ScratchPgDatabase;
using testing::at;
using testing::CaseWalk;

enum class Backend { kSqlite, kPostgresql };

constexpr const char* kTownship = "370102001";
constexpr const char* kOtherTownship = "370102002";
constexpr const char* kVillage = "370102001001";
constexpr const char* kOtherVillage = "370102002001";
constexpr const char* kOfficer = "赵帮扶";

Person person(std::string name, Role role, std::string scope) {
  Person p;
  p.name = std::move(name);
  p.role = role;
  p.scope = std::move(scope);
  p.channels = {"file"};
  return p;
}

std::shared_ptr<Config> test_config() {
  auto c = std::make_shared<Config>();
  c->county = {"370102", "历下区", "山东省"};
  c->townships = {{kTownship, "解放路街道"}, {kOtherTownship, "千佛山街道"}};
  c->villages = {{kVillage, "东村", kTownship}, {kOtherVillage, "南村", kOtherTownship}};
  c->rules = testing::test_rules();
  ProgramRules& r = c->rules;
  r.deadlines[kStepHouseholdVerification] = {
      5,
      DayUnit::kWorkingDays,
      1,
      {{0, "township_clerk"}, {2, "township_head"}, {5, "county_office"}}};
  r.deadlines[kStepDemocraticReview] = {
      5, DayUnit::kWorkingDays, 1, {{0, "village_officer"}, {2, "township_head"}}};
  r.deadlines[kStepCountyReview] = {
      3, DayUnit::kWorkingDays, 1, {{0, "county_office"}, {2, "county_admin"}}};
  r.visits = {2, 20, {{0, "assistance_officer"}, {3, "township_head"}}};
  r.monitoring = {1, 25, {{0, "assistance_officer"}}};
  c->people = {
      person("管理员钱", Role::kCountyAdmin, "370102"),
      person("县办刘", Role::kCountyOffice, "370102"),
      person("镇长孙", Role::kTownshipHead, kTownship),
      person("镇长周", Role::kTownshipHead, kOtherTownship),
      person("镇办李", Role::kTownshipClerk, kTownship),
      person("镇办吴", Role::kTownshipClerk, kOtherTownship),
      person("村官王", Role::kVillageOfficer, kVillage),
      person("村官陈", Role::kVillageOfficer, kOtherVillage),
      person(kOfficer, Role::kAssistanceOfficer, kVillage),
      person("帮扶郑", Role::kAssistanceOfficer, kOtherVillage),
  };
  return c;
}

std::shared_ptr<const WorkingDayCalendar> shipped_calendar() {
  static const auto calendar = [] {
    CalendarLoad load = load_calendar_dir(FANGFAN_SOURCE_DIR "/config/calendar");
    EXPECT_TRUE(load.calendar.has_value());
    return std::make_shared<const WorkingDayCalendar>(*load.calendar);
  }();
  return calendar;
}

fs::path fresh_temp_dir() {
  static std::atomic<int> counter{0};
  const fs::path dir =
      fs::temp_directory_path() /
      ("fangfan-scheduler-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

long long count(soci::session& s, const std::string& sql) {
  long long n = -1;
  s << sql, soci::into(n);
  return n;
}

// A pending timer as "<kind> <step> <rung> <due China time>".
std::vector<std::string> pending_timers(soci::session& s) {
  std::vector<std::string> out;
  soci::rowset<soci::row> rows =
      (s.prepare << "SELECT kind, step, rung, due_at FROM timers WHERE state = 'pending'"
                    " ORDER BY due_at, id");
  for (const soci::row& row : rows) {
    out.push_back(row.get<std::string>(0) + " " + row.get<std::string>(1) + " " +
                  std::to_string(row.get<int>(2)) + " " +
                  format_time(TimePoint{std::chrono::seconds{row.get<long long>(3)}}));
  }
  return out;
}

std::string param(const OutboxRecord& m, const char* key) {
  const boost::json::value v = boost::json::parse(m.body);
  const boost::json::value* p = v.as_object().if_contains(key);
  return p != nullptr && p->is_string() ? std::string(p->as_string()) : "<missing>";
}

// "<created China time> <type> <recipient>".
std::string line(const OutboxRecord& m) {
  return format_time(m.created_at) + " " + m.message_type + " " + m.recipient;
}

class SchedulerConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      dir_ = fresh_temp_dir();
      url_ = "sqlite3://" + (dir_ / "fangfan.db").string();
    } else {
      const PgTestServer& pg = test::pg_test_server();
      if (pg.status == PgTestServer::Status::kAbsent) GTEST_SKIP() << pg.reason;
      ASSERT_EQ(pg.status, PgTestServer::Status::kReady) << pg.reason;
      scratch_.emplace(pg);
      url_ = scratch_->url();
    }
    db_.emplace(Database::open(url_));
    migrate(*db_, at("2025-01-01T00:00"));
    session_ = db_->open_session();
    make_repository(make_timer_hook(config_, calendar_));
  }

  void TearDown() override {
    repo_.reset();
    session_.reset();
    db_.reset();
    scratch_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  void make_repository(CaseChangeHook hook) {
    repo_.emplace(*session_, *config_, clock_, std::move(hook));
  }

  soci::session& s() { return *session_; }

  CaseWalk walk(TimePoint start, std::string household_code = "3701020010010001",
                const char* village = kVillage) {
    return test::stored_walk(s(), *config_, start, household_code, village);
  }

  std::int64_t open(CaseWalk& w) { return test::open_stored(*repo_, w); }

  void accept(CaseWalk& w, std::int64_t id, const CaseEvent& e) {
    test::accept_stored(*repo_, w, id, e);
  }

  // Opens a case at 2025-09-29 09:00 and takes it through recognition (registered on 2025-10-09
  // around 10:00), with its assistance officer assigned.
  std::int64_t registered_case(CaseWalk& w, bool assign = true) {
    const std::int64_t id = open(w);
    accept(w, id, w.start_verification());
    w.days(2);
    accept(w, id, w.eligible_verification());
    w.days(1);
    accept(w, id, w.review_pass());
    w.days(2);
    accept(w, id, w.county_pass());
    w.days(6);
    accept(w, id, w.close_publicity());
    EXPECT_EQ(w.state(), "registered");
    if (assign) accept(w, id, w.assign_officer(kOfficer));
    return id;
  }

  // Fires everything due at `now`.
  std::vector<FiredTimer> fire_all(TimePoint now) {
    std::vector<FiredTimer> fired;
    while (auto f = fire_next_due_timer(s(), *config_, *calendar_, now)) {
      fired.push_back(std::move(*f));
      if (fired.size() > 1000) break;
    }
    return fired;
  }

  std::vector<OutboxRecord> messages(const std::vector<FiredTimer>& fired) {
    std::vector<OutboxRecord> out;
    for (const FiredTimer& f : fired) {
      for (std::int64_t id : f.outbox_ids) out.push_back(*load_outbox(s(), id));
    }
    return out;
  }

  std::vector<std::string> lines(const std::vector<OutboxRecord>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms) out.push_back(line(m));
    return out;
  }

  std::shared_ptr<Config> config_ = test_config();
  std::shared_ptr<const WorkingDayCalendar> calendar_ = shipped_calendar();
  SimulatedClock clock_{at("2025-09-29T09:00")};
  std::string url_;
  fs::path dir_;
  std::optional<ScratchPgDatabase> scratch_;
  std::optional<Database> db_;
  std::unique_ptr<soci::session> session_;
  std::optional<test::StoredCases> repo_;
};

// ---- the hook

TEST_P(SchedulerConformance, Hook_StepTimersAreMadeAndCancelledWithTheChange) {
  CaseWalk w = walk(at("2025-09-30T15:50"));
  const std::int64_t id = open(w);  // 16:00; 5 working days across the National Day week

  const std::optional<DutyRecord> duty =
      find_duty(s(), step_duty_key(id, kStepHouseholdVerification, 1));
  ASSERT_TRUE(duty.has_value());
  EXPECT_EQ(duty->state, DutyState::kOpen);
  EXPECT_EQ(duty->kind, "step");
  EXPECT_EQ(duty->owner_role, "township_clerk");
  EXPECT_EQ(duty->township_code, kTownship);
  EXPECT_EQ(duty->village_code, kVillage);
  EXPECT_EQ(duty->due_at, at("2025-10-15T08:00"));
  EXPECT_EQ(
      pending_timers(s()),
      // The reminder 1 working day before the last day 10-14 (issue 14 item 8: was 10-14).
      (std::vector<std::string>{"reminder household_verification 0 2025-10-13T08:00:00+08:00",
                                "due household_verification 0 2025-10-15T08:00:00+08:00",
                                "escalation household_verification 1 2025-10-17T08:00:00+08:00",
                                "escalation household_verification 2 2025-10-22T08:00:00+08:00"}));

  accept(w, id, w.start_verification());  // same step: nothing changes
  EXPECT_EQ(pending_timers(s()).size(), 4u);

  w.days(2);
  accept(w, id, w.eligible_verification());  // 10-02: on to the democratic review
  EXPECT_EQ(find_duty(s(), duty->duty_key)->state, DutyState::kDone);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM timers WHERE state = 'cancelled'"), 4);
  EXPECT_EQ(pending_timers(s()),
            (std::vector<std::string>{"reminder democratic_review 0 2025-10-13T08:00:00+08:00",
                                      "due democratic_review 0 2025-10-15T08:00:00+08:00",
                                      "escalation democratic_review 1 2025-10-17T08:00:00+08:00"}));
  EXPECT_TRUE(find_duty(s(), step_duty_key(id, kStepDemocraticReview, 3)).has_value());
}

TEST_P(SchedulerConformance, Hook_RolledBackChangeLeavesNoDutiesOrTimers) {
  CaseChangeHook timers = make_timer_hook(config_, calendar_);
  make_repository([timers](soci::session& session, const CaseChange& change) {
    timers(session, change);
    EXPECT_GT(count(session, "SELECT COUNT(*) FROM timers"), 0);  // made, inside the transaction
    throw std::runtime_error("a later step of the same change failed");
  });
  CaseWalk w = walk(at("2025-09-30T15:50"));
  EXPECT_THROW(repo_->open_case(w.open_event()), std::runtime_error);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM cases"), 0);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM duties"), 0);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM timers"), 0);
}

TEST_P(SchedulerConformance, Hook_MissingCalendarYearRefusesTheChangeWithTheCalendarsSentence) {
  CaseWalk w = walk(at("2026-12-28T09:00"));  // 5 working days reach 2027: no data
  try {
    repo_->open_case(w.open_event());
    ADD_FAILURE() << "the case was opened without its deadline";
  } catch (const ScheduleError& e) {
    EXPECT_EQ(e.missing_year(), 2027);
    EXPECT_EQ(std::string(e.what()), missing_year_message(2027));
  }
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM cases"), 0);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM timers"), 0);
}

// ---- firing

// ---- the hook's batch form (deadline_batch.h): many cases in one transaction

// Every column of every row of `table`, in id order, as text.
// Every row of `table` as text, in `order`; without its first column (the id) when !with_id.
std::vector<std::string> table_rows(soci::session& s, const std::string& table,
                                    const std::string& order = "id", bool with_id = true) {
  std::vector<std::string> out;
  soci::rowset<soci::row> rows = (s.prepare << "SELECT * FROM " + table + " ORDER BY " + order);
  for (const soci::row& row : rows) {
    std::string line;
    for (std::size_t c = with_id ? 0 : 1; c < row.size(); ++c) {
      line += c == (with_id ? 0u : 1u) ? "" : " | ";
      if (row.get_indicator(c) == soci::i_null) {
        line += "NULL";
        continue;
      }
      switch (row.get_properties(c).get_data_type()) {
        case soci::dt_string:
          line += row.get<std::string>(c);
          break;
        case soci::dt_integer:
          line += std::to_string(row.get<int>(c));
          break;
        case soci::dt_long_long:
          line += std::to_string(row.get<long long>(c));
          break;
        case soci::dt_unsigned_long_long:
          line += std::to_string(row.get<unsigned long long>(c));
          break;
        case soci::dt_double:
          line += std::to_string(row.get<double>(c));
          break;
        default:
          line += "<column type>";
      }
    }
    out.push_back(std::move(line));
  }
  return out;
}

// One step of a scenario: case `which` (0, 1, ...) takes `event` (nullptr: it opens).
struct BatchStep {
  int which = 0;
  CaseEvent (*event)(testing::CaseWalk&) = nullptr;
};
struct BatchScenario {
  const char* name;
  int cases;
  std::vector<BatchStep> steps;
  bool held_at_end = false;  // openings still held when the last change was added
};

CaseEvent start(testing::CaseWalk& w) { return w.start_verification(); }
CaseEvent eligible(testing::CaseWalk& w) {
  w.days(2);
  return w.eligible_verification();
}
CaseEvent review(testing::CaseWalk& w) {
  w.days(1);
  return w.review_pass();
}
CaseEvent county(testing::CaseWalk& w) {
  w.days(2);
  return w.county_pass();
}
CaseEvent publicity(testing::CaseWalk& w) {
  w.days(6);
  return w.close_publicity();
}
CaseEvent officer(testing::CaseWalk& w) { return w.assign_officer(kOfficer); }

// A second database of the fixture's backend, migrated like the first.
struct SecondDatabase {
  explicit SecondDatabase(Backend backend) {
    if (backend == Backend::kSqlite) {
      dir = fresh_temp_dir();
      url = "sqlite3://" + (dir / "fangfan.db").string();
    } else {
      scratch.emplace(test::pg_test_server());
      url = scratch->url();
    }
    db.emplace(Database::open(url));
    migrate(*db, at("2025-01-01T00:00"));
    session = db->open_session();
  }
  ~SecondDatabase() {
    session.reset();
    db.reset();
    scratch.reset();
    if (!dir.empty()) fs::remove_all(dir);
  }
  fs::path dir;
  std::string url;
  std::optional<ScratchPgDatabase> scratch;
  std::optional<Database> db;
  std::unique_ptr<soci::session> session;
};

// The changes of `scenario` stored (no deadlines written), as the hook would be given them.
std::vector<CaseChange> store_scenario(soci::session& session, const Config& config,
                                       SimulatedClock& clock, const BatchScenario& scenario) {
  std::vector<CaseChange> changes;
  test::StoredCases cases(session, config, clock,
                          [&](soci::session&, const CaseChange& c) { changes.push_back(c); });
  std::vector<CaseWalk> walks;
  std::vector<std::int64_t> ids(static_cast<std::size_t>(scenario.cases));
  for (int i = 0; i < scenario.cases; ++i) {
    walks.push_back(test::stored_walk(session, config, at("2025-09-29T09:00"),
                                      "370102001001" + std::to_string(1000 + i), kVillage));
  }
  for (const BatchStep& step : scenario.steps) {
    CaseWalk& w = walks[static_cast<std::size_t>(step.which)];
    if (step.event == nullptr) {
      ids[static_cast<std::size_t>(step.which)] = test::open_stored(cases, w);
    } else {
      test::accept_stored(cases, w, ids[static_cast<std::size_t>(step.which)], step.event(w));
    }
  }
  return changes;
}

// Scenarios of both batch forms: a case's second change reads its held duties; a step's end
// closes a duty (written at once, after what is held).
void append_stepped_scenarios(std::vector<BatchScenario>& scenarios) {
  const std::vector<BatchScenario> stepped = {
      {"interleaved steps",
       3,
       {{0}, {1}, {2}, {0, start}, {1, start}, {2, start}, {0, eligible}, {1, eligible}}},
      {"registered with an officer",
       2,
       {{0},
        {1},
        {0, start},
        {1, start},
        {0, eligible},
        {0, review},
        {0, county},
        {0, publicity},
        {0, officer},
        {1, eligible}}},
  };
  scenarios.insert(scenarios.end(), stepped.begin(), stepped.end());
}

TEST_P(SchedulerConformance, DeadlineBatch_WritesTheRowsOfTheHookRunForEachCaseInTurn) {
  std::vector<BatchScenario> scenarios = {
      {"openings", 5, {{0}, {1}, {2}, {3}, {4}}, true},
      {"started one after another", 3, {{0}, {0, start}, {1}, {1, start}, {2}, {2, start}}},
  };
  append_stepped_scenarios(scenarios);
  for (const BatchScenario& scenario : scenarios) {
    SCOPED_TRACE(scenario.name);
    SecondDatabase one(GetParam()), batch(GetParam());
    // The same changes stored in both (no deadlines yet), then the hook for each in turn on one
    // and the batch on the other, each in one transaction.
    const std::vector<CaseChange> changes =
        store_scenario(*one.session, *config_, clock_, scenario);
    ASSERT_EQ(store_scenario(*batch.session, *config_, clock_, scenario).size(), changes.size());
    {
      WriteTransaction tx(*one.session);
      const CaseChangeHook hook = make_timer_hook(config_, calendar_);
      for (const CaseChange& c : changes) hook(*one.session, c);
      tx.commit();
    }
    {
      WriteTransaction tx(*batch.session);
      DeadlineBatch deadlines(config_, calendar_);
      for (const CaseChange& c : changes) deadlines.add(*batch.session, c);
      EXPECT_EQ(deadlines.held() > 0, scenario.held_at_end);
      deadlines.flush(*batch.session);
      EXPECT_EQ(deadlines.held(), 0u);
      tx.commit();
    }
    for (const char* table : {"duties", "timers", "cases", "outbox"}) {
      SCOPED_TRACE(table);
      // The batch stores a bulk call's timers in due order (timer_batch.h schedule_new_timers),
      // so their ids are not the hook's case by case: what must be the same is every timer and
      // the order they fire in (due time, then id).
      const bool timers = std::string(table) == "timers";
      const std::string order = timers ? "due_at, due_ms, id" : "id";
      const std::vector<std::string> rows = table_rows(*one.session, table, order, !timers);
      if (std::string(table) != "outbox") {
        EXPECT_FALSE(rows.empty());
      }
      EXPECT_EQ(table_rows(*batch.session, table, order, !timers), rows);
    }
  }
}

// Bulk opening (bulk_opening.h) plans on a thread of its own and writes in batches of kChunk:
// the rows, timer ids included, are DeadlineBatch's (itself checked against the hook above),
// over chunk boundaries, changes of a case waiting in the planner, and one BulkOpening reused
// for several transactions (each scenario's).
TEST_P(SchedulerConformance, BulkOpening_WritesTheRowsOfDeadlineBatch) {
  std::vector<BatchScenario> scenarios = {{"openings", 5, {{0}, {1}, {2}, {3}, {4}}}};
  append_stepped_scenarios(scenarios);
  // Case 0's steps (each written at once) while case 1's openings are held: what is held is
  // written first.
  scenarios.push_back(
      {"a step of one case while another's openings are held",
       2,
       {{0}, {0, start}, {1}, {1, start}, {0, eligible}, {0, review}, {1, eligible}}});
  const int many = static_cast<int>(BulkOpening::kChunk) + 6;
  BatchScenario chunks{"more than a chunk, then each started", many, {}};
  BatchScenario each{"each opened and started at once", many, {}};
  for (int i = 0; i < many; ++i) chunks.steps.push_back({i});
  for (int i = 0; i < many; ++i) chunks.steps.push_back({i, start});
  chunks.steps.push_back({3, eligible});
  for (int i = 0; i < many; ++i) {
    each.steps.push_back({i});
    each.steps.push_back({i, start});
  }
  scenarios.push_back(chunks);
  scenarios.push_back(each);
  BulkOpening bulk(config_, calendar_);
  for (const BatchScenario& scenario : scenarios) {
    SCOPED_TRACE(scenario.name);
    SecondDatabase batch(GetParam()), pipelined(GetParam());
    const std::vector<CaseChange> changes =
        store_scenario(*batch.session, *config_, clock_, scenario);
    ASSERT_EQ(store_scenario(*pipelined.session, *config_, clock_, scenario).size(),
              changes.size());
    {
      WriteTransaction tx(*batch.session);
      DeadlineBatch deadlines(config_, calendar_);
      for (const CaseChange& c : changes) deadlines.add(*batch.session, c);
      deadlines.flush(*batch.session);
      tx.commit();
    }
    const int before = count(*pipelined.session, "SELECT COUNT(*) FROM timers");
    {
      WriteTransaction tx(*pipelined.session);
      for (const CaseChange& c : changes) bulk.add(*pipelined.session, c);
      const int scheduled = bulk.flush(*pipelined.session);
      EXPECT_EQ(scheduled, count(*pipelined.session, "SELECT COUNT(*) FROM timers") - before);
      tx.commit();
    }
    for (const char* table : {"duties", "timers", "cases", "outbox"}) {
      SCOPED_TRACE(table);
      const std::vector<std::string> rows = table_rows(*batch.session, table);
      if (std::string(table) != "outbox") {
        EXPECT_FALSE(rows.empty());
      }
      EXPECT_EQ(table_rows(*pipelined.session, table), rows);
    }
  }
}

// A refused plan (a calendar year missing) surfaces when its turn to be written comes, the
// transaction rolls back, and after discard() the same BulkOpening writes the next one whole.
TEST_P(SchedulerConformance, BulkOpening_RefusalSurfacesAndDiscardLeavesNothingForTheNext) {
  SecondDatabase db(GetParam());
  soci::session& session = *db.session;
  std::vector<CaseChange> changes;
  {
    test::StoredCases cases(session, *config_, clock_,
                            [&](soci::session&, const CaseChange& c) { changes.push_back(c); });
    CaseWalk fine =
        test::stored_walk(session, *config_, at("2025-09-29T09:00"), "3701020010011000", kVillage);
    CaseWalk late = test::stored_walk(session, *config_, at("2026-12-28T09:00"), "3701020010011001",
                                      kVillage);  // reaches 2027: no data
    test::open_stored(cases, fine);
    test::open_stored(cases, late);
  }
  ASSERT_EQ(changes.size(), 2u);
  BulkOpening bulk(config_, calendar_);
  try {
    WriteTransaction tx(session);
    bulk.add(session, changes[0]);
    bulk.add(session, changes[1]);
    bulk.flush(session);
    ADD_FAILURE() << "the refused change was written";
  } catch (const ScheduleError& e) {
    EXPECT_EQ(e.missing_year(), 2027);
  }
  bulk.discard();
  EXPECT_EQ(count(session, "SELECT COUNT(*) FROM timers"), 0);
  int scheduled = 0;
  {
    WriteTransaction tx(session);
    bulk.add(session, changes[0]);
    scheduled = bulk.flush(session);
    tx.commit();
  }
  EXPECT_GT(scheduled, 0);
  EXPECT_EQ(count(session, "SELECT COUNT(*) FROM timers"), scheduled);
  EXPECT_EQ(count(session, "SELECT COUNT(*) FROM duties WHERE case_id = " +
                               std::to_string(changes[1].case_id)),
            0);
}

// A firing batch's follow-ups (the next month's duties and their timers) are held and written
// at the pass's end (duty_writer.h DutySink): the same rows, and the same counts, as firing the
// timers one by one.
TEST_P(SchedulerConformance, Batch_FollowUpsHeldToThePassesEndAreTheRowsOfOneByOneFiring) {
  SecondDatabase one(GetParam()), batch(GetParam());
  for (soci::session* session : {one.session.get(), batch.session.get()}) {
    test::StoredCases cases(*session, *config_, clock_, make_timer_hook(config_, calendar_));
    for (int i = 0; i < 3; ++i) {
      CaseWalk w = test::stored_walk(*session, *config_, at("2025-09-29T09:00"),
                                     "370102001001000" + std::to_string(i), kVillage);
      const std::int64_t id = test::open_stored(cases, w);
      for (auto step : {start, eligible, review, county, publicity, officer}) {
        test::accept_stored(cases, w, id, step(w));
      }
    }
  }
  // Two months of due timers: each month's due time opens the next month's duties.
  for (const char* now : {"2025-11-05T09:00", "2025-12-05T09:00"}) {
    SCOPED_TRACE(now);
    int follow_ups_one = 0, follow_ups_batch = 0, fired = 0;
    while (auto f = fire_next_due_timer(*one.session, *config_, *calendar_, at(now))) {
      follow_ups_one += f->follow_up_timers;
      ++fired;
    }
    for (;;) {
      const FiringBatch b = fire_due_batch(*batch.session, *config_, *calendar_, at(now), 500);
      if (b.claimed == 0) break;
      EXPECT_TRUE(b.failed.empty());
      for (const FiredTimer& f : b.fired) follow_ups_batch += f.follow_up_timers;
    }
    EXPECT_GT(fired, 0);
    EXPECT_GT(follow_ups_one, 0);
    EXPECT_EQ(follow_ups_batch, follow_ups_one);
    for (const char* table : {"duties", "timers", "outbox"}) {
      SCOPED_TRACE(table);
      EXPECT_EQ(table_rows(*batch.session, table), table_rows(*one.session, table));
    }
  }
}

TEST_P(SchedulerConformance, Fire_ExactlyOnceUnderRepeatedCalls) {
  CaseWalk w = walk(at("2025-09-30T15:50"));
  const std::int64_t id = open(w);
  // The reminder comes 1 working day before the last day 10-14 (issue 14 item 8: it came on the
  // last day itself): Mon 10-13.
  EXPECT_FALSE(fire_next_due_timer(s(), *config_, *calendar_, at("2025-10-13T07:59")));

  const std::vector<FiredTimer> fired = fire_all(at("2025-10-13T08:00"));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].timer.kind, "reminder");
  EXPECT_EQ(fired[0].message_type, "step_reminder");
  const std::vector<OutboxRecord> ms = messages(fired);
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].recipient, "镇办李@370102001");
  EXPECT_EQ(ms[0].channel, "file");
  EXPECT_EQ(ms[0].case_id, id);
  EXPECT_EQ(param(ms[0], "case_id"), std::to_string(id));
  EXPECT_EQ(param(ms[0], "step"), "household_verification");
  EXPECT_EQ(param(ms[0], "step_label"), "入户核实");
  EXPECT_EQ(param(ms[0], "due_date"), "2025-10-14");
  EXPECT_EQ(param(ms[0], "village"), "东村");
  EXPECT_EQ(param(ms[0], "township"), "解放路街道");
  EXPECT_EQ(param(ms[0], "household"), mask_name(w.household().head()->name));

  // Again and again, and from a second connection: nothing more.
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(fire_next_due_timer(s(), *config_, *calendar_, at("2025-10-13T08:00")));
  }
  auto other = db_->open_session();
  EXPECT_FALSE(fire_next_due_timer(*other, *config_, *calendar_, at("2025-10-13T09:00")));
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM outbox"), 1);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM timers WHERE state = 'fired'"), 1);
}

TEST_P(SchedulerConformance, Fire_AfterDowntimeEachRungOnceInOrderToRoleAndScope) {
  CaseWalk w = walk(at("2025-09-30T15:50"));
  open(w);
  // Down from before the reminder until after the last rung: each timer fires once, in order;
  // the reminder is skipped because its duty is already overdue.
  const std::vector<FiredTimer> fired = fire_all(at("2025-10-22T09:30"));
  ASSERT_EQ(fired.size(), 4u);
  EXPECT_EQ(fired[0].timer.kind, "reminder");
  EXPECT_TRUE(fired[0].outbox_ids.empty());
  EXPECT_FALSE(fired[0].skipped.empty());
  const std::vector<OutboxRecord> ms = messages(fired);
  EXPECT_EQ(lines(ms),
            (std::vector<std::string>{"2025-10-22T09:30:00+08:00 step_overdue 镇办李@370102001",
                                      "2025-10-22T09:30:00+08:00 step_overdue 镇长孙@370102001",
                                      "2025-10-22T09:30:00+08:00 step_overdue 县办刘@370102"}));
  // Levels read from 1 (issue 14 item 8; the stored rungs stay 0, 1, 2).
  EXPECT_EQ(param(ms[0], "rung"), "1");
  EXPECT_EQ(param(ms[1], "rung"), "2");
  EXPECT_EQ(param(ms[2], "rung"), "3");
  EXPECT_EQ(param(ms[2], "days_overdue"), "8");
  for (const FiredTimer& f : fired) EXPECT_GE(f.fired_at, f.timer.due_at);
  EXPECT_TRUE(fire_all(at("2025-10-30T09:30")).empty());
}

TEST_P(SchedulerConformance, Fire_TwoFirersConcurrentlyFireEachTimerOnce) {
  for (int i = 1; i <= 5; ++i) {
    CaseWalk w = walk(at("2025-09-30T15:50"), "370102001001000" + std::to_string(i));
    open(w);
  }
  ASSERT_EQ(count(s(), "SELECT COUNT(*) FROM timers WHERE state = 'pending'"), 20);
  std::atomic<int> fired{0}, messages_queued{0};
  auto firer = [&] {
    auto session = db_->open_session();
    while (auto f = fire_next_due_timer(*session, *config_, *calendar_, at("2025-10-22T09:30"))) {
      ++fired;
      messages_queued += static_cast<int>(f->outbox_ids.size());
    }
  };
  std::thread a(firer), b(firer);
  a.join();
  b.join();
  EXPECT_EQ(fired.load(), 20);
  EXPECT_EQ(messages_queued.load(), 15);  // 5 cases x 3 rungs (the reminders are skipped)
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM outbox"), 15);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM timers WHERE state = 'fired'"), 20);
}

// Batched firing (issue 15): a batch takes due timers in (due_at, id) order up to its limit and
// commits them together; the rest wait for the next batch; nothing fires twice.
TEST_P(SchedulerConformance, Batch_FiresInDueOrderUpToItsLimitAndTheNextBatchTakesTheRest) {
  for (int i = 1; i <= 5; ++i) {
    CaseWalk w = walk(at("2025-09-30T15:50"), "370102001001000" + std::to_string(i));
    open(w);
  }
  ASSERT_EQ(count(s(), "SELECT COUNT(*) FROM timers WHERE state = 'pending'"), 20);
  const TimePoint now = at("2025-10-22T09:30");
  FiringBatch first = fire_due_batch(s(), *config_, *calendar_, now, 7);
  EXPECT_EQ(first.claimed, 7);
  ASSERT_EQ(first.fired.size(), 7u);
  EXPECT_TRUE(first.failed.empty());
  for (std::size_t i = 1; i < first.fired.size(); ++i) {
    const TimerRecord& a = first.fired[i - 1].timer;
    const TimerRecord& b = first.fired[i].timer;
    EXPECT_TRUE(a.due_at < b.due_at || (a.due_at == b.due_at && a.id < b.id));
  }
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM timers WHERE state = 'pending'"), 13);
  int fired = static_cast<int>(first.fired.size()), batches = 1;
  for (;;) {
    FiringBatch b = fire_due_batch(s(), *config_, *calendar_, now, 7);
    if (b.claimed == 0) break;
    ++batches;
    fired += static_cast<int>(b.fired.size());
  }
  EXPECT_EQ(batches, 3);  // 7 + 7 + 6
  EXPECT_EQ(fired, 20);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM outbox"), 15);  // the 5 reminders are skipped
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM timers WHERE state = 'fired'"), 20);
  EXPECT_EQ(fire_due_batch(s(), *config_, *calendar_, now, 7).claimed, 0);
}

// One timer whose firing fails (its case's stored data cannot be read) is rolled back to its
// savepoint alone: the rest of the batch fires and commits, the failed one stays pending with
// nothing written, its own retry fails the same way, and held back it no longer takes a place.
TEST_P(SchedulerConformance, Batch_AFailingTimerIsRolledBackAloneAndTheRestCommit) {
  std::vector<std::int64_t> ids;
  for (int i = 1; i <= 3; ++i) {
    CaseWalk w = walk(at("2025-09-30T15:50"), "370102001001000" + std::to_string(i));
    ids.push_back(open(w));
  }
  const std::string broken = std::to_string(ids[1]);
  std::string kept;
  s() << "SELECT data FROM cases WHERE id = " + broken, soci::into(kept);
  s() << "UPDATE cases SET data = '{\"not\": \"a case\"}' WHERE id = " + broken;
  const TimePoint now = at("2025-10-22T09:30");
  FiringBatch b = fire_due_batch(s(), *config_, *calendar_, now, 100);
  EXPECT_EQ(b.claimed, 12);
  EXPECT_EQ(b.fired.size(), 8u);
  ASSERT_EQ(b.failed.size(), 4u);
  std::set<std::int64_t> held;
  for (const FailedTimer& f : b.failed) {
    EXPECT_EQ(f.timer.case_id, ids[1]);
    EXPECT_NE(f.error.find("案件 " + broken), std::string::npos) << f.error;
    held.insert(f.timer.id);
  }
  EXPECT_EQ(
      count(s(), "SELECT COUNT(*) FROM timers WHERE state = 'pending' AND case_id = " + broken), 4);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM outbox WHERE case_id = " + broken), 0);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM outbox"), 6);
  EXPECT_THROW(fire_timer_alone(s(), *config_, *calendar_, *held.begin(), now), StorageError);
  EXPECT_EQ(fire_due_batch(s(), *config_, *calendar_, now, 100, held).claimed, 0);
  // Repaired, its own retry fires it, once.
  s() << "UPDATE cases SET data = :d WHERE id = " + broken, soci::use(kept);
  auto again = fire_timer_alone(s(), *config_, *calendar_, *held.begin(), now);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(fire_timer_alone(s(), *config_, *calendar_, *held.begin(), now).has_value());
  FiringBatch rest = fire_due_batch(s(), *config_, *calendar_, now, 100);
  EXPECT_EQ(rest.fired.size(), 3u);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM outbox"), 9);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM timers WHERE state = 'pending'"), 0);
}

// Two daemons' batches at once fire each timer once.
TEST_P(SchedulerConformance, Batch_TwoFirersConcurrentlyFireEachTimerOnce) {
  for (int i = 1; i <= 5; ++i) {
    CaseWalk w = walk(at("2025-09-30T15:50"), "370102001001000" + std::to_string(i));
    open(w);
  }
  std::atomic<int> fired{0};
  auto firer = [&] {
    auto session = db_->open_session();
    for (;;) {
      FiringBatch b = fire_due_batch(*session, *config_, *calendar_, at("2025-10-22T09:30"), 3);
      if (b.claimed == 0) break;
      fired += static_cast<int>(b.fired.size());
    }
  };
  std::thread a(firer), b(firer);
  a.join();
  b.join();
  EXPECT_EQ(fired.load(), 20);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM outbox"), 15);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM timers WHERE state = 'fired'"), 20);
}

TEST_P(SchedulerConformance, Fire_ClosedDutyIsNotNotifiedEvenIfATimerWasLeftPending) {
  CaseWalk w = walk(at("2025-09-30T15:50"));
  const std::int64_t id = open(w);
  // Close the duty behind the scheduler's back (its timers stay pending): relevance is
  // re-checked at firing time.
  s() << "UPDATE duties SET state = 'done'";
  const std::vector<FiredTimer> fired = fire_all(at("2025-10-22T09:30"));
  EXPECT_EQ(fired.size(), 4u);
  EXPECT_TRUE(messages(fired).empty());
  EXPECT_EQ(open_case_duties(s(), id).size(), 0u);
}

// ---- visits and monitoring

TEST_P(SchedulerConformance, Visits_ReminderGoesToVillageOfficersUntilAnOfficerIsAssigned) {
  CaseWalk w = walk(at("2025-09-29T09:00"));
  const std::int64_t id = registered_case(w, /*assign=*/false);
  const std::optional<DutyRecord> visits =
      find_duty(s(), month_duty_key(kDutyVisits, id, 2025y / std::chrono::October));
  ASSERT_TRUE(visits.has_value());
  EXPECT_EQ(visits->owner_role, "assistance_officer");
  EXPECT_EQ(visits->due_at, at("2025-11-03T08:00"));
  EXPECT_EQ(visits->officer, "");

  const std::vector<OutboxRecord> ms = messages(fire_all(at("2025-10-20T08:00")));
  EXPECT_EQ(
      lines(ms),
      (std::vector<std::string>{"2025-10-20T08:00:00+08:00 visit_reminder 村官王@370102001001"}));
  EXPECT_EQ(param(ms[0], "officer"), "");
  EXPECT_EQ(param(ms[0], "recorded"), "0");
  EXPECT_EQ(param(ms[0], "required"), "2");
  EXPECT_EQ(param(ms[0], "month"), "2025年10月");  // issue 14 item 8: was "2025-10"

  w.days(12);
  accept(w, id, w.assign_officer(kOfficer));
  EXPECT_EQ(find_duty(s(), visits->duty_key)->officer, kOfficer);
  DutyFilter by_officer;
  by_officer.officer = kOfficer;
  EXPECT_EQ(list_open_duties(s(), by_officer).size(), 2u);  // visits and monitoring
}

TEST_P(SchedulerConformance, Fire_NoticeForARoleNobodyHoldsGoesUpToTheTownshipHeadThenTheAdmin) {
  // The village has no village officer and the case no assistance officer: the visit reminder
  // must not vanish. The township head gets it; without one, the county admin.
  auto without = [&](const std::string& name) {
    std::erase_if(config_->people, [&](const Person& p) { return p.name == name; });
  };
  without("村官王");
  CaseWalk w = walk(at("2025-09-29T09:00"));
  const std::int64_t id = registered_case(w, /*assign=*/false);
  (void)id;
  EXPECT_EQ(
      lines(messages(fire_all(at("2025-10-20T08:00")))),
      (std::vector<std::string>{"2025-10-20T08:00:00+08:00 visit_reminder 镇长孙@370102001"}));

  without("镇长孙");
  EXPECT_EQ(
      lines(messages(fire_all(at("2025-10-27T08:00")))),
      (std::vector<std::string>{"2025-10-27T08:00:00+08:00 monitoring_reminder 管理员钱@370102"}));
}

TEST_P(SchedulerConformance, Visits_ReachingPerMonthClosesTheMonthAndCancelsItsReminders) {
  CaseWalk w = walk(at("2025-09-29T09:00"));
  const std::int64_t id = registered_case(w);
  const std::string october = month_duty_key(kDutyVisits, id, 2025y / std::chrono::October);
  const std::string november = month_duty_key(kDutyVisits, id, 2025y / std::chrono::November);
  ASSERT_EQ(count_case_visits(s(), id, 2025y / std::chrono::October), 0);

  w.days(2);
  accept(w, id, w.visit());  // 10-11
  EXPECT_EQ(count_case_visits(s(), id, 2025y / std::chrono::October), 1);
  EXPECT_EQ(find_duty(s(), october)->state, DutyState::kOpen);
  EXPECT_FALSE(find_duty(s(), november).has_value());

  w.days(3);
  accept(w, id, w.visit());  // 10-14: two this month
  EXPECT_EQ(find_duty(s(), october)->state, DutyState::kDone);
  const std::optional<DutyRecord> next = find_duty(s(), november);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->state, DutyState::kOpen);
  EXPECT_EQ(next->due_at, at("2025-12-01T08:00"));
  EXPECT_EQ(next->officer, kOfficer);

  // October's visit reminder and rungs are gone; the month's monitoring is still owed (its
  // reminder, fired after the month fell due, is skipped for the overdue notice).
  const std::vector<OutboxRecord> ms = messages(fire_all(at("2025-11-07T00:00")));
  EXPECT_EQ(lines(ms), (std::vector<std::string>{
                           "2025-11-07T00:00:00+08:00 monitoring_overdue 赵帮扶@370102001001"}));
  EXPECT_EQ(param(ms[0], "officer"), kOfficer);  // staff names unmasked (issue 14 item 8)
}

TEST_P(SchedulerConformance, Visits_AssistanceEndingCancelsTheMonthsDuties) {
  CaseWalk w = walk(at("2025-09-29T09:00"));
  const std::int64_t id = registered_case(w);
  EXPECT_EQ(open_case_duties(s(), id).size(), 2u);
  accept(w, id, ProposeElimination{w.meta()});
  accept(w, id, RecordEliminationReview{w.meta(), true});
  accept(w, id, RecordTownshipReview{w.meta(), true});
  w.days(6);
  accept(w, id, CloseEliminationPublicity{w.meta()});  // eliminated: no longer assisted
  EXPECT_EQ(open_case_duties(s(), id).size(), 0u);
  EXPECT_EQ(find_duty(s(), month_duty_key(kDutyVisits, id, 2025y / std::chrono::October))->state,
            DutyState::kCancelled);
  EXPECT_TRUE(messages(fire_all(at("2025-12-31T00:00"))).empty());
}

TEST_P(SchedulerConformance, Visits_AssistanceResumingInTheMonthReopensItsDuties) {
  CaseWalk w = walk(at("2025-09-29T09:00"));
  const std::int64_t id = registered_case(w);
  accept(w, id, ProposeElimination{w.meta()});
  accept(w, id, RecordEliminationReview{w.meta(), true});
  accept(w, id, RecordTownshipReview{w.meta(), true});
  w.days(6);
  accept(w, id, CloseEliminationPublicity{w.meta()});  // 10-14: eliminated
  const std::string october = month_duty_key(kDutyVisits, id, 2025y / std::chrono::October);
  EXPECT_EQ(find_duty(s(), october)->state, DutyState::kCancelled);

  accept(w, id, RecordLookBack{w.meta("收入未稳定超过监测线"), LookBackFinding::kInaccurate});
  for (auto level : {ApprovalLevel::kTownship, ApprovalLevel::kVillage, ApprovalLevel::kCity}) {
    accept(w, id, RecordApproval{w.meta("同意"), ApprovalPurpose::kRollback, level});
  }
  accept(w, id, ApplyRollback{w.meta()});  // registered again, the same month
  const std::optional<DutyRecord> reopened = find_duty(s(), october);
  EXPECT_EQ(reopened->state, DutyState::kOpen);
  EXPECT_FALSE(reopened->closed_at.has_value());
  EXPECT_GT(reopened->opened_at, at("2025-10-14T00:00"));
  const std::vector<OutboxRecord> ms = messages(fire_all(at("2025-10-20T08:00")));
  EXPECT_EQ(
      lines(ms),
      (std::vector<std::string>{"2025-10-20T08:00:00+08:00 visit_reminder 赵帮扶@370102001001"}));
}

// A month of one case on a moving simulated clock: one visit of two in October, no monitoring
// record for October, November's monitoring recorded on 11-10. Every message, in order.
TEST_P(SchedulerConformance, SimulatedMonth_ExactSequenceOfMessages) {
  CaseWalk w = walk(at("2025-09-29T09:00"));
  const std::int64_t id = registered_case(w);
  const TimePoint start = at("2025-10-09T12:00");
  clock_.advance(start - clock_.now());
  std::map<TimePoint, std::function<void()>> events{
      {at("2025-10-15T10:00"),
       [&] {
         w.hours(static_cast<int>((at("2025-10-15T10:00") - w.now()) / 1h));
         accept(w, id, w.visit());
       }},
      {at("2025-11-10T10:00"),
       [&] {
         w.hours(static_cast<int>((at("2025-11-10T10:00") - w.now()) / 1h));
         accept(w, id, w.monitoring(2025y / std::chrono::November));
       }},
  };
  std::vector<OutboxRecord> sent;
  while (clock_.now() < at("2025-11-30T23:00")) {
    clock_.advance(1h);
    if (auto e = events.find(clock_.now()); e != events.end()) e->second();
    for (const OutboxRecord& m : messages(fire_all(clock_.now()))) sent.push_back(m);
  }
  EXPECT_EQ(lines(sent), (std::vector<std::string>{
                             "2025-10-20T08:00:00+08:00 visit_reminder 赵帮扶@370102001001",
                             "2025-10-27T08:00:00+08:00 monitoring_reminder 赵帮扶@370102001001",
                             "2025-11-03T08:00:00+08:00 visit_overdue 赵帮扶@370102001001",
                             "2025-11-03T08:00:00+08:00 monitoring_overdue 赵帮扶@370102001001",
                             "2025-11-06T08:00:00+08:00 visit_overdue 镇长孙@370102001",
                             "2025-11-20T08:00:00+08:00 visit_reminder 赵帮扶@370102001001"}));
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_EQ(param(sent[0], "recorded"), "1");
  EXPECT_EQ(param(sent[0], "due_date"), "2025-10-31");
  EXPECT_EQ(param(sent[2], "days_overdue"), "3");
  EXPECT_EQ(param(sent[4], "rung"), "2");  // rung 1 of a ladder from 0: level 2 (issue 14)
  EXPECT_EQ(param(sent[5], "month"), "2025年11月");
  EXPECT_EQ(param(sent[5], "recorded"), "0");
  // November's monitoring was recorded: its duty is done and December's is open.
  EXPECT_EQ(
      find_duty(s(), month_duty_key(kDutyMonitoring, id, 2025y / std::chrono::November))->state,
      DutyState::kDone);
  EXPECT_TRUE(find_duty(s(), month_duty_key(kDutyMonitoring, id, 2025y / std::chrono::December)));
}

// ---- recurring work

TEST_P(SchedulerConformance, Recurring_EvaluationAndCampaignsAreSeededOnceAndFire) {
  config_->rules.evaluation.enabled = true;
  config_->rules.evaluation.open_month = 10;
  config_->rules.evaluation.open_day = 8;  // a holiday in 2025: opens Thu 10-09
  config_->rules.evaluation.deadline = {10, DayUnit::kWorkingDays, 2, {{0, "county_office"}}};
  Campaign c;
  c.name = "screening_2025";
  c.label = "2025年集中排查";
  c.start_year = 2025;
  c.start_month = 9;
  c.start_day = 15;
  c.milestones = {{"plan", "制定工作方案", 2025, 9, 30, 2, {{0, "township_head"}}},
                  {"report", "报送总结", 2025, 10, 20, 1, {{0, "township_head"}}}};
  config_->rules.campaigns = {c};

  const int seeded = ensure_recurring_timers(s(), *config_, *calendar_, at("2025-09-10T09:00"));
  EXPECT_GT(seeded, 0);
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2025-09-10T10:00")), 0);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM duties WHERE kind = 'campaign'"), 4);

  // Campaign reminders to each township's clerk 2 working days before the plan falls due
  // (10-09 08:00, after the National Day holiday).
  std::vector<OutboxRecord> ms = messages(fire_all(at("2025-09-29T08:00")));
  EXPECT_EQ(lines(ms), (std::vector<std::string>{
                           "2025-09-29T08:00:00+08:00 campaign_reminder 镇办李@370102001",
                           "2025-09-29T08:00:00+08:00 campaign_reminder 镇办吴@370102002"}));
  EXPECT_EQ(param(ms[0], "milestone"), "plan");
  EXPECT_EQ(param(ms[0], "milestone_label"), "制定工作方案");
  EXPECT_EQ(param(ms[0], "due_date"), "2025-09-30");
  EXPECT_EQ(param(ms[1], "township_name"), "千佛山街道");
  // Overdue to each township's head; the evaluation opens with no monitoring object yet.
  ms = messages(fire_all(at("2025-10-09T08:00")));
  EXPECT_EQ(lines(ms), (std::vector<std::string>{
                           "2025-10-09T08:00:00+08:00 campaign_overdue 镇长孙@370102001",
                           "2025-10-09T08:00:00+08:00 campaign_overdue 镇长周@370102002"}));
  EXPECT_EQ(param(ms[0], "days_overdue"), "9");

  CaseWalk w = walk(at("2025-09-29T09:00"));
  // Registered after the evaluation opened: its task opens with the registration.
  const std::int64_t id = registered_case(w);
  EXPECT_TRUE(find_duty(s(), evaluation_duty_key(id, 2025)).has_value());
  // Had it been lost, the next seeding opens it again; then nothing more to seed.
  s() << "DELETE FROM timers WHERE step = 'evaluation' AND case_id IS NOT NULL";
  s() << "DELETE FROM duties WHERE kind = 'evaluation'";
  EXPECT_FALSE(find_duty(s(), evaluation_duty_key(id, 2025)).has_value());

  // The next seeding opens the evaluation task of the case registered after the opening.
  EXPECT_GT(ensure_recurring_timers(s(), *config_, *calendar_, at("2025-10-09T13:00")), 0);
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2025-10-09T13:00")), 0);
  ms = messages(fire_all(at("2025-10-09T13:00")));
  EXPECT_EQ(lines(ms),
            (std::vector<std::string>{"2025-10-09T13:00:00+08:00 evaluation_task 县办刘@370102"}));
  EXPECT_EQ(param(ms[0], "year"), "2025");
  EXPECT_EQ(param(ms[0], "due_date"), "2025-10-22");
  const std::optional<DutyRecord> evaluation = find_duty(s(), evaluation_duty_key(id, 2025));
  ASSERT_TRUE(evaluation.has_value());

  // Done before its reminder: nothing more about it.
  EXPECT_TRUE(complete_duty(s(), evaluation->id, at("2025-10-10T09:00")));
  EXPECT_FALSE(complete_duty(s(), evaluation->id, at("2025-10-10T09:00")));
  for (const OutboxRecord& m : messages(fire_all(at("2025-10-31T00:00")))) {
    EXPECT_NE(m.message_type.rfind("evaluation", 0), 0u) << line(m);
  }
}

TEST_P(SchedulerConformance, Recurring_MonthlyDutiesOfAssistedCasesAreRestored) {
  CaseWalk w = walk(at("2025-09-29T09:00"));
  const std::int64_t id = registered_case(w);
  // As if the duties had been lost (an older database, a crash of an older version).
  s() << "DELETE FROM timers WHERE step IN ('visits', 'monitoring')";
  s() << "DELETE FROM duties WHERE kind IN ('visits', 'monitoring')";
  EXPECT_GT(ensure_recurring_timers(s(), *config_, *calendar_, at("2025-10-12T09:00")), 0);
  EXPECT_EQ(open_case_duties(s(), id, std::string_view(kDutyVisits)).size(), 1u);
  EXPECT_EQ(open_case_duties(s(), id, std::string_view(kDutyMonitoring)).size(), 1u);
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2025-10-12T10:00")), 0);
}

TEST_P(SchedulerConformance, Campaign_MilestoneDoneClosesItsDutyAndProgressNamesTheLate) {
  Campaign c;
  c.name = "screening_2025";
  c.start_year = 2025;
  c.start_month = 9;
  c.start_day = 15;
  c.milestones = {{"plan", "制定工作方案", 2025, 9, 30, 2, {{0, "township_head"}}}};
  config_->rules.campaigns = {c};
  ensure_recurring_timers(s(), *config_, *calendar_, at("2025-09-15T09:00"));
  EXPECT_EQ(pending_timers(s()).size(), 4u);  // reminder and due, two townships

  const auto done = record_milestone_done(s(), *config_, "screening_2025", "plan", kTownship,
                                          "镇办李", at("2025-09-26T10:00"));
  ASSERT_TRUE(std::holds_alternative<TimePoint>(done));
  EXPECT_EQ(std::get<TimePoint>(done), at("2025-09-26T10:00"));
  // Reported again later: the first report stands.
  EXPECT_EQ(std::get<TimePoint>(record_milestone_done(s(), *config_, "screening_2025", "plan",
                                                      kTownship, "镇办李", at("2025-09-27T10:00"))),
            at("2025-09-26T10:00"));
  EXPECT_EQ(find_duty(s(), campaign_duty_key("screening_2025", "plan", kTownship))->state,
            DutyState::kDone);
  EXPECT_EQ(pending_timers(s()).size(), 2u);  // only the other township's
  EXPECT_TRUE(std::holds_alternative<CampaignRefusal>(record_milestone_done(
      s(), *config_, "screening_2025", "nap", kTownship, "镇办李", at("2025-09-26T10:00"))));
  EXPECT_TRUE(std::holds_alternative<CampaignRefusal>(record_milestone_done(
      s(), *config_, "screening_2099", "plan", kTownship, "镇办李", at("2025-09-26T10:00"))));
  EXPECT_TRUE(std::holds_alternative<CampaignRefusal>(record_milestone_done(
      s(), *config_, "screening_2025", "plan", "370102009", "镇办李", at("2025-09-26T10:00"))));

  // Only the township that has not finished hears about it (its reminder, fired late, gives way
  // to the overdue notice).
  const std::vector<OutboxRecord> ms = messages(fire_all(at("2025-10-09T08:00")));
  EXPECT_EQ(
      lines(ms),
      (std::vector<std::string>{"2025-10-09T08:00:00+08:00 campaign_overdue 镇长周@370102002"}));
  const auto progress =
      campaign_progress(s(), *config_, *calendar_, "screening_2025", at("2025-10-09T08:00"));
  ASSERT_TRUE(std::holds_alternative<std::vector<MilestoneStatus>>(progress));
  const auto& rows = std::get<std::vector<MilestoneStatus>>(progress);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].township_code, kTownship);
  EXPECT_EQ(rows[0].done_at, at("2025-09-26T10:00"));
  EXPECT_EQ(rows[0].actor, "镇办李");
  EXPECT_FALSE(rows[0].behind);
  EXPECT_EQ(rows[1].township_code, kOtherTownship);
  EXPECT_EQ(rows[1].township_name, "千佛山街道");
  EXPECT_FALSE(rows[1].done_at.has_value());
  EXPECT_TRUE(rows[1].behind);
  EXPECT_FALSE(std::get<std::vector<MilestoneStatus>>(campaign_progress(
      s(), *config_, *calendar_, "screening_2025", at("2025-10-09T07:59")))[1]
                   .behind);
}

TEST_P(SchedulerConformance, Recurring_CalendarGapTellsTheCountyAdminOnceAndSeedsNothing) {
  CaseWalk w = walk(at("2025-09-29T09:00"));
  const std::int64_t id = registered_case(w);
  // December 2026's visits fall due in January 2027, a year with no calendar file.
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2026-12-05T09:00")), 0);
  EXPECT_FALSE(
      find_duty(s(), month_duty_key(kDutyVisits, id, std::chrono::year{2026} / 12)).has_value());
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2026-12-06T09:00")), 0);
  const std::vector<OutboxRecord> ms = list_outbox(s(), std::nullopt, 10);
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].message_type, "calendar_missing");
  EXPECT_EQ(ms[0].recipient, "管理员钱@370102");
  EXPECT_EQ(param(ms[0], "year"), "2027");
  EXPECT_EQ(param(ms[0], "text"), missing_year_message(2027));
}

// ---- duty store

TEST_P(SchedulerConformance, DutyStore_ListsOpenDutiesByFilterInDueOrder) {
  CaseWalk a = walk(at("2025-09-30T15:50"));
  const std::int64_t first = open(a);  // due 10-15, township 001
  CaseWalk b = walk(at("2025-10-09T09:00"), "3701020020010001", kOtherVillage);
  const std::int64_t second = open(b);  // due 10-16 (5 wd after 10-09), township 002

  EXPECT_EQ(list_open_duties(s(), {}).size(), 2u);
  DutyFilter township;
  township.township = kOtherTownship;
  const auto only = list_open_duties(s(), township);
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].case_id, second);
  DutyFilter village;
  village.village = kVillage;
  EXPECT_EQ(list_open_duties(s(), village).at(0).case_id, first);
  DutyFilter overdue;
  overdue.due_before = at("2025-10-15T08:00");
  ASSERT_EQ(list_open_duties(s(), overdue).size(), 1u);
  DutyFilter limited;
  limited.limit = 1;
  const auto by_due = list_open_duties(s(), limited);
  ASSERT_EQ(by_due.size(), 1u);
  EXPECT_EQ(by_due[0].case_id, first);

  NewDuty d;
  d.duty_key = "campaign/x/plan/370102001";
  d.kind = "campaign";
  d.subject = "x/plan";
  d.township_code = kTownship;
  d.owner_role = "township_clerk";
  d.due_at = at("2025-10-01T08:00");
  d.opened_at = at("2025-09-01T08:00");
  const OpenDutyResult opened = open_duty(s(), d);
  EXPECT_TRUE(opened.inserted);
  EXPECT_FALSE(open_duty(s(), d).inserted);
  EXPECT_EQ(open_duty(s(), d).id, opened.id);
  EXPECT_EQ(list_open_duties(s(), {}).front().id, opened.id);
  EXPECT_TRUE(cancel_duty(s(), opened.id, at("2025-09-02T08:00")));
  EXPECT_FALSE(close_duty(s(), opened.id, at("2025-09-02T08:00")));
  EXPECT_TRUE(reopen_duty(s(), opened.id, at("2025-10-02T08:00"), at("2025-09-03T08:00")));
  EXPECT_EQ(load_duty(s(), opened.id)->due_at, at("2025-10-02T08:00"));
  EXPECT_FALSE(load_duty(s(), opened.id)->closed_at.has_value());
  EXPECT_TRUE(close_duty(s(), opened.id, at("2025-09-04T08:00")));
  EXPECT_EQ(load_duty(s(), opened.id)->closed_at, at("2025-09-04T08:00"));
  EXPECT_FALSE(count_case_visits(s(), 999, 2025y / std::chrono::October).has_value());
}

// ---- department feeds (issue 12)

// The civil affairs feed on the 5th at 09:00, with a department clerk of its own, one of another
// department and one of the whole county.
void add_civil_affairs_feed(Config& c) {
  FeedSource f;
  f.name = "civil_affairs";
  f.department = "civil_affairs";
  f.columns = {{"id_number", "身份证号"}};
  f.escalation = {{0, "department_clerk"}, {2, "county_office"}};
  c.rules.feeds.sources = {f};
  c.rules.schedules = {
      {"civil_affairs_feed", "feed", "civil_affairs", "civil_affairs", "", {5}, {}, 9}};
  c.departments = {{"civil_affairs", "县民政局"}, {"health", "县卫健局"}};
  c.people.push_back(person("民政张", Role::kDepartmentClerk, "civil_affairs"));
  c.people.push_back(person("卫健孟", Role::kDepartmentClerk, "health"));
  c.people.push_back(person("部门钟", Role::kDepartmentClerk, "370102"));
}

// Until the storage migration lets duties.kind be 'feed' and 'alert', such duties cannot be
// stored.
bool feed_duties_storable(soci::session& s, const char* kind = kDutyFeed) {
  soci::transaction tx(s);
  NewDuty probe;
  probe.duty_key = std::string(kind) + "/probe/2000-01";
  probe.kind = kind;
  probe.subject = "probe/2000-01";
  probe.township_code = "370102";
  probe.owner_role = "department_clerk";
  try {
    open_duty(s, probe);
  } catch (const std::exception&) {
    tx.rollback();
    return false;
  }
  tx.rollback();
  return true;
}

std::vector<std::string> feed_timers(soci::session& s) {
  std::vector<std::string> out;
  soci::rowset<soci::row> rows =
      (s.prepare << "SELECT dedupe_key, state, due_at FROM timers WHERE step = 'feed'"
                    " AND dedupe_key LIKE 'feed_due/%' ORDER BY due_at, id");
  for (const soci::row& row : rows) {
    out.push_back(row.get<std::string>(0) + " " + row.get<std::string>(1) + " " +
                  format_time(TimePoint{std::chrono::seconds{row.get<long long>(2)}}));
  }
  return out;
}

TEST_P(SchedulerConformance, Feed_PeriodTimersAreSeededOnceWithTheLatestPeriodBeforeNow) {
  add_civil_affairs_feed(*config_);
  // The latest period (May, already past) and June (within the 45-day horizon).
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2025-05-20T10:00")), 2);
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2025-05-20T11:00")), 0);
  EXPECT_EQ(feed_timers(s()),
            (std::vector<std::string>{
                "feed_due/civil_affairs/2025-05 pending 2025-05-05T09:00:00+08:00",
                "feed_due/civil_affairs/2025-06 pending 2025-06-05T09:00:00+08:00"}));
  // A schedule whose feed is not configured seeds nothing.
  config_->rules.schedules.push_back({"police_feed", "feed", "police", "police", "", {5}, {}, 8});
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2025-05-20T12:00")), 0);
}

TEST_P(SchedulerConformance, Feed_FiredLateAfterAGapOpensEachPeriodsDutyOnce) {
  if (!feed_duties_storable(s())) {
    GTEST_SKIP() << "duties.kind has no 'feed' yet (the storage migration of issue 12)";
  }
  add_civil_affairs_feed(*config_);
  ensure_recurring_timers(s(), *config_, *calendar_, at("2025-05-20T10:00"));
  std::vector<FiredTimer> fired = fire_all(at("2025-05-20T10:00"));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].opened_duty, "feed/civil_affairs/2025-05");
  EXPECT_TRUE(fired[0].outbox_ids.empty());
  std::optional<DutyRecord> may = find_duty(s(), "feed/civil_affairs/2025-05");
  ASSERT_TRUE(may.has_value());
  EXPECT_EQ(may->kind, kDutyFeed);
  EXPECT_EQ(may->subject, "civil_affairs/2025-05");
  EXPECT_EQ(may->township_code, "370102");
  EXPECT_EQ(may->owner_role, "department_clerk");
  EXPECT_EQ(may->state, DutyState::kOpen);
  EXPECT_EQ(may->due_at, at("2025-05-05T09:00"));
  // Opened without timers: the intake plans the ladder when the data is missing.
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM timers WHERE dedupe_key LIKE 'feed/%'"), 0);

  // The daemon is down from 20 May to 20 August: June fires late, July is skipped, the latest
  // period (August) runs once on start; September waits for its day.
  ensure_recurring_timers(s(), *config_, *calendar_, at("2025-08-20T10:00"));
  fired = fire_all(at("2025-08-20T10:00"));
  std::vector<std::string> opened;
  for (const FiredTimer& f : fired) opened.push_back(f.opened_duty);
  EXPECT_EQ(opened,
            (std::vector<std::string>{"feed/civil_affairs/2025-06", "feed/civil_affairs/2025-08"}));
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2025-08-20T11:00")), 0);
  EXPECT_TRUE(fire_all(at("2025-08-20T11:00")).empty());
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM duties WHERE kind = 'feed'"), 3);
  EXPECT_EQ(feed_timers(s()).back(),
            "feed_due/civil_affairs/2025-09 pending 2025-09-05T09:00:00+08:00");
}

TEST_P(SchedulerConformance, Feed_AMissingPeriodsLadderReachesItsDepartmentsClerks) {
  if (!feed_duties_storable(s())) {
    GTEST_SKIP() << "duties.kind has no 'feed' yet (the storage migration of issue 12)";
  }
  add_civil_affairs_feed(*config_);
  ensure_recurring_timers(s(), *config_, *calendar_, at("2025-09-29T10:00"));
  fire_all(at("2025-09-29T10:00"));
  std::optional<DutyRecord> duty = find_duty(s(), "feed/civil_affairs/2025-09");
  ASSERT_TRUE(duty.has_value());
  // The intake found nothing: the ladder from the 5th (a Friday), counted in working days.
  auto timers = plan_feed_missing(*duty, config_->rules.feeds.sources[0], *calendar_);
  ASSERT_TRUE(timers) << timers.error().message;
  EXPECT_EQ(scheduler_detail::schedule_duty_timers(s(), *duty, *timers), 2);
  EXPECT_EQ(scheduler_detail::schedule_duty_timers(s(), *duty, *timers), 0);
  std::vector<OutboxRecord> ms = messages(fire_all(at("2025-09-29T10:00")));
  EXPECT_EQ(lines(ms),
            (std::vector<std::string>{"2025-09-29T10:00:00+08:00 feed_missing 民政张@civil_affairs",
                                      "2025-09-29T10:00:00+08:00 feed_missing 部门钟@370102",
                                      "2025-09-29T10:00:00+08:00 feed_missing 县办刘@370102"}));
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(param(ms[0], "department_name"), "县民政局");
  EXPECT_EQ(param(ms[0], "period"), "2025-09");
  EXPECT_EQ(param(ms[0], "due_date"), "2025-09-05");
  EXPECT_EQ(param(ms[0], "days_overdue"), "24");
  EXPECT_EQ(param(ms[2], "rung"), "2");  // rung 1 of a ladder from 0: level 2 (issue 14)
}

TEST_P(SchedulerConformance, Alert_VerificationRemindsThenClimbsTheTownshipsLadder) {
  if (!feed_duties_storable(s(), kDutyAlert)) {
    GTEST_SKIP() << "duties.kind has no 'alert' yet (the storage migration of issue 12)";
  }
  AlertRules rules;
  rules.deadline.escalation = {{0, "township_clerk"}, {2, "township_head"}};
  // Raised Monday 29 September 2025: five working days end on 13 October (National Day).
  auto open = plan_alert_duty(17, kTownship, kVillage, at("2025-09-29T10:00"), rules, *calendar_);
  ASSERT_TRUE(open) << open.error().message;
  EXPECT_EQ(scheduler_detail::apply_open_duty(s(), *open), 3);
  std::vector<OutboxRecord> ms = messages(fire_all(at("2025-10-13T08:00")));
  EXPECT_EQ(
      lines(ms),
      (std::vector<std::string>{"2025-10-13T08:00:00+08:00 alert_reminder 镇办李@370102001"}));
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(param(ms[0], "alert_id"), "17");
  EXPECT_EQ(param(ms[0], "township_name"), "解放路街道");
  ms = messages(fire_all(at("2025-10-16T08:00")));
  EXPECT_EQ(lines(ms),
            (std::vector<std::string>{"2025-10-16T08:00:00+08:00 alert_overdue 镇办李@370102001",
                                      "2025-10-16T08:00:00+08:00 alert_overdue 镇长孙@370102001"}));
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(param(ms[1], "days_overdue"), "3");
  EXPECT_EQ(param(ms[1], "rung"), "2");  // rung 1 of a ladder from 0: level 2 (issue 14)
}

// -- department lists (issue 13): a ListDue timer per day of a list schedule

void add_civil_affairs_list(Config& c) {
  DepartmentList l;
  l.name = "civil_affairs";
  l.department = "civil_affairs";
  l.department_name = "县民政局";
  l.delivery.folder = "/srv/drop/civil_affairs";
  c.rules.lists.lists = {l};
  Schedule s;
  s.name = "civil_affairs_list";
  s.kind = "list";
  s.department = "civil_affairs";
  s.list = "civil_affairs";
  s.days_of_month = {1, 15};
  s.hour = 8;
  c.rules.schedules.push_back(s);
  c.departments = {{"civil_affairs", "县民政局"}};
}

std::vector<std::string> list_timers(soci::session& s) {
  std::vector<std::string> out;
  soci::rowset<soci::row> rows =
      (s.prepare << "SELECT dedupe_key, state, due_at FROM timers WHERE step = 'list'"
                    " AND dedupe_key LIKE 'list_due/%' ORDER BY due_at, id");
  for (const soci::row& row : rows) {
    out.push_back(row.get<std::string>(0) + " " + row.get<std::string>(1) + " " +
                  format_time(TimePoint{std::chrono::seconds{row.get<long long>(2)}}));
  }
  return out;
}

TEST_P(SchedulerConformance, List_EachDayIsAPeriodAndAMissedOneFiresOnceOnStart) {
  add_civil_affairs_list(*config_);
  // The latest period (the 15th, already past) and the three within the 45-day horizon.
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2025-05-20T10:00")), 4);
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2025-05-20T11:00")), 0);
  EXPECT_EQ(list_timers(s()),
            (std::vector<std::string>{
                "list_due/civil_affairs/2025-05-15 pending 2025-05-15T08:00:00+08:00",
                "list_due/civil_affairs/2025-06-01 pending 2025-06-01T08:00:00+08:00",
                "list_due/civil_affairs/2025-06-15 pending 2025-06-15T08:00:00+08:00",
                "list_due/civil_affairs/2025-07-01 pending 2025-07-01T08:00:00+08:00"}));
  std::vector<FiredTimer> fired = fire_all(at("2025-05-20T10:00"));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].opened_duty, "list/civil_affairs/2025-05-15");
  EXPECT_TRUE(fired[0].outbox_ids.empty());
  std::optional<DutyRecord> duty = find_duty(s(), "list/civil_affairs/2025-05-15");
  ASSERT_TRUE(duty.has_value());
  EXPECT_EQ(duty->kind, kDutyList);
  EXPECT_EQ(duty->subject, "civil_affairs/2025-05-15");
  EXPECT_EQ(duty->township_code, "370102");
  EXPECT_EQ(duty->owner_role, "county_office");
  EXPECT_EQ(duty->state, DutyState::kOpen);
  EXPECT_EQ(duty->due_at, at("2025-05-15T08:00"));
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM timers WHERE dedupe_key LIKE 'list/%'"), 0);

  // Down from 20 May to 20 August: June's and 1 July fire late (seeded before), 15 July and
  // 1 August are never seeded, the latest (15 August) once on start.
  ensure_recurring_timers(s(), *config_, *calendar_, at("2025-08-20T10:00"));
  fired = fire_all(at("2025-08-20T10:00"));
  std::vector<std::string> opened;
  for (const FiredTimer& f : fired) opened.push_back(f.opened_duty);
  EXPECT_EQ(opened, (std::vector<std::string>{
                        "list/civil_affairs/2025-06-01", "list/civil_affairs/2025-06-15",
                        "list/civil_affairs/2025-07-01", "list/civil_affairs/2025-08-15"}));
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2025-08-20T11:00")), 0);
  EXPECT_TRUE(fire_all(at("2025-08-20T11:00")).empty());
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM duties WHERE kind = 'list'"), 5);

  // A list no longer configured: its timer fires without a duty.
  config_->rules.lists.lists.clear();
  fired = fire_all(at("2025-09-01T08:00"));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].opened_duty, "");
  EXPECT_FALSE(fired[0].skipped.empty());
}

TEST_P(SchedulerConformance, List_NoLatestPeriodBeforeTheListsMigration) {
  add_civil_affairs_list(*config_);
  // This database keeps lists from 2025-01-01: a period of 2024 is never produced late.
  EXPECT_EQ(ensure_recurring_timers(s(), *config_, *calendar_, at("2024-12-20T10:00")), 3);
  EXPECT_EQ(list_timers(s()),
            (std::vector<std::string>{
                "list_due/civil_affairs/2025-01-01 pending 2025-01-01T08:00:00+08:00",
                "list_due/civil_affairs/2025-01-15 pending 2025-01-15T08:00:00+08:00",
                "list_due/civil_affairs/2025-02-01 pending 2025-02-01T08:00:00+08:00"}));
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgresql";
}

#if !defined(FANGFAN_SCHEDULER_TEST_SQLITE) && !defined(FANGFAN_SCHEDULER_TEST_POSTGRESQL)
#define FANGFAN_SCHEDULER_TEST_SQLITE 1
#define FANGFAN_SCHEDULER_TEST_POSTGRESQL 1
#endif
#ifndef FANGFAN_SCHEDULER_TEST_SQLITE
#define FANGFAN_SCHEDULER_TEST_SQLITE 0
#endif
#ifndef FANGFAN_SCHEDULER_TEST_POSTGRESQL
#define FANGFAN_SCHEDULER_TEST_POSTGRESQL 0
#endif

#if FANGFAN_SCHEDULER_TEST_SQLITE && FANGFAN_SCHEDULER_TEST_POSTGRESQL
INSTANTIATE_TEST_SUITE_P(Backends, SchedulerConformance,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgresql), backend_name);
#elif FANGFAN_SCHEDULER_TEST_SQLITE
INSTANTIATE_TEST_SUITE_P(Backends, SchedulerConformance, ::testing::Values(Backend::kSqlite),
                         backend_name);
#else
INSTANTIATE_TEST_SUITE_P(Backends, SchedulerConformance, ::testing::Values(Backend::kPostgresql),
                         backend_name);
#endif

}  // namespace
}  // namespace fangfan
