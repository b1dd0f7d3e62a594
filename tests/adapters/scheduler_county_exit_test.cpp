// Issue 14 items 1 and 5 in the shipped example county (config/example.toml, its [rules.evaluation]
// and [rules.elimination], the shipped calendar) on SQLite: what a county's inspectors (督查)
// would check first — the Q4 evaluation leaves a result that closes its task and is counted,
// elimination rests on it, and an able household under 兜底 alone reaches its township and the
// monthly measures report.
#include <gtest/gtest.h>

#include "adapters/reports/report_loader.h"
#include "adapters/storage/evaluation_store.h"
#include "tests/adapters/county_fixture.h"
#include "workflows/duties.h"

namespace fangfan {
namespace {

using namespace county_test;  // NOLINT: the fixture's vocabulary
using testing::at;
using testing::CaseWalk;

class CountyExit : public CountyFixture {
 protected:
  CountyExit() : CountyFixture("2025-11-03T08:00") {}

  Refusal refuse(std::int64_t id, const CaseEvent& e) {
    const ApplyResult r = repo_->apply(id, e);
    const auto* refusal = std::get_if<Refusal>(&r);
    if (refusal == nullptr) {
      ADD_FAILURE() << event_name(e) << " was stored";
      return {};
    }
    return *refusal;
  }
};

// [000]
// "县扶贫办每年第四季度组织开展监测对象返贫致贫风险变化情况评估。对致贫风险已消除的边缘易致贫户，
//        按照'民主评议—乡镇审核—村级公示（5天）'的程序退出监测和帮扶范围";
// [001] "重点关注家庭收入是否稳定超过监测范围、'三保障'和饮水安全是否持续巩固".
// On today's main the evaluation task can only be marked done with no result, nothing counts
// results, and a proposal of elimination needs no evidence.
TEST_F(CountyExit, EvidenceBehindExit_TheEvaluationsResultClosesItsTaskAndOpensTheWay) {
  CaseWalk a = walk(at("2025-11-03T09:00"), "3799010010010001", kDongling);
  const std::int64_t case_a = registered_case(a, "杨帆");
  CaseWalk b = walk(at("2025-11-03T09:00"), "3799010020010001", kXihe);
  const std::int64_t case_b = registered_case(b, "朱晓东");

  // Registered while the Q4 evaluation is open: each has its task.
  const std::optional<DutyRecord> task = find_duty(s(), evaluation_duty_key(case_a, 2025));
  ASSERT_TRUE(task);
  EXPECT_EQ(task->state, DutyState::kOpen);

  // No evidence: refused, naming what is missing.
  const Refusal r = refuse(case_a, ProposeElimination{a.meta()});
  EXPECT_EQ(r.code, "exit_evidence_missing");
  EXPECT_NE(r.message.find("尚未登记年度风险评估结果"), std::string::npos) << r.message;

  // The county records A's result: risk removed, 8000 yuan a person (the line is 6500), needs
  // secure. The task closes in the same transaction; the history keeps the result.
  accept(a, case_a,
         RecordEvaluation{a.meta("", "县扶贫办张*"),
                          2025,
                          EvaluationResult::kRiskRemoved,
                          800000,
                          {},
                          "县扶贫办张*"});
  EXPECT_EQ(find_duty(s(), evaluation_duty_key(case_a, 2025))->state, DutyState::kDone);
  const std::optional<CaseView> view = CaseReader(s(), *config_).load(case_a);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->history.back().event, "record_evaluation");
  EXPECT_EQ(view->snapshot.data.evaluations.size(), 1u);
  // B's evaluation finds the risk persisting.
  BasicNeeds housing_unsafe;
  housing_unsafe.housing = false;
  accept(b, case_b,
         RecordEvaluation{b.meta("", "县扶贫办张*"), 2025, EvaluationResult::kRiskPersisting,
                          420000, housing_unsafe, "县扶贫办张*"});
  EXPECT_EQ(find_duty(s(), evaluation_duty_key(case_b, 2025))->state, DutyState::kDone);

  // The progress counts the results by township.
  const auto results = count_evaluation_results(s(), 2025);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results.at("379901001").risk_removed, 1);
  EXPECT_EQ(results.at("379901002").risk_persisting, 1);
  EXPECT_TRUE(count_evaluation_results(s(), 2024).empty());

  // A's elimination now runs; B's is refused with the evaluation's findings.
  accept(a, case_a, ProposeElimination{a.meta()});
  EXPECT_EQ(a.state(), "elimination_review");
  const Refusal rb = refuse(case_b, ProposeElimination{b.meta()});
  EXPECT_NE(rb.message.find("2025年度风险评估认定住房安全未保障"), std::string::npos) << rb.message;
}

// [001] "对有劳动能力、有意愿的，是否落实了开发式帮扶措施；…对符合条件、无劳动能力的，是否做好兜底
//        保障"; "整户无劳动能力兜底保障的监测对象暂不标注'风险消除'…由乡村两级进行认定".
// On today's main an able household under 低保 alone is never flagged, and the guaranteed-support
// status is read from the members' flags, unconfirmed.
TEST_F(CountyExit, NoLabourAndSupportOnly_ConfirmedStatusesAndTheTownshipTold) {
  CaseWalk a = walk(at("2025-11-03T09:00"), "3799010010010002", kDongling);
  const std::int64_t case_a = registered_case(a, "杨帆");
  accept(a, case_a, a.measure(MeasureType::kSocialSecurity));
  // The township clerk of 东岭镇 is told (a message of its own type).
  long long told = 0;
  const long long id = case_a;
  s() << "SELECT COUNT(*) FROM outbox WHERE message_type = 'support_only_household'"
         " AND case_id = :id",
      soci::use(id), soci::into(told);
  EXPECT_GE(told, 1);

  // The monthly measures report lists the household.
  ReportRequest req;
  req.name = "measures";
  for (const Township& t : config_->townships) req.setting.townships.push_back({t.code, t.name});
  req.as_of = at("2025-11-30T23:59");
  auto loaded = load_report(s(), *config_, calendar_.get(), req);
  ASSERT_TRUE(std::holds_alternative<ReportTable>(loaded));
  const ReportTable& table = std::get<ReportTable>(loaded);
  ASSERT_EQ(table.sections.size(), 2u);
  EXPECT_EQ(table.sections[1].title, "有劳动能力仅兜底帮扶");
  ASSERT_EQ(table.sections[1].rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(table.sections[1].rows[0][2]), format_case_id(case_a));

  // Guaranteed support holds once village and township have both confirmed it.
  accept(a, case_a,
         ConfirmHouseholdStatus{a.meta("经入户核实，家庭成员均无劳动能力", "村委会王*"),
                                HouseholdStatus::kGuaranteedSupport, ApprovalLevel::kVillage});
  accept(a, case_a,
         RecordEvaluation{a.meta("", "县扶贫办张*"),
                          2025,
                          EvaluationResult::kRiskRemoved,
                          800000,
                          {},
                          "县扶贫办张*"});
  accept(a, case_a,
         ConfirmHouseholdStatus{a.meta("同意", "镇扶贫办李*"), HouseholdStatus::kGuaranteedSupport,
                                ApprovalLevel::kTownship});
  EXPECT_EQ(refuse(case_a, ProposeElimination{a.meta()}).code, "guaranteed_support");
}

}  // namespace
}  // namespace fangfan
