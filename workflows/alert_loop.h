// The loop of an alert about a monitored case (issue 14 item 6), the pure decisions. [004]: "对
// “两不愁三保障”出现缺项的，在大数据平台上完成了预警标注、镇（街道）初审、市脱办复审并反馈至行业
// 部门、行业部门限时完成补短帮扶、市脱办核实销号预警"; [003] wants a major event (重大变故)
// reported at once. adapters/scheduler (case_alerts.h) raises the alerts a case change marks and
// applies each step; daemon/api (alert_routes.cpp) records the steps people take.
//
// What raises an alert (case_alerts), with [rules.alert_loop] configured:
//   record_monitoring whose record has 两不愁三保障 or drinking water not secure ->
//   basic_needs_unmet record_monitoring whose risk is "increased"                               ->
//   risk_increased record_major_event                                                         ->
//   major_event
// (one alert per case, rule and period: the month, or the major event's date).
//
// The stages (alerts.stage) and who moves each (decide_alert_step):
//   township_review  township_clerk of the alert's township: confirm -> county_review,
//                    dismiss (reason) -> dismissed                              (镇（街道）初审)
//   county_review    county_office: assign (department, days) -> department,
//                    dismiss (reason) -> dismissed                          (市脱办复审并反馈)
//   department       department_clerk of the assigned department (or county_office):
//                    assisted (reason: what was done) -> closure       (行业部门限时补短帮扶)
//   closure          county_office: close -> closed; return (reason) -> department
//                                                                         (市脱办核实销号)
// county_admin may take any step. Each open stage is a duty "alert/<id>/<stage>[/<n>]" (kind
// alert_step) with its reminder and ladder from AlertLoopRules, told to its owner when it opens.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "workflows/calendar.h"
#include "workflows/case_events.h"
#include "workflows/deadlines.h"
#include "workflows/duty_plan.h"
#include "workflows/feed_rules.h"

namespace fangfan {

// alerts.feed of an alert a case change raised (no department's feed).
inline constexpr const char* kCaseAlertFeed = "monitoring";

// The label of a major event's kind ("death" -> "病故"), or nullopt when the kind is unknown.
std::optional<std::string_view> major_event_kind_label(std::string_view kind);

// -- raising

struct CaseAlert {
  std::string rule;        // "basic_needs_unmet", "risk_increased", "major_event"
  std::string rule_label;  // what people read, e.g. "重大变故（病故）"
  std::string period;      // "YYYY-MM" (a month's monitoring) or "YYYY-MM-DD" (a major event)
  std::string summary;     // a sentence; names masked, never an ID number
  bool urgent = false;     // a major event: the township and the county are told at once
  std::vector<std::pair<std::string, std::string>> detail;  // for the alert's detail JSON
  bool operator==(const CaseAlert&) const = default;
};
// The alerts an accepted change marks; none without rules.enabled. `data` is the case after it,
// `household` its masked head's name.
std::vector<CaseAlert> case_alerts(const Outcome& outcome, const CaseData& data,
                                   const AlertLoopRules& rules);

// -- the loop

enum class AlertStage {
  kNone,
  kTownshipReview,
  kCountyReview,
  kDepartment,
  kClosure,
  kClosed,
  kDismissed
};
std::string_view alert_stage_name(AlertStage stage);   // "township_review", ...; "" for kNone
AlertStage parse_alert_stage(std::string_view name);   // kNone when unknown or ""
std::string_view alert_stage_label(AlertStage stage);  // "镇（街道）初审", ...

// The duty of `stage` for alert `alert_id` ("alert/<id>/<stage>", or ".../<round>" for a
// department stage returned to), owed by the stage's owner at the case's place, due from `at`
// by the stage's deadline (`days` working days overrides the department's period), with its
// reminder and ladder (the owner at due time when none is configured) and a task notice to the
// owner at `at`. department: the assigned department's code (its clerks owe that stage).
struct AlertStepPlace {
  std::int64_t alert_id = 0;
  std::optional<std::int64_t> case_id;
  std::string township_code, village_code;
  std::string department;
};
CalendarResult<OpenDuty> plan_alert_step_duty(const AlertStepPlace& place, AlertStage stage,
                                              int round, int days, TimePoint at,
                                              const AlertLoopRules& rules,
                                              const WorkingDayCalendar& calendar);
// What an alert_step duty's subject holds: "<alert id>/<stage>[/<department>]".
struct AlertStepSubject {
  std::int64_t alert_id = 0;
  AlertStage stage = AlertStage::kNone;
  std::string department;
};
std::optional<AlertStepSubject> parse_alert_step_subject(std::string_view subject);
// The ladder configured for a stage (nullptr for a stage without a duty).
const StepDeadline* alert_stage_deadline(AlertStage stage, const AlertLoopRules& rules);

// A step someone asks to record: action "confirm", "dismiss", "assign", "assisted", "close" or
// "return"; reason (dismiss, assisted, return: required); department and days (assign; days 0 =
// the configured period).
struct AlertStepRequest {
  std::string action;
  std::string reason;
  std::string department;
  int days = 0;
};
// Who asks: a role name and, for a department clerk, their department's code.
struct AlertActor {
  std::string role;
  std::string department;
};
// The step decided: the next stage and the department it is with, or a refusal.
struct AlertStepDecision {
  AlertStage next = AlertStage::kNone;
  std::string department;  // after assign: the assigned one; otherwise the alert's
  int days = 0;            // assign: the department's working days (0 = configured period)
  // A refusal: the HTTP status (403: this role may not take this step; 409: not in this
  // stage; 400: a field), the field and a sentence (Chinese, English in brackets).
  int status = 0;
  std::string field, message;
  bool refused() const { return status != 0; }
};
// `departments`: the configured department codes (an assignment must name one).
AlertStepDecision decide_alert_step(AlertStage stage, std::string_view assigned_department,
                                    const AlertStepRequest& request, const AlertActor& actor,
                                    const std::vector<std::string>& departments);

}  // namespace fangfan
