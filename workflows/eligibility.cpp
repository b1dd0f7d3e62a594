#include "workflows/eligibility.h"

namespace fangfan {

std::optional<std::string> unknown_exclusion_problem(const std::vector<ExclusionFinding>& findings,
                                                     const EligibilityRules& rules) {
  for (const auto& f : findings) {
    if (!rules.exclusions.contains(f.code)) {
      return "排除情形“" + f.code + "”不在本地配置的不纳入情形清单中";
    }
  }
  return std::nullopt;
}

std::optional<std::string> exclusion_sentence(const std::vector<ExclusionFinding>& findings,
                                              const EligibilityRules& rules) {
  if (findings.empty()) return std::nullopt;
  const auto& f = findings.front();
  std::string out = rules.exclusions.at(f.code);
  if (!f.note.empty()) out += "（" + f.note + "）";
  return out;
}

std::optional<std::string> discretion_problem(const Discretion& discretion) {
  if (discretion.reason.empty()) return "酌情纳入须写明理由";
  if (discretion.actor.empty()) return "酌情纳入须写明决定人";
  return std::nullopt;
}

EligibilityDecision assess_eligibility(const EligibilityInput& input,
                                       const EligibilityRules& rules) {
  EligibilityDecision d;
  d.line_fen = yuan_to_fen(rules.monitoring_line_yuan);

  if (auto problems = account_problems(input.accounts); !problems.empty()) {
    d.verdict = EligibilityVerdict::kIncomplete;
    d.reason = problems.front();
    d.incomplete_code = refusal::kAccountInvalid;
    d.incomplete_field = "accounts";
    return d;
  }
  d.income = summarize_income(input.accounts, input.discovered, input.persons);
  if (!d.income.complete()) {
    std::string months;
    for (const auto& m : d.income.missing_months) {
      if (!months.empty()) months += "、";
      months += format_month_cn(m);
    }
    d.verdict = EligibilityVerdict::kIncomplete;
    d.reason = "收入计算期（" + format_month_cn(d.income.window.first) + "至" +
               format_month_cn(d.income.window.last) + "）的收支记录不全，缺少" + months;
    d.incomplete_code = refusal::kIncomeRecordsIncomplete;
    d.incomplete_field = "accounts";
    return d;
  }
  if (auto problem = unknown_exclusion_problem(input.exclusions, rules)) {
    d.verdict = EligibilityVerdict::kIncomplete;
    d.reason = *problem;
    d.incomplete_code = refusal::kExclusionUnknown;
    d.incomplete_field = "exclusions";
    return d;
  }
  if (input.discretion) {
    if (auto problem = discretion_problem(*input.discretion)) {
      d.verdict = EligibilityVerdict::kIncomplete;
      d.reason = *problem;
      d.incomplete_code = refusal::kDiscretionIncomplete;
      d.incomplete_field = "discretion";
      return d;
    }
  }

  const std::string per_capita =
      "家庭年人均可支配收入" + format_yuan(d.income.per_capita_fen()) + "元";
  const std::string line = "监测线" + format_yuan(d.line_fen) + "元";

  if (auto excluded = exclusion_sentence(input.exclusions, rules)) {
    d.verdict = EligibilityVerdict::kIneligible;
    d.excluded_by = input.exclusions.front().code;
    d.reason = "存在原则上不纳入监测的情形：" + *excluded;
    return d;
  }

  d.below_line = d.income.per_capita_below(d.line_fen);
  d.rigid_expense_hardship =
      input.hardship.basic_needs_affected && d.income.rigid_expense_fen > d.income.net_income_fen;
  d.income_drop_hardship =
      input.hardship.income_drop != IncomeDropCause::kNone && input.hardship.temporary_hardship;

  if (d.below_line && d.rigid_expense_hardship) {
    d.verdict = EligibilityVerdict::kEligible;
    d.reason = per_capita + "，低于" + line + "，且因病因残因学刚性支出" +
               format_yuan(d.income.rigid_expense_fen) + "元超过同期收入，影响“两不愁三保障”";
    return d;
  }
  if (d.below_line && d.income_drop_hardship) {
    d.verdict = EligibilityVerdict::kEligible;
    d.reason = per_capita + "，低于" + line + "，且" +
               std::string{label_of(input.hardship.income_drop)} +
               "收入大幅缩减，家庭生活出现临时性困难";
    return d;
  }
  if (input.discretion) {
    d.verdict = EligibilityVerdict::kEligible;
    d.discretionary = true;
    d.reason = "经" + input.discretion->actor + "酌情纳入：" + input.discretion->reason;
    return d;
  }
  d.verdict = EligibilityVerdict::kIneligible;
  if (!d.below_line) {
    d.reason = per_capita + "，不低于" + line;
  } else {
    d.reason = per_capita + "，虽低于" + line +
               "，但刚性支出未超过同期收入或未影响“两不愁三保障”，也不存在因灾因意外"
               "收入大幅缩减导致的临时性困难";
  }
  return d;
}

}  // namespace fangfan
