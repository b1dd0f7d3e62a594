#include "daemon/api/case_access.h"

#include <algorithm>
#include <array>
#include <boost/mp11/algorithm.hpp>
#include <cstdint>
#include <initializer_list>
#include <type_traits>
#include <variant>

namespace fangfan {
namespace {

using R = Role;

// A set of roles, usable in constant expressions.
struct RoleSet {
  std::uint32_t bits = 0;
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<Role> roles) {
    for (Role r : roles) bits |= std::uint32_t{1} << static_cast<unsigned>(r);
  }
  constexpr bool has(Role r) const { return (bits >> static_cast<unsigned>(r)) & 1u; }
};

// The position of an event type among CaseEvent's alternatives: the table's key.
template <class E>
constexpr std::size_t kEvent = boost::mp11::mp_find<CaseEvent, E>::value;

struct Row {
  std::size_t event;  // kEvent<E>
  RoleSet roles;      // besides county_admin
};

// Roles besides county_admin, by event type. record_approval's row is every level's roles (the
// check before the body is read); approval_roles() below gives those of one level.
constexpr Row kTable[] = {
    {kEvent<OpenCase>, {R::kCountyOffice, R::kTownshipClerk, R::kVillageOfficer}},
    {kEvent<StartVerification>, {R::kTownshipClerk}},
    {kEvent<RecordVerification>, {R::kTownshipClerk}},
    {kEvent<RecordDemocraticReview>, {R::kTownshipClerk, R::kVillageOfficer}},
    {kEvent<RecordCountyReview>, {R::kCountyOffice}},
    {kEvent<PublicityObjection>, {R::kTownshipClerk, R::kVillageOfficer}},
    {kEvent<ClosePublicity>, {R::kCountyOffice, R::kTownshipClerk, R::kVillageOfficer}},
    {kEvent<AssignOfficer>, {R::kCountyOffice, R::kTownshipClerk}},
    {kEvent<AddMeasure>, {R::kCountyOffice, R::kTownshipClerk, R::kAssistanceOfficer}},
    {kEvent<UpdateMeasure>, {R::kCountyOffice, R::kTownshipClerk, R::kAssistanceOfficer}},
    {kEvent<RecordVisit>, {R::kTownshipClerk, R::kVillageOfficer, R::kAssistanceOfficer}},
    {kEvent<RecordMonitoring>,
     {R::kCountyOffice, R::kTownshipClerk, R::kVillageOfficer, R::kAssistanceOfficer}},
    {kEvent<MarkDevelopmental>, {R::kCountyOffice, R::kTownshipClerk}},
    {kEvent<RecordMajorEvent>,
     {R::kCountyOffice, R::kTownshipClerk, R::kVillageOfficer, R::kAssistanceOfficer}},
    {kEvent<UpdateHousehold>, {R::kCountyOffice, R::kTownshipClerk, R::kVillageOfficer}},
    {kEvent<ProposeElimination>, {R::kCountyOffice, R::kTownshipClerk, R::kVillageOfficer}},
    {kEvent<RecordEliminationReview>, {R::kTownshipClerk, R::kVillageOfficer}},
    {kEvent<RecordTownshipReview>, {R::kTownshipClerk}},
    {kEvent<EliminationObjection>, {R::kTownshipClerk, R::kVillageOfficer}},
    {kEvent<CloseEliminationPublicity>, {R::kCountyOffice}},
    {kEvent<RecordLookBack>, {R::kCountyOffice, R::kTownshipClerk}},
    {kEvent<RecordApproval>, {R::kVillageOfficer, R::kTownshipClerk, R::kCountyOffice}},
    {kEvent<ApplyRollback>, {R::kCountyOffice}},
    {kEvent<ApplyClearOut>, {R::kCountyOffice}},
    {kEvent<ReIdentify>, {R::kCountyOffice, R::kTownshipClerk}},
    {kEvent<RecordEvaluation>, {R::kCountyOffice, R::kTownshipClerk}},
    {kEvent<ConfirmHouseholdStatus>, {R::kTownshipClerk, R::kVillageOfficer}},
};

// kSystemOnly of each alternative, by position.
template <class>
struct SystemOnlyFlags;
template <class... Es>
struct SystemOnlyFlags<std::variant<Es...>> {
  static constexpr std::array<bool, sizeof...(Es)> kValue = {kSystemOnly<Es>...};
};

// Every event fangfan does not record itself has exactly one row; its own events have none.
constexpr bool table_is_complete() {
  const auto& system = SystemOnlyFlags<CaseEvent>::kValue;
  for (std::size_t e = 0; e < system.size(); ++e) {
    int rows = 0;
    for (const Row& row : kTable) rows += row.event == e ? 1 : 0;
    if (rows != (system[e] ? 0 : 1)) return false;
  }
  return true;
}
static_assert(table_is_complete(),
              "every CaseEvent that is not kSystemOnly needs one row in kTable, and only those");

RoleSet row_of(std::size_t event) {
  for (const Row& row : kTable) {
    if (row.event == event) return row.roles;
  }
  return {};
}

RoleSet approval_roles(ApprovalLevel level) {
  switch (level) {
    case ApprovalLevel::kVillage:
      return {R::kVillageOfficer};
    case ApprovalLevel::kTownship:
      return {R::kTownshipClerk};
    case ApprovalLevel::kCity:
      return {R::kCountyOffice};  // the county records the city bureau's approval
    case ApprovalLevel::kPrefecture:
      return {R::kCountyOffice};  // ... and the prefecture's filing ([001] 三明市)
  }
  return {};
}

// county_admin first, then the set's roles in the order of the Role enum.
std::vector<Role> with_admin(RoleSet more) {
  std::vector<Role> out = {R::kCountyAdmin};
  for (Role r : {R::kCountyOffice, R::kTownshipHead, R::kTownshipClerk, R::kVillageOfficer,
                 R::kAssistanceOfficer, R::kDepartmentClerk, R::kAuditor}) {
    if (more.has(r)) out.push_back(r);
  }
  return out;
}

std::string names(const std::vector<Role>& roles) {
  std::string out;
  for (Role r : roles) {
    if (!out.empty()) out += ", ";
    out += role_name(r);
  }
  return out;
}

std::optional<std::string> role_refusal(Role role, const CaseEvent& event,
                                        const std::vector<Role>& roles, std::string what) {
  if (std::find(roles.begin(), roles.end(), role) != roles.end()) return std::nullopt;
  return "角色 " + std::string(role_name(role)) + " 不能登记“" + std::string(event_label(event)) +
         "”，需要：" + names(roles) + "，未做任何修改 (role " + role_name(role) + " may not post " +
         what + "; it needs one of: " + names(roles) + "; nothing was changed)";
}

std::string system_refusal(const CaseEvent& event) {
  return "“" + std::string(event_label(event)) +
         "”由系统根据部门数据自动登记，任何角色都不能通过接口登记，未做任何修改 (" +
         std::string(event_name(event)) +
         " is recorded by fangfan itself from department feeds; no token may post it; nothing "
         "was changed)";
}

// A default event of the type named `type`; nullopt for a name that is no event.
std::optional<CaseEvent> event_of_type(std::string_view type) {
  std::optional<CaseEvent> out;
  boost::mp11::mp_for_each<boost::mp11::mp_iota_c<std::variant_size_v<CaseEvent>>>([&](auto i) {
    using E = std::variant_alternative_t<decltype(i)::value, CaseEvent>;
    if (!out && E::kName == type) out = CaseEvent(E{});
  });
  return out;
}

}  // namespace

std::vector<Role> roles_for_event(const CaseEvent& event) {
  if (system_only(event)) return {};
  if (const auto* approval = std::get_if<RecordApproval>(&event)) {
    return with_admin(approval_roles(approval->level));
  }
  // A household status is confirmed by the level's own role, like an approval (village,
  // township); the guard refuses any other level.
  if (const auto* confirmation = std::get_if<ConfirmHouseholdStatus>(&event)) {
    return with_admin(approval_roles(confirmation->level));
  }
  return with_admin(row_of(event.index()));
}

std::optional<std::string> check_event_role(Role role, const CaseEvent& event) {
  if (system_only(event)) return system_refusal(event);
  std::string what(event_name(event));
  if (const auto* approval = std::get_if<RecordApproval>(&event)) {
    what += " (level " + std::string(code_of(approval->level)) + ")";
  }
  if (const auto* confirmation = std::get_if<ConfirmHouseholdStatus>(&event)) {
    what += " (level " + std::string(code_of(confirmation->level)) + ")";
  }
  return role_refusal(role, event, roles_for_event(event), std::move(what));
}

std::optional<std::string> check_event_type_role(Role role, std::string_view type) {
  const std::optional<CaseEvent> event = event_of_type(type);
  if (!event) return std::nullopt;
  if (system_only(*event)) return system_refusal(*event);
  return role_refusal(role, *event, with_admin(row_of(event->index())), std::string(type));
}

}  // namespace fangfan
