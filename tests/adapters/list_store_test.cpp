// Department list store (adapters/storage/list_store.h): one suite, run on SQLite and on
// PostgreSQL (a throwaway server, tests/support/pg_server.h), each test on a fresh, migrated
// database. CMake compiles this file once per backend, like feed_store_test.cpp.
#include "adapters/storage/list_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "adapters/storage/case_json.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/migrations.h"
#include "tests/support/people.h"
#include "tests/support/test_database.h"
#include "workflows/duties.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test::Backend;

TimePoint t0() { return china_time(Date{std::chrono::year(2026) / std::chrono::December / 1}, 8h); }

Config county() {
  Config c;
  c.county = {"370102", "历下区", "山东省"};
  c.townships = {{"370102001", "解放路街道"}};
  c.villages = {{"370102001001", "甸柳村", "370102001"}};
  c.rules.case_kinds = {{"unstable", "脱贫不稳定户", {}}};
  return c;
}

class ListStore : public test::DatabaseTest {
 protected:
  void SetUp() override { open_database("list", t0()); }

  // A household of village 370102001001 with a case of kind "unstable" in `state`.
  std::int64_t household_case(const std::string& code, const std::string& state,
                              const std::string& kind = "unstable") {
    if (!load_household(s(), code)) {
      HouseholdRecord h;
      h.code = code;
      h.village_code = "370102001001";
      h.township_code = "370102001";
      h.head_name = "户主";
      h.created_at = h.updated_at = t0();
      insert_household(s(), h);
    }
    CaseData data;
    data.kind = kind;
    data.household.code = code;
    CaseRecord c;
    c.household_code = code;
    c.kind = kind;
    c.state = state;
    c.opened_at = c.updated_at = t0();
    c.data = case_data_to_json(data);
    return insert_case(s(), c);
  }
};

// A generated person's ID number (GB 11643 check digit; never a real person's).
std::string an_id_number() {
  static const std::string id = testing::PeopleGenerator(13).person().id_number;
  return id;
}

ListContent content_of(const std::vector<std::string>& keys) {
  ListContent c;
  c.columns = {"household_code", "head_name", "head_id_number"};
  for (const std::string& k : keys) {
    c.rows.push_back({k, 0, k, "户主" + k, {k, "户主" + k, an_id_number()}});
  }
  c.households = int(keys.size());
  c.persons = int(keys.size()) * 3;
  c.monitored = int(keys.size());
  return c;
}

NewDepartmentList list_of(const std::string& period, const ListContent& c) {
  NewDepartmentList l;
  l.list = "civil_affairs";
  l.department = "civil_affairs";
  l.period = period;
  l.produced_at = t0();
  l.rows = std::int64_t(c.rows.size());
  l.households = c.households;
  l.persons = c.persons;
  l.monitored = c.monitored;
  l.changes = 2;
  l.data_sha256 = "ab" + period;
  l.files = {{"xlsx", "/srv/files/lists/civil_affairs/" + period + "/县民政局-" + period + ".xlsx",
              "县民政局-" + period + ".xlsx", "ff00", 5000000000ULL},
             {"csv", "/srv/files/x.csv", "县民政局-" + period + ".csv", "ee11", 12}};
  return l;
}

TEST_P(ListStore, AListAndItsRowsAreStoredOncePerPeriod) {
  const ListContent c = content_of({"370102001001000001", "370102001001000002"});
  std::int64_t id = 0;
  {
    WriteTransaction tx(s());
    id = insert_department_list(s(), list_of("2026-12-01", c), c);
    tx.commit();
  }
  auto found = find_department_list(s(), "civil_affairs", "2026-12-01");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, id);
  EXPECT_EQ(static_cast<const NewDepartmentList&>(*found), list_of("2026-12-01", c));
  EXPECT_FALSE(find_department_list(s(), "civil_affairs", "2026-12-15"));
  EXPECT_FALSE(find_department_list(s(), "education", "2026-12-01"));

  const std::vector<StoredListRow> rows = department_list_rows(s(), id);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].key, "370102001001000002");
  EXPECT_EQ(rows[1].household_code, "370102001001000002");
  EXPECT_EQ(rows[1].name, "户主370102001001000002");
  using Cells = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(rows[1].cells, (Cells{{"household_code", "370102001001000002"},
                                  {"head_name", "户主370102001001000002"},
                                  {"head_id_number", an_id_number()}}));

  // The same (list, period) twice is refused by the database.
  WriteTransaction tx(s());
  try {
    insert_department_list(s(), list_of("2026-12-01", c), c);
    ADD_FAILURE() << "a second list for one period was stored";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageError::Kind::kConstraint) << e.what();
  }
}

TEST_P(ListStore, ThePreviousListAndTheListOfLists) {
  for (const char* period : {"2026-11-15", "2026-12-01", "2026-11-01"}) {
    const ListContent c = content_of({std::string("3701020010010000") + period[9]});
    WriteTransaction tx(s());
    insert_department_list(s(), list_of(period, c), c);
    tx.commit();
  }
  struct Case {
    const char* period;
    std::optional<std::string> previous;
  };
  for (const Case& k : std::vector<Case>{{"2026-12-15", "2026-12-01"},
                                         {"2026-12-01", "2026-11-15"},
                                         {"2026-11-01", std::nullopt}}) {
    auto p = previous_department_list(s(), "civil_affairs", k.period);
    ASSERT_EQ(p.has_value(), k.previous.has_value()) << k.period;
    if (p) {
      EXPECT_EQ(p->period, *k.previous) << k.period;
    }
  }
  EXPECT_FALSE(previous_department_list(s(), "education", "2026-12-15"));

  auto periods = [&](const DepartmentListFilter& f) {
    std::vector<std::string> out;
    for (const DepartmentListRecord& r : list_department_lists(s(), f)) out.push_back(r.period);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(periods({}), (V{"2026-12-01", "2026-11-15", "2026-11-01"}));
  EXPECT_EQ(periods({.from_period = "2026-11-02"}), (V{"2026-12-01", "2026-11-15"}));
  EXPECT_EQ(periods({.to_period = "2026-11-15", .limit = 1}), (V{"2026-11-15"}));
  EXPECT_EQ(periods({.list = "education"}), V{});
  EXPECT_EQ(periods({.department = "civil_affairs"}).size(), 3u);
}

TEST_P(ListStore, ListCasesAreTheCasesInProgressWithTheirNames) {
  const std::int64_t registered = household_case("370102001001000001", "registered");
  const std::int64_t verifying =
      household_case("370102001001000002", "household_verification", "unknown_kind");
  household_case("370102001001000003", "eliminated");
  household_case("370102001001000004", "cleared_out");
  const std::vector<ListCase> cases = load_list_cases(s(), county());
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0].case_id, registered);
  EXPECT_EQ(cases[0].snapshot.state, "registered");
  EXPECT_EQ(cases[0].snapshot.data.household.code, "370102001001000001");
  EXPECT_EQ(cases[0].township_name, "解放路街道");
  EXPECT_EQ(cases[0].village_name, "甸柳村");
  EXPECT_EQ(cases[0].case_kind_name, "脱贫不稳定户");
  EXPECT_EQ(cases[1].case_id, verifying);
  EXPECT_EQ(cases[1].case_kind_name, "unknown_kind");  // the code when the kind is unknown

  // Why a household left: its latest case, whatever its state.
  const std::int64_t again = household_case("370102001001000003", "rejected");
  auto latest = latest_household_case(s(), "370102001001000003");
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->state, "rejected");
  EXPECT_EQ(latest->case_id, format_case_id(again));
  EXPECT_FALSE(latest_household_case(s(), "370102001001000009"));
}

TEST_P(ListStore, DutiesOfListsAndFeedbackCanBeOpened) {
  for (const char* kind : {kDutyList, kDutyFeedback}) {
    NewDuty d;
    d.duty_key = std::string(kind) + "/civil_affairs/2026-12-01";
    d.kind = kind;
    d.subject = "civil_affairs/2026-12-01";
    d.township_code = "370102";
    d.owner_role = "county_office";
    d.due_at = d.opened_at = t0();
    EXPECT_TRUE(open_duty(s(), d).inserted) << kind;
    auto stored = find_duty(s(), d.duty_key);
    ASSERT_TRUE(stored) << kind;
    EXPECT_EQ(stored->kind, kind);
  }
  // The kinds before stay accepted (the rebuilt table kept its rows and CHECK).
  NewDuty feed;
  feed.duty_key = "feed/civil_affairs/2026-12";
  feed.kind = kDutyFeed;
  feed.subject = "civil_affairs/2026-12";
  feed.township_code = "370102";
  feed.owner_role = "department_clerk";
  feed.due_at = feed.opened_at = t0();
  EXPECT_TRUE(open_duty(s(), feed).inserted);
  feed.duty_key = "bogus/1";
  feed.kind = "bogus";
  EXPECT_THROW(open_duty(s(), feed), StorageError);
}

TEST_P(ListStore, TheListsMigrationIsDated) {
  EXPECT_EQ(migration_applied_at(s(), kListsMigrationName), t0());
}

#if FANGFAN_STORAGE_TEST_SQLITE
INSTANTIATE_TEST_SUITE_P(Sqlite, ListStore, ::testing::Values(Backend::kSqlite));
#endif
#if FANGFAN_STORAGE_TEST_POSTGRESQL
INSTANTIATE_TEST_SUITE_P(Postgresql, ListStore, ::testing::Values(Backend::kPostgresql));
#endif

}  // namespace
}  // namespace fangfan
