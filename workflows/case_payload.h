// Payload checks: what an event's own fields and meta must satisfy, whatever the state.
//
// CaseMachine::handle() runs payload_problem() once, after finding that the state accepts the
// event and before the event enters the Boost.MSM machine, so the table's guards only decide.
// The case data is an input for what the event must agree with (a time not before the last
// event, a visit not before the case was opened, a household code that does not change).
//
// Every check of meta: an actor is named, the time is not before the case's last event, and
// events that need a reason (rejections, objections, opinions, clear-outs) carry one.
// The first problem found is returned (code, field, sentence); std::nullopt when valid.
// Thread-safety: pure functions.
#pragma once

#include "workflows/case_logic.h"

namespace fangfan {

Check payload_problem(const CaseEvent& e, const CaseData& d, const ProgramRules& r);
Check payload_problem(const RoutineEvent& e, const CaseData& d, const ProgramRules& r);

}  // namespace fangfan
