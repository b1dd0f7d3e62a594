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

std::optional<std::string> shared_window_problem(std::string_view step, std::string_view window) {
  // A step and the step that always comes right before it; publicities run whole days of their
  // own, and the county review always follows a review or the verification by its own period.
  static const std::vector<std::pair<std::string_view, std::string_view>> kFollows{
      {kStepDemocraticReview, kStepHouseholdVerification},
      {kStepTownshipEliminationReview, kStepEliminationReview}};
  for (const auto& [s, before] : kFollows) {
    if (s == step && before == window) return std::nullopt;
  }
  return "步骤“" + std::string{step} + "”不能与“" + std::string{window} +
         "”共用期限：只有民主评议可与入户核实共用、乡镇审核可与风险消除民主评议共用"
         "（a step shares only the window of the step right before it）";
}

std::optional<EligibilityLine> line_in_force(const EligibilityRules& rules, int year) {
  std::optional<EligibilityLine> best;
  auto consider = [&](const EligibilityLine& l) {
    if (l.year <= year && (!best || l.year > best->year)) best = l;
  };
  consider(
      {rules.year, rules.monitoring_line_yuan, rules.comparison, rules.join, rules.conditions});
  for (const EligibilityLine& l : rules.other_years) consider(l);
  return best;
}

bool known_condition(std::string_view code) {
  return code == kConditionRigidExpense || code == kConditionIncomeDrop ||
         code == kConditionRigidExpenseOverIncome || code == kConditionBasicNeedsUnmet;
}

Campaign campaign_of_year(const Campaign& campaign, int year) {
  if (!campaign.yearly) return campaign;
  Campaign run = campaign;
  run.yearly = false;
  run.name = campaign.name + "_" + std::to_string(year);
  run.label = std::to_string(year) + "年" + campaign.label;
  run.start_year = year;
  for (CampaignMilestone& m : run.milestones) m.year = year;
  return run;
}

std::vector<Campaign> campaigns_around(const std::vector<Campaign>& campaigns, int year) {
  std::vector<Campaign> out;
  for (const Campaign& c : campaigns) {
    if (!c.yearly) {
      out.push_back(c);
      continue;
    }
    for (int y = year - 1; y <= year; ++y) out.push_back(campaign_of_year(c, y));
  }
  return out;
}

std::optional<Campaign> find_campaign(const std::vector<Campaign>& campaigns,
                                      std::string_view name) {
  for (const Campaign& c : campaigns) {
    if (!c.yearly && c.name == name) return c;
    // "<name>_<YYYY>": four digits after the yearly campaign's own name.
    if (c.yearly && name.size() == c.name.size() + 5 && name.substr(0, c.name.size()) == c.name &&
        name[c.name.size()] == '_' &&
        std::all_of(name.end() - 4, name.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      return campaign_of_year(c, std::stoi(std::string{name.substr(c.name.size() + 1)}));
    }
  }
  return std::nullopt;
}

int publicity_days(const ProgramRules& rules, std::string_view step) {
  auto it = rules.deadlines.find(std::string{step});
  return it == rules.deadlines.end() ? StepDeadline{}.period : it->second.period;
}

}  // namespace fangfan
