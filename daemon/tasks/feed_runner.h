// The daemon's department-feed task: takes each period's data in when it is due (adapters/feeds).
//
// A period is due while its feed duty is open (opened by the FeedDue timer at the schedule's day
// and hour; adapters/scheduler). The runner looks for its data — the drop folder's file, or the
// HTTP pull — at once and then every poll_minutes of the clock, until it is taken:
//   found      -> one run (adapters/feeds/feed_intake.h) in chunks on the storage pool, each its
//                 own transaction, yielding between them (timers and the API run meanwhile); a
//                 drop-folder file is then moved to the processed folder. A run that finished
//                 (done, failed on a bad file, or the same data as before) moves its file; a
//                 storage failure fails the run at once (FeedIntake::abandon; nothing it applied
//                 is withdrawn or doubled) and leaves the file for the next look.
//   not found  -> the first time, the duty's ladder timers are scheduled (the department clerk
//   (or a       is told, then the ladder climbs; the scheduler fires them); looked for again
//   failed pull) later. A late file is taken then and closes the duty.
// A list's answer (a kind = "feedback" feed) is due while the list's feedback duty
// ("feedback/<list>/<period>", opened when the list is sent) is open: the feed answering that list
// is looked for with {period} the list's "YYYY-MM-DD", and taken like any feed (the run closes
// the duty). Not found: nothing more (the duty's own timers remind and climb its ladder).
// On a simulated clock the looks happen at every stop of Scheduler::advance_to (AdvanceIntake);
// on the real clock every 30 s and when woken.
//
// Out of schedule: run_now() takes a period's data now (fangfanctl feed run), fix() re-applies a
// corrected file for a run's bad rows (fangfanctl feed fix). Both wait for a run in progress of
// the same feed (one run per feed at a time).
//
// Restart: runs left "running" by a crash are marked failed at start (fail_abandoned_feed_runs);
// their file is still in the drop folder and is taken again (what was applied is not doubled).
// On PostgreSQL (several daemons) only runs started over 30 minutes ago, at start and at every
// look: a younger one may be another live daemon's upload.
//
// Thread-safety: lives on the loop thread; every method is called there. Sources must outlive it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "adapters/config/config.h"
#include "adapters/feeds/feed_intake.h"
#include "adapters/http/http_client.h"
#include "adapters/storage/case_repository.h"
#include "daemon/tasks/advance_intake.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/calendar.h"
#include "workflows/clock.h"

namespace fangfan {

class Heartbeat;

class FeedRunner : public AdvanceIntake {
 public:
  using ConfigSource = std::function<std::shared_ptr<const Config>()>;
  using CalendarSource = std::function<std::shared_ptr<const WorkingDayCalendar>()>;

  // `changed` is called when a run or a look queued messages or timers (wake the scheduler and
  // the dispatcher). `http` may be null when no feed pulls over HTTP.
  FeedRunner(boost::asio::any_io_executor loop, StorageExecutor& storage, const Clock& clock,
             ConfigSource config, CalendarSource calendar, const CaseWriter& writer,
             HttpClient* http, std::function<void()> changed, Heartbeat* heartbeat = nullptr);

  // Runs until cancelled: fails abandoned runs, then looks at what is due every 30 s.
  boost::asio::awaitable<void> run();
  void wake();

  boost::asio::awaitable<int> look_due() override;

  // Takes `feed`'s data for `period` now (the drop folder's file or a pull); nullopt when there
  // is none yet (the sentence in `why`).
  boost::asio::awaitable<std::optional<IntakeReport>> run_now(std::string feed, std::string period,
                                                              std::string actor, std::string& why);
  // Re-applies `bytes` (a corrected file) for the bad rows of run `run_id`.
  boost::asio::awaitable<IntakeReport> fix(std::int64_t run_id, std::string file_name,
                                           std::string bytes, std::string actor);

 private:
  struct Turn;
  // One look at an open feed duty; returns timers scheduled.
  boost::asio::awaitable<int> look(std::int64_t duty_id, std::string feed, std::string period,
                                   bool force);
  boost::asio::awaitable<IntakeReport> take(std::shared_ptr<const Config> config, std::string feed,
                                            std::string period, FeedInput input,
                                            IntakeOptions options);
  boost::asio::awaitable<void> lock_feed(const std::string& feed);
  void unlock_feed(const std::string& feed);

  boost::asio::any_io_executor loop_;
  StorageExecutor& storage_;
  const Clock& clock_;
  ConfigSource config_;
  CalendarSource calendar_;
  const CaseWriter& writer_;
  HttpClient* http_;
  std::function<void()> changed_;
  Heartbeat* heartbeat_;
  boost::asio::steady_timer timer_;
  std::map<std::int64_t, TimePoint> looked_at_;  // duty id -> the clock's time of its last look
  std::set<std::string> busy_;                   // feeds with a run in progress
  bool woken_ = false;
};

}  // namespace fangfan
