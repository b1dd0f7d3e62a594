// The conditions and the verbs of the case machine, without the machine.
//
// The Boost.MSM transition table in case_machine.cpp is the one place that
// says which of these apply in which state and in what order; this file holds
// what each guard checks and what each action records, as pure functions over
// CaseData so they compile (and can be read) outside the heavy MSM unit.
//
// Three kinds of function:
//   *_problem([event,] data, rules) -> std::optional<std::string>
//       a guard that refuses: the sentence says why (no "案件处于…" prefix);
//       payload_problem() overloads check an event's own fields and meta;
//   predicates([event,] data, rules) -> bool
//       branch guards that choose between rows and never refuse on their own;
//   actions(event, data, rules, effects)
//       record what the event did; they run only after every guard passed,
//       never fail, and never trigger further events.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "workflows/case_events.h"
#include "workflows/program_rules.h"

namespace fangfan {

// What an action produces besides the new case data.
struct Effects {
  Details details;
  std::vector<Notice> notices;
  std::optional<NewCaseRequest> new_case;
};

// Records that never move the case (assistance and household changes). The
// machine handles them as one event type, accepted wherever the case is open;
// `RoutineGate` says which of them a state accepts.
using RoutineEvent = std::variant<AssignOfficer, AddMeasure, UpdateMeasure, RecordVisit,
                                  RecordMonitoring, MarkDevelopmental, UpdateHousehold>;
const EventMeta& routine_meta(const RoutineEvent& e);

// -- payload checks (every event; meta: actor present, time not before the last event)
std::optional<std::string> payload_problem(const OpenCase& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const StartVerification& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const RecordVerification& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const RecordDemocraticReview& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const RecordCountyReview& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const PublicityObjection& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const ClosePublicity& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const AssignOfficer& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const AddMeasure& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const UpdateMeasure& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const RecordVisit& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const RecordMonitoring& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const MarkDevelopmental& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const UpdateHousehold& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const ProposeElimination& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const RecordEliminationReview& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const RecordTownshipReview& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const EliminationObjection& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const CloseEliminationPublicity& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const RecordLookBack& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const RecordApproval& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const ApplyRollback& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const ApplyClearOut& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const ReIdentify& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> payload_problem(const RoutineEvent& e, const CaseData& d,
                                           const ProgramRules& r);

// -- refusing guards
// Income records of the window incomplete or unusable, unknown exclusion code, bad discretion.
std::optional<std::string> verification_incomplete_problem(const RecordVerification& e,
                                                           const CaseData& d,
                                                           const ProgramRules& r);
// Passing the democratic review needs the signed asset-check authorisation.
std::optional<std::string> asset_authorisation_problem(const RecordDemocraticReview& e,
                                                       const CaseData& d, const ProgramRules& r);
// Village publicity must have lasted its configured period.
std::optional<std::string> publicity_period_problem(const ClosePublicity& e, const CaseData& d,
                                                    const ProgramRules& r);
std::optional<std::string> elimination_publicity_period_problem(const CloseEliminationPublicity& e,
                                                                const CaseData& d,
                                                                const ProgramRules& r);
// Before registration only emergency cases are assisted (先帮扶、后认定).
std::optional<std::string> emergency_problem(const CaseData& d, const ProgramRules& r);
std::optional<std::string> measure_problem(const UpdateMeasure& e, const CaseData& d,
                                           const ProgramRules& r);
// A visit needs an assigned officer.
std::optional<std::string> officer_problem(const RecordVisit& e, const CaseData& d,
                                           const ProgramRules& r);
std::optional<std::string> monitoring_month_problem(const RecordMonitoring& e, const CaseData& d,
                                                    const ProgramRules& r);
std::optional<std::string> developmental_problem(const MarkDevelopmental& e, const CaseData& d,
                                                 const ProgramRules& r);
// 整户无劳动能力兜底保障户 cannot be marked risk-eliminated [001].
std::optional<std::string> guaranteed_support_problem(const CaseData& d, const ProgramRules& r);
std::optional<std::string> rollback_approval_problem(const RecordApproval& e, const CaseData& d,
                                                     const ProgramRules& r);
std::optional<std::string> clear_out_approval_problem(const RecordApproval& e, const CaseData& d,
                                                      const ProgramRules& r);
std::optional<std::string> rollback_approvals_problem(const ApplyRollback& e, const CaseData& d,
                                                      const ProgramRules& r);
std::optional<std::string> clear_out_approvals_problem(const ApplyClearOut& e, const CaseData& d,
                                                       const ProgramRules& r);
std::optional<std::string> re_identification_problem(const ReIdentify& e, const CaseData& d,
                                                     const ProgramRules& r);

// Routine records by state: during recognition household changes always, assistance only for
// emergency cases; while assisted everything; after elimination household changes only.
// Then each record's own condition (officer, measure, month, developmental mark).
std::optional<std::string> routine_in_recognition_problem(const RoutineEvent& e, const CaseData& d,
                                                          const ProgramRules& r);
std::optional<std::string> routine_while_assisted_problem(const RoutineEvent& e, const CaseData& d,
                                                          const ProgramRules& r);
std::optional<std::string> routine_after_elimination_problem(const RoutineEvent& e,
                                                             const CaseData& d,
                                                             const ProgramRules& r);

// -- branch predicates
bool meets_standard(const RecordVerification& e, const CaseData& d, const ProgramRules& r);
bool democratic_review_passed(const RecordDemocraticReview& e, const CaseData& d,
                              const ProgramRules& r);
bool cross_check_clear(const RecordCountyReview& e, const CaseData& d, const ProgramRules& r);
bool elimination_review_passed(const RecordEliminationReview& e, const CaseData& d,
                               const ProgramRules& r);
bool township_review_passed(const RecordTownshipReview& e, const CaseData& d,
                            const ProgramRules& r);
// Whether the case's kind runs 民主评议 / 村级公示 (short kinds skip both).
bool has_democratic_review(const CaseData& d, const ProgramRules& r);
bool has_village_publicity(const CaseData& d, const ProgramRules& r);

// -- actions
void open_case(const OpenCase& e, CaseData& d, const ProgramRules& r, Effects& fx);
void start_verification(const StartVerification& e, CaseData& d, const ProgramRules& r,
                        Effects& fx);
void pass_verification(const RecordVerification& e, CaseData& d, const ProgramRules& r,
                       Effects& fx);
void reject_at_verification(const RecordVerification& e, CaseData& d, const ProgramRules& r,
                            Effects& fx);
void pass_democratic_review(const RecordDemocraticReview& e, CaseData& d, const ProgramRules& r,
                            Effects& fx);
void reject_at_democratic_review(const RecordDemocraticReview& e, CaseData& d,
                                 const ProgramRules& r, Effects& fx);
void start_publicity(const RecordCountyReview& e, CaseData& d, const ProgramRules& r, Effects& fx);
void register_after_county_review(const RecordCountyReview& e, CaseData& d, const ProgramRules& r,
                                  Effects& fx);
void reject_at_county_review(const RecordCountyReview& e, CaseData& d, const ProgramRules& r,
                             Effects& fx);
void record_publicity_objection(const PublicityObjection& e, CaseData& d, const ProgramRules& r,
                                Effects& fx);
void register_after_publicity(const ClosePublicity& e, CaseData& d, const ProgramRules& r,
                              Effects& fx);
void assign_officer(const AssignOfficer& e, CaseData& d, const ProgramRules& r, Effects& fx);
void add_measure(const AddMeasure& e, CaseData& d, const ProgramRules& r, Effects& fx);
void update_measure(const UpdateMeasure& e, CaseData& d, const ProgramRules& r, Effects& fx);
void record_visit(const RecordVisit& e, CaseData& d, const ProgramRules& r, Effects& fx);
void record_monitoring(const RecordMonitoring& e, CaseData& d, const ProgramRules& r, Effects& fx);
void mark_developmental(const MarkDevelopmental& e, CaseData& d, const ProgramRules& r,
                        Effects& fx);
void update_household(const UpdateHousehold& e, CaseData& d, const ProgramRules& r, Effects& fx);
void propose_elimination(const ProposeElimination& e, CaseData& d, const ProgramRules& r,
                         Effects& fx);
void pass_elimination_review(const RecordEliminationReview& e, CaseData& d, const ProgramRules& r,
                             Effects& fx);
void keep_after_elimination_review(const RecordEliminationReview& e, CaseData& d,
                                   const ProgramRules& r, Effects& fx);
void start_elimination_publicity(const RecordTownshipReview& e, CaseData& d, const ProgramRules& r,
                                 Effects& fx);
void keep_after_township_review(const RecordTownshipReview& e, CaseData& d, const ProgramRules& r,
                                Effects& fx);
void record_elimination_objection(const EliminationObjection& e, CaseData& d, const ProgramRules& r,
                                  Effects& fx);
void eliminate(const CloseEliminationPublicity& e, CaseData& d, const ProgramRules& r, Effects& fx);
void record_look_back(const RecordLookBack& e, CaseData& d, const ProgramRules& r, Effects& fx);
void record_approval(const RecordApproval& e, CaseData& d, const ProgramRules& r, Effects& fx);
void roll_back(const ApplyRollback& e, CaseData& d, const ProgramRules& r, Effects& fx);
void clear_out(const ApplyClearOut& e, CaseData& d, const ProgramRules& r, Effects& fx);
void re_identify(const ReIdentify& e, CaseData& d, const ProgramRules& r, Effects& fx);
void record_routine(const RoutineEvent& e, CaseData& d, const ProgramRules& r, Effects& fx);

// Why a configured case kind cannot be used (unknown step names, steps out of
// procedure order), or std::nullopt. For the config loader.
std::optional<std::string> case_kind_problem(const CaseKind& kind);

// The minimum length of a publicity step in days, from ProgramRules::deadlines
// (period; 5 when the step is not configured).
int publicity_days(const ProgramRules& rules, std::string_view step);

}  // namespace fangfan
