// -- department lists (issue 13): each list produced for a department and period with its files
// (kept under [storage] files, never deleted) and counts, and its rows as sent (what the next
// list's "变化" sheet compares against); duties gain the kinds "list" (producing a period's list)
// and "feedback" (the department's answer to it). Conventions: migrations.cpp.
#include <vector>

#include "adapters/storage/migration_sql.h"

namespace fangfan::migration_sql {

Migration department_lists(int version) {
  std::vector<MigrationStep> steps = {
      // One list per (list, period): producing it twice is refused by the key. files: JSON
      // array of {kind, path, name, sha256, size} (kind "xlsx", "csv" or "zip").
      both("CREATE TABLE department_lists ("
           " id ${ID},"
           " list TEXT NOT NULL,"
           " department TEXT NOT NULL,"
           " period TEXT NOT NULL,"
           " previous_period TEXT NOT NULL DEFAULT '',"
           " produced_at BIGINT NOT NULL,"
           " row_count BIGINT NOT NULL DEFAULT 0,"
           " households BIGINT NOT NULL DEFAULT 0,"
           " persons BIGINT NOT NULL DEFAULT 0,"
           " monitored BIGINT NOT NULL DEFAULT 0,"
           " instant BIGINT NOT NULL DEFAULT 0,"
           " rolled_back BIGINT NOT NULL DEFAULT 0,"
           " changes BIGINT NOT NULL DEFAULT 0,"
           " data_sha256 TEXT NOT NULL DEFAULT '',"
           " files TEXT NOT NULL DEFAULT '[]',"
           " UNIQUE (list, period))"),
      both("CREATE INDEX department_lists_by_department ON department_lists (department, period)"),
      // A row as sent: its key (household code or ID number), case, household, name, and its
      // cells as a JSON array of [column code, text].
      both("CREATE TABLE department_list_rows ("
           " id ${ID},"
           " list_id BIGINT NOT NULL REFERENCES department_lists (id),"
           " row_key TEXT NOT NULL,"
           " case_id BIGINT,"
           " household_code TEXT NOT NULL DEFAULT '',"
           " name TEXT NOT NULL DEFAULT '',"
           " cells TEXT NOT NULL DEFAULT '[]',"
           " UNIQUE (list_id, row_key))"),
  };
  for (MigrationStep& s :
       duty_kinds_steps("duties_v11",
                        "'step', 'visits', 'monitoring', 'evaluation', 'campaign',"
                        " 'feed', 'alert', 'list', 'feedback'")) {
    steps.push_back(std::move(s));
  }
  return {version, kListsMigrationName, std::move(steps)};
}

// -- the monthly report workbook: duties gain the kind "report" (producing a month's workbook for
// the county office). Its files are kept under [storage] files and its messages are in the
// outbox: no table of its own.
Migration monthly_reports(int version) {
  return {version, kReportsMigrationName,
          duty_kinds_steps("duties_v12",
                           "'step', 'visits', 'monitoring', 'evaluation', 'campaign',"
                           " 'feed', 'alert', 'list', 'feedback', 'report'")};
}

}  // namespace fangfan::migration_sql
