// Exit with evidence and the household statuses village and township confirm (issue 14 items 1
// and 5): the guards as tables over plain case data (no machine, no database), then the two
// scenarios on the case machine, written from the seeds' words.
#include "workflows/exit_evidence.h"

#include <gtest/gtest.h>

#include "tests/workflows/case_fixture.h"

namespace fangfan {
namespace {

using namespace std::chrono_literals;
using testing::at;
using testing::CaseWalk;

ProgramRules exit_rules(ExitEvidence evidence = ExitEvidence::kEvaluationOrMonitoring) {
  ProgramRules r = testing::test_rules();
  r.elimination.enabled = true;
  r.elimination.kinds = {"unstable", "marginal", "sudden"};
  r.elimination.evidence = evidence;
  r.elimination.monitoring_months = 3;
  r.elimination.evaluation_max_age_years = 1;
  return r;
}

Member member(bool able) {
  Member m;
  m.name = "测试";
  m.able_to_work = able;
  return m;
}

// A registered household of two (the line is 6500 yuan a person a year).
CaseData registered(std::string kind = "marginal") {
  CaseData d;
  d.kind = std::move(kind);
  d.household.members = {member(true), member(false)};
  d.opened.at = at("2024-03-01T09:00");
  d.registered_at = at("2024-04-01T09:00");
  return d;
}

EvaluationRecord evaluation(int year, EvaluationResult result, std::int64_t income_fen,
                            BasicNeeds needs = {}) {
  EvaluationRecord e;
  e.year = year;
  e.result = result;
  e.per_capita_income_fen = income_fen;
  e.basic_needs = needs;
  e.assessor = "县扶贫办张*";
  e.recorded_at = at("2025-11-20T10:00");
  return e;
}

// A monthly record whose month's income × 12 for two persons is `per_capita_year_fen` a person.
MonitoringRecord month(std::chrono::year_month m, std::int64_t per_capita_year_fen,
                       bool needs = true, RiskTrend risk = RiskTrend::kStable) {
  MonitoringRecord r;
  r.account.month = m;
  r.account.wage_income_fen = per_capita_year_fen * 2 / 12;
  r.basic_needs_secure = needs;
  r.risk = risk;
  return r;
}

ProposeElimination proposal(const char* when = "2025-12-01T09:00") {
  return ProposeElimination{{"镇扶贫办李*", at(when), ""}};
}

// -- the evidence guard, as a table ---------------------------------------------------------

TEST(ExitEvidence, ProposalNeedsTheEvidenceTheRuleNames) {
  using std::chrono::year;
  const std::int64_t above = 650100, line = 650000;  // fen a person a year
  BasicNeeds no_housing;
  no_housing.housing = false;
  struct Row {
    const char* name;
    ExitEvidence evidence;
    std::vector<EvaluationRecord> evaluations;
    std::vector<MonitoringRecord> monitoring;
    const char* missing;  // "" = accepted; else a piece of the refusal sentence
  };
  const std::vector<Row> rows{
      {"nothing at all", ExitEvidence::kEvaluation, {}, {}, "尚未登记年度风险评估结果"},
      {"risk removed, above the line, needs secure",
       ExitEvidence::kEvaluation,
       {evaluation(2025, EvaluationResult::kRiskRemoved, above)},
       {},
       ""},
      {"last year's evaluation still counts",
       ExitEvidence::kEvaluation,
       {evaluation(2024, EvaluationResult::kRiskRemoved, above)},
       {},
       ""},
      {"two years back is too old",
       ExitEvidence::kEvaluation,
       {evaluation(2023, EvaluationResult::kRiskRemoved, above)},
       {},
       "最近一次风险评估为2023年度，已不是近期评估"},
      {"risk persisting",
       ExitEvidence::kEvaluation,
       {evaluation(2025, EvaluationResult::kRiskPersisting, above)},
       {},
       "2025年度风险评估结论为“风险未消除”"},
      {"income on the line is not above it (超过)",
       ExitEvidence::kEvaluation,
       {evaluation(2025, EvaluationResult::kRiskRemoved, line)},
       {},
       "人均纯收入6500.00元未超过监测标准6500.00元"},
      {"housing not secure",
       ExitEvidence::kEvaluation,
       {evaluation(2025, EvaluationResult::kRiskRemoved, above, no_housing)},
       {},
       "2025年度风险评估认定住房安全未保障"},
      {"the latest evaluation decides",
       ExitEvidence::kEvaluation,
       {evaluation(2025, EvaluationResult::kRiskPersisting, above),
        evaluation(2024, EvaluationResult::kRiskRemoved, above)},
       {},
       "风险未消除"},
      {"three consecutive secure months",
       ExitEvidence::kMonitoring,
       {},
       {month(year{2025} / 9, above), month(year{2025} / 10, above), month(year{2025} / 11, above)},
       ""},
      {"a gap breaks the run",
       ExitEvidence::kMonitoring,
       {},
       {month(year{2025} / 8, above), month(year{2025} / 10, above), month(year{2025} / 11, above)},
       "现仅有连续2个月"},
      {"a month below the line breaks the run",
       ExitEvidence::kMonitoring,
       {},
       {month(year{2025} / 9, above), month(year{2025} / 10, above), month(year{2025} / 11, line)},
       "现仅有连续0个月"},
      {"needs not secure",
       ExitEvidence::kMonitoring,
       {},
       {month(year{2025} / 9, above), month(year{2025} / 10, above, false),
        month(year{2025} / 11, above)},
       "现仅有连续1个月"},
      {"risk increased",
       ExitEvidence::kMonitoring,
       {},
       {month(year{2025} / 9, above), month(year{2025} / 10, above),
        month(year{2025} / 11, above, true, RiskTrend::kIncreased)},
       "现仅有连续0个月"},
      {"either: monitoring suffices",
       ExitEvidence::kEvaluationOrMonitoring,
       {evaluation(2025, EvaluationResult::kRiskPersisting, above)},
       {month(year{2025} / 9, above), month(year{2025} / 10, above), month(year{2025} / 11, above)},
       ""},
      {"either: both missing names both",
       ExitEvidence::kEvaluationOrMonitoring,
       {},
       {},
       "年度风险评估不足以佐证（尚未登记年度风险评估结果）；月度监测记录也不足以佐证"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    const ProgramRules r = exit_rules(row.evidence);
    CaseData d = registered();
    d.evaluations = row.evaluations;
    d.monitoring = row.monitoring;
    const Check p = exit_evidence_problem(proposal(), d, r);
    if (std::string(row.missing).empty()) {
      EXPECT_FALSE(p.has_value()) << p->sentence;
    } else {
      ASSERT_TRUE(p.has_value());
      EXPECT_EQ(p->code, refusal::kExitEvidenceMissing);
      EXPECT_NE(p->sentence.find(row.missing), std::string::npos) << p->sentence;
    }
  }
  // Without [rules.elimination] nothing is required (as before).
  EXPECT_FALSE(exit_evidence_problem(proposal(), registered(), testing::test_rules()));
}

TEST(ExitEvidence, OnlyTheConfiguredKindsMayBeEliminated) {
  const ProgramRules r = exit_rules();
  for (const char* kind : {"unstable", "marginal", "sudden"}) {
    EXPECT_FALSE(elimination_kind_problem(registered(kind), r)) << kind;
  }
  const Check p = elimination_kind_problem(registered("instant"), r);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, refusal::kEliminationKindNotAllowed);
  EXPECT_EQ(p->sentence,
            "按本县规定，风险消除程序只适用于脱贫不稳定户、边缘易致贫户、突发严重困难户，本案为"
            "即时帮扶户");
  ProgramRules every = r;
  every.elimination.kinds.clear();
  EXPECT_FALSE(elimination_kind_problem(registered("instant"), every));
}

TEST(ExitEvidence, EvaluationPayloadAndYear) {
  const CaseData d = registered();
  struct Row {
    int year;
    std::int64_t income;
    const char* assessor;
    std::string_view code;  // "" = accepted
  };
  const std::vector<Row> rows{
      {2025, 700000, "县扶贫办张*", ""},
      {2024, 700000, "县扶贫办张*", ""},
      {2026, 700000, "县扶贫办张*", refusal::kEvaluationYearInvalid},
      {2023, 700000, "县扶贫办张*", refusal::kEvaluationYearInvalid},
      {2025, 700000, "", refusal::kAssessorMissing},
      {2025, -1, "县扶贫办张*", refusal::kEvaluationIncomeInvalid},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.year);
    RecordEvaluation e{{"县扶贫办", at("2025-11-20T10:00"), ""},
                       row.year,
                       EvaluationResult::kRiskRemoved,
                       row.income,
                       {},
                       row.assessor};
    const Check p = evaluation_problem(e, d);
    EXPECT_EQ(p ? p->code : "", row.code);
  }
  CaseData once = d;
  once.evaluations = {evaluation(2025, EvaluationResult::kRiskRemoved, 700000)};
  RecordEvaluation again{{"县扶贫办", at("2025-11-21T10:00"), ""},
                         2025,
                         EvaluationResult::kRiskRemoved,
                         700000,
                         {},
                         "县扶贫办张*"};
  const Check p = evaluation_problem(again, once);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->sentence, "2025年度的风险评估结果已于2025-11-20登记");
}

TEST(HouseholdStatus, ConfirmationsByVillageAndTownshipOnce) {
  auto confirm = [](HouseholdStatus s, ApprovalLevel l, const char* opinion = "同意") {
    return ConfirmHouseholdStatus{{"村委会王*", at("2025-05-06T09:00"), opinion}, s, l};
  };
  const auto kGs = HouseholdStatus::kGuaranteedSupport;
  const auto kDev = HouseholdStatus::kDevelopmental;
  CaseData d = registered();
  CaseData village = d;
  village.status_confirmations = {{kGs, ApprovalLevel::kVillage, "同意", "村委会王*", {}}};
  CaseData guaranteed = village;
  guaranteed.guaranteed_support_on = Date{std::chrono::year{2025} / 5 / 6};
  CaseData developmental = d;
  developmental.developmental_assistance_on = Date{std::chrono::year{2025} / 5 / 6};
  CaseData with_industry = d;
  Measure industry;
  industry.type = MeasureType::kIndustry;
  industry.status = MeasureStatus::kInPlace;
  with_industry.measures = {industry};
  struct Row {
    const char* name;
    const CaseData* data;
    ConfirmHouseholdStatus event;
    std::string_view code;
  };
  const std::vector<Row> rows{
      {"village first", &d, confirm(kGs, ApprovalLevel::kVillage), ""},
      {"township first", &d, confirm(kGs, ApprovalLevel::kTownship), ""},
      {"the city does not confirm", &d, confirm(kGs, ApprovalLevel::kCity),
       refusal::kConfirmationLevelWrong},
      {"an opinion is required", &d, confirm(kGs, ApprovalLevel::kVillage, ""),
       refusal::kReasonMissing},
      {"each level once", &village, confirm(kGs, ApprovalLevel::kVillage),
       refusal::kStatusConfirmationRecorded},
      {"in effect already", &guaranteed, confirm(kGs, ApprovalLevel::kTownship),
       refusal::kStatusInEffect},
      {"guaranteed support excludes developmental", &guaranteed,
       confirm(kDev, ApprovalLevel::kVillage), refusal::kStatusConflict},
      {"developmental excludes guaranteed support", &developmental,
       confirm(kGs, ApprovalLevel::kVillage), refusal::kStatusConflict},
      {"developmental needs a measure in place", &d, confirm(kDev, ApprovalLevel::kVillage),
       refusal::kNoMeasureInPlace},
      {"developmental with industry in place", &with_industry,
       confirm(kDev, ApprovalLevel::kVillage), ""},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    const Check p = status_confirmation_problem(row.event, *row.data);
    EXPECT_EQ(p ? p->code : "", row.code) << (p ? p->sentence : "");
  }
}

TEST(HouseholdStatus, SupportOnlyFlagsAbleHouseholdsWithOnlyGuaranteedSupport) {
  auto with = [](bool able, std::vector<std::pair<MeasureType, MeasureStatus>> measures,
                 bool confirmed = false) {
    CaseData d = registered();
    d.household.members = {member(able), member(false)};
    for (auto [type, status] : measures) {
      Measure m;
      m.type = type;
      m.status = status;
      d.measures.push_back(m);
    }
    if (confirmed) d.guaranteed_support_on = Date{std::chrono::year{2025} / 5 / 6};
    return d;
  };
  using T = MeasureType;
  using S = MeasureStatus;
  struct Row {
    const char* name;
    CaseData data;
    bool flagged;
  };
  const std::vector<Row> rows{
      {"able, 低保 only", with(true, {{T::kSocialSecurity, S::kInPlace}}), true},
      {"able, 低保 and a stopped job",
       with(true, {{T::kSocialSecurity, S::kInPlace}, {T::kEmployment, S::kStopped}}), true},
      {"able, 低保 and industry",
       with(true, {{T::kSocialSecurity, S::kInPlace}, {T::kIndustry, S::kPlanned}}), false},
      {"able, no measure", with(true, {}), false},
      {"nobody able", with(false, {{T::kSocialSecurity, S::kInPlace}}), false},
      {"able by the flags but confirmed guaranteed support",
       with(true, {{T::kSocialSecurity, S::kInPlace}}, true), false},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(support_only(row.data), row.flagged) << row.name;
  }
}

// -- the scenarios ------------------------------------------------------------------------

class ExitScenario : public ::testing::Test {
 protected:
  CaseWalk walk(std::string kind, bool nobody_can_work = false) {
    const std::string n = std::to_string(++cases_);
    return CaseWalk(rules_, "X" + n, std::move(kind),
                    people_.household("3713020010020" + n, "371302001002", 2, nobody_can_work),
                    at("2025-06-02T09:00"));
  }
  RecordEvaluation evaluation_event(CaseWalk& w, EvaluationResult result, std::int64_t income) {
    return RecordEvaluation{w.meta("", "县扶贫办张*"), 2025, result, income, {}, "县扶贫办张*"};
  }

  ProgramRules rules_ = exit_rules(ExitEvidence::kEvaluation);
  testing::PeopleGenerator people_{20251106};
  int cases_ = 0;
};

// Issue 14 item 1, from the seeds' words:
// [000]
// "县扶贫办每年第四季度组织开展监测对象返贫致贫风险变化情况评估。对致贫风险已消除的边缘易致贫户，
//        按照'民主评议—乡镇审核—村级公示（5天）'的程序退出监测和帮扶范围";
// [001] "重点关注家庭收入是否稳定超过监测范围、'三保障'和饮水安全是否持续巩固".
// On today's main a proposal is accepted with no evaluation at all, and no evaluation result
// can be recorded.
TEST_F(ExitScenario, EliminationRestsOnTheQ4EvaluationSayingRiskRemoved) {
  CaseWalk w = walk("marginal");
  w.recognise();
  w.days(150);  // November 2025: the Q4 evaluation
  Refusal r = w.refused(ProposeElimination{w.meta()});
  EXPECT_EQ(r.code, refusal::kExitEvidenceMissing);
  EXPECT_EQ(r.reason,
            "风险消除须有家庭收入稳定超过监测标准、三保障和饮水安全有保障的佐证：尚未登记年度风险"
            "评估结果");

  // The evaluation finds the risk persisting: still no elimination, and the refusal says why.
  Outcome o = w.ok(evaluation_event(w, EvaluationResult::kRiskPersisting, 500000));
  EXPECT_EQ(o.entry.event, "record_evaluation");
  EXPECT_EQ(w.state(), "registered");
  r = w.refused(ProposeElimination{w.meta()});
  EXPECT_NE(r.reason.find("2025年度风险评估结论为“风险未消除”"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("人均纯收入5000.00元未超过监测标准6500.00元"), std::string::npos)
      << r.reason;
  // One result per year.
  EXPECT_EQ(w.refused(evaluation_event(w, EvaluationResult::kRiskRemoved, 800000)).code,
            refusal::kEvaluationRecorded);

  // Next year's evaluation says risk removed, income above the line, 三保障 and water secure:
  // the elimination procedure runs.
  w.days(365);
  RecordEvaluation removed = evaluation_event(w, EvaluationResult::kRiskRemoved, 800000);
  removed.year = 2026;
  o = w.ok(removed);
  const Details expected{{"year", "2026"},
                         {"result", "risk_removed"},
                         {"per_capita_income_yuan", "8000.00"},
                         {"above_line", "true"},
                         {"compulsory_education", "true"},
                         {"basic_medical", "true"},
                         {"housing", "true"},
                         {"drinking_water", "true"},
                         {"assessor", "县扶贫办张*"}};
  EXPECT_EQ(o.entry.details, expected);
  w.eliminate();

  // [000] names 边缘易致贫户; a kind the county did not list is refused whatever the evidence.
  CaseWalk other = walk("instant");
  other.recognise();
  other.days(150);
  other.ok(evaluation_event(other, EvaluationResult::kRiskRemoved, 800000));
  EXPECT_EQ(other.refused(ProposeElimination{other.meta()}).code,
            refusal::kEliminationKindNotAllowed);

  // The evaluation covers monitoring objects only.
  CaseWalk early = walk("marginal");
  early.open();
  EXPECT_EQ(early.refused(evaluation_event(early, EvaluationResult::kRiskRemoved, 800000)).code,
            refusal::kNotMonitoringObject);
}

// Issue 14 item 5, from the seeds' words:
// [001] "整户无劳动能力兜底保障的监测对象暂不标注'风险消除'…由乡村两级进行认定，符合条件的，…标识为
//        '整户无劳动能力兜底保障户'";
//        "已落实开发式帮扶措施的，经乡村两级确认后，及时…标识'已实施开发式 帮扶'";
//        "对有劳动能力、有意愿的，是否落实了开发式帮扶措施".
// On today's main the members' flags decide both (a household whose flags say nobody can work
// is refused elimination with no confirmation; the developmental mark needs none), and an able
// household under 低保 alone is never flagged.
TEST_F(ExitScenario, StatusesAreConfirmedByVillageAndTownship) {
  // Flags say nobody can work, but no level has confirmed it: the evidence decides alone.
  CaseWalk w = walk("marginal", true);
  w.recognise();
  w.days(150);
  w.ok(evaluation_event(w, EvaluationResult::kRiskRemoved, 800000));
  Outcome o =
      w.ok(ConfirmHouseholdStatus{w.meta("经入户核实，家庭成员均无劳动能力", "村委会王*"),
                                  HouseholdStatus::kGuaranteedSupport, ApprovalLevel::kVillage});
  EXPECT_EQ(
      o.entry.details,
      (Details{{"status", "guaranteed_support"}, {"level", "village"}, {"confirmed", "false"}}));
  EXPECT_FALSE(w.data().guaranteed_support_on);
  o = w.ok(ConfirmHouseholdStatus{w.meta("同意", "镇扶贫办李*"),
                                  HouseholdStatus::kGuaranteedSupport, ApprovalLevel::kTownship});
  EXPECT_EQ(o.entry.details[2], (std::pair<std::string, std::string>{"confirmed", "true"}));
  EXPECT_TRUE(w.data().guaranteed_support_on);
  EXPECT_EQ(w.refused(ProposeElimination{w.meta()}).code, refusal::kGuaranteedSupport);

  // The developmental mark: an able household with industry in place, confirmed by both.
  CaseWalk v = walk("marginal");
  v.recognise();
  v.ok(v.measure(MeasureType::kIndustry));
  const Date today = china_date(v.now());
  EXPECT_EQ(v.refused(MarkDevelopmental{v.meta(), today}).code,
            refusal::kDevelopmentalNotConfirmed);
  v.ok(ConfirmHouseholdStatus{v.meta("产业帮扶已落实"), HouseholdStatus::kDevelopmental,
                              ApprovalLevel::kVillage});
  EXPECT_EQ(v.refused(MarkDevelopmental{v.meta(), today}).reason,
            "已实施开发式帮扶须经乡村两级确认后标注，尚缺乡镇的确认意见");
  v.ok(ConfirmHouseholdStatus{v.meta("同意"), HouseholdStatus::kDevelopmental,
                              ApprovalLevel::kTownship});
  v.ok(MarkDevelopmental{v.meta(), today});

  // 一兜了之: an able household whose only measure is 低保 is told to its township once.
  CaseWalk u = walk("marginal");
  u.recognise();
  o = u.ok(u.measure(MeasureType::kSocialSecurity));
  ASSERT_EQ(o.notices.size(), 1u);
  EXPECT_EQ(o.notices[0].kind, NoticeKind::kSupportOnly);
  EXPECT_EQ(o.notices[0].roles, std::vector<std::string>{"township_clerk"});
  EXPECT_EQ(o.notices[0].message_type, "support_only_household");
  EXPECT_NE(o.notices[0].text.find("一兜了之"), std::string::npos);
  EXPECT_TRUE(u.ok(u.measure(MeasureType::kSocialSecurity)).notices.empty());  // once
  EXPECT_TRUE(u.ok(u.measure(MeasureType::kEmployment)).notices.empty());
  EXPECT_FALSE(support_only(u.data()));
}

}  // namespace
}  // namespace fangfan
