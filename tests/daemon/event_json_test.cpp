// The event decoder derived from the events' descriptions (daemon/api/event_json.h): what it
// reads, the 400 it answers for each kind of bad field (`field` the body's top-level key, the
// message naming the full path, e.g. household.members[1].id_number), and the schema the docs'
// tables come from.
#include "daemon/api/event_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "workflows/date.h"

namespace fangfan {
namespace {

using ::testing::HasSubstr;

CaseEvent decode(const std::string& text) {
  const JsonFields body = JsonFields::parse(text);
  const std::string type = body.string("type");
  const EventSchema* schema = find_event_schema(type);
  if (schema == nullptr) throw std::logic_error("no event " + type);
  reject_unknown_fields(body, *schema, {"type", "expected_version", "reason"});
  EventMeta meta;
  meta.actor = "李*";
  return decode_event(body, *schema, meta);
}

TEST(EventJson, ReadsEveryDescribedFieldAndTheReason) {
  const CaseEvent e =
      decode(R"({"type":"add_measure","measure_type":"employment","description":"公益岗位",)"
             R"("start_date":"2025-03-04","status":"in_place","reason":"就业帮扶"})");
  const auto& m = std::get<AddMeasure>(e);
  EXPECT_EQ(m.measure_type, MeasureType::kEmployment);
  EXPECT_EQ(m.description, "公益岗位");
  EXPECT_EQ(format_date(m.start_date), "2025-03-04");
  EXPECT_EQ(m.status, MeasureStatus::kInPlace);
  EXPECT_EQ(m.meta.reason, "就业帮扶");
  EXPECT_EQ(m.meta.actor, "李*");

  // Optional fields left out keep their defaults.
  const CaseEvent visit = decode(R"({"type":"record_visit","date":"2025-03-04","officer":"赵*"})");
  EXPECT_EQ(std::get<RecordVisit>(visit).findings, "");
  const CaseEvent again = decode(R"({"type":"re_identify","emergency":true})");
  EXPECT_TRUE(std::get<ReIdentify>(again).emergency);
  EXPECT_TRUE(std::get<ReIdentify>(again).risk_causes.empty());
  EXPECT_TRUE(std::holds_alternative<ApplyRollback>(decode(R"({"type":"apply_rollback"})")));
}

TEST(EventJson, BadFieldsAre400sNamingTheirPath) {
  struct Case {
    std::string body;
    std::string field;
    std::string in_message;
  };
  const std::vector<Case> cases = {
      {R"({"type":"assign_officer"})", "officer", "缺少字段 officer"},
      {R"({"type":"assign_officer","officer":null})", "officer", "缺少字段 officer"},
      {R"({"type":"assign_officer","officer":"赵*","colour":"red"})", "colour", "未知字段 colour"},
      {R"({"type":"close_publicity","verifier":"李*"})", "verifier", "未知字段 verifier"},
      {R"({"type":"add_measure","type2":1})", "type2", "未知字段 type2"},
      {R"({"type":"record_visit","date":"2025-13-01","officer":"赵*"})", "date", "2025-13-01"},
      {R"({"type":"record_look_back","finding":"fine"})", "finding", "fine"},
      {R"({"type":"update_measure","measure_id":"1","status":"planned"})", "measure_id", ""},
      {R"({"type":"record_democratic_review","passed":"yes"})", "passed", ""},
      {R"({"type":"record_verification","accounts":[{"month":"2024-01"},{"month":"2024-13"}]})",
       "accounts", "accounts[1].month"},
      {R"({"type":"record_verification","accounts":[],"hardship":{"income_drop":"flood"}})",
       "hardship", "hardship.income_drop"},
      {R"({"type":"update_household","household":{"code":"H","members":[{"name":"甲"},)"
       R"({"name":"乙","relation":"cousin"}]}})",
       "household", "household.members[1].relation"},
      {R"({"type":"update_household","household":{"members":[{},{"id_number":18}]}})", "household",
       "household.members[1].id_number"},
      {R"({"type":"update_household","household":{"members":[{"nickname":"x"}]}})", "household",
       "household.members[0].nickname"},
      {R"({"type":"record_monitoring","record":{"account":{"month":"2025-3"}}})", "record",
       "record.account.month"},
      {R"({"type":"record_visit","date":"2025-03-04","officer":"赵*","reason":7})", "reason", ""},
      {R"({"type":"open_case","household":{},"kind":"k","source":"department_alert",)"
       R"("alert_id":"7"})",
       "alert_id", "alert_id"},
      {R"({"type":"open_case","household":{},"kind":"k","source":"department_alert",)"
       R"("alert_id":1.5})",
       "alert_id", "alert_id"},
      {R"({"type":"record_department_evidence","department":"d","feed":"f","period":"2025-05",)"
       R"("rule":"r","summary":"s"})",
       "member_name", "缺少字段 member_name"},
      {R"({"type":"record_department_evidence","department":"d","feed":"f","period":"2025-05",)"
       R"("rule":"r","summary":"s","member_name":"王*","alert_id":[1]})",
       "alert_id", "alert_id"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    try {
      decode(c.body);
      ADD_FAILURE() << "decoded";
    } catch (const ApiError& e) {
      EXPECT_EQ(e.code(), "bad_request");
      EXPECT_EQ(e.field(), c.field);
      EXPECT_THAT(e.message(), HasSubstr(c.in_message));
    }
  }
}

// Opening from an alert, and the feeds' own event (which the API describes and decodes, and the
// role check then refuses: daemon/api/case_access.h).
TEST(EventJson, ReadsTheAlertOfAnOpeningAndDepartmentEvidence) {
  const std::string household = R"("household":{"code":"H1","village_code":"379901001001"})";
  const CaseEvent opened = decode(R"({"type":"open_case",)" + household +
                                  R"(,"kind":"marginal","source":"department_alert",)"
                                  R"("alert_id":9007199254740993})");
  EXPECT_EQ(std::get<OpenCase>(opened).alert_id, std::optional<std::int64_t>{9007199254740993});
  EXPECT_EQ(std::get<OpenCase>(opened).source, DiscoverySource::kDepartmentAlert);
  const CaseEvent plain = decode(R"({"type":"open_case",)" + household +
                                 R"(,"kind":"marginal","source":"department_alert"})");
  EXPECT_FALSE(std::get<OpenCase>(plain).alert_id);
  const CaseEvent null_alert = decode(R"({"type":"open_case",)" + household +
                                      R"(,"kind":"marginal","source":"self_application",)"
                                      R"("alert_id":null})");
  EXPECT_FALSE(std::get<OpenCase>(null_alert).alert_id);

  const CaseEvent e =
      decode(R"({"type":"record_department_evidence","department":"civil_affairs","feed":"ca",)"
             R"("period":"2025-05","rule":"new_assistance","rule_label":"新纳入低保",)"
             R"("summary":"救助类别低保","alert_id":12,"exclusion":"car","member_name":"王*"})");
  const auto& ev = std::get<RecordDepartmentEvidence>(e);
  EXPECT_EQ(ev.department, "civil_affairs");
  EXPECT_EQ(ev.feed, "ca");
  EXPECT_EQ(ev.period, "2025-05");
  EXPECT_EQ(ev.rule, "new_assistance");
  EXPECT_EQ(ev.rule_label, "新纳入低保");
  EXPECT_EQ(ev.summary, "救助类别低保");
  EXPECT_EQ(ev.alert_id, std::optional<std::int64_t>{12});
  EXPECT_EQ(ev.exclusion, "car");
  EXPECT_EQ(ev.member_name, "王*");
  const CaseEvent bare = decode(
      R"({"type":"record_department_evidence","department":"d","feed":"f","period":"2025-05",)"
      R"("rule":"r","summary":"s","member_name":"王*"})");
  EXPECT_EQ(std::get<RecordDepartmentEvidence>(bare).rule_label, "");
  EXPECT_FALSE(std::get<RecordDepartmentEvidence>(bare).alert_id);
  EXPECT_EQ(std::get<RecordDepartmentEvidence>(bare).exclusion, "");

  const EventSchema* schema = find_event_schema("record_department_evidence");
  ASSERT_NE(schema, nullptr);
  EXPECT_EQ(schema->label, "记录部门预警信息");
  std::vector<std::string> required, optional;
  for (const auto& f : schema->fields) (f.required ? required : optional).push_back(f.name);
  EXPECT_EQ(required, (std::vector<std::string>{"department", "feed", "period", "rule", "summary",
                                                "member_name"}));
  EXPECT_EQ(optional, (std::vector<std::string>{"rule_label", "alert_id", "exclusion"}));
  EXPECT_EQ(schema->fields[6].type, "integer or null");
}

TEST(EventJson, ReadsADepartmentMeasure) {
  const CaseEvent e =
      decode(R"({"type":"record_department_measure","department":"civil_affairs",)"
             R"("department_name":"县民政局","feed":"ca_feedback","period":"2026-12-01",)"
             R"("member_id_number":"379901196203142012","member_name":"郑*",)"
             R"("measure_type":"social_security","measure":"低保","amount":"480",)"
             R"("amount_label":"月保障金额","start_date":"2026-12-01"})");
  const auto& m = std::get<RecordDepartmentMeasure>(e);
  EXPECT_EQ(m.measure_type, MeasureType::kSocialSecurity);
  EXPECT_EQ(m.period, "2026-12-01");
  EXPECT_EQ(m.amount, "480");
  EXPECT_EQ(format_date(m.start_date), "2026-12-01");
  const EventSchema* schema = find_event_schema("record_department_measure");
  ASSERT_NE(schema, nullptr);
  EXPECT_EQ(schema->label, "记录部门落实的帮扶措施");
  std::vector<std::string> optional;
  for (const auto& f : schema->fields) {
    if (!f.required) optional.push_back(f.name);
  }
  EXPECT_EQ(optional, (std::vector<std::string>{"amount", "amount_label"}));
}

// The fuzz corpus (fuzz/corpus/event_json, written by fuzz/make_corpus.py) holds issue 14's
// events and an alert step's body: each seed reaches the part of the decoder it is for — a valid
// body decodes to its event, a bad one is refused naming its field, an alert step's body (no
// "type") stops at the type — so the fuzzer starts from inside each of them.
TEST(EventJson, TheCorpusSeedsOfIssue14ReachTheirDecoders) {
  struct Case {
    const char* seed;
    const char* event;  // decoded as this event, or "" when refused
    const char* field;  // the refused field
  };
  const std::vector<Case> cases = {
      {"record-evaluation", "record_evaluation", ""},
      {"record-evaluation-new-risk", "record_evaluation", ""},
      {"record-evaluation-bad", "", "year"},
      {"confirm-status-village", "confirm_household_status", ""},
      {"confirm-status-township", "confirm_household_status", ""},
      {"confirm-status-bad", "", "status"},
      {"major-event", "record_major_event", ""},
      {"major-event-disaster", "record_major_event", ""},
      {"major-event-bad", "", "date"},
      {"alert-step-confirm", "", "type"},
      {"alert-step-assign", "", "type"},
      {"alert-step-assisted", "", "type"},
      {"alert-step-return", "", "type"},
      {"alert-step-bad", "", "type"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.seed);
    std::ifstream in(std::string(FANGFAN_SOURCE_DIR) + "/fuzz/corpus/event_json/seed-" + c.seed);
    ASSERT_TRUE(in) << "the seed is missing: run fuzz/make_corpus.py";
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      const CaseEvent e = decode(text);
      EXPECT_EQ(event_name(e), c.event);
    } catch (const ApiError& e) {
      EXPECT_STREQ("", c.event) << e.message();
      EXPECT_EQ(e.field(), c.field) << e.message();
    }
  }
}

TEST(EventJson, EveryEventHasASchemaInVariantOrder) {
  const auto& events = event_schemas();
  ASSERT_EQ(events.size(), std::variant_size_v<CaseEvent>);
  EXPECT_EQ(events.front().name, OpenCase::kName);
  EXPECT_EQ(events.back().name, ConfirmHouseholdStatus::kName);  // issue 14 appended three
  const EventSchema* open = find_event_schema("open_case");
  ASSERT_NE(open, nullptr);
  std::vector<std::string> names, required;
  for (const auto& f : open->fields) {
    names.push_back(f.name);
    if (f.required) required.push_back(f.name);
  }
  // case_id and previous_case_id are the server's: not fields a client sends.
  EXPECT_EQ(names, (std::vector<std::string>{"household", "kind", "source", "risk_causes",
                                             "emergency", "emergency_reason", "alert_id"}));
  EXPECT_EQ(required, (std::vector<std::string>{"household", "kind", "source"}));
  EXPECT_EQ(open->fields[0].type, "household");
  EXPECT_EQ(open->fields[3].type, "[code (risk_cause)]");
  const EventSchema* verification = find_event_schema("record_verification");
  ASSERT_NE(verification, nullptr);
  EXPECT_EQ(verification->fields[0].type, "[account]");
  EXPECT_TRUE(verification->fields[0].required);
  EXPECT_EQ(verification->fields[3].type, "discretion or null");
  EXPECT_FALSE(verification->fields[3].required);
  EXPECT_EQ(find_event_schema("no_such_event"), nullptr);
}

}  // namespace
}  // namespace fangfan
