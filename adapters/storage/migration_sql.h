// Internal to adapters/storage: the vocabulary the schema migrations are written in
// (migrations.cpp, list_migration.cpp). Conventions of the schema: see migrations.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/storage/migrations.h"

namespace fangfan::migration_sql {

// A statement written once for both dialects. ${ID} is the surrogate key column.
inline MigrationStep both(std::string_view sql) {
  auto expand = [&](std::string_view id) {
    std::string out(sql);
    for (std::size_t at = out.find("${ID}"); at != std::string::npos; at = out.find("${ID}")) {
      out.replace(at, 5, id);
    }
    return out;
  };
  return {expand("INTEGER PRIMARY KEY AUTOINCREMENT"), expand("BIGSERIAL PRIMARY KEY")};
}

inline MigrationStep sqlite_only(std::string_view sql) { return {std::string(sql), ""}; }
inline MigrationStep postgresql_only(std::string_view sql) { return {"", std::string(sql)}; }

// The duties table with `kind` admitting the kinds of `kinds` (a quoted SQL list).
inline std::string duties_table(std::string_view name, std::string_view kinds) {
  return "CREATE TABLE " + std::string(name) +
         " ("
         " id INTEGER PRIMARY KEY AUTOINCREMENT,"
         " duty_key TEXT NOT NULL UNIQUE,"
         " case_id BIGINT REFERENCES cases (id),"
         " kind TEXT NOT NULL CHECK (kind IN (" +
         std::string(kinds) +
         ")),"
         " subject TEXT NOT NULL,"
         " township_code TEXT NOT NULL,"
         " village_code TEXT NOT NULL DEFAULT '',"
         " owner_role TEXT NOT NULL,"
         " officer TEXT NOT NULL DEFAULT '',"
         " due_at BIGINT NOT NULL,"
         " state TEXT NOT NULL CHECK (state IN ('open', 'done', 'cancelled')),"
         " opened_at BIGINT NOT NULL,"
         " closed_at BIGINT)";
}

// The steps that let duties.kind admit `kinds`: SQLite cannot alter a CHECK, so the table is
// rebuilt with its rows (ids kept) and its indexes under `new_name` (nothing references
// duties); PostgreSQL swaps the constraint (named <table>_<column>_check).
inline std::vector<MigrationStep> duty_kinds_steps(std::string_view new_name,
                                                   std::string_view kinds) {
  const std::string n(new_name);
  return {
      sqlite_only(duties_table(n, kinds)),
      sqlite_only("INSERT INTO " + n +
                  " (id, duty_key, case_id, kind, subject, township_code,"
                  " village_code, owner_role, officer, due_at, state, opened_at, closed_at)"
                  " SELECT id, duty_key, case_id, kind, subject, township_code, village_code,"
                  " owner_role, officer, due_at, state, opened_at, closed_at FROM duties"),
      sqlite_only("DROP TABLE duties"),
      sqlite_only("ALTER TABLE " + n + " RENAME TO duties"),
      sqlite_only("CREATE INDEX duties_by_due ON duties (state, due_at)"),
      sqlite_only("CREATE INDEX duties_by_township ON duties (township_code, state)"),
      sqlite_only("CREATE INDEX duties_by_case ON duties (case_id, state)"),
      postgresql_only("ALTER TABLE duties DROP CONSTRAINT duties_kind_check"),
      postgresql_only("ALTER TABLE duties ADD CONSTRAINT duties_kind_check CHECK (kind IN (" +
                      std::string(kinds) + "))"),
  };
}

// -- department lists (issue 13), list_migration.cpp
Migration department_lists(int version);
// -- the monthly report workbook (issue 13), list_migration.cpp
Migration monthly_reports(int version);
// -- the registration duty and the monitoring alert loop (issue 14 items 2 and 6),
// loop_migration.cpp
Migration registration_and_alert_loop(int version);
// -- issue 15's migrations (claim lease, timer due millisecond, indexes), appended to `list`
// in order: throughput_migration.cpp
void add_throughput_migrations(std::vector<Migration>& list);

}  // namespace fangfan::migration_sql
