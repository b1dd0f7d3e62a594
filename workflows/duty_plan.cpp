#include "workflows/duty_plan.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "workflows/date.h"
#include "workflows/household.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

using std::chrono::year_month;

int per_month(const ProgramRules& rules, std::string_view kind) {
  return kind == kDutyVisits ? rules.visits.per_month : rules.monitoring.per_month;
}

int recorded_in_month(const CaseData& data, std::string_view kind, year_month month) {
  return kind == kDutyVisits ? visits_in_month(data, month) : monitoring_in_month(data, month);
}

NewDuty case_duty(const CaseFacts& f, std::string key, std::string_view kind, std::string subject,
                  std::string owner, TimePoint due, TimePoint opened) {
  NewDuty d;
  d.duty_key = std::move(key);
  d.case_id = f.case_id;
  d.kind = std::string(kind);
  d.subject = std::move(subject);
  d.township_code = f.township_code;
  d.village_code = f.village_code;
  d.owner_role = std::move(owner);
  d.officer = f.officer;
  d.due_at = due;
  d.opened_at = opened;
  return d;
}

Date evaluation_open_day(int year, const EvaluationRules& ev) {
  return Date{std::chrono::year{year} / std::chrono::month(unsigned(ev.open_month)) /
              std::chrono::day(unsigned(ev.open_day))};
}

// Builds a plan while keeping track of the state of every duty key it has seen: the case's
// duties as loaded, then as the plan has changed them.
class Planner {
 public:
  Planner(const ProgramRules& rules, const WorkingDayCalendar& calendar,
          const std::vector<DutyRecord>& duties)
      : rules_(rules), calendar_(calendar), duties_(duties) {
    for (const DutyRecord& d : duties) state_[d.duty_key] = d.state;
  }

  DutyPlan plan;

  // Opens a duty unless its key exists (and is not cancelled). True when it is opened now.
  bool open(NewDuty duty, const Deadline& d, bool always_due,
            std::optional<TimePoint> task_at = std::nullopt) {
    auto known = state_.find(duty.duty_key);
    if (known != state_.end() && known->second != DutyState::kCancelled) return false;
    state_[duty.duty_key] = DutyState::kOpen;
    OpenDuty o;
    o.timers = duty_timers(duty, d, always_due, task_at);
    o.duty = std::move(duty);
    plan.actions.push_back(std::move(o));
    return true;
  }

  // Closes (done) or cancels every open loaded duty of `kind` (and `subject`).
  void close_all(std::string_view kind, const std::optional<std::string>& subject, bool done) {
    for (const DutyRecord& d : duties_) {
      if (d.kind != kind || (subject && d.subject != *subject)) continue;
      close(d, done);
    }
  }

  void close(const DutyRecord& d, bool done) {
    DutyState& state = state_[d.duty_key];
    if (state != DutyState::kOpen) return;
    state = done ? DutyState::kDone : DutyState::kCancelled;
    plan.actions.push_back(CloseDuty{d, done});
  }

  std::optional<CalendarError> open_step(const CaseFacts& f, const std::string& step,
                                         std::int64_t seq, TimePoint started,
                                         const std::optional<std::string>& ended) {
    auto rule = rules_.deadlines.find(step);
    if (rule == rules_.deadlines.end()) return std::nullopt;  // no deadline for this step
    CalendarResult<Deadline> d = step_deadline_of(step, rule->second, started, ended);
    if (!d) return d.error();
    open(case_duty(f, step_duty_key(f.case_id, step, seq), kDutyStep, step, step_owner_role(step),
                   d->due, started),
         *d, false);
    return std::nullopt;
  }

  // A publicity runs whole days; a step sharing the window of the step that just ended ends
  // with that step's window (counted from when its duty opened); others count their own period.
  CalendarResult<Deadline> step_deadline_of(const std::string& step, const StepDeadline& rule,
                                            TimePoint started,
                                            const std::optional<std::string>& ended) const {
    if (step == kStepVillagePublicity || step == kStepEliminationPublicity) {
      return publicity_deadline(started, rule, calendar_);
    }
    const auto window = rules_.deadlines.find(rule.shared_window);
    if (!rule.shared_window.empty() && ended == rule.shared_window &&
        window != rules_.deadlines.end()) {
      std::optional<TimePoint> opened;
      for (const DutyRecord& d : duties_) {
        if (d.kind == kDutyStep && d.subject == rule.shared_window &&
            (!opened || d.opened_at > *opened)) {
          opened = d.opened_at;
        }
      }
      if (opened) return shared_step_deadline(*opened, window->second, started, rule, calendar_);
    }
    return step_deadline(started, rule, calendar_);
  }

  // The month's duty (done at once when its records are there, and then the next month's).
  std::optional<CalendarError> open_month(const CaseFacts& f, const CaseData& data,
                                          std::string_view kind, year_month month,
                                          TimePoint opened) {
    const bool visits = kind == kDutyVisits;
    for (int guard = 0; guard < 3; ++guard, month += std::chrono::months{1}) {
      const int reminder_day = visits ? rules_.visits.reminder_day : rules_.monitoring.reminder_day;
      const auto& ladder = visits ? rules_.visits.escalation : rules_.monitoring.escalation;
      CalendarResult<Deadline> d = month_deadline(month, reminder_day, ladder, opened, calendar_);
      if (!d) return d.error();
      const std::string key = month_duty_key(kind, f.case_id, month);
      if (!open(case_duty(f, key, kind, format_month(month), "assistance_officer", d->due, opened),
                *d, true) ||
          recorded_in_month(data, kind, month) < per_month(rules_, kind)) {
        return std::nullopt;
      }
      std::get<OpenDuty>(plan.actions.back()).close_at_once = true;
      state_[key] = DutyState::kDone;
    }
    return std::nullopt;
  }

  // After a visit or monitoring record: the month is done once per_month are recorded.
  std::optional<CalendarError> month_recorded(const CaseFacts& f, const CaseData& data,
                                              std::string_view kind, year_month month,
                                              TimePoint now) {
    if (recorded_in_month(data, kind, month) < per_month(rules_, kind)) return std::nullopt;
    const std::string key = month_duty_key(kind, f.case_id, month);
    auto loaded = std::find_if(duties_.begin(), duties_.end(),
                               [&](const DutyRecord& d) { return d.duty_key == key; });
    if (loaded == duties_.end() || state_[key] != DutyState::kOpen) return std::nullopt;
    close(*loaded, true);
    return open_month(f, data, kind, month + std::chrono::months{1}, now);
  }

  // The officer-and-plan duty when assistance starts; done at once when the case already has
  // both (a rollback that keeps its officer and measures).
  std::optional<CalendarError> open_assignment(const CaseFacts& f, const CaseData& data,
                                               TimePoint started) {
    const AssignmentRules& a = rules_.assignment;
    if (!a.enabled) return std::nullopt;
    StepDeadline rule = a.deadline;
    // Overdue must reach someone: without a ladder, the owner at due time.
    if (rule.escalation.empty()) rule.escalation.push_back({0, a.owner_role});
    CalendarResult<Deadline> d = step_deadline(started, rule, calendar_);
    if (!d) return d.error();
    const std::string key = assignment_duty_key(f.case_id);
    if (!open(case_duty(f, key, kDutyAssignment, kDutyAssignment, a.owner_role, d->due, started),
              *d, false, started)) {
      return std::nullopt;
    }
    OpenDuty& o = std::get<OpenDuty>(plan.actions.back());
    // "第一时间": the township and the village are told when the duty opens, not at a reminder.
    for (PlannedTimer& t : o.timers) {
      if (t.suffix == "task") t.notice.roles = a.notify_roles;
    }
    if (assignment_complete(data)) {
      o.close_at_once = true;
      state_[key] = DutyState::kDone;
    }
    return std::nullopt;
  }

  // Any change that completes the officer and the plan closes the open assignment duty.
  void assignment_recorded(const CaseData& data) {
    if (assignment_complete(data)) close_all(kDutyAssignment, std::nullopt, true);
  }

  void open_evaluation(const CaseFacts& f, int year, const EvaluationWindow& w, TimePoint now) {
    OpenDuty o = plan_evaluation_duty(f, year, w, now, rules_.evaluation);
    open(std::move(o.duty), w.deadline, false, std::max(w.opens, now));
  }

 private:
  const ProgramRules& rules_;
  const WorkingDayCalendar& calendar_;
  const std::vector<DutyRecord>& duties_;
  std::map<std::string, DutyState, std::less<>> state_;
};

}  // namespace

CaseFacts case_facts(std::int64_t case_id, const CaseData& data) {
  CaseFacts f;
  f.case_id = case_id;
  const Member* head = data.household.head();
  f.household = mask_name(head != nullptr ? head->name : std::string());
  f.village_code = data.household.village_code;
  f.officer = data.officer;
  return f;
}

std::string timer_dedupe_key(const NewDuty& duty, std::string_view suffix) {
  std::string key;
  append_timer_dedupe_key(key, duty, suffix);
  return key;
}

void append_timer_dedupe_key(std::string& out, const NewDuty& duty, std::string_view suffix) {
  char seconds[24];
  const char* end = std::to_chars(seconds, seconds + sizeof seconds,
                                  static_cast<long long>(duty.opened_at.time_since_epoch().count()))
                        .ptr;
  out.reserve(out.size() + duty.duty_key.size() + 2 + std::size_t(end - seconds) + suffix.size());
  out += duty.duty_key;
  out += '/';
  out.append(seconds, std::size_t(end - seconds));
  out += '/';
  out += suffix;
}

const std::string& timer_step(const NewDuty& duty) {
  return duty.kind == kDutyStep ? duty.subject : duty.kind;
}

std::vector<PlannedTimer> duty_timers(const NewDuty& duty, const Deadline& d, bool always_due,
                                      std::optional<TimePoint> task_at) {
  std::vector<PlannedTimer> out;
  // Sized once: growing it moved every timer planned so far (a bulk opening plans millions).
  out.reserve(d.ladder.size() + 3);
  const std::string due_date = format_date(d.last_day);
  auto add = [&](std::string suffix, const char* kind, int rung, TimePoint at,
                 DutyNoticeKind notice, std::vector<std::string> roles, int level = 0) {
    out.push_back({kind, std::move(suffix), rung, at,
                   DutyNotice{0, notice, due_date, std::move(roles), level}});
  };
  if (task_at) add("task", kTimerReminder, 0, *task_at, DutyNoticeKind::kTask, {duty.owner_role});
  if (d.reminder) {
    add("reminder", kTimerReminder, 0, *d.reminder, DutyNoticeKind::kReminder, {duty.owner_role});
  }
  bool has_due = false;
  // The rung numbers stay as stored (0 = at due time) because timer and message keys carry
  // them; the level people read counts the ladder's rungs from 1.
  int level = 0;
  for (const LadderTimer& r : d.ladder) {
    has_due = has_due || r.rung == 0;
    add(r.rung == 0 ? "due" : "rung/" + std::to_string(r.rung),
        r.rung == 0 ? kTimerDue : kTimerEscalation, r.rung, r.at, DutyNoticeKind::kOverdue, r.roles,
        ++level);
  }
  if (!has_due && always_due) add("due", kTimerDue, 0, d.due, DutyNoticeKind::kOverdue, {});
  // Catching up at opening: one overdue notice, the highest rung already due; the ones below it
  // would all go out at once, saying less. Ladder timers come in rung order.
  if (duty.kind != kDutyVisits && duty.kind != kDutyMonitoring) {
    PlannedTimer* highest = nullptr;
    for (PlannedTimer& t : out) {
      if ((t.kind != kTimerDue && t.kind != kTimerEscalation) || t.due_at > duty.opened_at) {
        continue;
      }
      if (highest != nullptr) highest->passed = true;
      highest = &t;
    }
  }
  return out;
}

DutyPlan plan_case_change(const Outcome& o, const CaseData& data, std::int64_t history_seq,
                          const CaseFacts& f, const std::vector<DutyRecord>& duties,
                          const ProgramRules& rules, const WorkingDayCalendar& calendar) {
  Planner p(rules, calendar, duties);
  const TimePoint at = o.entry.at;
  auto refuse = [&](CalendarError e) {
    DutyPlan refused;
    refused.refusal = std::move(e);
    return refused;
  };

  if (o.step_ended) p.close_all(kDutyStep, *o.step_ended, true);
  if (o.step_started) {
    if (auto gap = p.open_step(f, *o.step_started, history_seq, at, o.step_ended)) {
      return refuse(*gap);
    }
  }
  if (o.assistance_ended) {
    for (const char* kind : {kDutyVisits, kDutyMonitoring, kDutyEvaluation, kDutyAssignment}) {
      p.close_all(kind, std::nullopt, false);
    }
  }
  if (o.assistance_started) {
    const year_month month = month_of(china_date(at));
    for (const char* kind : {kDutyVisits, kDutyMonitoring}) {
      if (auto gap = p.open_month(f, data, kind, month, at)) return refuse(*gap);
    }
    if (auto gap = p.open_assignment(f, data, at)) return refuse(*gap);
  } else {
    p.assignment_recorded(data);
  }
  // A case that becomes a monitoring object while the year's Q4 evaluation is open gets its
  // task at once (the seeding would add it at its next run). A calendar gap does not refuse the
  // change: the admins are told and the seeding adds the task later.
  const CaseStateInfo* after = find_case_state(o.entry.after);
  if (o.entry.before != o.entry.after && rules.evaluation.enabled && after != nullptr &&
      after->monitoring_object) {
    const int year = int(std::chrono::year_month_day{china_date(at)}.year());
    if (china_date(at) >= evaluation_open_day(year, rules.evaluation)) {
      CalendarResult<EvaluationWindow> w = evaluation_window(year, rules.evaluation, calendar);
      if (!w) {
        p.plan.calendar_gaps.push_back(w.error());
      } else if (w->opens <= at && at < w->deadline.due) {
        p.open_evaluation(f, year, *w, at);
      }
    }
  }
  if (o.entry.event == RecordVisit::kName && !data.visits.empty()) {
    if (auto gap = p.month_recorded(f, data, kDutyVisits, month_of(data.visits.back().date), at)) {
      return refuse(*gap);
    }
  }
  if (o.entry.event == RecordMonitoring::kName && !data.monitoring.empty()) {
    if (auto gap =
            p.month_recorded(f, data, kDutyMonitoring, data.monitoring.back().account.month, at)) {
      return refuse(*gap);
    }
  }
  // The Q4 evaluation's result closes that year's task (issue 14: exit with evidence).
  if (o.entry.event == RecordEvaluation::kName && !data.evaluations.empty()) {
    p.close_all(kDutyEvaluation, std::to_string(data.evaluations.back().year), true);
  }
  if (o.entry.event == AssignOfficer::kName) p.plan.officer = data.officer;
  return std::move(p.plan);
}

DutyPlan plan_month_duty(const CaseFacts& facts, const CaseData& data, std::string_view kind,
                         year_month month, TimePoint opened, const std::vector<DutyRecord>& duties,
                         const ProgramRules& rules, const WorkingDayCalendar& calendar) {
  Planner p(rules, calendar, duties);
  if (auto gap = p.open_month(facts, data, kind, month, opened)) {
    p.plan.calendar_gaps.push_back(*gap);
  }
  return std::move(p.plan);
}

OpenDuty plan_evaluation_duty(const CaseFacts& f, int year, const EvaluationWindow& w,
                              TimePoint now, const EvaluationRules& rules) {
  const TimePoint opened = std::max(w.opens, now);
  OpenDuty o;
  o.duty = case_duty(f, evaluation_duty_key(f.case_id, year), kDutyEvaluation, std::to_string(year),
                     rules.owner_role, w.deadline.due, opened);
  o.timers = duty_timers(o.duty, w.deadline, false, opened);
  return o;
}

EvaluationSeeding evaluation_years(const EvaluationRules& ev, const WorkingDayCalendar& calendar,
                                   TimePoint now, std::chrono::days horizon) {
  EvaluationSeeding out;
  const Date today = china_date(now);
  const int this_year = int(std::chrono::year_month_day{today}.year());
  for (int year = this_year; ev.enabled && year <= this_year + 1; ++year) {
    if (evaluation_open_day(year, ev) > today + horizon) continue;
    CalendarResult<EvaluationWindow> w = evaluation_window(year, ev, calendar);
    if (!w) {
      out.gaps.push_back(w.error());
      continue;
    }
    if (w->deadline.due <= now) continue;  // that year's evaluation is over
    out.years.push_back({year, *w});
  }
  return out;
}

std::string evaluation_open_key(int year) { return "evaluation/open/" + std::to_string(year); }

CampaignSeeding plan_campaign_duties(const Campaign& c, const std::vector<std::string>& townships,
                                     const WorkingDayCalendar& calendar, TimePoint now,
                                     std::chrono::days horizon) {
  CampaignSeeding out;
  CalendarResult<TimePoint> opens = campaign_opens(c, calendar);
  if (!opens) {
    out.gaps.push_back(opens.error());
    return out;
  }
  if (*opens > now + horizon) return out;
  std::vector<std::pair<const CampaignMilestone*, Deadline>> deadlines;
  TimePoint last{};
  for (const CampaignMilestone& m : c.milestones) {
    CalendarResult<Deadline> d = milestone_deadline(m, *opens, calendar);
    if (!d) {
      out.gaps.push_back(d.error());
      return out;
    }
    last = std::max(last, d->ladder.empty() ? d->due : d->ladder.back().at);
    deadlines.emplace_back(&m, *d);
  }
  if (last < now) return out;
  for (const auto& [m, d] : deadlines) {
    for (const std::string& township : townships) {
      OpenDuty o;
      o.duty.duty_key = campaign_duty_key(c.name, m->name, township);
      o.duty.kind = kDutyCampaign;
      o.duty.subject = c.name + "/" + m->name;
      o.duty.township_code = township;
      o.duty.owner_role = c.owner_role;
      o.duty.due_at = d.due;
      o.duty.opened_at = *opens;
      o.timers = duty_timers(o.duty, d, false);
      out.duties.push_back(std::move(o));
    }
  }
  return out;
}

}  // namespace fangfan
