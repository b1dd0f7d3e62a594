// One monitored household's case (监测对象案件) as a state machine: recognition
// (核实 → 评议 → 比对 → 公示 → 录入), assistance, risk elimination, look-back,
// rollback and clear-out, exactly as program-rules.md describes. The machine
// is Boost.MSM, kept inside case_machine.cpp; this header does not include it.
//
// Use: construct (state "new"), handle(OpenCase), then handle() each further
// event; or CaseMachine::restore() a stored snapshot. Every event is handled
// atomically: an accepted event changes the state and/or the case data,
// increments version() and returns an Outcome whose HistoryEntry the caller
// appends in the same transaction as the new snapshot(); a refused event
// (the state does not accept it, the payload is invalid, or a guard fails)
// returns a Refusal with a stable code (refusal_codes.h), the payload field it
// concerns and a sentence a township clerk understands, and changes nothing.
//
// One machine serves every case kind: the kind's configured steps decide
// whether democratic review and village publicity run (guards, not copies).
//
// Ownership: the machine keeps a reference to `rules`.
// REQUIRES: rules outlive the machine and are not modified meanwhile.
// Thread-safety: none; one machine is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "workflows/case_events.h"
#include "workflows/program_rules.h"

namespace fangfan {

class CaseMachine {
 public:
  explicit CaseMachine(const ProgramRules& rules);
  ~CaseMachine();
  CaseMachine(const CaseMachine& other);
  CaseMachine& operator=(const CaseMachine& other);
  CaseMachine(CaseMachine&& other) noexcept;
  CaseMachine& operator=(CaseMachine&& other) noexcept;

  // Rebuilds a machine exactly as it was when `snapshot` was taken. Fails
  // (with a sentence) on an unknown state name, a version below 1, a case id
  // that differs from the data's, or a case kind missing from `rules`.
  static std::variant<CaseMachine, std::string> restore(const ProgramRules& rules,
                                                        const CaseSnapshot& snapshot);

  // Handles `event`: refused with "not_in_this_state" when the state never accepts it, with the
  // payload's first problem when its fields or meta are invalid, else as the guards decide.
  // `household` is what the caller loaded about the household around the event (village
  // configured, another case in progress, the linked previous case): the guards of an opening,
  // a household change and a rollback decide with it. The one-argument form assumes a household
  // that raises no objection (replays, tests).
  EventResult handle(const CaseEvent& event);
  EventResult handle(const CaseEvent& event, const HouseholdContext& household);

  // The stable state name ("new", "discovered", ..., "cleared_out").
  std::string_view state() const;
  // 0 before OpenCase; +1 per accepted event.
  std::int64_t version() const;
  const CaseData& data() const;
  CaseSnapshot snapshot() const;
  // Whether visits and monitoring are due now (registered, in the elimination
  // steps, or an emergency case still in recognition).
  bool assisted() const;

 private:
  struct Impl;
  explicit CaseMachine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fangfan
