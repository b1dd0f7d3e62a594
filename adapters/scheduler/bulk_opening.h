// Bulk opening on two cores (issue 15): the deadline hook for many case changes in one
// transaction, as DeadlineBatch (deadline_batch.h) does it, with the pure half of the work
// (workflows/duty_plan.h's plan, the alert check, each timer's dedupe key and payload text) done
// on a planning thread of its own while the caller's thread (the writer, with the session) writes
// the cases and what was planned before. SQLite has one writer: what leaves its thread is what
// lets a create run faster than one core.
//
// The rows are DeadlineBatch's, ids and payloads included: changes are planned in batches of
// kChunk and written in the order added; the openings of consecutive plans are held and their
// timers written together (in due order, timer_batch.h) at the points where DeadlineBatch flushes
// (a change of a case held, a plan that closes a duty, an alert, flush()). What a plan reads of
// the database (the case's duties) is read by add(), on the writer's session, after every earlier
// change of that case was written. A plan's own writes (its duties, timers, the duty officer, a
// calendar gap's messages, alerts) happen after add() returns, in the order added, at the latest
// in flush(): the caller's own writes in between must not be to duties, timers or the outbox
// (writing cases, households, history is what it is for).
//
// Use: construct once (it starts the planning thread; the destructor stops it); per transaction
// add() each accepted change, flush() before commit. Errors: StorageError, ScheduleError (a
// missing calendar year), from add() or flush() when the change's turn to be written comes
// (possibly a later call than the change's own add()): the transaction is then to be rolled back
// and discard() called before the next one. What is not flushed is lost, as with DeadlineBatch.
// Thread-safety: add(), flush(), discard() from one thread at a time, with one session.
#pragma once

#include <soci/soci.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/scheduler/duty_writer.h"
#include "adapters/storage/case_repository.h"
#include "workflows/calendar.h"

namespace fangfan {

class BulkOpening {
 public:
  static constexpr std::size_t kChunk = 64;  // changes planned together

  BulkOpening(std::shared_ptr<const Config> config,
              std::shared_ptr<const WorkingDayCalendar> calendar);
  ~BulkOpening();
  BulkOpening(const BulkOpening&) = delete;
  BulkOpening& operator=(const BulkOpening&) = delete;

  // Queues `change` (its case row written in this transaction) for planning; writes what was
  // planned before it. Waits for the planner only when an earlier change of the same case is not
  // written yet or held, or when kQueued batches are waiting for it.
  void add(soci::session& session, CaseChange change);
  // Writes everything queued (waiting for its planning); returns how many timers the plans
  // written since the last flush() scheduled (an alert's own review duty not counted).
  int flush(soci::session& session);
  // Drops everything queued or held (after an error, with the transaction rolled back).
  void discard();

  struct Chunk;  // a batch of changes and what was planned for them (bulk_opening.cpp)

 private:
  static constexpr std::size_t kQueued = 8;  // chunks queued before add() waits for the planner

  void submit();  // the current chunk to the planner
  // Writes the planned chunks at the queue's front, in order; waits for planning while more than
  // `keep` are queued.
  void write_planned(soci::session& session, std::size_t keep);
  void write_chunk(soci::session& session, Chunk& chunk);
  // The duties of the chunk's openings of its first `items` changes not written yet; their timers
  // (payloads completed with the duties' ids) join the held ones.
  void write_duties(soci::session& session, Chunk& chunk, std::size_t items);
  void write_held(soci::session& session);  // the held timers and closings (flush_duties)
  void plan_loop();

  std::shared_ptr<const Config> config_;
  std::shared_ptr<const WorkingDayCalendar> calendar_;

  // The writer's side.
  std::unique_ptr<Chunk> current_;                   // being filled by add()
  std::unordered_map<std::int64_t, int> unwritten_;  // changes added, not written, per case
  std::set<std::int64_t> held_cases_;                // cases of the held plans (DutySink::cases)
  std::size_t held_opens_ = 0;                       // openings held (DutySink::opens.size())
  scheduler_detail::TimerRows held_;                 // their timers, payloads complete
  std::vector<DutyRecord> held_closes_;              // held openings to close at once, in order
  int scheduled_ = 0;

  // Shared with the planning thread, under mutex_.
  std::mutex mutex_;
  std::condition_variable wake_planner_, wake_writer_;
  std::deque<std::unique_ptr<Chunk>> queue_;   // submitted, in order; planned ones first
  std::size_t planned_ = 0;                    // how many at the queue's front are planned
  std::vector<std::unique_ptr<Chunk>> spare_;  // written chunks, for reuse (their buffers)
  bool planning_ = false;                      // the planner is at queue_[planned_]
  bool stop_ = false;
  std::thread planner_;
};

}  // namespace fangfan
