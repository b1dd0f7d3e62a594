// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// The list runner in process with the scheduler on a simulated clock, on a real database
// (SQLite, and PostgreSQL in the second binary: CMake compiles this file once per backend). The
// example county's eight department lists (config/example.toml: each to its drop folder with
// the CSV, on the 1st and 15th at 08:00) over three generated monitored households:
//   - at 2026-12-01 08:00 every list is produced once: its files under [storage] files, its
//     department_lists row and rows, one list_folder message per file with the attachment's
//     params, the department's feedback duty with its timers, the list duty closed;
//   - a household that left monitoring before the 15th shows on the 15th's "变化" sheet (read
//     back with the project's own XLSX reader) as 移出名单 with its reason;
//   - a daemon stopped over the 1st of January (no advance through it) produces that list once
//     when it starts again (seeded late, once; a second look produces nothing).
#include "daemon/tasks/list_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/calendar/calendar_files.h"
#include "adapters/import/table_stream.h"
#include "adapters/storage/case_json.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/list_store.h"
#include "adapters/storage/migrations.h"
#include "daemon/tasks/health.h"
#include "daemon/tasks/scheduler.h"
#include "daemon/tasks/storage_executor.h"
#include "tests/daemon/api_test_server.h"
#include "tests/daemon/runner_fixture.h"
#include "tests/support/people.h"
#include "tests/support/pg_server.h"
#include "tests/support/xlsx_sheets.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

TimePoint at(const char* text) { return *parse_time(text); }

using test::Backend;

using Table = testing::SheetTable;
using testing::read_sheet;

class ListRunnerTest : public test::RunnerFixture, public ::testing::WithParamInterface<Backend> {
 protected:
  ListRunnerTest() : RunnerFixture("2026-11-25T09:00") {}

  void SetUp() override {
    config_ = test::example_config(dir_.path());
    open_storage(GetParam());
    if (IsSkipped() || HasFatalFailure()) return;
    start_runner();
  }

  // The runner and scheduler of one daemon run (a restart makes new ones on the same database).
  void start_runner() {
    runner_ = std::make_unique<ListRunner>(
        io_.get_executor(), *storage_, clock_, [c = config_] { return c; },
        [c = calendar_] { return c; }, [this] { ++changed_; });
    start_scheduler(runner_.get());
  }
  void release_runner() override { runner_.reset(); }

  // A registered (monitored) household of `size` generated members in `village`; member
  // `student` is a student, member `disabled` has a disability. Returns the household code.
  std::string monitored(const std::string& code, const std::string& village, int size,
                        int student = -1, int disabled = -1) {
    auto s = db_->open_session();
    Household h = people_.household(code, village, size);
    for (Member& m : h.members) m.student = m.disabled = false;
    if (student >= 0) h.members[student].student = true;
    if (disabled >= 0) h.members[disabled].disabled = true;
    households_.push_back(h);
    HouseholdRecord r;
    r.code = code;
    r.village_code = village;
    r.township_code = village.substr(0, 9);
    r.head_name = h.members[0].name;
    r.created_at = r.updated_at = clock_.now();
    insert_household(*s, r);
    CaseData data;
    data.kind = "monitored_formerly_poor";
    data.household = h;
    data.risk_causes = {RiskCause::kIllness};
    data.registered_at = clock_.now();
    CaseRecord c;
    c.household_code = code;
    c.kind = data.kind;
    c.state = "registered";
    c.opened_at = c.updated_at = clock_.now();
    c.data = case_data_to_json(data);
    case_ids_[code] = insert_case(*s, c);
    return code;
  }

  struct Message {
    std::string channel, recipient, type, dedupe, person;
    boost::json::object params;
  };
  std::vector<Message> list_messages(const std::string& list, const std::string& period) {
    auto s = db_->open_session();
    std::vector<Message> out;
    const std::string like = "list:" + list + ":" + period + ":%";
    soci::rowset<soci::row> rows =
        (s->prepare << "SELECT channel, recipient, message_type, dedupe_key, body,"
                       " COALESCE(person, '') FROM outbox WHERE dedupe_key LIKE :k ORDER BY id",
         soci::use(like));
    for (const auto& r : rows) {
      out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2),
                     r.get<std::string>(3), r.get<std::string>(5),
                     boost::json::parse(r.get<std::string>(4)).as_object()});
    }
    return out;
  }

  std::optional<DepartmentListRecord> stored(const std::string& list, const std::string& period) {
    auto s = db_->open_session();
    return find_department_list(*s, list, period);
  }
  std::optional<DutyRecord> duty(const std::string& key) {
    auto s = db_->open_session();
    return find_duty(*s, key);
  }

  std::unique_ptr<ListRunner> runner_;
  testing::PeopleGenerator people_{20261201};
  std::map<std::string, std::int64_t> case_ids_;
  std::vector<Household> households_;

  // Counted from the fixture, not by the code under test: members that are students or aged
  // 6..17 on `day` (by the birth date in their ID number), and members with a disability.
  int school_age_members(Date day) const {
    int n = 0;
    for (const Household& h : households_) {
      for (const Member& m : h.members) {
        const int y = std::stoi(m.id_number.substr(6, 4)),
                  md = std::stoi(m.id_number.substr(10, 4));
        const std::chrono::year_month_day d{day};
        int age = int(d.year()) - y;
        if (int(unsigned(d.month())) * 100 + int(unsigned(d.day())) < md) --age;
        if (m.student || (age >= 6 && age <= 17)) ++n;
      }
    }
    return n;
  }
  int disabled_members() const {
    int n = 0;
    for (const Household& h : households_) {
      for (const Member& m : h.members) n += m.disabled ? 1 : 0;
    }
    return n;
  }
};

TEST_P(ListRunnerTest, ListsOnThe1stAnd15thWithTheirChangesAndAMissedOneOnceOnStart) {
  const std::string a = monitored("379901001001000001", "379901001001", 3, 2);
  const std::string b = monitored("379901002001000002", "379901002001", 2, -1, 1);
  const std::string c = monitored("379901001001000003", "379901001001", 1);

  // Not before the 1st at 08:00.
  advance_to("2026-12-01T07:59");
  EXPECT_EQ(count("SELECT COUNT(*) FROM department_lists"), 0);
  advance_to("2026-12-01T08:00");
  EXPECT_EQ(count("SELECT COUNT(*) FROM department_lists WHERE period = '2026-12-01'"), 8);
  EXPECT_GT(changed_, 0);

  // Civil affairs: every monitored household, its files kept under [storage] files.
  auto civil = stored("civil_affairs", "2026-12-01");
  ASSERT_TRUE(civil);
  EXPECT_EQ(civil->department, "civil_affairs");
  EXPECT_EQ(civil->households, 3);
  EXPECT_EQ(civil->rows, 3);
  EXPECT_EQ(civil->persons, 6);
  EXPECT_EQ(civil->produced_at, at("2026-12-01T08:00"));
  EXPECT_EQ(civil->previous_period, "");
  const fs::path folder = config_->files_dir / "lists/civil_affairs/2026-12-01";
  ASSERT_EQ(civil->files.size(), 2u);
  EXPECT_EQ(civil->files[0].path, (folder / "县民政局-2026-12-01.xlsx").string());
  EXPECT_EQ(civil->files[1].path, (folder / "县民政局-2026-12-01.csv").string());
  for (const ListFileRecord& f : civil->files) {
    ASSERT_TRUE(fs::exists(f.path)) << f.path;
    EXPECT_EQ(fs::file_size(f.path), f.size);
    EXPECT_EQ(f.sha256.size(), 64u);
  }
  // The list sheet as a department opens it: ID numbers with all 18 characters.
  const Table list = read_sheet(civil->files[0].path, 2, dir_.path());
  ASSERT_EQ(list.rows.size(), 3u);
  const auto id_column = std::find(list.header.begin(), list.header.end(), "户主身份证号");
  ASSERT_NE(id_column, list.header.end());
  for (const auto& row : list.rows) {
    EXPECT_EQ(row[std::size_t(id_column - list.header.begin())].size(), 18u);
  }
  // Education: a row per school-age member (A's student at least); the disability federation:
  // B's member.
  const int school_age = school_age_members(*parse_date("2026-12-01"));
  ASSERT_GE(school_age, 1);
  EXPECT_EQ(stored("education", "2026-12-01")->rows, school_age);
  EXPECT_EQ(disabled_members(), 1);
  EXPECT_EQ(stored("disability_federation", "2026-12-01")->rows, 1);
  EXPECT_EQ(stored("disability_federation", "2026-12-01")->households, 1);

  // One list_folder message per file, to the department's drop folder.
  const std::vector<Message> sent = list_messages("civil_affairs", "2026-12-01");
  ASSERT_EQ(sent.size(), 2u);
  const std::string drop = config_->rules.lists.find("civil_affairs")->delivery.folder;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const Message& m = sent[i];
    EXPECT_EQ(m.channel, "list_folder");
    EXPECT_EQ(m.recipient, drop);
    EXPECT_EQ(m.type, "department_list");
    EXPECT_EQ(m.person, "");
    EXPECT_EQ(m.dedupe,
              "list:civil_affairs:2026-12-01:list_folder:" + drop + ":" + civil->files[i].name);
    EXPECT_EQ(m.params.at("list").as_string(), "civil_affairs");
    EXPECT_EQ(m.params.at("department_name").as_string(), "县民政局");
    EXPECT_EQ(m.params.at("period").as_string(), "2026-12-01");
    EXPECT_EQ(m.params.at("households").as_string(), "3");
    EXPECT_EQ(m.params.at("rows").as_string(), "3");
    EXPECT_EQ(m.params.at("answer_by").as_string(), "2026-12-15");
    EXPECT_EQ(m.params.at("attachment_path").as_string(), civil->files[i].path);
    EXPECT_EQ(m.params.at("attachment_name").as_string(), civil->files[i].name);
    EXPECT_EQ(m.params.at("attachment_sha256").as_string(), civil->files[i].sha256);
    EXPECT_EQ(m.params.at("attachment_size").as_string(), std::to_string(civil->files[i].size));
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE message_type = 'department_list'"), 16);

  // The list duty done; the department's answer due in 10 working days, reminded 2 before.
  EXPECT_EQ(duty("list/civil_affairs/2026-12-01")->state, DutyState::kDone);
  auto feedback = duty("feedback/civil_affairs/2026-12-01");
  ASSERT_TRUE(feedback);
  EXPECT_EQ(feedback->state, DutyState::kOpen);
  EXPECT_EQ(feedback->kind, kDutyFeedback);
  EXPECT_EQ(feedback->owner_role, "department_clerk");
  EXPECT_EQ(feedback->due_at, at("2026-12-16T08:00"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM timers WHERE dedupe_key LIKE "
                  "'feedback/civil_affairs/2026-12-01/%' AND state = 'pending'"),
            2);

  // Not twice: a later stop produces nothing more.
  advance_to("2026-12-01T09:00");
  EXPECT_EQ(count("SELECT COUNT(*) FROM department_lists"), 8);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE message_type = 'department_list'"), 16);

  // C leaves monitoring (risk eliminated) before the 15th: on its changes sheet.
  {
    auto s = db_->open_session();
    *s << "UPDATE cases SET state = 'eliminated' WHERE id = :id", soci::use(case_ids_[c]);
  }
  advance_to("2026-12-15T08:00");
  auto second = stored("civil_affairs", "2026-12-15");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->households, 2);
  EXPECT_EQ(second->previous_period, "2026-12-01");
  EXPECT_EQ(second->changes, 1);
  const Table changes = read_sheet(second->files[0].path, 3, dir_.path());
  ASSERT_EQ(changes.rows.size(), 1u);
  EXPECT_EQ(changes.rows[0][0], "移出名单");
  EXPECT_EQ(changes.rows[0][1], c);
  EXPECT_FALSE(changes.rows[0].back().empty());  // the reason
  EXPECT_THAT(changes.rows[0].back(), ::testing::HasSubstr("风险已消除"));

  // Stopped from 12-20 to 01-03: the 1st of January's lists are produced once on start.
  advance_to("2026-12-20T09:00");
  restart_storage();
  clock_.advance(
      std::chrono::duration_cast<std::chrono::seconds>(at("2027-01-03T10:00") - clock_.now()));
  start_runner();
  advance_to("2027-01-03T10:00");
  EXPECT_EQ(count("SELECT COUNT(*) FROM department_lists WHERE period = '2027-01-01'"), 8);
  auto late = stored("civil_affairs", "2027-01-01");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->produced_at, at("2027-01-03T10:00"));
  EXPECT_EQ(late->previous_period, "2026-12-15");
  EXPECT_EQ(list_messages("civil_affairs", "2027-01-01").size(), 2u);
  advance_to("2027-01-03T12:00");
  EXPECT_EQ(count("SELECT COUNT(*) FROM department_lists"), 24);
  EXPECT_EQ(list_messages("civil_affairs", "2027-01-01").size(), 2u);
  (void)a;
  (void)b;
}

// A list to every kind of target, encrypted: only the zip goes out (to the drop folder, the
// group robot, each department clerk's WeChat Work app, the department's endpoint), and the
// zip's password goes to each department clerk by their own channel, as its own message. The
// zip opens with that password only.
TEST_P(ListRunnerTest, AnEncryptedListGoesOutAsAZipAndItsPasswordSeparately) {
  monitored("379901001001000001", "379901001001", 3);
  auto copy = std::make_shared<Config>(*config_);
  for (DepartmentList& l : copy->rules.lists.lists) {
    if (l.name != "civil_affairs") continue;
    l.delivery.encrypt = true;
    l.delivery.app_to_clerks = true;
    l.delivery.robot_group = "民政局名单群";
    l.delivery.http_url = "https://data.example-county.gov.cn/civil_affairs/lists";
  }
  for (Person& p : copy->people) {
    if (p.name == "许文") p.wechat = "xuwen";
  }
  config_ = copy;
  restart_storage();
  start_runner();
  advance_to("2026-12-01T08:00");

  auto civil = stored("civil_affairs", "2026-12-01");
  ASSERT_TRUE(civil);
  ASSERT_EQ(civil->files.size(), 3u);
  const ListFileRecord& zip = civil->files[2];
  EXPECT_EQ(zip.name, "县民政局-2026-12-01.zip");
  std::map<std::string, std::string> targets;  // channel -> recipient
  for (const Message& m : list_messages("civil_affairs", "2026-12-01")) {
    EXPECT_EQ(m.params.at("attachment_name").as_string(), zip.name) << m.channel;
    EXPECT_EQ(m.params.at("attachment_sha256").as_string(), zip.sha256);
    EXPECT_EQ(m.person, m.channel == "wechat_app" ? "许文@civil_affairs" : "") << m.channel;
    targets[m.channel] = m.recipient;
  }
  EXPECT_EQ(targets, (std::map<std::string, std::string>{
                         {"list_folder", copy->rules.lists.find("civil_affairs")->delivery.folder},
                         {"wechat_robot", "民政局名单群"},
                         {"wechat_app", "xuwen"},
                         {"list_http", "civil_affairs"}}));

  // The password: one message to the clerk, on the clerk's first channel.
  std::string password;
  {
    auto s = db_->open_session();
    soci::rowset<soci::row> rows =
        (s->prepare << "SELECT channel, person, body FROM outbox"
                       " WHERE message_type = 'list_password' ORDER BY id");
    int n = 0;
    for (const auto& r : rows) {
      ++n;
      EXPECT_EQ(r.get<std::string>(0), "file");
      EXPECT_EQ(r.get<std::string>(1), "许文@civil_affairs");
      password = std::string(boost::json::parse(r.get<std::string>(2)).at("password").as_string());
    }
    EXPECT_EQ(n, 1);
  }
  ASSERT_EQ(password.size(), 12u);
  auto opens = [&](const char* pw) {
    int error = 0;
    zip_t* z = zip_open(zip.path.c_str(), ZIP_RDONLY, &error);
    if (z == nullptr) return false;
    zip_set_default_password(z, pw);
    zip_file_t* f = zip_fopen_index(z, 0, 0);
    bool ok = false;
    if (f != nullptr) {
      char buf[64];
      ok = zip_fread(f, buf, sizeof buf) > 0;
      zip_fclose(f);
    }
    zip_discard(z);
    return ok;
  };
  EXPECT_TRUE(opens(password.c_str()));
  EXPECT_FALSE(opens("wrong-password"));
  EXPECT_FALSE(opens(nullptr));
}

#if defined(FANGFAN_LIST_RUNNER_TEST_POSTGRESQL)
INSTANTIATE_TEST_SUITE_P(Postgresql, ListRunnerTest, ::testing::Values(Backend::kPostgresql));
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, ListRunnerTest, ::testing::Values(Backend::kSqlite));
#endif

}  // namespace
}  // namespace fangfan
