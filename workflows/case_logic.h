// What the three parts of the case rules share, and nothing else: the payload checks
// (case_payload.h), the guards and branch predicates (case_guards.h) and the actions
// (case_actions.h). The Boost.MSM table in case_machine.cpp sequences them; these compile
// (and can be read and tested) outside the heavy MSM unit.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "workflows/case_events.h"
#include "workflows/eligibility.h"
#include "workflows/program_rules.h"
#include "workflows/refusal_codes.h"

namespace fangfan {

// A check's answer: the cause of a refusal, or std::nullopt when the check passes.
using Check = std::optional<Problem>;

// What an action produces besides the new case data. `state` is the state the event is handled
// in (the machine sets it before the action runs), for the few records that depend on it.
struct Effects {
  std::string_view state;
  Details details;
  std::vector<Notice> notices;
  std::optional<NewCaseRequest> new_case;
};

// Records that never move the case (assistance, household changes, department evidence and
// measures). The machine handles them as one event type with one row per region of states
// (recognition, assisted, eliminated): fewer rows and event types keep Boost.MSM's compile cost
// down.
using RoutineEvent = std::variant<AssignOfficer, AddMeasure, UpdateMeasure, RecordVisit,
                                  RecordMonitoring, MarkDevelopmental, UpdateHousehold,
                                  RecordDepartmentEvidence, RecordDepartmentMeasure,
                                  RecordMajorEvent, RecordEvaluation, ConfirmHouseholdStatus>;
const EventMeta& routine_meta(const RoutineEvent& e);

// The China calendar day of an event (the core reads no clock: the event says when).
Date today_of(const EventMeta& m);
Stamp stamp_of(const EventMeta& m);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// A department measure's description: "<department name>：<measure>", with
// "（<amount label><amount>元）" when an amount is given ("县民政局：低保（月保障金额600元）").
std::string department_measure_description(const RecordDepartmentMeasure& e);
// The measure `e` records already on the case (same department, period, member, description and
// start date), or nullptr: replaying a department's answer never doubles a measure.
const Measure* recorded_department_measure(const RecordDepartmentMeasure& e, const CaseData& d);

// The eligibility decision a verification result leads to (guards and actions ask the same).
EligibilityDecision decide_verification(const RecordVerification& e, const CaseData& d,
                                        const ProgramRules& r);

// The look-back recorded since the case was last eliminated, if any.
const LookBack* latest_look_back(const CaseData& d);

// The approval levels (township, village, city, in that order) not yet given for `purpose`.
std::vector<ApprovalLevel> missing_levels(const CaseData& d, ApprovalPurpose purpose,
                                          const ProgramRules& r);

}  // namespace fangfan
