#include "workflows/message_types.h"

#include "workflows/duties.h"

namespace fangfan {
namespace {

// The roles of a ladder's rungs, one entry per rung (a rung names one role).
void ladder(std::vector<MessageAudience>& out, const std::vector<EscalationRung>& rungs,
            const char* type, AudiencePlace place) {
  for (const EscalationRung& r : rungs) {
    if (!r.to_role.empty()) out.push_back({type, {r.to_role}, place});
  }
}

}  // namespace

std::vector<MessageAudience> message_audiences(const ProgramRules& rules, Date today) {
  using enum AudiencePlace;
  std::vector<MessageAudience> out;
  for (const auto& [step, deadline] : rules.deadlines) {
    if (deadline.remind_before_working_days > 0) {
      out.push_back({"step_reminder", {step_owner_role(step)}, kVillage});
    }
    ladder(out, deadline.escalation, "step_overdue", kVillage);
  }
  // A month's visits and monitoring: a reminder on reminder_day, then the ladder.
  out.push_back({"visit_reminder", {"assistance_officer"}, kVillage});
  ladder(out, rules.visits.escalation, "visit_overdue", kVillage);
  out.push_back({"monitoring_reminder", {"assistance_officer"}, kVillage});
  ladder(out, rules.monitoring.escalation, "monitoring_overdue", kVillage);
  if (rules.evaluation.enabled) {
    out.push_back({"evaluation_task", {rules.evaluation.owner_role}, kVillage});
    ladder(out, rules.evaluation.deadline.escalation, "evaluation_overdue", kVillage);
  }
  for (const Campaign& c : rules.campaigns) {
    if (c.milestones.empty()) continue;
    const CampaignMilestone& last = c.milestones.back();
    const std::chrono::year_month_day due{std::chrono::year{last.year},
                                          std::chrono::month{unsigned(last.month)},
                                          std::chrono::day{unsigned(last.day)}};
    if (!c.yearly && due.ok() && Date{due} < today) continue;  // over: never started
    for (const CampaignMilestone& m : c.milestones) {
      if (m.remind_before_working_days > 0) {
        out.push_back({"campaign_reminder", {c.owner_role}, kTownship});
      }
      ladder(out, m.escalation, "campaign_overdue", kTownship);
    }
  }
  // Department feeds: a missing period climbs the feed's ladder (the department clerk at due
  // time when none is configured); alerts are verified by the township (plan_alert_duty).
  bool alerts = false;
  for (const FeedSource& f : rules.feeds.sources) {
    alerts = alerts || !f.rules.empty();
    if (f.escalation.empty())
      out.push_back({"feed_missing", {"department_clerk"}, kCounty, f.department});
    for (const EscalationRung& r : f.escalation) {
      if (!r.to_role.empty()) out.push_back({"feed_missing", {r.to_role}, kCounty, f.department});
    }
  }
  // Department lists: the zip password to the department clerks by their own channels, and the
  // answer (落实情况) owed by them, with its reminder and ladder (the department clerk at due time
  // when none is configured). The list itself goes to folders, groups and endpoints, or to the
  // clerks' WeChat Work by name, never through person routing.
  for (const DepartmentList& l : rules.lists.lists) {
    if (l.delivery.encrypt) {
      out.push_back({"list_password", {"department_clerk"}, kCounty, l.department});
    }
    if (l.feedback.remind_before_working_days > 0) {
      out.push_back({"feedback_reminder", {"department_clerk"}, kCounty, l.department});
    }
    if (l.feedback.escalation.empty()) {
      out.push_back({"feedback_overdue", {"department_clerk"}, kCounty, l.department});
    }
    for (const EscalationRung& r : l.feedback.escalation) {
      if (!r.to_role.empty()) {
        out.push_back({"feedback_overdue", {r.to_role}, kCounty, l.department});
      }
    }
  }
  if (alerts) {
    const AlertRules& a = rules.feeds.alerts;
    out.push_back({"alert_new", {a.owner_role}, kTownship});
    out.push_back({"alert_new", {"county_office"}, kCounty});  // an alert no village places
    if (a.deadline.remind_before_working_days > 0) {
      out.push_back({"alert_reminder", {a.owner_role}, kTownship});
    }
    if (a.deadline.escalation.empty()) out.push_back({"alert_overdue", {a.owner_role}, kTownship});
    ladder(out, a.deadline.escalation, "alert_overdue", kTownship);
  }
  // Registration's officer and plan (duty_plan.h): told at once, then its reminder and ladder
  // (the owner at due time when none is configured).
  if (rules.assignment.enabled) {
    const AssignmentRules& a = rules.assignment;
    out.push_back({"assignment_task", a.notify_roles, kVillage});
    if (a.deadline.remind_before_working_days > 0) {
      out.push_back({"assignment_reminder", {a.owner_role}, kVillage});
    }
    if (a.deadline.escalation.empty()) {
      out.push_back({"assignment_overdue", {a.owner_role}, kVillage});
    }
    ladder(out, a.deadline.escalation, "assignment_overdue", kVillage);
  }
  // The alert loop of a monitored case (workflows/alert_loop.h): the township learns of a new
  // alert (a major event: the county too, at once); each step's owner is told when it opens,
  // then the step's reminder and ladder (the owner at due time when none is configured).
  if (rules.feeds.loop.enabled) {
    const AlertLoopRules& l = rules.feeds.loop;
    out.push_back({"alert_case_new", {"township_clerk"}, kVillage});
    out.push_back({"major_event", {"township_clerk"}, kVillage});
    out.push_back({"major_event", {"county_office"}, kCounty});
    const std::pair<const StepDeadline*, const char*> steps[] = {
        {&l.township_review, "township_clerk"},
        {&l.county_review, "county_office"},
        {&l.department, "department_clerk"},
        {&l.closure, "county_office"}};
    for (const auto& [d, owner] : steps) {
      const AudiencePlace place = std::string_view(owner) == "township_clerk" ? kVillage : kCounty;
      out.push_back({"alert_step_task", {owner}, place});
      if (d->remind_before_working_days > 0) {
        out.push_back({"alert_step_reminder", {owner}, place});
      }
      if (d->escalation.empty()) out.push_back({"alert_step_overdue", {owner}, place});
      ladder(out, d->escalation, "alert_step_overdue", place);
    }
  }
  out.push_back({"written_notice", {"township_clerk"}, kVillage});
  // Department evidence on a case (case_actions.cpp): its staff, and the county office for a
  // cross-check hit during county review.
  bool feeds = false, cross_checks = false;
  for (const FeedSource& f : rules.feeds.sources) {
    feeds = feeds || !f.rules.empty();
    for (const FeedRule& fr : f.rules) cross_checks = cross_checks || !fr.exclusion.empty();
  }
  if (feeds) {
    out.push_back({"department_evidence", {"assistance_officer", "township_clerk"}, kVillage});
  }
  if (cross_checks) out.push_back({"department_evidence", {"county_office"}, kVillage});
  // 一兜了之 [001]: an able household whose measures are all 兜底 ones (exit_evidence.h).
  out.push_back({"support_only_household", {"township_clerk"}, kVillage});
  out.push_back({"calendar_missing", {"county_admin"}, kCounty});
  out.push_back({"dead_letter", {"county_admin"}, kCounty});
  return out;
}

}  // namespace fangfan
