// Duties (应办事项): one thing someone owes by a deadline — a procedure step of a
// case, a month's visits or monitoring of an assisted case, a case's Q4 risk
// evaluation, a township's campaign milestone. This header holds the pure
// vocabulary storage and the scheduler share: kinds, states, the duty as stored,
// stable keys, who owes a step, and counting a month's records in a case's data.
//
// Keys are stable text stored in duties.duty_key (unique) and as the prefix of
// the duty's timers' dedupe keys, so replaying a change never makes a second
// duty or timer:
//   step/<case>/<step>/<history seq that started it>   (re-entry: a new duty)
//   visits/<case>/<YYYY-MM>, monitoring/<case>/<YYYY-MM>
//   evaluation/<case>/<YYYY>
//   campaign/<campaign>/<milestone>/<township code>
//   feed/<feed>/<YYYY-MM>     a department's data for a period (workflows/feeds.h)
//   alert/<alert id>          verifying a department alert (workflows/feeds.h)
//   list/<list>/<YYYY-MM-DD>      producing and sending a department list (workflows/lists.h)
//   feedback/<list>/<YYYY-MM-DD>  a department's answer to that list (落实情况反馈)
//   assignment/<case>         an officer and a plan owed once assistance starts (安排帮扶责任人，
//                             制定帮扶计划; ProgramRules::assignment)
//   alert/<alert id>/<step>   a step of a monitoring alert's loop (workflows/alert_loop.h)
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "workflows/case_records.h"
#include "workflows/clock.h"

namespace fangfan {

// duties.kind, and timers.step for the non-step kinds.
inline constexpr const char* kDutyStep = "step";
inline constexpr const char* kDutyVisits = "visits";
inline constexpr const char* kDutyMonitoring = "monitoring";
inline constexpr const char* kDutyEvaluation = "evaluation";
inline constexpr const char* kDutyCampaign = "campaign";
inline constexpr const char* kDutyFeed = "feed";              // owed by the department clerk
inline constexpr const char* kDutyAlert = "alert";            // owed by the township clerk
inline constexpr const char* kDutyList = "list";              // owed by the county office
inline constexpr const char* kDutyFeedback = "feedback";      // owed by the department clerk
inline constexpr const char* kDutyAssignment = "assignment";  // owed by the township clerk
inline constexpr const char* kDutyAlertStep = "alert_step";   // a step of the alert loop

// timers.kind.
inline constexpr const char* kTimerReminder = "reminder";
inline constexpr const char* kTimerDue = "due";
inline constexpr const char* kTimerEscalation = "escalation";

enum class DutyState { kOpen, kDone, kCancelled };
std::string_view duty_state_name(DutyState state);  // "open", "done", "cancelled"

// A duty to open (table `duties`, adapters/storage/duty_store.h).
struct NewDuty {
  std::string duty_key;                 // unique, see above
  std::optional<std::int64_t> case_id;  // none for campaign milestones
  // "step" | "visits" | "monitoring" | "evaluation" | "campaign" | "feed" | "alert" | "list" |
  // "feedback"
  std::string kind;
  std::string subject;  // step name, "2025-03", "2025", "campaign/milestone"
  std::string township_code;
  std::string village_code;  // empty for township-wide duties
  std::string owner_role;    // role name from config, e.g. "township_clerk"
  std::string officer;       // the case's assistance officer when assigned
  TimePoint due_at{};
  TimePoint opened_at{};
  bool operator==(const NewDuty&) const = default;
};

// A duty as stored.
struct DutyRecord {
  std::int64_t id = 0;
  std::string duty_key;
  std::optional<std::int64_t> case_id;
  std::string kind;
  std::string subject;
  std::string township_code;
  std::string village_code;
  std::string owner_role;
  std::string officer;
  TimePoint due_at{};
  DutyState state = DutyState::kOpen;
  TimePoint opened_at{};
  std::optional<TimePoint> closed_at;
};

std::string step_duty_key(std::int64_t case_id, std::string_view step, std::int64_t seq);
std::string month_duty_key(std::string_view kind, std::int64_t case_id,
                           std::chrono::year_month month);
std::string evaluation_duty_key(std::int64_t case_id, int year);
std::string campaign_duty_key(std::string_view campaign, std::string_view milestone,
                              std::string_view township);

// A duty the county office owes at one instant (a department list or report due at `at`, key
// `<kind>/<name>/<period>`): opened and due at once, county-wide.
NewDuty county_office_duty(std::string_view kind, std::string_view name, std::string_view period,
                           std::string_view county_code, TimePoint at);

// The role that owes a procedure step (program-rules.md's table): township
// clerk for household verification and the township's elimination review,
// village officers for the democratic reviews and the publicities, county
// office for the county review. Unknown steps: the county office.
std::string step_owner_role(std::string_view step);

std::string assignment_duty_key(std::int64_t case_id);  // assignment/<case>
// An officer is assigned and a plan made: the officer's name is set and at least one measure
// (帮扶措施) is not stopped. What closes the assignment duty.
bool assignment_complete(const CaseData& data);

// How many visits dated in `month` the case has recorded.
int visits_in_month(const CaseData& data, std::chrono::year_month month);
// How many monitoring records for `month` (record.account.month) the case has.
int monitoring_in_month(const CaseData& data, std::chrono::year_month month);

}  // namespace fangfan
