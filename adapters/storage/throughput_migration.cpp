// -- issue 15 (throughput and several daemons on one PostgreSQL): the schema changes of that
// issue, in order, appended to the list after every earlier migration. Conventions:
// migrations.cpp. A new migration of this issue goes at the end of this function.
#include <string>
#include <string_view>
#include <vector>

#include "adapters/storage/migration_sql.h"

namespace fangfan::migration_sql {
namespace {

// "column IN ('a', 'b', ...)" and "column = 'a' OR column = 'b' OR ...", as a table's text spells
// its CHECK, for the values `values`.
std::string in_list(std::string_view column, const std::vector<std::string_view>& values) {
  std::string out = "CHECK (" + std::string(column) + " IN (";
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += (i == 0 ? "'" : ", '") + std::string(values[i]) + "'";
  }
  return out + "))";
}
std::string or_chain(std::string_view column, const std::vector<std::string_view>& values) {
  std::string out = "CHECK (";
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += (i == 0 ? "" : " OR ") + std::string(column) + " = '" + std::string(values[i]) + "'";
  }
  return out + ")";
}
// SQL text quoted as a string literal.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}
// The step that rewrites `table`'s stored definition, its CHECK `from` spelled `to`.
MigrationStep respell_check(std::string_view table, const std::string& from,
                            const std::string& to) {
  return sqlite_only("UPDATE sqlite_schema SET sql = replace(sql, " + quoted(from) + ", " +
                     quoted(to) + ") WHERE type = 'table' AND name = '" + std::string(table) + "'");
}

}  // namespace

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
  // -- issue 15: SQLite checks "state IN ('pending', 'fired', 'cancelled')" by building a
  // temporary b-tree of the list for every row it checks it on: each timer inserted or fired,
  // each outbox row inserted or claimed, each duty written: about 4,000 instructions and a 4 KiB
  // page cleared a row (a firing checks two: its timer's state and its message's status). The same
  // CHECK spelled as comparisons joined by OR is the same rule, checked without it. SQLite cannot
  // alter a CHECK; its documented way for a change that leaves every stored row valid as it is
  // (lang_altertable, "removing CHECK ... constraints") rewrites the table's definition in
  // sqlite_schema under writable_schema, in the migration's transaction; a CREATE and DROP of a
  // scratch table then change the schema cookie, so every other connection reads the definitions
  // again. A table whose text does not hold the CHECK as written here keeps its definition
  // (replace() finds nothing). PostgreSQL checks an IN list without any such cost: unchanged there.
  // A later migration that builds one of these tables anew (migration_sql.h duty_kinds_steps) must
  // spell its CHECKs as comparisons too, or the cost comes back.
  {
    const std::vector<std::string_view> timer_states = {"pending", "fired", "cancelled"};
    const std::vector<std::string_view> outbox_states = {"pending", "sending", "sent",
                                                         "failed",  "dead",    "cancelled"};
    const std::vector<std::string_view> duty_states = {"open", "done", "cancelled"};
    const std::vector<std::string_view> duty_kinds = {
        "step",  "visits", "monitoring", "evaluation", "campaign",   "feed",
        "alert", "list",   "feedback",   "report",     "assignment", "alert_step"};
    // The outbox's text has two spaces before its list (the initial schema's line break).
    std::string outbox_from = in_list("status", outbox_states);
    outbox_from.replace(outbox_from.find(" IN ("), 5, " IN  (");
    list.push_back(
        {static_cast<int>(list.size()) + 1,
         "CHECK lists as comparisons on SQLite",
         {sqlite_only("PRAGMA writable_schema = ON"),
          respell_check("timers", in_list("state", timer_states), or_chain("state", timer_states)),
          respell_check("outbox", outbox_from, or_chain("status", outbox_states)),
          respell_check("duties", in_list("state", duty_states), or_chain("state", duty_states)),
          respell_check("duties", in_list("kind", duty_kinds), or_chain("kind", duty_kinds)),
          sqlite_only("PRAGMA writable_schema = OFF"),
          sqlite_only("CREATE TABLE schema_cookie_touch (x INTEGER)"),
          sqlite_only("DROP TABLE schema_cookie_touch")}});
  }
  // -- issue 15: outbox_by_recipient has one reader, pending_for_recipient, which looks for the
  // never-attempted pending reminders a digest gathers (workflows/message_templates.h
  // is_digestible: "_reminder", "_overdue", "evaluation_task"). It held every pending row: each
  // message enqueued and each claimed changed an entry, and the entries of a claim's messages lie
  // spread over the index by recipient, so a claim of 512 wrote about 150 of its pages (36% of
  // the WAL frames of a webhook drain, 3.5 µs of the storage threads' CPU per message). Now it
  // holds the rows that reader can return alone; the reader repeats the condition term by term
  // (SQLite uses a partial index only then). SQLite has no right(); substr() from the end is the
  // same test.
  {
    const std::string digestible_sqlite =
        "(substr(message_type, -9) = '_reminder' OR substr(message_type, -8) = '_overdue'"
        " OR message_type = 'evaluation_task')";
    const std::string digestible_postgresql =
        "(right(message_type, 9) = '_reminder' OR right(message_type, 8) = '_overdue'"
        " OR message_type = 'evaluation_task')";
    const std::string index =
        "CREATE INDEX outbox_by_recipient ON outbox (channel, recipient)"
        " WHERE status = 'pending' AND attempts = 0 AND digest_of IS NULL AND ";
    list.push_back({static_cast<int>(list.size()) + 1,
                    "outbox recipient index for digests",
                    {both("DROP INDEX outbox_by_recipient"),
                     {index + digestible_sqlite, index + digestible_postgresql}}});
  }
}

}  // namespace fangfan::migration_sql
