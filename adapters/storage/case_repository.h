// Cases in the database: where the case core (CaseMachine) meets storage. Opens a case with its
// household, applies an event to a stored case, loads a case with its history.
//
// One way to write a case. A CaseWriter is built once at start by the daemon's wiring
// (adapters/scheduler/case_writing.h) with the deadline hook as a required argument, and handed to
// the API, the importer and the benches. A writer opens a CaseUnitOfWork (begin()) on the thread
// that owns the configuration; the unit of work runs on any one thread with that thread's session,
// so a session is never shared. Every accepted change runs the deadline hook: no caller can forget
// it. Reading (the API's show, `fangfanctl case show`, replays) goes through CaseReader, which
// cannot write.
//
// Every change is ONE WriteTransaction: the case row (state name, version, data as JSON, see
// case_json.h), exactly one history row per accepted event, the written notices (书面告知) it
// issued queued in the outbox, and for a re-identification the new case linked to the old one.
// A refusal, a stale version or any error leaves the database exactly as it was.
//
// Case ids: the case row's integer id (cases.id) is the case's identity; CaseData::case_id and
// HistoryEntry::case_id are that integer as decimal text ("42"), assigned by open_case (whatever
// the OpenCase event carries is replaced). format_case_id() and parse_case_id() convert.
//
// History rows store the machine's HistoryEntry: before/after state names (the opening row's
// before is "new"), event name, actor, time, reason, and the details as a JSON object of
// strings. They do not store the event payload: payloads hold unmasked ID numbers and phones,
// and history is append-only (it could never be erased). The version an event produced equals
// its history seq (the opening is version 1, seq 1).
//
// Optimistic concurrency: apply() loads, decides and writes inside one transaction; the write is
// conditional on the version it loaded (update_case_state), and a caller that passes the
// version it saw (expected_version, as the API does) is refused if the case moved on since. A
// stale writer gets StaleVersion and nothing is merged.
//
// Households: the households and household_members tables are the searchable index of the
// current household (department feeds match people by ID number); opening a case inserts or
// refreshes them, and so does an accepted update_household event. The case data keeps the
// household as the case saw it.
//
// Ownership: a reader or unit of work keeps references to the config and clock (and the reader to
// the session) it was given; both are cheap. REQUIRES: they outlive it.
// Thread-safety: a CaseWriter is immutable after construction; begin() calls the hook source on
// the caller's thread. A unit of work may be moved to another thread; each call uses the session
// it is given, as the session's (one thread at a time).
// Errors: refusals, stale versions and unknown cases are values; the database failing, or stored
// data that cannot be read back (unknown state name, malformed JSON), throws StorageError.
#pragma once

#include <soci/soci.h>

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/case_text.h"
#include "workflows/case_machine.h"
#include "workflows/clock.h"

namespace fangfan {

std::string format_case_id(std::int64_t id);
// "42" -> 42; nullopt for anything but a positive decimal integer.
std::optional<std::int64_t> parse_case_id(std::string_view text);

// An accepted change, as written.
struct CaseChange {
  std::int64_t case_id = 0;
  CaseSnapshot snapshot;  // the case after the event
  Outcome outcome;        // what the machine returned (history entry, steps, notices)
  std::int64_t history_seq = 0;
  std::vector<std::int64_t> outbox_ids;     // the queued written notices, in order
  std::optional<std::int64_t> new_case_id;  // re-identification: the new case
  // The case's data as stored (case_json.h, unmasked), written once by the write (case_text.h):
  // the API builds its answer from this text instead of encoding the data again, with the
  // household's value, at `household_text` in it, masked.
  std::string data_text;
  TextSpan household_text;
};

// The version the caller expected is not the stored one (someone else wrote first).
struct StaleVersion {
  std::int64_t case_id = 0;
  std::int64_t expected_version = 0;
  std::int64_t current_version = 0;
  std::string
      message;  // "案件 42 已被他人更新（您看到的是第 3 版，现在是第 4 版），请刷新后重新操作"
};

struct CaseNotFound {
  std::int64_t case_id = 0;
  std::string message;  // "没有编号为 42 的案件"
};

using OpenResult = std::variant<CaseChange, Refusal>;
using ApplyResult = std::variant<CaseChange, Refusal, StaleVersion, CaseNotFound>;

// A stored history row as the machine produced it (entry.version == seq).
struct CaseView {
  std::int64_t id = 0;
  CaseSnapshot snapshot;
  std::optional<std::int64_t> previous_case_id;
  TimePoint updated_at{};
  std::vector<HistoryEntry> history;  // in order, seq 1 first
};

// Called inside the transaction of every accepted change (the new case of a re-identification
// included), after the case and its history are written and before commit: the place for work
// that must commit with the change, such as the deadlines of issue 5. Throwing rolls the whole
// change back.
using CaseChangeHook = std::function<void(soci::session&, const CaseChange&)>;

// Whether the caller may write a stored case, decided from where its household lives: the
// households row's village (nullopt when that row is missing). The API's scope check, asked on
// the apply's one read of the case row, before anything else is read or written.
using PlaceCheck = std::function<bool(const std::optional<std::string>& village)>;
// The code of the Refusal apply_in returns when its PlaceCheck said no (nothing read beyond the
// case row, nothing written; the caller words its own answer).
inline constexpr std::string_view kOutsidePlaceCode = "outside_place";

// Reads stored cases; has no way to write.
class CaseReader {
 public:
  // `config.rules` restore the machine.
  CaseReader(soci::session& session, const Config& config) : session_(session), config_(config) {}

  // The case with its history; nullopt when there is no such case.
  std::optional<CaseView> load(std::int64_t case_id) const;

  // The stored case as a machine, ready for handle(); nullopt when there is no such case.
  std::optional<CaseMachine> restore(std::int64_t case_id) const;

 private:
  soci::session& session_;
  const Config& config_;
};

// One unit of case writes with the configuration and the deadline hook in force when it was
// opened (CaseWriter::begin). Every call is ONE WriteTransaction on the session it is given.
class CaseUnitOfWork {
 public:
  // Opens a case: the household (inserted, or refreshed when it exists) with its members, the
  // case row, and its first history row. Refused (nothing written) when the machine refuses the
  // event, the household's village is not in the configuration, the household already has a
  // case in progress, or event.previous_case_id names no stored case. `also`, when set, runs
  // after the deadline hook in the same transaction (the importer's row bookkeeping).
  OpenResult open_case(soci::session& session, OpenCase event,
                       const CaseChangeHook& also = {}) const;

  // Applies `event` to stored case `case_id`. With `expected_version`, refused as stale unless
  // the stored version still equals it. `also` as for open_case().
  ApplyResult apply(soci::session& session, std::int64_t case_id, const CaseEvent& event,
                    std::optional<std::int64_t> expected_version = std::nullopt,
                    const CaseChangeHook& also = {}) const;

  // The same two inside a transaction the CALLER holds (a group of writes committed together,
  // daemon/tasks/write_group.h): nothing is begun or committed here. REQUIRES: a WriteTransaction
  // is open on `session`, with a Savepoint set just before the call. A result other than
  // CaseChange, or a throw, may leave writes behind (a re-identification's new case): the caller
  // rolls back to its savepoint. The change is durable only when the caller commits.
  // With `may_write`, a case it refuses gets a Refusal with code kOutsidePlaceCode (an unknown
  // case is still CaseNotFound, asked first).
  OpenResult open_case_in(soci::session& session, OpenCase event,
                          const CaseChangeHook& also = {}) const;
  ApplyResult apply_in(soci::session& session, std::int64_t case_id, const CaseEvent& event,
                       std::optional<std::int64_t> expected_version = std::nullopt,
                       const CaseChangeHook& also = {}, const PlaceCheck& may_write = {}) const;

  const Config& config() const { return config_; }
  const Clock& clock() const { return clock_; }

 private:
  friend class CaseWriter;
  CaseUnitOfWork(const Config& config, const Clock& clock, CaseChangeHook deadlines)
      : config_(config), clock_(clock), deadlines_(std::move(deadlines)) {}

  const Config& config_;
  const Clock& clock_;
  CaseChangeHook deadlines_;  // never empty
};

// Gives the deadline hook for the configuration and calendar in force (adapters/scheduler's
// make_timer_hook): asked once per unit of work, on the thread that calls begin().
using DeadlineHookSource = std::function<CaseChangeHook()>;

// The case writer: built once at start (see the top of this file).
class CaseWriter {
 public:
  // `clock` stamps the rows' updated_at and the outbox messages' times. REQUIRES: `deadlines` is
  // set (std::invalid_argument otherwise: a writer without deadlines is a programming error).
  CaseWriter(const Clock& clock, DeadlineHookSource deadlines);
  CaseWriter(const CaseWriter&) = delete;
  CaseWriter& operator=(const CaseWriter&) = delete;

  // A unit of work with `config` (its rules drive the machine; its villages give a household's
  // township) and the deadline hook in force now. Throws std::logic_error when the source gives
  // an empty hook. REQUIRES: `config` outlives the unit of work.
  CaseUnitOfWork begin(const Config& config) const;

 private:
  const Clock& clock_;
  DeadlineHookSource deadlines_;
};

// The unit of work's implementation: one per call, on the session it is given.
class CaseRepository {
 private:
  friend class CaseUnitOfWork;
  // `own_transaction`: open_case()/apply() begin and commit their own WriteTransaction; false
  // when the caller holds one (open_case_in/apply_in).
  CaseRepository(soci::session& session, const Config& config, const Clock& clock,
                 const CaseChangeHook& deadlines, const CaseChangeHook& also,
                 bool own_transaction = true)
      : session_(session),
        config_(config),
        clock_(clock),
        deadlines_(deadlines),
        also_(also),
        own_transaction_(own_transaction) {}

  OpenResult open_case(OpenCase event);
  ApplyResult apply(std::int64_t case_id, const CaseEvent& event,
                    std::optional<std::int64_t> expected_version, const PlaceCheck& may_write = {});

  std::variant<CaseChange, Refusal> insert_new_case(const OpenCase& event);
  HouseholdContext household_context(const OpenCase& event);
  HouseholdContext household_context(std::int64_t case_id, const CaseSnapshot& stored,
                                     const CaseEvent& event);
  void sync_household(const Household& household, TimePoint now);
  std::vector<std::int64_t> queue_notices(std::int64_t case_id, const Outcome& outcome,
                                          const CaseData& data);
  std::int64_t append(std::int64_t case_id, const HistoryEntry& entry);
  void run_hooks(const CaseChange& change);

  soci::session& session_;
  const Config& config_;
  const Clock& clock_;
  const CaseChangeHook& deadlines_;
  const CaseChangeHook& also_;
  bool own_transaction_;
};

}  // namespace fangfan
