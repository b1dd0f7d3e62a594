// Households, members, cases and case history in the database (tables of migration 1).
//
// Plain functions on a soci::session: they run inside whatever transaction the caller holds,
// so a case change, its history row, its timers and its outbox messages commit together
// (WriteTransaction). Time is passed in; nothing here reads a clock.
//
// Optimistic concurrency: every accepted event writes the case with update_case_state(...,
// expected_version, ...), which succeeds only if nobody else wrote the case since it was loaded;
// the caller then appends exactly one history row. A stale writer gets false and must reload.
//
// Errors: StorageError (see database.h); a missing row is std::nullopt.
// Thread-safety: as the session's (one thread at a time).
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/clock.h"

namespace fangfan {

struct HouseholdRecord {
  std::string code;  // 户编号, the national system's household code
  std::string village_code;
  std::string township_code;
  std::string head_name;       // 户主
  std::string phone;           // may be empty
  std::string details = "{}";  // JSON
  TimePoint created_at{};
  TimePoint updated_at{};
};

struct MemberRecord {
  std::int64_t id = 0;  // assigned by insert_member
  std::string household_code;
  std::string name;
  std::string id_number;  // GB 11643, validated by the core before it gets here
  std::string relation;   // 与户主关系
  bool able_to_work = false;
  bool disabled = false;
  bool student = false;
};

struct CaseRecord {
  std::int64_t id = 0;  // assigned by insert_case
  std::string household_code;
  std::string kind;   // case kind name from config
  std::string state;  // the machine's stable state name
  std::int64_t version = 1;
  std::string source;      // how the case was found (信息来源)
  bool emergency = false;  // 先帮扶、后认定
  TimePoint opened_at{};
  std::optional<std::int64_t> previous_case_id;  // re-identification links the old case
  std::string data = "{}";                       // the machine snapshot's details, JSON
  TimePoint updated_at{};
};

struct HistoryRecord {
  std::int64_t case_id = 0;
  std::int64_t seq = 0;  // 1, 2, ... per case; assigned by append_history
  std::string event;
  std::string before_state;  // "new" for the event that opened the case
  std::string after_state;
  std::string actor;
  TimePoint at{};
  std::string reason;
  std::string details = "{}";  // JSON: the event's payload, a written notice's text, ...
};

// Throws StorageError (kConstraint) when the code exists.
void insert_household(soci::session& session, const HouseholdRecord& household);
std::optional<HouseholdRecord> load_household(soci::session& session, std::string_view code);

// Returns the new member id. Throws StorageError (kConstraint) when the household does not exist
// or already has a member with this ID number.
std::int64_t insert_member(soci::session& session, const MemberRecord& member);
// In insertion order.
std::vector<MemberRecord> load_members(soci::session& session, std::string_view household_code);

// Stores a new case as given (its version, normally 1) and returns its id.
std::int64_t insert_case(soci::session& session, const CaseRecord& record);
std::optional<CaseRecord> load_case(soci::session& session, std::int64_t case_id);
// The cases with these ids in one query (issue 15: a firing batch's cases), by id; unknown ids
// left out.
std::vector<CaseRecord> load_cases(soci::session& session, const std::vector<std::int64_t>& ids);

// A stored case with where its household lives, in one read, for a scope check made on the row a
// write loads anyway: the stored household's village (nullopt when the household row is
// missing). nullopt when there is no such case.
struct PlacedCase {
  CaseRecord record;
  std::optional<std::string> village_code;
};
std::optional<PlacedCase> load_case_with_place(soci::session& session, std::int64_t case_id);
// Oldest first.
std::vector<CaseRecord> load_cases_of_household(soci::session& session,
                                                std::string_view household_code);

// Writes the new state and data and bumps the version to expected_version + 1, only if the
// stored version is still expected_version. Returns false (and changes nothing) when it is not,
// or when the case does not exist.
bool update_case_state(soci::session& session, std::int64_t case_id, std::int64_t expected_version,
                       std::string_view new_state, std::string_view data, TimePoint now);

// Appends one history row with the next seq of its case and returns that seq. History rows are
// never updated or deleted (the database refuses both).
// REQUIRES: the caller holds the case's write (update_case_state in the same transaction), so
// that no other writer appends to the case concurrently; a concurrent append is refused by the
// unique (case_id, seq) key (StorageError kConstraint) rather than interleaved.
std::int64_t append_history(soci::session& session, const HistoryRecord& record);
// Ordered by seq.
std::vector<HistoryRecord> load_history(soci::session& session, std::int64_t case_id);

// ---- the case list (GET /api/v1/cases)

// Empty fields match anything.
struct CaseListFilter {
  std::string state, kind, township, village;
  std::string officer;      // the officer named in the case data
  std::string code_prefix;  // the household's village code begins with it (a scope's code)
};

struct ListedCase {
  std::int64_t id = 0;
  std::string state, kind, household_code, village_code, township_code;
  std::string officer;  // from the case data; empty when none is assigned
  std::int64_t version = 0;
  bool emergency = false;
};

// The cases matching `filter` with their household's place, newest first, each handed to `take`
// until it returns false (the caller applies what the query cannot: a scope's exact coverage
// and its limit).
void list_cases(soci::session& session, const CaseListFilter& filter,
                const std::function<bool(ListedCase&&)>& take);

// Gives the session of the case writer (the API's group commit, one session on one thread) a
// page cache of kCaseWriterCacheMiB instead of every session's 8 MiB (database.cpp): the case
// writes of a county go through all its cases' rows, history, duties and timers (a 2,000-case
// bench database is ~37 MB), and each page missing from the cache is a read of the file. Pages
// are allocated as used. Nothing on PostgreSQL (its server caches).
inline constexpr int kCaseWriterCacheMiB = 64;
void widen_case_writer_cache(soci::session& session);

}  // namespace fangfan
