// GET /api/v1/reports/{name} and `fangfanctl report` end to end over loopback HTTP, on the example
// county with households, measures, duties and history written straight into its database: the
// figures against the fixture's own counts, CSV with its BOM and Chinese intact, the XLSX's chart
// and cells read back with the project's own reader, and the scopes (township, village,
// department clerk).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC 12 bug 109224 (coroutines)

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "adapters/import/table_stream.h"
#include "adapters/storage/case_json.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "daemon/ctl/ctl_report.h"
#include "tests/daemon/api_test_server.h"
#include "tests/support/people.h"
#include "workflows/case_codes.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kDongling = "379901001";  // 东岭镇
constexpr const char* kXihe = "379901002";      // 西河镇

struct FixtureCase {
  std::string code, township, village, kind, state;
  int persons;
  std::vector<RiskCause> causes;
  std::vector<std::pair<MeasureType, MeasureStatus>> measures;
};

const std::vector<FixtureCase> kCases{
    {"37990100100101",
     kDongling,
     "379901001001",
     "unstable",
     "registered",
     3,
     {RiskCause::kIllness, RiskCause::kDisability},
     {{MeasureType::kMedical, MeasureStatus::kInPlace},
      {MeasureType::kSocialSecurity, MeasureStatus::kCompleted}}},
    {"37990100100102",
     kDongling,
     "379901001002",
     "unstable",
     "elimination_review",
     4,
     {RiskCause::kIllness},
     {{MeasureType::kMedical, MeasureStatus::kPlanned},
      {MeasureType::kMedical, MeasureStatus::kInPlace}}},
    {"37990100100103",
     kDongling,
     "379901001001",
     "unstable",
     "household_verification",
     5,
     {RiskCause::kIllness},
     {}},
    {"37990100200101",
     kXihe,
     "379901002001",
     "marginal",
     "registered",
     2,
     {RiskCause::kEducation, RiskCause::kIllness},
     {{MeasureType::kEducation, MeasureStatus::kInPlace}}},
};

bool monitored(const FixtureCase& c) { return c.state != "household_verification"; }

class ReportApi : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = server_.session();
    WriteTransaction tx(*s);
    testing::PeopleGenerator people(1313);
    const TimePoint now = server_.clock().now();
    for (const FixtureCase& f : kCases) {
      insert_household(*s,
                       HouseholdRecord{f.code, f.village, f.township, "户主", "", "{}", now, now});
      CaseData d;
      d.kind = f.kind;
      d.household = people.household(f.code, f.village, f.persons);
      d.risk_causes = f.causes;
      int id = 0;
      for (const auto& [type, status] : f.measures) {
        Measure m;
        m.id = ++id;
        m.type = type;
        m.status = status;
        m.description = "措施";
        m.start_date = china_date(now);
        d.measures.push_back(m);
      }
      CaseRecord c;
      c.household_code = f.code;
      c.kind = f.kind;
      c.state = f.state;
      c.opened_at = now - 72h;
      c.updated_at = now;
      c.data = case_data_to_json(d);
      const std::int64_t case_id = insert_case(*s, c);
      // Opened and registered two days ago; a third row long before the period.
      append_history(*s, {case_id, 0, "open_case", "new", "discovered", "测试", now - 48h});
      append_history(
          *s, {case_id, 0, "close_publicity", "village_publicity", f.state, "测试", now - 47h});
      append_history(*s, {case_id, 0, "record_visit", f.state, f.state, "测试", now - 24h});
    }
    duty(*s, "a", kDongling, "李明", now - 30h);
    duty(*s, "b", kDongling, "李明", now - 5h);
    duty(*s, "c", kXihe, "", now - 1h);
    duty(*s, "d", kXihe, "王芳", now + 24h);  // not yet due
    tx.commit();
    county_ = server_.token(Role::kCountyOffice, "379901", "县乡村振兴局张*");
  }

  static void duty(soci::session& s, const std::string& key, const std::string& township,
                   const std::string& officer, TimePoint due) {
    NewDuty d;
    d.duty_key = "visits/test/" + key;
    d.kind = "visits";
    d.subject = "2025-03";
    d.township_code = township;
    d.village_code = township + std::string("001");
    d.owner_role = "assistance_officer";
    d.officer = officer;
    d.due_at = due;
    d.opened_at = due - 240h;
    open_duty(s, d);
  }

  test::Reply get(const std::string& target, const std::string& token) {
    return test::http_once(server_.port(), http::verb::get, target, token);
  }

  // Section `index`'s rows, cells as text.
  static std::vector<std::vector<std::string>> rows(const test::Reply& r, std::size_t index) {
    std::vector<std::vector<std::string>> out;
    const json::value v = r.json();
    for (const auto& row : v.at("sections").at(index).at("rows").as_array()) {
      std::vector<std::string> cells;
      for (const auto& c : row.as_array()) {
        cells.push_back(c.is_string() ? std::string(c.get_string()) : json::serialize(c));
      }
      out.push_back(std::move(cells));
    }
    return out;
  }

  test::TestApiServer server_;
  std::string county_;
};

TEST_F(ReportApi, HouseholdsJsonMatchesTheFixture) {
  const test::Reply r = get("/api/v1/reports/households", county_);
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto table = rows(r, 0);
  // The fixture's own counts: (township name, cause label) -> households, persons.
  const std::map<std::string, std::string> names{{kDongling, "东岭镇"}, {kXihe, "西河镇"}};
  std::map<std::pair<std::string, std::string>, std::pair<int, int>> expected;
  for (const FixtureCase& f : kCases) {
    if (!monitored(f)) continue;
    for (RiskCause cause : f.causes) {
      auto& e = expected[{names.at(f.township), std::string(label_of(cause))}];
      e.first += 1;
      e.second += f.persons;
    }
  }
  ASSERT_FALSE(expected.empty());
  for (const auto& [key, counts] : expected) {
    bool found = false;
    for (const auto& row : table) {
      if (row[1] != key.first || row[3] != key.second || row[2] == "全部类型") continue;
      found = true;
      EXPECT_EQ(row[4], std::to_string(counts.first)) << key.first << key.second;
      EXPECT_EQ(row[5], std::to_string(counts.second)) << key.first << key.second;
    }
    EXPECT_TRUE(found) << key.first << key.second;
  }
  // The county total: three monitored households, each once.
  bool total = false;
  for (const auto& row : table) {
    if (row[1] == "全县" && row[2] == "全部类型" && row[3] == "合计") {
      total = true;
      EXPECT_EQ(row[4], "3");
      EXPECT_EQ(row[5], "9");
    }
  }
  EXPECT_TRUE(total);
}

TEST_F(ReportApi, MeasuresOverdueAndMovements) {
  const test::Reply m = get("/api/v1/reports/measures", county_);
  ASSERT_EQ(m.status, 200u) << m.body;
  const auto footer = m.json().at("footer").as_array();
  std::vector<std::string> sentences;
  for (const auto& f : footer) sentences.emplace_back(f.as_string());
  // Medical: in place once in each of two households; the planned one is not 落实.
  EXPECT_THAT(sentences, ::testing::Contains("落实医疗保障措施2条，覆盖2户"));
  EXPECT_THAT(sentences, ::testing::Contains("落实综合保障措施1条，覆盖1户"));
  bool medical_total = false;
  for (const auto& row : rows(m, 0)) {
    if (row[0] == "医疗保障" && row[1] == "合计") {
      medical_total = true;
      EXPECT_EQ(row[2], "3");
      EXPECT_EQ(row[3], "2");
    }
  }
  EXPECT_TRUE(medical_total);

  const test::Reply o = get("/api/v1/reports/overdue", county_);
  ASSERT_EQ(o.status, 200u) << o.body;
  std::map<std::string, std::string> by_officer;
  for (const auto& row : rows(o, 1)) by_officer[row[0] + "/" + row[1]] = row[2];
  EXPECT_EQ(by_officer,
            (std::map<std::string, std::string>{{"李明/东岭镇", "2"}, {"未指定/西河镇", "1"}}));

  const std::string today = format_date(china_date(server_.clock().now()));
  const test::Reply mv =
      get("/api/v1/reports/movements?from=" + format_date(china_date(server_.clock().now() - 72h)) +
              "&to=" + today,
          county_);
  ASSERT_EQ(mv.status, 200u) << mv.body;
  for (const auto& row : rows(mv, 0)) {
    if (row[1] == "东岭镇") {
      EXPECT_EQ(row[2], "3");  // opened
      EXPECT_EQ(row[3], "1");  // registered from publicity (the elimination_review one is not)
    }
    if (row[1] == "全县") {
      EXPECT_EQ(row[2], "4");
    }
  }
}

TEST_F(ReportApi, CsvHasItsBomAndChineseAndXlsxItsChartAndCells) {
  const test::Reply csv = get("/api/v1/reports/households?format=csv", county_);
  ASSERT_EQ(csv.status, 200u) << csv.body;
  EXPECT_EQ(csv.body.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_THAT(csv.body, HasSubstr("乡镇代码,乡镇,监测对象类型,风险类型,户数,人数\r\n"));
  EXPECT_THAT(csv.body, HasSubstr("379901001,东岭镇,脱贫不稳定户,因病,2,7\r\n"));
  EXPECT_THAT(std::string(csv.headers[http::field::content_type]), HasSubstr("text/csv"));

  const test::Reply xlsx = get("/api/v1/reports/households?format=xlsx", county_);
  ASSERT_EQ(xlsx.status, 200u) << xlsx.body;
  ASSERT_EQ(xlsx.body.substr(0, 2), "PK");
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(xlsx.body.data(), xlsx.body.size(), 0, &error);
  ASSERT_NE(source, nullptr);
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  ASSERT_NE(archive, nullptr);
  EXPECT_GE(zip_name_locate(archive, "xl/charts/chart1.xml", 0), 0);
  zip_close(archive);

  auto opened = open_table_bytes(xlsx.body);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<TableStream>>(opened))
      << std::get<std::string>(opened);
  auto& stream = *std::get<std::unique_ptr<TableStream>>(opened);
  EXPECT_EQ(stream.format(), "XLSX");
  EXPECT_THAT(stream.header().at(0), HasSubstr("防返贫监测对象户数人数统计表"));
  TableRow row;
  bool header = false, dongling = false;
  while (stream.next(row)) {
    if (row.cells.size() >= 6 && row.cells[0] == "乡镇代码" && row.cells[5] == "人数") {
      header = true;
      EXPECT_EQ(row.line, 3);  // under the title and scope: the frozen header
    }
    if (row.cells.size() >= 6 && row.cells[1] == "东岭镇" && row.cells[3] == "因病") {
      dongling = true;
      EXPECT_EQ(row.cells[0], "379901001");  // a code as text
      EXPECT_EQ(row.cells[4], "2");
      EXPECT_EQ(row.cells[5], "7");
    }
  }
  EXPECT_FALSE(stream.error().has_value()) << *stream.error();
  EXPECT_TRUE(header);
  EXPECT_TRUE(dongling);

  const test::Reply exchange = get("/api/v1/reports/exchange?format=xlsx", county_);
  ASSERT_EQ(exchange.status, 200u) << exchange.body;
  EXPECT_EQ(exchange.body.substr(0, 2), "PK");
}

TEST_F(ReportApi, ScopesDecideWhatIsCountedAndWhoIsRefused) {
  const std::string xihe = server_.token(Role::kTownshipClerk, kXihe, "西河镇扶贫办*");
  const test::Reply own = get("/api/v1/reports/households", xihe);
  ASSERT_EQ(own.status, 200u) << own.body;
  for (const auto& row : rows(own, 0)) {
    EXPECT_TRUE(row[1] == "西河镇" || row[1] == "合计") << row[1];
  }
  EXPECT_THAT(own.body, ::testing::Not(HasSubstr("东岭镇")));
  const test::Reply overdue = get("/api/v1/reports/overdue", xihe);
  ASSERT_EQ(overdue.status, 200u);
  EXPECT_THAT(overdue.body, ::testing::Not(HasSubstr("李明")));

  struct Case {
    const char* what;
    Role role;
    std::string scope;
    std::string target;
    unsigned status;
  };
  const std::vector<Case> cases{
      {"another township", Role::kTownshipClerk, kXihe,
       "/api/v1/reports/households?township=379901001", 403},
      {"a township narrowed by the county", Role::kCountyOffice, "379901",
       "/api/v1/reports/households?township=379901002", 200},
      {"an unknown township", Role::kCountyOffice, "379901",
       "/api/v1/reports/households?township=379901999", 404},
      {"a village token", Role::kVillageOfficer, "379901001001", "/api/v1/reports/households", 403},
      {"the exchange for a township", Role::kTownshipClerk, kXihe, "/api/v1/reports/exchange", 403},
      {"a department clerk's households", Role::kDepartmentClerk, "civil_affairs",
       "/api/v1/reports/households", 403},
      {"a department clerk's exchange", Role::kDepartmentClerk, "civil_affairs",
       "/api/v1/reports/exchange", 200},
      {"an auditor", Role::kAuditor, "379901", "/api/v1/reports/measures?format=csv", 200},
      {"an unknown report", Role::kCountyOffice, "379901", "/api/v1/reports/nothing", 404},
      {"an unknown campaign", Role::kCountyOffice, "379901", "/api/v1/reports/campaign/none", 404},
      {"a bad format", Role::kCountyOffice, "379901", "/api/v1/reports/overdue?format=pdf", 400},
      {"a bad date", Role::kCountyOffice, "379901", "/api/v1/reports/overdue?as_of=2025-13-01",
       400},
      {"from without to", Role::kCountyOffice, "379901",
       "/api/v1/reports/movements?from=2025-03-01", 400},
      {"the evaluation", Role::kCountyOffice, "379901", "/api/v1/reports/evaluation?year=2025",
       200},
      {"a campaign", Role::kTownshipClerk, kXihe, "/api/v1/reports/campaign/screening_2023", 200},
      {"households as of a past day", Role::kCountyOffice, "379901",
       "/api/v1/reports/households?as_of=2025-01-01", 400},
      {"overdue as of a past day", Role::kCountyOffice, "379901",
       "/api/v1/reports/overdue?as_of=2025-01-01&format=xlsx", 200},
  };
  for (const Case& c : cases) {
    const std::string token = server_.token(c.role, c.scope, "测试用户");
    const test::Reply r = get(c.target, token);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
  }
  // A department clerk's exchange holds their department only.
  const std::string clerk = server_.token(Role::kDepartmentClerk, "civil_affairs", "民政局*");
  const test::Reply mine = get("/api/v1/reports/exchange", clerk);
  ASSERT_EQ(mine.status, 200u);
  for (std::size_t s = 0; s < 2; ++s) {
    for (const auto& row : rows(mine, s)) EXPECT_EQ(row[0], "civil_affairs");
  }
}

TEST_F(ReportApi, CtlPrintsATableAndWritesFiles) {
  CtlEnvironment env;
  env.getenv = [](const std::string&) { return std::optional<std::string>(); };
  const std::vector<std::string> where = {"--api", "127.0.0.1:" + std::to_string(server_.port()),
                                          "--token", county_};
  auto run = [&](std::vector<std::string> args, std::string& out_text, std::string& err_text) {
    args.insert(args.end(), where.begin(), where.end());
    std::ostringstream out, err;
    const int code = run_report_command(args, env, out, err);
    out_text = out.str();
    err_text = err.str();
    return code;
  };
  std::string out, err;
  ASSERT_EQ(run({"households", "--township", kDongling}, out, err), 0) << err;
  EXPECT_THAT(out, HasSubstr("防返贫监测对象户数人数统计表"));
  EXPECT_THAT(out, HasSubstr("【按类型和风险类型】"));
  EXPECT_THAT(out, HasSubstr("东岭镇"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("西河镇")));

  test::TempDir dir;
  const std::string xlsx = (dir.path() / "overdue.xlsx").string();
  ASSERT_EQ(run({"overdue", "--format", "xlsx", "-o", xlsx}, out, err), 0) << err;
  std::ifstream in(xlsx, std::ios::binary);
  std::string head(2, '\0');
  in.read(head.data(), 2);
  EXPECT_EQ(head, "PK");
  ASSERT_EQ(run({"measures", "--format", "csv"}, out, err), 0) << err;
  EXPECT_EQ(out.substr(0, 3), "\xEF\xBB\xBF");

  EXPECT_EQ(run({"overdue", "--format", "xlsx"}, out, err), 2);  // xlsx needs -o
  EXPECT_EQ(run({"nothing"}, out, err), 1);
  EXPECT_THAT(err, HasSubstr("no report named nothing"));
}

}  // namespace
}  // namespace fangfan
