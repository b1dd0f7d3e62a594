#include "workflows/timer_notice.h"

#include <algorithm>

#include "workflows/alert_loop.h"
#include "workflows/date.h"
#include "workflows/household.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

// "2025-04" -> "2025年4月", how a month reads in a message; anything else as it is.
std::string month_words(const std::string& subject) {
  const auto first = parse_date(subject + "-01");
  if (!first) return subject;
  const std::chrono::year_month_day ymd{*first};
  return std::to_string(int(ymd.year())) + "年" + std::to_string(unsigned(ymd.month())) + "月";
}

// The ladder configured for `duty`'s kind, or nullptr when it is not found.
const std::vector<EscalationRung>* configured_ladder(const DutyRecord& duty,
                                                     const ProgramRules& rules) {
  if (duty.kind == kDutyStep) {
    auto it = rules.deadlines.find(duty.subject);
    return it == rules.deadlines.end() ? nullptr : &it->second.escalation;
  }
  if (duty.kind == kDutyVisits) return &rules.visits.escalation;
  if (duty.kind == kDutyMonitoring) return &rules.monitoring.escalation;
  if (duty.kind == kDutyEvaluation) return &rules.evaluation.deadline.escalation;
  if (duty.kind == kDutyAlert) return &rules.feeds.alerts.deadline.escalation;
  if (duty.kind == kDutyAssignment) return &rules.assignment.deadline.escalation;
  if (duty.kind == kDutyAlertStep) {
    auto s = parse_alert_step_subject(duty.subject);
    const StepDeadline* d = s ? alert_stage_deadline(s->stage, rules.feeds.loop) : nullptr;
    return d == nullptr ? nullptr : &d->escalation;
  }
  const std::string name = duty.subject.substr(0, duty.subject.find('/'));
  if (duty.kind == kDutyFeed) {
    const FeedSource* f = rules.feeds.find(name);
    return f == nullptr ? nullptr : &f->escalation;
  }
  if (duty.kind == kDutyFeedback) {
    const DepartmentList* l = rules.lists.find(name);
    return l == nullptr ? nullptr : &l->feedback.escalation;
  }
  // A yearly campaign's runs share the configured ladder (runs differ only in their dates).
  for (const Campaign& c : rules.campaigns) {
    const std::optional<Campaign> run = find_campaign({c}, name);
    if (!run) continue;
    for (const CampaignMilestone& m : c.milestones) {
      if (duty.subject == run->name + "/" + m.name) return &m.escalation;
    }
  }
  return nullptr;
}

// The level people read for an overdue notice at stored rung `rung`: 第1级督办 is the ladder's
// first rung whatever its after_working_days. Rung numbers themselves cannot change (timer
// dedupe keys and message keys of running deployments carry them), so new timers carry the
// level (DutyNotice::level); for timers stored before, it is derived from the configured
// ladder: with a rung at due time rung n is level n+1, without one it is level n.
int display_level(const DutyNotice& notice, int rung, const DutyRecord& duty,
                  const ProgramRules& rules) {
  if (notice.level > 0) return notice.level;
  if (rung <= 0) return 1;
  const std::vector<EscalationRung>* ladder = configured_ladder(duty, rules);
  if (ladder == nullptr) return rung;
  // Feeds, alerts and feedback without a configured ladder tell the owner at due time.
  const bool default_at_due = duty.kind == kDutyFeed || duty.kind == kDutyAlert ||
                              duty.kind == kDutyFeedback || duty.kind == kDutyAssignment ||
                              duty.kind == kDutyAlertStep;
  const bool at_due = (ladder->empty() && default_at_due) ||
                      std::any_of(ladder->begin(), ladder->end(), [](const EscalationRung& r) {
                        return r.after_working_days == 0;
                      });
  return at_due ? rung + 1 : rung;
}

// What an assignment duty still waits for, as people read it.
std::string assignment_missing(const CaseData& data) {
  const bool officer = data.officer.empty();
  const bool plan = std::none_of(data.measures.begin(), data.measures.end(), [](const Measure& x) {
    return x.status != MeasureStatus::kStopped;
  });
  if (officer && plan) return "安排帮扶责任人、制定帮扶计划";
  return officer ? "安排帮扶责任人" : "制定帮扶计划";
}

// Type and params of the message about a duty of each kind.
void describe(const DutyRecord& duty, bool overdue, const DutyTimerFacts& in,
              const ProgramRules& rules, DutyMessage& m) {
  const CaseFacts& f = in.facts;
  if (in.data != nullptr) {
    m.scope = std::to_string(*duty.case_id);
    m.params = {{"case_id", m.scope},
                {"household", f.household},
                {"village", f.village_name},
                {"township", f.township_name}};
  }
  if (duty.kind == kDutyStep) {
    m.message_type = overdue ? "step_overdue" : "step_reminder";
    m.params.push_back({"step", duty.subject});
    m.params.push_back({"step_label", std::string(step_label(duty.subject))});
  } else if (duty.kind == kDutyVisits || duty.kind == kDutyMonitoring) {
    const bool visits = duty.kind == kDutyVisits;
    m.message_type =
        std::string(visits ? "visit" : "monitoring") + (overdue ? "_overdue" : "_reminder");
    auto month = parse_date(duty.subject + "-01");
    const int recorded = month ? (visits ? visits_in_month(*in.data, month_of(*month))
                                         : monitoring_in_month(*in.data, month_of(*month)))
                               : 0;
    m.params.push_back({"month", month_words(duty.subject)});
    m.params.push_back({"recorded", std::to_string(recorded)});
    m.params.push_back(
        {"required", std::to_string(visits ? rules.visits.per_month : rules.monitoring.per_month)});
    // Staff names are not household data: the officer's own name, unmasked, to the officer and
    // superiors (the household's name and every ID or phone number stay masked).
    m.params.push_back({"officer", f.officer});
  } else if (duty.kind == kDutyAssignment) {  // the task at once, then reminder and ladder
    m.message_type = overdue ? "assignment_overdue" : "assignment_reminder";
    m.params.push_back({"missing", assignment_missing(*in.data)});
    m.params.push_back({"officer", f.officer});
  } else if (duty.kind == kDutyAlertStep) {  // subject "<alert id>/<stage>[/<department>]"
    const std::optional<AlertStepSubject> s = parse_alert_step_subject(duty.subject);
    m.message_type = overdue ? "alert_step_overdue" : "alert_step_reminder";
    const AlertStage stage = s ? s->stage : AlertStage::kNone;
    m.department = s ? s->department : std::string();
    m.params.push_back({"alert_id", s ? std::to_string(s->alert_id) : duty.subject});
    m.params.push_back({"step_label", std::string(alert_stage_label(stage))});
    m.params.push_back(
        {"township_name", in.duty_township_name.empty() ? f.township_name : in.duty_township_name});
  } else if (duty.kind == kDutyEvaluation) {
    m.message_type = overdue ? "evaluation_overdue" : "evaluation_task";
    m.params.push_back({"year", duty.subject});
  } else if (duty.kind == kDutyFeed) {  // subject "<feed>/<period>"
    m.message_type = "feed_missing";
    const std::size_t slash = duty.subject.rfind('/');
    const std::string feed = duty.subject.substr(0, slash);
    const std::string period = slash == std::string::npos ? "" : duty.subject.substr(slash + 1);
    const FeedSource* source = rules.feeds.find(feed);
    m.department = source != nullptr ? source->department : std::string();
    m.scope = m.department.empty() ? feed : m.department;
    m.params = {{"feed", feed},
                {"department", m.department},
                {"department_name", in.department_name.empty() ? m.department : in.department_name},
                {"period", period}};
  } else if (duty.kind == kDutyFeedback) {  // subject "<list>/<period>"
    m.message_type = overdue ? "feedback_overdue" : "feedback_reminder";
    const std::size_t slash = duty.subject.rfind('/');
    const std::string list_name = duty.subject.substr(0, slash);
    const std::string period = slash == std::string::npos ? "" : duty.subject.substr(slash + 1);
    const DepartmentList* list = rules.lists.find(list_name);
    m.department = list != nullptr ? list->department : std::string();
    m.scope = m.department.empty() ? list_name : m.department;
    std::string name = in.department_name;
    if (name.empty() && list != nullptr) name = list->department_name;
    m.params = {{"list", list_name},
                {"department", m.department},
                {"department_name", name.empty() ? m.department : name},
                {"period", period}};
  } else if (duty.kind == kDutyAlert) {  // subject: the alert id
    m.message_type = overdue ? "alert_overdue" : "alert_reminder";
    m.scope = duty.township_code;
    m.params = {{"alert_id", duty.subject},
                {"township", duty.township_code},
                {"township_name", in.duty_township_name}};
  } else {  // campaign: subject "campaign/milestone"
    m.message_type = overdue ? "campaign_overdue" : "campaign_reminder";
    const std::size_t slash = duty.subject.find('/');
    const std::string campaign = duty.subject.substr(0, slash);
    const std::string milestone = slash == std::string::npos ? "" : duty.subject.substr(slash + 1);
    std::string label;
    // What people read is the campaign's name (campaign_label), not its code.
    std::string campaign_label = campaign;
    if (const std::optional<Campaign> c = find_campaign(rules.campaigns, campaign)) {
      if (!c->label.empty()) campaign_label = c->label;
      for (const CampaignMilestone& ms : c->milestones) {
        if (ms.name == milestone) label = ms.label;
      }
    }
    m.scope = duty.township_code;
    m.params = {{"campaign", campaign},
                {"milestone", milestone},
                {"milestone_label", label},
                {"township", duty.township_code},
                {"township_name", in.duty_township_name},
                {"campaign_label", campaign_label}};
  }
}

}  // namespace

std::string duty_message_key(const DutyMessage& m, std::string_view person) {
  return m.message_type + ":" + m.scope + ":" + m.subject + ":" + m.rung + ":" +
         std::string(person);
}

std::string duty_subject_tag(const DutyRecord& duty) {
  std::size_t at = duty.duty_key.find('/');
  if (duty.case_id && at != std::string::npos) at = duty.duty_key.find('/', at + 1);
  return at == std::string::npos ? duty.duty_key : duty.duty_key.substr(at + 1);
}

TimerDecision decide_duty_timer(const DutyNotice& notice, int rung, const DutyTimerFacts& in,
                                const ProgramRules& rules, const WorkingDayCalendar& calendar,
                                TimePoint now) {
  TimerDecision out;
  const DutyRecord* duty = in.duty;
  if (duty == nullptr) {
    out.skipped = "应办事项不存在 (no such duty)";
    return out;
  }
  const bool monthly = duty->kind == kDutyVisits || duty->kind == kDutyMonitoring;
  // Follow-up first: a month's due time opens the next month, whatever the duty's state (a
  // done month already opened it; opening ignores an existing key).
  if (monthly && notice.notice == DutyNoticeKind::kOverdue && rung == 0 && in.data != nullptr &&
      duty->state != DutyState::kCancelled) {
    if (auto month = parse_date(duty->subject + "-01")) {
      out.follow_up =
          plan_month_duty(in.facts, *in.data, duty->kind, month_of(*month) + std::chrono::months{1},
                          now, in.case_duties, rules, calendar);
    }
  }
  if (duty->case_id && in.data == nullptr) {
    out.skipped = "案件不存在 (the duty's case is missing)";
    return out;
  }
  if (duty->state != DutyState::kOpen) {
    out.skipped = "应办事项已" + std::string(duty->state == DutyState::kDone ? "完成" : "取消") +
                  " (duty no longer open)";
    return out;
  }
  if (notice.notice == DutyNoticeKind::kReminder && now >= duty->due_at) {
    out.skipped = "已逾期，改发逾期提醒 (reminder skipped: the duty is already overdue)";
    return out;
  }
  if (notice.roles.empty()) {
    out.skipped = "此时不通知任何人 (no one is notified at this point)";
    return out;
  }
  const bool overdue = notice.notice == DutyNoticeKind::kOverdue;
  DutyMessage m;
  describe(*duty, overdue, in, rules, m);
  if (duty->kind == kDutyAssignment && notice.notice == DutyNoticeKind::kTask) {
    m.message_type = "assignment_task";
  }
  if (duty->kind == kDutyAlertStep && notice.notice == DutyNoticeKind::kTask) {
    m.message_type = "alert_step_task";
  }
  m.params.push_back({"due_date", notice.due_date});
  if (overdue) {
    // Counted from the last day (deadlines.h's days_overdue), as the API's lists count it.
    auto last = parse_date(notice.due_date);
    m.params.push_back({"days_overdue", std::to_string(last ? days_overdue(*last, now) : 0)});
    m.params.push_back({"rung", std::to_string(display_level(notice, rung, *duty, rules))});
  }
  m.roles = notice.roles;
  m.township = duty->township_code;
  m.village = duty->village_code;
  m.officer = in.data != nullptr ? in.data->officer : std::string();
  m.case_id = duty->case_id;
  m.subject = duty->kind == kDutyCampaign ? duty->subject : duty_subject_tag(*duty);
  // An alert's step: "<alert id>/<stage>[/<round>]", so that two alerts of one case, or two
  // rounds of a stage, are told apart by their message keys.
  if (duty->kind == kDutyAlertStep) m.subject = duty->duty_key.substr(duty->duty_key.find('/') + 1);
  m.rung = notice.notice == DutyNoticeKind::kTask ? "task" : std::to_string(rung);
  out.message = std::move(m);
  return out;
}

}  // namespace fangfan
