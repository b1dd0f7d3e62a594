// Storage conformance: one suite, run unchanged on SQLite and on PostgreSQL (a throwaway server,
// tests/support/pg_server.h). Each test gets its own fresh database. Followed by the few checks
// that only make sense on one backend (SQLite pragmas, PostgreSQL TRUNCATE) and URL handling.
//
// CMake compiles this file twice, once per backend (FANGFAN_STORAGE_TEST_SQLITE=1 or
// FANGFAN_STORAGE_TEST_POSTGRESQL=1), so that only the PostgreSQL binary depends on the server
// fixture and a broken server cannot hide the SQLite results. With neither, both backends run.
#include <gtest/gtest.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "adapters/storage/case_store.h"
#include "adapters/storage/count_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_store.h"
#include "adapters/storage/timer_batch.h"
#include "adapters/storage/timer_store.h"
#include "tests/support/pg_server.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::March;
using test::PgTestServer;
using test::ScratchPgDatabase;

enum class Backend { kSqlite, kPostgresql };

// 2025-03-03 09:00 China time, and offsets from it.
TimePoint t0() { return china_time(Date{2025y / March / 3}, 9h); }

// A GB 11643 ID number for a generated person: 17 digits plus the check character.
std::string id_number(const std::string& first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return first17 + "10X98765432"[sum % 11];
}

fs::path fresh_temp_dir() {
  static std::atomic<int> counter{0};
  const fs::path dir =
      fs::temp_directory_path() /
      ("fangfan-storage-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Runs raw SQL that the schema must refuse; returns the refusal (nullopt if it was accepted).
std::optional<StorageError> refusal(soci::session& session, const std::string& sql) {
  try {
    guarded("raw statement", [&] { session << sql; });
  } catch (const StorageError& e) {
    return e;
  }
  return std::nullopt;
}

long long count(soci::session& session, const std::string& sql) {
  long long n = -1;
  session << sql, soci::into(n);
  return n;
}

HouseholdRecord household(const std::string& code) {
  HouseholdRecord h;
  h.code = code;
  h.village_code = "370102001001";
  h.township_code = "370102001";
  h.head_name = "王建国";
  h.phone = "13800001234";
  h.details = R"({"address":"东村 3 组"})";
  h.created_at = t0();
  h.updated_at = t0();
  return h;
}

CaseRecord new_case(const std::string& household_code) {
  CaseRecord c;
  c.household_code = household_code;
  c.kind = "边缘易致贫户";
  c.state = "discovered";
  c.version = 1;
  c.source = "self_application";
  c.opened_at = t0();
  c.data = R"({"risk_causes":["因病"]})";
  c.updated_at = t0();
  return c;
}

HistoryRecord history(std::int64_t case_id, std::string event, std::string before,
                      std::string after, TimePoint at) {
  HistoryRecord h;
  h.case_id = case_id;
  h.event = std::move(event);
  h.before_state = std::move(before);
  h.after_state = std::move(after);
  h.actor = "township:370102001/李四";
  h.at = at;
  h.reason = "入户核实完成";
  h.details = R"({"visit":"2025-03-04"})";
  return h;
}

NewTimer timer(std::optional<std::int64_t> case_id, std::string key, TimePoint due, int rung = 0) {
  NewTimer t;
  t.case_id = case_id;
  t.kind = rung == 0 ? "deadline" : "escalation";
  t.step = "verification";
  t.rung = rung;
  t.dedupe_key = std::move(key);
  t.due_at = due;
  t.created_at = t0();
  return t;
}

NewOutboxMessage message(std::string key, TimePoint next_attempt_at) {
  NewOutboxMessage m;
  m.dedupe_key = std::move(key);
  m.channel = "sms";
  m.recipient = "13800001234";
  m.message_type = "deadline_reminder";
  m.body = "王** 户的入户核实将于 2025-03-10 到期";
  m.created_at = t0();
  m.next_attempt_at = next_attempt_at;
  return m;
}

class StorageConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      dir_ = fresh_temp_dir();
      // A folder that does not exist yet: open() must create it.
      url_ = "sqlite3://" + (dir_ / "state" / "fangfan.db").string();
    } else {
      const PgTestServer& pg = test::pg_test_server();
      if (pg.status == PgTestServer::Status::kAbsent) GTEST_SKIP() << pg.reason;
      ASSERT_EQ(pg.status, PgTestServer::Status::kReady) << pg.reason;
      scratch_.emplace(pg);
      url_ = scratch_->url();
    }
    db_.emplace(Database::open(url_));
  }

  void TearDown() override {
    db_.reset();
    scratch_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  Database& db() { return *db_; }

  // A session on a database migrated to the latest schema.
  std::unique_ptr<soci::session> migrated() {
    migrate(db(), t0());
    return db().open_session();
  }

  // A household with one case, for tests about what hangs off a case.
  std::int64_t seed_case(soci::session& s, const std::string& code = "3701020010010001") {
    insert_household(s, household(code));
    return insert_case(s, new_case(code));
  }

  std::string url_;
  fs::path dir_;
  std::optional<ScratchPgDatabase> scratch_;
  std::optional<Database> db_;
};

// ---- migrations

TEST_P(StorageConformance, Migrate_FreshDatabaseAppliesEveryMigration) {
  const MigrationResult result = migrate(db(), t0());
  EXPECT_EQ(result.from_version, 0);
  EXPECT_EQ(result.to_version, latest_schema_version());
  EXPECT_EQ(result.applied, latest_schema_version());

  auto s = db().open_session();
  EXPECT_EQ(current_schema_version(*s), latest_schema_version());
  soci::rowset<soci::row> rows =
      (s->prepare << "SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
  std::size_t i = 0;
  for (const soci::row& row : rows) {
    ASSERT_LT(i, schema_migrations().size());
    EXPECT_EQ(row.get<int>(0), schema_migrations()[i].version);
    EXPECT_EQ(row.get<std::string>(1), schema_migrations()[i].name);
    EXPECT_EQ(row.get<long long>(2), t0().time_since_epoch().count());
    ++i;
  }
  EXPECT_EQ(i, schema_migrations().size());
}

TEST_P(StorageConformance, Migrate_RerunAppliesNothing) {
  migrate(db(), t0());
  const MigrationResult again = migrate(db(), t0() + 1h);
  EXPECT_EQ(again.from_version, latest_schema_version());
  EXPECT_EQ(again.to_version, latest_schema_version());
  EXPECT_EQ(again.applied, 0);

  // A restart opens the database afresh: still nothing to do.
  const MigrationResult after_restart = migrate(Database::open(url_), t0() + 2h);
  EXPECT_EQ(after_restart.applied, 0);
  auto s = db().open_session();
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM schema_migrations"), latest_schema_version());
}

TEST_P(StorageConformance, Migrate_NewerDatabaseIsRefusedAndLeftAlone) {
  migrate(db(), t0());
  const int newer = latest_schema_version() + 1;
  {
    auto s = db().open_session();
    *s << "INSERT INTO schema_migrations (version, name, applied_at)"
          " VALUES (" +
              std::to_string(newer) + ", 'from a newer fangfan', 0)";
  }
  try {
    migrate(db(), t0());
    FAIL() << "a database newer than the binary was accepted";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageError::Kind::kSchemaTooNew);
    const std::string expected = "数据库结构版本为 " + std::to_string(newer) + "，本程序只认识到 " +
                                 std::to_string(latest_schema_version()) +
                                 "：请升级 fangfan 或恢复备份";
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("upgrade fangfan or restore a backup"), std::string::npos)
        << e.what();
  }
  auto s = db().open_session();
  EXPECT_EQ(current_schema_version(*s), newer);
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM schema_migrations"), latest_schema_version() + 1);
}

TEST_P(StorageConformance, Migrate_FailedMigrationRollsBackCompletely) {
  std::vector<Migration> list = schema_migrations();
  Migration broken{latest_schema_version() + 1, "broken on purpose", {}};
  broken.steps.push_back(
      {"CREATE TABLE half_done (x INTEGER)", "CREATE TABLE half_done (x INTEGER)"});
  broken.steps.push_back(
      {"CREATE TABLE half_done (x INTEGER)", "CREATE TABLE half_done (x INTEGER)"});
  list.push_back(broken);

  try {
    migrate(db(), t0(), list);
    FAIL() << "the broken migration was applied";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageError::Kind::kMigration);
    EXPECT_NE(std::string(e.what()).find("broken on purpose"), std::string::npos) << e.what();
  }
  auto s = db().open_session();
  // The good migrations before it stay; nothing of the broken one does, not even its first step.
  EXPECT_EQ(current_schema_version(*s), latest_schema_version());
  EXPECT_TRUE(refusal(*s, "SELECT COUNT(*) FROM half_done").has_value());

  list.back().steps.pop_back();
  const MigrationResult fixed = migrate(db(), t0(), list);
  EXPECT_EQ(fixed.applied, 1);
  EXPECT_EQ(fixed.to_version, latest_schema_version() + 1);
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM half_done"), 0);
}

TEST_P(StorageConformance, Migrate_ConcurrentMigratorsApplyEachMigrationOnce) {
  std::atomic<int> applied{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      try {
        applied += migrate(db(), t0()).applied;
      } catch (const std::exception& e) {
        ++errors;
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(applied, latest_schema_version());
  auto s = db().open_session();
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM schema_migrations"), latest_schema_version());
}

// An existing database (before the department feeds migration) with duties of every old kind
// migrates: its duties keep their ids, rows and indexes, the new kinds are admitted, and nothing
// else is.
TEST_P(StorageConformance, Migrate_ExistingDutiesSurviveAndAdmitFeedAndAlertDuties) {
  std::vector<Migration> before = schema_migrations();
  const auto feeds = std::find_if(before.begin(), before.end(), [](const Migration& m) {
    return m.name == "department feeds and alerts";
  });
  ASSERT_NE(feeds, before.end());
  before.erase(feeds, before.end());
  migrate(db(), t0(), before);
  auto s = db().open_session();
  const std::int64_t case_id = seed_case(*s);
  const char* kinds[] = {"step", "visits", "monitoring", "evaluation", "campaign"};
  for (int i = 0; i < 5; ++i) {
    NewDuty d;
    d.duty_key = std::string(kinds[i]) + "/" + std::to_string(case_id);
    d.case_id = i < 3 ? std::optional<std::int64_t>(case_id) : std::nullopt;
    d.kind = kinds[i];
    d.subject = "s";
    d.township_code = "370102001";
    d.owner_role = "township_clerk";
    d.due_at = t0() + std::chrono::hours(i);
    d.opened_at = t0();
    open_duty(*s, d);
  }
  EXPECT_TRUE(refusal(*s,
                      "INSERT INTO duties (duty_key, kind, subject, township_code, owner_role,"
                      " due_at, state, opened_at) VALUES ('feed/x/2026-11', 'feed', 'x',"
                      " '370102', 'department_clerk', 0, 'open', 0)"));
  close_duty(*s, 2, t0() + 1h);

  EXPECT_EQ(migrate(db(), t0() + 1h).applied, latest_schema_version() - int(before.size()));
  auto after = db().open_session();
  for (int i = 0; i < 5; ++i) {
    auto d = find_duty(*after, std::string(kinds[i]) + "/" + std::to_string(case_id));
    ASSERT_TRUE(d) << kinds[i];
    EXPECT_EQ(d->id, i + 1);
    EXPECT_EQ(d->kind, kinds[i]);
    EXPECT_EQ(d->due_at, t0() + std::chrono::hours(i));
    EXPECT_EQ(d->state, i == 1 ? DutyState::kDone : DutyState::kOpen);
  }
  for (const char* kind : {"feed", "alert"}) {
    NewDuty d;
    d.duty_key = std::string(kind) + "/new";
    d.kind = kind;
    d.subject = "civil_affairs/2026-11";
    d.township_code = "370102";
    d.owner_role = "department_clerk";
    d.due_at = d.opened_at = t0();
    const OpenDutyResult r = open_duty(*after, d);
    EXPECT_TRUE(r.inserted) << kind;
    EXPECT_GT(r.id, 5);  // ids continue after the old rows (PostgreSQL: a refused insert
                         // used a number of the sequence too)
  }
  EXPECT_TRUE(refusal(*after,
                      "INSERT INTO duties (duty_key, kind, subject, township_code, owner_role,"
                      " due_at, state, opened_at) VALUES ('x/1', 'holiday', 'x', '370102',"
                      " 'county_office', 0, 'open', 0)"));
  // The indexes the queries of duty_store.cpp read are back; the township index, which none
  // reads, is gone (migration "duties without the township index").
  const auto indexes = [&](const std::string& names) {
    return count(*after, GetParam() == Backend::kSqlite
                             ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'"
                               " AND tbl_name = 'duties' AND name IN (" +
                                   names + ")"
                             : "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'duties'"
                               " AND indexname IN (" +
                                   names + ")");
  };
  EXPECT_EQ(indexes("'duties_by_due', 'duties_by_case'"), 2);
  EXPECT_EQ(indexes("'duties_by_township'"), 0);
  // The case index is (case_id, id): a case's duties come in id order without a sort (migration
  // "duties by case in id order").
  EXPECT_EQ(
      count(*after, GetParam() == Backend::kSqlite
                        ? "SELECT COUNT(*) FROM pragma_index_info('duties_by_case')"
                          " WHERE (seqno = 0 AND name = 'case_id') OR (seqno = 1 AND name = 'id')"
                        : "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'duties_by_case'"
                          " AND indexdef LIKE '%(case_id, id)'"),
      GetParam() == Backend::kSqlite ? 2 : 1);
  EXPECT_EQ(count(*after, "SELECT COUNT(*) FROM feed_runs"), 0);
}

// ---- households and members

TEST_P(StorageConformance, Household_RoundTripsWithMembers) {
  auto s = migrated();
  insert_household(*s, household("3701020010010001"));
  const std::string head_id = id_number("37010219800101001");
  const std::string child_id = id_number("37010220120315002");
  insert_member(*s, {0, "3701020010010001", "王建国", head_id, "户主", true, false, false});
  insert_member(*s, {0, "3701020010010001", "王小明", child_id, "之子", false, false, true});

  const auto loaded = load_household(*s, "3701020010010001");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->head_name, "王建国");
  EXPECT_EQ(loaded->details, R"({"address":"东村 3 组"})");
  EXPECT_EQ(loaded->created_at, t0());
  EXPECT_FALSE(load_household(*s, "no-such-household").has_value());

  const auto members = load_members(*s, "3701020010010001");
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].id_number, head_id);
  EXPECT_TRUE(members[0].able_to_work);
  EXPECT_FALSE(members[0].student);
  EXPECT_EQ(members[1].name, "王小明");
  EXPECT_TRUE(members[1].student);
  EXPECT_FALSE(members[1].able_to_work);
}

TEST_P(StorageConformance, Members_IdNumberIsUniqueWithinAHousehold) {
  auto s = migrated();
  insert_household(*s, household("3701020010010001"));
  insert_household(*s, household("3701020010010002"));
  const std::string id = id_number("37010219800101001");
  insert_member(*s, {0, "3701020010010001", "王建国", id, "户主", true, false, false});
  try {
    insert_member(*s, {0, "3701020010010001", "王建国", id, "户主", true, false, false});
    FAIL() << "the same person was added twice to one household";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageError::Kind::kConstraint) << e.what();
  }
  // The household that a feed says the person moved to may list them before the old one drops
  // them; the key is per household.
  EXPECT_NO_THROW(
      insert_member(*s, {0, "3701020010010002", "王建国", id, "户主", true, false, false}));
}

TEST_P(StorageConformance, ForeignKeys_AreEnforced) {
  auto s = migrated();
  const auto expect_constraint = [](auto&& write, const char* what) {
    try {
      write();
      ADD_FAILURE() << what << " was accepted";
    } catch (const StorageError& e) {
      EXPECT_EQ(e.kind(), StorageError::Kind::kConstraint) << what << ": " << e.what();
    }
  };
  expect_constraint(
      [&] {
        insert_member(*s, {0, "no-such-household", "张三", id_number("37010219900202003"), "户主",
                           true, false, false});
      },
      "a member of a missing household");
  expect_constraint([&] { insert_case(*s, new_case("no-such-household")); },
                    "a case of a missing household");
  expect_constraint(
      [&] { append_history(*s, history(424242, "discover", "", "discovered", t0())); },
      "history of a missing case");
  expect_constraint([&] { schedule_timer(*s, timer(424242, "case/424242/x", t0())); },
                    "a timer of a missing case");
}

// ---- cases and optimistic concurrency

TEST_P(StorageConformance, Case_RoundTripsIncludingTheLinkToAPreviousCase) {
  auto s = migrated();
  const std::int64_t first = seed_case(*s);
  CaseRecord second = new_case("3701020010010001");
  second.previous_case_id = first;
  second.emergency = true;
  second.kind = "突发严重困难户";
  const std::int64_t second_id = insert_case(*s, second);
  EXPECT_NE(first, second_id);

  const auto a = load_case(*s, first);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->state, "discovered");
  EXPECT_EQ(a->version, 1);
  EXPECT_FALSE(a->previous_case_id.has_value());
  EXPECT_FALSE(a->emergency);
  EXPECT_EQ(a->data, R"({"risk_causes":["因病"]})");
  EXPECT_EQ(a->opened_at, t0());

  const auto b = load_case(*s, second_id);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->previous_case_id, first);
  EXPECT_TRUE(b->emergency);
  EXPECT_EQ(b->kind, "突发严重困难户");

  const auto both = load_cases_of_household(*s, "3701020010010001");
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].id, first);
  EXPECT_EQ(both[1].id, second_id);
  EXPECT_FALSE(load_case(*s, second_id + 1000).has_value());
}

TEST_P(StorageConformance, Case_StaleVersionIsRefused) {
  auto s = migrated();
  const std::int64_t id = seed_case(*s);
  EXPECT_TRUE(update_case_state(*s, id, 1, "verification", R"({"a":1})", t0() + 1h));
  // A writer that loaded version 1 before that update is stale now.
  EXPECT_FALSE(update_case_state(*s, id, 1, "rejected", R"({"b":2})", t0() + 2h));
  EXPECT_FALSE(update_case_state(*s, id + 1000, 1, "rejected", "{}", t0() + 2h));

  const auto c = load_case(*s, id);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->state, "verification");
  EXPECT_EQ(c->version, 2);
  EXPECT_EQ(c->data, R"({"a":1})");
  EXPECT_EQ(c->updated_at, t0() + 1h);
  EXPECT_TRUE(update_case_state(*s, id, 2, "review", "{}", t0() + 3h));
}

TEST_P(StorageConformance, Case_ConcurrentWritersOfOneVersionOnlyOneWins) {
  auto s = migrated();
  const std::int64_t id = seed_case(*s);
  auto first = db().open_session();
  auto second = db().open_session();

  WriteTransaction first_tx(*first);
  ASSERT_TRUE(update_case_state(*first, id, 1, "verification", "{}", t0() + 1h));
  append_history(*first, history(id, "verify", "discovered", "verification", t0() + 1h));

  // The second writer loaded version 1 too; it waits for the first one's lock, then finds the
  // version moved on.
  std::atomic<int> second_result{-1};
  std::thread racer([&] {
    try {
      WriteTransaction tx(*second);
      const bool ok = update_case_state(*second, id, 1, "rejected", "{}", t0() + 2h);
      if (ok) append_history(*second, history(id, "reject", "discovered", "rejected", t0() + 2h));
      tx.commit();
      second_result = ok ? 1 : 0;
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  });
  std::this_thread::sleep_for(200ms);
  first_tx.commit();
  racer.join();

  EXPECT_EQ(second_result, 0);
  const auto c = load_case(*s, id);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->state, "verification");
  EXPECT_EQ(c->version, 2);
  EXPECT_EQ(load_history(*s, id).size(), 1u);
}

TEST_P(StorageConformance, Transaction_RollbackDiscardsEveryPartOfAChange) {
  auto s = migrated();
  const std::int64_t id = seed_case(*s);
  const auto change = [&](soci::session& session) {
    ASSERT_TRUE(update_case_state(session, id, 1, "verification", "{}", t0() + 1h));
    append_history(session, history(id, "verify", "discovered", "verification", t0() + 1h));
    schedule_timer(session, timer(id, "case/1/verification/1/rung/0", t0() + 120h));
    enqueue_outbox(session, message("case/1/verification/assigned", t0() + 1h));
  };
  {
    WriteTransaction tx(*s);
    change(*s);
  }  // no commit: rolled back
  EXPECT_EQ(load_case(*s, id)->version, 1);
  EXPECT_TRUE(load_history(*s, id).empty());
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM timers"), 0);
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM outbox"), 0);

  {
    WriteTransaction tx(*s);
    change(*s);
    tx.commit();
  }
  EXPECT_EQ(load_case(*s, id)->version, 2);
  EXPECT_EQ(load_history(*s, id).size(), 1u);
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM timers"), 1);
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM outbox"), 1);
}

// ---- history: append-only

TEST_P(StorageConformance, History_IsNumberedPerCaseAndRoundTrips) {
  auto s = migrated();
  const std::int64_t a = seed_case(*s, "3701020010010001");
  const std::int64_t b = seed_case(*s, "3701020010010002");
  EXPECT_EQ(append_history(*s, history(a, "discover", "", "discovered", t0())), 1);
  EXPECT_EQ(append_history(*s, history(b, "discover", "", "discovered", t0())), 1);
  EXPECT_EQ(append_history(*s, history(a, "verify", "discovered", "verification", t0() + 1h)), 2);
  EXPECT_EQ(append_history(*s, history(a, "review", "verification", "review", t0() + 2h)), 3);
  EXPECT_EQ(append_history(*s, history(b, "reject", "discovered", "rejected", t0() + 3h)), 2);

  const auto rows = load_history(*s, a);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].seq, 1);
  EXPECT_EQ(rows[0].before_state, "");
  EXPECT_EQ(rows[1].event, "verify");
  EXPECT_EQ(rows[1].actor, "township:370102001/李四");
  EXPECT_EQ(rows[1].reason, "入户核实完成");
  EXPECT_EQ(rows[1].details, R"({"visit":"2025-03-04"})");
  EXPECT_EQ(rows[2].seq, 3);
  EXPECT_EQ(rows[2].after_state, "review");
  EXPECT_EQ(rows[2].at, t0() + 2h);

  // Two rows can never share a number within a case.
  const auto duplicate = refusal(*s,
                                 "INSERT INTO case_history (case_id, seq, event, before_state,"
                                 " after_state, actor, at) VALUES (" +
                                     std::to_string(a) + ", 2, 'x', 'a', 'b', 'c', 0)");
  ASSERT_TRUE(duplicate.has_value());
  EXPECT_EQ(duplicate->kind(), StorageError::Kind::kConstraint);
}

TEST_P(StorageConformance, History_DatabaseRefusesUpdate) {
  auto s = migrated();
  const std::int64_t id = seed_case(*s);
  append_history(*s, history(id, "discover", "", "discovered", t0()));

  for (const std::string sql :
       {"UPDATE case_history SET reason = 'rewritten'",
        "UPDATE case_history SET after_state = 'registered' WHERE seq = 1"}) {
    const auto refused = refusal(*s, sql);
    ASSERT_TRUE(refused.has_value()) << sql << " was accepted";
    EXPECT_EQ(refused->kind(), StorageError::Kind::kConstraint) << refused->what();
    EXPECT_NE(std::string(refused->what()).find("append-only"), std::string::npos)
        << refused->what();
  }
  const auto rows = load_history(*s, id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].reason, "入户核实完成");
  EXPECT_EQ(rows[0].after_state, "discovered");
}

TEST_P(StorageConformance, History_DatabaseRefusesDelete) {
  auto s = migrated();
  const std::int64_t id = seed_case(*s);
  append_history(*s, history(id, "discover", "", "discovered", t0()));
  append_history(*s, history(id, "verify", "discovered", "verification", t0() + 1h));

  for (const std::string sql :
       {"DELETE FROM case_history WHERE seq = 2", "DELETE FROM case_history"}) {
    const auto refused = refusal(*s, sql);
    ASSERT_TRUE(refused.has_value()) << sql << " was accepted";
    EXPECT_EQ(refused->kind(), StorageError::Kind::kConstraint) << refused->what();
  }
  // Nor can the case be deleted from under its history.
  EXPECT_TRUE(refusal(*s, "DELETE FROM cases WHERE id = " + std::to_string(id)).has_value());
  EXPECT_EQ(load_history(*s, id).size(), 2u);
}

// ---- timers

TEST_P(StorageConformance, Timers_ComeInDueOrderAndOnlyPendingOnes) {
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  // Scheduled out of order; two share a due time (then scheduling order decides).
  const auto late = schedule_timer(*s, timer(c, "k/late", t0() + 48h)).id;
  const auto early = schedule_timer(*s, timer(c, "k/early", t0() + 1h)).id;
  const auto tie_a = schedule_timer(*s, timer(c, "k/tie-a", t0() + 24h)).id;
  const auto tie_b = schedule_timer(*s, timer(std::nullopt, "county/q4", t0() + 24h)).id;
  const auto future = schedule_timer(*s, timer(c, "k/future", t0() + 240h)).id;
  const auto cancelled = schedule_timer(*s, timer(c, "k/cancelled", t0())).id;
  const auto fired = schedule_timer(*s, timer(c, "k/fired", t0())).id;
  ASSERT_TRUE(cancel_timer(*s, cancelled));
  ASSERT_TRUE(mark_timer_fired(*s, fired, t0()));

  const auto next = next_due_timer(*s);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->id, early);

  const TimePoint now = t0() + 72h;
  const auto batch = due_timers(*s, now, 2);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].id, early);
  EXPECT_EQ(batch[1].id, tie_a);

  const auto all = due_timers(*s, now, 100);
  std::vector<std::int64_t> ids;
  for (const auto& t : all) ids.push_back(t.id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{early, tie_a, tie_b, late}));
  EXPECT_FALSE(all[2].case_id.has_value());
  EXPECT_EQ(all[3].due_at, t0() + 48h);
  EXPECT_EQ(all[3].state, TimerState::kPending);
  (void)future;

  EXPECT_TRUE(due_timers(*s, t0(), 100).empty());
}

TEST_P(StorageConformance, Timers_EachRungExistsOnce) {
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  const std::string key = "case/" + std::to_string(c) + "/verification/1/rung/2";
  const ScheduleResult first = schedule_timer(*s, timer(c, key, t0() + 168h, 2));
  EXPECT_TRUE(first.inserted);
  // A replay, or a restart that recomputes the ladder, schedules it again: nothing new.
  const ScheduleResult again = schedule_timer(*s, timer(c, key, t0() + 999h, 2));
  EXPECT_FALSE(again.inserted);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(load_timer(*s, first.id)->due_at, t0() + 168h);

  // Even after it fired, the rung does not come back.
  ASSERT_TRUE(mark_timer_fired(*s, first.id, t0() + 170h));
  EXPECT_FALSE(schedule_timer(*s, timer(c, key, t0() + 200h, 2)).inserted);
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM timers"), 1);

  // The key is enforced by the database, not only by schedule_timer.
  const auto refused = refusal(*s,
                               "INSERT INTO timers (kind, dedupe_key, due_at, created_at)"
                               " VALUES ('escalation', '" +
                                   key + "', 0, 0)");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->kind(), StorageError::Kind::kConstraint);
  EXPECT_TRUE(refusal(*s, "UPDATE timers SET state = 'snoozed'").has_value());
}

TEST_P(StorageConformance, Timers_FireExactlyOnce) {
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  const auto id = schedule_timer(*s, timer(c, "k/deadline", t0() + 1h)).id;
  // Two schedulers (or a retry after a crash) race for the same timer: one wins.
  EXPECT_TRUE(mark_timer_fired(*s, id, t0() + 30h));
  EXPECT_FALSE(mark_timer_fired(*s, id, t0() + 31h));
  EXPECT_FALSE(cancel_timer(*s, id));

  const auto t = load_timer(*s, id);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->state, TimerState::kFired);
  ASSERT_TRUE(t->fired_at.has_value());
  EXPECT_EQ(*t->fired_at - t->due_at, 29h);  // how late it fired
  EXPECT_FALSE(next_due_timer(*s).has_value());
  EXPECT_FALSE(mark_timer_fired(*s, id + 1000, t0()));
}

// Firing or cancelling a timer moves no index entry (issue 15): both indexes of the timers hold
// pending ones only, and the scheduler's and the cancellations' queries read them.
TEST_P(StorageConformance, Timers_IndexesHoldPendingTimersOnly) {
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  const auto fired = schedule_timer(*s, timer(c, "k/fired", t0())).id;
  const auto cancelled = schedule_timer(*s, timer(c, "k/cancelled", t0())).id;
  const auto pending = schedule_timer(*s, timer(c, "k/pending", t0() + 1h)).id;
  ASSERT_TRUE(mark_timer_fired(*s, fired, t0()));
  ASSERT_TRUE(cancel_timer(*s, cancelled));
  for (const std::string name : {"timers_by_due", "timers_by_case"}) {
    const std::string partial = GetParam() == Backend::kSqlite
                                    ? "SELECT COUNT(*) FROM sqlite_master WHERE name = '" + name +
                                          "' AND sql LIKE '%WHERE state = ''pending''%'"
                                    : "SELECT COUNT(*) FROM pg_indexes WHERE indexname = '" + name +
                                          "' AND indexdef LIKE '%WHERE%state%pending%'";
    EXPECT_EQ(count(*s, partial), 1) << name;
  }
  if (GetParam() == Backend::kSqlite) {
    // The index holds the one pending timer (a partial index counts only its own rows).
    EXPECT_EQ(count(*s,
                    "SELECT COUNT(*) FROM timers INDEXED BY timers_by_due"
                    " WHERE state = 'pending'"),
              1);
    // The plans read the indexes (a scan or a sort here would read every timer ever fired).
    const auto plan = [&](const std::string& sql) {
      std::string details;
      soci::rowset<soci::row> rows = s->prepare << "EXPLAIN QUERY PLAN " + sql;
      for (const soci::row& r : rows) details += r.get<std::string>(3) + "; ";
      return details;
    };
    const std::string due = plan(
        "SELECT id FROM timers WHERE state = 'pending' AND (due_at, due_ms) <= (1, 0)"
        " ORDER BY due_at, due_ms, id LIMIT 5");
    EXPECT_NE(due.find("INDEX timers_by_due"), std::string::npos) << due;
    EXPECT_EQ(due.find("TEMP B-TREE"), std::string::npos) << due;
    const std::string of_case =
        plan("SELECT id FROM timers WHERE case_id = 1 AND state = 'pending'");
    EXPECT_NE(of_case.find("INDEX timers_by_case"), std::string::npos) << of_case;
  }
  EXPECT_EQ(next_due_timer(*s)->id, pending);
  EXPECT_EQ(cancel_case_timers(*s, c), 1);
  EXPECT_FALSE(next_due_timer(*s).has_value());
}

// The CHECKs of the hot tables' states are comparisons on SQLite (throughput_migration.cpp: an IN
// list there builds a temporary b-tree for every row checked) and still refuse what they did.
TEST_P(StorageConformance, Migrate_StateChecksRefuseUnknownValuesWithoutAListTable) {
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  const auto t = schedule_timer(*s, timer(c, "k/check", t0())).id;
  const long long id = t;
  EXPECT_THROW((*s << "UPDATE timers SET state = 'gone' WHERE id = :id", soci::use(id)),
               soci::soci_error);
  *s << "UPDATE timers SET state = 'cancelled' WHERE id = :id", soci::use(id);
  EXPECT_THROW((*s << "INSERT INTO outbox (dedupe_key, channel, recipient, message_type, body,"
                      " status, next_attempt_at, created_at)"
                      " VALUES ('k/bad', 'sms', 'r', 't', '{}', 'lost', 0, 0)"),
               soci::soci_error);
  *s << "INSERT INTO outbox (dedupe_key, channel, recipient, message_type, body, status,"
        " next_attempt_at, created_at) VALUES ('k/good', 'sms', 'r', 't', '{}', 'dead', 0, 0)";
  const std::string duty =
      "INSERT INTO duties (duty_key, kind, subject, township_code, owner_role, due_at, state,"
      " opened_at) VALUES ";
  EXPECT_THROW((*s << duty + "('d/1', 'chores', 's', 't', 'r', 0, 'open', 0)"), soci::soci_error);
  EXPECT_THROW((*s << duty + "('d/2', 'alert_step', 's', 't', 'r', 0, 'shut', 0)"),
               soci::soci_error);
  *s << duty + "('d/3', 'alert_step', 's', 't', 'r', 0, 'cancelled', 0)";
  if (GetParam() == Backend::kSqlite) {
    // A new connection reads the rewritten definitions: no list table where a row is checked.
    auto fresh = db().open_session();
    const auto list_tables = [&](const std::string& sql) {
      int n = 0;
      soci::rowset<soci::row> rows = fresh->prepare << "EXPLAIN " + sql;
      for (const soci::row& r : rows) n += r.get<std::string>(1) == "OpenEphemeral" ? 1 : 0;
      return n;
    };
    EXPECT_EQ(list_tables("UPDATE timers SET state = 'fired' WHERE id = 1"), 0);
    EXPECT_EQ(list_tables("UPDATE outbox SET status = 'sent' WHERE id = 1"), 0);
    EXPECT_EQ(list_tables(duty + "('d/4', 'step', 's', 't', 'r', 0, 'open', 0)"), 0);
    std::string integrity;
    *fresh << "PRAGMA integrity_check", soci::into(integrity);
    EXPECT_EQ(integrity, "ok");
  }
}

TEST_P(StorageConformance, Timers_MovingOnCancelsTheStepsTimers) {
  auto s = migrated();
  const std::int64_t c = seed_case(*s, "3701020010010001");
  const std::int64_t other = seed_case(*s, "3701020010010002");
  schedule_timer(*s, timer(c, "c/v/0", t0() + 1h, 0));
  schedule_timer(*s, timer(c, "c/v/1", t0() + 2h, 1));
  NewTimer review = timer(c, "c/r/0", t0() + 3h);
  review.step = "review";
  schedule_timer(*s, review);
  schedule_timer(*s, timer(other, "o/v/0", t0() + 1h));

  EXPECT_EQ(cancel_case_timers(*s, c, "verification"), 2);
  EXPECT_EQ(cancel_case_timers(*s, c, "verification"), 0);
  const auto left = due_timers(*s, t0() + 10h, 10);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].dedupe_key, "o/v/0");
  EXPECT_EQ(left[1].dedupe_key, "c/r/0");
  EXPECT_EQ(cancel_case_timers(*s, c), 1);
  EXPECT_EQ(due_timers(*s, t0() + 10h, 10).size(), 1u);
}

// ---- outbox

TEST_P(StorageConformance, Outbox_DedupeKeyMakesTheSecondEnqueueANoOp) {
  auto s = migrated();
  const EnqueueResult first =
      enqueue_outbox(*s, message("case/7/verification/rung/1/2025-03-03", t0()));
  EXPECT_TRUE(first.inserted);
  NewOutboxMessage replay = message("case/7/verification/rung/1/2025-03-03", t0() + 1h);
  replay.body = "a different body";
  const EnqueueResult second = enqueue_outbox(*s, replay);
  EXPECT_FALSE(second.inserted);
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(load_outbox(*s, first.id)->body, "王** 户的入户核实将于 2025-03-10 到期");

  const EnqueueResult next_day =
      enqueue_outbox(*s, message("case/7/verification/rung/1/2025-03-04", t0() + 24h));
  EXPECT_TRUE(next_day.inserted);
  EXPECT_NE(next_day.id, first.id);
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM outbox"), 2);
}

TEST_P(StorageConformance, Outbox_DueMessagesInOrderThroughTheirLifecycle) {
  auto s = migrated();
  const auto later = enqueue_outbox(*s, message("m/later", t0() + 2h)).id;
  const auto first = enqueue_outbox(*s, message("m/first", t0())).id;
  const auto quiet = enqueue_outbox(*s, message("m/after-quiet-hours", t0() + 23h)).id;
  EXPECT_EQ(next_outbox_attempt(*s), t0());

  auto due = due_outbox(*s, t0() + 3h, 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, first);
  EXPECT_EQ(due[1].id, later);
  EXPECT_EQ(due[0].status, OutboxStatus::kPending);
  EXPECT_EQ(due_outbox(*s, t0() + 3h, 1).size(), 1u);

  // Claimed once only; a retry goes back to pending with the error and a later time.
  EXPECT_TRUE(claim_outbox(*s, first));
  EXPECT_FALSE(claim_outbox(*s, first));
  EXPECT_TRUE(mark_outbox_retry(*s, first, "HTTP 503", t0() + 5h));
  auto m = load_outbox(*s, first);
  EXPECT_EQ(m->status, OutboxStatus::kPending);
  EXPECT_EQ(m->attempts, 1);
  EXPECT_EQ(m->last_error, "HTTP 503");
  EXPECT_EQ(m->next_attempt_at, t0() + 5h);
  EXPECT_FALSE(mark_outbox_sent(*s, first, "x", t0()));  // not sending

  EXPECT_TRUE(claim_outbox(*s, first));
  EXPECT_TRUE(mark_outbox_sent(*s, first, "biz-id-4242", t0() + 5h));
  m = load_outbox(*s, first);
  EXPECT_EQ(m->status, OutboxStatus::kSent);
  EXPECT_EQ(m->attempts, 2);
  EXPECT_EQ(m->provider_message_id, "biz-id-4242");
  EXPECT_EQ(m->sent_at, t0() + 5h);

  // A permanent provider error, then an operator's retry and cancel.
  EXPECT_TRUE(claim_outbox(*s, later));
  EXPECT_TRUE(mark_outbox_failed(*s, later, OutboxStatus::kDead, "isv.MOBILE_NUMBER_ILLEGAL"));
  EXPECT_EQ(list_outbox(*s, OutboxStatus::kDead, 10).size(), 1u);
  EXPECT_TRUE(requeue_outbox(*s, later, t0() + 6h));
  m = load_outbox(*s, later);
  EXPECT_EQ(m->status, OutboxStatus::kPending);
  EXPECT_EQ(m->attempts, 0);
  EXPECT_TRUE(cancel_outbox(*s, later));
  EXPECT_FALSE(cancel_outbox(*s, first));  // sent messages stay sent

  // A crash while sending: on restart the message goes back to pending.
  EXPECT_TRUE(claim_outbox(*s, quiet));
  EXPECT_EQ(recover_stuck_sending(*s, t0() + 30h), 1);
  EXPECT_EQ(load_outbox(*s, quiet)->status, OutboxStatus::kPending);
  EXPECT_EQ(next_outbox_attempt(*s), t0() + 30h);

  const auto listed = list_outbox(*s, std::nullopt, 10);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].id, quiet);  // newest first
  EXPECT_TRUE(refusal(*s, "UPDATE outbox SET status = 'lost'").has_value());
}

// ---- the case list (case_store.h)

// Four cases in three households of two townships, newest last: ids in insertion order.
std::vector<std::int64_t> seed_case_list(soci::session& s) {
  struct Seed {
    const char* household;
    const char* village;
    const char* state;
    const char* kind;
    const char* data;
  };
  const Seed seeds[] = {
      {"3701020010010001", "370102001001", "discovered", "marginal", R"({"officer":"张三"})"},
      {"3701020010020001", "370102001002", "registered", "unstable", R"({})"},
      {"3701030010010001", "370103001001", "discovered", "marginal", R"({"officer":"李四"})"},
      {"3701020010010001", "370102001001", "eliminated", "unstable", R"({"officer":"张三"})"},
  };
  std::vector<std::int64_t> ids;
  for (const Seed& seed : seeds) {
    if (!load_household(s, seed.household)) {
      HouseholdRecord h = household(seed.household);
      h.village_code = seed.village;
      h.township_code = std::string(seed.village).substr(0, 9);
      insert_household(s, h);
    }
    CaseRecord c = new_case(seed.household);
    c.state = seed.state;
    c.kind = seed.kind;
    c.data = seed.data;
    ids.push_back(insert_case(s, c));
  }
  return ids;
}

std::vector<std::int64_t> listed_ids(soci::session& s, const CaseListFilter& filter) {
  std::vector<std::int64_t> ids;
  list_cases(s, filter, [&](ListedCase&& c) {
    ids.push_back(c.id);
    return true;
  });
  return ids;
}

TEST_P(StorageConformance, CaseList_EveryFilterNewestFirst) {
  auto s = migrated();
  const std::vector<std::int64_t> id = seed_case_list(*s);
  struct Row {
    const char* name;
    CaseListFilter filter;
    std::vector<std::int64_t> expected;
  };
  const Row rows[] = {
      {"no filter", {}, {id[3], id[2], id[1], id[0]}},
      {"state", {"discovered", "", "", "", "", ""}, {id[2], id[0]}},
      {"kind", {"", "unstable", "", "", "", ""}, {id[3], id[1]}},
      {"township", {"", "", "370102001", "", "", ""}, {id[3], id[1], id[0]}},
      {"village", {"", "", "", "370102001002", "", ""}, {id[1]}},
      {"officer", {"", "", "", "", "张三", ""}, {id[3], id[0]}},
      {"prefix of a township", {"", "", "", "", "", "370103001"}, {id[2]}},
      {"prefix of a county", {"", "", "", "", "", "370102"}, {id[3], id[1], id[0]}},
      {"prefix and state", {"eliminated", "", "", "", "", "370102001001"}, {id[3]}},
      {"unknown state", {"no_such_state", "", "", "", "", ""}, {}},
      {"nobody's officer", {"", "", "", "", "王五", ""}, {}},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(listed_ids(*s, row.filter), row.expected) << row.name;
  }
}

TEST_P(StorageConformance, CaseList_RowsCarryTheHouseholdsPlaceAndStopWhenAsked) {
  auto s = migrated();
  const std::vector<std::int64_t> id = seed_case_list(*s);
  std::vector<ListedCase> got;
  list_cases(*s, {}, [&](ListedCase&& c) {
    got.push_back(std::move(c));
    return got.size() < 2;
  });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, id[3]);
  EXPECT_EQ(got[0].officer, "张三");
  EXPECT_EQ(got[1].id, id[2]);
  EXPECT_EQ(got[1].state, "discovered");
  EXPECT_EQ(got[1].kind, "marginal");
  EXPECT_EQ(got[1].household_code, "3701030010010001");
  EXPECT_EQ(got[1].village_code, "370103001001");
  EXPECT_EQ(got[1].township_code, "370103001");
  EXPECT_EQ(got[1].officer, "李四");
  EXPECT_EQ(got[1].version, 1);
  EXPECT_FALSE(got[1].emergency);
}

// ---- counts (count_store.h)

// ---- several daemons on one database (issue 15)

// Which "sending" messages a daemon takes back: at start (its previous life given) its own, those
// held by nobody known and those whose lease ran out; on its periodic look only the latter. A
// live neighbour's sends (lease not run out) are never taken.
TEST_P(StorageConformance, Outbox_LeasesDecideWhichSendsAreTakenBack) {
  struct Row {
    const char* key;
    const char* holder;  // nullptr: claimed without a lease
    int lease_hours;     // lease until t0() + this
    bool at_start;       // taken back by recover_abandoned_sending(now, "host:a")
    bool periodic;       // taken back by recover_abandoned_sending(now, "")
  };
  const TimePoint now = t0() + 10h;
  const std::vector<Row> rows = {
      {"mine-live", "host:a", 20, true, false},       {"mine-expired", "host:a", 5, true, true},
      {"neighbour-live", "host:b", 20, false, false}, {"neighbour-dead", "host:b", 5, true, true},
      {"no-lease", nullptr, 0, true, false},
  };
  for (const bool at_start : {true, false}) {
    auto s = migrated();
    *s << "DELETE FROM outbox";
    std::map<std::string, std::int64_t> ids;
    for (const Row& r : rows) {
      const auto id = enqueue_outbox(*s, message(r.key, t0())).id;
      ids[r.key] = id;
      if (r.holder == nullptr) {
        ASSERT_TRUE(claim_outbox(*s, id));
      } else {
        const OutboxLease lease{r.holder, t0() + std::chrono::hours(r.lease_hours)};
        ASSERT_EQ(claim_outbox_many(*s, {id}, &lease), std::vector<std::int64_t>{id});
      }
    }
    int expected = 0;
    for (const Row& r : rows) expected += (at_start ? r.at_start : r.periodic) ? 1 : 0;
    EXPECT_EQ(recover_abandoned_sending(*s, now, at_start ? "host:a" : ""), expected);
    for (const Row& r : rows) {
      const bool back = at_start ? r.at_start : r.periodic;
      EXPECT_EQ(load_outbox(*s, ids[r.key])->status,
                back ? OutboxStatus::kPending : OutboxStatus::kSending)
          << r.key << (at_start ? " at start" : " periodic");
    }
  }
  // The holder renews its leases while it works: then they no longer run out.
  auto s = migrated();
  *s << "DELETE FROM outbox";
  const auto id = enqueue_outbox(*s, message("renewed", t0())).id;
  const OutboxLease lease{"host:c", t0() + 1h};
  ASSERT_EQ(claim_outbox_many(*s, {id}, &lease).size(), 1u);
  EXPECT_EQ(renew_outbox_leases(*s, {"host:c", t0() + 100h}), 1);
  EXPECT_EQ(recover_abandoned_sending(*s, t0() + 50h, ""), 0);
  EXPECT_EQ(load_outbox(*s, id)->status, OutboxStatus::kSending);
  EXPECT_EQ(recover_abandoned_sending(*s, t0() + 101h, ""), 1);
}

// PostgreSQL: two firers' transactions take disjoint due timers (FOR UPDATE SKIP LOCKED); the
// second does not wait for the first. SQLite has one writer (BEGIN IMMEDIATE) and no such case.
TEST_P(StorageConformance, Timers_TwoFirersTakeDisjointDueTimers) {
  if (GetParam() == Backend::kSqlite) GTEST_SKIP() << "SQLite: one writer at a time";
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  for (int i = 0; i < 5; ++i) {
    schedule_timer(*s, timer(c, "k/" + std::to_string(i), t0() + std::chrono::hours(i)));
  }
  auto other = db().open_session();
  WriteTransaction first(*s);
  const auto a = due_timers(*s, t0() + 10h, 3);
  WriteTransaction second(*other);
  const auto b = due_timers(*other, t0() + 10h, 3);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 2u);  // the three the first holds are left out
  EXPECT_EQ(a[0].dedupe_key, "k/0");
  EXPECT_EQ(b[0].dedupe_key, "k/3");
  EXPECT_EQ(b[1].dedupe_key, "k/4");
}

// Sub-second due times (issue 15): timers of one second fall due at their millisecond, in
// (due_at, due_ms, id) order; a now without a millisecond (kWholeSecond) takes the whole second.
TEST_P(StorageConformance, Timers_DueAtTheirMillisecondWithinTheSecond) {
  using std::chrono::milliseconds;
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  const TimePoint second = t0() + 1h;
  auto at_ms = [&](std::string key, TimePoint due, int ms) {
    NewTimer t = timer(c, std::move(key), due);
    t.due_within = milliseconds(ms);
    return schedule_timer(*s, t).id;
  };
  // Scheduled out of millisecond order; two share a millisecond (then scheduling order).
  const auto m700 = at_ms("k/700", second, 700);
  const auto m0 = at_ms("k/0", second, 0);
  const auto m300a = at_ms("k/300a", second, 300);
  const auto m999 = at_ms("k/999", second, 999);
  const auto m300b = at_ms("k/300b", second, 300);
  const auto before = at_ms("k/before", second - std::chrono::seconds{1}, 999);
  const auto after = at_ms("k/after", second + std::chrono::seconds{1}, 0);

  ASSERT_EQ(next_due_timer(*s)->id, before);
  ASSERT_EQ(load_timer(*s, m700)->due_within, milliseconds(700));

  const std::vector<std::int64_t> in_order = {before, m0, m300a, m300b, m700, m999};
  struct Case {
    TimePoint now;
    int within;       // ms of `now`'s second reached
    std::size_t due;  // how many of in_order (+ `after` when 7)
  };
  const Case cases[] = {
      {second - std::chrono::seconds{1}, 998, 0},
      {second - std::chrono::seconds{1}, 999, 1},
      {second, 0, 2},
      {second, 299, 2},
      {second, 300, 4},
      {second, 699, 4},
      {second, 700, 5},
      {second, 998, 5},
      {second, 999, 6},
      {second + std::chrono::seconds{1}, 0, 7},
  };
  for (const Case& k : cases) {
    std::vector<std::int64_t> want(in_order.begin(),
                                   in_order.begin() + std::min<std::size_t>(k.due, 6));
    if (k.due == 7) want.push_back(after);
    std::vector<std::int64_t> got;
    for (const TimerRecord& t : due_timers(*s, k.now, 100, milliseconds(k.within))) {
      got.push_back(t.id);
      EXPECT_TRUE(is_due(t, k.now, milliseconds(k.within))) << t.dedupe_key;
    }
    EXPECT_EQ(got, want) << k.now.time_since_epoch().count() << " s +" << k.within << " ms";
  }
  // A clock without a millisecond reaches the whole second: all of it is due.
  EXPECT_EQ(due_timers(*s, second, 100).size(), 6u);
  EXPECT_EQ(due_timers(*s, second, 3).back().id, m300a);  // batches keep the order
  const TimerRecord last = *load_timer(*s, m999);
  EXPECT_FALSE(is_due(last, second, milliseconds(998)));
  EXPECT_TRUE(is_due(last, second, kWholeSecond));

  // Firing the early ones leaves the rest in order: the next is the next millisecond.
  ASSERT_TRUE(mark_timer_fired(*s, before, second));
  ASSERT_TRUE(mark_timer_fired(*s, m0, second));
  EXPECT_EQ(next_due_timer(*s)->id, m300a);

  // The due index reads (due_at, due_ms, id) of pending timers: the order and range above come
  // from it.
  const std::string index =
      GetParam() == Backend::kSqlite
          ? "SELECT COUNT(*) FROM pragma_index_info('timers_by_due')"
          : "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'timers_by_due'"
            " AND indexdef LIKE '%(due_at, due_ms, id) WHERE%pending%'";
  EXPECT_EQ(count(*s, index), GetParam() == Backend::kSqlite ? 3 : 1);

  // The table admits a millisecond of the second only.
  for (const int bad : {-1, 1000}) {
    NewTimer t = timer(c, "k/bad" + std::to_string(bad), second);
    t.due_within = milliseconds(bad);
    EXPECT_THROW(schedule_timer(*s, t), StorageError) << bad;
  }
}

TEST_P(StorageConformance, Counts_OutboxCasesAndTimers) {
  auto s = migrated();
  EXPECT_TRUE(database_answers(*s));
  EXPECT_TRUE(count_outbox_by_status(*s).empty());
  EXPECT_TRUE(count_cases_by_state(*s).empty());
  EXPECT_EQ(count_pending_timers(*s, t0()).pending, 0);

  seed_case_list(*s);
  EXPECT_EQ(count_cases_by_state(*s),
            (std::map<std::string, std::int64_t>{
                {"discovered", 2}, {"eliminated", 1}, {"registered", 1}}));

  const auto sent = enqueue_outbox(*s, message("m/sent", t0())).id;
  enqueue_outbox(*s, message("m/a", t0()));
  enqueue_outbox(*s, message("m/b", t0() + 1h));
  ASSERT_TRUE(claim_outbox(*s, sent));
  ASSERT_TRUE(mark_outbox_sent(*s, sent, "biz-1", t0()));
  EXPECT_EQ(count_outbox_by_status(*s),
            (std::map<std::string, std::int64_t>{{"pending", 2}, {"sent", 1}}));

  schedule_timer(*s, timer(std::nullopt, "t/past", t0() - 1h));
  schedule_timer(*s, timer(std::nullopt, "t/now", t0()));
  schedule_timer(*s, timer(std::nullopt, "t/later", t0() + 1h));
  const auto fired = schedule_timer(*s, timer(std::nullopt, "t/fired", t0() - 2h)).id;
  ASSERT_TRUE(mark_timer_fired(*s, fired, t0()));
  const PendingTimerCounts timers = count_pending_timers(*s, t0());
  EXPECT_EQ(timers.pending, 3);
  EXPECT_EQ(timers.overdue, 2);  // due at or before now
}

TEST_P(StorageConformance, Counts_EvaluationDutiesPerTownshipOfOneYear) {
  auto s = migrated();
  struct Seed {
    const char* key;
    const char* kind;
    const char* subject;
    const char* township;
    TimePoint due;
    const char* end;  // "", "done" or "cancelled"
  };
  const Seed seeds[] = {
      {"e/1", "evaluation", "2025", "370102001", t0() - 1h, ""},      // open, overdue
      {"e/2", "evaluation", "2025", "370102001", t0() + 1h, ""},      // open
      {"e/3", "evaluation", "2025", "370102001", t0() - 1h, "done"},  // done, not overdue
      {"e/4", "evaluation", "2025", "370103001", t0(), ""},           // open, due now: overdue
      {"e/5", "evaluation", "2025", "370103001", t0(), "cancelled"},
      {"e/6", "evaluation", "2024", "370102001", t0() - 1h, ""},  // another year
      {"e/7", "campaign", "2025", "370102001", t0() - 1h, ""},    // another kind
  };
  for (const Seed& seed : seeds) {
    NewDuty d;
    d.duty_key = seed.key;
    d.kind = seed.kind;
    d.subject = seed.subject;
    d.township_code = seed.township;
    d.owner_role = "township_clerk";
    d.due_at = seed.due;
    d.opened_at = t0() - 48h;
    const std::int64_t id = open_duty(*s, d).id;
    const std::string end = seed.end;
    if (end == "done") {
      ASSERT_TRUE(close_duty(*s, id, t0()));
    } else if (end == "cancelled") {
      ASSERT_TRUE(cancel_duty(*s, id, t0()));
    }
  }
  const auto counts = count_evaluation_duties(*s, 2025, t0());
  ASSERT_EQ(counts.size(), 2u);
  const EvaluationCount& a = counts.at("370102001");
  EXPECT_EQ(a.tasks, 3);
  EXPECT_EQ(a.open, 2);
  EXPECT_EQ(a.done, 1);
  EXPECT_EQ(a.cancelled, 0);
  EXPECT_EQ(a.overdue, 1);
  const EvaluationCount& b = counts.at("370103001");
  EXPECT_EQ(b.tasks, 2);
  EXPECT_EQ(b.open, 1);
  EXPECT_EQ(b.cancelled, 1);
  EXPECT_EQ(b.overdue, 1);
  EXPECT_TRUE(count_evaluation_duties(*s, 2023, t0()).empty());
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgresql";
}

#if !defined(FANGFAN_STORAGE_TEST_SQLITE) && !defined(FANGFAN_STORAGE_TEST_POSTGRESQL)
#define FANGFAN_STORAGE_TEST_SQLITE 1
#define FANGFAN_STORAGE_TEST_POSTGRESQL 1
#endif
#ifndef FANGFAN_STORAGE_TEST_SQLITE
#define FANGFAN_STORAGE_TEST_SQLITE 0
#endif
#ifndef FANGFAN_STORAGE_TEST_POSTGRESQL
#define FANGFAN_STORAGE_TEST_POSTGRESQL 0
#endif

// ---- kept statements (adapters/storage/prepared.h): the hot queries are prepared once per
// session and run again with new values. Whatever happens between two uses, the second use must
// see the database as it is, with its own values.

TEST_P(StorageConformance, KeptStatements_SecondUseSeesItsOwnValuesAfterEachKindOfInterruption) {
  struct Row {
    const char* name;
    // Runs between the two uses, on the same session (may throw StorageError).
    std::function<void(soci::session&, std::int64_t case_id)> between;
  };
  const std::vector<Row> rows = {
      {"nothing", [](soci::session&, std::int64_t) {}},
      {"a committed transaction",
       [](soci::session& s, std::int64_t c) {
         WriteTransaction tx(s);
         schedule_timer(s, timer(c, "between/committed", t0() + 5h));
         tx.commit();
       }},
      {"a transaction rolled back after a refused statement",
       [](soci::session& s, std::int64_t c) {
         WriteTransaction tx(s);
         schedule_timer(s, timer(c, "between/rolled-back", t0() + 5h));
         // Refused by the schema: on PostgreSQL the whole transaction is now aborted.
         EXPECT_THROW(schedule_timer(s, timer(c + 1000, "between/no-such-case", t0())),
                      StorageError);
       }},
      {"a savepoint rolled back after a refused statement",
       [](soci::session& s, std::int64_t c) {
         WriteTransaction tx(s);
         {
           Savepoint one(s, "kept");
           schedule_timer(s, timer(c, "between/savepoint", t0() + 5h));
           EXPECT_THROW(schedule_timer(s, timer(c + 1000, "between/no-such-case", t0())),
                        StorageError);
           ASSERT_TRUE(one.rollback());
         }
         schedule_timer(s, timer(c, "between/after-savepoint", t0() + 6h));
         tx.commit();
       }},
  };
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    SCOPED_TRACE(row.name);
    const std::string first_key = std::to_string(i) + "/first",
                      second_key = std::to_string(i) + "/second";
    const ScheduleResult first = schedule_timer(*s, timer(c, first_key, t0() + 1h));
    ASSERT_TRUE(first.inserted);
    ASSERT_TRUE(load_timer(*s, first.id).has_value());
    row.between(*s, c);
    // The same queries again, other values.
    const ScheduleResult second = schedule_timer(*s, timer(c, second_key, t0() + 2h));
    ASSERT_TRUE(second.inserted);
    EXPECT_NE(second.id, first.id);
    EXPECT_EQ(schedule_timer(*s, timer(c, first_key, t0() + 9h)).id, first.id);
    EXPECT_EQ(load_timer(*s, first.id)->dedupe_key, first_key);
    EXPECT_EQ(load_timer(*s, second.id)->due_at, t0() + 2h);
    EXPECT_TRUE(mark_timer_fired(*s, second.id, t0() + 3h));
    EXPECT_FALSE(mark_timer_fired(*s, second.id, t0() + 4h));
    EXPECT_EQ(load_timer(*s, second.id)->state, TimerState::kFired);
    EXPECT_FALSE(load_timer(*s, second.id + 1000).has_value());
  }
  // What was rolled back stayed rolled back; what was committed stayed.
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM timers WHERE dedupe_key = 'between/rolled-back'"), 0);
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM timers WHERE dedupe_key = 'between/savepoint'"), 0);
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM timers WHERE dedupe_key = 'between/committed'"), 1);
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM timers WHERE dedupe_key = 'between/after-savepoint'"),
            1);
}

TEST_P(StorageConformance, KeptStatements_DieWithTheirSessionAndANewSessionPreparesAgain) {
  std::int64_t c = 0, id = 0;
  {
    auto s = migrated();
    c = seed_case(*s);
    id = schedule_timer(*s, timer(c, "kept/one", t0() + 1h)).id;
    ASSERT_TRUE(load_timer(*s, id).has_value());
  }  // the session closes with its kept statements
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    auto s = db().open_session();
    EXPECT_EQ(load_timer(*s, id)->dedupe_key, "kept/one");
    EXPECT_FALSE(schedule_timer(*s, timer(c, "kept/one", t0())).inserted);
    // Another session writes meanwhile: the kept statement reads the new row.
    auto other = db().open_session();
    const auto added = schedule_timer(*other, timer(c, "kept/" + std::to_string(round), t0()));
    EXPECT_EQ(load_timer(*s, added.id)->dedupe_key, "kept/" + std::to_string(round));
  }
}

TEST_P(StorageConformance, KeptStatements_ANestedUseOfTheSameQueryGetsItsOwnStatement) {
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  NewDuty d;
  d.duty_key = "visits/" + std::to_string(c) + "/2025-01";
  d.case_id = c;
  d.kind = "visits";
  d.subject = "2025-01";
  d.township_code = "370102001";
  d.village_code = "370102001001";
  d.owner_role = "village_officer";
  d.due_at = t0() + 24h;
  d.opened_at = t0();
  ASSERT_TRUE(open_duty(*s, d).inserted);
  d.duty_key += "/b";
  ASSERT_TRUE(open_duty(*s, d).inserted);
  // While the duties of the case are read, each one is read again by id (the same kind of
  // nesting the firing code does): both reads must be whole.
  std::vector<DutyRecord> all = case_duties(*s, c);
  ASSERT_EQ(all.size(), 2u);
  for (const DutyRecord& duty : all) {
    EXPECT_EQ(load_duty(*s, duty.id)->duty_key, duty.duty_key);
    EXPECT_EQ(case_duties(*s, c).size(), 2u);
  }
  EXPECT_EQ(find_duty(*s, d.duty_key)->id, all[1].id);
  EXPECT_FALSE(find_duty(*s, "no/such/duty").has_value());
}

// The case hook's read (case_duties_for_plan) gives what the plan and the closing of duties read,
// as case_duties does, in the same order, in every state.
TEST_P(StorageConformance, CaseDutiesForPlan_TheFieldsThePlanReadsAsCaseDutiesHasThem) {
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  NewDuty d;
  d.case_id = c;
  d.kind = "visits";
  d.township_code = "370102001";
  d.village_code = "370102001001";
  d.owner_role = "village_officer";
  d.officer = "第一书记赵*";
  d.due_at = t0() + 24h;
  for (int month = 1; month <= 3; ++month) {
    d.subject = "2025-0" + std::to_string(month);
    d.duty_key = "visits/" + std::to_string(c) + "/" + d.subject;
    d.opened_at = t0() + std::chrono::hours(month);
    ASSERT_TRUE(open_duty(*s, d).inserted);
  }
  std::vector<DutyRecord> all = case_duties(*s, c);
  ASSERT_EQ(all.size(), 3u);
  ASSERT_TRUE(close_duty(*s, all[0].id, t0() + 48h));
  ASSERT_TRUE(cancel_duty(*s, all[2].id, t0() + 48h));
  all = case_duties(*s, c);
  const std::vector<DutyRecord> planned = case_duties_for_plan(*s, c);
  ASSERT_EQ(planned.size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(planned[i].id, all[i].id);
    EXPECT_EQ(planned[i].duty_key, all[i].duty_key);
    EXPECT_EQ(planned[i].case_id, all[i].case_id);
    EXPECT_EQ(planned[i].kind, all[i].kind);
    EXPECT_EQ(planned[i].subject, all[i].subject);
    EXPECT_EQ(planned[i].state, all[i].state);
    EXPECT_EQ(planned[i].opened_at, all[i].opened_at);
  }
  EXPECT_EQ(planned[0].state, DutyState::kDone);
  EXPECT_EQ(planned[1].state, DutyState::kOpen);
  EXPECT_EQ(planned[2].state, DutyState::kCancelled);
  EXPECT_TRUE(case_duties_for_plan(*s, c + 1000).empty());
}

// ---- bulk opening (timer_batch.h): the row-by-row semantics, in few statements

// Rows of one call: key names are made unique per table row by the caller.
struct TimerBatchCase {
  const char* name;
  std::vector<std::string> existing;  // scheduled one by one before the call
  std::vector<std::string> rows;      // the call's keys, in order
  std::vector<bool> inserted;         // expected, per row
};

std::vector<TimerBatchCase> timer_batch_cases() {
  std::vector<TimerBatchCase> cases = {
      {"all new", {}, {"a", "b", "c"}, {true, true, true}},
      {"one row", {}, {"a"}, {true}},
      {"repeated within the call", {}, {"a", "b", "a", "a"}, {true, true, false, false}},
      {"existing before the call", {"x"}, {"x", "y", "x"}, {false, true, false}},
      {"all existing", {"x", "y"}, {"y", "x"}, {false, false}},
  };
  // 100 rows: statements of 64 and 36 rows; the last repeats a key of the first statement.
  TimerBatchCase many{"several statements", {"k7"}, {}, {}};
  for (int i = 0; i < 99; ++i) {
    many.rows.push_back("k" + std::to_string(i));
    many.inserted.push_back(i != 7);
  }
  many.rows.push_back("k3");
  many.inserted.push_back(false);
  cases.push_back(many);
  // 600 keys stored before: their ids are read back in two queries (500 keys each at most,
  // multi_row_insert.h), and a new key among them is inserted.
  TimerBatchCase existing{"more stored keys than one read takes", {}, {}, {}};
  for (int i = 0; i < 600; ++i) {
    existing.existing.push_back("e" + std::to_string(i));
    existing.rows.push_back("e" + std::to_string(599 - i));
    existing.inserted.push_back(false);
    if (i == 300) {
      existing.rows.push_back("new");
      existing.inserted.push_back(true);
    }
  }
  cases.push_back(existing);
  return cases;
}

TEST_P(StorageConformance, TimerBatch_EachRowAsScheduleTimerWouldInInputOrder) {
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  int n = 0;
  for (const TimerBatchCase& tc : timer_batch_cases()) {
    SCOPED_TRACE(tc.name);
    for (const bool counted : {false, true}) {
      const std::string prefix = "batch/" + std::to_string(++n) + "/";
      std::map<std::string, std::int64_t> before;
      for (const std::string& key : tc.existing) {
        before[key] = schedule_timer(*s, timer(c, prefix + key, t0() + 1h)).id;
      }
      std::vector<TimerToStore> rows;
      for (std::size_t i = 0; i < tc.rows.size(); ++i) {
        rows.push_back({timer(c, prefix + tc.rows[i], t0() + 2h + std::chrono::minutes(i)), {}});
      }
      const long long count_before = count(*s, "SELECT COUNT(*) FROM timers");
      int expected_new = 0;
      for (const bool in : tc.inserted) expected_new += in ? 1 : 0;
      if (counted) {
        EXPECT_EQ(schedule_new_timers(*s, rows), expected_new);
      } else {
        const std::vector<ScheduleResult> results = schedule_timers(*s, rows);
        ASSERT_EQ(results.size(), tc.rows.size());
        std::map<std::string, std::int64_t> ids;
        for (std::size_t i = 0; i < results.size(); ++i) {
          SCOPED_TRACE(tc.rows[i]);
          EXPECT_EQ(results[i].inserted, tc.inserted[i]);
          // The id is the row stored under the key: new, or the one that was there.
          const auto stored = load_timer(*s, results[i].id);
          ASSERT_TRUE(stored.has_value());
          EXPECT_EQ(stored->dedupe_key, prefix + tc.rows[i]);
          if (before.contains(tc.rows[i])) {
            EXPECT_EQ(results[i].id, before[tc.rows[i]]);
          }
          const auto [first, fresh] = ids.emplace(tc.rows[i], results[i].id);
          if (!fresh) {
            EXPECT_EQ(results[i].id, first->second);
          }
        }
      }
      EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM timers"), count_before + expected_new);
      // An existing row is left as it was; a new one is its key's first row.
      for (std::size_t i = 0; i < tc.rows.size(); ++i) {
        const std::string key = prefix + tc.rows[i];
        long long due = 0;
        *s << "SELECT due_at FROM timers WHERE dedupe_key = :k", soci::use(key), soci::into(due);
        std::size_t first = 0;
        while (tc.rows[first] != tc.rows[i]) ++first;
        const TimePoint expected =
            before.contains(tc.rows[i]) ? t0() + 1h : t0() + 2h + std::chrono::minutes(first);
        EXPECT_EQ(due, expected.time_since_epoch().count()) << key;
      }
    }
  }
}

// schedule_new_timers() stores a bulk call's rows in due order (ties in the call's order), so
// that the timers one burst fires share pages; with a key repeated in the call, the call's order
// (its first row is the one stored). Either way every row is stored as schedule_timer() would.
TEST_P(StorageConformance, TimerBatch_BulkRowsAreStoredInDueOrderTiesInCallOrder) {
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  // 150 rows (three statements): 50 plans (a case's each), each due at hours 2, 0, 1; rows of
  // the same hour from different plans tied.
  std::vector<TimerToStore> rows;
  for (int plan = 0; plan < 50; ++plan) {
    for (const int hour : {2, 0, 1}) {
      rows.push_back({timer(c, "due/" + std::to_string(plan) + "/" + std::to_string(hour),
                            t0() + std::chrono::hours(hour)),
                      {}});
    }
  }
  EXPECT_EQ(schedule_new_timers(*s, rows), 150);
  std::vector<std::string> stored;
  soci::rowset<std::string> keys =
      (s->prepare << "SELECT dedupe_key FROM timers WHERE dedupe_key LIKE 'due/%' ORDER BY id");
  for (const std::string& key : keys) stored.push_back(key);
  std::vector<std::string> expected;
  for (const int hour : {0, 1, 2}) {
    for (int plan = 0; plan < 50; ++plan) {
      expected.push_back("due/" + std::to_string(plan) + "/" + std::to_string(hour));
    }
  }
  EXPECT_EQ(stored, expected);
  // Fired in due order, ties by id: the call's order.
  const std::vector<TimerRecord> due = due_timers(*s, t0() + 3h, 200);
  ASSERT_EQ(due.size(), 150u);
  for (std::size_t i = 0; i < due.size(); ++i) EXPECT_EQ(due[i].dedupe_key, expected[i]) << i;

  // A key given twice, later due first: the call's first row of the key is stored.
  std::vector<TimerToStore> repeated = {{timer(c, "rep/a", t0() + 5h), {}},
                                        {timer(c, "rep/b", t0() + 4h), {}},
                                        {timer(c, "rep/a", t0() + 3h), {}}};
  EXPECT_EQ(schedule_new_timers(*s, repeated), 2);
  long long due_a = 0;
  *s << "SELECT due_at FROM timers WHERE dedupe_key = 'rep/a'", soci::into(due_a);
  EXPECT_EQ(due_a, (t0() + 5h).time_since_epoch().count());
}

TEST_P(StorageConformance, TimerBatch_ARowFiredAtOpeningIsStoredFiredAndNeverDue) {
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  std::vector<TimerToStore> rows = {{timer(c, "d/rung/1", t0() - 2h, 1), t0()},
                                    {timer(c, "d/rung/2", t0() + 2h, 2), {}}};
  const std::vector<ScheduleResult> results = schedule_timers(*s, rows);
  ASSERT_EQ(results.size(), 2u);
  const auto passed = load_timer(*s, results[0].id);
  EXPECT_EQ(passed->state, TimerState::kFired);
  EXPECT_EQ(passed->fired_at, t0());
  EXPECT_EQ(load_timer(*s, results[1].id)->state, TimerState::kPending);
  EXPECT_EQ(next_due_timer(*s)->id, results[1].id);
  EXPECT_TRUE(due_timers(*s, t0() + 1h, 10).empty());
}

NewDuty batch_duty(std::int64_t c, const std::string& key, TimePoint due) {
  NewDuty d;
  d.duty_key = key;
  d.case_id = c;
  d.kind = "visits";
  d.subject = "2025-03";
  d.township_code = "370102001";
  d.village_code = "370102001001";
  d.owner_role = "village_officer";
  d.due_at = due;
  d.opened_at = t0();
  return d;
}

TEST_P(StorageConformance, DutyBatch_OpensAsOpenDutyWouldAndReopensOnlyCancelledOnes) {
  auto s = migrated();
  const std::int64_t c = seed_case(*s);
  enum class Before { kNone, kOpen, kDone, kCancelled };
  struct Row {
    const char* key;
    Before before;
    bool inserted;  // open_duties
    bool opened;    // open_or_reopen_duties gives the duty
  };
  const std::vector<std::vector<Row>> table = {
      {{"a", Before::kNone, true, true}, {"b", Before::kNone, true, true}},
      {{"a", Before::kNone, true, true}, {"a", Before::kNone, false, false}},
      {{"o", Before::kOpen, false, false}, {"n", Before::kNone, true, true}},
      {{"d", Before::kDone, false, false}},
      {{"x", Before::kCancelled, false, true}, {"x", Before::kCancelled, false, false}},
  };
  int n = 0;
  for (const std::vector<Row>& rows : table) {
    for (const bool reopen : {false, true}) {
      const std::string prefix = "visits/" + std::to_string(c) + "/" + std::to_string(++n) + "/";
      SCOPED_TRACE(prefix);
      std::map<std::string, std::int64_t> before;
      std::vector<NewDuty> duties;
      for (const Row& r : rows) {
        const std::string key = prefix + r.key;
        if (r.before != Before::kNone && !before.contains(key)) {
          const std::int64_t id = open_duty(*s, batch_duty(c, key, t0() + 1h)).id;
          if (r.before == Before::kDone) close_duty(*s, id, t0());
          if (r.before == Before::kCancelled) cancel_duty(*s, id, t0());
          before[key] = id;
        }
        duties.push_back(batch_duty(c, key, t0() + 48h));
      }
      if (!reopen) {
        const std::vector<OpenDutyResult> results = open_duties(*s, duties);
        ASSERT_EQ(results.size(), rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
          EXPECT_EQ(results[i].inserted, rows[i].inserted) << rows[i].key;
          EXPECT_EQ(load_duty(*s, results[i].id)->duty_key, duties[i].duty_key);
          if (before.contains(duties[i].duty_key)) {
            EXPECT_EQ(results[i].id, before[duties[i].duty_key]);
          }
        }
        continue;
      }
      const std::vector<std::optional<DutyRecord>> results = open_or_reopen_duties(*s, duties);
      ASSERT_EQ(results.size(), rows.size());
      for (std::size_t i = 0; i < rows.size(); ++i) {
        SCOPED_TRACE(rows[i].key);
        ASSERT_EQ(results[i].has_value(), rows[i].opened);
        if (!results[i]) continue;
        // The record given is the duty as stored: open, with the call's due date.
        const auto stored = find_duty(*s, duties[i].duty_key);
        ASSERT_TRUE(stored.has_value());
        EXPECT_EQ(results[i]->id, stored->id);
        EXPECT_EQ(results[i]->state, DutyState::kOpen);
        EXPECT_EQ(stored->state, DutyState::kOpen);
        EXPECT_EQ(results[i]->due_at, t0() + 48h);
        EXPECT_EQ(stored->due_at, t0() + 48h);
        EXPECT_EQ(results[i]->closed_at, stored->closed_at);
        EXPECT_EQ(results[i]->officer, stored->officer);
        EXPECT_EQ(results[i]->village_code, stored->village_code);
        EXPECT_EQ(results[i]->case_id, stored->case_id);
      }
    }
  }
}

#if FANGFAN_STORAGE_TEST_SQLITE && FANGFAN_STORAGE_TEST_POSTGRESQL
INSTANTIATE_TEST_SUITE_P(Backends, StorageConformance,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgresql), backend_name);
#elif FANGFAN_STORAGE_TEST_SQLITE
INSTANTIATE_TEST_SUITE_P(Backends, StorageConformance, ::testing::Values(Backend::kSqlite),
                         backend_name);
#else
INSTANTIATE_TEST_SUITE_P(Backends, StorageConformance, ::testing::Values(Backend::kPostgresql),
                         backend_name);
#endif

#if FANGFAN_STORAGE_TEST_SQLITE
// ---- SQLite only

TEST(SqliteDatabase, PragmasAreOnInEverySession) {
  const fs::path dir = fresh_temp_dir();
  const Database db = Database::open("sqlite3://" + (dir / "a" / "b" / "fangfan.db").string());
  EXPECT_TRUE(fs::exists(dir / "a" / "b" / "fangfan.db"));
  for (int i = 0; i < 2; ++i) {
    auto s = db.open_session();
    std::string journal;
    int foreign_keys = -1, busy = -1, synchronous = -1, cache = 0;
    *s << "PRAGMA journal_mode", soci::into(journal);
    *s << "PRAGMA cache_size", soci::into(cache);
    *s << "PRAGMA foreign_keys", soci::into(foreign_keys);
    *s << "PRAGMA busy_timeout", soci::into(busy);
    *s << "PRAGMA synchronous", soci::into(synchronous);
    EXPECT_EQ(journal, "wal");
    EXPECT_EQ(foreign_keys, 1);
    EXPECT_EQ(busy, 5000);
    EXPECT_EQ(synchronous, 2);  // FULL
    EXPECT_EQ(cache, -8192);    // KiB: 8 MiB of pages
  }
  fs::remove_all(dir);
}

// The library was set up before its first connection (database.cpp): no mutex per connection
// (multi-thread mode: sqlite3_db_mutex answers NULL), no memory statistics (nothing counted).
TEST(SqliteDatabase, ConnectionsRunWithoutPerCallMutexesOrMemoryStatistics) {
  using namespace sqlite_api;
  const fs::path dir = fresh_temp_dir();
  const Database db = Database::open("sqlite3://" + (dir / "fangfan.db").string());
  auto s = db.open_session();
  *s << "CREATE TABLE t (x TEXT)";
  *s << "INSERT INTO t VALUES (hex(randomblob(10000)))";
  sqlite3* connection = static_cast<soci::sqlite3_session_backend*>(s->get_backend())->conn_;
  EXPECT_EQ(sqlite3_db_mutex(connection), nullptr);
  EXPECT_EQ(sqlite3_memory_used(), 0);
  s.reset();
  fs::remove_all(dir);
}

TEST(SqliteDatabase, WriterWaitsForTheBusyTimeoutThenReportsUnavailable) {
  const fs::path dir = fresh_temp_dir();
  DatabaseOptions options;
  options.busy_timeout = 300ms;
  const Database db = Database::open("sqlite3://" + (dir / "fangfan.db").string(), options);
  auto holder = db.open_session();
  auto waiter = db.open_session();
  WriteTransaction held(*holder);
  const auto start = std::chrono::steady_clock::now();
  try {
    WriteTransaction blocked(*waiter);
    FAIL() << "two write transactions at once";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageError::Kind::kUnavailable) << e.what();
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  held.commit();
  fs::remove_all(dir);
}

TEST(SqliteDatabase, PathWithSpacesAndChineseWorks) {
  const fs::path dir = fresh_temp_dir();
  const fs::path file = dir / "县 数据" / "防返贫.db";
  const Database db = Database::open("sqlite3://" + file.string());
  EXPECT_EQ(migrate(db, t0()).applied, latest_schema_version());
  EXPECT_TRUE(fs::exists(file));
  fs::remove_all(dir);
}

TEST(SqliteDatabase, FolderThatCannotBeCreatedIsAClearError) {
  const fs::path dir = fresh_temp_dir();
  std::ofstream(dir / "a-file") << "not a folder";
  try {
    Database::open("sqlite3://" + (dir / "a-file" / "fangfan.db").string());
    FAIL() << "opened a database below a regular file";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageError::Kind::kOpen);
    EXPECT_NE(std::string(e.what()).find("cannot create the folder"), std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

#endif  // FANGFAN_STORAGE_TEST_SQLITE

#if FANGFAN_STORAGE_TEST_POSTGRESQL
// ---- PostgreSQL only

TEST(PostgresqlDatabase, HistoryRefusesTruncate) {
  const PgTestServer& pg = test::pg_test_server();
  if (pg.status == PgTestServer::Status::kAbsent) GTEST_SKIP() << pg.reason;
  ASSERT_EQ(pg.status, PgTestServer::Status::kReady) << pg.reason;
  ScratchPgDatabase scratch(pg);
  {
    const Database db = Database::open(scratch.url());
    migrate(db, t0());
    auto s = db.open_session();
    insert_household(*s, household("3701020010010001"));
    const std::int64_t id = insert_case(*s, new_case("3701020010010001"));
    append_history(*s, history(id, "discover", "", "discovered", t0()));
    const auto refused = refusal(*s, "TRUNCATE case_history");
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->kind(), StorageError::Kind::kConstraint) << refused->what();
    EXPECT_EQ(load_history(*s, id).size(), 1u);
  }
}

#endif  // FANGFAN_STORAGE_TEST_POSTGRESQL

#if FANGFAN_STORAGE_TEST_SQLITE
// ---- URLs (no server needed)

TEST(DatabaseUrl, PasswordIsMasked) {
  const std::pair<std::string, std::string> cases[] = {
      {"postgresql://fangfan:s3cret@db.example:5432/fangfan",
       "postgresql://fangfan:***@db.example:5432/fangfan"},
      {"postgresql://fangfan@db/fangfan?password=s3cret&sslmode=require",
       "postgresql://fangfan@db/fangfan?password=***&sslmode=require"},
      {"postgresql://u:p%40ss@h/d?sslpassword=x", "postgresql://u:***@h/d?sslpassword=x"},
      {"postgresql://db/fangfan", "postgresql://db/fangfan"},
      {"sqlite3:///var/lib/fangfan/fangfan.db", "sqlite3:///var/lib/fangfan/fangfan.db"},
  };
  for (const auto& [url, masked] : cases) EXPECT_EQ(mask_url_password(url), masked) << url;
}

TEST(DatabaseUrl, UnknownSchemeIsRefused) {
  try {
    Database::open("mysql://root:hunter2@localhost/fangfan");
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageError::Kind::kOpen);
    const std::string what = e.what();
    EXPECT_NE(what.find("sqlite3:// or postgresql://"), std::string::npos) << what;
    EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  }
}

TEST(DatabaseUrl, UnreachableServerIsAnOpenErrorWithoutThePassword) {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  try {
    Database::open("postgresql://fangfan:hunter2@127.0.0.1:1/fangfan");
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageError::Kind::kOpen);
    const std::string what = e.what();
    EXPECT_NE(what.find("postgresql://fangfan:***@127.0.0.1:1/fangfan"), std::string::npos) << what;
    EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  }
}

TEST(SchemaMigrations, AreNumberedFromOneWithSqlForBothDialects) {
  ASSERT_FALSE(schema_migrations().empty());
  for (std::size_t i = 0; i < schema_migrations().size(); ++i) {
    const Migration& m = schema_migrations()[i];
    EXPECT_EQ(m.version, static_cast<int>(i) + 1);
    EXPECT_FALSE(m.name.empty());
    for (const MigrationStep& step : m.steps) {
      EXPECT_FALSE(step.sqlite.empty() && step.postgresql.empty()) << m.name;
      // SOCI would read ":word" as a bind placeholder in DDL.
      EXPECT_EQ(step.sqlite.find(':'), std::string::npos) << step.sqlite;
      EXPECT_EQ(step.postgresql.find(':'), std::string::npos) << step.postgresql;
    }
  }
  EXPECT_EQ(latest_schema_version(), schema_migrations().back().version);
}
#endif  // FANGFAN_STORAGE_TEST_SQLITE

}  // namespace
}  // namespace fangfan
