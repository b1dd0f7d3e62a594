// [rules.elimination]: which case kinds may be marked 风险消除 and what evidence a proposal needs
// (issue 14 item 1; workflows/exit_rules.h). Optional: without it every kind may be proposed
// with no evidence, as before.
//
//   [rules.elimination]
//   kinds = ["unstable", "marginal", "sudden"]   # configured case kind codes; [] = every kind
//   evidence = "evaluation_or_monitoring"         # or "evaluation", "monitoring"
//   monitoring_months = 6                         # 1..24 consecutive months
//   evaluation_max_age_years = 1                  # 0..5: this year's evaluation, or N years back
#include <set>

#include "adapters/config/config_reader.h"

namespace fangfan::config_detail {

void read_elimination(Reader& rules, Config& c, Errors& errors) {
  const toml::table* t = rules.table("elimination", false);
  if (!t) return;
  Reader r(*t, rules.key_path("elimination"), errors);
  ExitRules& x = c.rules.elimination;
  x.enabled = true;
  std::set<std::string> seen;
  for (auto& code : r.strings("kinds", false)) {
    if (c.rules.find_kind(code) == nullptr) {
      r.error("kinds", "'" + code + "' is not a configured case kind ([[rules.case_kinds]] code)");
    } else if (!seen.insert(code).second) {
      r.error("kinds", "'" + code + "' is listed twice");
    } else {
      x.kinds.push_back(code);
    }
  }
  if (auto e = r.string("evidence", false)) {
    if (!parse_exit_evidence(*e, x.evidence)) {
      r.error("evidence",
              "must be \"evaluation\", \"monitoring\" or \"evaluation_or_monitoring\", got '" + *e +
                  "'");
    }
  }
  if (auto n = r.integer_in("monitoring_months", 1, 24, "months", false)) {
    x.monitoring_months = static_cast<int>(*n);
  }
  if (auto n = r.integer_in("evaluation_max_age_years", 0, 5, "years", false)) {
    x.evaluation_max_age_years = static_cast<int>(*n);
  }
}

}  // namespace fangfan::config_detail
