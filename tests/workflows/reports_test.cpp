// The county reports (workflows/reports.h): each report's figures against counts computed here,
// independently, from the test's own generated fixture (three townships, households with several
// risk causes, measures of every type and status, overdue duties, feed and list duties, history).
#include "workflows/reports.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "tests/support/people.h"
#include "workflows/case_codes.h"
#include "workflows/date.h"
#include "workflows/exit_evidence.h"

namespace fangfan {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kStates{"registered",
                                       "elimination_review",
                                       "eliminated",
                                       "household_verification",
                                       "cleared_out",
                                       "elimination_publicity",
                                       "township_elimination_review"};

struct Fixture {
  ReportSetting setting;
  ProgramRules rules;
  std::vector<ReportCase> cases;
  TimePoint now = china_time(Date{2026y / 12 / 5}, 10h);
};

Fixture make_fixture() {
  Fixture f;
  f.setting.county_name = "测试县";
  f.setting.townships = {{"530102001", "甲镇"}, {"530102002", "乙乡"}, {"530102003", "丙乡"}};
  f.setting.departments = {{"civil_affairs", "县民政局"}, {"education", "县教育局"}};
  f.rules.case_kinds = {{"unstable", "脱贫不稳定户", {}}, {"edge", "边缘易致贫户", {}}};
  testing::PeopleGenerator gen(1313);
  for (int i = 0; i < 240; ++i) {
    ReportCase c;
    // A fourth township outside the setting: never counted.
    const int t = static_cast<int>(gen.uniform(0, 3));
    c.township_code = t < 3 ? f.setting.townships[t].code : "530102009";
    const std::string code = "H" + std::to_string(1000 + i);
    c.snapshot.state = kStates[gen.uniform(0, kStates.size() - 1)];
    c.snapshot.data.kind = gen.chance(50) ? "unstable" : "edge";
    c.snapshot.data.emergency = gen.chance(20);
    c.snapshot.data.household =
        gen.household(code, c.township_code + "001", static_cast<int>(gen.uniform(1, 6)));
    for (const auto& e : CodeTable<RiskCause>::kEntries) {
      if (gen.chance(22)) c.snapshot.data.risk_causes.push_back(e.value);
    }
    const int measures = static_cast<int>(gen.uniform(0, 4));
    for (int m = 0; m < measures; ++m) {
      Measure x;
      x.id = m + 1;
      x.type = CodeTable<MeasureType>::kEntries[gen.uniform(0, 9)].value;
      x.status = CodeTable<MeasureStatus>::kEntries[gen.uniform(0, 3)].value;
      c.snapshot.data.measures.push_back(x);
    }
    f.cases.push_back(std::move(c));
  }
  return f;
}

// (column values by header) of every row of `section`.
using Row = std::map<std::string, std::string>;
std::vector<Row> rows_of(const ReportSection& s) {
  std::vector<Row> out;
  for (const auto& cells : s.rows) {
    Row r;
    for (std::size_t i = 0; i < cells.size(); ++i) r[s.headers[i]] = report_cell_text(cells[i]);
    out.push_back(r);
  }
  return out;
}
const Row* find_row(const std::vector<Row>& rows, const Row& match) {
  for (const Row& r : rows) {
    bool all = true;
    for (const auto& [k, v] : match) all = all && r.count(k) && r.at(k) == v;
    if (all) return &r;
  }
  return nullptr;
}

bool monitored(const CaseSnapshot& s) {
  const std::set<std::string> on{"registered", "elimination_review", "township_elimination_review",
                                 "elimination_publicity"};
  return on.count(s.state) || (s.data.emergency && s.state == "household_verification");
}

TEST(Reports_Households, EveryTownshipKindAndCauseMatchesAnIndependentCount) {
  const Fixture f = make_fixture();
  const ReportTable t = households_report(f.setting, f.rules, f.cases, Date{2026y / 12 / 5});
  const auto rows = rows_of(t.sections.at(0));
  int checked = 0;
  for (const auto& place : f.setting.townships) {
    for (const auto& kind : f.rules.case_kinds) {
      std::int64_t total_h = 0, total_p = 0;
      for (const auto& cause : CodeTable<RiskCause>::kEntries) {
        std::int64_t h = 0, p = 0;
        for (const auto& c : f.cases) {
          const auto& d = c.snapshot.data;
          if (c.township_code != place.code || d.kind != kind.code || !monitored(c.snapshot)) {
            continue;
          }
          if (std::find(d.risk_causes.begin(), d.risk_causes.end(), cause.value) ==
              d.risk_causes.end()) {
            continue;
          }
          ++h;
          p += static_cast<std::int64_t>(d.household.members.size());
        }
        const Row* r = find_row(rows, {{"乡镇", place.name},
                                       {"监测对象类型", kind.name},
                                       {"风险类型", std::string(cause.label)}});
        if (h == 0) {
          EXPECT_EQ(r, nullptr);
          continue;
        }
        ASSERT_NE(r, nullptr) << place.name << kind.name << cause.label;
        EXPECT_EQ(r->at("户数"), std::to_string(h));
        EXPECT_EQ(r->at("人数"), std::to_string(p));
        ++checked;
      }
      for (const auto& c : f.cases) {
        if (c.township_code == place.code && c.snapshot.data.kind == kind.code &&
            monitored(c.snapshot)) {
          ++total_h;
          total_p += static_cast<std::int64_t>(c.snapshot.data.household.members.size());
        }
      }
      const Row* r =
          find_row(rows, {{"乡镇", place.name}, {"监测对象类型", kind.name}, {"风险类型", "合计"}});
      ASSERT_NE(r, nullptr);
      EXPECT_EQ(r->at("户数"), std::to_string(total_h));
      EXPECT_EQ(r->at("人数"), std::to_string(total_p));
    }
  }
  EXPECT_GT(checked, 30);
  // The county total counts each household once; a township outside the setting never.
  std::int64_t county = 0;
  for (const auto& c : f.cases) county += c.township_code != "530102009" && monitored(c.snapshot);
  const Row* r =
      find_row(rows, {{"乡镇", "全县"}, {"监测对象类型", "全部类型"}, {"风险类型", "合计"}});
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->at("户数"), std::to_string(county));
  EXPECT_NE(t.footer.at(0).find("只计一次"), std::string::npos);
  // The pivot has the chart: townships as categories, one series per cause.
  const ReportSection& pivot = t.sections.at(1);
  ASSERT_TRUE(pivot.chart.has_value());
  EXPECT_EQ(pivot.chart->category_column, 0);
  EXPECT_EQ(pivot.chart->series_columns.size(), pivot.headers.size() - 2);
  EXPECT_EQ(pivot.rows.size(), 4u);  // three townships and the county
  EXPECT_EQ(pivot.chart->rows, 3);   // the county's total is not a bar beside its parts
}

TEST(Reports_Measures, CountsAndHouseholdsCoveredPerTypeAndStatus) {
  const Fixture f = make_fixture();
  const ReportTable t = measures_report(f.setting, f.cases, Date{2026y / 12 / 5});
  const auto rows = rows_of(t.sections.at(0));
  for (const auto& type : CodeTable<MeasureType>::kEntries) {
    std::int64_t done = 0;
    std::set<std::string> done_households;
    for (const auto& status : CodeTable<MeasureStatus>::kEntries) {
      std::int64_t n = 0;
      std::set<std::string> households;
      for (const auto& c : f.cases) {
        if (c.township_code == "530102009") continue;
        for (const auto& m : c.snapshot.data.measures) {
          if (m.type != type.value || m.status != status.value) continue;
          ++n;
          households.insert(c.snapshot.data.household.code);
          if (status.value == MeasureStatus::kInPlace ||
              status.value == MeasureStatus::kCompleted) {
            ++done;
            done_households.insert(c.snapshot.data.household.code);
          }
        }
      }
      const Row* r = find_row(
          rows, {{"措施类型", std::string(type.label)}, {"状态", std::string(status.label)}});
      if (n == 0) {
        EXPECT_EQ(r, nullptr);
        continue;
      }
      ASSERT_NE(r, nullptr);
      EXPECT_EQ(r->at("措施条数"), std::to_string(n));
      EXPECT_EQ(r->at("覆盖户数"), std::to_string(households.size()));
    }
    if (done > 0) {
      const std::string sentence = "落实" + std::string(type.label) + "措施" +
                                   std::to_string(done) + "条，覆盖" +
                                   std::to_string(done_households.size()) + "户";
      EXPECT_NE(std::find(t.footer.begin(), t.footer.end(), sentence), t.footer.end()) << sentence;
    }
  }
}

DutyRecord duty(std::string kind, std::string subject, std::string township, std::string officer,
                TimePoint due, DutyState state = DutyState::kOpen,
                std::optional<TimePoint> closed = std::nullopt) {
  DutyRecord d;
  d.kind = std::move(kind);
  d.subject = std::move(subject);
  d.township_code = std::move(township);
  d.officer = std::move(officer);
  d.due_at = due;
  d.state = state;
  d.closed_at = closed;
  return d;
}

TEST(Reports_Overdue, OpenDutiesPastDueByTownshipAndOfficer) {
  const Fixture f = make_fixture();
  testing::PeopleGenerator gen(77);
  std::vector<DutyRecord> duties;
  const std::vector<std::string> kinds{"visits", "monitoring", "step", "evaluation"};
  const std::vector<std::string> officers{"李明", "王芳", ""};
  for (int i = 0; i < 120; ++i) {
    const auto& place = f.setting.townships[gen.uniform(0, 2)];
    duties.push_back(duty(kinds[gen.uniform(0, 3)], "x", place.code, officers[gen.uniform(0, 2)],
                          f.now + std::chrono::hours(gen.uniform(-400, 100)),
                          gen.chance(15) ? DutyState::kDone : DutyState::kOpen));
  }
  const ReportTable t = overdue_report(f.setting, "530102", duties, f.now);
  const auto by_place = rows_of(t.sections.at(0));
  const auto by_officer = rows_of(t.sections.at(1));
  for (const auto& place : f.setting.townships) {
    std::int64_t all = 0;
    for (const auto& kind : kinds) {
      std::int64_t n = 0;
      for (const auto& d : duties) {
        n += d.state == DutyState::kOpen && d.due_at <= f.now && d.kind == kind &&
             d.township_code == place.code;
      }
      all += n;
      const std::map<std::string, std::string> label{{"visits", "走访"},
                                                     {"monitoring", "动态监测"},
                                                     {"step", "程序步骤"},
                                                     {"evaluation", "风险评估"}};
      const Row* r = find_row(by_place, {{"乡镇", place.name}, {"事项类型", label.at(kind)}});
      if (n == 0) continue;
      ASSERT_NE(r, nullptr);
      EXPECT_EQ(r->at("逾期件数"), std::to_string(n));
    }
    const Row* r = find_row(by_place, {{"乡镇", place.name}, {"事项类型", "合计"}});
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->at("逾期件数"), std::to_string(all));
    for (const auto& officer : officers) {
      std::int64_t n = 0;
      for (const auto& d : duties) {
        n += d.state == DutyState::kOpen && d.due_at <= f.now && d.officer == officer &&
             d.township_code == place.code;
      }
      const Row* o = find_row(
          by_officer, {{"帮扶责任人", officer.empty() ? "未指定" : officer}, {"乡镇", place.name}});
      ASSERT_NE(o, nullptr);
      EXPECT_EQ(o->at("逾期件数"), std::to_string(n));
    }
  }
}

TEST(Reports_Exchange, FeedPeriodsOnTimeLateMissingAndListsAnswered) {
  Fixture f = make_fixture();
  FeedSource civil;
  civil.name = "dibao";
  civil.department = "civil_affairs";
  f.rules.feeds.sources = {civil};
  DepartmentList list;
  list.name = "edu_list";
  list.department = "education";
  f.rules.lists.lists = {list};
  const TimePoint due = f.now - 240h;
  const std::vector<DutyRecord> duties{
      duty("feed", "dibao/2026-08", "530102", "", due, DutyState::kDone, due - 1h),  // on time
      duty("feed", "dibao/2026-09", "530102", "", due, DutyState::kDone, due - 5h),  // on time
      duty("feed", "dibao/2026-10", "530102", "", due, DutyState::kDone, due + 3h),  // late
      duty("feed", "dibao/2026-11", "530102", "", due),                              // missing
      duty("feed", "dibao/2026-12", "530102", "", f.now + 48h),                      // awaited
      duty("list", "edu_list/2026-11-01", "530102", "", due, DutyState::kDone, due),
      duty("list", "edu_list/2026-11-15", "530102", "", due, DutyState::kDone, due),
      duty("list", "edu_list/2026-12-01", "530102", "", f.now - 1h),  // not sent yet
      duty("feedback", "edu_list/2026-11-01", "530102", "", due, DutyState::kDone, due),
      duty("feedback", "edu_list/2026-11-15", "530102", "", f.now - 1h),  // overdue
  };
  const std::vector<ReportFeedRun> runs{{"civil_affairs", 3, due}, {"civil_affairs", 4, due}};
  const ReportTable t =
      exchange_report(f.setting, f.rules, duties, runs, std::nullopt, std::nullopt, f.now);
  const auto feeds = rows_of(t.sections.at(0));
  ASSERT_EQ(feeds.size(), 1u);
  EXPECT_EQ(feeds[0].at("按时报送"), "2");
  EXPECT_EQ(feeds[0].at("逾期报送"), "1");
  EXPECT_EQ(feeds[0].at("缺报"), "1");
  EXPECT_EQ(feeds[0].at("待报送"), "1");
  EXPECT_EQ(feeds[0].at("隔离行数"), "7");
  EXPECT_EQ(feeds[0].at("按时率(%)"), "50.0");
  ASSERT_TRUE(t.sections.at(0).chart.has_value());
  const auto lists = rows_of(t.sections.at(1));
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0].at("部门"), "县教育局");
  EXPECT_EQ(lists[0].at("已发送"), "2");
  EXPECT_EQ(lists[0].at("已反馈"), "1");
  EXPECT_EQ(lists[0].at("未反馈"), "1");
  EXPECT_EQ(lists[0].at("其中逾期未反馈"), "1");
  // A department clerk's setting holds their department only.
  ReportSetting own = f.setting;
  own.departments = {{"education", "县教育局"}};
  const ReportTable mine =
      exchange_report(own, f.rules, duties, runs, std::nullopt, std::nullopt, f.now);
  EXPECT_TRUE(mine.sections.at(0).rows.empty());
  EXPECT_EQ(mine.sections.at(1).rows.size(), 1u);
}

TEST(Reports_Movements, EachMovementInThePeriodCountedOnce) {
  const Fixture f = make_fixture();
  const TimePoint from = china_time(Date{2026y / 11 / 1}), to = china_time(Date{2026y / 12 / 1});
  struct Case {
    std::string before, after;
    int column;  // -1: counted nowhere
  };
  const std::vector<Case> table{{"new", "discovered", 0},
                                {"village_publicity", "registered", 1},
                                {"elimination_publicity", "eliminated", 2},
                                {"eliminated", "registered", 3},
                                {"registered", "cleared_out", 4},
                                {"elimination_review", "registered", -1},
                                {"registered", "registered", -1}};
  std::vector<ReportMovement> history;
  std::map<std::pair<std::string, int>, int> expected;
  testing::PeopleGenerator gen(5);
  for (int i = 0; i < 300; ++i) {
    const Case& c = table[gen.uniform(0, table.size() - 1)];
    const auto& place = f.setting.townships[gen.uniform(0, 2)];
    const TimePoint at = from + std::chrono::hours(gen.uniform(-100, 24 * 30 + 100));
    history.push_back({place.code, "e", c.before, c.after, at});
    if (c.column >= 0 && at >= from && at < to) ++expected[{place.code, c.column}];
  }
  const ReportTable t = movements_report(f.setting, history, from, to);
  const std::vector<std::string> headers{"新识别", "纳入监测", "风险消除", "风险回退", "清退"};
  const auto rows = rows_of(t.sections.at(0));
  for (const auto& place : f.setting.townships) {
    const Row* r = find_row(rows, {{"乡镇", place.name}});
    ASSERT_NE(r, nullptr);
    for (int col = 0; col < 5; ++col) {
      EXPECT_EQ(r->at(headers[col]), std::to_string(expected[{place.code, col}]))
          << place.name << headers[col];
    }
  }
}

TEST(Reports_Scope, ATownshipSettingSeesItsTownshipOnly) {
  Fixture f = make_fixture();
  f.setting.townships = {{"530102002", "乙乡"}};
  f.setting.whole_county = false;
  const ReportTable h = households_report(f.setting, f.rules, f.cases, Date{2026y / 12 / 5});
  for (const auto& row : rows_of(h.sections.at(0))) {
    EXPECT_TRUE(row.at("乡镇") == "乙乡" || row.at("乡镇") == "合计") << row.at("乡镇");
  }
  const std::vector<DutyRecord> duties{duty("visits", "x", "530102001", "李明", f.now - 1h),
                                       duty("visits", "x", "530102002", "王芳", f.now - 1h),
                                       duty("feed", "dibao/2026-11", "530102", "", f.now - 1h)};
  const ReportTable o = overdue_report(f.setting, "530102", duties, f.now);
  const auto rows = rows_of(o.sections.at(1));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("帮扶责任人"), "王芳");
  EXPECT_EQ(rows_of(o.sections.at(0)).size(), 3u);  // 乙乡 visits, 乙乡 total, the total
}

TEST(Reports_Evaluation, TotalsAndRates) {
  const Fixture f = make_fixture();
  const ReportTable t = evaluation_report(
      f.setting, 2026, {{"530102001", 10, 4, 6, 2, 0}, {"530102003", 5, 4, 0, 0, 1}});
  const auto rows = rows_of(t.sections.at(0));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].at("完成率(%)"), "40.0");
  EXPECT_EQ(rows[1].at("任务数"), "0");
  EXPECT_EQ(rows[1].at("完成率(%)"), "—");
  EXPECT_EQ(rows[2].at("完成率(%)"), "100.0");  // done over the tasks not cancelled
  EXPECT_EQ(rows[3].at("任务数"), "15");
  EXPECT_EQ(rows[3].at("已完成"), "8");
}

}  // namespace
}  // namespace fangfan

namespace fangfan {
namespace {

using namespace std::chrono_literals;

// Issue 14 item 5: 一兜了之 — every monitoring object of the setting flagged by support_only, in
// township order, and no other case.
TEST(Reports_Measures, SupportOnlyHouseholdsAreListed) {
  Fixture f = make_fixture();
  for (std::size_t i = 0; i < f.cases.size(); ++i)
    f.cases[i].snapshot.case_id = "C" + std::to_string(i);
  const ReportTable t = measures_report(f.setting, f.cases, Date{2026y / 12 / 5});
  std::set<std::string> expected;
  for (const auto& c : f.cases) {
    if (c.township_code == "530102009" || !is_monitoring_object(c.snapshot)) continue;
    if (support_only(c.snapshot.data)) expected.insert(c.snapshot.case_id);
  }
  ASSERT_FALSE(expected.empty()) << "the fixture should hold some";
  ASSERT_EQ(t.sections.size(), 2u);
  const auto rows = rows_of(t.sections.at(1));
  std::set<std::string> listed;
  for (const Row& r : rows) listed.insert(r.at("案件编号"));
  EXPECT_EQ(listed.size(), rows.size());
  EXPECT_EQ(listed, expected);

  // None flagged: no section, no sentence.
  Fixture none = make_fixture();
  for (auto& c : none.cases) c.snapshot.data.measures.clear();
  EXPECT_EQ(measures_report(none.setting, none.cases, Date{2026y / 12 / 5}).sections.size(), 1u);
}

// Issue 14 item 1: the evaluation report counts the results recorded.
TEST(Reports_Evaluation, ResultsPerTownshipAndTotal) {
  const Fixture f = make_fixture();
  ReportEvaluation a{"530102001", 10, 4, 6, 2, 0};
  a.risk_removed = 3, a.risk_persisting = 1;
  ReportEvaluation c{"530102003", 5, 4, 0, 0, 1};
  c.new_risk = 2;
  const auto rows = rows_of(evaluation_report(f.setting, 2026, {a, c}).sections.at(0));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].at("风险已消除"), "3");
  EXPECT_EQ(rows[0].at("风险未消除"), "1");
  EXPECT_EQ(rows[2].at("新增风险"), "2");
  EXPECT_EQ(rows[3].at("风险已消除"), "3");
  EXPECT_EQ(rows[3].at("新增风险"), "2");
}

}  // namespace
}  // namespace fangfan
