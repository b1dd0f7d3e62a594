#include "workflows/case_events.h"

#include "workflows/program_rules.h"

namespace fangfan {

std::string_view event_name(const CaseEvent& event) {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::kName; }, event);
}

std::string_view event_label(const CaseEvent& event) {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::kLabel; }, event);
}

bool system_only(const CaseEvent& event) {
  return std::visit([](const auto& e) { return kSystemOnly<std::decay_t<decltype(e)>>; }, event);
}

const EventMeta& event_meta(const CaseEvent& event) {
  return std::visit([](const auto& e) -> const EventMeta& { return e.meta; }, event);
}

const std::vector<CaseStateInfo>& case_states() {
  static const std::vector<CaseStateInfo> kStates{
      {"new", "未建档", "", Assisted::kNever, false, false, false},
      {"discovered", "已发现待入户核实", kStepHouseholdVerification, Assisted::kIfEmergency, false,
       true, false},
      {"household_verification", "入户核实", kStepHouseholdVerification, Assisted::kIfEmergency,
       false, true, false},
      {"democratic_review", "民主评议", kStepDemocraticReview, Assisted::kIfEmergency, false, true,
       false},
      {"county_review", "县级审核比对", kStepCountyReview, Assisted::kIfEmergency, false, true,
       false},
      {"village_publicity", "村级公示", kStepVillagePublicity, Assisted::kIfEmergency, false, true,
       false},
      {"registered", "监测帮扶", "", Assisted::kAlways, false, true, true},
      {"elimination_review", "风险消除民主评议", kStepEliminationReview, Assisted::kAlways, false,
       true, true},
      {"township_elimination_review", "风险消除乡镇审核", kStepTownshipEliminationReview,
       Assisted::kAlways, false, true, true},
      {"elimination_publicity", "风险消除公示", kStepEliminationPublicity, Assisted::kAlways, false,
       true, true},
      {"eliminated", "风险已消除", "", Assisted::kNever, false, false, false},
      {"rejected", "未纳入监测（已书面告知）", "", Assisted::kNever, true, false, false},
      {"cleared_out", "已清退", "", Assisted::kNever, true, false, false},
  };
  return kStates;
}

std::vector<std::string_view> case_state_names(bool (*fact)(const CaseStateInfo&)) {
  std::vector<std::string_view> names;
  for (const auto& s : case_states()) {
    if (fact(s)) names.push_back(s.name);
  }
  return names;
}

const CaseStateInfo* find_case_state(std::string_view name) {
  for (const auto& s : case_states()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool case_in_progress(std::string_view state) {
  const CaseStateInfo* info = find_case_state(state);
  return info != nullptr && info->in_progress;
}

std::string_view step_label(std::string_view step) {
  if (step == kStepHouseholdVerification) return "入户核实";
  if (step == kStepDemocraticReview) return "民主评议";
  if (step == kStepCountyReview) return "县级审核比对";
  if (step == kStepVillagePublicity) return "村级公示";
  if (step == kStepEliminationReview) return "风险消除民主评议";
  if (step == kStepTownshipEliminationReview) return "风险消除乡镇审核";
  if (step == kStepEliminationPublicity) return "风险消除公示";
  return step;
}

}  // namespace fangfan
