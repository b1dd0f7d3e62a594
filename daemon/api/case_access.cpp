#include "daemon/api/case_access.h"

#include <algorithm>
#include <map>
#include <type_traits>
#include <variant>

namespace fangfan {
namespace {

using R = Role;

// Roles besides county_admin, by event code. record_approval is decided by its level below.
const std::map<std::string_view, std::vector<Role>>& event_table() {
  static const std::map<std::string_view, std::vector<Role>> kTable = {
      {OpenCase::kName, {R::kCountyOffice, R::kTownshipClerk, R::kVillageOfficer}},
      {StartVerification::kName, {R::kTownshipClerk}},
      {RecordVerification::kName, {R::kTownshipClerk}},
      {RecordDemocraticReview::kName, {R::kTownshipClerk, R::kVillageOfficer}},
      {RecordCountyReview::kName, {R::kCountyOffice}},
      {PublicityObjection::kName, {R::kTownshipClerk, R::kVillageOfficer}},
      {ClosePublicity::kName, {R::kCountyOffice, R::kTownshipClerk, R::kVillageOfficer}},
      {AssignOfficer::kName, {R::kCountyOffice, R::kTownshipClerk}},
      {AddMeasure::kName, {R::kCountyOffice, R::kTownshipClerk, R::kAssistanceOfficer}},
      {UpdateMeasure::kName, {R::kCountyOffice, R::kTownshipClerk, R::kAssistanceOfficer}},
      {RecordVisit::kName, {R::kTownshipClerk, R::kVillageOfficer, R::kAssistanceOfficer}},
      {RecordMonitoring::kName,
       {R::kCountyOffice, R::kTownshipClerk, R::kVillageOfficer, R::kAssistanceOfficer}},
      {MarkDevelopmental::kName, {R::kCountyOffice, R::kTownshipClerk}},
      {UpdateHousehold::kName, {R::kCountyOffice, R::kTownshipClerk, R::kVillageOfficer}},
      {ProposeElimination::kName, {R::kCountyOffice, R::kTownshipClerk, R::kVillageOfficer}},
      {RecordEliminationReview::kName, {R::kTownshipClerk, R::kVillageOfficer}},
      {RecordTownshipReview::kName, {R::kTownshipClerk}},
      {EliminationObjection::kName, {R::kTownshipClerk, R::kVillageOfficer}},
      {CloseEliminationPublicity::kName, {R::kCountyOffice}},
      {RecordLookBack::kName, {R::kCountyOffice, R::kTownshipClerk}},
      {ApplyRollback::kName, {R::kCountyOffice}},
      {ApplyClearOut::kName, {R::kCountyOffice}},
      {ReIdentify::kName, {R::kCountyOffice, R::kTownshipClerk}},
  };
  return kTable;
}

std::vector<Role> approval_roles(ApprovalLevel level) {
  switch (level) {
    case ApprovalLevel::kVillage:
      return {R::kVillageOfficer};
    case ApprovalLevel::kTownship:
      return {R::kTownshipClerk};
    case ApprovalLevel::kCity:
      return {R::kCountyOffice};
  }
  return {};
}

std::string names(const std::vector<Role>& roles) {
  std::string out;
  for (Role r : roles) {
    if (!out.empty()) out += ", ";
    out += role_name(r);
  }
  return out;
}

}  // namespace

std::vector<Role> roles_for_event(const CaseEvent& event) {
  if (system_only(event)) return {};
  std::vector<Role> out = {R::kCountyAdmin};
  std::vector<Role> more;
  if (const auto* approval = std::get_if<RecordApproval>(&event)) {
    more = approval_roles(approval->level);
  } else if (auto it = event_table().find(event_name(event)); it != event_table().end()) {
    more = it->second;
  }
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

std::optional<std::string> check_event_role(Role role, const CaseEvent& event) {
  if (system_only(event)) {
    const std::string what(event_name(event));
    return "“" + std::string(event_label(event)) +
           "”由系统根据部门数据自动登记，任何角色都不能通过接口登记，未做任何修改 (" + what +
           " is recorded by fangfan itself from department feeds; no token may post it; nothing "
           "was changed)";
  }
  const std::vector<Role> roles = roles_for_event(event);
  if (std::find(roles.begin(), roles.end(), role) != roles.end()) return std::nullopt;
  std::string what(event_name(event));
  if (const auto* approval = std::get_if<RecordApproval>(&event)) {
    what += " (level " + std::string(code_of(approval->level)) + ")";
  }
  return "角色 " + std::string(role_name(role)) + " 不能登记“" + std::string(event_label(event)) +
         "”，需要：" + names(roles) + "，未做任何修改 (role " + role_name(role) + " may not post " +
         what + "; it needs one of: " + names(roles) + "; nothing was changed)";
}

}  // namespace fangfan
