// Department lists in the database (tables department_lists and department_list_rows of the
// "department lists" migration): one list per (list, period) with its files and counts, the rows
// as sent (the next list's "变化" sheet compares against them), and the loading of what a list is
// built from (every case in progress, workflows/lists.h ListCase).
//
// Plain functions on a soci::session, inside whatever transaction the caller holds: the list
// runner's one transaction writes the list, its rows, its outbox messages and its duties
// together. Time is passed in; nothing here reads a clock.
//
// Errors: StorageError (see database.h); a missing row is std::nullopt; a second list for one
// (list, period) is a StorageError of kind kConstraint (the runner checks find_department_list
// first, in its transaction).
// Thread-safety: as the session's (one thread at a time).
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config/config.h"
#include "workflows/clock.h"
#include "workflows/lists.h"

namespace fangfan {

// A produced file of a list, kept under [storage] files.
struct ListFileRecord {
  std::string kind;  // "xlsx", "csv" or "zip"
  std::string path;  // absolute
  std::string name;  // file name, e.g. "县民政局-2026-12-01.xlsx"
  std::string sha256;
  std::uint64_t size = 0;
  bool operator==(const ListFileRecord&) const = default;
};

struct NewDepartmentList {
  std::string list, department, period;  // period "YYYY-MM-DD"
  std::string previous_period;           // the list the changes are against ("" = the first)
  TimePoint produced_at{};
  std::int64_t rows = 0, households = 0, persons = 0;
  std::int64_t monitored = 0, instant = 0, rolled_back = 0;
  std::int64_t changes = 0;
  std::string data_sha256;
  std::vector<ListFileRecord> files;
  bool operator==(const NewDepartmentList&) const = default;
};

struct DepartmentListRecord : NewDepartmentList {
  std::int64_t id = 0;
};

// Inserts the list and its rows (bulk, one prepared statement per chunk); returns the list's id.
// REQUIRES: inside the caller's WriteTransaction.
std::int64_t insert_department_list(soci::session& session, const NewDepartmentList& list,
                                    const ListContent& content);

std::optional<DepartmentListRecord> find_department_list(soci::session& session,
                                                         std::string_view list,
                                                         std::string_view period);

// The newest list of `list` produced before `period` (periods compare as text, YYYY-MM-DD).
std::optional<DepartmentListRecord> previous_department_list(soci::session& session,
                                                             std::string_view list,
                                                             std::string_view period);

// A list's rows as stored, in row order.
std::vector<StoredListRow> department_list_rows(soci::session& session, std::int64_t list_id);

struct DepartmentListFilter {
  std::optional<std::string> list, department;
  std::optional<std::string> from_period, to_period;  // inclusive
  int limit = 100;                                    // 1..1000
};
// Lists matching the filter, newest period first (reports, the API).
std::vector<DepartmentListRecord> list_department_lists(soci::session& session,
                                                        const DepartmentListFilter& filter);

// -- what a list is built from

// Every case in progress or a monitoring object (case_events.h), with its snapshot and the
// place and kind names of `config`, by case id. A case whose data cannot be read is skipped
// (and counted in `unreadable` when given).
std::vector<ListCase> load_list_cases(soci::session& session, const Config& config,
                                      int* unreadable = nullptr);

// The latest case of a household (any state), for why it left a list; nullopt when none.
std::optional<CaseSnapshot> latest_household_case(soci::session& session,
                                                  std::string_view household_code);

}  // namespace fangfan
