// Many cases opened fast for a benchmark's setup: copies of one opened template case (its
// household row and case row copied by SQL, statements prepared once), each copy's duties and
// timers scheduled by the daemon's hook in its batch form (adapters/scheduler/deadline_batch.h,
// or bulk_opening.h: planned on a second thread), as if it had just started household
// verification on its own day of the year. Copy n gets household code 379901001001 followed by
// n in seven digits; copy 0 is the template itself.
// The caller owns the transaction and flushes the batch before committing.
#pragma once

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include "adapters/scheduler/deadline_batch.h"
#include "adapters/storage/case_repository.h"
#include "workflows/program_rules.h"

namespace fangfan::bench {

class TemplateCases {
 public:
  // `template_case` was opened with household code 3799010010010000000; `count` copies in all
  // are spread over the 363 days after `year_start`.
  TemplateCases(soci::session& s, const CaseChange& template_case, TimePoint year_start, int count)
      : template_id_(template_case.case_id),
        data_(template_case.snapshot.data),
        year_start_(year_start),
        count_(count),
        copy_household_(
            (s.prepare << "INSERT INTO households (code, village_code, township_code, head_name,"
                          " phone, details, created_at, updated_at) SELECT :code, village_code,"
                          " township_code, head_name, phone, details, created_at, updated_at"
                          " FROM households WHERE code = '3799010010010000000'",
             soci::use(household_))),
        sqlite_(s.get_backend_name() == "sqlite3"
                    ? static_cast<soci::sqlite3_session_backend*>(s.get_backend())->conn_
                    : nullptr),
        copy_case_(copy_case_statement(s)) {}

  // Copy `n` (0..count-1) written, its deadlines added to `deadlines` (a DeadlineBatch or a
  // BulkOpening).
  template <class Deadlines>
  void open(soci::session& s, Deadlines& deadlines, int n) {
    std::int64_t id = template_id_;
    if (n > 0) {
      char code[32];
      std::snprintf(code, sizeof code, "379901001001%07d", n);
      household_ = code;
      copy_household_.execute(true);
      copy_case_.execute(true);
      id = sqlite_ != nullptr ? sqlite_api::sqlite3_last_insert_rowid(sqlite_) : copied_id_;
    }
    add(s, deadlines, n, id);
  }

  // open() for copies first..first+k-1, the same rows. On SQLite each table's copies are one
  // statement (an INSERT reading its own table runs its SELECT into a temporary table first: once
  // per statement), their ids consecutive, the last one the last insert rowid.
  template <class Deadlines>
  void open_range(soci::session& s, Deadlines& deadlines, int first, int k) {
    if (sqlite_ == nullptr) {
      for (int n = first; n < first + k; ++n) open(s, deadlines, n);
      return;
    }
    if (first == 0) add(s, deadlines, 0, template_id_);
    low_ = std::max(first, 1);
    high_ = first + k - 1;
    if (low_ > high_) return;
    if (!copy_households_) prepare_ranges(s);
    copy_households_->execute(true);
    copy_cases_->execute(true);
    const std::int64_t first_id = sqlite_api::sqlite3_last_insert_rowid(sqlite_) - (high_ - low_);
    for (int n = low_; n <= high_; ++n) add(s, deadlines, n, first_id + (n - low_));
  }

 private:
  template <class Deadlines>
  void add(soci::session& s, Deadlines& deadlines, int n, std::int64_t id) {
    CaseChange change;
    change.case_id = id;
    change.snapshot.data = data_;
    change.history_seq = 2;
    change.outcome.entry.event = "start_verification";
    // Spread over the year so that every month has its share of deadlines.
    const auto year = std::chrono::seconds{std::chrono::days{363}};
    change.outcome.entry.at = year_start_ + year * n / count_;
    change.outcome.step_started = kStepHouseholdVerification;
    change.outcome.assistance_started = true;
    deadlines.add(s, std::move(change));
  }

  void prepare_ranges(soci::session& s) {
    const std::string copies =
        "WITH RECURSIVE c(n) AS (SELECT :low UNION ALL SELECT n + 1 FROM c WHERE n < :high) ";
    copy_households_.emplace(
        (s.prepare << copies +
                          "INSERT INTO households (code, village_code, township_code, head_name,"
                          " phone, details, created_at, updated_at) SELECT printf("
                          "'379901001001%07d', c.n), village_code, township_code, head_name,"
                          " phone, details, created_at, updated_at FROM c, households h WHERE"
                          " h.code = '3799010010010000000' ORDER BY c.n",
         soci::use(low_), soci::use(high_)));
    copy_cases_.emplace((s.prepare << copies +
                                          "INSERT INTO cases (household_code, kind, state, version,"
                                          " source, emergency, opened_at, data, updated_at) SELECT"
                                          " printf('379901001001%07d', c.n), kind, state, version,"
                                          " source, emergency, opened_at, data, updated_at FROM c,"
                                          " cases t WHERE t.id = :id ORDER BY c.n",
                         soci::use(low_), soci::use(high_), soci::use(template_id_)));
  }

  // The id of the copy: RETURNING on PostgreSQL; on SQLite (which would build a temporary table
  // for each row) the connection's last insert rowid.
  soci::statement copy_case_statement(soci::session& s) {
    const std::string sql =
        "INSERT INTO cases (household_code, kind, state, version, source, emergency, opened_at,"
        " data, updated_at) SELECT :code, kind, state, version, source, emergency, opened_at, data,"
        " updated_at FROM cases WHERE id = :id";
    if (sqlite_ != nullptr)
      return (s.prepare << sql, soci::use(household_), soci::use(template_id_));
    return (s.prepare << sql + " RETURNING id", soci::use(household_), soci::use(template_id_),
            soci::into(copied_id_));
  }

  long long template_id_;
  CaseData data_;
  TimePoint year_start_;
  int count_;
  std::string household_;
  long long copied_id_ = 0;
  soci::statement copy_household_;
  sqlite_api::sqlite3* sqlite_;  // the session's connection on SQLite, else nullptr
  soci::statement copy_case_;
  int low_ = 0, high_ = 0;  // open_range's copies, SQLite only
  std::optional<soci::statement> copy_households_, copy_cases_;
};

}  // namespace fangfan::bench
