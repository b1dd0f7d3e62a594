// Moving a county from SQLite to PostgreSQL: copies every row of a stopped daemon's SQLite file
// into an empty PostgreSQL database (`fangfanctl storage copy`, daemon/ctl/ctl_storage.h).
//
// What is copied is discovered, not listed: the tables, their columns, primary keys, id
// sequences and foreign keys are read from PostgreSQL's catalog after the target was migrated to
// this build's schema, and the SQLite file must have exactly the same tables and columns; a
// table a later migration adds is copied without a change here.
//
// copy_sqlite_to_postgresql(), in order, refusing (StorageCopyResult::refused, a sentence) when:
//   1. the file is missing, or a fangfand holds it (its "<file>.daemon-lock", the lock of
//      daemon/tasks/leadership.h; the copy holds that lock itself until it is done, so no daemon
//      starts on the file meanwhile);
//   2. the file's schema version is not this build's (it is never migrated here: start fangfand
//      of this version on it once); then the target is migrated (as fangfand would at start);
//   3. the two schemas differ (tables, columns, recorded migrations), or the target has a row in
//      any table but schema_migrations (the table is named).
// Then, in ONE PostgreSQL transaction that first locks every table against writers: the rows of
// each table in foreign-key order (a table after those it references), in multi-row INSERTs of
// up to `batch_rows` rows; a column referencing its own table (a digest's members, a case's
// previous case) is written in a second pass once the whole table is there; schema_migrations
// is replaced by the file's rows (their applied_at dates matter: migration_applied_at); each id
// sequence is set past the larger of the table's largest id and SQLite's AUTOINCREMENT counter;
// the row counts of both sides are compared per table. Any difference or failure rolls the whole
// transaction back: the target keeps its schema and no row.
// The SQLite file is read in one read transaction and never written.
//
// Errors: StorageError for a failure of either database (the transaction is rolled back).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "workflows/clock.h"

namespace fangfan {

struct TableCopied {
  std::string table;
  long long source_rows = 0;  // counted in the SQLite file
  long long target_rows = 0;  // counted in PostgreSQL before the commit
};

struct StorageCopyResult {
  std::string refused;  // empty: copied and committed; else why nothing was copied
  int schema_version = 0;
  std::vector<TableCopied> tables;  // every table, in the order copied
};

struct StorageCopyOptions {
  TimePoint now{};        // recorded by the target's migrations
  long batch_rows = 500;  // rows per INSERT at most (also bounded by 30,000 values)
  std::function<void(const TableCopied&)> on_table;  // after each table, before the commit
  // After each multi-row INSERT of a table's first pass: its rows written so far of `total`
  // (counted in the file before the table is copied). For progress lines on a large county: a
  // province's timers table has millions of rows.
  std::function<void(const std::string& table, long long written, long long total)> on_rows;
};

StorageCopyResult copy_sqlite_to_postgresql(const std::filesystem::path& sqlite_file,
                                            std::string_view postgresql_url,
                                            const StorageCopyOptions& options);

// A reference from one table to another: `table` has a foreign key to `references`.
struct TableReference {
  std::string table;
  std::string references;
};

// `tables` ordered so that each comes after every table it references (references of a table
// to itself do not count); among tables free to go, the order of `tables` is kept. Tables that
// reference each other in a ring cannot be ordered: they are left out of the answer and listed
// in `ring`.
std::vector<std::string> foreign_key_order(const std::vector<std::string>& tables,
                                           const std::vector<TableReference>& references,
                                           std::vector<std::string>& ring);

}  // namespace fangfan
