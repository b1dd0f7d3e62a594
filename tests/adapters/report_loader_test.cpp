// adapters/reports on both backends: load_report() reads cases with their township, overdue
// duties, feed duties and runs, and the case history the way the pure reports expect, and the
// report files (CSV quoting, JSON both ways, aligned text). CMake compiles this file once per
// backend (FANGFAN_STORAGE_TEST_SQLITE=1 or FANGFAN_STORAGE_TEST_POSTGRESQL=1).
#include "adapters/reports/report_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "adapters/reports/report_files.h"
#include "adapters/reports/report_json.h"
#include "adapters/storage/case_json.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/evaluation_store.h"
#include "adapters/storage/feed_store.h"
#include "adapters/storage/migrations.h"
#include "tests/support/people.h"
#include "tests/support/test_database.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test::Backend;

TimePoint t0() { return china_time(Date{std::chrono::year(2026) / std::chrono::December / 5}, 9h); }

std::shared_ptr<const Config> example() {
  ConfigResult r = load_config(FANGFAN_SOURCE_DIR "/config/example.toml");
  EXPECT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  return std::get<std::shared_ptr<const Config>>(r);
}

// The text of column `header` in every row of section `index`.
std::vector<std::string> column(const ReportTable& t, std::size_t index,
                                const std::string& header) {
  const ReportSection& s = t.sections.at(index);
  const auto at = std::find(s.headers.begin(), s.headers.end(), header) - s.headers.begin();
  std::vector<std::string> out;
  for (const auto& row : s.rows) out.push_back(report_cell_text(row.at(at)));
  return out;
}

class ReportLoader : public test::DatabaseTest {
 protected:
  void SetUp() override {
    open_database("report", t0());
    if (IsSkipped() || HasFatalFailure()) return;
    config_ = example();
    for (const Township& t : config_->townships) setting_.townships.push_back({t.code, t.name});
    for (const Department& d : config_->departments) {
      setting_.departments.push_back({d.code, d.name});
    }
    setting_.county_name = config_->county.name;
  }

  // A household of `persons` in `village` with a case in `state`; returns the case id.
  std::int64_t household(const std::string& code, const std::string& village,
                         const std::string& state, int persons, std::vector<RiskCause> causes) {
    insert_household(
        s(), HouseholdRecord{code, village, village.substr(0, 9), "户主", "", "{}", t0(), t0()});
    CaseData d;
    d.kind = "unstable";
    d.household = people_.household(code, village, persons);
    d.risk_causes = std::move(causes);
    Measure m;
    m.id = 1;
    m.type = MeasureType::kMedical;
    m.status = MeasureStatus::kInPlace;
    d.measures.push_back(m);
    CaseRecord c;
    c.household_code = code;
    c.kind = "unstable";
    c.state = state;
    c.opened_at = t0() - 240h;
    c.updated_at = t0();
    c.data = case_data_to_json(d);
    return insert_case(s(), c);
  }

  void duty(const std::string& key, const std::string& kind, const std::string& subject,
            const std::string& township, TimePoint due) {
    NewDuty d;
    d.duty_key = key;
    d.kind = kind;
    d.subject = subject;
    d.township_code = township;
    d.owner_role = "township_clerk";
    d.due_at = due;
    d.opened_at = due - 240h;
    open_duty(s(), d);
  }

  ReportTable load(const std::string& name, std::optional<TimePoint> from = std::nullopt,
                   std::optional<TimePoint> to = std::nullopt) {
    ReportRequest r;
    r.name = name;
    r.setting = setting_;
    r.as_of = t0();
    r.from = from;
    r.to = to;
    r.year = 2026;
    auto result = load_report(s(), *config_, nullptr, r);
    if (auto* refusal = std::get_if<ReportRefusal>(&result)) {
      ADD_FAILURE() << refusal->message;
      return {};
    }
    return std::get<ReportTable>(result);
  }

  std::shared_ptr<const Config> config_;
  ReportSetting setting_;
  testing::PeopleGenerator people_{404};
};

TEST_P(ReportLoader, CasesDutiesRunsAndHistoryReachTheReports) {
  const std::int64_t a = household("37990100100101", "379901001001", "registered", 3,
                                   {RiskCause::kIllness, RiskCause::kDisability});
  household("37990100200101", "379901002001", "registered", 2, {RiskCause::kIllness});
  household("37990100200102", "379901002001", "rejected", 4, {RiskCause::kIllness});
  append_history(s(), {a, 0, "open_case", "new", "discovered", "测试", t0() - 24h});
  append_history(s(),
                 {a, 0, "close_publicity", "village_publicity", "registered", "测试", t0() - 2h});
  duty("visits/1", "visits", "2026-12", "379901001", t0() - 1h);
  duty("visits/2", "visits", "2026-12", "379901002", t0() + 1h);  // not yet due
  duty("feed/civil_affairs/2026-11", "feed", "civil_affairs/2026-11", "379901", t0() - 48h);
  const std::int64_t run =
      create_feed_run(s(), NewFeedRun{"civil_affairs", "civil_affairs", "2026-11", "f.csv", "ab",
                                      "schedule", t0() - 24h, std::nullopt});
  FeedRunCounts counts;
  counts.rows_quarantined = 5;
  finish_feed_run(s(), run, counts, t0() - 23h);

  const ReportTable h = load("households");
  EXPECT_EQ(column(h, 1, "因病"), (std::vector<std::string>{"1", "1", "0", "2"}));
  EXPECT_EQ(column(h, 1, "因残"), (std::vector<std::string>{"1", "0", "0", "1"}));
  const ReportTable m = load("measures");
  EXPECT_EQ(column(m, 0, "措施条数").back(), "3");  // every case's measures, rejected ones too
  const ReportTable o = load("overdue");
  EXPECT_EQ(column(o, 0, "逾期件数"), (std::vector<std::string>{"1", "1", "1", "1", "2"}));
  const ReportTable e = load("exchange");
  ASSERT_EQ(e.sections.at(0).rows.size(), 1u);
  EXPECT_EQ(column(e, 0, "缺报"), std::vector<std::string>{"1"});
  EXPECT_EQ(column(e, 0, "隔离行数"), std::vector<std::string>{"5"});
  const ReportTable mv = load("movements", t0() - 3h, t0());
  EXPECT_EQ(column(mv, 0, "新识别").front(), "0");  // opened before the period
  EXPECT_EQ(column(mv, 0, "纳入监测").front(), "1");
  EXPECT_EQ(load("evaluation").sections.at(0).rows.size(), 4u);  // three townships and the total
}

// Issue 14 item 1: the Q4 evaluation's results (record_evaluation history rows) counted by the
// household's township, on both backends.
TEST_P(ReportLoader, EvaluationResultsAreCountedByTheHouseholdsTownship) {
  const std::int64_t a = household("37990100100101", "379901001001", "registered", 2, {});
  const std::int64_t b = household("37990100200101", "379901002001", "registered", 2, {});
  auto evaluated = [&](std::int64_t id, const char* year, const char* result) {
    append_history(s(), {id, 0, "record_evaluation", "registered", "registered", "县扶贫办张*",
                         t0() - 2h, "", details_to_json({{"year", year}, {"result", result}})});
  };
  evaluated(a, "2026", "risk_removed");
  evaluated(b, "2026", "new_risk");
  evaluated(b, "2025", "risk_removed");  // another year's
  const auto counts = count_evaluation_results(s(), 2026);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts.at("379901001").risk_removed, 1);
  EXPECT_EQ(counts.at("379901002").new_risk, 1);
  EXPECT_EQ(counts.at("379901002").risk_removed, 0);
  const ReportTable e = load("evaluation");
  EXPECT_EQ(column(e, 0, "风险已消除"), (std::vector<std::string>{"1", "0", "0", "1"}));
  EXPECT_EQ(column(e, 0, "新增风险"), (std::vector<std::string>{"0", "1", "0", "1"}));
}

// The evaluation results are read through the index case_history_by_event, not by scanning
// every history row (the Q4 progress answer and report run this at county scale). PostgreSQL's
// planner prefers a scan of a tiny table, so it is asked with sequential scans discouraged: the
// plan then names the index only if the index can serve the query.
TEST_P(ReportLoader, EvaluationResultsAreReadThroughTheEventIndex) {
  const std::int64_t a = household("37990100100101", "379901001001", "registered", 2, {});
  append_history(s(), {a, 0, "record_evaluation", "registered", "registered", "县扶贫办张*", t0(),
                       "", details_to_json({{"year", "2026"}, {"result", "risk_removed"}})});
  const bool sqlite = GetParam() == Backend::kSqlite;
  if (!sqlite) s() << "SET enable_seqscan = off";
  std::vector<std::string> plan;
  soci::rowset<soci::row> rows =
      (s().prepare << std::string(sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") +
                          kEvaluationResultsSql);
  for (const soci::row& r : rows) {
    // SQLite: (id, parent, notused, detail); PostgreSQL: one text column per plan line.
    plan.push_back(r.get<std::string>(r.size() - 1));
  }
  if (!sqlite) s() << "RESET enable_seqscan";
  std::string all;
  for (const auto& line : plan) all += line + "\n";
  EXPECT_NE(all.find("case_history_by_event"), std::string::npos) << all;
  EXPECT_EQ(all.find("SCAN ch\n"), std::string::npos) << all;  // SQLite's full scan
  EXPECT_EQ(count_evaluation_results(s(), 2026).at("379901001").risk_removed, 1);
}

TEST_P(ReportLoader, RefusesUnknownNamesAndMovementsWithoutAPeriod) {
  for (const char* name : {"nothing", "movements", "campaign"}) {
    ReportRequest r;
    r.name = name;
    r.campaign = "none";
    r.setting = setting_;
    r.as_of = t0();
    EXPECT_TRUE(std::holds_alternative<ReportRefusal>(load_report(s(), *config_, nullptr, r)))
        << name;
  }
}

#if FANGFAN_STORAGE_TEST_SQLITE
INSTANTIATE_TEST_SUITE_P(Sqlite, ReportLoader, ::testing::Values(Backend::kSqlite));

ReportTable small_table() {
  ReportTable t;
  t.name = "x";
  t.title = "测试表";
  t.scope = "示例县";
  t.sections.push_back(
      {"第一节",
       {"代码", "名称", "数量", "比率(%)"},
       {10, 10, 8, 8},
       {{std::string("001"), std::string("甲,\"乙\""), std::int64_t{12}, 50.0},
        {std::string("002"), std::string("丙"), std::int64_t{3}, std::string("—")}},
       ReportChart{ReportChart::Kind::kBar, "图", 1, {3}, 1}});
  t.footer = {"脚注"};
  return t;
}

TEST(ReportFiles, CsvQuotesWhatExcelNeedsQuoted) {
  const std::string csv = report_csv(small_table());
  EXPECT_EQ(csv,
            "\xEF\xBB\xBF测试表\r\n示例县\r\n\r\n【第一节】\r\n代码,名称,数量,比率(%)\r\n"
            "001,\"甲,\"\"乙\"\"\",12,50.0\r\n002,丙,3,—\r\n\r\n脚注\r\n");
}

TEST(ReportFiles, JsonRoundTripsAndTextAligns) {
  const ReportTable t = small_table();
  const auto back = report_from_json(report_to_json(t));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(report_csv(*back), report_csv(t));
  ASSERT_TRUE(back->sections[0].chart.has_value());
  EXPECT_EQ(back->sections[0].chart->rows, 1);
  EXPECT_EQ(back->sections[0].chart->series_columns, std::vector<int>{3});
  EXPECT_FALSE(report_from_json(boost::json::value("not a report")).has_value());
  const std::string text = report_text(t);
  // Chinese counts two columns; numbers align right under their header.
  EXPECT_NE(text.find("代码  名称     数量  比率(%)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("001   甲,\"乙\"    12     50.0\n"), std::string::npos) << text;
}
#endif
#if FANGFAN_STORAGE_TEST_POSTGRESQL
INSTANTIATE_TEST_SUITE_P(Postgresql, ReportLoader, ::testing::Values(Backend::kPostgresql));
#endif

}  // namespace
}  // namespace fangfan
