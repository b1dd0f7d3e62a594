#include "workflows/alert_loop.h"

#include <algorithm>

#include "workflows/date.h"
#include "workflows/household.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

constexpr std::pair<std::string_view, std::string_view> kMajorEventKinds[] = {
    {"death", "病故"},
    {"serious_illness", "大病"},
    {"accident", "重大意外伤害"},
    {"disaster", "灾害"},
};

constexpr std::pair<AlertStage, std::pair<std::string_view, std::string_view>> kStages[] = {
    {AlertStage::kTownshipReview, {"township_review", "镇（街道）初审"}},
    {AlertStage::kCountyReview, {"county_review", "县级复审"}},
    {AlertStage::kDepartment, {"department", "行业部门补短帮扶"}},
    {AlertStage::kClosure, {"closure", "县级核实销号"}},
    {AlertStage::kClosed, {"closed", "已销号"}},
    {AlertStage::kDismissed, {"dismissed", "经审核不予预警"}},
};

std::string detail_of(const Details& details, std::string_view key) {
  for (const auto& [k, v] : details) {
    if (k == key) return v;
  }
  return {};
}

std::string stage_owner(AlertStage stage) {
  switch (stage) {
    case AlertStage::kTownshipReview:
      return "township_clerk";
    case AlertStage::kDepartment:
      return "department_clerk";
    default:
      return "county_office";
  }
}

AlertStepDecision refuse(int status, std::string field, std::string message) {
  AlertStepDecision d;
  d.status = status;
  d.field = std::move(field);
  d.message = std::move(message);
  return d;
}

}  // namespace

std::optional<std::string_view> major_event_kind_label(std::string_view kind) {
  for (const auto& [code, label] : kMajorEventKinds) {
    if (code == kind) return label;
  }
  return std::nullopt;
}

std::vector<CaseAlert> case_alerts(const Outcome& o, const CaseData& data,
                                   const AlertLoopRules& rules) {
  std::vector<CaseAlert> out;
  if (!rules.enabled) return out;
  const Member* head = data.household.head();
  const std::string household = mask_name(head != nullptr ? head->name : std::string());
  if (o.entry.event == RecordMonitoring::kName && !data.monitoring.empty()) {
    const MonitoringRecord& r = data.monitoring.back();
    const std::string month = format_month(r.account.month);
    const std::string words = std::to_string(int(r.account.month.year())) + "年" +
                              std::to_string(unsigned(r.account.month.month())) + "月";
    if (!r.basic_needs_secure || !r.drinking_water_safe) {
      std::string gap = !r.basic_needs_secure && !r.drinking_water_safe
                            ? "“两不愁三保障”和饮水安全出现缺项"
                        : !r.basic_needs_secure ? "“两不愁三保障”出现缺项"
                                                : "饮水安全出现缺项";
      out.push_back({"basic_needs_unmet",
                     "两不愁三保障或饮水安全缺项",
                     month,
                     household + "户" + words + "动态监测：" + gap + "。",
                     false,
                     {{"month", month},
                      {"basic_needs_secure", r.basic_needs_secure ? "true" : "false"},
                      {"drinking_water_safe", r.drinking_water_safe ? "true" : "false"}}});
    }
    if (r.risk == RiskTrend::kIncreased) {
      out.push_back({"risk_increased",
                     "返贫致贫风险增加",
                     month,
                     household + "户" + words + "动态监测：返贫致贫风险增加。",
                     false,
                     {{"month", month}, {"risk", "increased"}}});
    }
  }
  if (o.entry.event == RecordMajorEvent::kName) {
    const std::string kind = detail_of(o.entry.details, "kind");
    const std::string date = detail_of(o.entry.details, "date");
    const std::string label(major_event_kind_label(kind).value_or(kind));
    const std::string member = detail_of(o.entry.details, "member");
    std::string summary = household + "户" + date + "发生重大变故：" +
                          (member.empty() ? std::string() : member) + label;
    const std::string description = detail_of(o.entry.details, "description");
    if (!description.empty()) summary += "（" + description + "）";
    out.push_back({"major_event",
                   "重大变故（" + label + "）",
                   date,
                   summary + "。",
                   true,
                   {{"date", date}, {"kind", kind}, {"member", member}}});
  }
  return out;
}

std::string_view alert_stage_name(AlertStage stage) {
  for (const auto& [s, names] : kStages) {
    if (s == stage) return names.first;
  }
  return "";
}

AlertStage parse_alert_stage(std::string_view name) {
  for (const auto& [s, names] : kStages) {
    if (names.first == name) return s;
  }
  return AlertStage::kNone;
}

std::string_view alert_stage_label(AlertStage stage) {
  for (const auto& [s, names] : kStages) {
    if (s == stage) return names.second;
  }
  return "";
}

const StepDeadline* alert_stage_deadline(AlertStage stage, const AlertLoopRules& rules) {
  switch (stage) {
    case AlertStage::kTownshipReview:
      return &rules.township_review;
    case AlertStage::kCountyReview:
      return &rules.county_review;
    case AlertStage::kDepartment:
      return &rules.department;
    case AlertStage::kClosure:
      return &rules.closure;
    default:
      return nullptr;
  }
}

CalendarResult<OpenDuty> plan_alert_step_duty(const AlertStepPlace& place, AlertStage stage,
                                              int round, int days, TimePoint at,
                                              const AlertLoopRules& rules,
                                              const WorkingDayCalendar& calendar) {
  const StepDeadline* configured = alert_stage_deadline(stage, rules);
  StepDeadline rule = configured != nullptr ? *configured : StepDeadline{};
  if (stage == AlertStage::kDepartment && days > 0) {
    rule.period = days;
    rule.unit = DayUnit::kWorkingDays;
  }
  const std::string owner = stage_owner(stage);
  // Overdue must reach someone: without a ladder, the owner at due time.
  if (rule.escalation.empty()) rule.escalation.push_back({0, owner});
  CalendarResult<Deadline> d = step_deadline(at, rule, calendar);
  if (!d) return d.error();
  const std::string id = std::to_string(place.alert_id);
  const std::string name(alert_stage_name(stage));
  OpenDuty o;
  o.duty.duty_key = std::string(kDutyAlert) + "/" + id + "/" + name +
                    (round > 1 ? "/" + std::to_string(round) : std::string());
  o.duty.case_id = place.case_id;
  o.duty.kind = kDutyAlertStep;
  o.duty.subject =
      id + "/" + name + (stage == AlertStage::kDepartment ? "/" + place.department : std::string());
  o.duty.township_code = place.township_code;
  o.duty.village_code = place.village_code;
  o.duty.owner_role = owner;
  o.duty.due_at = d->due;
  o.duty.opened_at = at;
  // The first review's owner learns of the alert by its own notice (alert_case_new or
  // major_event); every later step's owner by the step's task notice.
  std::optional<TimePoint> task;
  if (stage != AlertStage::kTownshipReview) task = at;
  o.timers = duty_timers(o.duty, *d, false, task);
  return o;
}

std::optional<AlertStepSubject> parse_alert_step_subject(std::string_view subject) {
  const std::size_t slash = subject.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  AlertStepSubject s;
  const std::string id(subject.substr(0, slash));
  if (id.empty() || !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  s.alert_id = std::stoll(id);
  std::string_view rest = subject.substr(slash + 1);
  const std::size_t next = rest.find('/');
  s.stage = parse_alert_stage(rest.substr(0, next));
  if (next != std::string_view::npos) s.department = std::string(rest.substr(next + 1));
  if (s.stage == AlertStage::kNone) return std::nullopt;
  return s;
}

AlertStepDecision decide_alert_step(AlertStage stage, std::string_view assigned,
                                    const AlertStepRequest& req, const AlertActor& actor,
                                    const std::vector<std::string>& departments) {
  const bool admin = actor.role == "county_admin";
  auto may = [&](std::initializer_list<std::string_view> roles) {
    return admin || std::find(roles.begin(), roles.end(), actor.role) != roles.end();
  };
  auto wrong_role = [&] {
    return refuse(403, "",
                  "“" + std::string(alert_stage_label(stage)) + "”不由" + actor.role +
                      "办理 (this step of the alert is not for this role)");
  };
  auto needs_reason = [&]() -> std::optional<AlertStepDecision> {
    if (!req.reason.empty()) return std::nullopt;
    return refuse(400, "reason", "须写明理由或办理情况 (reason is required)");
  };
  AlertStepDecision d;
  d.department = std::string(assigned);
  switch (stage) {
    case AlertStage::kTownshipReview:
      if (!may({"township_clerk"})) return wrong_role();
      if (req.action == "confirm") {
        d.next = AlertStage::kCountyReview;
        return d;
      }
      if (req.action == "dismiss") {
        if (auto r = needs_reason()) return *r;
        d.next = AlertStage::kDismissed;
        return d;
      }
      break;
    case AlertStage::kCountyReview:
      if (!may({"county_office"})) return wrong_role();
      if (req.action == "assign") {
        if (std::find(departments.begin(), departments.end(), req.department) ==
            departments.end()) {
          return refuse(400, "department",
                        "须指定本县配置的行业部门 (department must be a configured "
                        "department code)");
        }
        if (req.days < 0 || req.days > 60) {
          return refuse(400, "days", "办理时限应为0至60个工作日 (days must be 0..60)");
        }
        d.next = AlertStage::kDepartment;
        d.department = req.department;
        d.days = req.days;
        return d;
      }
      if (req.action == "dismiss") {
        if (auto r = needs_reason()) return *r;
        d.next = AlertStage::kDismissed;
        return d;
      }
      break;
    case AlertStage::kDepartment:
      if (!may({"county_office"}) &&
          !(actor.role == "department_clerk" && actor.department == assigned)) {
        return wrong_role();
      }
      if (req.action == "assisted") {
        if (auto r = needs_reason()) return *r;
        d.next = AlertStage::kClosure;
        return d;
      }
      break;
    case AlertStage::kClosure:
      if (!may({"county_office"})) return wrong_role();
      if (req.action == "close") {
        d.next = AlertStage::kClosed;
        return d;
      }
      if (req.action == "return") {
        if (auto r = needs_reason()) return *r;
        d.next = AlertStage::kDepartment;
        return d;
      }
      break;
    default:
      return refuse(409, "",
                    "该预警不在办理中（" + std::string(alert_stage_label(stage)) +
                        "） (the alert is not in its loop)");
  }
  return refuse(409, "action",
                "“" + std::string(alert_stage_label(stage)) + "”阶段不能办理“" + req.action +
                    "” (this action is not taken at this stage)");
}

}  // namespace fangfan
