#include "workflows/eligibility.h"

#include <algorithm>

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

namespace {

bool condition_met(std::string_view code, const EligibilityDecision& d) {
  if (code == kConditionRigidExpense) return d.rigid_expense_hardship;
  if (code == kConditionIncomeDrop) return d.income_drop_hardship;
  if (code == kConditionRigidExpenseOverIncome) return d.rigid_expense_over_income;
  if (code == kConditionBasicNeedsUnmet) return d.basic_needs_unmet;
  return false;
}

// What a met condition says in the reason.
std::string met_sentence(std::string_view code, const EligibilityDecision& d,
                         const HardshipFindings& h) {
  if (code == kConditionRigidExpense) {
    return "因病因残因学刚性支出" + format_yuan(d.income.rigid_expense_fen) +
           "元超过同期收入，影响“两不愁三保障”";
  }
  if (code == kConditionIncomeDrop) {
    return std::string{label_of(h.income_drop)} + "收入大幅缩减，家庭生活出现临时性困难";
  }
  if (code == kConditionRigidExpenseOverIncome) {
    return "刚性支出" + format_yuan(d.income.rigid_expense_fen) + "元明显超过同期收入";
  }
  return "未达到“三保障”";
}

// What an unmet condition says in the reason.
std::string unmet_sentence(std::string_view code) {
  if (code == kConditionRigidExpense) return "刚性支出未超过同期收入或未影响“两不愁三保障”";
  if (code == kConditionIncomeDrop) return "不存在因灾因意外收入大幅缩减导致的临时性困难";
  if (code == kConditionRigidExpenseOverIncome) return "刚性支出未明显超过同期收入";
  return "“三保障”均已达到";
}

std::string unmet_sentences(const std::vector<std::string>& conditions) {
  std::string out;
  for (const auto& c : conditions) out += (out.empty() ? "" : "，也") + unmet_sentence(c);
  return out;
}

const std::string* first_met(const std::vector<std::string>& conditions,
                             const EligibilityDecision& d) {
  for (const auto& c : conditions) {
    if (condition_met(c, d)) return &c;
  }
  return nullptr;
}

}  // namespace

EligibilityDecision assess_eligibility(const EligibilityInput& input,
                                       const EligibilityRules& rules) {
  EligibilityDecision d;
  const int year = int(input.discovered.year());
  const std::optional<EligibilityLine> standard = line_in_force(rules, year);
  if (standard) {
    d.line_fen = yuan_to_fen(standard->line_yuan);
    d.line_year = standard->year;
  }

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
  const auto& instant_kinds = rules.instant.case_kinds;
  d.instant_route =
      !input.case_kind.empty() &&
      std::find(instant_kinds.begin(), instant_kinds.end(), input.case_kind) != instant_kinds.end();
  if (!standard && !d.instant_route) {
    d.verdict = EligibilityVerdict::kIncomplete;
    d.reason = rules.province + "没有" + std::to_string(year) +
               "年及以前适用的监测线（本地配置的监测线年度都晚于" + std::to_string(year) + "年）";
    d.incomplete_code = refusal::kMonitoringLineMissing;
    d.incomplete_field = "";
    return d;
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

  const std::int64_t line_total = d.line_fen * d.income.persons;
  const bool at_most = standard && standard->comparison == LineComparison::kNotAbove;
  d.below_line = standard && (at_most ? d.income.net_income_fen <= line_total
                                      : d.income.net_income_fen < line_total);
  d.rigid_expense_over_income = d.income.rigid_expense_fen > d.income.net_income_fen;
  d.basic_needs_unmet = input.hardship.basic_needs_affected;
  d.rigid_expense_hardship = input.hardship.basic_needs_affected && d.rigid_expense_over_income;
  d.income_drop_hardship =
      input.hardship.income_drop != IncomeDropCause::kNone && input.hardship.temporary_hardship;
  const std::string below_word = at_most ? "不高于" : "低于";
  const std::string above_word = at_most ? "高于" : "不低于";

  if (d.instant_route) {
    // [002] 即时帮扶户: "刚性支出明显超过上年度收入或未达到'三保障'", whatever the income.
    if (const std::string* met = first_met(rules.instant.conditions, d)) {
      d.verdict = EligibilityVerdict::kEligible;
      d.reason = "即时帮扶户认定：" + met_sentence(*met, d, input.hardship);
      return d;
    }
  } else {
    const std::string* met = first_met(standard->conditions, d);
    const bool all = standard->join == LineJoin::kAll;
    if (d.below_line && met != nullptr) {
      d.verdict = EligibilityVerdict::kEligible;
      d.reason =
          per_capita + "，" + below_word + line + "，且" + met_sentence(*met, d, input.hardship);
      return d;
    }
    if (!all && (d.below_line || met != nullptr)) {
      d.verdict = EligibilityVerdict::kEligible;
      d.reason = d.below_line ? per_capita + "，" + below_word + line
                              : per_capita + "，虽" + above_word + line + "，但" +
                                    met_sentence(*met, d, input.hardship);
      return d;
    }
  }
  if (input.discretion) {
    d.verdict = EligibilityVerdict::kEligible;
    d.discretionary = true;
    d.reason = "经" + input.discretion->actor + "酌情纳入：" + input.discretion->reason;
    return d;
  }
  d.verdict = EligibilityVerdict::kIneligible;
  if (d.instant_route) {
    d.reason = "按即时帮扶户标准，" + unmet_sentences(rules.instant.conditions);
  } else if (!d.below_line && standard->join == LineJoin::kAny) {
    d.reason = per_capita + "，" + above_word + line + "，" + unmet_sentences(standard->conditions);
  } else if (!d.below_line) {
    d.reason = per_capita + "，" + above_word + line;
  } else {
    d.reason =
        per_capita + "，虽" + below_word + line + "，但" + unmet_sentences(standard->conditions);
  }
  return d;
}

}  // namespace fangfan
