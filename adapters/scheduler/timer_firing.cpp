#include "adapters/scheduler/timer_firing.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <set>
#include <utility>

#include "adapters/storage/case_json.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/outbox_store.h"
#include "workflows/case_events.h"
#include "workflows/date.h"
#include "workflows/deadlines.h"
#include "workflows/duties.h"
#include "workflows/household.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

namespace json = boost::json;
using std::chrono::year_month;

// Notices a timer stands for (payload "notice").
constexpr const char* kNoticeTask = "task";          // an evaluation task opens
constexpr const char* kNoticeReminder = "reminder";  // before due
constexpr const char* kNoticeOverdue = "overdue";    // due (rung 0) and escalation rungs
constexpr const char* kNoticeOpenEvaluation = "open_evaluation";  // county-wide, opens the year

// States whose households are monitoring objects (the Q4 evaluation covers them).
constexpr const char* kObjectStates =
    "'registered', 'elimination_review', 'township_elimination_review', "
    "'elimination_publicity'";
// States where an emergency case is assisted while its recognition runs (先帮扶、后认定).
constexpr const char* kRecognitionStates =
    "'discovered', 'household_verification', 'democratic_review', 'county_review', "
    "'village_publicity'";

bool is_object_state(std::string_view state) {
  return state == "registered" || state == "elimination_review" ||
         state == "township_elimination_review" || state == "elimination_publicity";
}

// What a message about a case's household says and who it goes to.
struct Facts {
  std::int64_t case_id = 0;
  std::string household;  // masked head of household
  std::string village_code, township_code;
  std::string officer;
};

Facts facts_of(std::int64_t case_id, const CaseData& data, const Config& config) {
  Facts f;
  f.case_id = case_id;
  const Member* head = data.household.head();
  f.household = mask_name(head != nullptr ? head->name : std::string());
  f.village_code = data.household.village_code;
  if (const Village* v = config.find_village(f.village_code)) f.township_code = v->township;
  f.officer = data.officer;
  return f;
}

std::optional<CaseData> case_data(soci::session& session, std::int64_t case_id) {
  std::optional<CaseRecord> record = load_case(session, case_id);
  if (!record) return std::nullopt;
  auto data = case_data_from_json(record->data);
  if (auto* error = std::get_if<std::string>(&data)) {
    throw StorageError(StorageError::Kind::kQuery,
                       "案件 " + std::to_string(case_id) + " 的存储数据无法读取：" + *error);
  }
  return std::get<CaseData>(std::move(data));
}

// -- scheduling ---------------------------------------------------------------------------------

struct Scheduler {
  soci::session& session;
  const Config& config;
  const WorkingDayCalendar& calendar;
  int scheduled = 0;

  void timer(const DutyRecord& duty, const std::string& suffix, const char* kind, int rung,
             TimePoint due_at, json::object payload, TimePoint created) {
    payload["duty_id"] = duty.id;
    NewTimer t;
    t.case_id = duty.case_id;
    t.kind = kind;
    t.step = duty.kind == kDutyStep ? duty.subject : duty.kind;
    t.rung = rung;
    // The opening instant makes a reopened duty's timers new ones.
    t.dedupe_key = duty.duty_key + "/" + std::to_string(to_epoch(duty.opened_at)) + "/" + suffix;
    t.due_at = due_at;
    t.payload = json::serialize(payload);
    t.created_at = created;
    if (schedule_timer(session, t).inserted) ++scheduled;
  }

  // The reminder, due and rung timers of a duty. `always_due`: a due timer even when no role is
  // notified at due time (monthly duties: its firing opens the next month).
  void duty_timers(const DutyRecord& duty, const Deadline& d, bool always_due, TimePoint created,
                   std::optional<TimePoint> task_at = std::nullopt) {
    const std::string due_date = format_date(d.last_day);
    if (task_at) {
      timer(duty, "task", kTimerReminder, 0, *task_at,
            {{"notice", kNoticeTask},
             {"due_date", due_date},
             {"roles", json::array{json::value(duty.owner_role)}}},
            created);
    }
    if (d.reminder) {
      timer(duty, "reminder", kTimerReminder, 0, *d.reminder,
            {{"notice", kNoticeReminder},
             {"due_date", due_date},
             {"roles", json::array{json::value(duty.owner_role)}}},
            created);
    }
    bool has_due = false;
    for (const LadderTimer& r : d.ladder) {
      json::array roles;
      for (const auto& role : r.roles) roles.push_back(json::value(role));
      has_due = has_due || r.rung == 0;
      timer(duty, r.rung == 0 ? "due" : "rung/" + std::to_string(r.rung),
            r.rung == 0 ? kTimerDue : kTimerEscalation, r.rung, r.at,
            {{"notice", kNoticeOverdue}, {"due_date", due_date}, {"roles", std::move(roles)}},
            created);
    }
    if (!has_due && always_due) {
      timer(duty, "due", kTimerDue, 0, d.due,
            {{"notice", kNoticeOverdue}, {"due_date", due_date}, {"roles", json::array{}}},
            created);
    }
  }

  // Opens a duty and schedules its timers, unless its key exists (a cancelled monthly duty is
  // reopened). Returns the duty when it was opened now.
  std::optional<DutyRecord> open(const NewDuty& d, const Deadline& deadline, bool always_due,
                                 std::optional<TimePoint> task_at = std::nullopt) {
    std::optional<DutyRecord> existing = find_duty(session, d.duty_key);
    if (existing) {
      if (existing->state != DutyState::kCancelled) return std::nullopt;
      reopen_duty(session, existing->id, d.due_at, d.opened_at);
    } else {
      open_duty(session, d);
    }
    std::optional<DutyRecord> duty = find_duty(session, d.duty_key);
    duty_timers(*duty, deadline, always_due, d.opened_at, task_at);
    return duty;
  }

  NewDuty case_duty(const Facts& f, std::string key, const char* kind, std::string subject,
                    std::string owner, TimePoint due, TimePoint opened) const {
    NewDuty d;
    d.duty_key = std::move(key);
    d.case_id = f.case_id;
    d.kind = kind;
    d.subject = std::move(subject);
    d.township_code = f.township_code;
    d.village_code = f.village_code;
    d.owner_role = std::move(owner);
    d.officer = f.officer;
    d.due_at = due;
    d.opened_at = opened;
    return d;
  }

  // -- steps

  void open_step(const Facts& f, const std::string& step, std::int64_t seq, TimePoint started) {
    auto rule = config.rules.deadlines.find(step);
    if (rule == config.rules.deadlines.end()) return;  // no deadline configured for this step
    CalendarResult<Deadline> d = step_deadline(started, rule->second, calendar);
    if (!d) throw ScheduleError(d.error().missing_year, d.error().message);
    open(case_duty(f, step_duty_key(f.case_id, step, seq), kDutyStep, step, step_owner_role(step),
                   d->due, started),
         *d, false);
  }

  void close_all(std::int64_t case_id, const char* kind, std::optional<std::string> subject,
                 bool done, TimePoint now) {
    for (const DutyRecord& d :
         open_case_duties(session, case_id, kind,
                          subject ? std::optional<std::string_view>(*subject) : std::nullopt)) {
      if (done) {
        close_duty(session, d.id, now);
      } else {
        cancel_duty(session, d.id, now);
      }
      cancel_duty_timers(session, d);
    }
  }

  // -- months

  int per_month(const std::string& kind) const {
    return kind == kDutyVisits ? config.rules.visits.per_month : config.rules.monitoring.per_month;
  }
  int count(const std::string& kind, const CaseData& data, year_month month) const {
    return kind == kDutyVisits ? visits_in_month(data, month) : monitoring_in_month(data, month);
  }

  // Opens the month's visits or monitoring duty (done at once when the month's records are
  // already there, and then the next month's). Calendar gaps: ScheduleError.
  void open_month(const Facts& f, const CaseData& data, const std::string& kind, year_month month,
                  TimePoint opened) {
    for (int guard = 0; guard < 3; ++guard, month += std::chrono::months{1}) {
      const int reminder_day = kind == kDutyVisits ? config.rules.visits.reminder_day
                                                   : config.rules.monitoring.reminder_day;
      const auto& ladder =
          kind == kDutyVisits ? config.rules.visits.escalation : config.rules.monitoring.escalation;
      CalendarResult<Deadline> d = month_deadline(month, reminder_day, ladder, opened, calendar);
      if (!d) throw ScheduleError(d.error().missing_year, d.error().message);
      std::optional<DutyRecord> duty =
          open(case_duty(f, month_duty_key(kind, f.case_id, month), kind.c_str(),
                         format_month(month), "assistance_officer", d->due, opened),
               *d, true);
      if (!duty || count(kind, data, month) < per_month(kind)) return;
      close_duty(session, duty->id, opened);
      cancel_duty_timers(session, *duty);
    }
  }

  // After a visit or monitoring record: the month is done once per_month are recorded.
  void month_recorded(const Facts& f, const CaseData& data, const std::string& kind,
                      year_month month, TimePoint now) {
    if (count(kind, data, month) < per_month(kind)) return;
    std::optional<DutyRecord> duty = find_duty(session, month_duty_key(kind, f.case_id, month));
    if (!duty || duty->state != DutyState::kOpen) return;
    close_duty(session, duty->id, now);
    cancel_duty_timers(session, *duty);
    open_month(f, data, kind, month + std::chrono::months{1}, now);
  }

  // -- evaluation

  void open_evaluation(const Facts& f, int year, const EvaluationWindow& w, TimePoint now) {
    const TimePoint opened = std::max(w.opens, now);
    open(case_duty(f, evaluation_duty_key(f.case_id, year), kDutyEvaluation, std::to_string(year),
                   config.rules.evaluation.owner_role, w.deadline.due, opened),
         w.deadline, false, opened);
  }
};

// -- recipients and messages ------------------------------------------------------------------

std::string json_body(const std::vector<std::pair<std::string, std::string>>& params) {
  json::object o;
  for (const auto& [k, v] : params) o[k] = v;
  return json::serialize(o);
}

// Queues one message per person; returns the ids of the new rows.
std::vector<std::int64_t> send(soci::session& session, const std::vector<const Person*>& people,
                               const std::string& type, const std::string& scope,
                               const std::string& subject, const std::string& rung,
                               std::optional<std::int64_t> case_id,
                               const std::vector<std::pair<std::string, std::string>>& params,
                               TimePoint now) {
  std::vector<std::int64_t> ids;
  const std::string body = json_body(params);
  for (const Person* p : people) {
    NewOutboxMessage m;
    m.dedupe_key = type + ":" + scope + ":" + subject + ":" + rung + ":" + p->name + "@" + p->scope;
    m.case_id = case_id;
    m.channel = p->channels.empty() ? "file" : p->channels.front();
    m.recipient = address_for(*p, m.channel);
    m.message_type = type;
    m.body = body;
    m.created_at = now;
    m.next_attempt_at = now;
    m.person = p->name + "@" + p->scope;
    EnqueueResult r = enqueue_outbox(session, m);
    if (r.inserted) ids.push_back(r.id);
  }
  return ids;
}

// A calendar gap found while firing or seeding: the county admins hear about it once per year.
void calendar_missing(soci::session& session, const Config& config, const CalendarError& error,
                      TimePoint now) {
  std::vector<const Person*> admins = notice_recipients(config, {"county_admin"}, "", "", "");
  send(session, admins, "calendar_missing", config.county.code, std::to_string(error.missing_year),
       "0", std::nullopt, {{"year", std::to_string(error.missing_year)}, {"text", error.message}},
       now);
}

std::string json_string(const json::object& o, const char* key) {
  if (const json::value* v = o.if_contains(key); v && v->is_string()) {
    return std::string(v->as_string());
  }
  return "";
}

std::vector<std::string> json_strings(const json::object& o, const char* key) {
  std::vector<std::string> out;
  if (const json::value* v = o.if_contains(key); v && v->is_array()) {
    for (const json::value& e : v->as_array()) {
      if (e.is_string()) out.emplace_back(e.as_string());
    }
  }
  return out;
}

// The part of a duty key after "<kind>/<case>/": what the duty is about (step/seq, month, year).
std::string subject_tag(const DutyRecord& duty) {
  std::size_t at = duty.duty_key.find('/');
  if (duty.case_id && at != std::string::npos) at = duty.duty_key.find('/', at + 1);
  return at == std::string::npos ? duty.duty_key : duty.duty_key.substr(at + 1);
}

// Fires one duty timer (the timer is already marked fired in this transaction).
void fire_duty_timer(soci::session& session, const Config& config,
                     const WorkingDayCalendar& calendar, const TimerRecord& timer,
                     const json::object& payload, TimePoint now, FiredTimer& out) {
  const json::value* id = payload.if_contains("duty_id");
  std::optional<DutyRecord> duty;
  if (id != nullptr && id->is_int64()) duty = load_duty(session, id->as_int64());
  if (!duty) {
    out.skipped = "应办事项不存在 (no such duty)";
    return;
  }
  const std::string notice = json_string(payload, "notice");
  const bool monthly = duty->kind == kDutyVisits || duty->kind == kDutyMonitoring;
  std::optional<CaseData> data;
  if (duty->case_id) data = case_data(session, *duty->case_id);
  Scheduler scheduler{session, config, calendar};

  // Follow-up first: a month's due time opens the next month, whatever the duty's state (a
  // done month already opened it; open() ignores an existing key).
  if (monthly && notice == kNoticeOverdue && timer.rung == 0 && data &&
      duty->state != DutyState::kCancelled) {
    auto month = parse_date(duty->subject + "-01");
    if (month) {
      try {
        scheduler.open_month(facts_of(*duty->case_id, *data, config), *data, duty->kind,
                             month_of(*month) + std::chrono::months{1}, now);
      } catch (const ScheduleError& e) {
        calendar_missing(session, config, {e.missing_year(), e.what()}, now);
      }
      out.follow_up_timers = scheduler.scheduled;
    }
  }

  if (duty->case_id && !data) {
    out.skipped = "案件不存在 (the duty's case is missing)";
    return;
  }
  if (duty->state != DutyState::kOpen) {
    out.skipped = "应办事项已" + std::string(duty->state == DutyState::kDone ? "完成" : "取消") +
                  " (duty no longer open)";
    return;
  }
  if (notice == kNoticeReminder && now >= duty->due_at) {
    out.skipped = "已逾期，改发逾期提醒 (reminder skipped: the duty is already overdue)";
    return;
  }

  const bool overdue = notice == kNoticeOverdue;
  const std::string due_date = json_string(payload, "due_date");
  const std::vector<std::string> roles = json_strings(payload, "roles");
  std::vector<std::pair<std::string, std::string>> params;
  std::string type, scope;
  Facts f;
  if (data) {
    f = facts_of(*duty->case_id, *data, config);
    scope = std::to_string(*duty->case_id);
    params = {{"case_id", scope},
              {"household", f.household},
              {"village", place_name(config, f.village_code)},
              {"township", place_name(config, f.township_code)}};
  }
  if (duty->kind == kDutyStep) {
    type = overdue ? "step_overdue" : "step_reminder";
    params.push_back({"step", duty->subject});
    params.push_back({"step_label", std::string(step_label(duty->subject))});
  } else if (monthly) {
    const bool visits = duty->kind == kDutyVisits;
    type = std::string(visits ? "visit" : "monitoring") + (overdue ? "_overdue" : "_reminder");
    auto month = parse_date(duty->subject + "-01");
    const int recorded = month ? (visits ? visits_in_month(*data, month_of(*month))
                                         : monitoring_in_month(*data, month_of(*month)))
                               : 0;
    params.push_back({"month", duty->subject});
    params.push_back({"recorded", std::to_string(recorded)});
    params.push_back({"required", std::to_string(visits ? config.rules.visits.per_month
                                                        : config.rules.monitoring.per_month)});
    params.push_back({"officer", f.officer.empty() ? "" : mask_name(f.officer)});
  } else if (duty->kind == kDutyEvaluation) {
    type = overdue ? "evaluation_overdue" : "evaluation_task";
    params.push_back({"year", duty->subject});
  } else {  // campaign: subject "campaign/milestone"
    type = overdue ? "campaign_overdue" : "campaign_reminder";
    const std::size_t slash = duty->subject.find('/');
    const std::string campaign = duty->subject.substr(0, slash);
    const std::string milestone = slash == std::string::npos ? "" : duty->subject.substr(slash + 1);
    std::string label;
    for (const Campaign& c : config.rules.campaigns) {
      if (c.name != campaign) continue;
      for (const CampaignMilestone& m : c.milestones) {
        if (m.name == milestone) label = m.label;
      }
    }
    scope = duty->township_code;
    params = {{"campaign", campaign},
              {"milestone", milestone},
              {"milestone_label", label},
              {"township", duty->township_code},
              {"township_name", place_name(config, duty->township_code)}};
  }
  params.push_back({"due_date", due_date});
  if (overdue) {
    auto last = parse_date(due_date);
    params.push_back({"days_overdue", std::to_string(last ? days_overdue(*last, now) : 0)});
    params.push_back({"rung", std::to_string(timer.rung)});
  }
  // Nobody holding the role here (a village without a village officer) must not make the notice
  // vanish: the township head gets it, else the county admin.
  std::vector<const Person*> people =
      roles.empty()
          ? std::vector<const Person*>{}
          : notice_recipients_or_fallback(config, roles, duty->township_code, duty->village_code,
                                          data ? data->officer : std::string());
  if (people.empty()) {
    out.skipped = roles.empty() ? "此时不通知任何人 (no one is notified at this point)"
                                : "配置中没有对应的接收人 (no configured person holds the role)";
    return;
  }
  const std::string subject = duty->kind == kDutyCampaign ? duty->subject : subject_tag(*duty);
  const std::string rung = notice == kNoticeTask ? "task" : std::to_string(timer.rung);
  out.message_type = type;
  out.outbox_ids = send(session, people, type, scope, subject, rung, duty->case_id, params, now);
}

// The ids and data of the monitoring objects (Q4 evaluation) or assisted cases (visits).
// The ids of the monitoring objects (Q4 evaluation) or of the assisted cases (visits), oldest
// first; with `missing`, only those lacking a duty "<kind>/<case id><suffix>" for one of the
// given kinds (one indexed query instead of a lookup per case: the seeding runs often).
std::vector<std::int64_t> case_ids(soci::session& session, bool assisted,
                                   const std::vector<const char*>& missing_kinds = {},
                                   const std::string& suffix = "") {
  std::string sql =
      "SELECT c.id FROM cases c WHERE (c.state IN (" + std::string(kObjectStates) + ")";
  if (assisted) {
    sql += " OR (c.emergency = 1 AND c.state IN (" + std::string(kRecognitionStates) + "))";
  }
  sql += ")";
  for (std::size_t i = 0; i < missing_kinds.size(); ++i) {
    sql += std::string(i == 0 ? " AND (" : " OR ") +
           "NOT EXISTS (SELECT 1 FROM duties d WHERE d.duty_key = '" + missing_kinds[i] +
           "/' || CAST(c.id AS TEXT) || :suffix" + std::to_string(i) + ")";
  }
  if (!missing_kinds.empty()) sql += ")";
  sql += " ORDER BY c.id";
  return guarded("读取案件列表失败 (listing cases failed)", [&] {
    std::vector<std::int64_t> ids;
    long long id = 0;
    soci::details::prepare_temp_type p = (session.prepare << sql, soci::into(id));
    for (std::size_t i = 0; i < missing_kinds.size(); ++i) p, soci::use(suffix);
    soci::statement st(p);
    st.execute();
    while (st.fetch()) ids.push_back(id);
    return ids;
  });
}

int open_evaluation_year(soci::session& session, const Config& config,
                         const WorkingDayCalendar& calendar, int year, TimePoint now) {
  CalendarResult<EvaluationWindow> w = evaluation_window(year, config.rules.evaluation, calendar);
  if (!w) {
    calendar_missing(session, config, w.error(), now);
    return 0;
  }
  Scheduler scheduler{session, config, calendar};
  for (std::int64_t id : case_ids(session, false)) {
    std::optional<CaseData> data = case_data(session, id);
    if (!data) continue;
    scheduler.open_evaluation(facts_of(id, *data, config), year, *w, now);
  }
  return scheduler.scheduled;
}

}  // namespace

// -- dry run (H4): the firing and seeding bodies run in the caller's transaction, so that the
// daemon's dry run (daemon/scheduler.h simulate_span) can run them inside one it rolls back.
std::optional<FiredTimer> fire_next_due_timer_in(soci::session& session, const Config& config,
                                                 const WorkingDayCalendar& calendar,
                                                 TimePoint now) {
  for (;;) {
    std::vector<TimerRecord> due = due_timers(session, now, 1);
    if (due.empty()) return std::nullopt;
    FiredTimer out;
    out.timer = due.front();
    out.fired_at = now;
    // Conditional on the timer still being pending: a concurrent firer that got there first
    // makes this false, and the next timer is taken (nothing was written for this one).
    if (!mark_timer_fired(session, out.timer.id, now)) continue;
    json::object payload;
    try {
      json::value v = json::parse(out.timer.payload);
      if (v.is_object()) payload = std::move(v.as_object());
    } catch (const std::exception&) {
      out.skipped = "定时提醒的内容无法读取 (timer payload is not JSON)";
    }
    const std::string notice = json_string(payload, "notice");
    if (notice == kNoticeOpenEvaluation) {
      const json::value* year = payload.if_contains("year");
      if (year != nullptr && year->is_int64()) {
        out.follow_up_timers =
            open_evaluation_year(session, config, calendar, int(year->as_int64()), now);
      }
    } else if (out.skipped.empty()) {
      fire_duty_timer(session, config, calendar, out.timer, payload, now, out);
    }
    return out;
  }
}

std::optional<FiredTimer> fire_next_due_timer(soci::session& session, const Config& config,
                                              const WorkingDayCalendar& calendar, TimePoint now) {
  WriteTransaction tx(session);
  std::optional<FiredTimer> out = fire_next_due_timer_in(session, config, calendar, now);
  if (out) tx.commit();
  return out;
}

int ensure_recurring_timers(soci::session& session, const Config& config,
                            const WorkingDayCalendar& calendar, TimePoint now) {
  WriteTransaction tx(session);
  const int scheduled = ensure_recurring_timers_in(session, config, calendar, now);
  tx.commit();
  return scheduled;
}

int ensure_recurring_timers_in(soci::session& session, const Config& config,
                               const WorkingDayCalendar& calendar, TimePoint now) {
  Scheduler scheduler{session, config, calendar};
  const Date today = china_date(now);
  const int this_year = int(std::chrono::year_month_day{today}.year());

  // Q4 evaluation: the year's opening timer, and tasks for objects registered after it opened.
  const EvaluationRules& ev = config.rules.evaluation;
  for (int year = this_year; ev.enabled && year <= this_year + 1; ++year) {
    const Date open_day =
        Date{std::chrono::year{year} / std::chrono::month(unsigned(ev.open_month)) /
             std::chrono::day(unsigned(ev.open_day))};
    if (open_day > today + kRecurringHorizon) continue;
    CalendarResult<EvaluationWindow> w = evaluation_window(year, ev, calendar);
    if (!w) {
      calendar_missing(session, config, w.error(), now);
      continue;
    }
    if (w->deadline.due <= now) continue;  // that year's evaluation is over
    NewTimer t;
    t.kind = kTimerReminder;
    t.step = kDutyEvaluation;
    t.dedupe_key = "evaluation/open/" + std::to_string(year);
    t.due_at = w->opens;
    t.payload = json::serialize(json::object{{"notice", kNoticeOpenEvaluation}, {"year", year}});
    t.created_at = now;
    if (schedule_timer(session, t).inserted) ++scheduler.scheduled;
    if (w->opens <= now) {
      const std::string suffix = "/" + std::to_string(year);
      for (std::int64_t id : case_ids(session, false, {kDutyEvaluation}, suffix)) {
        std::optional<CaseData> data = case_data(session, id);
        if (data) scheduler.open_evaluation(facts_of(id, *data, config), year, *w, now);
      }
    }
  }

  // Campaigns: every township's milestones, once the campaign is within the horizon and until
  // its last milestone is over.
  for (const Campaign& c : config.rules.campaigns) {
    CalendarResult<TimePoint> opens = campaign_opens(c, calendar);
    if (!opens) {
      calendar_missing(session, config, opens.error(), now);
      continue;
    }
    if (*opens > now + kRecurringHorizon) continue;
    std::vector<std::pair<const CampaignMilestone*, Deadline>> deadlines;
    bool gap = false;
    TimePoint last{};
    for (const CampaignMilestone& m : c.milestones) {
      CalendarResult<Deadline> d = milestone_deadline(m, *opens, calendar);
      if (!d) {
        calendar_missing(session, config, d.error(), now);
        gap = true;
        break;
      }
      last = std::max(last, d->ladder.empty() ? d->due : d->ladder.back().at);
      deadlines.emplace_back(&m, *d);
    }
    if (gap || last < now) continue;
    for (const auto& [m, d] : deadlines) {
      for (const Township& t : config.townships) {
        NewDuty duty;
        duty.duty_key = campaign_duty_key(c.name, m->name, t.code);
        duty.kind = kDutyCampaign;
        duty.subject = c.name + "/" + m->name;
        duty.township_code = t.code;
        duty.owner_role = c.owner_role;
        duty.due_at = d.due;
        duty.opened_at = *opens;
        if (find_duty(session, duty.duty_key)) continue;
        scheduler.open(duty, d, false);
      }
    }
  }

  // Monthly visits and monitoring of assisted cases that have no duty for this month.
  const year_month month = month_of(today);
  const std::string month_suffix = "/" + format_month(month);
  for (std::int64_t id : case_ids(session, true, {kDutyVisits, kDutyMonitoring}, month_suffix)) {
    std::optional<CaseData> data;
    for (const char* kind : {kDutyVisits, kDutyMonitoring}) {
      if (find_duty(session, month_duty_key(kind, id, month))) continue;
      if (!data) data = case_data(session, id);
      if (!data) break;
      try {
        scheduler.open_month(facts_of(id, *data, config), *data, kind, month, now);
      } catch (const ScheduleError& e) {
        calendar_missing(session, config, {e.missing_year(), e.what()}, now);
      }
    }
  }
  return scheduler.scheduled;
}

bool complete_duty(soci::session& session, std::int64_t duty_id, TimePoint now) {
  WriteTransaction tx(session);
  std::optional<DutyRecord> duty = load_duty(session, duty_id);
  if (!duty || !close_duty(session, duty_id, now)) return false;
  cancel_duty_timers(session, *duty);
  tx.commit();
  return true;
}

CaseChangeHook make_timer_hook(std::shared_ptr<const Config> config,
                               std::shared_ptr<const WorkingDayCalendar> calendar) {
  return [config = std::move(config), calendar = std::move(calendar)](soci::session& session,
                                                                      const CaseChange& change) {
    Scheduler scheduler{session, *config, *calendar};
    const CaseData& data = change.snapshot.data;
    const Facts f = facts_of(change.case_id, data, *config);
    const Outcome& o = change.outcome;
    const TimePoint at = o.entry.at;

    if (o.step_ended) scheduler.close_all(change.case_id, kDutyStep, *o.step_ended, true, at);
    if (o.step_started) scheduler.open_step(f, *o.step_started, change.history_seq, at);
    if (o.assistance_ended) {
      for (const char* kind : {kDutyVisits, kDutyMonitoring, kDutyEvaluation}) {
        scheduler.close_all(change.case_id, kind, std::nullopt, false, at);
      }
    }
    if (o.assistance_started) {
      const year_month month = month_of(china_date(at));
      scheduler.open_month(f, data, kDutyVisits, month, at);
      scheduler.open_month(f, data, kDutyMonitoring, month, at);
    }
    // A case that becomes a monitoring object while the year's Q4 evaluation is open gets its
    // task at once (ensure_recurring_timers() would add it at its next run). A calendar gap here
    // does not refuse the change: the admins are told and the seeding adds the task later.
    if (o.entry.before != o.entry.after && config->rules.evaluation.enabled &&
        is_object_state(o.entry.after)) {
      const EvaluationRules& ev = config->rules.evaluation;
      const int year = int(std::chrono::year_month_day{china_date(at)}.year());
      const Date open_day =
          Date{std::chrono::year{year} / std::chrono::month(unsigned(ev.open_month)) /
               std::chrono::day(unsigned(ev.open_day))};
      if (china_date(at) >= open_day) {
        CalendarResult<EvaluationWindow> w = evaluation_window(year, ev, *calendar);
        if (!w) {
          calendar_missing(session, *config, w.error(), at);
        } else if (w->opens <= at && at < w->deadline.due) {
          scheduler.open_evaluation(f, year, *w, at);
        }
      }
    }
    if (o.entry.event == RecordVisit::kName && !data.visits.empty()) {
      scheduler.month_recorded(f, data, kDutyVisits, month_of(data.visits.back().date), at);
    }
    if (o.entry.event == RecordMonitoring::kName && !data.monitoring.empty()) {
      scheduler.month_recorded(f, data, kDutyMonitoring, data.monitoring.back().account.month, at);
    }
    if (o.entry.event == AssignOfficer::kName) {
      set_case_duty_officer(session, change.case_id, data.officer);
    }
  };
}

}  // namespace fangfan
