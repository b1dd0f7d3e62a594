// The case data a firing decodes (adapters/storage/firing_cases.h): the five fields a firing
// reads, as the whole decode reads them, the rest left at its defaults; the same decisions
// (workflows/timer_notice.h) from it as from the whole case; and the whole decode's errors
// wherever it looks. The batch read of the cases' texts is in firing_reads_test (both backends).
#include "adapters/storage/firing_cases.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/support/people.h"
#include "workflows/date.h"
#include "workflows/duty_plan.h"
#include "workflows/timer_notice.h"

namespace fangfan {
namespace {

using std::chrono::March;

TimePoint at(const char* text) { return parse_time(text).value(); }
Date day(const char* text) { return parse_date(text).value(); }

// A case with the fields a firing reads and many it does not.
CaseData rich_case() {
  testing::PeopleGenerator people(7);
  CaseData d;
  d.case_id = "42";
  d.kind = "marginal";
  d.household = people.household("3799010010010007", "379901001001", 4);
  d.risk_causes = {RiskCause::kIllness, RiskCause::kEducation};
  d.emergency_reason = "房屋因洪灾倒塌";
  d.opened = {"村委会王*", at("2025-01-06T09:10:11")};
  d.reviews = {{kStepDemocraticReview, {"村委会王*", at("2025-01-10T09:00:00")}, true, ""}};
  d.objections = {"邻居反映收入不实"};
  d.registered_at = at("2025-01-20T09:00:00");
  d.officer = "第一书记赵*";
  d.officer_assigned = Stamp{"镇扶贫办李*", at("2025-01-21T09:00:00")};
  d.measures = {{1,
                 MeasureType::kDrinkingWater,
                 "改水",
                 day("2025-01-22"),
                 MeasureStatus::kStopped,
                 {"第一书记赵*", at("2025-01-22T09:00:00")}}};
  d.visits = {
      {day("2025-03-03"), "第一书记赵*", "住房安全", {"第一书记赵*", at("2025-03-03T18:00")}},
      {day("2025-03-20"), "第一书记赵*", "", {"第一书记赵*", at("2025-03-20T18:00")}}};
  MonitoringRecord m;
  m.account.month = std::chrono::year{2025} / March;
  m.notes = "稳定";
  m.recorded = {"第一书记赵*", at("2025-03-25T10:00")};
  d.monitoring = {m};
  Notice n;
  n.case_id = "42";
  n.text = "不予纳入";
  n.issued = {"镇扶贫办李*", at("2025-02-01T09:00:00")};
  d.notices = {n};
  d.closing_reason = "";
  return d;
}

CaseData firing_fields_of(const CaseData& d) {
  CaseData out;
  out.household = d.household;
  out.officer = d.officer;
  out.measures = d.measures;
  out.visits = d.visits;
  out.monitoring = d.monitoring;
  return out;
}

TEST(FiringCases, TheFiveFieldsAreDecodedAsTheWholeDecodeAndTheRestLeftAtDefaults) {
  const std::string text = case_data_to_json(rich_case());
  const auto whole = case_data_from_json(text);
  const auto part = firing_case_data_from_json(text);
  ASSERT_TRUE(std::holds_alternative<CaseData>(whole));
  ASSERT_TRUE(std::holds_alternative<CaseData>(part)) << std::get<std::string>(part);
  EXPECT_EQ(case_data_to_json(std::get<CaseData>(part)),
            case_data_to_json(firing_fields_of(std::get<CaseData>(whole))));
  // A member missing from the text keeps its default, as in the whole decode.
  const auto bare = firing_case_data_from_json(R"({"officer":"王五"})");
  ASSERT_TRUE(std::holds_alternative<CaseData>(bare));
  EXPECT_EQ(std::get<CaseData>(bare).officer, "王五");
  EXPECT_TRUE(std::get<CaseData>(bare).household.members.empty());
}

// The streaming read builds the five fields alone and skips the rest: escaped keys and strings
// (given to it in parts), nested members it skips, a field given twice (the tree path decides),
// and whitespace read as the whole decode reads them.
TEST(FiringCases, TheStreamingReadGivesTheWholeDecodesFieldsWhateverTheTextsShape) {
  const std::vector<std::pair<const char*, std::string>> rows = {
      {"escaped keys and values",
       R"({"case_id":"4\u0032","off\u0069cer":"\u738b\u4e94\"\\","visits":[{"date":"2025-03-03",)"
       R"("officer":"a\/b","findings":"\t","recorded":{"actor":"x","at":"2025-03-03T18:00:00+08:00"}}]})"},
      {"skipped members of every kind, nested",
       R"({"case_id":"1","emergency":true,"alert_id":null,"opened":{"actor":"a","at":)"
       R"("2025-01-02T09:00:00+08:00"},"reviews":[],"objections":["x","y"],)"
       R"("officer":"王五","measures":[]})"},
      {"a field given twice", R"({"officer":"甲","officer":"乙"})"},
      {"white space", " {\n \"officer\" : \"王五\" ,\n \"monitoring\" : [ ] } \n"},
      {"empty", "{}"},
  };
  for (const auto& [name, text] : rows) {
    SCOPED_TRACE(name);
    const auto whole = case_data_from_json(text);
    const auto part = firing_case_data_from_json(text);
    ASSERT_TRUE(std::holds_alternative<CaseData>(whole)) << std::get<std::string>(whole);
    ASSERT_TRUE(std::holds_alternative<CaseData>(part)) << std::get<std::string>(part);
    EXPECT_EQ(case_data_to_json(std::get<CaseData>(part)),
              case_data_to_json(firing_fields_of(std::get<CaseData>(whole))));
  }
  const CaseData escaped = std::get<CaseData>(firing_case_data_from_json(rows[0].second));
  EXPECT_EQ(escaped.officer, "王五\"\\");
  ASSERT_EQ(escaped.visits.size(), 1U);
  EXPECT_EQ(escaped.visits[0].officer, "a/b");
  // Text after the object is not JSON, for both.
  const std::string trailing = R"({"officer":"王五"} x)";
  ASSERT_TRUE(std::holds_alternative<std::string>(firing_case_data_from_json(trailing)));
  EXPECT_EQ(std::get<std::string>(firing_case_data_from_json(trailing)),
            std::get<std::string>(case_data_from_json(trailing)));
}

const WorkingDayCalendar& calendar() {
  static const WorkingDayCalendar c = [] {
    auto built =
        WorkingDayCalendar::build({CalendarYear{2025, {}, {}}, CalendarYear{2026, {}, {}}});
    EXPECT_TRUE(built);
    return *built;
  }();
  return c;
}

ProgramRules rules() {
  ProgramRules r;
  r.deadlines[kStepHouseholdVerification] = {
      5, DayUnit::kWorkingDays, 1, {{0, "township_clerk"}, {2, "township_head"}}};
  r.visits.per_month = 2;
  r.monitoring.per_month = 1;
  return r;
}

DutyRecord duty(std::int64_t id, std::string key, std::string kind, std::string subject) {
  DutyRecord d;
  d.id = id;
  d.duty_key = std::move(key);
  d.case_id = 42;
  d.kind = std::move(kind);
  d.subject = std::move(subject);
  d.township_code = "t1";
  d.village_code = "379901001001";
  d.owner_role = "assistance_officer";
  d.state = DutyState::kOpen;
  d.due_at = at("2025-04-01T08:00:00+08:00");
  return d;
}

// A decision as text: its message (type, params, roles, officer, keys) and its follow-up plan.
std::string decision_text(const TimerDecision& d) {
  std::ostringstream s;
  s << "skipped=" << d.skipped << "\n";
  if (d.message) {
    const DutyMessage& m = *d.message;
    s << m.message_type << " officer=" << m.officer << " key=" << duty_message_key(m, "p") << "\n";
    for (const auto& [k, v] : m.params) s << "  " << k << "=" << v << "\n";
    for (const auto& r : m.roles) s << "  role " << r << "\n";
  }
  for (const DutyAction& a : d.follow_up.actions) {
    if (const auto* o = std::get_if<OpenDuty>(&a)) {
      s << "open " << o->duty.duty_key << " officer=" << o->duty.officer
        << " village=" << o->duty.village_code << " timers=" << o->timers.size()
        << (o->close_at_once ? " closed" : "") << "\n";
    } else {
      s << "close " << std::get<CloseDuty>(a).duty.duty_key << "\n";
    }
  }
  return s.str();
}

TEST(FiringCases, AFiringDecidesOnThePartialCaseAsOnTheWholeOne) {
  const std::string text = case_data_to_json(rich_case());
  const CaseData whole = std::get<CaseData>(case_data_from_json(text));
  const CaseData part = std::get<CaseData>(firing_case_data_from_json(text));
  struct Row {
    const char* name;
    DutyRecord duty;
    DutyNotice notice;
    int rung;
    const char* now;
  };
  const std::vector<Row> rows = {
      {"a month's due time (its next month follows)",
       duty(5, "visits/42/2025-03", kDutyVisits, "2025-03"),
       {5, DutyNoticeKind::kOverdue, "2025-03-31", {"assistance_officer"}},
       0,
       "2025-04-01T08:00:00+08:00"},
      {"monitoring, an escalation rung",
       duty(6, "monitoring/42/2025-03", kDutyMonitoring, "2025-03"),
       {6, DutyNoticeKind::kOverdue, "2025-03-31", {"township_head"}},
       1,
       "2025-04-03T08:00:00+08:00"},
      {"assignment task",
       duty(7, "assignment/42/1", kDutyAssignment, "assignment"),
       {7, DutyNoticeKind::kTask, "2025-03-10", {"township_clerk", "village_officer"}},
       0,
       "2025-03-03T09:00:00+08:00"},
      {"step overdue",
       duty(8, "step/42/household_verification/1", kDutyStep, kStepHouseholdVerification),
       {8, DutyNoticeKind::kOverdue, "2025-03-10", {"township_clerk"}},
       0,
       "2025-03-12T09:00:00+08:00"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    std::string texts[2];
    int i = 0;
    for (const CaseData* data : {&whole, &part}) {
      DutyTimerFacts in;
      in.duty = &row.duty;
      in.data = data;
      in.facts = case_facts(42, *data);
      in.facts.township_code = "t1";
      in.case_duties = {row.duty};
      texts[i++] = decision_text(
          decide_duty_timer(row.notice, row.rung, in, rules(), calendar(), at(row.now)));
    }
    EXPECT_EQ(texts[1], texts[0]);
    EXPECT_NE(texts[0].find('='), std::string::npos);
  }
}

TEST(FiringCases, ErrorsAreTheWholeDecodesWhereverTheFiringDecodeLooks) {
  const std::vector<std::pair<const char*, std::string>> rows = {
      {"not JSON", "{\"officer\": "},
      {"not an object", "[1, 2]"},
      {"a member this fangfan does not know", R"({"officer":"王五","written_later":1})"},
      {"a member out of the stored order", R"({"officer":"王五","case_id":"1","nonsense":2})"},
      {"the household's wrong form", R"({"household":{"members":[{"relation":"uncle"}]}})"},
      {"a visit's date", R"({"visits":[{"date":"2025-13-01"}]})"},
      {"a measure's status", R"({"measures":[{"status":7}]})"},
      {"the officer", R"({"officer":3})"},
      {"the monitoring", R"({"monitoring":{}})"},
  };
  for (const auto& [name, text] : rows) {
    SCOPED_TRACE(name);
    const auto whole = case_data_from_json(text);
    const auto part = firing_case_data_from_json(text);
    ASSERT_TRUE(std::holds_alternative<std::string>(whole));
    ASSERT_TRUE(std::holds_alternative<std::string>(part));
    EXPECT_EQ(std::get<std::string>(part), std::get<std::string>(whole));
  }
  // Where a firing does not look, a wrong form is not looked for (firing_cases.h).
  const std::string elsewhere = R"({"officer":"王五","reviews":5})";
  EXPECT_TRUE(std::holds_alternative<std::string>(case_data_from_json(elsewhere)));
  ASSERT_TRUE(std::holds_alternative<CaseData>(firing_case_data_from_json(elsewhere)));
}

}  // namespace
}  // namespace fangfan
