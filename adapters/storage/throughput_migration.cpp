// -- issue 15 (throughput and several daemons on one PostgreSQL): the schema changes of that
// issue, in order, appended to the list after every earlier migration. Conventions:
// migrations.cpp. A new migration of this issue goes at the end of this function.
#include <vector>

#include "adapters/storage/migration_sql.h"

namespace fangfan::migration_sql {

void add_throughput_migrations(std::vector<Migration>& list) {
  // -- issue 15: several daemons on one PostgreSQL. A claimed ("sending") message records the
  // daemon that holds it and until when (epoch seconds), so a starting daemon takes back only
  // its own previous life's sends and those whose lease ran out, never a live neighbour's.
  // Rows claimed before stay NULL: held by nobody known (taken back at start, as before).
  list.push_back({static_cast<int>(list.size()) + 1,
                  "outbox claim lease",
                  {both("ALTER TABLE outbox ADD COLUMN claimed_by TEXT"),
                   both("ALTER TABLE outbox ADD COLUMN lease_until BIGINT")}});
  // -- issue 15: a timer falls due at a millisecond of its due second (timer_store.h: the rules
  // set 0; a spread load falls due over the second, not as one burst at its start). The due
  // index orders by it too: the scheduler reads (due_at, due_ms, id) as one index range.
  list.push_back({static_cast<int>(list.size()) + 1,
                  "timer due millisecond",
                  {both("ALTER TABLE timers ADD COLUMN due_ms INTEGER NOT NULL DEFAULT 0"
                        " CHECK (due_ms BETWEEN 0 AND 999)"),
                   both("DROP INDEX timers_by_due"),
                   both("CREATE INDEX timers_by_due ON timers (state, due_at, due_ms)")}});
  // -- issue 15: no query reads duties through (township_code, state). The open-duty lists
  // filter by township while they read duties_by_due in due order, and the Q4 evaluation counts
  // read every duty of the year either way (EXPLAIN QUERY PLAN on SQLite; EXPLAIN on
  // PostgreSQL 15 with 400,000 duties in 12 townships): the index only cost every duty written
  // and every change of its state. (duty_kinds_steps() in migration_sql.h creates it again on
  // SQLite: a later migration using it must drop it after.)
  list.push_back({static_cast<int>(list.size()) + 1,
                  "duties without the township index",
                  {both("DROP INDEX duties_by_township")}});
  // -- issue 15: firing a timer changed `state`, a column of both its indexes: each moved its
  // entry (a delete and an insert), the case index's on pages spread over the table. Every
  // reader of either index asks for pending timers only (the scheduler's due order, the
  // cancellations of a case's or the county's timers, the counts), so both now hold pending
  // timers alone: firing or cancelling removes the timer's two entries and inserts none, and
  // fired timers (kept for history and their dedupe keys) stop growing them.
  list.push_back(
      {static_cast<int>(list.size()) + 1,
       "pending timers indexes",
       {both("DROP INDEX timers_by_due"),
        both("CREATE INDEX timers_by_due ON timers (due_at, due_ms, id) WHERE state = 'pending'"),
        both("DROP INDEX timers_by_case"),
        both("CREATE INDEX timers_by_case ON timers (case_id) WHERE state = 'pending'")}});
  // -- issue 15: a decision about a case reads every duty of the case in id order (duty_store.h
  // case_duties: the case hook on every case write, the month's firing). Through (case_id, state)
  // that was the case's entries, then a sort by id; (case_id, id) gives them in order, and a
  // duty closing or being cancelled (a change of `state`) no longer moves its index entry. The
  // readers by case and state (open_case_duties, set_case_duty_officer) read the case's few
  // entries either way.
  list.push_back({static_cast<int>(list.size()) + 1,
                  "duties by case in id order",
                  {both("DROP INDEX duties_by_case"),
                   both("CREATE INDEX duties_by_case ON duties (case_id, id)")}});
  // -- issue 15: claiming a message (pending -> sending) and recording its answer (sending ->
  // sent) each moved its entries in outbox_by_due and outbox_by_recipient, both led by `status`;
  // the recipient's entry of a sent row went to one of the recipients' places spread over the
  // index. Their readers ask for pending messages only (due_outbox, next_outbox_attempt,
  // pending_for_recipient, all with the literal `status = 'pending'` SQLite needs to use a partial
  // index), so both now hold pending rows alone: a claim removes two entries and inserts none.
  // The readers by any status (the API's listing in id order, the metrics' counts, the recovery of
  // "sending" rows) read outbox_by_status (status, id), which a status change moves (one entry,
  // not two): the listing reads its page from it without the sort over every row of the status
  // that outbox_by_due needed, and the counts stay an index-only scan. Most rows are never part of
  // a digest: outbox_by_digest holds those that are (`digest_of = ?` implies NOT NULL for both
  // engines' planners).
  list.push_back(
      {static_cast<int>(list.size()) + 1,
       "outbox pending indexes",
       {both("DROP INDEX outbox_by_due"),
        both("CREATE INDEX outbox_by_due ON outbox (next_attempt_at, id)"
             " WHERE status = 'pending'"),
        both("DROP INDEX outbox_by_recipient"),
        both("CREATE INDEX outbox_by_recipient ON outbox (channel, recipient)"
             " WHERE status = 'pending'"),
        both("CREATE INDEX outbox_by_status ON outbox (status, id)"),
        both("DROP INDEX outbox_by_digest"),
        both("CREATE INDEX outbox_by_digest ON outbox (digest_of) WHERE digest_of IS NOT NULL")}});
}

}  // namespace fangfan::migration_sql
