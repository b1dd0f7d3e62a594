#include "workflows/program_rules.h"

#include <algorithm>

namespace fangfan {

std::optional<std::string> case_kind_problem(const CaseKind& kind) {
  static const std::vector<std::string_view> kOrder{
      kStepHouseholdVerification, kStepDemocraticReview, kStepCountyReview, kStepVillagePublicity};
  if (kind.code.empty()) return "监测对象类型缺少代码";
  size_t last = 0;
  bool first = true;
  for (const auto& step : kind.steps) {
    auto it = std::find(kOrder.begin(), kOrder.end(), step);
    if (it == kOrder.end()) {
      return "监测对象类型“" + kind.code + "”的认定步骤“" + step + "”不是认定程序中的步骤";
    }
    const size_t pos = static_cast<size_t>(it - kOrder.begin());
    if (!first && pos <= last) {
      return "监测对象类型“" + kind.code +
             "”的认定步骤顺序不对或有重复：应按入户核实、民主评议、"
             "县级审核比对、村级公示的顺序";
    }
    first = false;
    last = pos;
  }
  return std::nullopt;
}

int publicity_days(const ProgramRules& rules, std::string_view step) {
  auto it = rules.deadlines.find(std::string{step});
  return it == rules.deadlines.end() ? StepDeadline{}.period : it->second.period;
}

}  // namespace fangfan
