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

// -- the standard as data (issue 14 item 4) ---------------------------------------------------

// [000] "对年人均可支配收入低于省定监测线，且符合以下条件之一的农户，应当纳入监测范围"
EligibilityRules shandong_2024() { return rules(); }

// [002] "重点监测年人均可支配收入低于 5000 元的农户，以及因疫情、因病、因残、因学、因灾、因意外等
// 引发的刚性支出明显超过上年度收入和收入大幅缩减的农户": below the line OR a hardship.
EligibilityRules linyi_2020() {
  EligibilityRules r = rules();
  r.year = 2020;
  r.monitoring_line_yuan = 5000;
  r.join = LineJoin::kAny;
  return r;
}

// [004] "年人均纯收入不高于5200元": at the line is still in.
EligibilityRules not_above_5200() {
  EligibilityRules r = rules();
  r.monitoring_line_yuan = 5200;
  r.comparison = LineComparison::kNotAbove;
  return r;
}

// [002] "刚性支出明显超过上年度收入或未达到'三保障'存在致贫风险的认定为即时帮扶户".
EligibilityRules with_instant() {
  EligibilityRules r = rules();
  r.instant.case_kinds = {"instant"};
  return r;
}

struct StandardRow {
  const char* name;
  EligibilityRules (*rules)();
  std::int64_t net_fen;    // three persons, whole window
  std::int64_t rigid_fen;  // rigid spending, whole window
  bool basic_needs_affected;
  const char* case_kind;
  EligibilityVerdict verdict;
  const char* reason;  // the whole sentence
};

TEST(EligibilityStandard, EachSeedsRuleAsConfigured) {
  using V = EligibilityVerdict;
  const std::vector<StandardRow> rows{
      // [000]: below the line but no hardship: out.
      {"shandong below, no hardship", shandong_2024, 300000, 0, false, "marginal", V::kIneligible,
       "家庭年人均可支配收入1000.00元，虽低于监测线6500.00元，但刚性支出未超过同期收入或未影响"
       "“两不愁三保障”，也不存在因灾因意外收入大幅缩减导致的临时性困难"},
      // [000]: below the line and hardship (a): in.
      {"shandong below with hardship", shandong_2024, 300000, 300001, true, "marginal",
       V::kEligible,
       "家庭年人均可支配收入1000.00元，低于监测线6500.00元，且因病因残因学刚性支出3000.01元"
       "超过同期收入，影响“两不愁三保障”"},
      // [002]: below 5000 with no hardship: in.
      {"linyi below, no hardship", linyi_2020, 3 * 500000 - 3, 0, false, "marginal", V::kEligible,
       "家庭年人均可支配收入4999.99元，低于监测线5000.00元"},
      // [002]: above 5000 but rigid spending over income affecting basic needs: in.
      {"linyi above with hardship", linyi_2020, 3 * 600000, 3 * 600000 + 1, true, "marginal",
       V::kEligible,
       "家庭年人均可支配收入6000.00元，虽不低于监测线5000.00元，但因病因残因学刚性支出18000.01元"
       "超过同期收入，影响“两不愁三保障”"},
      // [002]: above 5000 and no hardship: out, naming every condition.
      {"linyi above, no hardship", linyi_2020, 3 * 600000, 0, false, "marginal", V::kIneligible,
       "家庭年人均可支配收入6000.00元，不低于监测线5000.00元，刚性支出未超过同期收入或未影响"
       "“两不愁三保障”，也不存在因灾因意外收入大幅缩减导致的临时性困难"},
      // [004]: exactly 5200 is "不高于5200".
      {"at 5200 is not above", not_above_5200, 3 * 520000, 3 * 520000 + 1, true, "marginal",
       V::kEligible,
       "家庭年人均可支配收入5200.00元，不高于监测线5200.00元，且因病因残因学刚性支出15600.01元"
       "超过同期收入，影响“两不愁三保障”"},
      {"a fen above 5200", not_above_5200, 3 * 520000 + 3, 3 * 600000, true, "marginal",
       V::kIneligible, "家庭年人均可支配收入5200.01元，高于监测线5200.00元"},
      // 即时帮扶户: far above the line, rigid spending over the window's income: in.
      {"instant, spending over income", with_instant, 3 * 2000000, 3 * 2000000 + 1, false,
       "instant", V::kEligible, "即时帮扶户认定：刚性支出60000.01元明显超过同期收入"},
      {"instant, 三保障 unmet", with_instant, 3 * 2000000, 0, true, "instant", V::kEligible,
       "即时帮扶户认定：未达到“三保障”"},
      {"instant, neither", with_instant, 3 * 2000000, 0, false, "instant", V::kIneligible,
       "按即时帮扶户标准，刚性支出未明显超过同期收入，也“三保障”均已达到"},
      // The same household of another kind is judged by the line.
      {"not an instant kind", with_instant, 3 * 2000000, 3 * 2000000 + 1, true, "marginal",
       V::kIneligible, "家庭年人均可支配收入20000.00元，不低于监测线6500.00元"},
  };
  for (const StandardRow& row : rows) {
    SCOPED_TRACE(row.name);
    EligibilityInput in = input(row.net_fen, row.rigid_fen, row.basic_needs_affected);
    in.case_kind = row.case_kind;
    const EligibilityDecision d = assess_eligibility(in, row.rules());
    EXPECT_EQ(d.verdict, row.verdict);
    EXPECT_EQ(d.reason, row.reason);
  }
}

// The line is that of the year of the discovery month, the nearest configured year before or
// equal to it; none is an error, not a guess.
TEST(EligibilityStandard, TheLineOfTheAccountsYear) {
  EligibilityRules r = rules();  // 2024: 6500
  r.other_years = {{2023, 6000, LineComparison::kBelow, LineJoin::kAll, r.conditions},
                   {2026, 7000, LineComparison::kBelow, LineJoin::kAll, r.conditions}};
  struct Row {
    int year;
    std::optional<int> line_year;
    double line_yuan;
  };
  for (const Row& row : std::vector<Row>{{2022, std::nullopt, 0},
                                         {2023, 2023, 6000},
                                         {2024, 2024, 6500},
                                         {2025, 2024, 6500},
                                         {2027, 2026, 7000}}) {
    SCOPED_TRACE(row.year);
    const auto l = line_in_force(r, row.year);
    ASSERT_EQ(l.has_value(), row.line_year.has_value());
    if (l) {
      EXPECT_EQ(l->year, *row.line_year);
      EXPECT_EQ(l->line_yuan, row.line_yuan);
    }
  }
  // A 2023 household (window 2022-05..2023-04) earning 6200 a head: in under 2024's line, out
  // under 2023's, the one it is judged by.
  EligibilityInput in = input(3 * 620000, 3 * 620000 + 1, true);
  in.discovered = year{2023} / May;
  for (auto& a : in.accounts) a.month -= std::chrono::years{1};
  EligibilityDecision d = assess_eligibility(in, r);
  EXPECT_EQ(d.line_year, 2023);
  EXPECT_EQ(d.verdict, EligibilityVerdict::kIneligible) << d.reason;
  r.other_years.clear();
  d = assess_eligibility(in, r);
  EXPECT_EQ(d.verdict, EligibilityVerdict::kIncomplete);
  EXPECT_EQ(d.incomplete_code, refusal::kMonitoringLineMissing);
  EXPECT_EQ(d.reason, "山东省没有2023年及以前适用的监测线（本地配置的监测线年度都晚于2023年）");
}

}  // namespace
}  // namespace fangfan
