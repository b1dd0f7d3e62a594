#include "workflows/eligibility.h"

#include <gtest/gtest.h>

namespace fangfan {
namespace {

using std::chrono::May;
using std::chrono::year;

EligibilityRules rules() {
  EligibilityRules r;
  r.monitoring_line_yuan = 6500;
  r.exclusions = {{"car", "拥有并经常使用高档乘用车辆"},
                  {"town_housing", "在城镇购买商品房（拆迁安置除外）"}};
  return r;
}

// Three persons, discovered 2024-05; totals in the first month of the window.
EligibilityInput input(std::int64_t net_fen, std::int64_t rigid_fen, bool basic_needs_affected) {
  EligibilityInput in;
  in.discovered = year{2024} / May;
  in.persons = 3;
  for (int i = 0; i < 12; ++i) {
    MonthlyAccount a;
    a.month = year{2023} / May + std::chrono::months{i};
    if (i == 0) {
      a.wage_income_fen = net_fen;
      a.medical_expense_fen = rigid_fen;
    }
    in.accounts.push_back(a);
  }
  in.hardship.basic_needs_affected = basic_needs_affected;
  return in;
}

constexpr std::int64_t kLine3 = 3 * 650000;  // the line for three persons, in fen

TEST(Eligibility, IncomeLineBothSides) {
  auto below = assess_eligibility(input(kLine3 - 1, kLine3, true), rules());
  EXPECT_EQ(below.verdict, EligibilityVerdict::kEligible) << below.reason;
  EXPECT_TRUE(below.below_line);
  EXPECT_EQ(below.reason,
            "家庭年人均可支配收入6499.99元，低于监测线6500.00元，且因病因残因学刚性支出"
            "19500.00元超过同期收入，影响“两不愁三保障”");

  auto at_line = assess_eligibility(input(kLine3, kLine3 + 1, true), rules());
  EXPECT_EQ(at_line.verdict, EligibilityVerdict::kIneligible);
  EXPECT_FALSE(at_line.below_line);
  EXPECT_EQ(at_line.reason, "家庭年人均可支配收入6500.00元，不低于监测线6500.00元");
}

TEST(Eligibility, RigidExpenseMustExceedIncomeAndAffectBasicNeeds) {
  const std::int64_t net = 300000;
  EXPECT_EQ(assess_eligibility(input(net, net + 1, true), rules()).verdict,
            EligibilityVerdict::kEligible);
  auto equal = assess_eligibility(input(net, net, true), rules());
  EXPECT_EQ(equal.verdict, EligibilityVerdict::kIneligible);
  EXPECT_FALSE(equal.rigid_expense_hardship);
  auto not_affected = assess_eligibility(input(net, net + 1, false), rules());
  EXPECT_EQ(not_affected.verdict, EligibilityVerdict::kIneligible);
  EXPECT_EQ(not_affected.reason,
            "家庭年人均可支配收入1000.00元，虽低于监测线6500.00元，但刚性支出未超过同期收入"
            "或未影响“两不愁三保障”，也不存在因灾因意外收入大幅缩减导致的临时性困难");
}

TEST(Eligibility, IncomeDropNeedsACauseAndTemporaryHardship) {
  auto in = input(300000, 0, false);
  in.hardship.income_drop = IncomeDropCause::kDisaster;
  in.hardship.temporary_hardship = true;
  auto yes = assess_eligibility(in, rules());
  EXPECT_EQ(yes.verdict, EligibilityVerdict::kEligible);
  EXPECT_TRUE(yes.income_drop_hardship);
  EXPECT_NE(yes.reason.find("因灾收入大幅缩减"), std::string::npos);

  in.hardship.temporary_hardship = false;
  EXPECT_EQ(assess_eligibility(in, rules()).verdict, EligibilityVerdict::kIneligible);
  in.hardship.temporary_hardship = true;
  in.hardship.income_drop = IncomeDropCause::kNone;
  EXPECT_EQ(assess_eligibility(in, rules()).verdict, EligibilityVerdict::kIneligible);
}

TEST(Eligibility, ConfiguredExclusionBlocksWithItsSentence) {
  auto in = input(300000, 400000, true);
  in.exclusions = {{"car", "2023年购置轿车一辆"}};
  auto d = assess_eligibility(in, rules());
  EXPECT_EQ(d.verdict, EligibilityVerdict::kIneligible);
  EXPECT_EQ(d.excluded_by, "car");
  EXPECT_EQ(d.reason,
            "存在原则上不纳入监测的情形：拥有并经常使用高档乘用车辆（2023年购置轿车一辆）");

  // An exclusion is not overridden by discretion.
  in.discretion = Discretion{"无稳定收入", "县乡村振兴局刘*"};
  EXPECT_EQ(assess_eligibility(in, rules()).verdict, EligibilityVerdict::kIneligible);
}

TEST(Eligibility, UnknownExclusionCodeCannotBeDecided) {
  auto in = input(300000, 400000, true);
  in.exclusions = {{"yacht", ""}};
  auto d = assess_eligibility(in, rules());
  EXPECT_EQ(d.verdict, EligibilityVerdict::kIncomplete);
  EXPECT_EQ(d.reason, "排除情形“yacht”不在本地配置的不纳入情形清单中");
}

TEST(Eligibility, DiscretionNeedsReasonAndActor) {
  auto in = input(kLine3 + 100000, 0, false);  // above the line
  EXPECT_EQ(assess_eligibility(in, rules()).verdict, EligibilityVerdict::kIneligible);

  in.discretion = Discretion{"家中无稳定收入来源，医疗支出明显高于收入", "县乡村振兴局刘*"};
  auto d = assess_eligibility(in, rules());
  EXPECT_EQ(d.verdict, EligibilityVerdict::kEligible);
  EXPECT_TRUE(d.discretionary);
  EXPECT_EQ(d.reason, "经县乡村振兴局刘*酌情纳入：家中无稳定收入来源，医疗支出明显高于收入");

  in.discretion->reason.clear();
  d = assess_eligibility(in, rules());
  EXPECT_EQ(d.verdict, EligibilityVerdict::kIncomplete);
  EXPECT_EQ(d.reason, "酌情纳入须写明理由");

  in.discretion = Discretion{"无稳定收入", ""};
  d = assess_eligibility(in, rules());
  EXPECT_EQ(d.verdict, EligibilityVerdict::kIncomplete);
  EXPECT_EQ(d.reason, "酌情纳入须写明决定人");
}

TEST(Eligibility, IncompleteRecordsCannotBeDecided) {
  auto in = input(300000, 400000, true);
  in.accounts.erase(in.accounts.begin() + 3, in.accounts.begin() + 5);
  auto d = assess_eligibility(in, rules());
  EXPECT_EQ(d.verdict, EligibilityVerdict::kIncomplete);
  EXPECT_EQ(d.reason, "收入计算期（2023年5月至2024年4月）的收支记录不全，缺少2023年8月、2023年9月");

  in = input(300000, 400000, true);
  in.accounts[2].wage_income_fen = -5;
  EXPECT_EQ(assess_eligibility(in, rules()).verdict, EligibilityVerdict::kIncomplete);
}

TEST(Eligibility, TheLineIsConfig) {
  auto r = rules();
  r.monitoring_line_yuan = 5000;  // Linyi 2020 [002]
  auto in = input(3 * 500000, 3 * 500000 + 1, true);
  EXPECT_EQ(assess_eligibility(in, r).verdict, EligibilityVerdict::kIneligible);
  in = input(3 * 500000 - 1, 3 * 500000, true);
  EXPECT_EQ(assess_eligibility(in, r).verdict, EligibilityVerdict::kEligible);
}

}  // namespace
}  // namespace fangfan
