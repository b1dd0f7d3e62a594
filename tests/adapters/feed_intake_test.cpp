// Taking a department's data in (adapters/feeds/feed_intake.h) on a real database, one suite run
// unchanged on SQLite and on PostgreSQL: every class of bad row quarantined with its line,
// column and sentence; a monitored household's member lands in the case's history; anyone else
// becomes an alert with the township's verification duty; the same file twice changes nothing;
// a corrected file re-applies the bad rows; a re-run of the period never doubles anything; a
// file that cannot be read fails the run with the sentence. Generated people only.
//
// CMake compiles this file once per backend (FANGFAN_FEED_TEST_SQLITE=1 or _POSTGRESQL=1).
#include "adapters/feeds/feed_intake.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "adapters/calendar/calendar_files.h"
#include "adapters/storage/alert_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/feed_store.h"
#include "adapters/storage/migrations.h"
#include "tests/adapters/test_case_writer.h"
#include "tests/support/people.h"
#include "tests/support/pg_server.h"
#include "tests/workflows/case_fixture.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using test::PgTestServer;
using test::ScratchPgDatabase;
using ::testing::HasSubstr;
using testing::PeopleGenerator;

enum class Backend { kSqlite, kPostgresql };

constexpr const char* kCounty = "370102";
constexpr const char* kVillage = "370102001001";
constexpr const char* kOtherVillage = "370102002001";
constexpr const char* kHeader = "身份证号,姓名,村编码,救助类别,批准日期,月保障金额\n";

std::shared_ptr<const WorkingDayCalendar> shipped_calendar() {
  static const auto calendar = [] {
    CalendarLoad load = load_calendar_dir(FANGFAN_SOURCE_DIR "/config/calendar");
    EXPECT_TRUE(load.calendar.has_value());
    return std::make_shared<const WorkingDayCalendar>(*load.calendar);
  }();
  return calendar;
}

std::shared_ptr<const Config> test_config() {
  auto c = std::make_shared<Config>();
  c->county = {kCounty, "历下区", "山东省"};
  c->townships = {{"370102001", "解放路街道"}, {"370102002", "千佛山街道"}};
  c->villages = {{kVillage, "东村", "370102001"}, {kOtherVillage, "南村", "370102002"}};
  c->departments = {{"civil_affairs", "县民政局"}};
  c->rules = testing::test_rules();
  FeedSource s;
  s.name = "civil_affairs";
  s.department = "civil_affairs";
  s.folder = "/nonexistent";
  s.columns = {{"id_number", "身份证号"}, {"name", "姓名"},           {"village_code", "村编码"},
               {"category", "救助类别"},  {"start_date", "批准日期"}, {"amount", "月保障金额"}};
  FeedRule r;
  r.name = "new_assistance";
  r.label = "新纳入低保/特困/临时救助";
  FeedCondition cond;
  cond.field = "category";
  cond.one_of = {"低保", "特困", "临时救助"};
  r.conditions = {cond};
  s.rules = {r};
  c->rules.feeds.sources = {s};
  return c;
}

fs::path fresh_temp_dir() {
  static std::atomic<int> counter{0};
  const fs::path dir =
      fs::temp_directory_path() /
      ("fangfan-feed-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string with_wrong_check(const std::string& id) {
  std::string bad = id;
  bad.back() = id.back() == '1' ? '2' : '1';
  return bad;
}

class FeedIntakeConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = fresh_temp_dir();
    if (GetParam() == Backend::kSqlite) {
      url_ = "sqlite3://" + (dir_ / "fangfan.db").string();
    } else {
      const PgTestServer& pg = test::pg_test_server();
      if (pg.status == PgTestServer::Status::kAbsent) GTEST_SKIP() << pg.reason;
      ASSERT_EQ(pg.status, PgTestServer::Status::kReady) << pg.reason;
      scratch_.emplace(pg);
      url_ = scratch_->url();
    }
    db_.emplace(Database::open(url_));
    migrate(*db_, clock_.now());
    session_ = db_->open_session();
  }
  void TearDown() override {
    session_.reset();
    db_.reset();
    scratch_.reset();
    fs::remove_all(dir_);
  }
  soci::session& s() { return *session_; }

  // A household with a case in progress (emergency: assisted at once).
  Household monitored_household(const std::string& code) {
    Household h = people_.household(code, kVillage, 3);
    test::StoredCases repo(s(), *config_, clock_);
    OpenCase open;
    open.meta = {"测试", clock_.now(), ""};
    open.kind = "sudden";
    open.household = h;
    open.source = DiscoverySource::kVillageScreening;
    open.risk_causes = {RiskCause::kIllness};
    open.emergency = true;
    open.emergency_reason = "突发重病";
    OpenResult opened = repo.open_case(open);
    if (auto* r = std::get_if<Refusal>(&opened)) ADD_FAILURE() << r->message;
    case_id_ = std::get<CaseChange>(opened).case_id;
    return h;
  }

  IntakeReport take(const std::string& name, const std::string& text, IntakeOptions options = {},
                    const std::string& period = "2025-05") {
    const fs::path file = dir_ / name;
    std::ofstream(file, std::ios::binary) << text;
    FeedIntake intake(config_, "civil_affairs", period, FeedInput{name, file, {}}, options);
    test::StoredCases cases(s(), *config_, clock_);
    if (intake.start(s(), clock_.now())) {
      while (intake.next_chunk(s(), china_date(clock_.now()))) {
      }
      intake.finish(s(), cases.work(), *shipped_calendar(), clock_.now());
    }
    return intake.report();
  }

  long long count(const std::string& sql) {
    long long n = -1;
    s() << sql, soci::into(n);
    return n;
  }

  std::shared_ptr<const Config> config_ = test_config();
  SimulatedClock clock_{testing::at("2025-05-05T08:00:00")};
  PeopleGenerator people_{20261205};
  std::int64_t case_id_ = 0;
  std::string url_;
  fs::path dir_;
  std::optional<ScratchPgDatabase> scratch_;
  std::optional<Database> db_;
  std::unique_ptr<soci::session> session_;
};

TEST_P(FeedIntakeConformance, BadRowsOfEachClassAreQuarantinedWithLineColumnAndSentence) {
  const Household h = monitored_household("3701020010010001");
  const std::string member = h.members[1].id_number;
  const std::string stranger = people_.id_number(parse_date("1970-03-04").value(), true);
  const std::string other = people_.id_number(parse_date("1981-07-09").value(), false);
  const std::string csv = std::string(kHeader) +
                          // 2: a monitored member newly granted 低保: evidence on the case
                          member + ",张三," + kVillage + ",低保,2025-04-20,650\n" +
                          // 3: a stranger granted 特困: an alert for the other village's township
                          stranger + ",李四," + kOtherVillage + ",特困,2025/4/21,800.5\n" +
                          // 4: wrong check character
                          with_wrong_check(other) + ",王五,,低保,2025-04-20,650\n" +
                          // 5: Excel turned the ID number into a number
                          "3.70102E+17,赵六,,低保,2025-04-20,650\n" +
                          // 6: not a date
                          other + ",钱七,,低保,2025-13-45,650\n" +
                          // 7: not an amount
                          other + ",钱七,,低保,2025-04-20,六百\n" +
                          // 8: unknown village
                          other + ",钱七,370102999999,低保,2025-04-20,650\n" +
                          // 9: the stranger again, the same cells: a duplicate
                          stranger + ",李四," + kOtherVillage + ",特困,2025/4/21,800.5\n" +
                          // 10: the stranger again, other cells: conflicts with line 3
                          stranger + ",李四," + kOtherVillage + ",临时救助,2025-04-22,300\n";
  const IntakeReport r = take("民政-2025-05.csv", csv);
  ASSERT_EQ(r.status, "done") << r.error;
  EXPECT_EQ(r.counts.rows_read, 9);
  EXPECT_EQ(r.counts.rows_accepted, 2);
  EXPECT_EQ(r.counts.rows_duplicate, 1);
  EXPECT_EQ(r.counts.rows_quarantined, 6);
  EXPECT_EQ(r.counts.rows_matched, 1);
  EXPECT_EQ(r.evidence_applied, 1);
  EXPECT_EQ(r.alerts_raised, 1);

  BadRowPage bad = list_feed_bad_rows(s(), *r.run_id, 100);
  ASSERT_EQ(bad.total, 6);
  struct Want {
    std::int64_t line;
    const char* header;
    const char* part;
  } want[] = {{4, "身份证号", "校验"},   {5, "身份证号", "Excel"}, {6, "批准日期", "日期"},
              {7, "月保障金额", "金额"}, {8, "村编码", "村"},      {10, "身份证号", "第3行"}};
  ASSERT_EQ(bad.rows.size(), std::size(want));
  for (std::size_t i = 0; i < std::size(want); ++i) {
    SCOPED_TRACE("line " + std::to_string(want[i].line));
    EXPECT_EQ(bad.rows[i].row.line, want[i].line);
    EXPECT_EQ(bad.rows[i].row.header, want[i].header);
    EXPECT_THAT(bad.rows[i].row.reason, HasSubstr(want[i].part));
    EXPECT_THAT(bad.rows[i].row.raw, HasSubstr("救助类别"));  // the cells are kept
  }
  EXPECT_EQ(bad.rows[5].row.conflicts_with_line, 3);
  // No sentence repeats an ID number.
  for (const auto& b : bad.rows) EXPECT_THAT(b.row.reason, ::testing::Not(HasSubstr(other)));

  // The member's case has the department's evidence in its history.
  EXPECT_EQ(count("SELECT COUNT(*) FROM case_history WHERE case_id = " + std::to_string(case_id_) +
                  " AND event = 'record_department_evidence'"),
            1);
  // The stranger is an alert for 千佛山街道 with a verification duty and the clerk's notice.
  AlertPage alerts = list_alerts(s(), AlertFilter{});
  ASSERT_EQ(alerts.total, 1);
  EXPECT_EQ(alerts.alerts[0].alert.township_code, "370102002");
  EXPECT_EQ(alerts.alerts[0].alert.village_code, kOtherVillage);
  EXPECT_EQ(alerts.alerts[0].status, "open");
  auto duty = find_duty(s(), "alert/" + std::to_string(alerts.alerts[0].id));
  ASSERT_TRUE(duty.has_value());
  EXPECT_EQ(duty->state, DutyState::kOpen);
  EXPECT_EQ(duty->township_code, "370102002");
}

TEST_P(FeedIntakeConformance, TheSameFileTwiceChangesNothing_ARerunNeverDoubles) {
  monitored_household("3701020010010001");
  const std::string stranger = people_.id_number(parse_date("1970-03-04").value(), true);
  const std::string csv =
      std::string(kHeader) + stranger + ",李四," + kOtherVillage + ",特困,2025-04-21,800\n";
  const IntakeReport first = take("a.csv", csv);
  ASSERT_EQ(first.status, "done") << first.error;
  EXPECT_EQ(first.alerts_raised, 1);
  const IntakeReport again = take("a-copy.csv", csv);
  EXPECT_EQ(again.status, "already_taken");
  EXPECT_EQ(again.same_as_run, first.run_id);
  EXPECT_FALSE(again.run_id.has_value());
  // The same period again with other bytes (a row added): the alert is not raised twice, the
  // earlier run is replaced.
  const std::string more = csv + people_.id_number(parse_date("1990-01-01").value(), false) +
                           ",周八," + kVillage + ",临时救助,2025-04-25,200\n";
  const IntakeReport rerun = take("b.csv", more);
  ASSERT_EQ(rerun.status, "done") << rerun.error;
  EXPECT_EQ(rerun.alerts_raised, 1);  // only the new person
  EXPECT_EQ(count("SELECT COUNT(*) FROM alerts"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM feed_runs WHERE status = 'replaced'"), 1);
}

TEST_P(FeedIntakeConformance, ACorrectedFileReappliesTheBadRows) {
  const std::string stranger = people_.id_number(parse_date("1970-03-04").value(), true);
  const std::string csv = std::string(kHeader) + with_wrong_check(stranger) + ",李四," +
                          kOtherVillage + ",特困,2025-04-21,800\n" + stranger + ",李四," +
                          kOtherVillage + ",特困,2025-04-41,800\n";
  const IntakeReport first = take("a.csv", csv);
  ASSERT_EQ(first.status, "done") << first.error;
  ASSERT_EQ(first.counts.rows_quarantined, 2);
  EXPECT_EQ(first.alerts_raised, 0);
  // The clerk downloads the bad rows, corrects line 3 and sends it back.
  BadRowPage bad = list_feed_bad_rows(s(), *first.run_id, 100);
  const std::string download = feed_bad_rows_csv(bad.rows);
  EXPECT_THAT(download, HasSubstr("原行号"));
  const std::string fixed = "原行号,身份证号,姓名,村编码,救助类别,批准日期,月保障金额\n3," +
                            stranger + ",李四," + kOtherVillage + ",特困,2025-04-21,800\n";
  IntakeOptions options;
  options.trigger = "fix";
  options.fixes_run_id = first.run_id;
  const IntakeReport fix = take("fixed.csv", fixed, options);
  ASSERT_EQ(fix.status, "done") << fix.error;
  EXPECT_EQ(fix.alerts_raised, 1);
  bad = list_feed_bad_rows(s(), *first.run_id, 100);
  ASSERT_EQ(bad.rows.size(), 2u);
  EXPECT_FALSE(bad.rows[0].fixed_by_run.has_value());  // line 2 is still wrong
  EXPECT_EQ(bad.rows[1].fixed_by_run, fix.run_id);     // line 3 was fixed
  // The fix adds to its period: the run it corrects is not replaced.
  EXPECT_EQ(load_feed_run(s(), *first.run_id)->status, "done");
}

TEST_P(FeedIntakeConformance, AFileWithoutTheMappedColumnsFailsTheRunWithTheSentence) {
  const IntakeReport r = take("wrong.csv", "姓名,金额\n张三,1\n");
  EXPECT_EQ(r.status, "failed");
  EXPECT_THAT(r.error, HasSubstr("身份证号"));
  auto run = load_feed_run(s(), *r.run_id);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->status, "failed");
  EXPECT_THAT(run->error, HasSubstr("wrong.csv"));
}

TEST_P(FeedIntakeConformance, AbandonedRunsAreFailedAtStart) {
  NewFeedRun run{"civil_affairs", "civil_affairs", "2025-05",   "x.csv", "",
                 "schedule",      clock_.now(),    std::nullopt};
  const std::int64_t id = create_feed_run(s(), run);
  EXPECT_EQ(fail_abandoned_feed_runs(s(), clock_.now()), 1);
  EXPECT_EQ(load_feed_run(s(), id)->status, "failed");
}

#if FANGFAN_FEED_TEST_POSTGRESQL
INSTANTIATE_TEST_SUITE_P(Postgresql, FeedIntakeConformance, ::testing::Values(Backend::kPostgresql),
                         [](const auto&) { return std::string("Postgresql"); });
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, FeedIntakeConformance, ::testing::Values(Backend::kSqlite),
                         [](const auto&) { return std::string("Sqlite"); });
#endif

}  // namespace
}  // namespace fangfan
