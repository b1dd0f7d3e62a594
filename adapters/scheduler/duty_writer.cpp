#include "adapters/scheduler/duty_writer.h"

#include <algorithm>
#include <utility>

#include "adapters/scheduler/timer_payload_codec.h"
#include "adapters/storage/case_json.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/county_admin_notice.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/outbox_store.h"
#include "adapters/storage/timer_batch.h"
#include "adapters/storage/timer_store.h"
#include "adapters/text/json_text.h"

namespace fangfan::scheduler_detail {

void close_planned_duty(soci::session& session, const CloseDuty& c, TimePoint now) {
  if (c.done) {
    close_duty(session, c.duty.id, now);
  } else {
    cancel_duty(session, c.duty.id, now);
  }
  cancel_duty_timers(session, c.duty);
}

bool opens_only(const DutyPlan& plan) {
  return std::all_of(plan.actions.begin(), plan.actions.end(),
                     [](const DutyAction& a) { return std::holds_alternative<OpenDuty>(a); });
}

namespace {

// Several OpenDuty in a row (see the header), written as one statement for their duties and one
// for all their timers; then those to close at once are closed, in order. With `each`, the
// timers scheduled for each opening (read back by key) go to (*each)[i]. `buffer` (may be null):
// the rows to reuse.
int apply_open_duties(soci::session& session, const std::vector<const OpenDuty*>& opens,
                      std::vector<int>* each = nullptr, TimerRows* buffer = nullptr) {
  std::vector<const NewDuty*> duties;
  duties.reserve(opens.size());
  for (const OpenDuty* open : opens) duties.push_back(&open->duty);
  // nullopt: its key exists open or done, nothing to schedule
  const std::vector<std::optional<std::int64_t>> stored = open_or_reopen_duty_ids(session, duties);
  TimerRows local;
  TimerRows& rows = buffer != nullptr ? *buffer : local;
  rows.size = 0;
  std::vector<std::size_t> row_of;  // with `each`: the opening of each row
  for (std::size_t i = 0; i < opens.size(); ++i) {
    if (stored[i]) add_planned_timers(rows, opens[i]->duty, *stored[i], opens[i]->timers);
    if (each != nullptr) row_of.resize(rows.size, i);
  }
  int scheduled = 0;
  if (each == nullptr) {
    scheduled = schedule_new_timers(session, rows.rows.data(), rows.size);
  } else {
    each->assign(opens.size(), 0);
    const std::vector<ScheduleResult> results =
        schedule_timers(session, rows.rows.data(), rows.size);
    for (std::size_t r = 0; r < results.size(); ++r) {
      if (!results[r].inserted) continue;
      ++(*each)[row_of[r]];
      ++scheduled;
    }
  }
  for (std::size_t i = 0; i < opens.size(); ++i) {
    if (stored[i] && opens[i]->close_at_once) {
      close_planned_duty(session, CloseDuty{opened_duty_record(opens[i]->duty, *stored[i]), true},
                         opens[i]->duty.opened_at);
    }
  }
  return scheduled;
}

void hold(DutySink& sink, OpenDuty open) {
  if (open.duty.case_id) sink.cases.insert(*open.duty.case_id);
  sink.opens.push_back(std::move(open));
  sink.owners.push_back(sink.owner);
}

}  // namespace

void add_planned_timers(TimerRows& rows, const NewDuty& duty, std::int64_t duty_id,
                        const std::vector<PlannedTimer>& timers) {
  for (const PlannedTimer& p : timers) {
    TimerToStore& row = rows.next();
    NewTimer& t = row.timer;
    t.case_id = duty.case_id;
    t.kind = p.kind;
    t.step = timer_step(duty);
    t.rung = p.rung;
    t.dedupe_key.clear();
    append_timer_dedupe_key(t.dedupe_key, duty, p.suffix);
    t.due_at = p.due_at;
    t.due_within = std::chrono::milliseconds{0};
    t.payload.clear();
    append_timer_payload(t.payload, p.notice, duty_id);
    t.created_at = duty.opened_at;
    // A rung passed at the opening (duty_timers): stored as fired then, nothing sent.
    row.fired_at.reset();
    if (p.passed) row.fired_at = duty.opened_at;
  }
}

std::string message_body(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  out.reserve(32 * params.size() + 2);
  out += '{';
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::string& key = params[i].first;
    bool earlier = false;
    for (std::size_t j = 0; j < i && !earlier; ++j) earlier = params[j].first == key;
    if (earlier) continue;  // written in its first place, with its last value
    const std::string* value = &params[i].second;
    for (std::size_t j = i + 1; j < params.size(); ++j) {
      if (params[j].first == key) value = &params[j].second;
    }
    if (out.size() > 1) out += ',';
    append_json_string(out, key);
    out += ':';
    append_json_string(out, *value);
  }
  out += '}';
  return out;
}

std::optional<CaseData> load_case_data(soci::session& session, std::int64_t case_id) {
  std::optional<CaseRecord> record = load_case(session, case_id);
  if (!record) return std::nullopt;
  auto data = case_data_from_json(record->data);
  if (auto* error = std::get_if<std::string>(&data)) {
    throw StorageError(StorageError::Kind::kQuery,
                       "案件 " + std::to_string(case_id) + " 的存储数据无法读取：" + *error);
  }
  return std::get<CaseData>(std::move(data));
}

CaseFacts facts_of(std::int64_t case_id, const CaseData& data, const Config& config) {
  CaseFacts f = case_facts(case_id, data);
  if (const Village* v = config.find_village(f.village_code)) f.township_code = v->township;
  f.village_name = place_name(config, f.village_code);
  f.township_name = place_name(config, f.township_code);
  return f;
}

int apply_open_duty(soci::session& session, const OpenDuty& open) {
  return apply_open_duties(session, {&open});
}

int schedule_planned_timers(soci::session& session, const NewDuty& duty, std::int64_t duty_id,
                            const std::vector<PlannedTimer>& timers) {
  TimerRows rows;
  add_planned_timers(rows, duty, duty_id, timers);
  return schedule_new_timers(session, rows.rows.data(), rows.size);
}

int schedule_duty_timers(soci::session& session, const DutyRecord& duty,
                         const std::vector<PlannedTimer>& timers) {
  NewDuty n;
  n.duty_key = duty.duty_key;
  n.case_id = duty.case_id;
  n.kind = duty.kind;
  n.subject = duty.subject;
  n.township_code = duty.township_code;
  n.village_code = duty.village_code;
  n.owner_role = duty.owner_role;
  n.officer = duty.officer;
  n.due_at = duty.due_at;
  n.opened_at = duty.opened_at;
  return schedule_planned_timers(session, n, duty.id, timers);
}

int flush_duties(soci::session& session, DutySink& sink) {
  if (sink.opens.empty()) return 0;
  std::vector<const OpenDuty*> opens;
  opens.reserve(sink.opens.size());
  for (const OpenDuty& open : sink.opens) opens.push_back(&open);
  std::vector<int> each;
  const int scheduled =
      apply_open_duties(session, opens, sink.count_by_owner ? &each : nullptr, &sink.timer_rows);
  for (std::size_t i = 0; i < each.size(); ++i) sink.scheduled[sink.owners[i]] += each[i];
  sink.opens.clear();
  sink.cases.clear();
  sink.owners.clear();
  return scheduled;
}

int apply_duty_plan(soci::session& session, const Config& config, DutyPlan&& plan,
                    std::optional<std::int64_t> case_id, TimePoint now, DutySink* sink) {
  if (sink != nullptr && opens_only(plan)) {
    for (DutyAction& action : plan.actions) hold(*sink, std::move(std::get<OpenDuty>(action)));
    plan.actions.clear();  // held: what is left of the plan is applied below
  }
  return apply_duty_plan(session, config, std::as_const(plan), case_id, now, sink);
}

int apply_duty_plan(soci::session& session, const Config& config, const DutyPlan& plan,
                    std::optional<std::int64_t> case_id, TimePoint now, DutySink* sink) {
  int scheduled = 0;
  if (sink != nullptr && opens_only(plan)) {
    for (const DutyAction& action : plan.actions) hold(*sink, std::get<OpenDuty>(action));
    if (case_id) sink->cases.insert(*case_id);
  } else {
    // Held openings of earlier plans first: ids follow the order of the plans.
    if (sink != nullptr) flush_duties(session, *sink);  // counted there
    // Consecutive OpenDuty actions go out together; a CloseDuty keeps its place between them.
    std::vector<const OpenDuty*> opens;
    for (const DutyAction& action : plan.actions) {
      if (const auto* open = std::get_if<OpenDuty>(&action)) {
        opens.push_back(open);
        continue;
      }
      if (!opens.empty()) scheduled += apply_open_duties(session, opens);
      opens.clear();
      close_planned_duty(session, std::get<CloseDuty>(action), now);
    }
    if (!opens.empty()) scheduled += apply_open_duties(session, opens);
  }
  if (plan.officer && case_id) set_case_duty_officer(session, *case_id, *plan.officer);
  for (const CalendarError& gap : plan.calendar_gaps) {
    report_calendar_gap(session, config, gap, now);
  }
  return scheduled;
}

void report_calendar_gap(soci::session& session, const Config& config, const CalendarError& error,
                         TimePoint now) {
  const std::string year = std::to_string(error.missing_year);
  const std::string prefix = "calendar_missing:" + config.county.code + ":" + year + ":0:";
  for (const NewOutboxMessage& m : county_admin_messages(
           config, "calendar_missing", message_body({{"year", year}, {"text", error.message}}),
           [&](std::string_view who) { return prefix + std::string(who); }, now)) {
    enqueue_outbox(session, m);
  }
}

std::vector<std::int64_t> queue_duty_message(soci::session& session, const Config& config,
                                             const DutyMessage& message, TimePoint now,
                                             bool& nobody, OutboxSink* sink) {
  // Nobody holding the role here (a village without a village officer) must not make the notice
  // vanish: the township head gets it, else the county admin.
  std::vector<const Person*> people =
      notice_recipients_or_fallback(config, message.roles, message.township, message.village,
                                    message.officer, message.department);
  nobody = people.empty();
  std::vector<std::int64_t> ids;
  const std::string body = message_body(message.params);
  for (const Person* p : people) {
    NewOutboxMessage m;
    m.dedupe_key = duty_message_key(message, p->name + "@" + p->scope);
    m.case_id = message.case_id;
    m.channel = p->channels.empty() ? "file" : p->channels.front();
    m.recipient = address_for(*p, m.channel);
    m.message_type = message.message_type;
    m.body = body;
    m.created_at = now;
    m.next_attempt_at = now;
    m.person = p->name + "@" + p->scope;
    if (sink != nullptr) {
      sink->messages.push_back(std::move(m));
      continue;
    }
    EnqueueResult r = enqueue_outbox(session, m);
    if (r.inserted) ids.push_back(r.id);
  }
  return ids;
}

}  // namespace fangfan::scheduler_detail
