// Eligibility for monitoring (监测标准), as configured per province and year
// (ProgramRules::eligibility). Used by the case machine's guards at household
// verification and at county review; pure functions, no state.
//
// The standard is data (program_rules.h, EligibilityLine): the line in force
// for the year of the discovery month, how income compares with it (< or ≤),
// and hardship conditions joined to it by AND or OR. [000]'s reading: below
// the line AND one of
//   (a) rigid expenditure from illness, disability or education exceeds the
//       window's income, so that 两不愁三保障 or safe drinking water is affected;
//   (b) income sharply reduced by disaster or accident, causing temporary
//       hardship.
// [002]'s: below 5000 yuan OR one of them. Case kinds of the instant-assistance
// route (即时帮扶户, InstantRule) are judged by that rule alone: one of its
// conditions admits whatever the income.
// A configured exclusion found on any member (car, town housing unless
// demolition, company with employees, supporters able but unwilling, or a
// county's own list) blocks inclusion with the configured sentence.
// Discretionary admission [004] (no stable income, spending clearly above
// income) admits a household the test above turns down, but only with an
// explicit reason and the person who decided; it never overrides an exclusion.
#pragma once

#include <boost/describe/class.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "workflows/case_codes.h"
#include "workflows/household.h"
#include "workflows/program_rules.h"
#include "workflows/refusal_codes.h"

namespace fangfan {

// An exclusion condition found on the household (by the verifier or by the
// county's cross-check with police, housing, market regulation, ...).
struct ExclusionFinding {
  std::string code;  // a key of EligibilityRules::exclusions
  std::string note;  // what was found, e.g. "2022年购置车辆一辆"
  bool operator==(const ExclusionFinding&) const = default;
};
BOOST_DESCRIBE_STRUCT(ExclusionFinding, (), (code, note))

// What the verifier saw that numbers alone cannot say.
struct HardshipFindings {
  bool basic_needs_affected = false;  // 两不愁三保障或饮水安全受到影响
  IncomeDropCause income_drop = IncomeDropCause::kNone;  // 收入大幅缩减的原因
  bool temporary_hardship = false;                       // 家庭生活出现临时性困难
  bool operator==(const HardshipFindings&) const = default;
};
BOOST_DESCRIBE_STRUCT(HardshipFindings, (), (basic_needs_affected, income_drop, temporary_hardship))

// [004]'s discretionary admission.
struct Discretion {
  std::string reason;  // why, e.g. "家中无稳定收入来源，医疗支出明显高于收入"
  std::string actor;   // who decided
  bool operator==(const Discretion&) const = default;
};
BOOST_DESCRIBE_STRUCT(Discretion, (), (reason, actor))

struct EligibilityInput {
  std::vector<MonthlyAccount> accounts;
  std::chrono::year_month discovered{};
  int persons = 0;
  HardshipFindings hardship;
  std::vector<ExclusionFinding> exclusions;
  std::optional<Discretion> discretion;
  std::string case_kind;  // chooses the instant-assistance route (InstantRule::case_kinds)
};

enum class EligibilityVerdict {
  kEligible,    // meets the standard (or admitted at discretion)
  kIneligible,  // does not; `reason` says why, for the written notice
  kIncomplete,  // cannot be decided: records missing or unusable; `reason` says what
};

struct EligibilityDecision {
  EligibilityVerdict verdict = EligibilityVerdict::kIncomplete;
  IncomeSummary income;
  std::int64_t line_fen = 0;
  bool below_line = false;
  bool rigid_expense_hardship = false;     // condition (a)
  bool income_drop_hardship = false;       // condition (b)
  bool discretionary = false;              // admitted under [004]
  int line_year = 0;                       // the year of the line applied (line_in_force)
  bool rigid_expense_over_income = false;  // [002]: rigid spending above the window's income
  bool basic_needs_unmet = false;          // [002]: 未达到“三保障”
  bool instant_route = false;              // judged by InstantRule
  std::string excluded_by;                 // exclusion code when one blocked inclusion
  std::string reason;                      // one sentence a clerk and the household understand
  // When kIncomplete: the refusal code (refusal_codes.h) and the input field at fault.
  std::string incomplete_code;
  std::string incomplete_field;
};

// REQUIRES: input.persons > 0.
EligibilityDecision assess_eligibility(const EligibilityInput& input,
                                       const EligibilityRules& rules);

// The first finding whose code is not configured, as a sentence; std::nullopt
// when every code is known.
std::optional<std::string> unknown_exclusion_problem(const std::vector<ExclusionFinding>& findings,
                                                     const EligibilityRules& rules);

// The configured sentence for the first finding (plus its note), or
// std::nullopt when there is none. REQUIRES: all codes configured.
std::optional<std::string> exclusion_sentence(const std::vector<ExclusionFinding>& findings,
                                              const EligibilityRules& rules);

// Why a discretionary admission is not acceptable (missing reason or actor).
std::optional<std::string> discretion_problem(const Discretion& discretion);

}  // namespace fangfan
