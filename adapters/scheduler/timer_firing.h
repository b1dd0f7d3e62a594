// Where deadlines meet storage (issue 5): the case change hook that opens duties and schedules
// their timers, the firing of due timers into outbox messages, and the seeding of recurring work
// (Q4 risk evaluation, campaigns, monthly visits and monitoring). Instants follow
// workflows/deadlines.h; duties and keys workflows/duties.h and adapters/storage/duty_store.h.
//
// Installing the hook. It is the required deadline hook of the one case writer
// (adapters/storage/case_repository.h), built at start by adapters/scheduler/case_writing.h; every
// case write (API routes, import, benches) goes through that writer, so none runs without it. It
// runs inside the case transaction: duties and timers commit or roll back with the change. If a
// deadline needs a calendar year that is not configured, the hook throws ScheduleError (the
// calendar's sentence, naming the year and file): the change is refused rather than stored with
// a guessed or missing deadline.
//
// Decide, then write. The rules live in the core: what a case change opens and closes in
// workflows/duty_plan.h (plan_case_change), what a fired timer sends or why nothing in
// workflows/timer_notice.h (decide_duty_timer), the typed timer payloads in
// workflows/timer_payload.h. This folder loads what a decision needs, calls it and applies the
// result: timer_firing.cpp (firing, the hook), recurring_work.cpp (seeding), duty_writer.h
// (applying plans, queueing messages), timer_payload_codec.h (the payload's stored text).
//
// Exactly-once firing. fire_next_due_timer() takes the earliest pending timer with due_at <= now
// and, in ONE WriteTransaction, marks it fired (conditional on it still being pending), writes
// its outbox rows (dedupe keys per contracts.md), updates its duty and schedules follow-ups. A
// crash before commit leaves the timer pending (it fires again, once, on restart); a second
// firer loses the conditional update and its transaction rolls back; outbox dedupe keys make a
// replay harmless. Timers are fired in (due_at, id) order. Firing a month's due timer (which
// every visits/monitoring duty has, even when no one is notified at due time) also opens the
// next month's duty: months follow one another without a scan of the cases.
//
// After downtime: every timer that fell due while the daemon was stopped fires once, in due
// order, on the next calls (one overdue notice per rung, never one per missed tick; the message
// carries how many days overdue the duty is at firing time). A REMINDER whose duty is already
// overdue when it fires is skipped (marked fired, no message): the overdue notice that fires
// next says more. A timer whose duty is no longer open fires without a message (relevance is
// re-checked at firing time).
//
// Department feeds (issue 12): every kind="feed" schedule gets a county-wide FeedDue timer per
// period (workflows/feeds.h feed_occurrences: the occurrences within the horizon, and the latest
// one at or before now, so that a period missed while the daemon was down fires late, once;
// dedupe key "feed_due/<feed>/<period>"). Its firing opens the duty "feed/<feed>/<period>"
// without timers: adapters/feeds looks for the data and plans the ladder when it is missing.
//
// Department lists (issue 13): the same for every kind="list" schedule, one ListDue timer per
// day of the schedule (workflows/lists.h list_occurrences, period "YYYY-MM-DD", dedupe key
// "list_due/<list>/<period>"; the latest one at or before now, not before the lists migration
// was applied). Its firing opens the duty "list/<list>/<period>" without timers: the list runner
// (daemon/tasks/list_runner.h) produces and sends the list and closes it.
//
// The monthly report workbook: the same for every kind="report" schedule (ReportDue, period the
// month reported "YYYY-MM", dedupe key "report_due/<schedule>/<period>", not before the monthly
// reports migration); its firing opens the duty "report/<schedule>/<period>" for the runner.
//
// Recipients (config people, one outbox row each, channel = the person's first channel): the
// holders of the notice's roles covering the duty's place (notice_recipients_or_fallback in
// adapters/config/config.h; assistance_officer is the case's officer by name).
//
// Calendar gaps while firing or seeding: the follow-up that needs the missing year is left out
// and a calendar_missing message goes to the county admins (once per year and person);
// ensure_recurring_timers() adds the missing work once the year's file is installed.
//
// Thread-safety: functions take the session they use; one thread per session. The hook copies
// its shared pointers and may be called from any thread with that thread's session.
// Errors: StorageError from storage; ScheduleError from the hook (see above).
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/timer_store.h"
#include "workflows/calendar.h"
#include "workflows/clock.h"

namespace fangfan {

// A deadline could not be computed (a calendar year is missing). what() is the sentence.
class ScheduleError : public std::runtime_error {
 public:
  ScheduleError(int missing_year, const std::string& message)
      : std::runtime_error(message), missing_year_(missing_year) {}
  int missing_year() const { return missing_year_; }

 private:
  int missing_year_;
};

struct FiredTimer {
  TimerRecord timer;                     // as it was before firing (state pending)
  TimePoint fired_at{};                  // `now`; minus timer.due_at: how late it fired
  std::vector<std::int64_t> outbox_ids;  // the messages it queued (new ones only)
  std::string message_type;              // e.g. "step_overdue"; empty when it sent nothing
  std::string skipped;                   // why it sent nothing ("duty closed", ...), else empty
  int follow_up_timers = 0;              // timers it scheduled (next month, evaluation tasks)
  std::string opened_duty;  // a FeedDue (ListDue, ReportDue) timer: the key of the duty it opened
};

// Fires the earliest pending timer with due_at <= now in ONE WriteTransaction (mark fired,
// outbox rows, follow-up timers, duty updates). nullopt when nothing is due.
std::optional<FiredTimer> fire_next_due_timer(soci::session& session, const Config& config,
                                              const WorkingDayCalendar& calendar, TimePoint now);

// Batched firing (issue 15): claims up to `limit` pending timers with due_at <= now in (due_at,
// id) order, leaving out `held_back` (timers that failed alone and wait for their retry), and
// fires each inside ONE WriteTransaction, each in its own savepoint: one commit (one fsync) for
// the batch. A timer whose firing throws is rolled back to its savepoint alone and listed in
// `failed` (it stays pending); the rest of the batch commits. Exactly once as above: a crash
// before the commit leaves the whole batch pending. Throws StorageError when the transaction
// itself fails (begin, commit, or a rollback to a savepoint): then nothing of the batch stays.
// How (issue 15): the batch's duties, cases and case duties are read in one query each
// (firing_preload.h), and the batch is first fired without savepoints; only when something in
// that pass fails is it rolled back whole and fired again as above, a savepoint per timer.
struct FailedTimer {
  TimerRecord timer;
  std::string error;
};
struct FiringBatch {
  std::vector<FiredTimer> fired;    // in (due_at, id) order
  std::vector<FailedTimer> failed;  // rolled back, still pending
  int claimed = 0;                  // timers looked at (fired, failed, or fired elsewhere)
};
// `within`: the millisecond of `now`'s second the clock has reached (timers due later in the
// second wait; timer_store.h is_due); the default takes the whole second.
FiringBatch fire_due_batch(soci::session& session, const Config& config,
                           const WorkingDayCalendar& calendar, TimePoint now, int limit,
                           const std::set<std::int64_t>& held_back = {},
                           std::chrono::milliseconds within = kWholeSecond);

// One timer's own retry after it failed in a batch: fires it in its own WriteTransaction if it
// is still pending and due. nullopt when it no longer is. Throws what its firing throws.
std::optional<FiredTimer> fire_timer_alone(soci::session& session, const Config& config,
                                           const WorkingDayCalendar& calendar,
                                           std::int64_t timer_id, TimePoint now);

// Idempotent: makes sure the recurring county work (Q4 evaluation, campaigns, monthly visit
// and monitoring duties of assisted cases, department feed periods) has its timers up to `now` +
// horizon. Returns how many timers it scheduled (0 when everything was there). Runs in its own
// WriteTransaction.
int ensure_recurring_timers(soci::session& session, const Config& config,
                            const WorkingDayCalendar& calendar, TimePoint now);

// -- dry run (H4): the same two, inside the caller's open transaction (no commit): the daemon's
// dry run runs them in one transaction that it rolls back (daemon/tasks/scheduler.h simulate_span).
std::optional<FiredTimer> fire_next_due_timer_in(soci::session& session, const Config& config,
                                                 const WorkingDayCalendar& calendar, TimePoint now);
int ensure_recurring_timers_in(soci::session& session, const Config& config,
                               const WorkingDayCalendar& calendar, TimePoint now);

// Marks an open duty done (an evaluation or other task finished outside the case machine) and
// cancels its pending timers, in its own WriteTransaction. False when it was not open.
bool complete_duty(soci::session& session, std::int64_t duty_id, TimePoint now);

// How far ahead ensure_recurring_timers() seeds the yearly evaluation's opening timer.
inline constexpr std::chrono::days kRecurringHorizon{45};

// The deadline hook of the case writer (see above).
CaseChangeHook make_timer_hook(std::shared_ptr<const Config> config,
                               std::shared_ptr<const WorkingDayCalendar> calendar);

}  // namespace fangfan
