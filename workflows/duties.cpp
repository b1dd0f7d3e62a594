#include "workflows/duties.h"

#include <algorithm>

#include "workflows/household.h"
#include "workflows/program_rules.h"

namespace fangfan {

std::string_view duty_state_name(DutyState state) {
  switch (state) {
    case DutyState::kOpen:
      return "open";
    case DutyState::kDone:
      return "done";
    case DutyState::kCancelled:
      return "cancelled";
  }
  return "open";
}

std::string step_duty_key(std::int64_t case_id, std::string_view step, std::int64_t seq) {
  return "step/" + std::to_string(case_id) + "/" + std::string(step) + "/" + std::to_string(seq);
}

std::string month_duty_key(std::string_view kind, std::int64_t case_id,
                           std::chrono::year_month month) {
  return std::string(kind) + "/" + std::to_string(case_id) + "/" + format_month(month);
}

std::string evaluation_duty_key(std::int64_t case_id, int year) {
  return std::string(kDutyEvaluation) + "/" + std::to_string(case_id) + "/" + std::to_string(year);
}

std::string campaign_duty_key(std::string_view campaign, std::string_view milestone,
                              std::string_view township) {
  return std::string(kDutyCampaign) + "/" + std::string(campaign) + "/" + std::string(milestone) +
         "/" + std::string(township);
}

NewDuty county_office_duty(std::string_view kind, std::string_view name, std::string_view period,
                           std::string_view county_code, TimePoint at) {
  NewDuty d;
  d.duty_key = std::string(kind) + "/" + std::string(name) + "/" + std::string(period);
  d.kind = std::string(kind);
  d.subject = std::string(name) + "/" + std::string(period);
  d.township_code = std::string(county_code);
  d.owner_role = "county_office";
  d.due_at = at;
  d.opened_at = at;
  return d;
}

std::string step_owner_role(std::string_view step) {
  if (step == kStepHouseholdVerification || step == kStepTownshipEliminationReview) {
    return "township_clerk";
  }
  if (step == kStepDemocraticReview || step == kStepVillagePublicity ||
      step == kStepEliminationReview || step == kStepEliminationPublicity) {
    return "village_officer";
  }
  return "county_office";
}

std::string assignment_duty_key(std::int64_t case_id) {
  return std::string(kDutyAssignment) + "/" + std::to_string(case_id);
}

bool assignment_complete(const CaseData& data) {
  return !data.officer.empty() &&
         std::any_of(data.measures.begin(), data.measures.end(),
                     [](const Measure& m) { return m.status != MeasureStatus::kStopped; });
}

int visits_in_month(const CaseData& data, std::chrono::year_month month) {
  return static_cast<int>(std::count_if(data.visits.begin(), data.visits.end(),
                                        [&](const Visit& v) { return month_of(v.date) == month; }));
}

int monitoring_in_month(const CaseData& data, std::chrono::year_month month) {
  return static_cast<int>(
      std::count_if(data.monitoring.begin(), data.monitoring.end(),
                    [&](const MonitoringRecord& m) { return m.account.month == month; }));
}

}  // namespace fangfan
