// What a fired duty timer sends, to whom, or why nothing (decide, then write): the pure half of
// fire_next_due_timer (adapters/scheduler/timer_firing.h). The adapter marks the timer fired,
// loads the duty, its case and the case's duties, calls decide_duty_timer, resolves the roles to
// configured people and queues one message per person, all in the firing's transaction.
//
// The rules, in order:
//   - A month's due timer (overdue, rung 0) opens the next month's duty whatever its own duty's
//     state (unless cancelled): months follow one another without a scan of the cases.
//   - No duty, its case missing, the duty no longer open: nothing is sent (relevance is checked
//     at firing time, not when the timer was planned).
//   - A reminder whose duty is already overdue is skipped: the overdue notice says more.
//   - A timer that notifies no role (a month's due timer without rung 0) sends nothing.
//   - Otherwise one message of type "<kind>_reminder|_overdue|_task" (step, visit, monitoring,
//     evaluation, campaign, alert) with the duty's facts; overdue ones carry days_overdue
//     (calendar days since the last day, due_date) and the rung param: the level people read,
//     1 for the ladder's first rung (the key keeps the stored rung). A month reads "2025年4月";
//     the officer's name is not masked (staff, not household data). A feed duty (a department's
//     period not arrived) sends "feed_missing" at each rung, addressed to the feed's department
//     (its department clerks) and the ladder's other roles. A list's feedback duty (a department's
//     answer, 落实情况) sends "feedback_reminder" before and "feedback_overdue" at each rung,
//     addressed the same way to the list's department. An assignment duty (an officer and a
//     plan owed at registration) sends "assignment_task" when it opens (to the township and the
//     village: ProgramRules::assignment.notify_roles), then "_reminder" and "_overdue", each
//     naming what is still missing. A step of an alert's loop (alert_step, workflows/alert_loop.h)
//     sends "alert_step_task" to its owner when it opens, then "_reminder" and "_overdue"; the
//     department stage's are addressed to the assigned department's clerks.
// Message keys: "<type>:<scope>:<subject>:<rung>:<name>@<scope of the person>" (contracts.md),
// the scope being the case id (the township of a campaign or an alert, the department of a
// feed or a list's feedback), the rung "task" for a task.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "workflows/duty_plan.h"

namespace fangfan {

// A message about a duty, before its recipients are resolved.
struct DutyMessage {
  std::string message_type;  // e.g. "step_overdue"
  // The people to tell: every holder of these roles covering the place; assistance_officer is
  // `officer` by name (notice_recipients_or_fallback in adapters/config/config.h).
  std::vector<std::string> roles;
  std::string township, village, officer;
  std::string department;  // a department code: its department clerks are reached (feeds)
  std::optional<std::int64_t> case_id;
  std::string scope, subject, rung;                         // the message key's parts (see above)
  std::vector<std::pair<std::string, std::string>> params;  // the message body, in order
  bool operator==(const DutyMessage&) const = default;
};
// The dedupe key of `message` to `person` ("<name>@<scope>").
std::string duty_message_key(const DutyMessage& message, std::string_view person);

// What the decision needs about the fired timer's duty, as loaded.
struct DutyTimerFacts {
  const DutyRecord* duty = nullptr;     // nullptr: no such duty
  const CaseData* data = nullptr;       // its case; nullptr when it has none or it is missing
  CaseFacts facts;                      // of `data` (place names filled in)
  std::string duty_township_name;       // place name of the duty's township (campaigns, alerts)
  std::string department_name;          // a feed duty: its department's name (config); a
                                        // feedback duty falls back on the list's
  std::vector<DutyRecord> case_duties;  // every duty of its case (the next month's duty)
};

struct TimerDecision {
  std::optional<DutyMessage> message;  // none: `skipped` says why
  std::string skipped;
  DutyPlan follow_up;  // the next month's duty (its calendar gaps are reported, not refused)
};

// REQUIRES: notice.duty_id names in.duty when in.duty is set.
TimerDecision decide_duty_timer(const DutyNotice& notice, int rung, const DutyTimerFacts& in,
                                const ProgramRules& rules, const WorkingDayCalendar& calendar,
                                TimePoint now);

// What a duty key says after "<kind>/<case>/" (step/seq, month, year); the subject of a
// campaign duty's messages is its subject instead.
std::string duty_subject_tag(const DutyRecord& duty);

}  // namespace fangfan
