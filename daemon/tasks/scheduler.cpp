// GCC 12.2 misreports Asio's coroutine frames (class-specific operator new/delete) as
// -Wmismatched-new-delete at -O2 (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/tasks/scheduler.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/clock/system_clock.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/outbox_store.h"
#include "adapters/storage/timer_store.h"
#include "daemon/ctl/ctl_http.h"
#include "daemon/tasks/health.h"
#include "workflows/date.h"
#include "workflows/message_templates.h"

namespace fangfan {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr std::chrono::seconds kMaxSleep{60};
// The shortest sleep before a timer that is not yet due on the clock: the steady and system
// clocks may disagree by a few microseconds at the second's edge; never spin on that.
constexpr std::chrono::microseconds kMinSleep{200};
// A timer due now that this turn could not take: another daemon on the same PostgreSQL holds it
// in its firing batch (SKIP LOCKED). Look again after a short pause, not at once: that daemon
// commits within a batch's time, and an immediate retry would spin the loop until it does.
constexpr std::chrono::milliseconds kTakenElsewhere{50};
constexpr std::chrono::seconds kStorageRetry{5};
constexpr std::chrono::seconds kFailureRetry{60};
// Timers fired in one transaction (one commit), and between two looks at the rest of the loop
// (after downtime thousands fall due). The write lock is held for one batch at a time.
constexpr int kFiringBatch = 256;

bool cancelled(asio::cancellation_state cs) {
  return cs.cancelled() != asio::cancellation_type::none;
}

// The earliest pending timer that is not held back after a failure: what run() sleeps until.
std::optional<TimerRecord> next_pending(soci::session& s, const std::set<std::int64_t>& held,
                                        TimePoint horizon) {
  if (held.empty()) return next_due_timer(s);
  for (TimerRecord& t : due_timers(s, horizon, static_cast<int>(held.size()) + 1)) {
    if (!held.contains(t.id)) return std::optional<TimerRecord>(std::move(t));
  }
  return std::nullopt;
}

// How far ahead next_pending() looks past held-back timers.
constexpr std::chrono::days kHorizon{3660};

std::map<std::string, std::string> body_params(const std::string& body) {
  std::map<std::string, std::string> params;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return params;
  for (const auto& [key, value] : v.get_object()) {
    params[std::string(key)] =
        value.is_string() ? std::string(value.get_string()) : boost::json::serialize(value);
  }
  return params;
}

}  // namespace

TimePoint next_china_midnight(TimePoint t) {
  return china_time(china_date(t) + std::chrono::days{1});
}

Scheduler::Scheduler(asio::any_io_executor loop, StorageExecutor& storage, const Clock& clock,
                     SimulatedClock* simulated, ConfigSource config, CalendarSource calendar,
                     std::function<void()> outbox_changed, Heartbeat* heartbeat)
    : storage_(storage),
      clock_(clock),
      simulated_(simulated),
      config_(std::move(config)),
      calendar_(std::move(calendar)),
      outbox_changed_(std::move(outbox_changed)),
      heartbeat_(heartbeat),
      timer_(loop) {}

void Scheduler::wake() {
  woken_ = true;
  timer_.cancel();
}

void Scheduler::reseed() {
  reseed_ = true;
  wake();
}

awaitable<void> Scheduler::lock() { return mutex_.lock(); }

void Scheduler::unlock() { mutex_.unlock(); }

awaitable<int> Scheduler::seed(TimePoint now) {
  auto config = config_();
  auto calendar = calendar_();
  auto work = [config, calendar, now](soci::session& s) {
    return ensure_recurring_timers(s, *config, *calendar, now);
  };
  const int added = co_await storage_.run(std::move(work));
  seeded_on_ = china_date(now);
  if (added > 0)
    spdlog::info("scheduler.seeded timers={} date={}", added, format_date(*seeded_on_));
  co_return added;
}

void Scheduler::log_fired(const FiredTimer& fired, TimePoint now) {
  spdlog::info(
      "scheduler.fired timer={} kind={} step={} rung={} case={} late_seconds={} type={} "
      "messages={}{}{}",
      fired.timer.id, fired.timer.kind, fired.timer.step, fired.timer.rung,
      fired.timer.case_id ? std::to_string(*fired.timer.case_id) : "-",
      (now - fired.timer.due_at).count(), fired.message_type.empty() ? "-" : fired.message_type,
      fired.outbox_ids.size(), fired.skipped.empty() ? "" : " skipped=\"",
      fired.skipped.empty() ? "" : fired.skipped + "\"");
}

std::set<std::int64_t> Scheduler::held_back_now() {
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(held_back_, [now](const auto& held) { return held.second <= now; });
  std::set<std::int64_t> ids;
  for (const auto& [id, until] : held_back_) ids.insert(id);
  return ids;
}

Scheduler::Reading Scheduler::read_clock() const {
  if (simulated_ != nullptr) return {clock_.now(), std::nullopt};
  // now() and the sub-second part are two reads of the system time: both must fall in one
  // second, else a now of S with the millisecond of S+1 would fire S+1's early timers a second
  // early (or a millisecond of S with a now of S+1 those of S late). Read again on a crossing.
  for (;;) {
    const std::chrono::microseconds before = SystemClock::into_second();
    const TimePoint now = clock_.now();
    const std::chrono::microseconds after = SystemClock::into_second();
    if (after >= before) return {now, after};
  }
}

std::chrono::milliseconds Scheduler::Reading::within() const {
  return into ? std::chrono::floor<std::chrono::milliseconds>(*into) : kWholeSecond;
}

awaitable<Scheduler::Firing> Scheduler::fire_due(Heartbeat* heartbeat) {
  Firing total;
  auto config = config_();
  auto calendar = calendar_();
  for (;;) {
    const Reading reading = read_clock();
    total.looked = reading;
    const TimePoint now = reading.now;
    // A batch that took every timer due (fewer than a full batch, none failed) also reads the
    // next pending one in the same storage turn: at 2,000 timers a second run() goes round
    // every millisecond or two, and each hop to the storage thread and back is a wake-up.
    struct Turn {
      FiringBatch batch;
      std::optional<std::optional<TimerRecord>> next;
    };
    auto fire = [config, calendar, now, within = reading.within(), held = held_back_now(),
                 horizon = now + kHorizon](soci::session& s) {
      Turn turn;
      turn.batch = fire_due_batch(s, *config, *calendar, now, kFiringBatch, held, within);
      if (turn.batch.claimed < kFiringBatch && turn.batch.failed.empty()) {
        turn.next = next_pending(s, held, horizon);
      }
      return turn;
    };
    Turn turn = co_await storage_.run(std::move(fire));
    FiringBatch& batch = turn.batch;
    total.next = std::move(turn.next);
    for (const FiredTimer& fired : batch.fired) {
      ++total.timers;
      total.messages += static_cast<int>(fired.outbox_ids.size());
      log_fired(fired, now);
    }
    // A timer that failed in the batch was rolled back alone; it gets its own transaction
    // now, and if it fails again it waits kFailureRetry while the others fire on.
    for (const FailedTimer& failed : batch.failed) {
      const std::int64_t id = failed.timer.id;
      auto alone = [config, calendar, now, id](soci::session& s) {
        return fire_timer_alone(s, *config, *calendar, id, now);
      };
      std::optional<FiredTimer> fired;
      try {
        fired = co_await storage_.run(std::move(alone));
      } catch (const StorageError& e) {
        // Lost connection or lock: the run loop's storage retry. Anything else is this timer's
        // own data (e.g. a case that cannot be read): hold it back.
        if (e.kind() == StorageError::Kind::kUnavailable || e.kind() == StorageError::Kind::kOpen) {
          throw;
        }
        spdlog::error("scheduler.firing_failed timer={} error=\"{}\" retry_in_seconds={}", id,
                      e.what(), kFailureRetry.count());
        held_back_[id] = std::chrono::steady_clock::now() + kFailureRetry;
        continue;
      } catch (const std::exception& e) {
        spdlog::error("scheduler.firing_failed timer={} error=\"{}\" retry_in_seconds={}", id,
                      e.what(), kFailureRetry.count());
        held_back_[id] = std::chrono::steady_clock::now() + kFailureRetry;
        continue;
      }
      if (!fired) continue;
      ++total.timers;
      total.messages += static_cast<int>(fired->outbox_ids.size());
      log_fired(*fired, now);
    }
    // Everything due at this look was taken: what fell due since is the next turn's.
    if (batch.claimed == 0 || total.next) break;
    if (heartbeat) heartbeat->beat();
    if (total.messages > 0 && outbox_changed_) outbox_changed_();
    // Between batches the rest of the loop (API, watchdog) runs.
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    if (cancelled(co_await asio::this_coro::cancellation_state)) break;
  }
  if (total.messages > 0 && outbox_changed_) outbox_changed_();
  if (total.timers > 0 && on_fired_) on_fired_();
  co_return total;
}

std::chrono::microseconds sleep_before_due(TimePoint due, std::chrono::milliseconds due_within,
                                           TimePoint now,
                                           std::optional<std::chrono::microseconds> into) {
  using std::chrono::microseconds;
  const auto ahead = due - now;  // whole seconds on the clock in use
  if (!into) {
    // A simulated clock moves only by advance_to(): a timer of second S is due when it reads
    // S, and the sleep before is only the heartbeat's.
    if (ahead <= std::chrono::seconds{0}) return microseconds{0};
    return std::min<microseconds>(ahead, kMaxSleep);
  }
  // The real clock reads whole seconds (floor of the system time): sleep to the instant the
  // system time reaches the due second's millisecond, not a whole number of seconds from a
  // truncated now (which woke up to a second late), nor to the second's start (where the
  // second's timers would all fall due at once).
  const microseconds left = std::chrono::duration_cast<microseconds>(ahead) + due_within - *into;
  if (left <= microseconds{0}) return microseconds{0};
  return std::clamp(left, kMinSleep, microseconds{kMaxSleep});
}

std::chrono::microseconds Scheduler::sleep_until_due(const TimerRecord& next) const {
  const Reading reading = read_clock();
  return sleep_before_due(next.due_at, next.due_within, reading.now, reading.into);
}

awaitable<void> Scheduler::run() {
  for (;;) {
    woken_ = false;
    if (heartbeat_) heartbeat_->beat();
    std::chrono::microseconds sleep = kMaxSleep;
    try {
      co_await lock();
      try {
        const TimePoint now = clock_.now();
        if ((reseed_ || seeded_on_ != china_date(now)) && (!leads_ || leads_())) {
          try {
            co_await seed(now);
            reseed_ = false;
          } catch (const StorageError&) {
            throw;
          } catch (const std::exception& e) {
            // Seeding is retried at the next turn; firing what exists must not wait for it.
            spdlog::error("scheduler.seed_failed error=\"{}\"", e.what());
          }
        }
        const Firing fired = co_await fire_due(heartbeat_);
        std::optional<TimerRecord> next;
        if (fired.next) {
          next = *fired.next;  // read with the last batch
        } else {
          auto next_work = [held = held_back_now(), horizon = clock_.now() + kHorizon](
                               soci::session& s) { return next_pending(s, held, horizon); };
          next = co_await storage_.run(std::move(next_work));
        }
        if (next) sleep = sleep_until_due(*next);
        // Due already when the firing looked, yet not fired: another daemon holds it. (One that
        // fell due since, a millisecond later, is fired at once on the next turn.)
        if (next && sleep.count() == 0 && fired.timers == 0 &&
            is_due(*next, fired.looked.now, fired.looked.within())) {
          sleep = kTakenElsewhere;
        }
        if (!held_back_.empty()) {
          auto until = std::chrono::steady_clock::time_point::max();
          for (const auto& [id, at] : held_back_) until = std::min(until, at);
          sleep = std::clamp(std::chrono::ceil<std::chrono::microseconds>(
                                 until - std::chrono::steady_clock::now()),
                             std::chrono::microseconds{0}, sleep);
        }
      } catch (...) {
        unlock();
        throw;
      }
      unlock();
    } catch (const StorageError& e) {
      // The timers stay pending; the transaction that failed left nothing behind.
      spdlog::error("scheduler.storage_error error=\"{}\" retry_in_seconds={}", e.what(),
                    kStorageRetry.count());
      sleep = kStorageRetry;
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) co_return;
      throw;
    } catch (const std::exception& e) {
      // A firing that fails on its own data would fail again at once: pause longer.
      spdlog::error("scheduler.firing_failed error=\"{}\" retry_in_seconds={}", e.what(),
                    kFailureRetry.count());
      sleep = kFailureRetry;
    }
    if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
    if (woken_ || sleep.count() == 0) continue;
    timer_.expires_after(sleep);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));  // woken or timed out
    if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
  }
}

awaitable<AdvanceReport> Scheduler::advance_to(TimePoint target) {
  AdvanceReport report;
  co_await lock();
  bool paused = false;
  try {
    if (delivery_) {
      co_await delivery_->pause();
      paused = true;
    }
    report.from = clock_.now();
    for (;;) {
      const TimePoint now = clock_.now();
      if (reseed_ || seeded_on_ != china_date(now)) {
        report.recurring_seeded += co_await seed(now);
        reseed_ = false;
      }
      Firing f = co_await fire_due(nullptr);
      report.timers_fired += f.timers;
      report.messages_queued += f.messages;
      // Department data due now is looked for before anything is delivered: a file already
      // there is taken, a missing one starts its ladder, whose first rung fires at this stop
      // (also when the feed runner's own loop started it meanwhile: fire whatever is due).
      if (intake_) {
        co_await intake_->look_due();
        f = co_await fire_due(nullptr);
        report.timers_fired += f.timers;
        report.messages_queued += f.messages;
      }
      std::optional<TimePoint> next_message;
      if (delivery_) next_message = co_await deliver_at_stop(now, report);
      if (now >= target) break;
      auto next_work = [](soci::session& s) { return next_due_timer(s); };
      auto next = co_await storage_.run(std::move(next_work));
      // A timer due now that did not fire (cancelled meanwhile) must not stall the advance.
      TimePoint stop = std::min(target, next_china_midnight(now));
      if (next && next->due_at > now) stop = std::min(stop, next->due_at);
      if (next_message && *next_message > now) stop = std::min(stop, *next_message);
      if (stop > now) simulated_->advance(stop - now);
    }
    report.to = clock_.now();
  } catch (...) {
    if (paused) delivery_->resume();
    unlock();
    throw;
  }
  if (paused) delivery_->resume();
  unlock();
  if (report.timers_fired > 0) {
    spdlog::info("scheduler.advanced from={} to={} timers={} messages={} delivery_passes={}",
                 format_time(report.from), format_time(report.to), report.timers_fired,
                 report.messages_queued, report.delivery_passes);
  }
  // Both sleep on the steady clock: let them look at the new time (a message held for quiet
  // hours or a digest may be due now even when nothing fired).
  wake();
  if (outbox_changed_) outbox_changed_();
  co_return report;
}

awaitable<std::optional<TimePoint>> Scheduler::deliver_at_stop(TimePoint now,
                                                               AdvanceReport& report) {
  // A pass can queue messages due at once (a digest, a copy on the next channel, a dead-letter
  // notice): a few more passes send them at this instant. Bounded, so a message that stays due
  // without being taken (it cannot: each pass defers, claims or skips it) cannot stall the
  // advance.
  constexpr int kPassesPerStop = 4;
  std::optional<TimePoint> next;
  for (int pass = 0; pass < kPassesPerStop; ++pass) {
    try {
      co_await delivery_->deliver_due();
      ++report.delivery_passes;
      auto read_next = [](soci::session& s) { return next_outbox_attempt(s); };
      next = co_await storage_.run(read_next);
    } catch (const StorageError& e) {
      // The messages stay queued; the dispatcher's own loop sends them after the advance.
      spdlog::error("scheduler.delivery_failed at={} error=\"{}\"", format_time(now), e.what());
      co_return std::nullopt;
    }
    if (!next || *next > now) break;
  }
  co_return next;
}

DryRunResult simulate_span(soci::session& session, const Config& config,
                           const WorkingDayCalendar& calendar, TimePoint from, TimePoint to) {
  DryRunResult result;
  result.from = from;
  result.to = to;
  // Never committed: the destructor rolls everything back, whatever happens.
  WriteTransaction tx(session);
  TimePoint now = from;
  std::optional<Date> seeded_on;
  for (;;) {
    if (seeded_on != china_date(now)) {
      ensure_recurring_timers_in(session, config, calendar, now);
      seeded_on = china_date(now);
    }
    for (;;) {
      auto fired = fire_next_due_timer_in(session, config, calendar, now);
      if (!fired) break;
      ++result.timers_fired;
      // outbox_ids are the rows this firing inserted (a deduped row is not among them).
      for (std::int64_t id : fired->outbox_ids) {
        auto row = load_outbox(session, id);
        if (!row) continue;
        DryRunMessage m;
        m.at = now;
        m.timer_kind = fired->timer.kind;
        m.step = fired->timer.step;
        m.rung = fired->timer.rung;
        m.case_id = row->case_id;
        m.channel = row->channel;
        m.recipient = mask_staff_recipient(row->recipient);
        m.message_type = row->message_type;
        m.params = body_params(row->body);
        m.text = m.params.empty() ? row->body
                                  : render_message(row->message_type, m.params, config.templates);
        m.dedupe_key = row->dedupe_key;
        result.messages.push_back(std::move(m));
      }
    }
    if (now >= to) break;
    auto next = next_due_timer(session);
    TimePoint stop = std::min(to, next_china_midnight(now));
    if (next && next->due_at > now) stop = std::min(stop, next->due_at);
    now = stop;
  }
  return result;
}

}  // namespace fangfan
