// The configured rule of exit (风险消除) evidence, `[rules.elimination]` (adapters/config): which
// case kinds may be marked risk-eliminated, and what evidence a proposal needs (issue 14 item 1).
// [000] "对致贫风险已消除的边缘易致贫户，按照…的程序退出监测和帮扶范围"; [001]'s look-back asks
// "家庭收入是否稳定超过监测范围、'三保障'和饮水安全是否持续巩固". Read by
// workflows/exit_evidence.h.
//
// Without the section (enabled = false) every kind may be proposed with no evidence, as before.
// Thread-safety: plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fangfan {

// What a proposal of elimination must rest on.
enum class ExitEvidence {
  kEvaluation,             // the latest Q4 evaluation says risk removed (with its conditions)
  kMonitoring,             // N consecutive monthly monitoring records above the line, needs secure
  kEvaluationOrMonitoring  // either of the two
};

struct ExitRules {
  bool enabled = false;  // false when the config has no [rules.elimination]
  // Case kind codes that may be marked 风险消除; empty = every configured kind.
  std::vector<std::string> kinds;
  ExitEvidence evidence = ExitEvidence::kEvaluationOrMonitoring;
  // kMonitoring: how many consecutive months (the latest recorded ones) must be above the line
  // with 两不愁三保障 and water secure and risk not increased.
  int monitoring_months = 6;
  // kEvaluation: the evaluation counts when it is of this year or at most this many years
  // before (0 = this year's only).
  int evaluation_max_age_years = 1;
};

// "evaluation", "monitoring", "evaluation_or_monitoring"; false (out unchanged) for others.
bool parse_exit_evidence(std::string_view text, ExitEvidence& out);
std::string_view exit_evidence_code(ExitEvidence e);

}  // namespace fangfan
