// Issue 14 item 7 in the case machine: the configurable prefecture filing of a rollback or
// clear-out ([001] 三明市), and the measure types 扶志扶智 and 其他 ([004]).
#include <gtest/gtest.h>

#include "tests/support/people.h"
#include "tests/workflows/case_fixture.h"
#include "workflows/refusal_codes.h"

namespace fangfan {
namespace {

using testing::at;
using testing::CaseWalk;
using testing::PeopleGenerator;

CaseWalk registered(const ProgramRules& rules, PeopleGenerator& people, const char* code) {
  CaseWalk w(rules, code, "marginal", people.household(code, "371302001001", 3),
             at("2024-05-06T09:00"));
  w.recognise();
  return w;
}

RecordApproval approval(CaseWalk& w, ApprovalLevel level) {
  return RecordApproval{w.meta("同意"), ApprovalPurpose::kClearOut, level};
}

// [001] "涉及监测对象“清退”和“风险消除回退”的，要经乡、村两级审核确认后向市乡村振兴局提出申请，由
// 市乡村振兴局汇总核实后向三明市乡村振兴局书面申请，再上报备案后统一操作": in 永安 the "city" is
// the county-level city; the prefecture (三明市) files the change after it, where a county says so.
TEST(ApprovalLevels, Item7_PrefectureFilingAfterTheCitysWhereConfigured) {
  ProgramRules rules = testing::test_rules();
  rules.approvals.prefecture_filing = true;
  PeopleGenerator people(14);
  CaseWalk w = registered(rules, people, "3713020010010014");
  w.ok(approval(w, ApprovalLevel::kVillage));
  w.ok(approval(w, ApprovalLevel::kTownship));
  Refusal early = w.refused(approval(w, ApprovalLevel::kPrefecture));
  EXPECT_EQ(early.code, refusal::kApprovalOutOfOrder);
  EXPECT_EQ(early.reason,
            "须先登记乡镇、村两级和市乡村振兴局的审核意见，才能登记设区市乡村振兴局对清退的备案");
  w.ok(approval(w, ApprovalLevel::kCity));
  EXPECT_EQ(
      w.refused(ApplyClearOut{w.meta("家庭成员有财政供养人员")}).reason,
      "清退须经乡镇、村两级审核并报市乡村振兴局同意、报设区市乡村振兴局备案，尚缺设区市乡村振兴局"
      "的审核意见");
  w.ok(approval(w, ApprovalLevel::kPrefecture));
  w.ok(ApplyClearOut{w.meta("家庭成员有财政供养人员")});
  EXPECT_EQ(w.state(), "cleared_out");

  // Without the setting three levels are all, and a prefecture filing is refused loudly.
  CaseWalk plain = registered(testing::test_rules(), people, "3713020010010015");
  const Refusal unused = plain.refused(approval(plain, ApprovalLevel::kPrefecture));
  EXPECT_EQ(unused.code, refusal::kApprovalLevelNotConfigured);
  EXPECT_EQ(unused.field, "level");
  plain.ok(approval(plain, ApprovalLevel::kVillage));
  plain.ok(approval(plain, ApprovalLevel::kTownship));
  plain.ok(approval(plain, ApprovalLevel::kCity));
  plain.ok(ApplyClearOut{plain.meta("家庭成员有财政供养人员")});
}

// [004] "坚持扶贫同扶志扶智结合" and its counts' "其他": two more measure types.
TEST(MeasureTypes, Item7_MotivationAndOther) {
  struct Row {
    MeasureType type;
    const char* code;
    const char* label;
  };
  for (const Row& r : std::vector<Row>{{MeasureType::kMotivation, "motivation", "扶志扶智"},
                                       {MeasureType::kOther, "other", "其他"}}) {
    EXPECT_EQ(code_of(r.type), r.code);
    EXPECT_EQ(label_of(r.type), r.label);
    EXPECT_EQ(parse_code<MeasureType>(r.code), r.type);
  }
  PeopleGenerator people(16);
  CaseWalk w = registered(testing::test_rules(), people, "3713020010010016");
  w.ok(w.measure(MeasureType::kMotivation));
  w.ok(w.measure(MeasureType::kOther));
  EXPECT_EQ(w.data().measures.size(), 2u);
}

}  // namespace
}  // namespace fangfan
