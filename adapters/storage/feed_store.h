// Department feeds in the database (tables feed_runs, feed_bad_rows, feed_signals of the
// "department feeds and alerts" migration): a run per feed and period, its quarantined rows, the
// signals a period raised, and the lookup of household members that matching needs.
//
// Plain functions on a soci::session, inside whatever transaction the caller holds: a run's last
// transaction writes its counts, bad rows, signals, alerts and closes its duty together. Time is
// passed in; nothing here reads a clock.
//
// Re-running a period never doubles anything: replace_feed_signals() swaps the period's signals in
// the caller's transaction, and mark_replaced_feed_runs() retires the earlier done runs.
//
// Errors: StorageError (see database.h); a missing row is std::nullopt; a state change from the
// wrong state is false.
// Thread-safety: as the session's (one thread at a time).
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/clock.h"

namespace fangfan {

struct NewFeedRun {
  std::string feed, department, period;  // period "YYYY-MM"
  std::string source;                    // file name or URL without its token
  std::string sha256;                    // hex of the data; "" when nothing was read
  std::string trigger = "schedule";      // "schedule", "manual" or "fix"
  TimePoint started_at{};
  std::optional<std::int64_t> fixes_run_id;  // trigger "fix": the run it corrects
};

struct FeedRunCounts {
  std::int64_t rows_read = 0, rows_accepted = 0, rows_matched = 0, rows_quarantined = 0,
               rows_duplicate = 0, alerts_raised = 0;
  bool operator==(const FeedRunCounts&) const = default;
};

struct FeedRunRecord {
  std::int64_t id = 0;
  std::string feed, department, period, source, sha256, trigger;
  std::string status;  // "running", "done", "failed", "replaced"
  TimePoint started_at{};
  std::optional<TimePoint> finished_at;
  FeedRunCounts counts;
  std::string error;  // the sentence of a failed run
  std::optional<std::int64_t> fixes_run_id;
};

// A new run, status "running". Returns its id.
std::int64_t create_feed_run(soci::session& session, const NewFeedRun& run);

// running -> done (error empty) or failed (error: the sentence), with its counts and sha256 (the
// data's, known once read; empty keeps the stored one). False when it was not running.
bool finish_feed_run(soci::session& session, std::int64_t run_id, const FeedRunCounts& counts,
                     TimePoint finished_at, std::string_view error = {},
                     std::string_view sha256 = {});

// The done runs of (feed, period) other than `keep_run_id` become "replaced"; returns how many.
int mark_replaced_feed_runs(soci::session& session, std::string_view feed, std::string_view period,
                            std::int64_t keep_run_id);

std::optional<FeedRunRecord> load_feed_run(soci::session& session, std::int64_t run_id);

// The newest done run of `feed` with this sha256 (the same data taken twice), if any.
std::optional<FeedRunRecord> find_done_feed_run(soci::session& session, std::string_view feed,
                                                std::string_view sha256);

struct FeedRunFilter {
  std::optional<std::string> feed, department, period;
  int limit = 100;  // 1..1000
  std::int64_t offset = 0;
  std::optional<std::int64_t> before_id;  // keyset paging: only runs with id < this
};
struct FeedRunPage {
  std::vector<FeedRunRecord> runs;  // newest first
  std::int64_t total = 0;           // runs matching the filter (before_id, limit, offset aside)
};
FeedRunPage list_feed_runs(soci::session& session, const FeedRunFilter& filter);

// A quarantined row (检疫行): where it is and why.
struct NewBadRow {
  std::int64_t line = 0;  // in the file, from 1 (the header is line 1 of a CSV)
  std::string field, header;
  std::string reason;      // a sentence
  std::string raw = "{}";  // JSON object: the row's cells by header
  std::optional<std::int64_t> conflicts_with_line;
};
struct BadRowRecord {
  std::int64_t id = 0, run_id = 0;
  NewBadRow row;
  std::optional<std::int64_t> fixed_by_run;
};

// Inserts the rows of one run with one prepared statement bound to whole columns (bulk).
// REQUIRES: inside the caller's WriteTransaction (on SQLite each row would otherwise commit alone).
void insert_feed_bad_rows(soci::session& session, std::int64_t run_id,
                          const std::vector<NewBadRow>& rows);

struct BadRowPage {
  std::vector<BadRowRecord> rows;  // by line
  std::int64_t total = 0;          // every bad row of the run
};
// A run's bad rows by line: `limit` (1..10000) rows after `offset`, or after the row id
// `after_id` when given (keyset paging), with the total.
BadRowPage list_feed_bad_rows(soci::session& session, std::int64_t run_id, int limit,
                              std::int64_t offset = 0,
                              std::optional<std::int64_t> after_id = std::nullopt);

// The bad rows of `run_id` at `lines` re-applied by `fixed_by_run`; returns how many were marked
// (rows already fixed are left as they were).
int mark_feed_bad_rows_fixed(soci::session& session, std::int64_t run_id,
                             const std::vector<std::int64_t>& lines, std::int64_t fixed_by_run);

// What a period's data raised for one person and rule: on a case or as an alert.
struct FeedSignal {
  std::string id_number, rule;
  std::optional<std::int64_t> case_id, alert_id;
};

// The period's signals of `feed` become `signals` (of run `run_id`): the old rows are deleted and
// the new inserted, in the caller's transaction.
void replace_feed_signals(soci::session& session, std::string_view feed, std::string_view period,
                          std::int64_t run_id, const std::vector<FeedSignal>& signals);

// Whether (feed, period, id_number, rule) was already applied.
bool feed_signal_exists(soci::session& session, std::string_view feed, std::string_view period,
                        std::string_view id_number, std::string_view rule);

// The signals of a period, by id (what a rerun compares against).
std::vector<FeedSignal> feed_signals(soci::session& session, std::string_view feed,
                                     std::string_view period);

// A person found among household members: the fields of workflows/feeds.h MemberMatch.
struct StoredMemberMatch {
  std::string household_code, village_code, township_code, name;
  std::optional<std::int64_t> case_id;  // the household's case in progress or monitored
  std::string case_state;
  std::optional<double> household_income;  // yuan a year, from the case's verification accounts
};

// The members with these ID numbers, one query per call (batches of a few thousand): ID number
// -> match. A person in several households: the one whose household has a case in progress or
// monitored wins (the newest such case), else the lowest member id. ID numbers not found are
// absent. household_income is the net income of the case's verified accounts, loaded only for
// matched cases; nullopt when none were recorded.
std::map<std::string, StoredMemberMatch> match_members(soci::session& session,
                                                       const std::vector<std::string>& id_numbers);

// -- the feed runner's (adapters/feeds/feed_intake.h)

// Records one signal unless (feed, period, id_number, rule) exists; false when it existed. In the
// caller's transaction: the evidence or alert it stands for commits with it, so a crash mid-run
// applies nothing twice when the data is taken again.
bool insert_feed_signal(soci::session& session, std::string_view feed, std::string_view period,
                        std::int64_t run_id, const FeedSignal& signal);

// Every run still "running" becomes failed with `error` (a crash mid-run); returns how many. With
// `started_before`, only the runs started before it (a run of another live daemon on the same
// PostgreSQL is younger and left alone).
int fail_running_feed_runs(soci::session& session, TimePoint now, std::string_view error,
                           std::optional<TimePoint> started_before = std::nullopt);

// The newest run of (feed, period), in any status.
std::optional<FeedRunRecord> latest_feed_run(soci::session& session, std::string_view feed,
                                             std::string_view period);

}  // namespace fangfan
