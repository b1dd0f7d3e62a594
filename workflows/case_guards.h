// The guards of the case machine: refusing guards and branch predicates, without the machine.
// The Boost.MSM table in case_machine.cpp says which apply in which state and in what order.
//
// Two kinds of function, each over ([event,] data, rules):
//   *_problem -> Check: a guard that refuses; the Problem carries the code, the field and the
//       sentence (no "案件处于…" prefix: the machine adds it);
//   predicates -> bool: branch guards that choose between rows and never refuse on their own.
// Guards run only on payloads that passed payload_problem() (case_payload.h).
// Thread-safety: pure functions.
#pragma once

#include "workflows/case_logic.h"

namespace fangfan {

// -- recognition
// Income records of the window incomplete or unusable, unknown exclusion code, bad discretion.
Check verification_incomplete_problem(const RecordVerification& e, const CaseData& d,
                                      const ProgramRules& r);
// Passing the democratic review needs the signed asset-check authorisation.
Check asset_authorisation_problem(const RecordDemocraticReview& e, const CaseData& d,
                                  const ProgramRules& r);
// Village publicity must have lasted its configured period.
Check publicity_period_problem(const ClosePublicity& e, const CaseData& d, const ProgramRules& r);
Check elimination_publicity_period_problem(const CloseEliminationPublicity& e, const CaseData& d,
                                           const ProgramRules& r);

// -- routine records (assistance, household changes, department evidence and measures), by
// region of states: during recognition household changes, evidence and department measures
// always, assistance only for emergency cases (先帮扶、后认定); while assisted everything; after
// elimination household changes and evidence only. Then each record's own condition (officer,
// measure, month, developmental mark, a department measure's member and that it is new).
Check routine_in_recognition_problem(const RoutineEvent& e, const CaseData& d,
                                     const ProgramRules& r);
Check routine_while_assisted_problem(const RoutineEvent& e, const CaseData& d,
                                     const ProgramRules& r);
Check routine_after_elimination_problem(const RoutineEvent& e, const CaseData& d,
                                        const ProgramRules& r);

// -- elimination, look-back, rollback, clear-out, re-identification
// 整户无劳动能力兜底保障户 cannot be marked risk-eliminated [001].
Check guaranteed_support_problem(const CaseData& d, const ProgramRules& r);
Check rollback_approval_problem(const RecordApproval& e, const CaseData& d, const ProgramRules& r);
Check clear_out_approval_problem(const RecordApproval& e, const CaseData& d, const ProgramRules& r);
Check rollback_approvals_problem(const ApplyRollback& e, const CaseData& d, const ProgramRules& r);
Check clear_out_approvals_problem(const ApplyClearOut& e, const CaseData& d, const ProgramRules& r);
Check re_identification_problem(const ReIdentify& e, const CaseData& d, const ProgramRules& r);

// -- the household around an opening (HouseholdContext, loaded by the caller): the village is
// configured, the household has no other case in progress, a linked previous case exists and
// is the same household's. Problems are about_household.
Check household_context_problem(const OpenCase& e, const HouseholdContext& h);
// -- the household around a case already open: a household change moves it to a village the
// config knows (h.village_configured, of the event's village); a case made active again
// (rollback of an eliminated case) finds no other case of the household in progress
// (h.case_in_progress_id). Problems are about_household.
Check household_move_problem(const RoutineEvent& e, const CaseData& d, const HouseholdContext& h);
Check second_case_problem(const CaseData& d, const HouseholdContext& h);

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

}  // namespace fangfan
