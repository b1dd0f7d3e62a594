// [rules.assignment] (the officer and plan owed at registration, workflows/program_rules.h's
// AssignmentRules) and [rules.alert_loop] (the loop of an alert about a monitored case,
// workflows/feed_rules.h's AlertLoopRules). Every key is optional; a table present turns its
// duty on with the defaults of its struct.
//   [rules.assignment]  period = 1  unit = "working_days"  remind_before_working_days = 0
//                       owner = "township_clerk"  notify = ["township_clerk", "village_officer"]
//                       [[rules.assignment.escalation]]  after_working_days = 0  to = "..."
//   [rules.alert_loop.<step>]  the same keys but owner and notify, for each of township_review,
//                       county_review, department, closure.
#include "adapters/config/config_reader.h"

namespace fangfan::config_detail {
namespace {

// period, unit, remind_before_working_days and the escalation ladder of one duty.
void read_deadline(Reader& r, StepDeadline& d) {
  if (auto p = r.integer_in("period", 1, 60, "days", false)) d.period = int(*p);
  if (auto u = r.string("unit", false)) {
    if (*u == "working_days") {
      d.unit = DayUnit::kWorkingDays;
    } else if (*u == "calendar_days") {
      d.unit = DayUnit::kCalendarDays;
    } else {
      r.error("unit", "must be \"working_days\" or \"calendar_days\", got '" + *u + "'");
    }
  }
  if (auto b = r.integer_in("remind_before_working_days", 0, 60, "working days", false)) {
    d.remind_before_working_days = int(*b);
  }
  d.escalation = read_escalation_ladder(r);
}

}  // namespace

void read_assignment(Reader& rules, Config& c, Errors& errors) {
  const toml::table* t = rules.table("assignment", false);
  if (!t) return;
  Reader r(*t, rules.key_path("assignment"), errors);
  AssignmentRules& a = c.rules.assignment;
  a.enabled = true;
  read_deadline(r, a.deadline);
  if (auto owner = r.string("owner", false)) {
    if (!parse_role(*owner)) {
      r.error("owner", "'" + *owner + "' is not a role");
    } else {
      a.owner_role = *owner;
    }
  }
  if (r.table().contains("notify")) {
    std::vector<std::string> roles = r.strings("notify", false);
    for (const std::string& role : roles) {
      if (!parse_role(role)) r.error("notify", "'" + role + "' is not a role");
    }
    if (roles.empty()) r.error("notify", "must name at least one role");
    a.notify_roles = std::move(roles);
  }
}

void read_alert_loop(Reader& rules, Config& c, Errors& errors) {
  const toml::table* t = rules.table("alert_loop", false);
  if (!t) return;
  Reader r(*t, rules.key_path("alert_loop"), errors);
  AlertLoopRules& loop = c.rules.feeds.loop;
  loop.enabled = true;
  const std::pair<const char*, StepDeadline*> steps[] = {{"township_review", &loop.township_review},
                                                         {"county_review", &loop.county_review},
                                                         {"department", &loop.department},
                                                         {"closure", &loop.closure}};
  for (const auto& [name, deadline] : steps) {
    if (const toml::table* st = r.table(name, false)) {
      Reader s(*st, r.key_path(name), errors);
      read_deadline(s, *deadline);
    }
  }
}

}  // namespace fangfan::config_detail
