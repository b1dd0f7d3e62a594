// Bulk import of a visit log or a case list exported from the national system (CSV in UTF-8
// or GBK, or XLSX; adapters/import/import_table.h, import_columns.h).
//
// Each data row is validated like the corresponding API call and, when good, applied through
// the case writer's unit of work (case_repository.h, with its deadline hook) under a savepoint of
// its own inside its step's transaction (ImportJob::step), with the importing token's holder as
// actor and the clock's now as time:
//   visits -> record_visit on the household's case in progress
//   cases  -> open_case (the household with its head)
// A row is bad, and kept with its line, column and reason, when a cell is missing or malformed
// (an ID number with a wrong check character, a date that is not a date), the household is
// unknown or has no case in progress, the household's village is outside the importer's scope
// ("outside your scope"; a row outside the scope touches nothing), or the case rules refuse the
// event (the machine's sentence; the column is the one the sentence names, else the household
// code). A row whose key (import_columns.h) was applied before, by this run or any earlier
// one, is a duplicate and applies nothing: the key is recorded in import_applied with the case
// change, so importing the same file twice changes nothing the second time, even when two
// imports race. A row that is not applied (bad, refused, duplicate) is rolled back to its
// savepoint alone: the rows around it in the step are unaffected.
//
// The file is read through the streaming readers (table_stream.h) twice: once to check that it
// reads to its end and to count its rows, once to apply them; neither pass holds more than a
// chunk of the file. The run and every row are stored (adapters/import/import_store.h); the run's
// counts are written with every step, and its end time when the last row is done. A file that
// cannot be read at all (not CSV/XLSX, an
// unterminated quote, a required column missing from the header) is refused as a whole and
// nothing is stored.
//
// Reasons are sentences in Chinese with English in brackets; they never contain an ID number
// or phone number.
//
// Ownership: references are used for the duration of the call only. Thread-safety: as the
// session's. Errors: refusals are values; the database failing throws StorageError: the step it
// happened in is rolled back whole (rows of earlier steps stay done, and so do the run's counts
// of them); importing the file again applies each remaining row once.
#pragma once

#include <soci/soci.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/import/import_columns.h"
#include "adapters/import/import_store.h"
#include "adapters/storage/case_repository.h"
#include "workflows/clock.h"

namespace fangfan {

struct ImportRequest {
  ImportKind kind = ImportKind::kVisits;
  std::string file_name;
  std::string bytes;  // the whole file
  std::string actor;  // the token holder: every event's actor
  std::string scope;  // the token's scope, recorded on the run
  // Whether the importer may touch a household of this village (auth.h's scope_covers).
  std::function<bool(std::string_view village_code)> covers;
  // Which rows ImportOutcome.rows keeps (every row is stored and counted either way): all of
  // them, or (false) only the first max_bad_rows_kept bad ones, which is what the API's answer
  // lists, so a large file's rows are not held in memory.
  bool keep_all_rows = true;
  std::size_t max_bad_rows_kept = SIZE_MAX;
};

// The file could not be read; nothing was stored.
struct ImportFileError {
  std::string message;
};

struct ImportOutcome {
  ImportRunRecord run;                // with its id and final counts
  std::vector<ImportRowRecord> rows;  // every row (see keep_all_rows), in line order
};

// `cases` gives the configuration, the clock and the deadline hook every applied row runs.
std::variant<ImportOutcome, ImportFileError> run_import(soci::session& session,
                                                        const CaseUnitOfWork& cases,
                                                        const ImportRequest& request);

// run_import() in steps, so that other work runs between them (the API runs each step as its
// own storage task: timers keep firing during a long import). run_import() is start() and then
// step() until it returns true.
class ImportJob {
 public:
  // Reads the file through, maps its header and records the run; nothing stored when the file
  // is refused. `cases` and `request` must outlive the job.
  static std::variant<std::unique_ptr<ImportJob>, ImportFileError> start(
      soci::session& session, const CaseUnitOfWork& cases, const ImportRequest& request);
  ~ImportJob();
  ImportJob(const ImportJob&) = delete;
  ImportJob& operator=(const ImportJob&) = delete;

  // Imports up to `rows` more rows through `session` (any session of the same database; one
  // step at a time) in ONE write transaction, each row under its own savepoint: one commit per
  // step. The transaction holds the database's one writer (SQLite) for the whole step, so
  // `rows` bounds how long other writers wait (kRowsPerStep). True once the last row is done
  // and the run's counts are stored. After a throw once its transaction began, the step's rows
  // are rolled back and the job is spent: step() throws std::logic_error (a transaction that
  // could not begin leaves the job as it was).
  bool step(soci::session& session, std::size_t rows);

  // Rows per step for callers with no reason to choose otherwise (run_import, the daemon's
  // import route, the bench's default). Measured with bench/import_bench (SQLite, visits, on 2
  // shared cores at load ~6, 2026-12-07): ~0.11-0.14 ms CPU per row inside the transaction, so
  // 100 rows hold the writer ~12-15 ms of CPU plus one synced commit, 29-46 ms wall on average
  // under that load (200 rows: 48-67 ms, at most 85-135; 500: 90-120, at most 243). 100 keeps
  // a waiting API write well under ~100 ms while the commit (~1.7 ms with its fsync) is already
  // a small share of the step.
  static constexpr std::size_t kRowsPerStep = 100;

  // The outcome so far; complete once step() returned true.
  ImportOutcome& outcome();

 private:
  struct State;
  explicit ImportJob(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

// A date as clerks and exports write it: YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日 or
// YYYYMMDD, optionally followed by a time (ignored); nullopt when it is no real date.
std::optional<Date> parse_import_date(std::string_view text);

}  // namespace fangfan
