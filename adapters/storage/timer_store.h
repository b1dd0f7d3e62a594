// Durable timers in the database: deadlines, reminders, escalation rungs, visit checks.
//
// A timer is scheduled in the same transaction as the case change that causes it, and cancelled
// in the same transaction as the change that makes it moot. Its dedupe_key names what it stands
// for (e.g. "case/42/verification/entry/3/rung/2"): scheduling the same key again is a no-op, so
// each rung of each escalation ladder exists once, however often the caller replays.
//
// Firing is exactly-once by construction: mark_timer_fired() moves pending -> fired only once;
// the caller does the timer's work (history, outbox rows) in the same transaction, and commits
// only if mark_timer_fired() returned true.
//
// The scheduler never scans the table: next_due_timer() and due_timers() read the index of
// pending timers (due_at, due_ms, id), earliest first (ties by id, i.e. scheduling order). Fired
// and cancelled timers stay in the table (history, dedupe keys) but leave both indexes of
// pending timers (due order; a case's), so that firing one moves no index entry.
//
// Sub-second due times (issue 15): a timer is due at the millisecond `due_within` (0..999) of
// its due second. The rules (workflows/) count working days and hours and keep whole seconds:
// every timer they make has 0. The column exists so that many timers of one second (a spread
// load of 2,000 a second) fall due spread over it instead of at one instant, where the last of
// the second's burst would wait for all the others: storage and scheduler honour it, the rest
// of the program reads due_at only. A clock that reads whole seconds (the simulated clock,
// every caller that passes no millisecond) treats the whole second as reached: a timer due
// within second S is due when the clock reads S.
//
// Errors: StorageError (see database.h). Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/clock.h"

namespace fangfan {

enum class TimerState { kPending, kFired, kCancelled };
std::string_view timer_state_name(TimerState state);  // "pending", "fired", "cancelled"

struct NewTimer {
  std::optional<std::int64_t> case_id;  // none for county-wide work (campaigns, feed pulls)
  std::string kind;                     // e.g. "deadline", "reminder", "escalation"
  std::string step;                     // procedure step or work item it belongs to
  int rung = 0;                         // escalation ladder rung (0: the deadline itself)
  std::string dedupe_key;               // unique: what this timer stands for
  TimePoint due_at{};
  std::chrono::milliseconds due_within{0};  // 0..999 within due_at's second (rules: always 0)
  std::string payload = "{}";               // JSON for the firing code
  TimePoint created_at{};
};

struct TimerRecord {
  std::int64_t id = 0;
  std::optional<std::int64_t> case_id;
  std::string kind;
  std::string step;
  int rung = 0;
  std::string dedupe_key;
  TimePoint due_at{};
  std::chrono::milliseconds due_within{0};  // 0..999 within due_at's second
  TimerState state = TimerState::kPending;
  std::optional<TimePoint> fired_at;  // minus due_at: how late it fired (downtime)
  std::string payload;
  TimePoint created_at{};
};

struct ScheduleResult {
  bool inserted = false;  // false: a timer with this dedupe_key already existed (any state)
  std::int64_t id = 0;    // the new timer, or the existing one
};

// REQUIRES: 0 <= timer.due_within <= 999 ms (the table's CHECK refuses anything else).
ScheduleResult schedule_timer(soci::session& session, const NewTimer& timer);

std::optional<TimerRecord> load_timer(soci::session& session, std::int64_t id);

// `within` for a clock that reads whole seconds: every millisecond of the second `now` is reached.
inline constexpr std::chrono::milliseconds kWholeSecond{999};

// Whether `timer` is due at `now` + `within` (its due second is past, or it is this second and
// its millisecond is reached).
bool is_due(const TimerRecord& timer, TimePoint now,
            std::chrono::milliseconds within = kWholeSecond);

// The earliest pending timer, due or not: what the scheduler sleeps until.
std::optional<TimerRecord> next_due_timer(soci::session& session);

// Pending timers due at `now` + `within` (is_due above), in (due_at, due_within, id) order, at
// most `limit` (drain in bounded batches).
// PostgreSQL (several daemons on one database): the rows are locked FOR UPDATE SKIP LOCKED, so
// inside a transaction they are this firer's until it ends, and timers another daemon's open
// transaction holds are left out (it is firing them). Outside a transaction the lock ends with
// the statement. REQUIRES: limit > 0; not in a READ ONLY transaction on PostgreSQL.
std::vector<TimerRecord> due_timers(soci::session& session, TimePoint now, int limit,
                                    std::chrono::milliseconds within = kWholeSecond);

// pending -> fired. False when the timer is not pending (already fired, cancelled, or missing).
bool mark_timer_fired(soci::session& session, std::int64_t id, TimePoint fired_at);
// The same for many (issue 15: a firing batch, marked after its work), one kept UPDATE per 64
// ids (id_chunks.h); returns how many moved (those that were pending).
int mark_timers_fired(soci::session& session, const std::vector<std::int64_t>& ids,
                      TimePoint fired_at);

// pending -> cancelled. False when it was not pending.
bool cancel_timer(soci::session& session, std::int64_t id);

// Cancels the case's pending timers (of one step when `step` is given); returns how many.
int cancel_case_timers(soci::session& session, std::int64_t case_id,
                       std::optional<std::string_view> step = std::nullopt);

}  // namespace fangfan
