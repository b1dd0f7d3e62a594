// Department evidence on a case (record_department_evidence, issue 12) and cases opened from a
// department alert (open_case with alert_id): accepted in every open state without moving the
// case, refused once closed; who is told (the case's staff, the county office for a cross-check
// hit during county review); the payload's codes and fields.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "tests/workflows/case_fixture.h"
#include "workflows/case_machine.h"
#include "workflows/id_number.h"
#include "workflows/refusal_codes.h"

namespace fangfan {
namespace {

using testing::at;
using testing::CaseWalk;
using testing::PeopleGenerator;

class CaseEvidenceTest : public ::testing::Test {
 protected:
  CaseWalk walk(bool emergency = false) {
    const std::string id = "C" + std::to_string(++cases_);
    return CaseWalk(
        rules_, id, "marginal",
        people_.household("3713020010010" + std::to_string(cases_), "371302001001", 3, false),
        at("2024-05-06T09:00"), emergency);
  }

  // What the civil affairs feed records for the household's second member.
  static RecordDepartmentEvidence evidence(CaseWalk& w, std::string exclusion = "") {
    RecordDepartmentEvidence e;
    e.meta = w.meta("", "system:feeds");
    e.department = "civil_affairs";
    e.feed = "civil_affairs";
    e.period = "2024-05";
    e.rule = "new_assistance";
    e.rule_label = "新纳入低保/特困/临时救助";
    e.summary = "民政部门2024-05数据：救助类别低保，批准日期2024-05-10";
    e.alert_id = 12;
    e.exclusion = std::move(exclusion);
    e.member_name = w.household().members.at(1).name;
    return e;
  }

  // Every state a case can be in, each reached by a walk of its own.
  std::map<std::string, CaseWalk> every_state() {
    std::map<std::string, CaseWalk> out;
    auto keep = [&](const CaseWalk& w) { out.emplace(w.state(), w); };
    auto a = walk();  // not an emergency: evidence does not need one
    keep(a);
    a.open();
    keep(a);
    a.ok(a.start_verification());
    keep(a);
    a.ok(a.eligible_verification());
    keep(a);
    a.ok(a.review_pass());
    keep(a);
    a.ok(a.county_pass());
    keep(a);
    a.days(6);
    a.ok(a.close_publicity());
    keep(a);
    a.ok(ProposeElimination{a.meta()});
    keep(a);
    a.ok(RecordEliminationReview{a.meta(), true});
    keep(a);
    a.ok(RecordTownshipReview{a.meta(), true});
    keep(a);
    a.days(6);
    a.ok(CloseEliminationPublicity{a.meta()});
    keep(a);
    auto b = walk();
    b.open();
    b.ok(b.start_verification());
    b.ok(b.ineligible_verification());
    keep(b);
    auto c = walk();
    c.recognise();
    c.approve(ApprovalPurpose::kClearOut);
    c.ok(ApplyClearOut{c.meta("不符合条件")});
    keep(c);
    return out;
  }

  ProgramRules rules_ = testing::test_rules();
  PeopleGenerator people_{20240512};
  int cases_ = 0;
};

std::string detail(const HistoryEntry& h, const std::string& key) {
  for (const auto& [k, v] : h.details) {
    if (k == key) return v;
  }
  return "<none>";
}

TEST_F(CaseEvidenceTest, RecordedInEveryOpenStateWithoutMovingTheCase) {
  auto states = every_state();
  ASSERT_EQ(states.size(), case_states().size());
  int recorded = 0;
  for (auto& [state, w] : states) {
    const CaseStateInfo* info = find_case_state(state);
    const bool open = state != "new" && !info->closed;
    const auto e = evidence(w);
    if (!open) {
      const Refusal r = w.refused(e);
      EXPECT_EQ(r.code, refusal::kNotInThisState) << state;
      continue;
    }
    const std::size_t before = w.data().department_evidence.size();
    const std::size_t notices_before = w.data().notices.size();
    const Outcome o = w.ok(e);
    ++recorded;
    EXPECT_EQ(w.state(), state);
    EXPECT_EQ(o.entry.before, o.entry.after);
    EXPECT_EQ(o.entry.actor, "system:feeds");
    EXPECT_FALSE(o.step_started || o.step_ended) << state;
    EXPECT_FALSE(o.assistance_started || o.assistance_ended) << state;
    ASSERT_EQ(w.data().department_evidence.size(), before + 1) << state;
    const DepartmentEvidence& ev = w.data().department_evidence.back();
    EXPECT_EQ(ev.department, "civil_affairs");
    EXPECT_EQ(ev.period, "2024-05");
    EXPECT_EQ(ev.alert_id, std::optional<std::int64_t>{12});
    EXPECT_EQ(ev.member_name, w.household().members.at(1).name);
    EXPECT_FALSE(ev.shown_to_county_office);
    EXPECT_EQ(ev.recorded, (Stamp{"system:feeds", e.meta.at}));
    // Told to the case's staff; never a written notice to the household.
    EXPECT_EQ(w.data().notices.size(), notices_before) << state;
    ASSERT_EQ(o.notices.size(), 1u) << state;
    const Notice& n = o.notices[0];
    EXPECT_EQ(n.kind, NoticeKind::kDepartmentEvidence);
    EXPECT_EQ(n.message_type, "department_evidence");
    EXPECT_EQ(n.roles, (std::vector<std::string>{"assistance_officer", "township_clerk"}));
    EXPECT_EQ(n.step, std::string{info->step}) << state;
    EXPECT_EQ(n.case_id, w.data().case_id);
    EXPECT_NE(n.text.find("新纳入低保/特困/临时救助"), std::string::npos) << n.text;
    EXPECT_NE(n.text.find(mask_name(w.household().members.at(1).name)), std::string::npos);
    EXPECT_EQ(n.text.find(w.household().members.at(1).name), std::string::npos)
        << "the member's name is masked: " << n.text;
    // History says what was recorded, the member by a masked name.
    EXPECT_EQ(detail(o.entry, "rule"), "new_assistance");
    EXPECT_EQ(detail(o.entry, "alert_id"), "12");
    EXPECT_EQ(detail(o.entry, "member"), mask_name(w.household().members.at(1).name));
    EXPECT_EQ(detail(o.entry, "exclusion"), "<none>");
  }
  EXPECT_EQ(recorded, static_cast<int>(case_states().size()) - 3);  // new, rejected, cleared_out
}

struct CrossCheckRow {
  std::string state;
  std::string exclusion;
  bool county_office;
};

TEST_F(CaseEvidenceTest, ACrossCheckHitInCountyReviewIsShownToTheCountyOfficeNeverApplied) {
  const std::vector<CrossCheckRow> rows = {
      {"county_review", "car", true},      {"county_review", "", false},
      {"democratic_review", "car", false}, {"registered", "company", false},
      {"eliminated", "car", false},
  };
  auto states = every_state();
  for (const auto& row : rows) {
    CaseWalk w = states.at(row.state);
    const Outcome o = w.ok(evidence(w, row.exclusion));
    EXPECT_EQ(w.state(), row.state) << "evidence is never applied";
    EXPECT_TRUE(w.data().cross_check_exclusions.empty());
    EXPECT_TRUE(w.data().closing_reason.empty());
    const DepartmentEvidence& ev = w.data().department_evidence.back();
    EXPECT_EQ(ev.exclusion, row.exclusion);
    EXPECT_EQ(ev.shown_to_county_office, row.county_office) << row.state << " " << row.exclusion;
    ASSERT_EQ(o.notices.size(), 1u);
    std::vector<std::string> roles{"assistance_officer", "township_clerk"};
    if (row.county_office) roles.push_back("county_office");
    EXPECT_EQ(o.notices[0].roles, roles) << row.state << " " << row.exclusion;
    const bool says_check =
        o.notices[0].text.find("拥有并经常使用高档乘用车辆") != std::string::npos;
    EXPECT_EQ(says_check, row.county_office) << o.notices[0].text;
    EXPECT_EQ(detail(o.entry, "shown_to"), row.county_office ? "county_office" : "<none>");
    EXPECT_EQ(detail(o.entry, "exclusion"), row.exclusion.empty() ? "<none>" : row.exclusion);
  }
  // The county still decides: the same case passes its county review afterwards.
  CaseWalk w = states.at("county_review");
  w.ok(evidence(w, "car"));
  w.ok(w.county_pass());
  EXPECT_EQ(w.state(), "village_publicity");
}

struct PayloadRow {
  const char* what;
  std::function<void(RecordDepartmentEvidence&)> change;
  std::string_view code;
  std::string field;
};

TEST_F(CaseEvidenceTest, PayloadRefusalsNameTheirCodeAndField) {
  const std::vector<PayloadRow> rows = {
      {"no department", [](auto& e) { e.department.clear(); }, refusal::kEvidenceFieldMissing,
       "department"},
      {"no feed", [](auto& e) { e.feed.clear(); }, refusal::kEvidenceFieldMissing, "feed"},
      {"no period", [](auto& e) { e.period.clear(); }, refusal::kEvidenceFieldMissing, "period"},
      {"no rule", [](auto& e) { e.rule.clear(); }, refusal::kEvidenceFieldMissing, "rule"},
      {"no summary", [](auto& e) { e.summary.clear(); }, refusal::kEvidenceFieldMissing, "summary"},
      {"no member", [](auto& e) { e.member_name.clear(); }, refusal::kEvidenceFieldMissing,
       "member_name"},
      {"month 13", [](auto& e) { e.period = "2024-13"; }, refusal::kEvidencePeriodInvalid,
       "period"},
      {"month 00", [](auto& e) { e.period = "2024-00"; }, refusal::kEvidencePeriodInvalid,
       "period"},
      {"one-digit month", [](auto& e) { e.period = "2024-5"; }, refusal::kEvidencePeriodInvalid,
       "period"},
      {"no dash", [](auto& e) { e.period = "202405"; }, refusal::kEvidencePeriodInvalid, "period"},
      {"alert 0", [](auto& e) { e.alert_id = 0; }, refusal::kAlertIdInvalid, "alert_id"},
      {"alert -3", [](auto& e) { e.alert_id = -3; }, refusal::kAlertIdInvalid, "alert_id"},
      {"unknown exclusion", [](auto& e) { e.exclusion = "yacht"; }, refusal::kExclusionUnknown,
       "exclusion"},
      {"no actor", [](auto& e) { e.meta.actor.clear(); }, refusal::kActorMissing, "meta.actor"},
  };
  for (const auto& row : rows) {
    auto w = walk();
    w.recognise();
    auto e = evidence(w);
    row.change(e);
    const Refusal r = w.refused(e);
    EXPECT_EQ(r.code, row.code) << row.what << ": " << r.message;
    EXPECT_EQ(r.field, row.field) << row.what;
    EXPECT_EQ(r.message.rfind("案件处于“监测帮扶”阶段，不能记录部门预警信息：", 0), 0u)
        << r.message;
  }
  // An ID number or a mobile number in what would be shown and sent.
  auto w = walk();
  w.recognise();
  auto e = evidence(w);
  e.summary = "身份证号" + w.household().members.at(1).id_number + "新纳入低保";
  Refusal r = w.refused(e);
  EXPECT_EQ(r.code, refusal::kEvidenceUnmaskedIdentifier);
  EXPECT_EQ(r.field, "summary");
  EXPECT_EQ(r.message.find(w.household().members.at(1).id_number), std::string::npos);
  e = evidence(w);
  e.member_name = "13812345678";
  EXPECT_EQ(w.refused(e).field, "member_name");
  // Optional fields left out: accepted, the rule's name standing for its label.
  e = evidence(w);
  e.rule_label.clear();
  e.alert_id.reset();
  const Outcome o = w.ok(e);
  EXPECT_EQ(detail(o.entry, "rule_label"), "new_assistance");
  EXPECT_EQ(detail(o.entry, "alert_id"), "<none>");
  EXPECT_FALSE(w.data().department_evidence.back().alert_id);
}

struct OpeningRow {
  const char* what;
  DiscoverySource source;
  std::optional<std::int64_t> alert_id;
  std::string_view code;  // empty: accepted
  std::string field;
};

TEST_F(CaseEvidenceTest, ACaseOpenedFromAnAlertRecordsItAndMustSaySo) {
  const std::vector<OpeningRow> rows = {
      {"from an alert", DiscoverySource::kDepartmentAlert, 7, "", ""},
      {"department source, no alert (imports)", DiscoverySource::kDepartmentAlert, std::nullopt, "",
       ""},
      {"another source, no alert", DiscoverySource::kVillageScreening, std::nullopt, "", ""},
      {"an alert but another source", DiscoverySource::kSelfApplication, 7,
       refusal::kAlertSourceMismatch, "source"},
      {"alert 0", DiscoverySource::kDepartmentAlert, 0, refusal::kAlertIdInvalid, "alert_id"},
      {"negative alert", DiscoverySource::kDepartmentAlert, -1, refusal::kAlertIdInvalid,
       "alert_id"},
  };
  for (const auto& row : rows) {
    auto w = walk();
    auto e = w.open_event();
    e.source = row.source;
    e.alert_id = row.alert_id;
    if (row.code.empty()) {
      const Outcome o = w.ok(e);
      EXPECT_EQ(w.data().alert_id, row.alert_id) << row.what;
      EXPECT_EQ(detail(o.entry, "alert_id"),
                row.alert_id ? std::to_string(*row.alert_id) : "<none>")
          << row.what;
      continue;
    }
    const Refusal r = w.refused(e);
    EXPECT_EQ(r.code, row.code) << row.what << ": " << r.message;
    EXPECT_EQ(r.field, row.field) << row.what;
  }
  auto w = walk();
  auto e = w.open_event();
  e.alert_id = 7;
  EXPECT_EQ(w.refused(e).reason,
            "由部门预警线索建档的案件，发现来源须为“部门筛查预警”，实际为“农户自主申请”");
}

TEST(CaseEvents, OnlyDepartmentEvidenceIsTheSystemsOwn) {
  EXPECT_TRUE(system_only(RecordDepartmentEvidence{}));
  EXPECT_FALSE(system_only(OpenCase{}));
  EXPECT_FALSE(system_only(RecordVisit{}));
  EXPECT_FALSE(system_only(RecordCountyReview{}));
  EXPECT_EQ(event_name(RecordDepartmentEvidence{}), "record_department_evidence");
  EXPECT_EQ(event_label(RecordDepartmentEvidence{}), "记录部门预警信息");
}

}  // namespace
}  // namespace fangfan
