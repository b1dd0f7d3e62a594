// Import runs and their rows in the database (tables of the "bulk imports" migration).
//
// import_runs: one row per file imported (name, SHA-256 of its bytes, kind, format, who, the
// token scope it was imported under, its header, counts). import_rows: one row per data row of
// the file with its status (applied | duplicate | bad), the column at fault and the reason for a
// bad row, and the row's cells as a JSON object keyed by the file's headers (kept so the clerk
// can download the bad rows, correct them and import them again). import_applied: the key of
// every row ever applied; insert_applied_key() is called inside the case change's transaction.
//
// Plain functions on a soci::session: they run inside the caller's transaction, if any.
// Errors: StorageError (adapters/storage/database.h); insert_applied_key() throws kConstraint
// when the key is there already (a concurrent import applied the same row first).
// Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/clock.h"

namespace fangfan {

struct ImportRunRecord {
  std::int64_t id = 0;  // assigned by insert_import_run
  std::string file_name;
  std::string sha256;         // hex of the file's bytes
  std::string kind;           // "visits" | "cases"
  std::string format;         // "CSV UTF-8", "CSV GBK", "XLSX", ...
  std::string actor;          // the token holder
  std::string scope;          // the token's scope when imported
  std::string header = "[]";  // JSON array of the file's column headers
  TimePoint started_at{};
  std::optional<TimePoint> finished_at;
  int rows_total = 0;
  int rows_applied = 0;
  int rows_duplicate = 0;
  int rows_bad = 0;
};

struct ImportRowRecord {
  std::int64_t run_id = 0;
  std::int64_t line = 0;
  std::string row_key;
  std::string status;      // "applied" | "duplicate" | "bad"
  std::string field;       // the header of the column at fault (bad rows); may be empty
  std::string reason;      // why the row is bad, or what it duplicates
  std::string raw = "{}";  // JSON object: header -> cell
  std::optional<std::int64_t> case_id;
};

std::int64_t insert_import_run(soci::session& session, const ImportRunRecord& run);
// Sets finished_at and the four counts.
void finish_import_run(soci::session& session, const ImportRunRecord& run);
// Sets the four counts only (finished_at stays empty): a run's progress, written with each step's
// rows (importer.h), so the stored counts always match the rows committed.
void store_import_counts(soci::session& session, const ImportRunRecord& run);
std::optional<ImportRunRecord> load_import_run(soci::session& session, std::int64_t id);

void insert_import_row(soci::session& session, const ImportRowRecord& row);
// The row of `run_id` at `line`, or nullopt.
std::optional<ImportRowRecord> load_import_row(soci::session& session, std::int64_t run_id,
                                               std::int64_t line);
// In line order; only rows of `status` when given.
std::vector<ImportRowRecord> load_import_rows(soci::session& session, std::int64_t run_id,
                                              std::optional<std::string_view> status = {});

struct AppliedKey {
  std::int64_t run_id = 0;
  std::int64_t line = 0;
  std::optional<std::int64_t> case_id;
};
// Where the row with this key was applied; nullopt when it never was.
std::optional<AppliedKey> find_applied_key(soci::session& session, std::string_view row_key);
void insert_applied_key(soci::session& session, std::string_view row_key, std::int64_t run_id,
                        std::int64_t line, std::optional<std::int64_t> case_id, TimePoint at);

// The bad rows of `run` as a CSV file Excel opens: UTF-8 with a byte order mark, CRLF line
// ends, the columns 行号 (line), then the file's own headers, then 错误列 (field) and 错误原因
// (reason). Importing it again after correction works (the extra columns are ignored).
std::string bad_rows_csv(const ImportRunRecord& run, const std::vector<ImportRowRecord>& bad);

}  // namespace fangfan
