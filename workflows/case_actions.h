// The verbs of the case machine: what each accepted event records in the case data, and the
// effects it leaves for the caller (history details, written notices, a new case to open).
// The Boost.MSM table in case_machine.cpp says which action a transition runs.
//
// An action runs only after the payload check and every guard passed; it never fails and never
// triggers a further event. Signature: (event, data, rules, effects).
// Thread-safety: pure functions.
#pragma once

#include "workflows/case_logic.h"

namespace fangfan {

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
void record_major_event(const RecordMajorEvent& e, CaseData& d, const ProgramRules& r, Effects& fx);
void mark_developmental(const MarkDevelopmental& e, CaseData& d, const ProgramRules& r,
                        Effects& fx);
void update_household(const UpdateHousehold& e, CaseData& d, const ProgramRules& r, Effects& fx);
void record_department_evidence(const RecordDepartmentEvidence& e, CaseData& d,
                                const ProgramRules& r, Effects& fx);
void record_department_measure(const RecordDepartmentMeasure& e, CaseData& d, const ProgramRules& r,
                               Effects& fx);
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

}  // namespace fangfan
