// The daemon's department-list task: produces and sends each list when its period falls due
// (daemon/tasks/list_production.h does one list on the storage pool).
//
// The monthly report workbooks go the same way: each open report duty
// ("report/<schedule>/<period>", opened by its ReportDue timer) due at now is produced after the
// lists (daemon/tasks/report_production.h).
//
// A period is due while its list duty ("list/<list>/<period>") is open: the ListDue timer opens
// it at the schedule's day and hour (adapters/scheduler), also late, once, for a period missed
// while the daemon was down. The runner produces every open list duty due at the clock's now,
// one at a time, each in its own storage work: the files, then one transaction (the list, its
// outbox messages, the feedback duty, the list duty closed). A failure (a file that cannot be
// written, storage) leaves the duty open: it is tried again at the next look.
// On a simulated clock the looks happen at every stop of Scheduler::advance_to (AdvanceIntake);
// on the real clock every 30 s and when woken (the scheduler wakes it after firing timers).
//
// Thread-safety: lives on the loop thread; every method is called there. Sources must outlive it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "adapters/config/config.h"
#include "daemon/tasks/advance_intake.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/calendar.h"
#include "workflows/clock.h"

namespace fangfan {

class Heartbeat;

class ListRunner : public AdvanceIntake {
 public:
  using ConfigSource = std::function<std::shared_ptr<const Config>()>;
  using CalendarSource = std::function<std::shared_ptr<const WorkingDayCalendar>()>;

  // `changed` is called when lists were produced (messages and timers queued: wake the
  // scheduler and the dispatcher).
  ListRunner(boost::asio::any_io_executor loop, StorageExecutor& storage, const Clock& clock,
             ConfigSource config, CalendarSource calendar, std::function<void()> changed,
             Heartbeat* heartbeat = nullptr);

  // Runs until cancelled: produces what is due every 30 s and when woken.
  boost::asio::awaitable<void> run();
  void wake();

  // Produces every list due at the clock's now; returns the timers that scheduled (the feedback
  // duties').
  boost::asio::awaitable<int> look_due() override;

 private:
  boost::asio::any_io_executor loop_;
  StorageExecutor& storage_;
  const Clock& clock_;
  ConfigSource config_;
  CalendarSource calendar_;
  std::function<void()> changed_;
  Heartbeat* heartbeat_;
  boost::asio::steady_timer timer_;
  bool woken_ = false;
  bool busy_ = false;  // a look in progress (the runner's own or a simulated advance's)
};

}  // namespace fangfan
