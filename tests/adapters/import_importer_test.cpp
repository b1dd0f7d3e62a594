// The importer (adapters/import/importer.h) on a real database, one suite run unchanged on
// SQLite and on PostgreSQL like the case repository suite: mixed good and bad rows with their
// exact line, column and reason, scope per row, duplicates, importing twice, the stored run and
// rows, cases lists, GBK and XLSX files. Generated people only (tests/support/people.h).
//
// CMake compiles this file once per backend (FANGFAN_IMPORT_TEST_SQLITE=1 or
// FANGFAN_IMPORT_TEST_POSTGRESQL=1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "adapters/calendar/calendar_files.h"
#include "adapters/import/importer.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/storage/case_json.h"
#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "tests/adapters/test_case_writer.h"
#include "tests/support/import_files.h"
#include "tests/support/people.h"
#include "tests/support/test_database.h"
#include "tests/workflows/case_fixture.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::PeopleGenerator;

using test::Backend;

constexpr const char* kVillage = "370102001001";
constexpr const char* kOtherVillage = "370102002001";
constexpr const char* kTownship = "370102001";
constexpr const char* kOfficer = "第一书记赵*";

Config test_config() {
  Config c;
  c.county = {"370102", "历下区", "山东省"};
  c.townships = {{"370102001", "解放路街道"}, {"370102002", "千佛山街道"}};
  c.villages = {{kVillage, "东村", "370102001"}, {kOtherVillage, "南村", "370102002"}};
  c.rules = testing::test_rules();
  return c;
}

// A wrong check character for a valid ID number.
std::string with_wrong_check(const std::string& id) {
  std::string bad = id;
  bad.back() = id.back() == '1' ? '2' : '1';
  return bad;
}

class ImportConformance : public test::DatabaseTest {
 protected:
  void SetUp() override { open_database("import", clock_.now()); }

  // A household with an emergency case (assisted at once) and an assigned officer, so visits
  // can be recorded on it.
  Household assisted_household(const std::string& code, const std::string& village = kVillage) {
    Household h = people_.household(code, village, 3);
    test::StoredCases repo(s(), config_, clock_);
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
    const std::int64_t id = std::get<CaseChange>(opened).case_id;
    AssignOfficer assign;
    assign.meta = {"测试", clock_.now(), ""};
    assign.officer = kOfficer;
    ApplyResult assigned = repo.apply(id, assign);
    if (auto* r = std::get_if<Refusal>(&assigned)) ADD_FAILURE() << r->message;
    return h;
  }

  // Cases are opened on 2025-03-01; imports run on 2025-03-20 (visits lie in between).
  ImportRequest request(ImportKind kind, std::string bytes, std::string scope = kTownship) {
    const TimePoint import_day = testing::at("2025-03-20T09:00:00");
    if (clock_.now() < import_day) {
      clock_.advance(std::chrono::duration_cast<std::chrono::seconds>(import_day - clock_.now()));
    }
    ImportRequest r;
    r.kind = kind;
    r.file_name = "走访记录.csv";
    r.bytes = std::move(bytes);
    r.actor = "镇扶贫办李*";
    r.scope = scope;
    const Config* config = &config_;
    r.covers = [config, scope](std::string_view village) {
      // The township scope covers its villages (auth.h's rule, restated for the adapter test).
      const Village* v = config->find_village(village);
      return v != nullptr && (v->township == scope || v->code == scope);
    };
    return r;
  }

  ImportOutcome run(const ImportRequest& r) {
    const test::StoredCases cases(s(), config_, clock_);
    auto result = run_import(s(), cases.work(), r);
    if (auto* e = std::get_if<ImportFileError>(&result)) {
      ADD_FAILURE() << "file refused: " << e->message;
      return {};
    }
    return std::get<ImportOutcome>(std::move(result));
  }

  long long count(const std::string& sql) {
    long long n = -1;
    s() << sql, soci::into(n);
    return n;
  }

  Config config_ = test_config();
  SimulatedClock clock_{testing::at("2025-03-01T09:00:00")};
  PeopleGenerator people_{20251123};
};

struct Expected {
  int line;
  std::string status;
  std::string field;
  std::string reason_part;
};

void expect_rows(const std::vector<ImportRowRecord>& rows, const std::vector<Expected>& expected) {
  ASSERT_EQ(rows.size(), expected.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE("line " + std::to_string(expected[i].line));
    EXPECT_EQ(rows[i].line, expected[i].line);
    EXPECT_EQ(rows[i].status, expected[i].status) << rows[i].reason;
    EXPECT_EQ(rows[i].field, expected[i].field);
    EXPECT_THAT(rows[i].reason, HasSubstr(expected[i].reason_part));
  }
}

TEST_P(ImportConformance, Visits_MixedRowsGiveExactLinesFieldsAndReasons_ThenImportTwice) {
  const Household a = assisted_household("3701020010010001");
  const Household b = assisted_household("3701020010010002");
  const Household far = assisted_household("3701020020010001", kOtherVillage);
  const std::string a_head = a.members[0].name, a_id = a.members[0].id_number;
  const std::string csv =
      "序号,户编码,户主姓名,身份证号,走访日期,走访人,走访内容\n"
      // 2: good, with the head's name and ID
      "1,3701020010010001," +
      a_head + "," + a_id + ",2025-03-10," + kOfficer + ",收入稳定\n" +
      // 3: good, the other household, a date as Excel users write it
      "2,3701020010010002,,,2025/3/12," + kOfficer + ",\"看病花费大，\n已申请医疗救助\"\n" +
      // 5 (the quoted newline makes row 3 two lines): wrong ID check character
      "3,3701020010010001,," + with_wrong_check(a_id) + ",2025-03-11," + kOfficer + ",好\n" +
      // 6: unknown household
      "4,3701029999999999,,,2025-03-11," + kOfficer + ",好\n" +
      // 7: not a date
      "5,3701020010010001,,,2025-02-30," + kOfficer + ",好\n" +
      // 8: outside the township's scope
      "6,3701020020010001,,,2025-03-11," + kOfficer + ",好\n" +
      // 9: a short row: the officer and findings columns are missing
      "7,3701020010010002,,,2025-03-13\n" +
      // 10: the same visit as line 2: a duplicate within the file
      "8,3701020010010001,,,2025-03-10," + kOfficer + ",收入稳定\n" +
      // 11: refused by the case rules: a visit after today
      "9,3701020010010002,,,2025-03-25," + kOfficer + ",好\n";
  (void)far;
  const ImportOutcome first = run(request(ImportKind::kVisits, csv));
  const std::vector<Expected> expected_first = {
      {2, "applied", "", ""},
      {3, "applied", "", ""},
      {5, "bad", "身份证号", "身份证号校验位错误"},
      {6, "bad", "户编码", "户编码 3701029999999999 不存在"},
      {7, "bad", "走访日期", "“2025-02-30”不是有效日期"},
      {8, "bad", "户编码", "outside your scope"},
      {9, "bad", "走访人", "缺少走访人"},
      {10, "duplicate", "", "已由导入 " + std::to_string(first.run.id) + " 第 2 行登记"},
      {11, "bad", "走访日期", "晚于登记日期"},
  };
  expect_rows(first.rows, expected_first);
  EXPECT_EQ(first.run.rows_total, 9);
  EXPECT_EQ(first.run.rows_applied, 2);
  EXPECT_EQ(first.run.rows_duplicate, 1);
  EXPECT_EQ(first.run.rows_bad, 6);
  EXPECT_EQ(first.run.format, "CSV UTF-8");

  // The visits are on the cases, with the importer as actor.
  const CaseReader repo(s(), config_);
  const auto case_a = repo.load(1);
  ASSERT_TRUE(case_a);
  ASSERT_EQ(case_a->snapshot.data.visits.size(), 1u);
  EXPECT_EQ(case_a->history.back().actor, "镇扶贫办李*");
  EXPECT_EQ(case_a->history.back().event, "record_visit");

  // Stored: the run with its counts, every row, the bad ones with their raw cells.
  const auto stored = load_import_run(s(), first.run.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->rows_bad, 6);
  EXPECT_EQ(stored->sha256, sha256_hex(csv));
  expect_rows(load_import_rows(s(), first.run.id), expected_first);
  const auto bad = load_import_rows(s(), first.run.id, "bad");
  ASSERT_EQ(bad.size(), 6u);
  EXPECT_THAT(bad[0].raw, HasSubstr(with_wrong_check(a_id)));
  EXPECT_EQ(count("SELECT COUNT(*) FROM import_applied"), 2);

  // The same file again: nothing applied twice, the bad rows are bad again.
  const long long history_before = count("SELECT COUNT(*) FROM case_history");
  const ImportOutcome second = run(request(ImportKind::kVisits, csv));
  EXPECT_NE(second.run.id, first.run.id);
  EXPECT_EQ(second.run.rows_applied, 0);
  EXPECT_EQ(second.run.rows_duplicate, 3);
  EXPECT_EQ(second.run.rows_bad, 6);
  EXPECT_EQ(count("SELECT COUNT(*) FROM case_history"), history_before);
  EXPECT_EQ(second.rows[0].status, "duplicate");
  EXPECT_THAT(second.rows[0].reason,
              HasSubstr("已由导入 " + std::to_string(first.run.id) + " 第 2 行登记"));
  EXPECT_EQ(second.rows[0].case_id, std::optional<std::int64_t>(1));
}

TEST_P(ImportConformance, Visits_NameMismatchMemberCheckAndNoCaseInProgress) {
  const Household a = assisted_household("3701020010010001");
  Household idle = people_.household("3701020010010009", kVillage, 2);
  // A household known to the index but without a case in progress: its case was refused.
  s() << "INSERT INTO households (code, village_code, township_code, head_name, created_at,"
         " updated_at) VALUES ('3701020010010009', '370102001001', '370102001', '某人', 0, 0)";
  const std::string stranger = people_.person().id_number;
  const std::string csv = std::string("户编码,户主姓名,身份证号,走访日期,走访人,走访内容\n") +
                          "3701020010010001,别人,,2025-03-10," + kOfficer + ",好\n" +
                          "3701020010010001,," + stranger + ",2025-03-10," + kOfficer + ",好\n" +
                          "3701020010010009,,,2025-03-10," + kOfficer + ",好\n" +
                          "3701020010010001,,,2025-03-10,,好\n";
  (void)a;
  (void)idle;
  const ImportOutcome out = run(request(ImportKind::kVisits, csv));
  expect_rows(out.rows,
              {{2, "bad", "户主姓名", "户主姓名与户编码 3701020010010001 登记的户主不一致"},
               {3, "bad", "身份证号", "不是户编码 3701020010010001 的家庭成员"},
               {4, "bad", "户编码", "没有进行中的监测案件"},
               {5, "bad", "走访人", "缺少走访人"}});
  for (const auto& r : out.rows) {
    EXPECT_EQ(r.reason.find(stranger), std::string::npos) << "an ID number in a reason";
  }
}

TEST_P(ImportConformance, Visits_GbkCsvAndXlsxApplyLikeUtf8) {
  const Household a = assisted_household("3701020010010001");
  const std::string gbk =
      testing::to_gbk(std::string("户编码,走访日期,走访人,走访内容\n") +
                      "3701020010010001,2025-03-10," + kOfficer + ",收入稳定\n");
  const ImportOutcome from_gbk = run(request(ImportKind::kVisits, gbk));
  EXPECT_EQ(from_gbk.run.format, "CSV GBK");
  EXPECT_EQ(from_gbk.run.rows_applied, 1);
  using testing::XlsxCell;
  const std::string xlsx =
      testing::make_xlsx({{XlsxCell::shared("household_code"), XlsxCell::shared("走访日期"),
                           XlsxCell::shared("走访人"), XlsxCell::shared("走访内容")},
                          {XlsxCell::shared("3701020010010001"), XlsxCell::date(45726),
                           XlsxCell::shared(kOfficer), XlsxCell::shared("收入稳定")},
                          {XlsxCell::shared("3701020010010001"), XlsxCell::date(45728),
                           XlsxCell::shared(kOfficer), XlsxCell::inline_string("第二次走访")}});
  const ImportOutcome from_xlsx = run(request(ImportKind::kVisits, xlsx));
  EXPECT_EQ(from_xlsx.run.format, "XLSX");
  // 45726 is 2025-03-10: the same visit as the GBK file's, a duplicate; 45728 is new.
  expect_rows(from_xlsx.rows, {{2, "duplicate", "", "第 2 行登记"}, {3, "applied", "", ""}});
  (void)a;
}

TEST_P(ImportConformance, Cases_OpenCasesFromAListWithBadRows) {
  const auto p1 = people_.person();
  const auto p2 = people_.person();
  const auto p3 = people_.person();
  const auto p4 = people_.person();
  // One row: code, village, the head, phone, then 类型,来源,风险,先帮扶,劳动能力,先帮扶原因.
  auto row = [](const std::string& code, const std::string& village, const testing::Person& p,
                const std::string& phone, const std::string& rest) {
    return code + "," + village + "," + p.name + "," + p.id_number + "," + phone + "," + rest +
           "\n";
  };
  const std::string csv =
      "户编码,村编码,户主姓名,身份证号,联系电话,监测对象类型,信息来源,风险类型,先帮扶后认定,"
      "劳动能力,先帮扶原因\n" +
      row("3701020010010101", kVillage, p1, p1.phone, "边缘易致贫户,村两委排查,因病、因学,否,是,") +
      row("3701020010010102", kVillage, p2, p2.phone,
          "unstable,self_application,illness,是,否,突发重病") +
      row("3701020010010103", kVillage, p3, p3.phone, "富裕户,村两委排查,,,,") +
      row("3701020010010104", "370102001099", p3, p3.phone, "边缘易致贫户,村两委排查,,,,") +
      row("3701020020010105", kOtherVillage, p3, p3.phone, "边缘易致贫户,村两委排查,,,,") +
      row("3701020010010106", kVillage, p3, "12345", "边缘易致贫户,村两委排查,因穷,,,") +
      row("3701020010010107", kVillage, p3, "12345", "边缘易致贫户,村两委排查,,,,") +
      row("3701020010010101", kVillage, p1, p1.phone, "边缘易致贫户,村两委排查,,,,") +
      row("3701020010010108", kVillage, p4, p4.phone, "突发严重困难户,村两委排查,因灾,是,否,");
  const ImportOutcome out = run(request(ImportKind::kCases, csv));
  expect_rows(out.rows, {{2, "applied", "", ""},
                         {3, "applied", "", ""},
                         {4, "bad", "监测对象类型", "“富裕户”不是已配置的监测对象类型"},
                         {5, "bad", "村编码", "村编码 370102001099 不在本县的配置中"},
                         {6, "bad", "村编码", "outside your scope"},
                         {7, "bad", "风险类型", "“因穷”不是已知的风险类型"},
                         {8, "bad", "联系电话", "电话"},
                         {9, "duplicate", "", "第 2 行登记"},
                         {10, "bad", "先帮扶原因", "须写明紧急原因"}});
  const CaseReader repo(s(), config_);
  const auto first = repo.load(*out.rows[0].case_id);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->snapshot.data.kind, "marginal");
  EXPECT_EQ(first->snapshot.data.household.members.at(0).id_number, p1.id_number);
  EXPECT_TRUE(first->snapshot.data.household.members.at(0).able_to_work);
  EXPECT_EQ(first->snapshot.data.risk_causes.size(), 2u);
  EXPECT_EQ(first->history.at(0).actor, "镇扶贫办李*");
  const auto second = repo.load(*out.rows[1].case_id);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->snapshot.data.emergency);
}

// Issue 16: a row repeating a household code with another head and ID number was counted as a
// duplicate and listed nowhere; now it is a bad row naming the line it conflicts with, in this
// file or in an earlier import, while a true repeat stays a duplicate.
TEST_P(ImportConformance, Cases_ConflictingRowsAreBadAndNameTheRowTheyConflictWith) {
  const auto p1 = people_.person();
  const auto p2 = people_.person();
  const auto p3 = people_.person();
  const std::string header =
      "户编码,村编码,户主姓名,身份证号,联系电话,监测对象类型,信息来源,风险类型\n";
  auto row = [](const std::string& code, const testing::Person& p, const std::string& causes) {
    return code + "," + kVillage + "," + p.name + "," + p.id_number + "," + p.phone +
           ",边缘易致贫户,村两委排查," + causes + "\n";
  };
  const std::string csv = header + row("3701020010010201", p1, "因病") +  // 2: applied
                          row("3701020010010201", p2, "因病") +           // 3: another head and ID
                          row("3701020010010201", p1, "因病") +           // 4: a true repeat of 2
                          row("3701020010010201", p1, "因学");  // 5: the same household again
  const ImportOutcome first = run(request(ImportKind::kCases, csv));
  expect_rows(first.rows,
              {{2, "applied", "", ""},
               {3, "bad", "户主姓名", "与本文件第 2 行的记录相同但户主姓名、身份证号不一致"},
               {4, "duplicate", "", "第 2 行登记"},
               {5, "duplicate", "", "第 2 行登记"}});
  EXPECT_EQ(first.run.rows_bad, 1);
  EXPECT_EQ(first.run.rows_duplicate, 2);
  EXPECT_THAT(first.rows[1].reason, HasSubstr("conflicts with line 2 of this file"));
  EXPECT_THAT(first.rows[1].reason, ::testing::Not(HasSubstr(p2.id_number)));
  EXPECT_THAT(first.rows[1].reason, ::testing::Not(HasSubstr(p1.id_number)));
  // Listed with the bad rows (the API's bad-rows.csv reads these).
  EXPECT_EQ(load_import_rows(s(), first.run.id, "bad").size(), 1u);

  // A later import naming the same household with a third person: the earlier run's line.
  const ImportOutcome second =
      run(request(ImportKind::kCases, header + row("3701020010010201", p3, "因病")));
  expect_rows(second.rows, {{2, "bad", "户主姓名",
                             "与导入 " + std::to_string(first.run.id) + " 第 2 行的记录相同"}});
  EXPECT_EQ(count("SELECT COUNT(*) FROM cases"), 1);
}

// Issue 16: the text rules of the API hold for imports (text_rules.h): codes of the program's
// shape, no control or invisible characters, names in NFC.
TEST_P(ImportConformance, Cases_CodesAndNamesFollowTheRulesOfEveryWayIn) {
  const auto p1 = people_.person();
  const std::string header =
      "户编码,村编码,户主姓名,身份证号,联系电话,监测对象类型,信息来源,风险类型\n";
  auto row = [](const std::string& code, const std::string& name, const testing::Person& p) {
    return code + "," + kVillage + "," + name + "," + p.id_number + "," + p.phone +
           ",边缘易致贫户,村两委排查,因病\n";
  };
  // U+F900 is a CJK compatibility ideograph: NFC makes it U+8C48, the character it stands for.
  const std::string compat = "\xef\xa4\x80", unified = "\xe8\xb1\x88";
  const std::string csv = header + row("x", p1.name, people_.person()) +                    // 2
                          row("3701020010010301", "\xe2\x80\x8b", people_.person()) +       // 3
                          row("3701020010010302\xe2\x80\xae", p1.name, people_.person()) +  // 4
                          row("3701020020010303", p1.name, people_.person()) +              // 5
                          row(std::string(10000, '1'), p1.name, people_.person()) +         // 6
                          row("3701020010010304", "李" + compat, p1);                       // 7
  const ImportOutcome out = run(request(ImportKind::kCases, csv));
  expect_rows(out.rows, {{2, "bad", "户编码", "户编号只能由数字组成"},
                         {3, "bad", "户主姓名", "不可见字符 U+200B"},
                         {4, "bad", "户编码", "不可见字符 U+202E"},
                         {5, "bad", "户编码", "应以所属村代码开头"},
                         {6, "bad", "户编码", "户编号只能由数字组成"},
                         {7, "applied", "", ""}});
  const CaseReader repo(s(), config_);
  const auto opened = repo.load(*out.rows[5].case_id);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->snapshot.data.household.members.at(0).name, "李" + unified);
}

// Issue 16: an XLSX row number past 2^32 (99999999999) was reported as line 1215752191. It is
// the bad row's line in the answer, in storage (BIGINT on PostgreSQL) and in bad-rows.csv.
TEST_P(ImportConformance, XlsxRowNumbersPast32BitsStayExact) {
  using testing::XlsxCell;
  const std::int64_t far = 99'999'999'999;
  const std::string xlsx =
      testing::make_xlsx({{XlsxCell::shared("户编码"), XlsxCell::shared("走访日期"),
                           XlsxCell::shared("走访人"), XlsxCell::shared("走访内容")},
                          {XlsxCell::shared("3701029999999999"), XlsxCell::shared("2025-03-10"),
                           XlsxCell::shared(kOfficer), XlsxCell::shared("好")},
                          {XlsxCell::shared("3701029999999998"), XlsxCell::shared("2025-03-10"),
                           XlsxCell::shared(kOfficer), XlsxCell::shared("好")}},
                         false, {1, far, far + 1});
  const ImportOutcome out = run(request(ImportKind::kVisits, xlsx));
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_EQ(out.rows[0].line, far);
  EXPECT_EQ(out.rows[1].line, far + 1);
  EXPECT_EQ(out.rows[0].status, "bad");
  EXPECT_THAT(out.rows[0].reason, HasSubstr("不存在"));
  const auto stored = load_import_rows(s(), out.run.id, "bad");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].line, far);
  EXPECT_EQ(stored[1].line, far + 1);
  const auto run_record = load_import_run(s(), out.run.id);
  ASSERT_TRUE(run_record);
  EXPECT_THAT(bad_rows_csv(*run_record, stored), HasSubstr("\r\n99999999999,"));
}

TEST_P(ImportConformance, UnreadableFilesStoreNothing) {
  for (const std::string& bytes :
       {std::string("户编码,走访人\n1,2\n"), std::string("户编码,走访日期,走访人,走访内容\n\"open"),
        std::string("")}) {
    const test::StoredCases cases(s(), config_, clock_);
    auto result = run_import(s(), cases.work(), request(ImportKind::kVisits, bytes));
    ASSERT_TRUE(std::holds_alternative<ImportFileError>(result)) << bytes;
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM import_runs"), 0);
}

// Streaming: a file that turns bad after good rows (an unterminated quote, bytes that are not
// UTF-8 after UTF-8 text) is refused as a whole and applies nothing.
TEST_P(ImportConformance, FilesThatTurnBadHalfWayApplyNothing) {
  assisted_household("3701020010010001");
  std::string good = "户编码,走访日期,走访人,走访内容\n";
  for (int day = 1; day <= 9; ++day) {
    good += "3701020010010001,2025-03-0" + std::to_string(day) + "," + kOfficer + ",好\n";
  }
  for (const std::string& bytes : {good + "3701020010010001,2025-03-10,\"open\n",
                                   good + "3701020010010001,2025-03-10,\xFF\xFE,好\n"}) {
    const test::StoredCases cases(s(), config_, clock_);
    auto result = run_import(s(), cases.work(), request(ImportKind::kVisits, bytes));
    ASSERT_TRUE(std::holds_alternative<ImportFileError>(result));
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM import_runs"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM import_applied"), 0);
}

// Without keep_all_rows (the API's way) the outcome keeps only the first bad rows; every row is
// still counted and stored.
TEST_P(ImportConformance, OnlyTheFirstBadRowsNeedBeKept) {
  assisted_household("3701020010010001");
  const std::string officer = kOfficer;
  const std::string csv = "户编码,走访日期,走访人,走访内容\n3701020010010001,2025-03-10," +
                          officer + ",好\n3701029999999999,2025-03-11," + officer +
                          ",好\n3701020010010001,2025-03-10," + officer +
                          ",好\n3701020010010001,2025-02-30," + officer + ",好\n";
  ImportRequest r = request(ImportKind::kVisits, csv);
  r.keep_all_rows = false;
  r.max_bad_rows_kept = 1;
  const ImportOutcome out = run(r);
  expect_rows(out.rows, {{3, "bad", "户编码", "不存在"}});
  EXPECT_EQ(out.run.rows_total, 4);
  EXPECT_EQ(out.run.rows_applied, 1);
  EXPECT_EQ(out.run.rows_bad, 2);
  EXPECT_EQ(out.run.rows_duplicate, 1);
  expect_rows(load_import_rows(s(), out.run.id), {{2, "applied", "", ""},
                                                  {3, "bad", "户编码", "不存在"},
                                                  {4, "duplicate", "", "第 2 行登记"},
                                                  {5, "bad", "走访日期", "不是有效日期"}});
}

// The API imports in steps (ImportJob), letting other work run between them: steps of one row
// give the same run as run_import().
TEST_P(ImportConformance, StepsOfOneRowGiveTheSameRun) {
  assisted_household("3701020010010001");
  const std::string officer = kOfficer;
  const std::string csv = "户编码,走访日期,走访人,走访内容\n3701020010010001,2025-03-10," +
                          officer + ",好\n3701029999999999,2025-03-11," + officer +
                          ",好\n3701020010010001,2025-03-10," + officer + ",好\n";
  const test::StoredCases cases(s(), config_, clock_);
  const ImportRequest r = request(ImportKind::kVisits, csv);
  auto started = ImportJob::start(s(), cases.work(), r);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<ImportJob>>(started));
  ImportJob& job = *std::get<std::unique_ptr<ImportJob>>(started);
  int steps = 1;
  while (!job.step(s(), 1)) ++steps;
  EXPECT_EQ(steps, 4);  // three rows, then the end
  EXPECT_TRUE(job.step(s(), 1));
  const std::vector<Expected> expected = {
      {2, "applied", "", ""}, {3, "bad", "户编码", "不存在"}, {4, "duplicate", "", "第 2 行登记"}};
  expect_rows(job.outcome().rows, expected);
  const auto stored = load_import_run(s(), job.outcome().run.id);
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->finished_at);
  EXPECT_EQ(stored->rows_applied, 1);
  EXPECT_EQ(stored->rows_bad, 1);
  EXPECT_EQ(stored->rows_duplicate, 1);
  expect_rows(load_import_rows(s(), job.outcome().run.id), expected);
}

// Group commit (issue 15): a step's rows share one transaction, each under its own savepoint.
// A good row, a bad one, one the case rules refuse, a repeat within the file, a row another
// import applied meanwhile, and another good row, all in one step: each gets its own status, the
// good rows' cases are stored with their deadlines (duties and timers), nothing of the others.
// On PostgreSQL the other import commits the key while the row is being applied, so the row's
// own insert of it fails on the unique key and only that row goes back to its savepoint; on
// SQLite a step holds the one write lock from its check to its insert, so the other import's key
// is there before the step (the same answer through the check).
TEST_P(ImportConformance, Cases_OneStepGivesEachRowItsOwnOutcome) {
  const auto p1 = people_.person(), p2 = people_.person(), p3 = people_.person();
  const auto p4 = people_.person(), p5 = people_.person();
  auto row = [](const std::string& code, const testing::Person& p, const std::string& id,
                const std::string& rest) {
    return code + "," + kVillage + "," + p.name + "," + id + "," + p.phone + "," + rest + "\n";
  };
  // Emergencies (先帮扶后认定): assistance starts with the opening, and so do its deadlines.
  const std::string good = "突发严重困难户,村两委排查,因灾,是,否,房屋倒塌";
  const std::string csv =
      "户编码,村编码,户主姓名,身份证号,联系电话,监测对象类型,信息来源,风险类型,先帮扶后认定,"
      "劳动能力,先帮扶原因\n" +
      row("3701020010010201", p1, p1.id_number, good) +
      row("3701020010010202", p2, with_wrong_check(p2.id_number), good) +
      // an emergency without its reason: the case machine refuses it
      row("3701020010010203", p3, p3.id_number, "突发严重困难户,村两委排查,因灾,是,否,") +
      row("3701020010010201", p1, p1.id_number, good) +
      row("3701020010010204", p4, p4.id_number, good) +
      row("3701020010010205", p5, p5.id_number, good);
  const std::string raced = "3701020010010204";

  // The other import: its run, and the key of line 6 it applies.
  auto other = db_->open_session();
  ImportRunRecord other_run;
  other_run.file_name = "另一份.csv";
  other_run.kind = "cases";
  other_run.started_at = clock_.now();
  const std::int64_t other_id = insert_import_run(*other, other_run);
  auto apply_other = [&] {
    insert_applied_key(*other, "cases|" + raced, other_id, 7, std::nullopt, clock_.now());
  };
  const bool race = GetParam() == Backend::kPostgresql;
  if (!race) apply_other();
  bool raced_applied = false;
  const auto config = std::make_shared<const Config>(config_);
  CalendarLoad calendar = load_calendar_dir(FANGFAN_SOURCE_DIR "/config/calendar");
  ASSERT_TRUE(calendar.calendar);
  const CaseChangeHook timers = make_timer_hook(
      config, std::make_shared<const WorkingDayCalendar>(std::move(*calendar.calendar)));
  const test::StoredCases cases(
      s(), config_, clock_, [&](soci::session& session, const CaseChange& change) {
        timers(session, change);
        if (race && change.snapshot.data.household.code == raced) {
          apply_other();  // committed at once, before this row's own insert of the key
          raced_applied = true;
        }
      });
  auto result = run_import(s(), cases.work(), request(ImportKind::kCases, csv));
  ASSERT_TRUE(std::holds_alternative<ImportOutcome>(result));
  const ImportOutcome& out = std::get<ImportOutcome>(result);
  EXPECT_EQ(raced_applied, race);
  const std::vector<Expected> expected = {
      {2, "applied", "", ""},
      {3, "bad", "身份证号", "身份证号校验位错误"},
      {4, "bad", "先帮扶原因", "refused by the case rules"},
      {5, "duplicate", "", "已由导入 " + std::to_string(out.run.id) + " 第 2 行登记"},
      {6, "duplicate", "", "已由导入 " + std::to_string(other_id) + " 第 7 行登记"},
      {7, "applied", "", ""}};
  expect_rows(out.rows, expected);
  expect_rows(load_import_rows(s(), out.run.id), expected);
  const auto stored = load_import_run(s(), out.run.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->rows_applied, 2);
  EXPECT_EQ(stored->rows_duplicate, 2);
  EXPECT_EQ(stored->rows_bad, 2);

  // The good rows' cases with their deadlines; nothing of the others, the raced row's case,
  // history and deadlines (written before its key failed) included.
  const std::string good_cases = "(SELECT id FROM cases WHERE household_code IN ('" +
                                 std::string("3701020010010201', '3701020010010205'))");
  EXPECT_EQ(count("SELECT COUNT(*) FROM cases"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM cases WHERE id IN " + good_cases), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM households WHERE code IN ('3701020010010202', "
                  "'3701020010010203', '3701020010010204')"),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM case_history"), 2);
  EXPECT_EQ(
      count("SELECT COUNT(*) FROM import_applied WHERE run_id = " + std::to_string(out.run.id)), 2);
  for (const char* table : {"duties", "timers"}) {
    SCOPED_TRACE(table);
    EXPECT_EQ(count("SELECT COUNT(DISTINCT case_id) FROM " + std::string(table) +
                    " WHERE case_id IN " + good_cases),
              2);
    EXPECT_EQ(count("SELECT COUNT(*) FROM " + std::string(table) +
                    " WHERE case_id IS NULL OR "
                    "case_id NOT IN " +
                    good_cases),
              0);
  }
}

// A failure in a row rolls its whole step back, the rows before it in the step included: the
// rows of a step are all committed or none is. The job is spent; importing the file again
// applies every row exactly once (the earlier steps' rows are duplicates).
TEST_P(ImportConformance, AFailureRollsItsStepBackAndARerunAppliesEachRowOnce) {
  assisted_household("3701020010010001");
  std::string csv = "户编码,走访日期,走访人,走访内容\n";
  for (int day = 10; day < 15; ++day) {
    csv += "3701020010010001,2025-03-" + std::to_string(day) + "," + kOfficer + ",好\n";
  }
  const ImportRequest r = request(ImportKind::kVisits, csv);
  int calls = 0, fail_at = 3;
  const test::StoredCases failing(s(), config_, clock_, [&](soci::session&, const CaseChange& c) {
    if (++calls == fail_at) {
      throw StorageError(StorageError::Kind::kQuery, "hook failed " + std::to_string(c.case_id));
    }
  });
  auto visits = [&] {
    const CaseReader repo(s(), config_);
    return static_cast<long long>(repo.load(1)->snapshot.data.visits.size());
  };

  // One step of every row: the third fails, the first two go back with it.
  EXPECT_THROW(run_import(s(), failing.work(), r), StorageError);
  EXPECT_EQ(count("SELECT COUNT(*) FROM import_applied"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM import_rows"), 0);
  EXPECT_EQ(visits(), 0);

  // Steps of two: the first commits, the second fails in its first row (the third row).
  calls = 0;
  auto started = ImportJob::start(s(), failing.work(), r);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<ImportJob>>(started));
  ImportJob& job = *std::get<std::unique_ptr<ImportJob>>(started);
  EXPECT_FALSE(job.step(s(), 2));
  EXPECT_THROW(job.step(s(), 2), StorageError);
  EXPECT_THROW(job.step(s(), 2), std::logic_error);
  EXPECT_EQ(count("SELECT COUNT(*) FROM import_applied"), 2);
  EXPECT_EQ(visits(), 2);
  const auto half = load_import_run(s(), job.outcome().run.id);
  ASSERT_TRUE(half);
  EXPECT_FALSE(half->finished_at);
  EXPECT_EQ(half->rows_applied, 2);  // the counts of the committed steps
  EXPECT_EQ(load_import_rows(s(), half->id).size(), 2u);

  // Once more, with nothing failing: the two applied rows are duplicates, the rest applied once.
  fail_at = -1;
  const ImportOutcome again = run(r);
  EXPECT_EQ(again.run.rows_applied, 3);
  EXPECT_EQ(again.run.rows_duplicate, 2);
  EXPECT_EQ(visits(), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM import_applied"), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM case_history WHERE event = 'record_visit'"), 5);
}

#if defined(FANGFAN_IMPORT_TEST_SQLITE)
INSTANTIATE_TEST_SUITE_P(Sqlite, ImportConformance, ::testing::Values(Backend::kSqlite),
                         [](const auto&) { return std::string("Sqlite"); });
#elif defined(FANGFAN_IMPORT_TEST_POSTGRESQL)
INSTANTIATE_TEST_SUITE_P(Postgresql, ImportConformance, ::testing::Values(Backend::kPostgresql),
                         [](const auto&) { return std::string("Postgresql"); });
#else
INSTANTIATE_TEST_SUITE_P(Both, ImportConformance,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgresql));
#endif

}  // namespace
}  // namespace fangfan
