// The daemon's timer scheduler: fires durable timers (adapters/storage/timer_store.h) when they
// fall due, in due order, in batches of up to 256 per transaction
// (adapters/scheduler/timer_firing.h fire_due_batch: each timer in its own savepoint, one commit
// per batch), and keeps the recurring county work seeded (ensure_recurring_timers: at start, after
// a reload, and when the China date changes).
//
// It never scans the timer table: it reads the earliest pending timer through the (state,
// due_at, due_ms) index and sleeps until then. On the real clock the sleep is one steady_timer
// that ends at the timer's due millisecond (to the microsecond, not in whole seconds; rules'
// timers are due at a second's start, timer_store.h), at most a minute (the clock may jump),
// then it looks again; the due query takes the millisecond the system time has reached. It never
// polls: a case change that may add an earlier timer calls wake() (the API's case writes, feeds,
// lists), which ends the sleep at once. On a simulated clock time moves only through advance_to(),
// which fires everything in between itself; the loop still wakes every minute (heartbeat) and at
// wake().
//
// Exactly once: a timer is marked fired in the transaction that does its work, so a crash
// before commit leaves it pending (it fires at the next start), a crash after leaves it fired.
// After downtime every timer that fell due fires once, late, in due order, in bounded batches
// that let the rest of the loop (API, watchdog) run in between.
//
// Failure policy: a StorageError (locked, unreachable database) is logged and retried after a
// pause; it never stops the daemon. A timer whose firing fails otherwise is rolled back to its
// savepoint alone (the rest of its batch commits), tried once more in its own transaction, and
// if that fails too it is held back for a longer pause with the error logged while the other
// timers fire on (its work is rolled back each time, never half-done).
//
// Dry run: simulate_span() runs the same seeding and firing code over a span of simulated time
// inside ONE transaction that it rolls back, and returns every outbox row that would have been
// queued. Nothing is sent, nothing stays.
//
// Thread-safety: a Scheduler lives on the daemon's loop thread; run(), wake(), reseed() and
// advance_to() are called there. Storage work runs on the StorageExecutor. The clock, the
// storage and the callbacks must outlive it.
#pragma once

#include <soci/soci.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/scheduler/timer_firing.h"
#include "daemon/tasks/advance_delivery.h"
#include "daemon/tasks/advance_intake.h"
#include "daemon/tasks/loop_mutex.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/calendar.h"
#include "workflows/clock.h"

namespace fangfan {

class Heartbeat;

// What one advance_to() did.
struct AdvanceReport {
  TimePoint from{};
  TimePoint to{};
  int timers_fired = 0;
  int messages_queued = 0;
  int recurring_seeded = 0;  // timers ensure_recurring_timers added on the way
  int delivery_passes = 0;   // outbox passes run at the stops (with set_delivery)
};

class Scheduler {
 public:
  using ConfigSource = std::function<std::shared_ptr<const Config>()>;
  using CalendarSource = std::function<std::shared_ptr<const WorkingDayCalendar>()>;

  // `loop` runs run()'s sleep timer. `simulated` is the daemon's clock when it runs with
  // --simulated-clock (then `clock` is the same object), else nullptr. `config` and `calendar` are
  // read on the loop thread each turn (SIGHUP swaps them). `outbox_changed` is called when firing
  // queued messages. `heartbeat`, when given, beats on every turn of run().
  Scheduler(boost::asio::any_io_executor loop, StorageExecutor& storage, const Clock& clock,
            SimulatedClock* simulated, ConfigSource config, CalendarSource calendar,
            std::function<void()> outbox_changed, Heartbeat* heartbeat = nullptr);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs until cancelled (terminal cancellation on shutdown).
  boost::asio::awaitable<void> run();

  // A timer may have been added earlier than the one run() sleeps until: look again now.
  void wake();
  // The configuration or calendar changed (SIGHUP): seed the recurring work on the next turn.
  void reseed();

  // advance_to() delivers at each of its stops through `delivery` (which must outlive the
  // scheduler), and also stops when the outbox next has a message due. Without it, messages
  // queued during an advance are delivered after it, at its end time.
  void set_delivery(AdvanceDelivery* delivery) { delivery_ = delivery; }
  // advance_to() looks for due department data at each of its stops through `intake` (which
  // must outlive the scheduler), after firing, and fires what that scheduled.
  void set_intake(AdvanceIntake* intake) { intake_ = intake; }
  // Called on the loop thread after timers fired (a FeedDue opens a period the feed runner then
  // looks for at once, not at its next tick).
  void set_on_fired(std::function<void()> on_fired) { on_fired_ = std::move(on_fired); }

  // Several daemons on one database: run() seeds the recurring work only while `leads()` is
  // true (the leader, daemon/tasks/leadership.h; call reseed() when it becomes true). Unset:
  // always. Firing is never gated.
  void set_seeding_gate(std::function<bool()> leads) { leads_ = std::move(leads); }

  bool simulated() const { return simulated_ != nullptr; }
  const Clock& clock() const { return clock_; }
  // The current working-day calendar (loop thread).
  std::shared_ptr<const WorkingDayCalendar> calendar() const { return calendar_(); }

  // Moves the simulated clock to `target`, stopping at every due time and China midnight in
  // between (and, with set_delivery, every instant an outbox message falls due): sets the clock
  // there, seeds recurring work when the date changed, fires what is due, delivers what is due.
  // Runs exclusively with run()'s own firing and the dispatcher's own passes. Throws
  // StorageError.
  // REQUIRES: simulated(), target >= clock().now().
  boost::asio::awaitable<AdvanceReport> advance_to(TimePoint target);

 private:
  // One look at the clock: its second, and on the real clock how far the system time is into
  // it (none on a simulated clock: its whole second is reached).
  struct Reading {
    TimePoint now{};
    std::optional<std::chrono::microseconds> into;
    std::chrono::milliseconds within() const;  // for the due query (timer_store.h is_due)
  };
  struct Firing {
    int timers = 0;
    int messages = 0;
    Reading looked;  // the clock of the last look for due timers
    // The next pending timer not held back, read with the last batch when that one took every
    // timer due (none when it was not read there).
    std::optional<std::optional<TimerRecord>> next;
  };
  Reading read_clock() const;
  boost::asio::awaitable<void> lock();
  // How long run() sleeps before `next` falls due (sleep_before_due at the clock's reading).
  std::chrono::microseconds sleep_until_due(const TimerRecord& next) const;
  static void log_fired(const FiredTimer& fired, TimePoint now);
  // The timers that failed alone and wait for their retry (held_back_ after pruning).
  std::set<std::int64_t> held_back_now();
  void unlock();
  // Fires every timer due at clock_.now(), one transaction each, earliest first.
  boost::asio::awaitable<Firing> fire_due(Heartbeat* heartbeat);
  boost::asio::awaitable<int> seed(TimePoint now);
  // advance_to(): delivers what is due at `now`; returns when the outbox next has a message due.
  boost::asio::awaitable<std::optional<TimePoint>> deliver_at_stop(TimePoint now,
                                                                   AdvanceReport& report);

  StorageExecutor& storage_;
  const Clock& clock_;
  SimulatedClock* simulated_;
  ConfigSource config_;
  CalendarSource calendar_;
  std::function<void()> outbox_changed_;
  Heartbeat* heartbeat_;
  AdvanceDelivery* delivery_ = nullptr;
  AdvanceIntake* intake_ = nullptr;
  std::function<void()> on_fired_;
  std::function<bool()> leads_;  // set_seeding_gate

  boost::asio::steady_timer timer_;
  bool woken_ = false;  // a wake() that came while not sleeping is not lost
  bool reseed_ = true;  // seed on the first turn
  std::optional<Date> seeded_on_;
  // Timers whose firing failed alone, with when they may be tried again (steady clock).
  std::map<std::int64_t, std::chrono::steady_clock::time_point> held_back_;
  // Firing is exclusive between run() and advance_to(): they take turns, in arrival order.
  LoopMutex mutex_;
};

// One message the dry run would have queued.
struct DryRunMessage {
  TimePoint at{};          // when it would be queued (the firing instant)
  std::string timer_kind;  // reminder | due | escalation (the timer that produced it)
  std::string step;
  int rung = 0;
  std::optional<std::int64_t> case_id;
  std::string channel;
  std::string recipient;  // phone numbers masked
  std::string message_type;
  std::map<std::string, std::string> params;  // the message's params (already masked)
  std::string text;                           // rendered with the configured templates
  std::string dedupe_key;
};

struct DryRunResult {
  TimePoint from{};
  TimePoint to{};
  int timers_fired = 0;
  std::vector<DryRunMessage> messages;  // in the order they would be queued (date order)
};

// Seeds and fires, on `session`, everything from `from` through `to` as advance_to() would on a
// simulated clock, inside one transaction that is rolled back before returning. Throws
// StorageError. REQUIRES: from <= to; no transaction open on `session`.
DryRunResult simulate_span(soci::session& session, const Config& config,
                           const WorkingDayCalendar& calendar, TimePoint from, TimePoint to);

// How long run() sleeps before a timer due at millisecond `due_within` of second `due`, when the
// clock reads `now` and, on the real clock, the system time is `into` past that second's start
// (nullopt: a simulated clock, where a timer of second S is due when it reads S). Zero when
// due; else until then (on the real clock to the microsecond: the due millisecond, not the
// second's start), at least 200 us (never spin on the edge between the steady and system
// clocks), at most a minute (the heartbeat; the clock may jump).
std::chrono::microseconds sleep_before_due(TimePoint due, std::chrono::milliseconds due_within,
                                           TimePoint now,
                                           std::optional<std::chrono::microseconds> into);

// The next China midnight strictly after `t`.
TimePoint next_china_midnight(TimePoint t);

}  // namespace fangfan
