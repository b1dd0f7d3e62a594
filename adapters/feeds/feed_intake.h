// Taking one period's data of a department in (一次取数): read streaming, check every row,
// match people to household members, decide what each fired rule raises, and apply it — in
// steps, each one storage job and transaction, so that timers and the API run in between and
// memory does not grow with the file (the run keeps its bad rows and counts, not its good rows).
//
// The steps (daemon/tasks/feed_runner drives them; tests and fangfanctl may call them in a row):
//   start()       hashes the data (SHA-256). The same data already taken for this feed
//                 (a done run with that hash) is "already_taken": no run, nothing applied. Else
//                 a run is created (status running) and the data opened; data that cannot be
//                 read at all (not CSV/XLSX/JSON, a mapped header missing) fails the run with
//                 the sentence.
//   next_chunk()  reads up to chunk_rows rows: each is checked (workflows/feeds.h); a bad one
//                 is kept in feed_bad_rows with line, column, field and sentence and the row's
//                 cells; good rows are matched to members (one query per batch) and the rules
//                 that fire are decided (decide_alert). Duplicates: the same identity and cells
//                 as an earlier row is counted as a duplicate; different cells are quarantined
//                 as conflicting with the earlier row's line.
//   finish()      applies what fired, each (feed, period, ID number, rule) once ever: evidence on
//                 a monitored case (record_department_evidence through the case writer, with the
//                 signal row in its transaction; a case that refuses it gets an alert instead),
//                 or an alert for the township with its verification duty; then, in one last
//                 transaction, the run's counts, earlier runs of the period "replaced", fixed bad
//                 rows marked (a fix run), and the period's open feed duty closed.
// Re-running a period (the same or a corrected file, `fangfanctl feed run`) applies only what
// was not applied before: alerts and evidence are history and are never doubled nor withdrawn.
//
// A feedback feed (FeedSource::answers_list; the period is the answered list's "YYYY-MM-DD"):
// the same steps, but no rules fire; each good row is decided by workflows/feedback.h — a
// record_department_measure on the member's case, or quarantined ("不在本部门名单中" for a
// person with no case in progress or monitored) — and finish() applies the measures through the
// case writer (a measure recorded before, by an earlier run of the same answer, is counted in
// measures_already_recorded and not doubled; a case that refuses it quarantines the row with
// the refusal's sentence), then closes the list's feedback duty in its last transaction.
//
// Ownership: the intake holds the configuration it was built with. Thread-safety: one thread at
// a time (each step on the session of the thread that runs it). Errors: StorageError from
// storage (the step's transaction rolls back; a run left "running" by a crash is failed by the
// next start of the runner, see fail_abandoned_feed_runs).
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/import/table_stream.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/feed_store.h"
#include "workflows/calendar.h"
#include "workflows/feedback.h"
#include "workflows/feeds.h"

namespace fangfan {

// The data of one run.
struct FeedInput {
  std::string source;                         // the file's name, or the redacted URL
  std::optional<std::filesystem::path> file;  // read this file, or
  std::string bytes;                          // these bytes (an HTTP body)
};

struct IntakeOptions {
  std::string trigger = "schedule";          // schedule | manual | fix
  std::optional<std::int64_t> fixes_run_id;  // fix: the run whose bad rows this corrects
  std::string actor = "system:feeds";        // the history's actor
  std::int64_t chunk_rows = 20000;
};

struct IntakeReport {
  std::optional<std::int64_t> run_id;
  std::string status;                       // "running", "done", "failed" or "already_taken"
  std::optional<std::int64_t> same_as_run;  // already_taken: the earlier run
  FeedRunCounts counts;
  std::string error;  // failed: why
  std::int64_t evidence_applied = 0, alerts_raised = 0;
  std::int64_t measures_applied = 0, measures_already_recorded = 0;  // feedback feeds
  bool duty_closed = false;
};

class FeedIntake {
 public:
  // REQUIRES: config->rules.feeds has `feed`.
  FeedIntake(std::shared_ptr<const Config> config, std::string feed, std::string period,
             FeedInput input, IntakeOptions options = {});
  ~FeedIntake();
  FeedIntake(const FeedIntake&) = delete;
  FeedIntake& operator=(const FeedIntake&) = delete;

  // True when chunks follow; false when the run is over already (report() says how).
  bool start(soci::session& session, TimePoint now);
  // True while more rows follow. `today`: the China date (ID numbers' birth dates).
  bool next_chunk(soci::session& session, Date today);
  // REQUIRES: next_chunk() returned false.
  void finish(soci::session& session, const CaseUnitOfWork& cases,
              const WorkingDayCalendar& calendar, TimePoint now);

  // A step ended by a StorageError: the run, if it is still "running", fails with `why` (its
  // own transaction), so no run stays "running" in a live daemon; what finish() applied before
  // stays (history, and the signals keep a rerun from doubling it). A failure of this write too
  // leaves the run to fail_abandoned_feed_runs at the next start.
  void abandon(soci::session& session, const std::string& why, TimePoint now);

  const IntakeReport& report() const { return report_; }
  const FeedSource& source() const { return *source_; }
  const std::string& period() const { return period_; }

 private:
  struct Pending;  // a fired rule waiting for finish()
  // A feedback row waiting for finish(), with its cells (quarantined if its case refuses it).
  struct PendingMeasure {
    std::int64_t line = 0;
    std::vector<std::string> cells;
    FeedbackMeasure measure;
  };
  struct SeenTable;
  void fail(soci::session& session, const std::string& why, TimePoint now);
  void keep_bad(std::int64_t line, const std::vector<std::string>& cells, std::string field,
                std::string header, std::string reason, std::optional<std::int64_t> conflicts);
  void flush_bad(soci::session& session);
  void match_batch(soci::session& session);
  // Feedback feeds (feedback_intake.cpp): decide each batched row, then apply in finish().
  void match_feedback(const std::map<std::string, StoredMemberMatch>& found);
  void finish_feedback(soci::session& session, const CaseUnitOfWork& cases, TimePoint now);

  std::shared_ptr<const Config> config_;
  const FeedSource* source_;
  std::string period_;
  FeedInput input_;
  IntakeOptions options_;
  IntakeReport report_;
  TimePoint started_{};

  std::unique_ptr<TableStream> stream_;
  std::optional<FeedColumns> columns_;
  CompiledFeedRules rules_;
  std::unique_ptr<SeenTable> seen_;
  std::vector<NewBadRow> bad_;             // written at the end of each chunk
  std::vector<FeedRecord> batch_;          // good rows waiting for their match
  std::vector<std::int64_t> fixed_lines_;  // fix run: original lines now good
  int original_line_column_ = -1;          // fix run: the 原行号 column
  std::vector<Pending> pending_;
  bool feedback_ = false;                              // source_ answers a list
  std::vector<std::vector<std::string>> batch_cells_;  // feedback: each batched row's cells
  std::vector<PendingMeasure> measures_;
};

// A run's bad rows as CSV for Excel (UTF-8 with BOM): 原行号, the row's cells under the file's
// headers, 错误列 and 错误原因. Corrected and sent back (fangfanctl feed fix), the 原行号 column
// marks which bad rows a good row fixes; 错误列 and 错误原因 are ignored then.
std::string feed_bad_rows_csv(const std::vector<BadRowRecord>& rows);

// Runs left "running" (a crash mid-run) become failed, with a sentence saying so; returns how
// many. The runner calls it at start, before taking anything in. With `started_before`, only the
// runs started before it (several daemons on one PostgreSQL: a younger run may be another live
// daemon's).
int fail_abandoned_feed_runs(soci::session& session, TimePoint now,
                             std::optional<TimePoint> started_before = std::nullopt);

}  // namespace fangfan
