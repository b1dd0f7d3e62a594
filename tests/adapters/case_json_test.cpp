// Case data as JSON (adapters/storage/case_json.h): exact round trips of every field, the stored
// form of the scalars the core adds (codes, times, dates, months), and errors that name the field.
#include "adapters/storage/case_json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/storage/case_text.h"
#include "tests/support/people.h"
#include "workflows/date.h"
#include "workflows/household.h"

namespace fangfan {
namespace {

using namespace std::chrono_literals;
using std::chrono::May;

TimePoint at(const char* text) { return parse_time(text).value(); }
Date day(const char* text) { return parse_date(text).value(); }

// A case with every field of CaseData set to something other than its default.
CaseData every_field() {
  testing::PeopleGenerator people(11);
  CaseData d;
  d.case_id = "42";
  d.kind = "marginal";
  d.household = people.household("3799010010010007", "379901001001", 4);
  d.household.members[1].disabled = true;
  d.household.members[2].student = true;
  d.source = DiscoverySource::kDepartmentAlert;
  d.risk_causes = {RiskCause::kIllness, RiskCause::kEducation};
  d.emergency = true;
  d.emergency_reason = "房屋因洪灾倒塌";
  d.previous_case_id = "7";
  d.alert_id = 9'000'000'000'001;  // beyond 32 bits
  d.opened = {"村委会王*", at("2024-05-06T09:10:11")};
  d.last_event_at = at("2025-04-01T16:00:00");

  VerificationRecord& v = d.verification.emplace();
  v.verifier = "镇扶贫办李*";
  v.started = {"镇扶贫办李*", at("2024-05-07T10:00:00")};
  v.recorded = Stamp{"镇扶贫办李*", at("2024-05-09T15:30:00")};
  MonthlyAccount a;
  a.month = 2023y / May;
  a.wage_income_fen = 1;
  a.business_income_fen = 2;
  a.property_income_fen = 3;
  a.transfer_income_fen = 4;
  a.business_expense_fen = 5;
  a.medical_expense_fen = 6;
  a.education_expense_fen = 7;
  a.disability_expense_fen = 9'000'000'000'000;  // beyond 32 bits
  v.accounts = {a, MonthlyAccount{}};            // an unset month too: year 0, month 0
  v.hardship = {true, IncomeDropCause::kAccident, true};
  v.exclusions = {{"car", "2022年购置车辆一辆"}};
  v.discretion = Discretion{"医疗支出明显高于收入", "县乡村振兴局张*"};
  v.eligible = true;
  v.discretionary = true;
  v.per_capita_income_fen = -12;
  v.conclusion = "符合纳入监测条件";

  d.reviews = {{kStepDemocraticReview, {"村委会王*", at("2024-05-10T09:00:00")}, true, ""},
               {kStepCountyReview, {"县乡村振兴局张*", at("2024-05-12T09:00:00")}, false, "有车"}};
  d.cross_check_exclusions = {{"company", "注册公司"}};
  d.objections = {"邻居反映收入不实", "第二条异议"};
  d.publicity_started_at = at("2024-05-13T09:00:00");
  d.registered_at = at("2024-05-20T09:00:00");
  d.officer = "第一书记赵*";
  d.officer_assigned = Stamp{"镇扶贫办李*", at("2024-05-21T09:00:00")};
  d.measures = {{1,
                 MeasureType::kDrinkingWater,
                 "改水",
                 day("2024-05-22"),
                 MeasureStatus::kStopped,
                 {"第一书记赵*", at("2024-05-22T09:00:00")}}};
  d.visits = {
      {day("2024-06-01"), "第一书记赵*", "住房安全", {"第一书记赵*", at("2024-06-01T18:00")}}};
  MonitoringRecord m;
  m.account = a;
  m.basic_needs_secure = false;
  m.drinking_water_safe = false;
  m.family_changes = "新生儿一名";
  m.policy_status = "医保已落实";
  m.risk = RiskTrend::kIncreased;
  m.notes = "持续关注";
  m.recorded = {"第一书记赵*", at("2024-06-25T09:00:00")};
  d.monitoring = {m};
  d.developmental_assistance_on = day("2024-07-01");
  d.department_evidence = {{"civil_affairs",
                            "civil_affairs",
                            "2024-06",
                            "new_assistance",
                            "新纳入低保/特困/临时救助",
                            "救助类别低保，批准日期2024-06-10",
                            77,
                            "car",
                            d.household.members[1].name,
                            true,
                            {"system:feeds", at("2024-07-05T09:00:00")}},
                           DepartmentEvidence{}};
  d.elimination_publicity_started_at = at("2024-12-01T09:00:00");
  d.eliminated_at = at("2024-12-07T09:00:00");
  d.look_backs = {{LookBackFinding::kNewRisk, "再次患病", {"镇扶贫办李*", at("2025-03-01T09:00")}}};
  d.reidentified_at = at("2025-03-02T09:00:00");
  d.approvals = {{ApprovalPurpose::kClearOut,
                  ApprovalLevel::kCity,
                  "同意",
                  {"市乡村振兴局", at("2025-03-03T09:00:00")}}};
  d.rolled_back_at = at("2025-03-04T09:00:00");
  d.notices = {{NoticeKind::kClearOut,
                "42",
                d.household.code,
                kStepCountyReview,
                "有车",
                "经审核，您家……\n特此告知。",
                {"镇扶贫办李*", at("2025-03-05T09:00:00")},
                {"township_clerk"},
                "written_notice"}};
  d.closing_reason = "有车";
  return d;
}

template <class T>
const T& ok(const JsonResult<T>& r) {
  if (const auto* error = std::get_if<std::string>(&r)) ADD_FAILURE() << *error;
  static const T kEmpty{};
  return std::holds_alternative<T>(r) ? std::get<T>(r) : kEmpty;
}

template <class T>
std::string error_of(const JsonResult<T>& r) {
  EXPECT_TRUE(std::holds_alternative<std::string>(r)) << "the text was accepted";
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string();
}

TEST(CaseJson, EveryFieldRoundTripsExactly) {
  const CaseData d = every_field();
  EXPECT_NE(d, CaseData{});
  const std::string text = case_data_to_json(d);
  EXPECT_EQ(ok(case_data_from_json(text)), d);
  // Stable: writing what was read gives the same text.
  EXPECT_EQ(case_data_to_json(ok(case_data_from_json(text))), text);

  const CaseSnapshot s{"42", "registered", 17, d};
  EXPECT_EQ(ok(case_snapshot_from_json(case_snapshot_to_json(s))), s);
  EXPECT_EQ(ok(case_data_from_json(case_data_to_json(CaseData{}))), CaseData{});
}

TEST(CaseJson, ScalarsAreStoredAsCodesAndChinaTime) {
  const auto v = boost::json::parse(case_data_to_json(every_field()));
  EXPECT_EQ(v.at("source"), "department_alert");
  EXPECT_EQ(v.at("risk_causes").at(1), "education");
  EXPECT_EQ(v.at("household").at("members").at(0).at("relation"), "head");
  EXPECT_EQ(v.at("opened").at("at"), "2024-05-06T09:10:11+08:00");
  EXPECT_EQ(v.at("verification").at("accounts").at(0).at("month"), "2023-05");
  EXPECT_EQ(v.at("verification").at("accounts").at(1).at("month"), "0000-00");
  EXPECT_EQ(v.at("verification").at("accounts").at(0).at("disability_expense_fen"),
            9'000'000'000'000);
  EXPECT_EQ(v.at("verification").at("hardship").at("income_drop"), "accident");
  EXPECT_EQ(v.at("measures").at(0).at("start_date"), "2024-05-22");
  EXPECT_EQ(v.at("measures").at(0).at("status"), "stopped");
  EXPECT_EQ(v.at("notices").at(0).at("kind"), "clear_out");
  EXPECT_TRUE(v.at("registered_at").is_string());
  EXPECT_TRUE(boost::json::parse(case_data_to_json(CaseData{})).at("registered_at").is_null());
}

// encode_time writes its digits itself (faster than printf): the text must stay format_time's.
TEST(CaseJson, TimesAreEncodedAsFormatTimeWritesThem) {
  using namespace std::chrono;
  const std::vector<TimePoint> times = {
      china_time(Date{year(2025) / March / 3}, hours(9)),
      china_time(Date{year(2024) / February / 29}, hours(23) + minutes(59) + seconds(59)),
      china_time(Date{year(2025) / January / 1}, seconds(0)),
      TimePoint{Date{year(2024) / December / 31}} + hours(16),  // UTC 16:00 is the next day
      TimePoint{},                                              // 1970-01-01T08:00:00+08:00
      china_time(Date{year(1969) / December / 31}, hours(7) + seconds(5)),
      china_time(Date{year(1) / May / 7}, minutes(10)),
      china_time(Date{year(9999) / December / 31}, hours(12)),
      china_time(Date{year(10000) / January / 1}, hours(1)),  // five digits: format_time's own
      china_time(Date{year(-1) / June / 1}, hours(1)),
  };
  for (const TimePoint t : times) {
    SCOPED_TRACE(format_time(t));
    EXPECT_EQ(case_json::encode_time(t).as_string(), format_time(t));
  }
}

TEST(CaseJson, DatesAndMonthsAreEncodedAsFormatDateAndFormatMonthWriteThem) {
  using namespace std::chrono;
  const std::vector<Date> dates = {
      Date{year(2025) / March / 3},     Date{year(2024) / February / 29},
      Date{year(1970) / January / 1},   Date{year(1) / May / 7},
      Date{year(9999) / December / 31}, Date{year(10000) / January / 1},
      Date{year(-1) / June / 1},        Date{year(0) / October / 10},
  };
  for (const Date d : dates) {
    SCOPED_TRACE(format_date(d));
    EXPECT_EQ(case_json::encode_date(d).as_string(), format_date(d));
    const year_month m = month_of(d);
    EXPECT_EQ(case_json::encode_month(m).as_string(), format_month(m));
  }
}

TEST(CaseJson, DepartmentEvidenceAndTheOpeningAlertAreStoredAsGiven) {
  const auto v = boost::json::parse(case_data_to_json(every_field()));
  EXPECT_EQ(v.at("alert_id"), 9'000'000'000'001);
  const auto& ev = v.at("department_evidence").at(0);
  EXPECT_EQ(ev.at("period"), "2024-06");
  EXPECT_EQ(ev.at("alert_id"), 77);
  EXPECT_EQ(ev.at("exclusion"), "car");
  EXPECT_EQ(ev.at("shown_to_county_office"), true);
  EXPECT_EQ(ev.at("recorded").at("at"), "2024-07-05T09:00:00+08:00");
  EXPECT_TRUE(v.at("department_evidence").at(1).at("alert_id").is_null());
  EXPECT_TRUE(boost::json::parse(case_data_to_json(CaseData{})).at("alert_id").is_null());
  EXPECT_EQ(v.at("notices").at(0).at("message_type"), "written_notice");
}

// Data stored before issue 12 has no alert, no evidence and notices without roles: it loads, and
// each of those keeps its default.
TEST(CaseJson, DataWithoutTheFeedFieldsStillLoads) {
  const CaseData full = every_field();
  auto v = boost::json::parse(case_data_to_json(full)).as_object();
  v.erase("alert_id");
  v.erase("department_evidence");
  v["notices"].as_array().at(0).as_object().erase("roles");
  v["notices"].as_array().at(0).as_object().erase("message_type");
  const CaseData old = ok(case_data_from_json(boost::json::serialize(v)));
  CaseData expected = full;
  expected.alert_id.reset();
  expected.department_evidence.clear();
  expected.notices[0].roles.clear();
  expected.notices[0].message_type.clear();
  EXPECT_EQ(old, expected);
  // An evidence record missing its newer members loads too.
  const CaseData partial = ok(case_data_from_json(
      R"({"department_evidence":[{"department":"civil_affairs","period":"2024-06"}]})"));
  ASSERT_EQ(partial.department_evidence.size(), 1u);
  EXPECT_EQ(partial.department_evidence[0].department, "civil_affairs");
  EXPECT_FALSE(partial.department_evidence[0].alert_id);
  EXPECT_FALSE(partial.department_evidence[0].shown_to_county_office);
  EXPECT_NE(error_of(case_data_from_json(R"({"alert_id":"7"})")).find("alert_id"),
            std::string::npos);
  EXPECT_NE(error_of(case_data_from_json(R"({"department_evidence":[{"colour":1}]})"))
                .find("department_evidence[0].colour"),
            std::string::npos);
}

// Measures stored before issue 13 have no department, list period nor member: they load as a
// user's measures; a department's measure keeps all three.
TEST(CaseJson, MeasuresWithoutTheDepartmentFieldsStillLoad) {
  const CaseData old = ok(case_data_from_json(
      R"({"measures":[{"id":1,"type":"industry","description":"养鸡","start_date":"2024-05-22",)"
      R"("status":"in_place","recorded":{"actor":"李*","at":"2024-05-22T09:00:00+08:00"}}]})"));
  ASSERT_EQ(old.measures.size(), 1u);
  EXPECT_EQ(old.measures[0].description, "养鸡");
  EXPECT_EQ(old.measures[0].department, "");
  EXPECT_EQ(old.measures[0].source_period, "");
  EXPECT_EQ(old.measures[0].member_id_number, "");
  CaseData d;
  Measure m;
  m.id = 1;
  m.type = MeasureType::kSocialSecurity;
  m.description = "县民政局：低保（月保障金额600元）";
  m.status = MeasureStatus::kInPlace;
  m.department = "civil_affairs";
  m.source_period = "2026-12-01";
  m.member_id_number = "379901196203142012";
  d.measures = {m};
  const auto v = boost::json::parse(case_data_to_json(d));
  EXPECT_EQ(v.at("measures").at(0).at("department"), "civil_affairs");
  EXPECT_EQ(v.at("measures").at(0).at("source_period"), "2026-12-01");
  EXPECT_EQ(ok(case_data_from_json(case_data_to_json(d))), d);
}

TEST(CaseJson, MissingMembersKeepTheirDefaults) {
  const CaseData d = ok(case_data_from_json(R"({"case_id":"3","kind":"sudden"})"));
  CaseData expected;
  expected.case_id = "3";
  expected.kind = "sudden";
  EXPECT_EQ(d, expected);
}

struct BadText {
  const char* text;
  const char* names;  // what the message must contain
};

TEST(CaseJson, ErrorsNameTheField) {
  const std::vector<BadText> cases = {
      {"{", "不是有效的 JSON"},
      {"[]", "顶层"},
      {R"({"kind":"x","colour":"red"})", "字段 colour 不是本程序认识的字段"},
      {R"({"household":{"members":[{"relation":"uncle"}]}})",
       "household.members[0].relation 的代码 \"uncle\""},
      {R"({"household":{"members":[{"relation":3}]}})", "household.members[0].relation"},
      {R"({"verification":{"accounts":[{"month":"2024-13"}]}})",
       "字段 verification.accounts[0].month 应为 YYYY-MM 格式的月份"},
      {R"({"verification":{"accounts":[{"month":"2024-5"}]}})", "verification.accounts[0].month"},
      {R"({"opened":{"at":"2024-05-06 09:00"}})", "字段 opened.at 应为"},
      {R"({"registered_at":"2024-02-30T09:00:00"})", "字段 registered_at"},
      {R"({"measures":[{"start_date":"2024-02-30"}]})", "字段 measures[0].start_date"},
      {R"({"measures":[{"id":4294967296}]})", "字段 measures[0].id 应为范围内的整数"},
      {R"({"measures":[{"id":1.5}]})", "字段 measures[0].id"},
      {R"({"emergency":"yes"})", "字段 emergency"},
      {R"({"objections":"none"})", "字段 objections 应为数组"},
      {R"({"verification":7})", "字段 verification 应为对象"},
  };
  for (const BadText& c : cases) {
    const std::string e = error_of(case_data_from_json(c.text));
    EXPECT_NE(e.find(c.names), std::string::npos) << c.text << "\n -> " << e;
    EXPECT_EQ(e.find("案件数据"), 0u) << e;
  }
}

TEST(CaseJson, DetailsAreAnObjectOfStringsInOrder) {
  const Details details = {{"kind", "marginal"}, {"eligible", "true"}, {"conclusion", "符合"}};
  const std::string text = details_to_json(details);
  EXPECT_EQ(text, R"({"kind":"marginal","eligible":"true","conclusion":"符合"})");
  EXPECT_EQ(ok(details_from_json(text)), details);
  EXPECT_EQ(ok(details_from_json("{}")), Details{});

  // A repeated key survives as key#2 and reads back as the same key.
  const Details repeated = {{"notice", "rejection"}, {"step", "a"}, {"notice", "clear_out"}};
  EXPECT_EQ(details_to_json(repeated),
            R"({"notice":"rejection","step":"a","notice#2":"clear_out"})");
  EXPECT_EQ(ok(details_from_json(details_to_json(repeated))), repeated);

  EXPECT_NE(error_of(details_from_json(R"({"members":4})")).find("members"), std::string::npos);
  EXPECT_NE(error_of(details_from_json("[]")).find("历史记录详情"), std::string::npos);
}

TEST(CaseJson, TextThatIsNotUtf8StillRoundTrips) {
  CaseData d;
  d.closing_reason = std::string("\xB2\xBB\xB7\xFB", 4);  // GBK bytes of 不符
  EXPECT_EQ(ok(case_data_from_json(case_data_to_json(d))), d);
}

// The text writer (case_text.h) gives the bytes the codec's tree serializes to, for every field
// and for text that needs escaping or is not UTF-8, and says where the household is.
TEST(CaseText, WritesWhatSerializingTheEncodedTreeWrote) {
  CaseData escaped = every_field();
  escaped.closing_reason = std::string("\xB2\xBB\xB7\xFB", 4) + "\"引号\"\\\n\t\x01";
  escaped.household.members[0].name = "户主\"甲\"";
  for (const CaseData& d : {every_field(), CaseData{}, escaped}) {
    std::string text = "before";  // appended to what is there
    TextSpan household;
    append_case_data(text, d, &household);
    EXPECT_EQ(text, "before" + boost::json::serialize(case_json::encode(d)));
    EXPECT_EQ(text.substr(household.begin, household.end - household.begin),
              boost::json::serialize(case_json::encode(d.household)));
    EXPECT_EQ(ok(case_data_from_json(std::string_view(text).substr(6))), d);
  }
  std::string visits;
  case_json::append_text(visits, every_field().visits);
  EXPECT_EQ(visits, boost::json::serialize(case_json::encode(every_field().visits)));
}

}  // namespace
}  // namespace fangfan
