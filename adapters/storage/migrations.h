// Versioned schema migrations, applied at start.
//
// The schema is an ordered list of migrations compiled into the binary (migrations.cpp). migrate()
// applies the ones the database has not seen, each in its own transaction together with its row
// in schema_migrations(version, name, applied_at), so a migration is either fully applied and
// recorded or not at all. Re-running applies nothing. A database whose recorded version is newer
// than this binary knows is refused (StorageError::Kind::kSchemaTooNew) and left untouched:
// an old binary must not write into a schema it does not understand.
//
// Concurrency: two processes migrating the same database at once serialize (SQLite: the write
// lock of BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock); the second sees the
// first one's work and applies nothing.
//
// Errors: StorageError (kSchemaTooNew, kMigration naming the failed migration, kOpen).
#pragma once

#include <soci/soci.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/storage/database.h"
#include "workflows/clock.h"

namespace fangfan {

// One SQL statement of a migration in each dialect. An empty string skips that dialect. One
// statement each: SQLite compiles only the first statement of a string.
struct MigrationStep {
  std::string sqlite;
  std::string postgresql;
};

struct Migration {
  int version = 0;   // 1, 2, 3, ... in order, never reused
  std::string name;  // short, for schema_migrations and messages
  std::vector<MigrationStep> steps;
};

// The schema of this binary, oldest first.
const std::vector<Migration>& schema_migrations();

// The version of the newest migration this binary knows.
int latest_schema_version();

struct MigrationResult {
  int from_version = 0;  // recorded before migrate() (0: an empty database)
  int to_version = 0;    // recorded after
  int applied = 0;       // migrations applied by this call
};

// Brings the database up to latest_schema_version(). `now` is recorded as applied_at.
MigrationResult migrate(const Database& db, TimePoint now);

// The same with another migration list. REQUIRES: versions strictly increasing from 1.
// Used by tests to check atomicity and ordering with deliberately broken migrations.
MigrationResult migrate(const Database& db, TimePoint now, std::span<const Migration> migrations);

// The newest version recorded in the database; 0 when it has no schema_migrations table.
int current_schema_version(soci::session& session);

// The name of the migration that added department feeds: from when this database keeps feeds.
inline constexpr const char* kFeedsMigrationName = "department feeds and alerts";

// The name of the migration that added department lists: from when this database keeps lists.
inline constexpr const char* kListsMigrationName = "department lists";

// The name of the migration that added monthly report workbooks (duties of kind "report").
inline constexpr const char* kReportsMigrationName = "monthly reports";

// When the migration named `name` was applied to this database; nullopt when it was not.
std::optional<TimePoint> migration_applied_at(soci::session& session, std::string_view name);

}  // namespace fangfan
