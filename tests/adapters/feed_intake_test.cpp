// Taking a department's data in (adapters/feeds/feed_intake.h) on a real database, one suite run
// unchanged on SQLite and on PostgreSQL: every class of bad row quarantined with its line,
// column and sentence; a monitored household's member lands in the case's history; anyone else
// becomes an alert with the township's verification duty; the same file twice changes nothing;
// a corrected file re-applies the bad rows; a re-run of the period never doubles anything; a
// file that cannot be read fails the run with the sentence; a department's answer to its list
// (kind = "feedback") lands as measures on the right cases, quarantines who was never on the
// list, never doubles a measure and closes the list's feedback duty. Generated people only.
//
// CMake compiles this file once per backend (FANGFAN_FEED_TEST_SQLITE=1 or _POSTGRESQL=1).
#include "adapters/feeds/feed_intake.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/calendar/calendar_files.h"
#include "adapters/storage/alert_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/feed_store.h"
#include "adapters/storage/migrations.h"
#include "tests/adapters/test_case_writer.h"
#include "tests/support/import_files.h"
#include "tests/support/people.h"
#include "tests/support/test_database.h"
#include "tests/workflows/case_fixture.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::PeopleGenerator;

using test::Backend;

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

class FeedIntakeConformance : public test::DatabaseTest {
 protected:
  void SetUp() override {
    open_database("intake", clock_.now());
    if (IsSkipped() || HasFatalFailure()) return;
    if (dir_.empty()) dir_ = fresh_temp_dir();  // feed files are written here on both backends
  }

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

// Issue 16: a department's cells follow the text rules of every way in (text_rules.h): a name
// with an invisible character is quarantined naming its column, a decomposed or compatibility
// spelling is taken in NFC.
TEST_P(FeedIntakeConformance, CellsWithInvisibleOrControlCharactersAreQuarantined) {
  const std::string a = people_.id_number(parse_date("1970-03-04").value(), true);
  const std::string b = people_.id_number(parse_date("1981-07-09").value(), false);
  const std::string csv = std::string(kHeader) +
                          // 2: a zero width space in the name
                          a + ",李\xe2\x80\x8b四," + kOtherVillage + ",特困,2025-04-21,800\n" +
                          // 3: a right-to-left override in the category
                          b + ",王五," + kOtherVillage + ",\xe2\x80\xae低保,2025-04-21,800\n";
  const IntakeReport r = take("民政-2025-05.csv", csv);
  ASSERT_EQ(r.status, "done") << r.error;
  EXPECT_EQ(r.counts.rows_quarantined, 2);
  BadRowPage bad = list_feed_bad_rows(s(), *r.run_id, 100);
  ASSERT_EQ(bad.rows.size(), 2u);
  EXPECT_EQ(bad.rows[0].row.header, "姓名");
  EXPECT_THAT(bad.rows[0].row.reason, HasSubstr("不可见字符 U+200B"));
  EXPECT_EQ(bad.rows[1].row.header, "救助类别");
  EXPECT_THAT(bad.rows[1].row.reason, HasSubstr("U+202E"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM alerts"), 0);
}

// Issue 16: the line a conflicting row names was kept in 32 bits: an XLSX row 99999999999 came
// back as 1215752191.
TEST_P(FeedIntakeConformance, ConflictLinesPast32BitsStayExact) {
  using testing::XlsxCell;
  const std::string a = people_.id_number(parse_date("1970-03-04").value(), true);
  auto row = [&](const std::string& category) {
    return std::vector<XlsxCell>{
        XlsxCell::shared(a),        XlsxCell::shared("李四"),       XlsxCell::shared(kOtherVillage),
        XlsxCell::shared(category), XlsxCell::shared("2025-04-21"), XlsxCell::shared("800")};
  };
  const std::int64_t far = 99'999'999'999;
  const std::string xlsx = testing::make_xlsx(
      {{XlsxCell::shared("身份证号"), XlsxCell::shared("姓名"), XlsxCell::shared("村编码"),
        XlsxCell::shared("救助类别"), XlsxCell::shared("批准日期"), XlsxCell::shared("月保障金额")},
       row("特困"),
       row("低保")},
      false, {1, far - 1, far});
  const IntakeReport r = take("民政-2025-05.xlsx", xlsx);
  ASSERT_EQ(r.status, "done") << r.error;
  BadRowPage bad = list_feed_bad_rows(s(), *r.run_id, 100);
  ASSERT_EQ(bad.rows.size(), 1u);
  EXPECT_EQ(bad.rows[0].row.line, far);
  EXPECT_EQ(bad.rows[0].row.conflicts_with_line, far - 1);
  EXPECT_THAT(bad.rows[0].row.reason, HasSubstr("第99999999998行"));
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

// Several daemons on one PostgreSQL (README "Several daemons"): the leader fails only runs older
// than a bound; a younger one may be another live daemon's upload and stays running.
TEST_P(FeedIntakeConformance, AbandonedRunsOlderThanTheBoundOnlyAreFailed) {
  const TimePoint now = clock_.now();
  struct Row {
    std::chrono::minutes age;
    const char* status_after;
  };
  const Row rows[] = {{std::chrono::minutes{45}, "failed"},
                      {std::chrono::minutes{31}, "failed"},
                      {std::chrono::minutes{29}, "running"},
                      {std::chrono::minutes{0}, "running"}};
  std::vector<std::int64_t> ids;
  for (const Row& r : rows) {
    NewFeedRun run{"civil_affairs", "civil_affairs", "2025-05",   "x.csv", "",
                   "manual",        now - r.age,     std::nullopt};
    ids.push_back(create_feed_run(s(), run));
  }
  EXPECT_EQ(fail_abandoned_feed_runs(s(), now, now - std::chrono::minutes{30}), 2);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(load_feed_run(s(), ids[i])->status, rows[i].status_after) << rows[i].age.count();
  }
  // Without a bound (SQLite's one daemon at start) every running run is its previous life's.
  EXPECT_EQ(fail_abandoned_feed_runs(s(), now), 2);
}

// -- a department's answer to its list (issue 13): kind = "feedback"

constexpr const char* kList = "civil_affairs_list";
constexpr const char* kListDay = "2025-05-01";
constexpr const char* kFeedbackHeader = "身份证号,姓名,落实措施,措施类型,起始日期,月保障金额\n";

std::shared_ptr<const Config> feedback_config() {
  auto c = std::make_shared<Config>(*test_config());
  FeedSource f;
  f.name = "civil_affairs_feedback";
  f.department = "civil_affairs";
  f.department_name = "县民政局";
  f.folder = "/nonexistent";
  f.answers_list = kList;
  f.measure_type = "social_security";
  f.columns = {{"id_number", "身份证号"},    {"name", "姓名"},           {"measure", "落实措施"},
               {"measure_type", "措施类型"}, {"start_date", "起始日期"}, {"amount", "月保障金额"}};
  c->rules.feeds.sources.push_back(f);
  return c;
}

class FeedbackIntake : public FeedIntakeConformance {
 protected:
  FeedbackIntake() { config_ = feedback_config(); }

  // The list's feedback duty, as the list runner opens it when the list is sent.
  void open_feedback_duty() {
    NewDuty d;
    d.duty_key = std::string("feedback/") + kList + "/" + kListDay;
    d.kind = "feedback";
    d.subject = std::string(kList) + "/" + kListDay;
    d.township_code = kCounty;
    d.owner_role = "department_clerk";
    d.opened_at = clock_.now();
    d.due_at = clock_.now() + std::chrono::days{14};
    ASSERT_TRUE(open_duty(s(), d).inserted);
  }

  IntakeReport answer(const std::string& name, const std::string& text) {
    const fs::path file = dir_ / name;
    std::ofstream(file, std::ios::binary) << text;
    FeedIntake intake(config_, "civil_affairs_feedback", kListDay, FeedInput{name, file, {}});
    test::StoredCases cases(s(), *config_, clock_);
    if (intake.start(s(), clock_.now())) {
      while (intake.next_chunk(s(), china_date(clock_.now()))) {
      }
      intake.finish(s(), cases.work(), *shipped_calendar(), clock_.now());
    }
    return intake.report();
  }

  std::vector<Measure> measures(std::int64_t case_id) {
    test::StoredCases cases(s(), *config_, clock_);
    auto view = cases.load(case_id);
    EXPECT_TRUE(view.has_value());
    return view ? view->snapshot.data.measures : std::vector<Measure>{};
  }
};

TEST_P(FeedbackIntake, GoodRowsLandAsMeasuresBadOnesAreQuarantinedTheDutyCloses) {
  const Household a = monitored_household("3701020010010001");
  const std::int64_t case_a = case_id_;
  const Household b = monitored_household("3701020010010002");
  const std::int64_t case_b = case_id_;
  open_feedback_duty();
  const std::string stranger = people_.id_number(parse_date("1970-03-04").value(), true);
  const std::string& a1 = a.members[1].id_number;
  const std::string csv =
      std::string(kFeedbackHeader) +
      // 2, 3: two measures for one member of household a (the second with the default type)
      a1 + ",张三,低保,综合保障,2025-05-01,600\n" + a1 + ",张三,临时救助,,,300\n" +
      // 4: household b's head, a medical measure by its code
      b.members[0].id_number + ",李四,医疗救助,medical,2025/4/20,\n" +
      // 5: a person the department was never sent
      stranger + ",王五,低保,综合保障,2025-05-01,600\n" +
      // 6: a malformed ID number
      with_wrong_check(a.members[2].id_number) + ",赵六,低保,综合保障,2025-05-01,600\n" +
      // 7: no measure
      b.members[1].id_number + ",钱七,,综合保障,2025-05-01,600\n" +
      // 8: a measure type nobody knows
      a.members[2].id_number + ",孙八,低保,火箭,2025-05-01,600\n";
  const IntakeReport r = answer("civil_affairs-feedback-2025-05-01.csv", csv);
  ASSERT_EQ(r.status, "done") << r.error;
  EXPECT_EQ(r.counts.rows_read, 7);
  EXPECT_EQ(r.counts.rows_accepted, 3);
  EXPECT_EQ(r.counts.rows_quarantined, 4);
  EXPECT_EQ(r.measures_applied, 3);
  EXPECT_EQ(r.measures_already_recorded, 0);
  EXPECT_TRUE(r.duty_closed);
  auto duty = find_duty(s(), std::string("feedback/") + kList + "/" + kListDay);
  ASSERT_TRUE(duty.has_value());
  EXPECT_EQ(duty->state, DutyState::kDone);

  const std::vector<Measure> on_a = measures(case_a);
  ASSERT_EQ(on_a.size(), 2u);
  EXPECT_EQ(on_a[0].description, "县民政局：低保（月保障金额600元）");
  EXPECT_EQ(on_a[0].type, MeasureType::kSocialSecurity);
  EXPECT_EQ(on_a[0].status, MeasureStatus::kInPlace);
  EXPECT_EQ(on_a[0].department, "civil_affairs");
  EXPECT_EQ(on_a[0].source_period, kListDay);
  EXPECT_EQ(on_a[0].member_id_number, a1);
  EXPECT_EQ(on_a[0].recorded.actor, "department:civil_affairs");
  EXPECT_EQ(on_a[1].description, "县民政局：临时救助（月保障金额300元）");
  EXPECT_EQ(on_a[1].start_date, parse_date(kListDay).value());  // none given: the list's day
  const std::vector<Measure> on_b = measures(case_b);
  ASSERT_EQ(on_b.size(), 1u);
  EXPECT_EQ(on_b[0].type, MeasureType::kMedical);
  EXPECT_EQ(on_b[0].description, "县民政局：医疗救助");
  EXPECT_EQ(on_b[0].start_date, parse_date("2025-04-20").value());
  EXPECT_EQ(count("SELECT COUNT(*) FROM case_history WHERE event = 'record_department_measure'"
                  " AND actor = 'department:civil_affairs'"),
            3);

  BadRowPage bad = list_feed_bad_rows(s(), *r.run_id, 100);
  ASSERT_EQ(bad.total, 4);
  struct Want {
    std::int64_t line;
    const char* header;
    const char* part;
  } want[] = {{5, "身份证号", "不在本部门名单中 (not on this department's list)"},
              {6, "身份证号", "校验"},
              {7, "落实措施", "落实措施为空"},
              {8, "措施类型", "措施类型"}};
  ASSERT_EQ(bad.rows.size(), std::size(want));
  for (std::size_t i = 0; i < std::size(want); ++i) {
    SCOPED_TRACE("line " + std::to_string(want[i].line));
    EXPECT_EQ(bad.rows[i].row.line, want[i].line);
    EXPECT_EQ(bad.rows[i].row.header, want[i].header);
    EXPECT_THAT(bad.rows[i].row.reason, HasSubstr(want[i].part));
    EXPECT_THAT(bad.rows[i].row.raw, HasSubstr("落实措施"));  // the cells are kept for a fix
    EXPECT_THAT(bad.rows[i].row.reason, ::testing::Not(HasSubstr(stranger)));
  }
}

TEST_P(FeedbackIntake, ReplayingAnAnswerAddsNothing) {
  const Household a = monitored_household("3701020010010001");
  const std::int64_t case_a = case_id_;
  open_feedback_duty();
  const std::string csv = std::string(kFeedbackHeader) + a.members[1].id_number +
                          ",张三,低保,综合保障,2025-05-01,600\n" + a.members[0].id_number +
                          ",张大,医疗救助,医疗保障,2025-05-02,\n";
  const IntakeReport first = answer("a.csv", csv);
  ASSERT_EQ(first.status, "done") << first.error;
  EXPECT_EQ(first.measures_applied, 2);
  EXPECT_TRUE(first.duty_closed);
  // The same bytes again: already taken, nothing applied.
  const IntakeReport again = answer("a-again.csv", csv);
  EXPECT_EQ(again.status, "already_taken");
  EXPECT_EQ(again.same_as_run, first.run_id);
  // The answer sent again with a row more: only the new row lands.
  const std::string more =
      csv + a.members[2].id_number + ",张小,雨露计划补助,education,2025-05-03,1500\n";
  const IntakeReport rerun = answer("b.csv", more);
  ASSERT_EQ(rerun.status, "done") << rerun.error;
  EXPECT_EQ(rerun.measures_applied, 1);
  EXPECT_EQ(rerun.measures_already_recorded, 2);
  EXPECT_EQ(rerun.counts.rows_quarantined, 0);
  EXPECT_FALSE(rerun.duty_closed);  // closed by the first
  const std::vector<Measure> on_a = measures(case_a);
  ASSERT_EQ(on_a.size(), 3u);
  EXPECT_EQ(on_a[2].type, MeasureType::kEducation);
  EXPECT_EQ(count("SELECT COUNT(*) FROM case_history WHERE event = 'record_department_measure'"),
            3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM feed_runs WHERE status = 'replaced'"), 1);
}

// The shipped sample answer (config/samples): nobody in it has a case here, so every good row is
// "not on this department's list" and the malformed one is quarantined for its check digit.
TEST_P(FeedbackIntake, TheSampleAnswerReadsAndQuarantinesWhoIsNotOnTheList) {
  open_feedback_duty();
  std::ifstream in(FANGFAN_SOURCE_DIR "/config/samples/civil_affairs-feedback-2026-12-01.csv",
                   std::ios::binary);
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  const IntakeReport r = answer("civil_affairs-feedback-2026-12-01.csv", text.str());
  ASSERT_EQ(r.status, "done") << r.error;
  EXPECT_EQ(r.counts.rows_read, 6);
  EXPECT_EQ(r.counts.rows_duplicate, 0);  // one person, two measures: two rows
  EXPECT_EQ(r.counts.rows_quarantined, 6);
  EXPECT_EQ(r.measures_applied, 0);
  BadRowPage bad = list_feed_bad_rows(s(), *r.run_id, 100);
  ASSERT_EQ(bad.rows.size(), 6u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_THAT(bad.rows[i].row.reason, HasSubstr("不在本部门名单中")) << i;
  }
  EXPECT_THAT(bad.rows[5].row.reason, HasSubstr("校验"));
  EXPECT_TRUE(r.duty_closed);  // answered, even if by nobody on the list
}

#if FANGFAN_FEED_TEST_POSTGRESQL
INSTANTIATE_TEST_SUITE_P(Postgresql, FeedIntakeConformance, ::testing::Values(Backend::kPostgresql),
                         [](const auto&) { return std::string("Postgresql"); });
INSTANTIATE_TEST_SUITE_P(Postgresql, FeedbackIntake, ::testing::Values(Backend::kPostgresql),
                         [](const auto&) { return std::string("Postgresql"); });
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, FeedIntakeConformance, ::testing::Values(Backend::kSqlite),
                         [](const auto&) { return std::string("Sqlite"); });
INSTANTIATE_TEST_SUITE_P(Sqlite, FeedbackIntake, ::testing::Values(Backend::kSqlite),
                         [](const auto&) { return std::string("Sqlite"); });
#endif

}  // namespace
}  // namespace fangfan
