// What --check-config warns about without refusing the file (config.h: config_warnings).
// A ladder's role nobody holds for a place is legal (a village may not have its officer yet),
// but its notices then go elsewhere or nowhere without anyone having chosen so: say where.
#include <map>
#include <set>

#include "adapters/config/config.h"

namespace fangfan {
namespace {

// One configured ladder and the level of place its notices concern.
struct LadderUse {
  std::string what;  // the config key, e.g. "rules.visits"
  const std::vector<EscalationRung>* ladder = nullptr;
  bool per_village = true;  // case duties: per village; campaigns and alerts: per township
};

std::vector<LadderUse> ladder_uses(const ProgramRules& rules) {
  std::vector<LadderUse> out;
  for (const auto& [step, d] : rules.deadlines) {
    out.push_back({"rules.deadlines." + step, &d.escalation, true});
  }
  out.push_back({"rules.visits", &rules.visits.escalation, true});
  out.push_back({"rules.monitoring", &rules.monitoring.escalation, true});
  if (rules.evaluation.enabled) {
    out.push_back({"rules.evaluation", &rules.evaluation.deadline.escalation, true});
  }
  for (const Campaign& c : rules.campaigns) {
    for (const CampaignMilestone& m : c.milestones) {
      out.push_back({"rules.campaigns." + c.name + "." + m.name, &m.escalation, false});
    }
  }
  out.push_back({"rules.alerts", &rules.feeds.alerts.deadline.escalation, false});
  if (rules.assignment.enabled) {
    out.push_back({"rules.assignment", &rules.assignment.deadline.escalation, true});
  }
  if (rules.feeds.loop.enabled) {
    const AlertLoopRules& l = rules.feeds.loop;
    out.push_back({"rules.alert_loop.township_review", &l.township_review.escalation, false});
    out.push_back({"rules.alert_loop.county_review", &l.county_review.escalation, false});
    out.push_back({"rules.alert_loop.department", &l.department.escalation, false});
    out.push_back({"rules.alert_loop.closure", &l.closure.escalation, false});
  }
  return out;
}

// Whether someone of `role` covers the place. An assistance officer is the case's, by name:
// any officer of the place will do here.
bool held(const Config& config, const std::string& role, const std::string& township,
          const std::string& village) {
  if (role != "assistance_officer") {
    return !notice_recipients(config, {role}, township, village, "").empty();
  }
  for (const Person& p : config.people) {
    if (p.role != Role::kAssistanceOfficer) continue;
    for (const Person* r : notice_recipients(config, {role}, township, village, p.name)) {
      if (r->role == Role::kAssistanceOfficer) return true;
    }
  }
  return false;
}

std::string names_of(const std::vector<const Person*>& people) {
  std::string out;
  for (const Person* p : people) {
    if (!out.empty()) out += "、";
    out += p->name + "（" + role_name(p->role) + "）";
  }
  return out;
}

}  // namespace

std::vector<std::string> config_warnings(const Config& config) {
  // (role, place) -> the ladders that name it and who receives their rung instead; one warning
  // per missing holder, however many ladders name the role.
  struct Gap {
    std::vector<std::string> ladders;
    std::vector<const Person*> instead;
  };
  std::map<std::pair<std::string, std::string>, Gap> gaps;
  for (const LadderUse& use : ladder_uses(config.rules)) {
    // The roles of one rung are told together: a missing one falls back only with the others.
    std::map<int, std::vector<std::string>> rungs;
    for (const EscalationRung& r : *use.ladder) rungs[r.after_working_days].push_back(r.to_role);
    auto check = [&](const std::string& township, const std::string& village) {
      for (const auto& [after, roles] : rungs) {
        for (const std::string& role : roles) {
          if (!parse_role(role) || held(config, role, township, village)) continue;
          Gap& g = gaps[{role, village.empty() ? township : village}];
          if (g.ladders.empty()) {
            g.instead = notice_recipients_or_fallback(config, roles, township, village, "");
          }
          if (g.ladders.empty() || g.ladders.back() != use.what) g.ladders.push_back(use.what);
        }
      }
    };
    if (use.per_village) {
      for (const Village& v : config.villages) check(v.township, v.code);
    } else {
      for (const Township& t : config.townships) check(t.code, "");
    }
  }
  std::vector<std::string> out;
  for (const auto& [key, g] : gaps) {
    const auto& [role, place] = key;
    std::string ladders;
    for (const std::string& l : g.ladders) ladders += (ladders.empty() ? "" : ", ") + l;
    const std::string where = place_name(config, place) + "（" + place + "）";
    const std::string instead = g.instead.empty() ? std::string("无人接收") : names_of(g.instead);
    out.push_back(where + "没有" + role + "，" + ladders + " 中发给" + role + "的督办改发给：" +
                  instead + " (nobody holds " + role + " for " + place + "; " + ladders +
                  " notify " + (g.instead.empty() ? std::string("nobody") : names_of(g.instead)) +
                  " instead)");
  }
  return out;
}

}  // namespace fangfan
