// Bulk opening: many timers, or many duties, written by one multi-row INSERT instead of one
// statement per row (a case's opening writes about three duties and eleven timers; per-row
// statements cost more in statement overhead than in the rows themselves).
//
// Same semantics as schedule_timer() / open_duty(), row by row, in the order given: a dedupe_key
// (duty_key) that exists already, or that an earlier row of the same call carries, inserts
// nothing, and its result names the existing row's id with inserted = false. Results come back
// in the order of the input, one per row. Rows go out in statements of at most 64 rows (each
// statement's text kept prepared per session, prepared.h), and the ids of keys that existed are
// read back in one query (the engine of multi_row_insert.h); works on SQLite and PostgreSQL
// (INSERT ... VALUES (...), (...) ON CONFLICT DO NOTHING RETURNING).
//
// Errors: StorageError (see database.h); a failed call may have written some of its statements:
// run it inside the caller's transaction (or savepoint), as every store call.
// Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "adapters/storage/duty_store.h"
#include "adapters/storage/timer_store.h"

namespace fangfan {

// A timer for schedule_timers(): stored pending, or already fired at `fired_at` when given (an
// escalation rung whose instant had passed when its duty opened: it exists so that it is never
// scheduled again, and nothing is sent for it).
struct TimerToStore {
  NewTimer timer;
  std::optional<TimePoint> fired_at;
};

// schedule_timer() for each row, in few statements. The pointer forms take the first `n` rows
// at `timers` (a writer's reused buffer, duty_writer.cpp).
std::vector<ScheduleResult> schedule_timers(soci::session& session,
                                            const std::vector<TimerToStore>& timers);
std::vector<ScheduleResult> schedule_timers(soci::session& session, const TimerToStore* timers,
                                            std::size_t n);

// schedule_timers() for a caller that needs no ids: how many rows were new (the rest existed, or
// repeated an earlier row's key). Reads nothing back. The rows are stored in due order (stable:
// among rows due at one instant, the call's), so that the timers one burst fires share pages;
// when two rows carry one key, in the call's order (its first row is the one stored).
int schedule_new_timers(soci::session& session, const std::vector<TimerToStore>& timers);
int schedule_new_timers(soci::session& session, const TimerToStore* timers, std::size_t n);

// open_duty() for each row, in few statements.
std::vector<OpenDutyResult> open_duties(soci::session& session, const std::vector<NewDuty>& duties);

// open_or_reopen_duty() for each row: the duty as stored when it was opened (or reopened, when
// its key existed cancelled) now, nullopt when its key exists open or done, or when an earlier
// row of the call opened it.
std::vector<std::optional<DutyRecord>> open_or_reopen_duties(soci::session& session,
                                                             const std::vector<NewDuty>& duties);
// The same for a writer that needs only the stored duties' ids (no row copied or read back for
// a new duty): the id where open_or_reopen_duties() gives a duty, else nullopt.
std::vector<std::optional<std::int64_t>> open_or_reopen_duty_ids(
    soci::session& session, const std::vector<const NewDuty*>& duties);

// `duty` as a row opened now under `id` holds it (state open), without reading it back.
DutyRecord opened_duty_record(const NewDuty& duty, std::int64_t id);

}  // namespace fangfan
