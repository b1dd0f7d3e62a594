// A department's measure on a case (record_department_measure, issue 13: 落实情况 coming back
// from a department's list): recorded as an in-place measure of the department, in which states,
// never twice for the same answer row, the payload's codes and fields, and fangfan's own event.
#include <gtest/gtest.h>

#include <functional>

#include "tests/workflows/case_fixture.h"
#include "workflows/case_logic.h"
#include "workflows/case_machine.h"
#include "workflows/id_number.h"
#include "workflows/refusal_codes.h"

namespace fangfan {
namespace {

using testing::at;
using testing::CaseWalk;
using testing::PeopleGenerator;

class CaseDepartmentMeasureTest : public ::testing::Test {
 protected:
  CaseWalk walk(bool emergency = false) {
    const std::string id = "M" + std::to_string(++cases_);
    return CaseWalk(
        rules_, id, "marginal",
        people_.household("3713020010010" + std::to_string(cases_), "371302001001", 3, false),
        at("2026-11-02T09:00"), emergency);
  }

  // What the civil affairs bureau answers for the household's second member.
  static RecordDepartmentMeasure measure(CaseWalk& w) {
    RecordDepartmentMeasure e;
    e.meta = w.meta("", "department:civil_affairs");
    e.department = "civil_affairs";
    e.department_name = "县民政局";
    e.feed = "civil_affairs_feedback";
    e.period = "2026-12-01";
    e.member_id_number = w.household().members.at(1).id_number;
    e.member_name = w.household().members.at(1).name;
    e.measure_type = MeasureType::kSocialSecurity;
    e.measure = "低保";
    e.amount = "600";
    e.amount_label = "月保障金额";
    e.start_date = *parse_date("2026-12-01");
    return e;
  }

  ProgramRules rules_ = testing::test_rules();
  PeopleGenerator people_{20261201};
  int cases_ = 0;
};

std::string detail(const HistoryEntry& h, const std::string& key) {
  for (const auto& [k, v] : h.details) {
    if (k == key) return v;
  }
  return "<none>";
}

TEST_F(CaseDepartmentMeasureTest, RecordedAsAnInPlaceMeasureOfTheDepartment) {
  auto w = walk();
  w.recognise();
  w.ok(w.measure(MeasureType::kIndustry));
  w.days(30);
  const auto e = measure(w);
  const Outcome o = w.ok(e);
  EXPECT_EQ(w.state(), "registered");
  EXPECT_EQ(o.entry.before, o.entry.after);
  EXPECT_EQ(o.entry.event, "record_department_measure");
  EXPECT_EQ(o.entry.actor, "department:civil_affairs");
  EXPECT_TRUE(o.notices.empty());
  ASSERT_EQ(w.data().measures.size(), 2u);
  const Measure& m = w.data().measures.back();
  EXPECT_EQ(m.id, 2);
  EXPECT_EQ(m.type, MeasureType::kSocialSecurity);
  EXPECT_EQ(m.description, "县民政局：低保（月保障金额600元）");
  EXPECT_EQ(m.status, MeasureStatus::kInPlace);
  EXPECT_EQ(m.start_date, *parse_date("2026-12-01"));
  EXPECT_EQ(m.recorded, (Stamp{"department:civil_affairs", e.meta.at}));
  EXPECT_EQ(m.department, "civil_affairs");
  EXPECT_EQ(m.source_period, "2026-12-01");
  EXPECT_EQ(m.member_id_number, e.member_id_number);
  // A user's measure says no department.
  EXPECT_EQ(w.data().measures.front().department, "");
  EXPECT_EQ(detail(o.entry, "measure_id"), "2");
  EXPECT_EQ(detail(o.entry, "department"), "civil_affairs");
  EXPECT_EQ(detail(o.entry, "period"), "2026-12-01");
  EXPECT_EQ(detail(o.entry, "description"), "县民政局：低保（月保障金额600元）");
  EXPECT_EQ(detail(o.entry, "member"), mask_name(e.member_name));
  for (const auto& [k, v] : o.entry.details) {
    EXPECT_EQ(v.find(e.member_id_number), std::string::npos) << k << ": an ID number in history";
  }
}

struct DescriptionRow {
  std::string department_name, measure, amount, amount_label, description;
};

TEST_F(CaseDepartmentMeasureTest, TheDescriptionNamesTheDepartmentAndTheAmount) {
  const std::vector<DescriptionRow> rows = {
      {"县民政局", "低保", "600", "月保障金额", "县民政局：低保（月保障金额600元）"},
      {"县民政局", "临时救助", "1200.5", "", "县民政局：临时救助（金额1200.5元）"},
      {"县教育局", "雨露计划补助", "", "", "县教育局：雨露计划补助"},
      {"", "医疗救助", "", "", "civil_affairs：医疗救助"},
  };
  for (const auto& row : rows) {
    RecordDepartmentMeasure e;
    e.department = "civil_affairs";
    e.department_name = row.department_name;
    e.measure = row.measure;
    e.amount = row.amount;
    e.amount_label = row.amount_label;
    EXPECT_EQ(department_measure_description(e), row.description);
  }
}

struct StateRow {
  const char* what;
  std::function<void(CaseWalk&)> reach;
  std::string state;
  std::string_view code;  // empty: accepted
};

TEST_F(CaseDepartmentMeasureTest, AcceptedWhileInProgressRefusedAfterEliminationOrClosing) {
  const std::vector<StateRow> rows = {
      {"discovered, not an emergency", [](CaseWalk& w) { w.open(); }, "discovered", ""},
      {"verification",
       [](CaseWalk& w) {
         w.open();
         w.ok(w.start_verification());
       },
       "household_verification", ""},
      {"registered", [](CaseWalk& w) { w.recognise(); }, "registered", ""},
      {"elimination review",
       [](CaseWalk& w) {
         w.recognise();
         w.ok(ProposeElimination{w.meta()});
       },
       "elimination_review", ""},
      {"eliminated",
       [](CaseWalk& w) {
         w.recognise();
         w.eliminate();
       },
       "eliminated", refusal::kAssistanceAfterElimination},
      {"rejected",
       [](CaseWalk& w) {
         w.open();
         w.ok(w.start_verification());
         w.ok(w.ineligible_verification());
       },
       "rejected", refusal::kNotInThisState},
      {"new", [](CaseWalk&) {}, "new", refusal::kNotInThisState},
  };
  for (const auto& row : rows) {
    auto w = walk();
    row.reach(w);
    ASSERT_EQ(w.state(), row.state) << row.what;
    const auto e = measure(w);
    if (row.code.empty()) {
      w.ok(e);
      EXPECT_EQ(w.state(), row.state) << row.what;
      EXPECT_EQ(w.data().measures.size(), 1u) << row.what;
      continue;
    }
    const Refusal r = w.refused(e);
    EXPECT_EQ(r.code, row.code) << row.what << ": " << r.message;
    EXPECT_TRUE(w.data().measures.empty()) << row.what;
  }
}

struct ReplayRow {
  const char* what;
  std::function<void(RecordDepartmentMeasure&)> change;
  bool recorded_again;
};

TEST_F(CaseDepartmentMeasureTest, TheSameAnswerRowIsNeverRecordedTwice) {
  const std::vector<ReplayRow> rows = {
      {"the same row", [](auto&) {}, false},
      {"the same row through another feed", [](auto& e) { e.feed = "other"; }, false},
      {"another start date", [](auto& e) { e.start_date = *parse_date("2026-12-05"); }, true},
      {"another list", [](auto& e) { e.period = "2026-12-15"; }, true},
      {"another department", [](auto& e) { e.department = "education"; }, true},
      {"another amount", [](auto& e) { e.amount = "650"; }, true},
      {"another measure", [](auto& e) { e.measure = "特困供养"; }, true},
  };
  for (const auto& row : rows) {
    auto w = walk();
    w.recognise();
    w.ok(measure(w));
    w.days(1);
    auto again = measure(w);
    row.change(again);
    if (row.recorded_again) {
      w.ok(again);
      EXPECT_EQ(w.data().measures.size(), 2u) << row.what;
      continue;
    }
    const std::int64_t version = w.machine().version();
    const Refusal r = w.refused(again);
    EXPECT_EQ(r.code, refusal::kDepartmentMeasureRecorded) << row.what << ": " << r.message;
    EXPECT_NE(r.reason.find("措施1"), std::string::npos) << r.reason;
    EXPECT_EQ(w.data().measures.size(), 1u) << row.what;
    EXPECT_EQ(w.machine().version(), version);
  }
  // Another member of the household answered for the same measure: a measure of their own.
  auto w = walk();
  w.recognise();
  w.ok(measure(w));
  auto other = measure(w);
  other.member_id_number = w.household().members.at(2).id_number;
  other.member_name = w.household().members.at(2).name;
  w.ok(other);
  EXPECT_EQ(w.data().measures.size(), 2u);
}

struct PayloadRow {
  const char* what;
  std::function<void(RecordDepartmentMeasure&)> change;
  std::string_view code;
  std::string field;
};

TEST_F(CaseDepartmentMeasureTest, PayloadRefusalsNameTheirCodeAndField) {
  const std::vector<PayloadRow> rows = {
      {"no department", [](auto& e) { e.department.clear(); },
       refusal::kDepartmentMeasureFieldMissing, "department"},
      {"no feed", [](auto& e) { e.feed.clear(); }, refusal::kDepartmentMeasureFieldMissing, "feed"},
      {"no period", [](auto& e) { e.period.clear(); }, refusal::kDepartmentMeasureFieldMissing,
       "period"},
      {"no member", [](auto& e) { e.member_id_number.clear(); },
       refusal::kDepartmentMeasureFieldMissing, "member_id_number"},
      {"no measure", [](auto& e) { e.measure.clear(); }, refusal::kDepartmentMeasureFieldMissing,
       "measure"},
      {"a month for a period", [](auto& e) { e.period = "2026-12"; },
       refusal::kDepartmentMeasurePeriodInvalid, "period"},
      {"day 32", [](auto& e) { e.period = "2026-12-32"; }, refusal::kDepartmentMeasurePeriodInvalid,
       "period"},
      {"an amount in words", [](auto& e) { e.amount = "六百"; },
       refusal::kDepartmentMeasureAmountInvalid, "amount"},
      {"an amount not canonical", [](auto& e) { e.amount = "600.00"; },
       refusal::kDepartmentMeasureAmountInvalid, "amount"},
      {"a phone number in the measure", [](auto& e) { e.measure = "低保，联系13812345678"; },
       refusal::kDepartmentMeasureUnmaskedIdentifier, "measure"},
      {"a member of another household", [](auto& e) { e.member_id_number = "110101199003070014"; },
       refusal::kDepartmentMeasureMemberUnknown, "member_id_number"},
      {"no actor", [](auto& e) { e.meta.actor.clear(); }, refusal::kActorMissing, "meta.actor"},
  };
  for (const auto& row : rows) {
    auto w = walk();
    w.recognise();
    auto e = measure(w);
    row.change(e);
    const Refusal r = w.refused(e);
    EXPECT_EQ(r.code, row.code) << row.what << ": " << r.message;
    EXPECT_EQ(r.field, row.field) << row.what;
    EXPECT_EQ(r.message.rfind("案件处于“监测帮扶”阶段，不能记录部门落实的帮扶措施", 0), 0u)
        << r.message;
    EXPECT_TRUE(w.data().measures.empty()) << row.what;
  }
  // The member's ID number itself never shows in a refusal.
  auto w = walk();
  w.recognise();
  auto e = measure(w);
  e.measure = "低保" + e.member_id_number;
  const Refusal r = w.refused(e);
  EXPECT_EQ(r.code, refusal::kDepartmentMeasureUnmaskedIdentifier);
  EXPECT_EQ(r.message.find(e.member_id_number), std::string::npos);
}

TEST(CaseEvents, DepartmentMeasuresAreTheSystemsOwn) {
  EXPECT_TRUE(system_only(RecordDepartmentMeasure{}));
  EXPECT_FALSE(system_only(AddMeasure{}));
  EXPECT_EQ(event_name(RecordDepartmentMeasure{}), "record_department_measure");
  EXPECT_EQ(event_label(RecordDepartmentMeasure{}), "记录部门落实的帮扶措施");
}

}  // namespace
}  // namespace fangfan
