// What a case change does to duties and timers, decided without storage (decide, then write).
// adapters/scheduler loads what a decision needs (the case's duties, the case data, the rules),
// calls one of these, and applies the DutyPlan in the change's transaction, in order.
//
// The rules (per accepted change, plan_case_change):
//   step_ended    -> the case's open duty of that step is done; its pending timers cancelled.
//   step_started  -> a duty "step/<case>/<step>/<seq>" with its reminder, due and rung timers
//                    (re-entering a step makes a new one); no configured deadline: no duty.
//   assistance_ended   -> every open visits/monitoring/evaluation/assignment duty cancelled.
//   assistance_started -> this month's visits and monitoring duties, and (rules.assignment
//                    enabled) "assignment/<case>": an officer and a plan owed, its task notice
//                    at once to rules.assignment.notify_roles, then its reminder and ladder.
//   any other change   -> once the case has an officer and a measure (assignment_complete), its
//                    open assignment duty is done (assign_officer, add_measure).
//   entering a monitoring-object state (case_events.h) while the year's Q4 evaluation is open
//                    -> its evaluation task (a calendar gap is reported, not a refusal).
//   record_visit / record_monitoring -> once the month has per_month records, that month's open
//                    duty is done and the next month's opened.
//   assign_officer -> the officer goes on the case's open visits/monitoring duties.
// A step's or month's deadline needing a missing calendar year refuses the change (refusal).
//
// Opening a duty whose key exists is a no-op, unless it was cancelled (assistance resumed): it
// is reopened with new timers. A month opened when its records are already complete is closed
// at once and the next month's opened (at most three months ahead).
//
// Timers of a duty (duty_timers): a task notice (evaluation), a reminder, a due timer and one per
// escalation rung; a monthly duty always gets a due timer (its firing opens the next month).
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "workflows/calendar.h"
#include "workflows/case_events.h"
#include "workflows/deadlines.h"
#include "workflows/duties.h"
#include "workflows/program_rules.h"
#include "workflows/timer_payload.h"

namespace fangfan {

// What duties and messages about a case's household say and whom they concern.
struct CaseFacts {
  std::int64_t case_id = 0;
  std::string household;  // masked head of household
  std::string village_code, township_code;
  std::string village_name, township_name;  // place names, for messages
  std::string officer;                      // the assistance officer's name (unmasked)
};
// case_id, household, village_code and officer from the case data; the township code and the
// place names come from the configuration (the adapter fills them in).
CaseFacts case_facts(std::int64_t case_id, const CaseData& data);

// One timer of a duty being opened.
struct PlannedTimer {
  std::string kind;    // kTimerReminder | kTimerDue | kTimerEscalation
  std::string suffix;  // "task", "reminder", "due", "rung/<n>"
  int rung = 0;
  TimePoint due_at{};
  DutyNotice notice;  // notice.duty_id is 0: the adapter fills in the stored duty's id
  // A rung already due when the duty opened, below the highest such rung: stored as fired at
  // the opening, nothing sent (duty_timers).
  bool passed = false;
  bool operator==(const PlannedTimer&) const = default;
};
// timers.dedupe_key: "<duty_key>/<opened_at, seconds since the epoch>/<suffix>" (the opening
// instant makes a reopened duty's timers new ones).
std::string timer_dedupe_key(const NewDuty& duty, std::string_view suffix);
// The same key appended to `out` (a writer's reused buffer: no string built per timer).
void append_timer_dedupe_key(std::string& out, const NewDuty& duty, std::string_view suffix);
// timers.step: the step name of a step duty, else the duty's kind.
const std::string& timer_step(const NewDuty& duty);

// The timers of a duty with deadline `d`. `always_due`: a due timer even when no role is
// notified at due time; `task_at`: an evaluation's task notice at that instant.
// A duty opened with several rungs already due (a review sharing a window that has passed, a
// task opened after its deadline) sends one overdue message, the highest due rung's: the rungs
// below it are `passed`; later rungs keep their instants. A month's duty never passes a rung
// (its due timer opens the next month). docs/rules.md "A late start sends one overdue notice".
std::vector<PlannedTimer> duty_timers(const NewDuty& duty, const Deadline& d, bool always_due,
                                      std::optional<TimePoint> task_at = std::nullopt);

// Open a duty (unless its key exists and is not cancelled) and schedule its timers.
struct OpenDuty {
  NewDuty duty;
  std::vector<PlannedTimer> timers;
  bool close_at_once = false;  // a month already complete: done at opened_at, timers cancelled
};
// Close an open duty (done, or cancelled) and cancel its pending timers.
struct CloseDuty {
  DutyRecord duty;
  bool done = true;
};
using DutyAction = std::variant<CloseDuty, OpenDuty>;

struct DutyPlan {
  std::vector<DutyAction> actions;           // applied in order
  std::optional<std::string> officer;        // written on the open visits/monitoring duties
  std::vector<CalendarError> calendar_gaps;  // told to the county admins; nothing refused
  std::optional<CalendarError> refusal;      // refuse the change (nothing of the plan applies)
};

// The plan for one accepted case change. `data` is the case after it, `history_seq` the seq of
// its history entry, `duties` every duty of the case as stored (any state), `facts` of `data`.
DutyPlan plan_case_change(const Outcome& outcome, const CaseData& data, std::int64_t history_seq,
                          const CaseFacts& facts, const std::vector<DutyRecord>& duties,
                          const ProgramRules& rules, const WorkingDayCalendar& calendar);

// The visits or monitoring duty (`kind`) of `month`, opened at `opened` (and the following
// months' while complete). A calendar gap goes to calendar_gaps.
DutyPlan plan_month_duty(const CaseFacts& facts, const CaseData& data, std::string_view kind,
                         std::chrono::year_month month, TimePoint opened,
                         const std::vector<DutyRecord>& duties, const ProgramRules& rules,
                         const WorkingDayCalendar& calendar);

// The Q4 evaluation task of a monitoring object for `year`, opened at max(opens, now).
OpenDuty plan_evaluation_duty(const CaseFacts& facts, int year, const EvaluationWindow& window,
                              TimePoint now, const EvaluationRules& rules);

// -- recurring work (ensure_recurring_timers)

// The years (this and next) whose evaluation opens within `horizon` of now and is not over.
struct EvaluationYear {
  int year = 0;
  EvaluationWindow window;
};
struct EvaluationSeeding {
  std::vector<EvaluationYear> years;
  std::vector<CalendarError> gaps;
};
EvaluationSeeding evaluation_years(const EvaluationRules& rules, const WorkingDayCalendar& calendar,
                                   TimePoint now, std::chrono::days horizon);
// The key of the county-wide timer that opens the evaluation of `year` (OpenEvaluation).
std::string evaluation_open_key(int year);

// A campaign's milestone duties for every township, once the campaign opens within `horizon`
// and until its last milestone is over; nothing (and the gap) when a year is missing.
struct CampaignSeeding {
  std::vector<OpenDuty> duties;
  std::vector<CalendarError> gaps;
};
CampaignSeeding plan_campaign_duties(const Campaign& campaign,
                                     const std::vector<std::string>& townships,
                                     const WorkingDayCalendar& calendar, TimePoint now,
                                     std::chrono::days horizon);

}  // namespace fangfan
