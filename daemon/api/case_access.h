// Which token roles may write which case events: the API's one table of who
// does what in the procedure (program-rules.md, "Actors"). The route's Access
// rule keeps auditors out of every write; this table is the finer rule the case
// routes check, after reading the body and BEFORE touching anything (a refusal
// is a 403 that writes nothing).
//
//   open_case                        county_admin, county_office, township_clerk, village_officer
//   start/record_verification        township_clerk                  (入户核实: the township)
//   record_democratic_review         township_clerk, village_officer (民主评议)
//   record_county_review             county_office                   (审核/信息比对: the county)
//   publicity_objection              township_clerk, village_officer (村级公示)
//   close_publicity                  county_office, township_clerk, village_officer
//   assign_officer                   county_office, township_clerk
//   add_measure, update_measure      county_office, township_clerk, assistance_officer
//   record_visit                     township_clerk, village_officer, assistance_officer
//   record_monitoring                county_office, township_clerk, village_officer,
//                                    assistance_officer
//   mark_developmental               county_office, township_clerk
//   record_major_event               county_office, township_clerk, village_officer,
//                                    assistance_officer (重大变故: who finds it reports it)
//   update_household                 county_office, township_clerk, village_officer
//   propose_elimination              county_office, township_clerk, village_officer
//   record_elimination_review        township_clerk, village_officer
//   record_township_review           township_clerk
//   elimination_objection            township_clerk, village_officer
//   close_elimination_publicity      county_office                   (the county marks 风险消除)
//   record_look_back, re_identify    county_office, township_clerk
//   record_approval                  by its level: village -> village_officer,
//                                    township -> township_clerk, city -> county_office
//                                    (the county records the city bureau's approval)
//   apply_rollback, apply_clear_out  county_office
//   record_evaluation                county_office, township_clerk   (Q4 风险评估结果)
//   confirm_household_status         by its level: village -> village_officer,
//                                    township -> township_clerk (乡村两级确认)
// county_admin (who runs fangfan and corrects its data) may write every event but fangfan's own
// (kSystemOnly, workflows/case_events.h: record_department_evidence and
// record_department_measure, which the feed intake records); department_clerk and auditor write
// none (they read cases in their scope).
//
// The table in case_access.cpp is keyed by the event's type (CaseEvent's alternatives), not by
// its name: an event without a row (that is not kSystemOnly) does not compile. The routes check
// the role from the type alone (check_event_type_role) before they decode the body, so a
// forbidden event is a 403 whatever its fields hold; check_event_role then refines
// record_approval by its level.
//
// Thread-safety: pure functions over a constant table.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config/config.h"
#include "workflows/case_events.h"

namespace fangfan {

// The roles that may write `event` (county_admin first). Empty only for fangfan's own events
// (system_only()), which no token may post.
std::vector<Role> roles_for_event(const CaseEvent& event);

// Nullopt when `role` may write `event`; otherwise the refusal as a sentence naming the event
// and the roles that may write it.
std::optional<std::string> check_event_role(Role role, const CaseEvent& event);

// The check of a body's `type` before the body is read: nullopt when `role` may write some event
// of that type (record_approval at some level) or when `type` names no event (the decoder then
// answers 400); otherwise the refusal as check_event_role words it.
std::optional<std::string> check_event_type_role(Role role, std::string_view type);

}  // namespace fangfan
