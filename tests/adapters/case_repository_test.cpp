// Cases in the database (adapters/storage/case_repository.h), one suite run unchanged on SQLite
// and on PostgreSQL (the throwaway server of tests/support/pg_server.h), like the storage
// conformance suite. Each test gets its own fresh database.
//
// Every stored change is checked against the same events handled by an in-memory machine
// (tests/workflows/case_fixture.h's CaseWalk): the stored snapshot and history must equal the
// machine's, after every event and after a restart; every refusal and stale write must leave
// every table exactly as it was.
//
// CMake compiles this file once per backend (FANGFAN_CASE_REPOSITORY_TEST_SQLITE=1 or
// FANGFAN_CASE_REPOSITORY_TEST_POSTGRESQL=1); with neither, both run.
#include "adapters/storage/case_repository.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "adapters/storage/case_json.h"
#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_store.h"
#include "tests/adapters/stored_walk.h"
#include "tests/adapters/test_case_writer.h"
#include "tests/support/people.h"
#include "tests/support/pg_server.h"
#include "tests/workflows/case_fixture.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::PgTestServer;
using test::ScratchPgDatabase;
using testing::CaseWalk;
using testing::PeopleGenerator;

enum class Backend { kSqlite, kPostgresql };

constexpr const char* kVillage = "370102001001";
constexpr const char* kOtherVillage = "370102002001";

TimePoint t0() { return testing::at("2025-03-03T09:00:00"); }

Config test_config() {
  Config c;
  c.county = {"370102", "历下区", "山东省"};
  c.townships = {{"370102001", "解放路街道"}, {"370102002", "千佛山街道"}};
  c.villages = {{kVillage, "东村", "370102001"}, {kOtherVillage, "南村", "370102002"}};
  c.rules = testing::test_rules();
  Person clerk;  // who receives the written notices of 东村
  clerk.name = "王丽";
  clerk.role = Role::kTownshipClerk;
  clerk.scope = "370102001";
  clerk.wechat = "wangli";
  clerk.channels = {"wechat_app", "file"};
  c.people = {clerk};
  return c;
}

fs::path fresh_temp_dir() {
  static std::atomic<int> counter{0};
  const fs::path dir =
      fs::temp_directory_path() /
      ("fangfan-case-repo-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Every row of the tables a case change touches, as text: two dumps are equal only if nothing
// was written in between.
std::string dump(soci::session& s) {
  std::ostringstream out;
  for (const char* table :
       {"households", "household_members", "cases", "case_history", "timers", "outbox"}) {
    out << "# " << table << "\n";
    const std::string order = std::string(table) == "households" ? "code" : "id";
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT * FROM " << table << " ORDER BY " << order);
    for (const soci::row& row : rows) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (row.get_indicator(i) == soci::i_null) {
          out << "NULL";
        } else {
          switch (row.get_properties(i).get_data_type()) {
            case soci::dt_string:
              out << row.get<std::string>(i);
              break;
            case soci::dt_integer:
              out << row.get<int>(i);
              break;
            case soci::dt_long_long:
              out << row.get<long long>(i);
              break;
            case soci::dt_unsigned_long_long:
              out << row.get<unsigned long long>(i);
              break;
            case soci::dt_double:
              out << row.get<double>(i);
              break;
            default:
              out << "?";
              break;
          }
        }
        out << "|";
      }
      out << "\n";
    }
  }
  return out.str();
}

long long count(soci::session& s, const std::string& sql) {
  long long n = -1;
  s << sql, soci::into(n);
  return n;
}

using test::next_case_id;

template <class T, class Result>
const T* as(const Result& r) {
  return std::get_if<T>(&r);
}

std::string describe(const ApplyResult& r) {
  if (const auto* x = as<Refusal>(r)) return "refused: " + x->message;
  if (const auto* x = as<StaleVersion>(r)) return "stale: " + x->message;
  if (const auto* x = as<CaseNotFound>(r)) return "not found: " + x->message;
  return "accepted";
}

class CaseRepositoryConformance : public ::testing::TestWithParam<Backend> {
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
    migrate(*db_, t0());
    session_ = db_->open_session();
    repo_.emplace(*session_, config_, clock_);
  }

  void TearDown() override {
    repo_.reset();
    session_.reset();
    db_.reset();
    scratch_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  soci::session& s() { return *session_; }
  test::StoredCases& repo() { return *repo_; }

  Household household(std::uint64_t seed, const std::string& code, int size = 4,
                      bool nobody_can_work = false) {
    PeopleGenerator people(seed);
    return people.household(code, kVillage, size, nobody_can_work);
  }

  // A walk whose case id is the one the database will give the next case.
  CaseWalk walk(const std::string& kind, Household h, bool emergency = false) {
    return CaseWalk(config_.rules, format_case_id(next_case_id(s())), kind, std::move(h), t0(),
                    emergency);
  }

  // Opens the walk's case in memory and in the database; both must agree.
  std::int64_t open(CaseWalk& w) {
    const OpenCase e = w.open_event();
    w.ok(e);
    const OpenResult r = repo().open_case(e);
    const auto* change = as<CaseChange>(r);
    if (change == nullptr) {
      ADD_FAILURE() << "open refused: " << std::get<Refusal>(r).message;
      return 0;
    }
    EXPECT_EQ(format_case_id(change->case_id), w.data().case_id);
    EXPECT_EQ(change->snapshot, w.machine().snapshot());
    EXPECT_EQ(change->outcome.entry, w.history().back());
    EXPECT_EQ(change->history_seq, 1);
    return change->case_id;
  }

  // The event accepted in memory and in the database, with the same result.
  CaseChange accept(CaseWalk& w, std::int64_t id, const CaseEvent& e,
                    std::optional<std::int64_t> expected_version = std::nullopt) {
    const Outcome mem = w.ok(e);
    const ApplyResult r = repo().apply(id, e, expected_version);
    const auto* change = as<CaseChange>(r);
    if (change == nullptr) {
      ADD_FAILURE() << event_name(e) << " not stored: " << describe(r);
      return {};
    }
    EXPECT_EQ(change->snapshot, w.machine().snapshot()) << event_name(e);
    EXPECT_EQ(change->outcome.entry, mem.entry) << event_name(e);
    EXPECT_EQ(change->outcome.notices, mem.notices) << event_name(e);
    EXPECT_EQ(change->history_seq, mem.entry.version) << event_name(e);
    return *change;
  }

  // The event refused in memory and in the database, with the same sentence, writing nothing.
  Refusal refuse(CaseWalk& w, std::int64_t id, const CaseEvent& e) {
    const Refusal mem = w.refused(e);
    const std::string before = dump(s());
    const ApplyResult r = repo().apply(id, e);
    EXPECT_EQ(dump(s()), before) << "a refusal wrote to the database: " << event_name(e);
    const auto* refusal = as<Refusal>(r);
    if (refusal == nullptr) {
      ADD_FAILURE() << event_name(e) << ": " << describe(r);
      return {};
    }
    EXPECT_EQ(refusal->message, mem.message);
    EXPECT_EQ(refusal->state, mem.state);
    EXPECT_EQ(refusal->event, mem.event);
    return *refusal;
  }

  // The stored case, read on a fresh connection (as after a restart), equals the machine.
  void expect_stored(CaseWalk& w, std::int64_t id) {
    Database db = Database::open(url_);
    auto fresh = db.open_session();
    const CaseReader reader(*fresh, config_);
    const auto view = reader.load(id);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->snapshot, w.machine().snapshot());
    EXPECT_EQ(view->history, w.history());
    auto restored = reader.restore(id);
    ASSERT_TRUE(restored.has_value());
    EXPECT_EQ(restored->snapshot(), w.machine().snapshot());
    EXPECT_EQ(restored->state(), w.state());
    EXPECT_EQ(restored->version(), static_cast<std::int64_t>(w.history().size()));
  }

  Config config_ = test_config();
  SimulatedClock clock_{t0()};
  std::string url_;
  fs::path dir_;
  std::optional<ScratchPgDatabase> scratch_;
  std::optional<Database> db_;
  std::unique_ptr<soci::session> session_;
  std::optional<test::StoredCases> repo_;
};

// ---- opening a case

TEST_P(CaseRepositoryConformance, Open_StoresHouseholdMembersCaseAndTheFirstHistoryRow) {
  CaseWalk w = walk("marginal", household(1, "3701020010010001"), /*emergency=*/true);
  const std::int64_t id = open(w);
  ASSERT_GT(id, 0);

  const auto hh = load_household(s(), "3701020010010001");
  ASSERT_TRUE(hh.has_value());
  EXPECT_EQ(hh->village_code, kVillage);
  EXPECT_EQ(hh->township_code, "370102001");  // from the configuration
  EXPECT_EQ(hh->head_name, w.household().head()->name);
  EXPECT_EQ(hh->phone, w.household().phone);
  const auto members = load_members(s(), "3701020010010001");
  ASSERT_EQ(members.size(), 4u);
  for (std::size_t i = 0; i < members.size(); ++i) {
    EXPECT_EQ(members[i].id_number, w.household().members[i].id_number);
    EXPECT_EQ(members[i].relation, code_of(w.household().members[i].relation));
    EXPECT_EQ(members[i].able_to_work, w.household().members[i].able_to_work);
  }

  const auto row = load_case(s(), id);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->state, "discovered");
  EXPECT_EQ(row->version, 1);
  EXPECT_EQ(row->kind, "marginal");
  EXPECT_EQ(row->source, "self_application");
  EXPECT_TRUE(row->emergency);
  EXPECT_EQ(row->opened_at, w.data().opened.at);
  EXPECT_EQ(row->updated_at, t0());  // the repository's clock
  EXPECT_FALSE(row->previous_case_id.has_value());

  const auto history = load_history(s(), id);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].seq, 1);
  EXPECT_EQ(history[0].event, "open_case");
  EXPECT_EQ(history[0].before_state, "new");
  EXPECT_EQ(history[0].after_state, "discovered");
  EXPECT_EQ(history[0].actor, "村委会王*");
  EXPECT_EQ(history[0].details, details_to_json(w.history()[0].details));
  // History details never hold an unmasked ID number or phone.
  for (const Member& m : w.household().members) {
    EXPECT_EQ(history[0].details.find(m.id_number), std::string::npos);
  }
  EXPECT_EQ(history[0].details.find(w.household().phone), std::string::npos);
  expect_stored(w, id);
}

TEST_P(CaseRepositoryConformance, Open_RefusalsWriteNothing) {
  CaseWalk first = walk("unstable", household(2, "3701020010010002"));
  const std::int64_t id = open(first);

  struct Bad {
    const char* what;
    OpenCase event;
    const char* says;
  };
  CaseWalk w = walk("unstable", household(3, "3701020010010003"));
  std::vector<Bad> cases;
  {
    OpenCase e = w.open_event();
    e.household.members[1].id_number.back() =
        e.household.members[1].id_number.back() == '0' ? '1' : '0';
    cases.push_back({"a wrong check digit", e, "校验"});
  }
  {
    OpenCase e = w.open_event();
    e.household.village_code = "370102009009";
    e.household.code = "3701020090090003";  // a well-formed code of that village
    cases.push_back({"a village not in the configuration", e, "不在本县的配置中"});
  }
  {
    OpenCase e = first.open_event();
    cases.push_back({"a second case while one is in progress", e, "已有进行中的案件"});
  }
  {
    OpenCase e = w.open_event();
    e.previous_case_id = "999";
    cases.push_back({"a previous case that does not exist", e, "关联的原案件 999 不存在"});
  }
  {
    OpenCase e = w.open_event();
    e.previous_case_id = format_case_id(id);
    cases.push_back({"a previous case of another household", e, "属于另一农户"});
  }
  {
    OpenCase e = w.open_event();
    e.kind = "unknown_kind";
    cases.push_back({"an unknown kind", e, "未在本地配置中"});
  }
  for (const Bad& c : cases) {
    const std::string before = dump(s());
    const OpenResult r = repo().open_case(c.event);
    EXPECT_EQ(dump(s()), before) << c.what;
    const auto* refusal = as<Refusal>(r);
    ASSERT_NE(refusal, nullptr) << c.what;
    EXPECT_NE(refusal->message.find(c.says), std::string::npos)
        << c.what << ": " << refusal->message;
    EXPECT_EQ(refusal->event, "open_case");
  }
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM cases"), 1);
}

// ---- a long life, stored event by event

// Emergency case of a household of five: every kind of record the case keeps, through
// recognition (with a publicity objection), assistance, elimination (with an objection),
// look-back, rollback, a second elimination and re-identification as a new case.
TEST_P(CaseRepositoryConformance, Persistence_ALongLifeRoundTripsAfterRestart) {
  CaseWalk w = walk("marginal", household(4, "3701020010010004", 5), /*emergency=*/true);
  const std::int64_t id = open(w);
  ASSERT_GT(id, 0);

  // Assisted from discovery (先帮扶、后认定).
  accept(w, id, w.assign_officer());
  accept(w, id, w.measure(MeasureType::kMedical, MeasureStatus::kPlanned));
  accept(w, id, w.start_verification());
  w.days(2);
  accept(w, id, w.eligible_verification());
  accept(w, id, w.review_pass());
  accept(w, id, w.county_pass());
  accept(w, id, PublicityObjection{w.meta("邻居反映该户有稳定务工收入")});
  EXPECT_EQ(w.state(), "democratic_review");
  accept(w, id, w.review_pass());
  accept(w, id, w.county_pass());
  w.days(6);
  accept(w, id, w.close_publicity());
  EXPECT_EQ(w.state(), "registered");

  // Assistance: every record kind.
  accept(w, id, w.measure(MeasureType::kIndustry, MeasureStatus::kPlanned));
  accept(w, id, UpdateMeasure{w.meta(), 2, MeasureStatus::kInPlace});
  accept(w, id, w.visit());
  w.days(20);
  accept(w, id, w.visit());
  accept(w, id, w.monitoring(month_of(china_date(w.now()))));
  // Issue 14: village and township confirm before the mark ([001] "经乡村两级确认后").
  accept(w, id,
         ConfirmHouseholdStatus{w.meta("产业帮扶已落实"), HouseholdStatus::kDevelopmental,
                                ApprovalLevel::kVillage});
  accept(w, id,
         ConfirmHouseholdStatus{w.meta("同意"), HouseholdStatus::kDevelopmental,
                                ApprovalLevel::kTownship});
  accept(w, id, MarkDevelopmental{w.meta(), china_date(w.now())});
  Household grown = w.household();
  PeopleGenerator people(40);
  grown.members.pop_back();  // someone left
  grown.members.push_back({people.name(), people.id_number(*parse_date("2025-01-05"), true),
                           Relation::kGrandchild, false, false, false});
  accept(w, id, UpdateHousehold{w.meta("新生儿落户，老人去世"), grown});

  // Elimination with an objection, then again.
  w.days(30);
  accept(w, id, ProposeElimination{w.meta()});
  accept(w, id, RecordEliminationReview{w.meta(), true});
  accept(w, id, RecordTownshipReview{w.meta(), true});
  accept(w, id, EliminationObjection{w.meta("仍有大额医疗支出")});
  EXPECT_EQ(w.state(), "elimination_review");
  accept(w, id, RecordEliminationReview{w.meta(), true});
  accept(w, id, RecordTownshipReview{w.meta(), true});
  w.days(6);
  accept(w, id, CloseEliminationPublicity{w.meta()});
  EXPECT_EQ(w.state(), "eliminated");

  // Look-back finds the elimination inaccurate: rollback with three approvals.
  w.days(60);
  accept(w, id, RecordLookBack{w.meta("收入核算有误"), LookBackFinding::kInaccurate});
  for (auto level : {ApprovalLevel::kTownship, ApprovalLevel::kVillage, ApprovalLevel::kCity}) {
    accept(w, id, RecordApproval{w.meta("同意"), ApprovalPurpose::kRollback, level});
  }
  accept(w, id, ApplyRollback{w.meta()});
  EXPECT_EQ(w.state(), "registered");

  // Eliminated again; a later look-back finds new risk: re-identified as a new case.
  w.days(30);
  accept(w, id, ProposeElimination{w.meta()});
  accept(w, id, RecordEliminationReview{w.meta(), true});
  accept(w, id, RecordTownshipReview{w.meta(), true});
  w.days(6);
  accept(w, id, CloseEliminationPublicity{w.meta()});
  w.days(90);
  accept(w, id, RecordLookBack{w.meta("户主突发重病"), LookBackFinding::kNewRisk});
  const CaseChange re = accept(
      w, id,
      ReIdentify{
          w.meta("回头看发现新增风险"), "sudden", {RiskCause::kIllness}, true, "户主突发重病住院"});
  EXPECT_EQ(w.state(), "eliminated");
  ASSERT_TRUE(re.new_case_id.has_value());

  // Restart: a fresh connection reads exactly what the machine holds.
  expect_stored(w, id);
  EXPECT_EQ(load_history(s(), id).size(), w.history().size());
  EXPECT_EQ(load_case(s(), id)->version, static_cast<std::int64_t>(w.history().size()));

  // The new case: linked, opened from the request, a history of one.
  const auto fresh = repo().load(*re.new_case_id);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->previous_case_id, id);
  EXPECT_EQ(fresh->snapshot.state, "discovered");
  EXPECT_EQ(fresh->snapshot.version, 1);
  EXPECT_EQ(fresh->snapshot.data.previous_case_id, format_case_id(id));
  EXPECT_EQ(fresh->snapshot.data.kind, "sudden");
  EXPECT_TRUE(fresh->snapshot.data.emergency);
  EXPECT_EQ(fresh->snapshot.data.household, grown);
  EXPECT_EQ(fresh->snapshot.data.opened.at, w.history().back().at);
  ASSERT_EQ(fresh->history.size(), 1u);
  EXPECT_EQ(fresh->history[0].event, "open_case");

  // The member index follows the household's update.
  const auto members = load_members(s(), "3701020010010004");
  ASSERT_EQ(members.size(), grown.members.size());
  for (const Member& m : grown.members) {
    EXPECT_TRUE(std::any_of(members.begin(), members.end(), [&](const MemberRecord& r) {
      return r.id_number == m.id_number;
    })) << m.name;
  }

  // Work goes on after the restart, on the restored case.
  auto restored = repo().restore(*re.new_case_id);
  ASSERT_TRUE(restored.has_value());
  StartVerification start{{"镇扶贫办李*", w.now() + 1h, ""}, "镇扶贫办李*"};
  const ApplyResult r = repo().apply(*re.new_case_id, start);
  ASSERT_NE(as<CaseChange>(r), nullptr) << describe(r);
  EXPECT_EQ(as<CaseChange>(r)->snapshot.state, "household_verification");
  EXPECT_EQ(restored->handle(start).outcome().entry, as<CaseChange>(r)->outcome.entry);
}

// The issue's replay test: the event list recorded while a case was stored, applied to a fresh
// machine, gives exactly the stored state and history.
TEST_P(CaseRepositoryConformance, Replay_RecordedEventsRebuildTheStoredCase) {
  std::uint64_t n = 0;
  for (const std::string& kind : testing::all_kinds()) {
    SCOPED_TRACE(kind);
    ++n;
    CaseWalk w = walk(kind, household(100 + n, "370102001001200" + std::to_string(n)));
    const std::int64_t id = open(w);
    ASSERT_GT(id, 0);
    accept(w, id, w.start_verification());
    accept(w, id, w.eligible_verification());
    if (w.state() == "democratic_review") accept(w, id, w.review_pass());
    accept(w, id, w.county_pass());
    if (w.state() == "village_publicity") {
      w.days(6);
      accept(w, id, w.close_publicity());
    }
    accept(w, id, w.assign_officer());
    accept(w, id, w.visit());
    refuse(w, id, ClosePublicity{w.meta()});

    const std::vector<CaseEvent> recorded = w.accepted();
    CaseMachine replayed(config_.rules);
    std::vector<HistoryEntry> history;
    for (const CaseEvent& e : recorded) {
      const EventResult r = replayed.handle(e);
      ASSERT_TRUE(r.accepted()) << event_name(e);
      history.push_back(r.outcome().entry);
    }
    const auto stored = repo().load(id);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->snapshot, replayed.snapshot());
    EXPECT_EQ(stored->history, history);
    EXPECT_EQ(stored->snapshot.state, "registered");
  }
}

// ---- refusals and stale writers

TEST_P(CaseRepositoryConformance, Refusal_LeavesEveryTableAsItWas) {
  CaseWalk w = walk("unstable", household(5, "3701020010010005"));
  const std::int64_t id = open(w);
  ASSERT_GT(id, 0);
  // The state does not accept the event.
  refuse(w, id, w.close_publicity());
  refuse(w, id, ProposeElimination{w.meta()});
  // Assistance during recognition needs the emergency flag.
  refuse(w, id, w.assign_officer());
  const std::string opened = dump(s());
  accept(w, id, w.start_verification());
  EXPECT_NE(dump(s()), opened) << "the dump must see an accepted change";
  // Records incomplete.
  RecordVerification partial = w.eligible_verification();
  partial.accounts.pop_back();
  refuse(w, id, partial);
  // An event dated before the last one.
  RecordVerification late = w.eligible_verification();
  late.meta.at = t0() - 24h;
  refuse(w, id, late);
  accept(w, id, w.eligible_verification());
  // Passing review without the signed authorisation.
  refuse(w, id, RecordDemocraticReview{w.meta(), true, false});
  accept(w, id, w.review_pass());
  accept(w, id, w.county_pass());
  // Publicity closed before its five days.
  const Refusal early = refuse(w, id, w.close_publicity());
  EXPECT_NE(early.message.find("5天"), std::string::npos) << early.message;
  w.days(6);
  accept(w, id, w.close_publicity());
  // A visit before an officer is assigned.
  refuse(w, id, w.visit());
  // A clear-out without the approvals.
  refuse(w, id, ApplyClearOut{w.meta("家庭收入已稳定超过标准")});
  expect_stored(w, id);
}

TEST_P(CaseRepositoryConformance, Refusal_WholeHouseholdUnableToWorkIsNotEliminated) {
  CaseWalk w = walk("unstable", household(6, "3701020010010006", 3, /*nobody_can_work=*/true));
  const std::int64_t id = open(w);
  ASSERT_GT(id, 0);
  accept(w, id, w.start_verification());
  accept(w, id, w.eligible_verification());
  accept(w, id, w.review_pass());
  accept(w, id, w.county_pass());
  w.days(6);
  accept(w, id, w.close_publicity());
  // Issue 14: the status village and township confirmed decides, not the members' flags.
  accept(w, id,
         ConfirmHouseholdStatus{w.meta("整户无劳动能力"), HouseholdStatus::kGuaranteedSupport,
                                ApprovalLevel::kVillage});
  accept(w, id,
         ConfirmHouseholdStatus{w.meta("同意"), HouseholdStatus::kGuaranteedSupport,
                                ApprovalLevel::kTownship});
  const Refusal r = refuse(w, id, ProposeElimination{w.meta()});
  EXPECT_NE(r.message.find("整户无劳动能力"), std::string::npos) << r.message;
  EXPECT_EQ(r.state, "registered");
}

TEST_P(CaseRepositoryConformance, Stale_TheSecondWriterOfAVersionIsRefused) {
  CaseWalk w = walk("unstable", household(7, "3701020010010007"));
  const std::int64_t id = open(w);
  ASSERT_GT(id, 0);
  accept(w, id, w.start_verification());

  // Two clerks opened the case at version 2.
  auto other_session = db_->open_session();
  test::StoredCases other(*other_session, config_, clock_);
  ASSERT_EQ(repo().load(id)->snapshot.version, 2);
  ASSERT_EQ(other.load(id)->snapshot.version, 2);

  accept(w, id, w.eligible_verification(), /*expected_version=*/2);
  const std::string before = dump(s());
  const ApplyResult r = other.apply(id, w.ineligible_verification(), /*expected_version=*/2);
  EXPECT_EQ(dump(s()), before);
  const auto* stale = as<StaleVersion>(r);
  ASSERT_NE(stale, nullptr) << describe(r);
  EXPECT_EQ(stale->expected_version, 2);
  EXPECT_EQ(stale->current_version, 3);
  EXPECT_EQ(stale->message,
            "案件 " + format_case_id(id) +
                " 已被他人更新（您看到的是第 2 版，现在是第 3 版），请刷新后重新操作");
  // Refreshed, the second clerk's write goes through.
  const ApplyResult again = other.apply(id, w.review_pass(), /*expected_version=*/3);
  EXPECT_NE(as<CaseChange>(again), nullptr) << describe(again);
}

// Two writers race on the same version: the first holds its transaction open (the hook waits)
// while the second loads, decides and writes. Exactly one wins; the loser wrote nothing.
TEST_P(CaseRepositoryConformance, Stale_ConcurrentWritersOfOneVersionExactlyOneWins) {
  CaseWalk w = walk("instant", household(8, "3701020010010008"), /*emergency=*/true);
  const std::int64_t id = open(w);
  ASSERT_GT(id, 0);
  accept(w, id, w.assign_officer());
  const std::int64_t version = 2;

  for (bool with_expected : {true, false}) {
    SCOPED_TRACE(with_expected ? "with the version the caller saw" : "with the version loaded");
    const std::int64_t seen = repo().load(id)->snapshot.version;
    auto first_session = db_->open_session();
    auto second_session = db_->open_session();
    std::atomic<bool> first_in_transaction{false};
    test::StoredCases first(*first_session, config_, clock_,
                            [&](soci::session&, const CaseChange&) {
                              first_in_transaction = true;
                              std::this_thread::sleep_for(300ms);
                            });
    test::StoredCases second(*second_session, config_, clock_);
    const auto expected = with_expected ? std::optional<std::int64_t>(seen) : std::nullopt;
    const RecordVisit a = w.visit();
    const RecordVisit b = w.visit();
    ApplyResult first_result = CaseNotFound{}, second_result = CaseNotFound{};
    std::thread racer([&] { first_result = first.apply(id, a, expected); });
    while (!first_in_transaction) std::this_thread::sleep_for(1ms);
    second_result = second.apply(id, b, expected);
    racer.join();

    EXPECT_NE(as<CaseChange>(first_result), nullptr) << describe(first_result);
    const auto stored = repo().load(id);
    ASSERT_TRUE(stored.has_value());
    const bool second_won = as<CaseChange>(second_result) != nullptr;
    if (with_expected) {
      // Both saw `seen`: the second is stale on both backends.
      EXPECT_NE(as<StaleVersion>(second_result), nullptr) << describe(second_result);
      EXPECT_EQ(stored->snapshot.version, seen + 1);
    } else {
      // SQLite serialises the writers (the second loads after the first committed and may go
      // on); PostgreSQL lets both load the same version and refuses the second as stale.
      EXPECT_TRUE(second_won || as<StaleVersion>(second_result) != nullptr)
          << describe(second_result);
      if (GetParam() == Backend::kPostgresql) {
        EXPECT_FALSE(second_won);
      }
      EXPECT_EQ(stored->snapshot.version, seen + (second_won ? 2 : 1));
    }
    // Never merged: every accepted visit is in the data and in the history, once.
    EXPECT_EQ(static_cast<std::int64_t>(stored->history.size()), stored->snapshot.version);
    EXPECT_EQ(stored->snapshot.data.visits.size(),
              (second_won ? 2u : 1u) + (with_expected ? 0u : 1u));
    // Keep the in-memory walk in step with what was stored.
    w.machine() = *repo().restore(id);
  }
  EXPECT_GE(repo().load(id)->snapshot.version, version + 2);
}

// ---- one case in progress per household

TEST_P(CaseRepositoryConformance, OneActiveCase_ConcurrentOpensForOneHouseholdExactlyOneWins) {
  const Household h = household(20, "3701020010010020");
  CaseWalk w = walk("marginal", h);
  const OpenCase e = w.open_event();
  auto first_session = db_->open_session();
  auto second_session = db_->open_session();
  std::atomic<bool> first_in_transaction{false};
  test::StoredCases first(*first_session, config_, clock_, [&](soci::session&, const CaseChange&) {
    first_in_transaction = true;
    std::this_thread::sleep_for(300ms);
  });
  test::StoredCases second(*second_session, config_, clock_);
  OpenResult first_result = Refusal{}, second_result = Refusal{};
  std::thread racer([&] { first_result = first.open_case(e); });
  while (!first_in_transaction) std::this_thread::sleep_for(1ms);
  second_result = second.open_case(e);
  racer.join();

  ASSERT_NE(as<CaseChange>(first_result), nullptr);
  const auto* refusal = as<Refusal>(second_result);
  ASSERT_NE(refusal, nullptr) << "both opens of one household were stored";
  const std::int64_t id = as<CaseChange>(first_result)->case_id;
  EXPECT_EQ(refusal->message, "不能" + std::string(OpenCase::kLabel) +
                                  "：农户 3701020010010020 已有进行中的案件 " + format_case_id(id) +
                                  "（" + std::string(find_case_state("discovered")->label) +
                                  "），不能重复建档");
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM cases WHERE household_code = '3701020010010020'"), 1);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM households WHERE code = '3701020010010020'"), 1);
}

TEST_P(CaseRepositoryConformance, OneActiveCase_RollbackRefusedWhileANewCaseIsInProgress) {
  const Household h = household(21, "3701020010010021");
  CaseWalk a = walk("monitored_formerly_poor", h);
  const std::int64_t id = open(a);
  ASSERT_GT(id, 0);
  accept(a, id, a.start_verification());
  accept(a, id, a.eligible_verification());
  accept(a, id, a.county_pass());
  a.days(30);
  accept(a, id, ProposeElimination{a.meta()});
  accept(a, id, RecordEliminationReview{a.meta(), true});
  accept(a, id, RecordTownshipReview{a.meta(), true});
  a.days(6);
  accept(a, id, CloseEliminationPublicity{a.meta()});
  ASSERT_EQ(a.state(), "eliminated");

  // The eliminated case leaves the household free: a new case is opened.
  CaseWalk b = walk("sudden", h);
  const std::int64_t other = open(b);
  ASSERT_GT(other, 0);

  // The old case's rollback would make two cases in progress: refused, nothing written.
  a.days(60);
  accept(a, id, RecordLookBack{a.meta("收入核算有误"), LookBackFinding::kInaccurate});
  for (auto level : {ApprovalLevel::kTownship, ApprovalLevel::kVillage, ApprovalLevel::kCity}) {
    accept(a, id, RecordApproval{a.meta("同意"), ApprovalPurpose::kRollback, level});
  }
  const std::string before = dump(s());
  const ApplyResult r = repo().apply(id, ApplyRollback{a.meta()});
  EXPECT_EQ(dump(s()), before);
  const auto* refusal = as<Refusal>(r);
  ASSERT_NE(refusal, nullptr) << describe(r);
  EXPECT_EQ(refusal->state, "eliminated");
  EXPECT_EQ(refusal->event, "apply_rollback");
  EXPECT_EQ(refusal->message, "不能" + std::string(ApplyRollback::kLabel) +
                                  "：农户 3701020010010021 已有进行中的案件 " +
                                  format_case_id(other) + "（" +
                                  std::string(find_case_state("discovered")->label) +
                                  "），同一农户不能同时有两个进行中的案件，请先办结该案件");
  EXPECT_EQ(repo().load(id)->snapshot.state, "eliminated");
}

TEST_P(CaseRepositoryConformance, UpdateHousehold_VillageMustBeInTheConfig) {
  CaseWalk w = walk("marginal", household(22, "3701020010010022"));
  const std::int64_t id = open(w);
  ASSERT_GT(id, 0);
  Household moved = w.household();
  moved.village_code = "370102009009";
  const UpdateHousehold unknown{w.meta("迁入新村"), moved};
  const std::string before = dump(s());
  const ApplyResult r = repo().apply(id, unknown);
  EXPECT_EQ(dump(s()), before);
  const auto* refusal = as<Refusal>(r);
  ASSERT_NE(refusal, nullptr) << describe(r);
  EXPECT_EQ(refusal->event, "update_household");
  EXPECT_EQ(refusal->message, "不能" + std::string(UpdateHousehold::kLabel) +
                                  "：农户所在村（代码 370102009009）不在本县的配置中，"
                                  "请先在配置文件中添加该村");
  // A village the config knows is fine.
  moved.village_code = kOtherVillage;
  accept(w, id, UpdateHousehold{w.meta("迁入南村"), moved});
  EXPECT_EQ(load_household(s(), "3701020010010022")->village_code, kOtherVillage);
  EXPECT_EQ(load_household(s(), "3701020010010022")->township_code, "370102002");
}

TEST_P(CaseRepositoryConformance, UnknownCase_IsReportedAndWritesNothing) {
  const std::string before = dump(s());
  const ApplyResult r = repo().apply(4242, StartVerification{{"镇扶贫办李*", t0(), ""}, "李*"});
  const auto* missing = as<CaseNotFound>(r);
  ASSERT_NE(missing, nullptr) << describe(r);
  EXPECT_EQ(missing->message, "没有编号为 4242 的案件");
  EXPECT_EQ(dump(s()), before);
  EXPECT_FALSE(repo().load(4242).has_value());
  EXPECT_FALSE(repo().restore(4242).has_value());
}

// ---- written notices

TEST_P(CaseRepositoryConformance, Notice_IsQueuedOnceWithTheCaseChange) {
  CaseWalk w = walk("marginal", household(9, "3701020010010009"));
  const std::int64_t id = open(w);
  ASSERT_GT(id, 0);
  accept(w, id, w.start_verification());
  const RecordVerification rejection = w.ineligible_verification();
  const CaseChange change = accept(w, id, rejection);
  EXPECT_EQ(w.state(), "rejected");
  ASSERT_EQ(change.outcome.notices.size(), 1u);
  ASSERT_EQ(change.outbox_ids.size(), 1u);

  const auto message = load_outbox(s(), change.outbox_ids[0]);
  ASSERT_TRUE(message.has_value());
  // To the township clerk, who prints it for the household, with the household masked.
  EXPECT_EQ(message->dedupe_key, "notice:" + format_case_id(id) + ":3:1:王丽@370102001");
  EXPECT_EQ(message->case_id, id);
  EXPECT_EQ(message->channel, "wechat_app");
  EXPECT_EQ(message->recipient, "wangli");
  EXPECT_EQ(message->message_type, "written_notice");
  const boost::json::value body = boost::json::parse(message->body);
  EXPECT_EQ(body.at("text").as_string(), change.outcome.notices[0].text);
  EXPECT_EQ(body.at("village").as_string(), "东村");
  EXPECT_EQ(body.at("case_id").as_string(), format_case_id(id));
  const std::string head = w.household().head()->name;
  EXPECT_EQ(body.at("household").as_string(), mask_name(head));
  EXPECT_EQ(message->body.find(head), std::string::npos);
  EXPECT_EQ(message->status, OutboxStatus::kPending);
  EXPECT_EQ(message->next_attempt_at, t0());

  // The same event again: refused (the case is closed), nothing queued twice.
  refuse(w, id, rejection);
  // Replaying the notice's own enqueue (a retried delivery of the same change) is a no-op too.
  NewOutboxMessage replay;
  replay.dedupe_key = message->dedupe_key;
  replay.channel = message->channel;
  replay.recipient = message->recipient;
  replay.message_type = "written_notice";
  replay.body = message->body;
  EXPECT_FALSE(enqueue_outbox(s(), replay).inserted);
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM outbox"), 1);
  expect_stored(w, id);
}

// Department evidence (issue 12) goes to the roles its notice names, as its own message type:
// here the township clerk (the case has no officer and 东村 no village officer).
TEST_P(CaseRepositoryConformance, Notice_DepartmentEvidenceGoesToTheCasesStaff) {
  CaseWalk w = walk("marginal", household(12, "3701020010010012"));
  const std::int64_t id = open(w);
  ASSERT_GT(id, 0);
  RecordDepartmentEvidence e;
  e.meta = w.meta("", "system:feeds");
  e.department = "civil_affairs";
  e.feed = "civil_affairs";
  e.period = "2025-02";
  e.rule = "new_assistance";
  e.rule_label = "新纳入低保";
  e.summary = "救助类别低保";
  e.alert_id = 5;
  e.member_name = w.household().members.at(1).name;
  const CaseChange change = accept(w, id, e);
  EXPECT_EQ(w.state(), "discovered");
  ASSERT_EQ(change.outcome.notices.size(), 1u);
  ASSERT_EQ(change.outbox_ids.size(), 1u);
  const auto message = load_outbox(s(), change.outbox_ids[0]);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->message_type, "department_evidence");
  EXPECT_EQ(message->recipient, "wangli");
  const boost::json::value body = boost::json::parse(message->body);
  EXPECT_EQ(body.at("text").as_string(), change.outcome.notices[0].text);
  EXPECT_EQ(message->body.find(e.member_name), std::string::npos);
  expect_stored(w, id);
}

TEST_P(CaseRepositoryConformance, Notice_ClearOutIsQueuedAfterTheThreeApprovals) {
  CaseWalk w = walk("monitored_formerly_poor", household(10, "3701020010010010"));
  const std::int64_t id = open(w);
  ASSERT_GT(id, 0);
  accept(w, id, w.start_verification());
  accept(w, id, w.eligible_verification());
  accept(w, id, w.county_pass());
  EXPECT_EQ(w.state(), "registered");
  refuse(w, id, ApplyClearOut{w.meta("家庭收入已稳定超过标准")});
  for (auto level : {ApprovalLevel::kTownship, ApprovalLevel::kVillage, ApprovalLevel::kCity}) {
    accept(w, id, RecordApproval{w.meta("同意"), ApprovalPurpose::kClearOut, level});
  }
  const CaseChange change = accept(w, id, ApplyClearOut{w.meta("家庭收入已稳定超过标准")});
  EXPECT_EQ(w.state(), "cleared_out");
  ASSERT_EQ(change.outbox_ids.size(), 1u);
  EXPECT_EQ(load_outbox(s(), change.outbox_ids[0])->dedupe_key,
            "notice:" + format_case_id(id) + ":" + std::to_string(change.snapshot.version) +
                ":1:王丽@370102001");
  EXPECT_EQ(count(s(), "SELECT COUNT(*) FROM outbox"), 1);
  expect_stored(w, id);
}

// ---- atomicity

TEST_P(CaseRepositoryConformance, Hook_RunsInTheTransactionAndItsFailureUndoesEverything) {
  CaseWalk w = walk("marginal", household(11, "3701020010010011"));
  std::vector<std::int64_t> seen_versions;
  repo_.emplace(s(), config_, clock_, [&](soci::session& session, const CaseChange& change) {
    // The change is visible inside the transaction, history included.
    EXPECT_EQ(load_case(session, change.case_id)->version, change.snapshot.version);
    EXPECT_EQ(static_cast<std::int64_t>(load_history(session, change.case_id).size()),
              change.history_seq);
    seen_versions.push_back(change.snapshot.version);
  });
  const std::int64_t id = open(w);
  ASSERT_GT(id, 0);
  accept(w, id, w.start_verification());
  EXPECT_EQ(seen_versions, (std::vector<std::int64_t>{1, 2}));

  // A failing hook: the case change, its history and its notice all roll back.
  repo_.emplace(s(), config_, clock_, [](soci::session&, const CaseChange&) {
    throw StorageError(StorageError::Kind::kUnavailable, "timer store unavailable");
  });
  const std::string before = dump(s());
  EXPECT_THROW((void)repo().apply(id, w.ineligible_verification()), StorageError);
  EXPECT_EQ(dump(s()), before);
  CaseWalk other = walk("marginal", household(12, "3701020010010012"));
  EXPECT_THROW((void)repo().open_case(other.open_event()), StorageError);
  EXPECT_EQ(dump(s()), before);
}

// ---- the case writer

TEST_P(CaseRepositoryConformance, Writer_CannotBeBuiltWithoutItsDeadlineHook) {
  EXPECT_THROW(CaseWriter writer(clock_, DeadlineHookSource{}), std::invalid_argument);
  const CaseWriter gives_nothing(clock_, [] { return CaseChangeHook{}; });
  EXPECT_THROW((void)gives_nothing.begin(config_), std::logic_error);
}

TEST_P(CaseRepositoryConformance, Writer_AlsoRunsAfterTheDeadlinesInTheSameTransaction) {
  std::vector<std::string> calls;
  const auto writer = test::test_case_writer(clock_, [&](soci::session&, const CaseChange& c) {
    calls.push_back("deadlines v" + std::to_string(c.snapshot.version));
  });
  const CaseUnitOfWork work = writer->begin(config_);
  CaseWalk w = walk("marginal", household(14, "3701020010010014"));
  const OpenCase e = w.open_event();
  w.ok(e);
  const OpenResult opened =
      work.open_case(s(), e, [&](soci::session& session, const CaseChange& c) {
        EXPECT_EQ(load_case(session, c.case_id)->version, c.snapshot.version);
        calls.push_back("also v" + std::to_string(c.snapshot.version));
      });
  const auto* change = as<CaseChange>(opened);
  ASSERT_NE(change, nullptr);
  EXPECT_EQ(calls, (std::vector<std::string>{"deadlines v1", "also v1"}));

  // A failing `also` undoes the change with its deadlines' work.
  const std::string before = dump(s());
  const auto fails = [](soci::session&, const CaseChange&) {
    throw StorageError(StorageError::Kind::kConstraint, "the row was applied before");
  };
  EXPECT_THROW((void)work.apply(s(), change->case_id, w.start_verification(), std::nullopt, fails),
               StorageError);
  EXPECT_EQ(dump(s()), before);
  EXPECT_EQ(calls.back(), "deadlines v2");
}

// A load reuses the data it last decoded (or wrote) for a case only while the stored text is the
// same (case_repository.cpp, DecodedCases): data changed behind the writer's back at the same
// version, or a write whose transaction was rolled back, is read as stored.
TEST_P(CaseRepositoryConformance, Load_ReadsTheStoredDataAfterItChangedBehindTheWriter) {
  struct Row {
    const char* name;
    bool roll_back_a_write;  // else: the data is changed in place, the version kept
  };
  const Row rows[] = {{"changed in place, same version", false}, {"a write rolled back", true}};
  int n = 0;
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    ++n;
    CaseWalk w = walk("marginal", household(30 + n, "37010200100100" + std::to_string(30 + n)));
    const std::int64_t id = open(w);
    ASSERT_GT(id, 0);
    const CaseData opened = repo().load(id)->snapshot.data;  // read: the reader knows this text
    if (row.roll_back_a_write) {
      // An event applied in a transaction that never commits: the writer knew its text.
      const auto writer = test::test_case_writer(clock_, test::no_deadlines());
      const CaseUnitOfWork work = writer->begin(config_);
      {
        WriteTransaction tx(s());
        const ApplyResult r = work.apply_in(s(), id, w.start_verification());
        ASSERT_NE(as<CaseChange>(r), nullptr) << describe(r);
        ASSERT_NE(as<CaseChange>(r)->snapshot.data, opened);
      }  // rolled back
      EXPECT_EQ(repo().load(id)->snapshot.version, 1);
      EXPECT_EQ(repo().load(id)->snapshot.data, opened);
      EXPECT_EQ(repo().restore(id)->snapshot().data, opened);
    } else {
      accept(w, id, w.start_verification());  // written: the writer knows this text
      const std::int64_t version = repo().load(id)->snapshot.version;
      CaseData changed = repo().load(id)->snapshot.data;
      changed.officer = "改过的帮扶人*";
      const std::string text = case_data_to_json(changed);
      const long long key = id;
      s() << "UPDATE cases SET data = :data WHERE id = :id", soci::use(text), soci::use(key);
      EXPECT_EQ(repo().load(id)->snapshot.version, version);
      EXPECT_EQ(repo().load(id)->snapshot.data.officer, "改过的帮扶人*");
      EXPECT_EQ(repo().restore(id)->data().officer, "改过的帮扶人*");
    }
  }
}

TEST_P(CaseRepositoryConformance, CorruptStoredData_IsAnErrorNamingTheCase) {
  CaseWalk w = walk("marginal", household(13, "3701020010010013"));
  const std::int64_t id = open(w);
  ASSERT_GT(id, 0);
  const long long key = id;
  const std::string corrupt = R"({"kind":"marginal","colour":1})";
  s() << "UPDATE cases SET data = :data WHERE id = :id", soci::use(corrupt), soci::use(key);
  try {
    (void)repo().apply(id, w.start_verification());
    ADD_FAILURE() << "corrupt data was applied to";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("案件 " + format_case_id(id)), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("colour"), std::string::npos) << e.what();
  }
  const std::string valid = case_data_to_json(w.data());
  s() << "UPDATE cases SET data = :data, state = 'flying' WHERE id = :id", soci::use(valid),
      soci::use(key);
  EXPECT_THROW((void)repo().restore(id), StorageError);
  EXPECT_EQ(load_history(s(), id).size(), 1u);
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgresql";
}

#if !defined(FANGFAN_CASE_REPOSITORY_TEST_SQLITE) && \
    !defined(FANGFAN_CASE_REPOSITORY_TEST_POSTGRESQL)
#define FANGFAN_CASE_REPOSITORY_TEST_SQLITE 1
#define FANGFAN_CASE_REPOSITORY_TEST_POSTGRESQL 1
#endif
#ifndef FANGFAN_CASE_REPOSITORY_TEST_SQLITE
#define FANGFAN_CASE_REPOSITORY_TEST_SQLITE 0
#endif
#ifndef FANGFAN_CASE_REPOSITORY_TEST_POSTGRESQL
#define FANGFAN_CASE_REPOSITORY_TEST_POSTGRESQL 0
#endif

#if FANGFAN_CASE_REPOSITORY_TEST_SQLITE && FANGFAN_CASE_REPOSITORY_TEST_POSTGRESQL
INSTANTIATE_TEST_SUITE_P(Backends, CaseRepositoryConformance,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgresql), backend_name);
#elif FANGFAN_CASE_REPOSITORY_TEST_SQLITE
INSTANTIATE_TEST_SUITE_P(Backends, CaseRepositoryConformance, ::testing::Values(Backend::kSqlite),
                         backend_name);
#else
INSTANTIATE_TEST_SUITE_P(Backends, CaseRepositoryConformance,
                         ::testing::Values(Backend::kPostgresql), backend_name);
#endif

TEST(CaseId, FormatsAndParsesDecimalIds) {
  EXPECT_EQ(format_case_id(42), "42");
  EXPECT_EQ(parse_case_id("42"), 42);
  EXPECT_EQ(parse_case_id("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", "0", "042", "-1", "+1", "4x", "9223372036854775808", " 1"}) {
    EXPECT_FALSE(parse_case_id(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace fangfan
