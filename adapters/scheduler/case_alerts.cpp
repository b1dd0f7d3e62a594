#include "adapters/scheduler/case_alerts.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/scheduler/duty_writer.h"
#include "adapters/storage/duty_store.h"
#include "workflows/date.h"
#include "workflows/household.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

using namespace scheduler_detail;

std::string detail_json(const std::vector<std::pair<std::string, std::string>>& detail) {
  boost::json::object o;
  for (const auto& [k, v] : detail) o[k] = v;
  return boost::json::serialize(o);
}

AlertStepPlace place_of(const AlertRecord& a) {
  AlertStepPlace p;
  p.alert_id = a.id;
  p.case_id = a.case_id;
  p.township_code = a.alert.township_code;
  p.village_code = a.alert.village_code;
  p.department = a.assigned_department;
  return p;
}

// The last day a planned duty's notices name.
std::string last_day(const OpenDuty& o) {
  return o.timers.empty() ? format_date(china_date(o.duty.due_at))
                          : o.timers.front().notice.due_date;
}

}  // namespace

std::vector<std::int64_t> raise_case_alerts(soci::session& session, const Config& config,
                                            const WorkingDayCalendar& calendar,
                                            std::int64_t case_id, const Outcome& outcome,
                                            const CaseData& data) {
  std::vector<std::int64_t> raised;
  const std::vector<CaseAlert> alerts = case_alerts(outcome, data, config.rules.feeds.loop);
  if (alerts.empty()) return raised;
  const CaseFacts f = facts_of(case_id, data, config);
  const Member* head = data.household.head();
  for (const CaseAlert& c : alerts) {
    NewAlertRecord a;
    a.feed = kCaseAlertFeed;
    a.period = c.period;
    a.rule = c.rule;
    a.rule_label = c.rule_label;
    // The household's head identifies the alert (one per case, rule and period).
    a.id_number = head != nullptr ? head->id_number : std::to_string(case_id);
    a.name = head != nullptr ? head->name : std::string();
    a.village_code = f.village_code;
    a.township_code = f.township_code.empty() ? config.county.code : f.township_code;
    a.detail = detail_json(c.detail);
    a.created_at = outcome.entry.at;
    const InsertedAlert inserted =
        insert_case_alert(session, a, case_id, alert_stage_name(AlertStage::kTownshipReview));
    if (!inserted.inserted) continue;
    raised.push_back(inserted.id);
    append_alert_history(session, {0, inserted.id, outcome.entry.at, outcome.entry.actor, "raised",
                                   detail_json({{"case_id", std::to_string(case_id)},
                                                {"rule", c.rule},
                                                {"stage", "township_review"}})});
    AlertStepPlace place;
    place.alert_id = inserted.id;
    place.case_id = case_id;
    place.township_code = a.township_code;
    place.village_code = a.village_code;
    auto planned = plan_alert_step_duty(place, AlertStage::kTownshipReview, 1, 0, outcome.entry.at,
                                        config.rules.feeds.loop, calendar);
    if (!planned) {
      report_calendar_gap(session, config, planned.error(), outcome.entry.at);
      continue;
    }
    apply_open_duty(session, planned.value());
    // Told now, not at a reminder; a major event the county too ([003] 及时报告), as a type no
    // digest window holds (message_templates.h is_digestible).
    DutyMessage m;
    m.message_type = c.urgent ? "major_event" : "alert_case_new";
    m.roles = {"township_clerk"};
    if (c.urgent) m.roles.push_back("county_office");
    m.township = f.township_code;
    m.village = f.village_code;
    m.officer = data.officer;
    m.case_id = case_id;
    m.scope = std::to_string(case_id);
    m.subject = std::to_string(inserted.id);
    m.rung = "new";
    m.params = {{"alert_id", std::to_string(inserted.id)},
                {"case_id", std::to_string(case_id)},
                {"household", f.household},
                {"village", f.village_name},
                {"township", f.township_code},
                {"township_name", f.township_name},
                {"rule_label", c.rule_label},
                {"summary", c.summary},
                {"due_date", last_day(planned.value())}};
    bool nobody = false;
    queue_duty_message(session, config, m, outcome.entry.at, nobody);
  }
  return raised;
}

AppliedAlertStep apply_alert_step(soci::session& session, const Config& config,
                                  const WorkingDayCalendar& calendar, const AlertRecord& alert,
                                  const AlertStepRequest& request,
                                  const AlertStepDecision& decision, const std::string& actor,
                                  TimePoint now) {
  AppliedAlertStep out;
  const AlertStage from = parse_alert_stage(alert.stage);
  if (!move_alert_stage(session, alert.id, alert.stage, alert_stage_name(decision.next),
                        decision.department, request.reason, actor, now)) {
    return out;
  }
  out.moved = true;
  std::vector<std::pair<std::string, std::string>> details{
      {"action", request.action},
      {"from", std::string(alert.stage)},
      {"to", std::string(alert_stage_name(decision.next))}};
  if (!request.reason.empty()) details.push_back({"reason", request.reason});
  if (!decision.department.empty()) details.push_back({"department", decision.department});
  if (decision.days > 0) details.push_back({"days", std::to_string(decision.days)});
  out.history_id = append_alert_history(
      session, {0, alert.id, now, actor, "step_" + request.action, detail_json(details)});
  // The stage's duty (any round) is done.
  for (const DutyRecord& d :
       alert.case_id ? case_duties(session, *alert.case_id) : std::vector<DutyRecord>{}) {
    if (d.kind != kDutyAlertStep || d.state != DutyState::kOpen) continue;
    auto s = parse_alert_step_subject(d.subject);
    if (!s || s->alert_id != alert.id || s->stage != from) continue;
    close_duty(session, d.id, now);
    cancel_duty_timers(session, d);
  }
  if (alert_stage_deadline(decision.next, config.rules.feeds.loop) == nullptr) return out;
  // A department stage returned to is a new round of that stage (a new duty key).
  int round = 1;
  if (alert.case_id) {
    for (const DutyRecord& d : case_duties(session, *alert.case_id)) {
      auto s = parse_alert_step_subject(d.subject);
      if (d.kind == kDutyAlertStep && s && s->alert_id == alert.id && s->stage == decision.next) {
        ++round;
      }
    }
  }
  AlertStepPlace place = place_of(alert);
  place.department = decision.department;
  auto planned = plan_alert_step_duty(place, decision.next, round, decision.days, now,
                                      config.rules.feeds.loop, calendar);
  if (!planned) {
    report_calendar_gap(session, config, planned.error(), now);
    return out;
  }
  apply_open_duty(session, planned.value());
  return out;
}

}  // namespace fangfan
