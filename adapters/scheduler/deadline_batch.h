// The deadline hook (timer_firing.h make_timer_hook) for many case changes in one transaction
// (issue 15: bulk opening). add() does for a change what the hook does, with the change's duty
// openings held (duty_writer.h DutySink); flush() writes every held opening at once: all their
// duties in one multi-row statement per 64 rows, then all their timers. The rows are the same,
// ids and payloads included, as the hook run for each change in turn: a change of a case whose
// openings are held flushes first (its plan reads the case's duties), and a change that closes a
// duty or raises an alert (which opens a duty of its own) flushes first and is written at once.
//
// Use: one DeadlineBatch per transaction; add() each accepted change in the order written,
// flush() before commit. What is held is lost if the caller does not flush: the transaction then
// commits cases without their deadlines. Errors: StorageError, ScheduleError (a missing calendar
// year, as the hook); either leaves the transaction to be rolled back.
// Thread-safety: one thread at a time, with one session.
#pragma once

#include <soci/soci.h>

#include <memory>

#include "adapters/config/config.h"
#include "adapters/scheduler/duty_writer.h"
#include "adapters/storage/case_repository.h"
#include "workflows/calendar.h"

namespace fangfan {

namespace scheduler_detail {
// The hook's work for one change: plan (workflows/duty_plan.h), write, raise the case's alerts;
// with `sink`, openings held as above.
void apply_case_deadlines(soci::session& session, const Config& config,
                          const WorkingDayCalendar& calendar, const CaseChange& change,
                          DutySink* sink);
}  // namespace scheduler_detail

class DeadlineBatch {
 public:
  DeadlineBatch(std::shared_ptr<const Config> config,
                std::shared_ptr<const WorkingDayCalendar> calendar)
      : config_(std::move(config)), calendar_(std::move(calendar)) {}

  void add(soci::session& session, const CaseChange& change) {
    scheduler_detail::apply_case_deadlines(session, *config_, *calendar_, change, &sink_);
  }

  // Writes what is held; returns how many timers that scheduled.
  int flush(soci::session& session) { return scheduler_detail::flush_duties(session, sink_); }

  // Openings held, not yet written.
  std::size_t held() const { return sink_.opens.size(); }

 private:
  std::shared_ptr<const Config> config_;
  std::shared_ptr<const WorkingDayCalendar> calendar_;
  scheduler_detail::DutySink sink_;
};

}  // namespace fangfan
