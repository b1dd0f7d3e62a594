// A deadline and its escalation ladder as a deployment configures them: the shape shared by the
// procedure steps (program_rules.h), recurring work and department feeds (feed_rules.h).
// Thread-safety: plain values.
#pragma once

#include <string>
#include <vector>

namespace fangfan {

enum class DayUnit { kWorkingDays, kCalendarDays };

// One rung of an escalation ladder: `after_working_days` after the step fell due
// (0 = at due time), a notice goes to every person holding `to_role` whose scope
// covers the household.
struct EscalationRung {
  int after_working_days = 0;
  std::string to_role;
};

struct StepDeadline {
  int period = 5;
  DayUnit unit = DayUnit::kWorkingDays;
  int remind_before_working_days = 1;  // 0 = no reminder before due
  std::vector<EscalationRung> escalation;
  // A step that shares one window with the step before it names that step here ([002]
  // "5个工作日内完成入户调查和民主评议": the democratic review ends with the verification's
  // window). When it starts right after that step, its last day is the window's; otherwise
  // (e.g. a review again after a publicity objection) it counts its own period. "" = its own.
  std::string shared_window;
};

}  // namespace fangfan
