// Bulk import end to end: real HTTP/1.1 on loopback against a TestApiServer (temporary SQLite
// database, the example county, a simulated clock starting 2025-03-03 09:00 China time), with
// bearer tokens; and `fangfanctl import` against the same server. Households are generated
// people (tests/support/people.h).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC 12 bug 109224 (coroutines)

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/import/import_table.h"
#include "adapters/storage/case_json.h"
#include "daemon/ctl/ctl_import.h"
#include "tests/daemon/api_test_server.h"
#include "tests/support/import_files.h"
#include "tests/support/people.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using test::http_once;
using test::Reply;
using test::TestApiServer;
using ::testing::HasSubstr;

constexpr const char* kTownship = "379901001";
constexpr const char* kVillage = "379901001001";
constexpr const char* kOtherVillage = "379901001002";
constexpr const char* kOfficer = "第一书记赵*";

class ImportApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clerk_ = server_.token(Role::kTownshipClerk, kTownship, "镇扶贫办李*");
    village_ = server_.token(Role::kVillageOfficer, kVillage, "村干部王*");
    auditor_ = server_.token(Role::kAuditor, "379901", "审计张*");
  }

  Reply post(const std::string& target, const std::string& token, const std::string& body) {
    return http_once(server_.port(), http::verb::post, target, token, body);
  }
  Reply get(const std::string& target, const std::string& token) {
    return http_once(server_.port(), http::verb::get, target, token);
  }

  // An emergency case with an officer for a generated household in `village`; its code.
  std::string assisted(const std::string& village, int n) {
    const std::string code = village + "000" + std::to_string(n);
    Household h = people_.household(code, village, 3);
    heads_[code] = h.members[0];
    json::object body;
    body["household"] = case_json::encode(h);
    body["kind"] = "sudden";
    body["source"] = "village_screening";
    body["risk_causes"] = json::array{"illness"};
    body["emergency"] = true;
    body["emergency_reason"] = "突发重病";
    Reply opened = post("/api/v1/cases", clerk_, json::serialize(body));
    EXPECT_EQ(opened.status, 201u) << opened.body;
    const std::int64_t id = opened.json().at("case").at("id").as_int64();
    Reply assigned =
        post("/api/v1/cases/" + std::to_string(id) + "/events", clerk_,
             json::serialize(json::object{{"type", "assign_officer"}, {"officer", kOfficer}}));
    EXPECT_EQ(assigned.status, 200u) << assigned.body;
    return code;
  }

  std::string visits_csv() {
    const std::string a = assisted(kVillage, 1);
    const std::string b = assisted(kOtherVillage, 2);
    std::string bad_id = heads_[a].id_number;
    bad_id.back() = bad_id.back() == '1' ? '2' : '1';
    return std::string("\xEF\xBB\xBF") + "户编码,户主姓名,身份证号,走访日期,走访人,走访内容\r\n" +
           a + "," + heads_[a].name + "," + heads_[a].id_number + ",2025-03-03," + kOfficer +
           ",收入稳定\r\n" +                                                          // 2 good
           b + ",,,2025-03-03," + kOfficer + ",\"家中有病人，\r\n已申请救助\"\r\n" +  // 3 good
           a + ",," + bad_id + ",2025-03-02," + kOfficer + ",好\r\n" +                // 5 bad ID
           "379901001001999,,,2025-03-02," + kOfficer + ",好\r\n" +                   // 6 unknown
           a + ",,,2025年2月30日," + kOfficer + ",好\r\n" +                           // 7 bad date
           a + ",,,2025-03-01\r\n";                                                   // 8 missing
  }

  int ctl(std::vector<std::string> args, std::string& out, std::string& err) {
    CtlEnvironment env;
    env.getenv = [](const std::string&) { return std::optional<std::string>(); };
    args.insert(args.end(), {"--api", "127.0.0.1:" + std::to_string(server_.port())});
    std::ostringstream o, e;
    const int code = run_import_command(args, env, o, e);
    out = o.str();
    err = e.str();
    return code;
  }

  TestApiServer server_;
  testing::PeopleGenerator people_{20251124};
  std::map<std::string, Member> heads_;
  std::string clerk_, village_, auditor_;
};

TEST_F(ImportApiTest, MixedRowsOverHttpThenAgainAppliesNothing) {
  const std::string csv = visits_csv();
  Reply r = post("/api/v1/imports?kind=visits&name=%E8%B5%B0%E8%AE%BF.csv", clerk_, csv);
  ASSERT_EQ(r.status, 201u) << r.body;
  const json::value body = r.json();
  const json::object& run = body.at("import").as_object();
  EXPECT_EQ(run.at("file_name").as_string(), "走访.csv");
  EXPECT_EQ(run.at("format").as_string(), "CSV UTF-8 (BOM)");
  EXPECT_EQ(run.at("rows_total").as_int64(), 6);
  EXPECT_EQ(run.at("applied").as_int64(), 2);
  EXPECT_EQ(run.at("duplicate").as_int64(), 0);
  EXPECT_EQ(run.at("bad").as_int64(), 4);
  EXPECT_EQ(run.at("actor").as_string(), "镇扶贫办李*");
  const json::array& bad = body.at("bad_rows").as_array();
  ASSERT_EQ(bad.size(), 4u);
  const std::vector<std::tuple<int, std::string, std::string>> expected = {
      {5, "身份证号", "身份证号校验位错误"},
      {6, "户编码", "户编码 379901001001999 不存在"},
      {7, "走访日期", "“2025年2月30日”不是有效日期"},
      {8, "走访人", "缺少走访人"},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(bad[i].at("line").as_int64(), std::get<0>(expected[i]));
    EXPECT_EQ(bad[i].at("field").as_string(), std::get<1>(expected[i]));
    EXPECT_THAT(std::string(bad[i].at("reason").as_string()), HasSubstr(std::get<2>(expected[i])));
  }
  EXPECT_EQ(r.body.find(heads_.begin()->second.id_number), std::string::npos)
      << "an ID number in the answer";

  const std::string id = std::to_string(run.at("id").as_int64());
  Reply shown = get("/api/v1/imports/" + id, clerk_);
  ASSERT_EQ(shown.status, 200u) << shown.body;
  EXPECT_EQ(shown.json().at("bad_rows").as_array().size(), 4u);

  Reply csv_reply = get("/api/v1/imports/" + id + "/bad-rows.csv", clerk_);
  ASSERT_EQ(csv_reply.status, 200u) << csv_reply.body;
  EXPECT_THAT(std::string(csv_reply.headers[http::field::content_type]), HasSubstr("text/csv"));
  EXPECT_THAT(std::string(csv_reply.headers[http::field::content_disposition]),
              HasSubstr("import-" + id + "-bad-rows.csv"));
  auto table = read_import_table(csv_reply.body);
  ASSERT_TRUE(std::holds_alternative<ImportTable>(table));
  const ImportTable& t = std::get<ImportTable>(table);
  EXPECT_EQ(t.format, "CSV UTF-8 (BOM)");
  EXPECT_EQ(t.header.back(), "错误原因");
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[0].cells[0], "5");

  Reply again = post("/api/v1/imports?kind=visits&name=again.csv", clerk_, csv);
  ASSERT_EQ(again.status, 201u) << again.body;
  const json::value again_body = again.json();
  const json::object& run2 = again_body.at("import").as_object();
  EXPECT_EQ(run2.at("applied").as_int64(), 0);
  EXPECT_EQ(run2.at("duplicate").as_int64(), 2);
  EXPECT_EQ(run2.at("bad").as_int64(), 4);
}

TEST_F(ImportApiTest, ScopeIsCheckedPerRowAndOnReading) {
  const std::string csv = visits_csv();
  // The village officer's token covers the first household's village only.
  Reply r = post("/api/v1/imports?kind=visits", village_, csv);
  ASSERT_EQ(r.status, 201u) << r.body;
  const json::value body = r.json();
  EXPECT_EQ(body.at("import").at("applied").as_int64(), 1);
  const json::array& bad = body.at("bad_rows").as_array();
  ASSERT_GE(bad.size(), 1u);
  EXPECT_EQ(bad[0].at("line").as_int64(), 3);
  EXPECT_EQ(bad[0].at("field").as_string(), "户编码");
  EXPECT_THAT(std::string(bad[0].at("reason").as_string()), HasSubstr("outside your scope"));
  const std::string id = std::to_string(body.at("import").at("id").as_int64());
  const std::string other = server_.token(Role::kVillageOfficer, kOtherVillage, "村干部孙*");
  EXPECT_EQ(get("/api/v1/imports/" + id, other).status, 403u);
  EXPECT_EQ(get("/api/v1/imports/" + id + "/bad-rows.csv", other).status, 403u);
  EXPECT_EQ(get("/api/v1/imports/" + id, clerk_).status, 200u);  // the township covers it
  // Auditors read the report, not the unmasked bad rows.
  EXPECT_EQ(get("/api/v1/imports/" + id, auditor_).status, 200u);
  EXPECT_EQ(get("/api/v1/imports/" + id + "/bad-rows.csv", auditor_).status, 403u);
  EXPECT_EQ(get("/api/v1/imports/999", clerk_).status, 404u);
}

TEST_F(ImportApiTest, RefusalsOfTheWholeFile) {
  const std::string csv = "户编码,走访日期,走访人,走访内容\n1,2025-03-03,a,b\n";
  EXPECT_EQ(post("/api/v1/imports?kind=visits", auditor_, csv).status, 403u);
  Reply no_kind = post("/api/v1/imports", clerk_, csv);
  EXPECT_EQ(no_kind.status, 400u);
  EXPECT_EQ(no_kind.field("field"), "kind");
  EXPECT_EQ(post("/api/v1/imports?kind=people", clerk_, csv).status, 400u);
  Reply empty = post("/api/v1/imports?kind=visits", clerk_, "");
  EXPECT_EQ(empty.status, 400u);
  EXPECT_EQ(empty.field("field"), "file");
  Reply missing = post("/api/v1/imports?kind=visits", clerk_, "户编码,走访人\n1,a\n");
  EXPECT_EQ(missing.status, 400u);
  EXPECT_THAT(missing.field("message"), HasSubstr("走访日期、走访内容"));
  EXPECT_EQ(get("/api/v1/imports/1", clerk_).status, 404u) << "a refused file stores no run";
  EXPECT_EQ(post("/api/v1/imports?kind=visits", "", csv).status, 401u);
}

TEST_F(ImportApiTest, XlsxAndBodiesLargerThanTheGeneralLimit) {
  const std::string a = assisted(kVillage, 1);
  using testing::XlsxCell;
  // A filler column the importer ignores makes the file larger than the 1 MiB general limit.
  const std::string filler(1536 * 1024, 'x');
  const std::string xlsx = testing::make_xlsx(
      {{XlsxCell::shared("户编码"), XlsxCell::shared("走访日期"), XlsxCell::shared("走访人"),
        XlsxCell::shared("走访内容"), XlsxCell::shared("附件")},
       {XlsxCell::shared(a), XlsxCell::date(45719), XlsxCell::shared(kOfficer),
        XlsxCell::shared("收入稳定"), XlsxCell::inline_string(filler)}});
  Reply r = post("/api/v1/imports?kind=visits&name=visits.xlsx", clerk_, xlsx);
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.json().at("import").at("format").as_string(), "XLSX");
  EXPECT_EQ(r.json().at("import").at("applied").as_int64(), 1);

  const std::string big_csv = "户编码,走访日期,走访人,走访内容,附件\n" + a + ",2025-03-03," +
                              kOfficer + ",再次走访," + filler + "\n";
  Reply big = post("/api/v1/imports?kind=visits", clerk_, big_csv);
  EXPECT_EQ(big.status, 201u) << big.body.substr(0, 300);
  // Other routes keep the general limit.
  Reply refused = post("/api/v1/cases", clerk_, std::string(1536 * 1024, ' ') + "{}");
  EXPECT_EQ(refused.status, 413u);
}

TEST_F(ImportApiTest, FangfanctlImportPrintsCountsAndBadRowsAndExitsNonZero) {
  test::TempDir dir;
  const std::string file = (dir.path() / "走访记录.csv").string();
  {
    std::ofstream f(file, std::ios::binary);
    f << testing::to_gbk(visits_csv().substr(3));  // the same rows, as a GBK export
  }
  std::string out, err;
  EXPECT_EQ(ctl({file, "--kind", "visits", "--token", clerk_, "--bad-rows",
                 (dir.path() / "bad.csv").string()},
                out, err),
            1)
      << err;
  EXPECT_THAT(out, HasSubstr("走访记录.csv（CSV GBK，visits）"));
  EXPECT_THAT(out,
              HasSubstr("共 6 行 (rows)：已登记 (applied) 2，重复 (duplicate) 0，错误 (bad) 4"));
  EXPECT_THAT(out, HasSubstr("身份证号校验位错误"));
  EXPECT_THAT(out, HasSubstr("缺少走访人"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "bad.csv"));

  // A row applied before, alone: a duplicate, and nothing bad, so exit 0.
  const std::string again = (dir.path() / "again.csv").string();
  {
    std::ofstream f(again, std::ios::binary);
    f << "户编码,走访日期,走访人,走访内容\n"
      << heads_.begin()->first << ",2025-03-03," << kOfficer << ",收入稳定\n";
  }
  EXPECT_EQ(ctl({again, "--kind", "visits", "--token", clerk_}, out, err), 0) << err;
  EXPECT_THAT(out, HasSubstr("已登记 (applied) 0，重复 (duplicate) 1，错误 (bad) 0"));

  EXPECT_EQ(ctl({"show", "1", "--token", clerk_}, out, err), 1) << err;
  EXPECT_THAT(out, HasSubstr("导入 (import) 1"));
  EXPECT_EQ(ctl({file, "--token", clerk_}, out, err), 2);
  EXPECT_THAT(err, HasSubstr("--kind"));
  EXPECT_EQ(ctl({file, "--kind", "visits", "--token", village_ + "x"}, out, err), 1);
}

}  // namespace
}  // namespace fangfan
