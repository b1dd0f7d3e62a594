// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// The monthly report workbook (月报) through the list runner in process with the scheduler on a
// simulated clock, on a real database (SQLite, and PostgreSQL in the second binary: CMake
// compiles this file once per backend). The example county's report schedule
// (config/example.toml: kind = "report", the 1st at 08:00, five reports, to the county office's
// drop folder) over two generated monitored households:
//   - at 2026-12-01 08:00 one workbook for 2026-11 under [storage] files, a sheet per section of
//     every report and their charts (read from the zip, not through the writer), one list_folder
//     message with the attachment's params, the report duty closed; nothing more at later stops;
//   - a daemon stopped over the 1st of January produces December's workbook once on start.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <future>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "adapters/calendar/calendar_files.h"
#include "adapters/lists/list_files.h"
#include "adapters/storage/case_json.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/migrations.h"
#include "daemon/tasks/health.h"
#include "daemon/tasks/list_runner.h"
#include "daemon/tasks/scheduler.h"
#include "daemon/tasks/storage_executor.h"
#include "tests/daemon/api_test_server.h"
#include "tests/daemon/runner_fixture.h"
#include "tests/support/people.h"
#include "tests/support/pg_server.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

TimePoint at(const char* text) { return *parse_time(text); }

using test::Backend;

// The entries of a zip file (an XLSX) and the text of one, read with libzip.
struct Zip {
  std::vector<std::string> names;
  std::string text(const fs::path& path, const std::string& entry) const {
    int error = 0;
    zip_t* zip = zip_open(path.c_str(), ZIP_RDONLY, &error);
    if (zip == nullptr) return {};
    std::string out;
    zip_stat_t st;
    if (zip_stat(zip, entry.c_str(), 0, &st) == 0) {
      zip_file_t* f = zip_fopen(zip, entry.c_str(), 0);
      out.assign(st.size, '\0');
      zip_fread(f, out.data(), st.size);
      zip_fclose(f);
    }
    zip_close(zip);
    return out;
  }
};
Zip read_zip(const fs::path& path) {
  Zip z;
  int error = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_RDONLY, &error);
  EXPECT_NE(zip, nullptr) << path;
  if (zip == nullptr) return z;
  for (zip_int64_t i = 0; i < zip_get_num_entries(zip, 0); ++i)
    z.names.emplace_back(zip_get_name(zip, i, 0));
  zip_close(zip);
  return z;
}

// The sheet names of a workbook, in order (xl/workbook.xml).
std::vector<std::string> sheet_names(const fs::path& xlsx) {
  const std::string workbook = Zip{}.text(xlsx, "xl/workbook.xml");
  std::vector<std::string> out;
  const std::regex sheet("<sheet name=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(workbook.begin(), workbook.end(), sheet);
       it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

class ReportRunnerTest : public test::RunnerFixture, public ::testing::WithParamInterface<Backend> {
 protected:
  ReportRunnerTest() : RunnerFixture("2026-11-25T09:00") {}

  void SetUp() override {
    config_ = test::example_config(dir_.path());
    open_storage(GetParam());
    if (IsSkipped() || HasFatalFailure()) return;
    start_runner();
  }

  void start_runner() {
    runner_ = std::make_unique<ListRunner>(
        io_.get_executor(), *storage_, clock_, [c = config_] { return c; },
        [c = calendar_] { return c; }, [this] { ++changed_; });
    start_scheduler(runner_.get());
  }
  void release_runner() override { runner_.reset(); }

  void monitored(const std::string& code, const std::string& village, int size) {
    auto s = db_->open_session();
    Household h = people_.household(code, village, size);
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
    insert_case(*s, c);
  }

  struct Message {
    std::string channel, recipient, type, dedupe, person;
    boost::json::object params;
  };
  std::vector<Message> report_messages(const std::string& period) {
    auto s = db_->open_session();
    std::vector<Message> out;
    const std::string like = "report:county_monthly_report:" + period + ":%";
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

  std::optional<DutyRecord> duty(const std::string& key) {
    auto s = db_->open_session();
    return find_duty(*s, key);
  }

  fs::path workbook(const std::string& period) const {
    return config_->files_dir / "reports/county_monthly_report" / period /
           ("示例县防返贫监测月报-" + period + ".xlsx");
  }

  std::unique_ptr<ListRunner> runner_;
  testing::PeopleGenerator people_{20261130};
};

TEST_P(ReportRunnerTest, TheMonthlyWorkbookOnThe1stOnceAndAMissedOneOnceOnStart) {
  monitored("379901001001000001", "379901001001", 3);
  monitored("379901002001000002", "379901002001", 2);

  advance_to("2026-12-01T07:59");
  EXPECT_FALSE(fs::exists(workbook("2026-11")));
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE message_type = 'monthly_report'"), 0);
  advance_to("2026-12-01T08:00");

  // One workbook for November: a sheet per section of each of the five reports, with charts.
  const fs::path file = workbook("2026-11");
  ASSERT_TRUE(fs::exists(file)) << file;
  const std::vector<std::string> sheets = sheet_names(file);
  for (const char* label : {"户数人数-", "帮扶措施-", "逾期事项-", "数据交换-", "增减变动-"}) {
    EXPECT_EQ(std::count_if(sheets.begin(), sheets.end(),
                            [&](const std::string& s) { return s.rfind(label, 0) == 0; }) > 0,
              true)
        << label;
  }
  EXPECT_EQ(sheets.size(), 8u);  // households 2, measures 1, overdue 2, exchange 2, movements 1
  EXPECT_EQ(std::set<std::string>(sheets.begin(), sheets.end()).size(), sheets.size());
  const Zip zip = read_zip(file);
  EXPECT_THAT(zip.names, ::testing::Contains("xl/charts/chart1.xml"));
  EXPECT_THAT(zip.text(file, "xl/charts/chart1.xml"), HasSubstr("c:barChart"));
  EXPECT_THAT(zip.names, ::testing::Contains("xl/worksheets/sheet8.xml"));
  // The figures are the county's (the movements of November, the households as now).
  EXPECT_THAT(zip.text(file, "xl/sharedStrings.xml"), HasSubstr("2026-11"));

  // One list_folder message to the county office's folder, the file attached by its params.
  const std::vector<Message> sent = report_messages("2026-11");
  ASSERT_EQ(sent.size(), 1u);
  const Message& m = sent[0];
  const FileDigest digest = file_digest(file);
  const std::string folder = config_->rules.monthly_reports.find("county_monthly_report")->folder;
  EXPECT_EQ(m.channel, "list_folder");
  EXPECT_EQ(m.recipient, folder);
  EXPECT_EQ(m.type, "monthly_report");
  EXPECT_EQ(m.person, "");
  EXPECT_EQ(m.dedupe, "report:county_monthly_report:2026-11:list_folder:" + folder);
  EXPECT_EQ(m.params.at("schedule").as_string(), "county_monthly_report");
  EXPECT_EQ(m.params.at("county_name").as_string(), "示例县");
  EXPECT_EQ(m.params.at("period").as_string(), "2026-11");
  EXPECT_THAT(std::string(m.params.at("reports").as_string()),
              HasSubstr("防返贫监测对象户数人数统计表、帮扶措施落实情况统计表"));
  EXPECT_EQ(m.params.at("attachment_path").as_string(), file.string());
  EXPECT_EQ(m.params.at("attachment_name").as_string(), "示例县防返贫监测月报-2026-11.xlsx");
  EXPECT_EQ(m.params.at("attachment_sha256").as_string(), digest.sha256);
  EXPECT_EQ(m.params.at("attachment_size").as_string(), std::to_string(digest.size));
  auto done = duty("report/county_monthly_report/2026-11");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, DutyState::kDone);
  EXPECT_EQ(done->kind, "report");
  EXPECT_EQ(done->owner_role, "county_office");
  EXPECT_GT(changed_, 0);

  // Never twice: later stops (and the 15th's lists) queue no second workbook.
  advance_to("2026-12-15T09:00");
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE message_type = 'monthly_report'"), 1);

  // Stopped from 12-20 to 01-03: December's workbook is produced once on start.
  advance_to("2026-12-20T09:00");
  restart_storage();
  clock_.advance(
      std::chrono::duration_cast<std::chrono::seconds>(at("2027-01-03T10:00") - clock_.now()));
  start_runner();
  advance_to("2027-01-03T10:00");
  EXPECT_TRUE(fs::exists(workbook("2026-12")));
  ASSERT_EQ(report_messages("2026-12").size(), 1u);
  EXPECT_EQ(report_messages("2026-12")[0].params.at("attachment_name").as_string(),
            "示例县防返贫监测月报-2026-12.xlsx");
  advance_to("2027-01-03T12:00");
  EXPECT_EQ(report_messages("2026-12").size(), 1u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE message_type = 'monthly_report'"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM duties WHERE kind = 'report' AND state = 'done'"), 2);
}

// A schedule removed from the configuration after its duty opened: the duty is cancelled and
// nothing is sent.
TEST_P(ReportRunnerTest, AScheduleNoLongerConfiguredCancelsItsDuty) {
  advance_to("2026-12-01T07:59");
  auto without = std::make_shared<Config>(*config_);
  without->rules.monthly_reports.reports.clear();
  {
    auto s = db_->open_session();
    NewDuty d;
    d.duty_key = "report/county_monthly_report/2026-11";
    d.kind = "report";
    d.subject = "county_monthly_report/2026-11";
    d.township_code = "379901";
    d.owner_role = "county_office";
    d.due_at = d.opened_at = at("2026-12-01T07:00");
    open_or_reopen_duty(*s, d);
  }
  config_ = without;
  restart_storage();
  start_runner();
  await(runner_->look_due());
  EXPECT_EQ(duty("report/county_monthly_report/2026-11")->state, DutyState::kCancelled);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE message_type = 'monthly_report'"), 0);
}

#if defined(FANGFAN_REPORT_RUNNER_TEST_POSTGRESQL)
INSTANTIATE_TEST_SUITE_P(Postgresql, ReportRunnerTest, ::testing::Values(Backend::kPostgresql));
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, ReportRunnerTest, ::testing::Values(Backend::kSqlite));
#endif

}  // namespace
}  // namespace fangfan
