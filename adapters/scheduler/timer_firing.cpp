// Firing and the case change hook: load, decide (workflows/timer_notice.h,
// workflows/duty_plan.h), write (duty_writer.h). Seeding: recurring_work.cpp.
#include "adapters/scheduler/timer_firing.h"

#include "adapters/scheduler/case_alerts.h"
#include "adapters/scheduler/deadline_batch.h"
#include "adapters/scheduler/duty_writer.h"
#include "adapters/scheduler/firing_preload.h"
#include "adapters/scheduler/timer_payload_codec.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/outbox_batch.h"
#include "workflows/duty_plan.h"
#include "workflows/feeds.h"
#include "workflows/lists.h"
#include "workflows/report_schedule.h"
#include "workflows/timer_notice.h"

namespace fangfan {
namespace {

using namespace scheduler_detail;

// A duty's timer (already marked fired in this transaction): load (from the batch's preload
// while it holds the entries, firing_preload.h), decide, write.
void fire_duty_timer(soci::session& session, const Config& config,
                     const WorkingDayCalendar& calendar, const TimerRecord& timer,
                     const DutyNotice& notice, TimePoint now, FiredTimer& out,
                     FiringPreload* preload, OutboxSink* sink) {
  std::optional<DutyRecord> duty;
  DutyRecord* kept = nullptr;
  if (notice.duty_id != 0) {
    kept = preload != nullptr ? preload->duty(notice.duty_id) : nullptr;
    duty = kept != nullptr ? std::move(*kept) : load_duty(session, notice.duty_id);
  }
  // What this firing writes, later timers of the batch must read afresh (firing_preload.h): the
  // case is marked touched before anything can fail, and its entries are moved out here.
  std::optional<CaseData>* kept_data = nullptr;
  std::vector<DutyRecord>* kept_duties = nullptr;
  if (preload != nullptr) {
    if (duty && duty->case_id) {
      kept_data = preload->case_data(*duty->case_id);
      kept_duties = preload->case_duties(*duty->case_id);
      preload->touched(*duty->case_id);
    } else {
      preload->drop();
    }
  }
  DutyTimerFacts in;
  std::optional<CaseData> data;
  if (duty) {
    in.duty = &*duty;
    in.duty_township_name = place_name(config, duty->township_code);
    if (duty->kind == kDutyFeed) {
      const FeedSource* source =
          config.rules.feeds.find(duty->subject.substr(0, duty->subject.rfind('/')));
      for (const Department& d : config.departments) {
        if (source != nullptr && d.code == source->department) in.department_name = d.name;
      }
    }
    if (duty->case_id) {
      const std::int64_t case_id = *duty->case_id;
      // Follow-ups held for this case are written before its duties are read afresh.
      if (sink != nullptr && sink->duties.holds(case_id)) flush_duties(session, sink->duties);
      data = kept_data != nullptr ? std::move(*kept_data) : load_case_data(session, case_id);
      if (data) {
        in.data = &*data;
        in.facts = facts_of(case_id, *data, config);
        // Only the month's due time reads them (firing_preload.h reads_case_duties).
        if (reads_case_duties(*duty, notice, timer.rung)) {
          in.case_duties =
              kept_duties != nullptr ? std::move(*kept_duties) : case_duties(session, case_id);
        }
      }
    }
  }
  const TimerDecision decision =
      decide_duty_timer(notice, timer.rung, in, config.rules, calendar, now);
  if (!decision.follow_up.actions.empty() || !decision.follow_up.calendar_gaps.empty()) {
    // With a sink (the first pass) the next duty and its timers are held for one write.
    out.follow_up_timers = apply_duty_plan(session, config, decision.follow_up, duty->case_id, now,
                                           sink != nullptr ? &sink->duties : nullptr);
  }
  // A firing without follow-up writes no duty and no case (its message and its timer's mark
  // change neither): what it took from the preload is put back for the case's later timers,
  // which then need not read them again (one query each, a round trip each on PostgreSQL).
  if (kept != nullptr && kept_data != nullptr && decision.follow_up.actions.empty() &&
      decision.follow_up.calendar_gaps.empty()) {
    *kept = std::move(*duty);
    *kept_data = std::move(data);
    if (kept_duties != nullptr && reads_case_duties(*kept, notice, timer.rung)) {
      *kept_duties = std::move(in.case_duties);
    }
    preload->untouched(*kept->case_id);
  }
  out.skipped = decision.skipped;
  if (!decision.message) return;
  bool nobody = false;
  out.outbox_ids = queue_duty_message(session, config, *decision.message, now, nobody, sink);
  if (nobody) {
    out.skipped = "配置中没有对应的接收人 (no configured person holds the role)";
    return;
  }
  out.message_type = decision.message->message_type;
}

// A feed's period fell due: its duty opens (without timers; the feed intake looks for the data
// and plans the ladder when it is missing). The occurrence instant is the timer's due_at.
void fire_feed_due(soci::session& session, const Config& config, const TimerRecord& timer,
                   const FeedDue& due, FiredTimer& out) {
  std::optional<FeedOccurrence> occurrence = feed_due_occurrence(config.rules, due, timer.due_at);
  if (!occurrence) {
    out.skipped = "供数来源“" + due.feed + "”已不在配置中 (the feed is no longer configured)";
    return;
  }
  const NewDuty duty = feed_duty(*occurrence, config.county.code);
  if (!open_or_reopen_duty(session, duty)) {
    out.skipped = "该期供数事项已存在 (the period's duty exists)";
    return;
  }
  out.opened_duty = duty.duty_key;
}

// A list's period fell due: its duty opens (without timers; the list runner produces and sends
// the list and closes it). The occurrence instant is the timer's due_at.
void fire_list_due(soci::session& session, const Config& config, const TimerRecord& timer,
                   const ListDue& due, FiredTimer& out) {
  std::optional<ListOccurrence> occurrence = list_due_occurrence(config.rules, due, timer.due_at);
  if (!occurrence) {
    out.skipped = "部门名单“" + due.list + "”已不在配置中 (the list is no longer configured)";
    return;
  }
  const NewDuty duty = list_duty(*occurrence, config.county.code);
  if (!open_or_reopen_duty(session, duty)) {
    out.skipped = "该期名单事项已存在 (the period's list duty exists)";
    return;
  }
  out.opened_duty = duty.duty_key;
}

// A monthly report's occurrence fell due: its duty opens (without timers; the list runner
// produces and sends the workbook and closes it).
void fire_report_due(soci::session& session, const Config& config, const TimerRecord& timer,
                     const ReportDue& due, FiredTimer& out) {
  std::optional<ReportOccurrence> o = report_due_occurrence(config.rules, due, timer.due_at);
  if (!o) {
    out.skipped =
        "月报安排“" + due.schedule + "”已不在配置中 (the report schedule is no longer configured)";
    return;
  }
  const NewDuty duty = report_duty(*o, config.county.code);
  if (!open_or_reopen_duty(session, duty)) {
    out.skipped = "该期月报事项已存在 (the period's report duty exists)";
    return;
  }
  out.opened_duty = duty.duty_key;
}

}  // namespace

namespace {

// Fires `timer` in the caller's transaction: marks it fired (conditional on it still being
// pending: nullopt when a concurrent firer got there first, nothing written), then its work.
// In a batch, `preload` holds what the batch reads and `index` is the timer's place in it.
std::optional<FiredTimer> fire_timer_in(soci::session& session, const Config& config,
                                        const WorkingDayCalendar& calendar,
                                        const TimerRecord& timer, TimePoint now,
                                        FiringPreload* preload = nullptr, std::size_t index = 0,
                                        OutboxSink* sink = nullptr) {
  FiredTimer out;
  out.timer = timer;
  out.fired_at = now;
  // With a sink (the first pass), the batch's timers are marked fired together after their work.
  if (sink == nullptr && !mark_timer_fired(session, out.timer.id, now)) return std::nullopt;
  DecodedPayload payload =
      preload != nullptr ? preload->payload(index) : decode_timer_payload(out.timer.payload);
  if (auto* unreadable = std::get_if<std::string>(&payload)) {
    out.skipped = std::move(*unreadable);
    return out;
  }
  TimerPayload& what = std::get<TimerPayload>(payload);
  if (auto* notice = std::get_if<DutyNotice>(&what)) {
    fire_duty_timer(session, config, calendar, out.timer, *notice, now, out, preload, sink);
    return out;
  }
  // Not a case duty's timer: it may write anywhere (firing_preload.h).
  if (preload != nullptr) preload->drop();
  if (sink != nullptr) flush_duties(session, sink->duties);  // held follow-ups written first
  if (auto* open = std::get_if<OpenEvaluation>(&what)) {
    out.follow_up_timers = open_evaluation_year(session, config, calendar, open->year, now);
  } else if (auto* feed = std::get_if<FeedDue>(&what)) {
    fire_feed_due(session, config, out.timer, *feed, out);
  } else if (auto* list = std::get_if<ListDue>(&what)) {
    fire_list_due(session, config, out.timer, *list, out);
  } else if (auto* report = std::get_if<ReportDue>(&what)) {
    fire_report_due(session, config, out.timer, *report, out);
  }
  return out;
}

}  // namespace

// -- dry run (H4): the firing body runs in the caller's transaction, so that the daemon's dry
// run (daemon/tasks/scheduler.h simulate_span) can run it inside one it rolls back.
std::optional<FiredTimer> fire_next_due_timer_in(soci::session& session, const Config& config,
                                                 const WorkingDayCalendar& calendar,
                                                 TimePoint now) {
  for (;;) {
    std::vector<TimerRecord> due = due_timers(session, now, 1);
    if (due.empty()) return std::nullopt;
    if (auto out = fire_timer_in(session, config, calendar, due.front(), now)) return out;
  }
}

std::optional<FiredTimer> fire_next_due_timer(soci::session& session, const Config& config,
                                              const WorkingDayCalendar& calendar, TimePoint now) {
  WriteTransaction tx(session);
  std::optional<FiredTimer> out = fire_next_due_timer_in(session, config, calendar, now);
  if (out) tx.commit();
  return out;
}

std::optional<FiredTimer> fire_timer_alone(soci::session& session, const Config& config,
                                           const WorkingDayCalendar& calendar,
                                           std::int64_t timer_id, TimePoint now) {
  WriteTransaction tx(session);
  std::optional<TimerRecord> timer = load_timer(session, timer_id);
  if (!timer || timer->state != TimerState::kPending || timer->due_at > now) return std::nullopt;
  std::optional<FiredTimer> out = fire_timer_in(session, config, calendar, *timer, now);
  if (out) tx.commit();
  return out;
}

namespace {

// One pass of fire_due_batch(). `careful`: each timer in its own savepoint, so that a failing
// one is rolled back alone and listed as failed. Not careful (the first pass): no savepoints (a
// round trip each on PostgreSQL, and their bookkeeping on SQLite); any failure throws and the
// caller's whole transaction is rolled back, nothing of the pass stays.
FiringBatch fire_batch_pass(soci::session& session, const Config& config,
                            const WorkingDayCalendar& calendar, TimePoint now, int limit,
                            const std::set<std::int64_t>& held_back,
                            std::chrono::milliseconds within, bool careful) {
  FiringBatch batch;
  // Nothing due: answer from a plain read, without taking the write lock. Every case write wakes
  // the scheduler, and an empty BEGIN IMMEDIATE per wake would queue behind (and hold up) the
  // API's group commits on SQLite.
  if (std::optional<TimerRecord> next = next_due_timer(session);
      !next || !is_due(*next, now, within)) {
    return batch;
  }
  WriteTransaction tx(session);
  // Held-back timers are still pending and would come first again: read past them.
  const int want = limit + static_cast<int>(held_back.size());
  std::vector<TimerRecord> timers;
  for (const TimerRecord& timer : due_timers(session, now, want, within)) {
    if (held_back.contains(timer.id)) continue;
    if (static_cast<int>(timers.size()) == limit) break;
    timers.push_back(timer);
  }
  // The batch's duties, cases and case duties in one query each (firing_preload.h). If that
  // read fails, each timer reads its own, as before, and a failing read fails its timer alone.
  FiringPreload preload(timers);
  // The first pass holds its messages for one insert at its end (duty_writer.h OutboxSink);
  // `queued[f]`: the range of fired timer f's messages in it.
  OutboxSink sink;
  sink.duties.count_by_owner = true;  // follow-up timers counted for the timer that held them
  std::vector<std::pair<std::size_t, std::size_t>> queued;
  if (!careful) {
    preload.read(session);
  } else {
    Savepoint reads(session, "fire_preload");
    try {
      preload.read(session);
      reads.release();
    } catch (const std::exception&) {
      if (!reads.rollback()) throw;
    }
  }
  for (std::size_t i = 0; i < timers.size(); ++i) {
    const TimerRecord& timer = timers[i];
    ++batch.claimed;
    if (!careful) {
      const std::size_t first = sink.messages.size();
      sink.duties.owner = batch.fired.size();
      if (auto fired = fire_timer_in(session, config, calendar, timer, now, &preload, i, &sink)) {
        batch.fired.push_back(std::move(*fired));
        queued.emplace_back(first, sink.messages.size());
      }
      continue;
    }
    Savepoint one(session, "fire_timer");
    try {
      if (auto fired = fire_timer_in(session, config, calendar, timer, now, &preload, i)) {
        one.release();
        batch.fired.push_back(std::move(*fired));
      } else {
        one.release();  // fired by another firer meanwhile: nothing was written
      }
    } catch (const std::exception& e) {
      // Undo this timer's work only; it stays pending for its own retry. A transaction that
      // cannot go back to the savepoint is broken: give up the whole batch (all stay pending).
      if (!one.rollback()) throw;
      batch.failed.push_back({timer, e.what()});
    }
  }
  if (!careful) {
    // The held follow-ups (next duties and their timers) in one write each.
    flush_duties(session, sink.duties);
    for (const auto& [f, n] : sink.duties.scheduled) batch.fired[f].follow_up_timers += n;
    // The pass's timers marked fired in one UPDATE. Each was pending when the pass began (locked
    // SKIP LOCKED on PostgreSQL, under BEGIN IMMEDIATE on SQLite); one that is not any more was
    // cancelled by the work of a timer before it (or by its own): the careful pass decides it,
    // marked before its work as everywhere else.
    std::vector<std::int64_t> ids;
    ids.reserve(batch.fired.size());
    for (const FiredTimer& f : batch.fired) ids.push_back(f.timer.id);
    if (mark_timers_fired(session, ids, now) != static_cast<int>(ids.size())) {
      throw std::runtime_error("a timer of the batch was cancelled while it fired");
    }
    // The pass's messages in one multi-row insert; each timer's new rows are its outbox_ids.
    const std::vector<EnqueueResult> rows = enqueue_outbox_batch(session, sink.messages);
    for (std::size_t f = 0; f < batch.fired.size(); ++f) {
      for (std::size_t m = queued[f].first; m < queued[f].second; ++m) {
        if (rows[m].inserted) batch.fired[f].outbox_ids.push_back(rows[m].id);
      }
    }
  }
  tx.commit();
  return batch;
}

}  // namespace

// The first pass fires the batch without savepoints; if anything in it fails, that pass is
// rolled back whole and the batch is fired again with a savepoint per timer, where a failing
// timer is rolled back alone (the outcome is the careful pass's, as if it had run first).
FiringBatch fire_due_batch(soci::session& session, const Config& config,
                           const WorkingDayCalendar& calendar, TimePoint now, int limit,
                           const std::set<std::int64_t>& held_back,
                           std::chrono::milliseconds within) {
  try {
    return fire_batch_pass(session, config, calendar, now, limit, held_back, within, false);
  } catch (const std::exception&) {
    // Rolled back (WriteTransaction's destructor): nothing of the first pass stays.
  }
  return fire_batch_pass(session, config, calendar, now, limit, held_back, within, true);
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
    apply_case_deadlines(session, *config, *calendar, change, nullptr);  // deadline_batch.h
  };
}

}  // namespace fangfan
