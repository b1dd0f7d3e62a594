// Duties in the database (table `duties`, see workflows/duties.h for the kinds and keys): one
// row per thing someone owes by a deadline, opened, closed and cancelled in the same
// transaction as the change that causes it (the case change hook, a timer firing, recurring
// work seeding; adapters/scheduler).
//
// "Overdue" is derived, never stored: an open duty with due_at <= now. "Due soon": an open duty
// with due_at in (now, now + N]. list_open_duties() reads the (state, due_at) index.
//
// A duty's timers are the timers whose dedupe_key starts with "<duty_key>/": cancel_duty_timers()
// cancels the pending ones when the duty closes.
//
// Errors: StorageError (see database.h); a missing row is std::nullopt.
// Thread-safety: as the session's (one thread at a time).
#pragma once

#include <soci/soci.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/clock.h"
#include "workflows/duties.h"

namespace fangfan {

// DutyState, NewDuty and DutyRecord: workflows/duties.h.

struct OpenDutyResult {
  bool inserted = false;  // false: the key existed (any state) and was left as it was
  std::int64_t id = 0;
};

// Inserts an open duty unless its key exists.
OpenDutyResult open_duty(soci::session& session, const NewDuty& duty);

// A cancelled duty back to open with a new due_at and opened_at (assistance resumed within the
// month). False when it is not cancelled.
bool reopen_duty(soci::session& session, std::int64_t id, TimePoint due_at, TimePoint opened_at);

// open_duty(), or reopen_duty() when the key exists cancelled: the duty as stored when it was
// opened now, nullopt when its key exists open or done (left as it was).
std::optional<DutyRecord> open_or_reopen_duty(soci::session& session, const NewDuty& duty);

std::optional<DutyRecord> load_duty(soci::session& session, std::int64_t id);
std::optional<DutyRecord> find_duty(soci::session& session, std::string_view duty_key);

// open -> done / open -> cancelled, at `now`. False when it was not open.
bool close_duty(soci::session& session, std::int64_t id, TimePoint now);
bool cancel_duty(soci::session& session, std::int64_t id, TimePoint now);

// The open duties of a case, of one kind (and subject) when given, oldest first.
std::vector<DutyRecord> open_case_duties(soci::session& session, std::int64_t case_id,
                                         std::optional<std::string_view> kind = std::nullopt,
                                         std::optional<std::string_view> subject = std::nullopt);

// Every duty of a case, in any state, oldest first (what a decision about the case needs).
std::vector<DutyRecord> case_duties(soci::session& session, std::int64_t case_id);
// The same with what a case change's plan (workflows/duty_plan.h) and its closing of duties read:
// id, duty_key, case_id, kind, subject, state and opened_at; the other fields are left at their
// defaults (the case hook reads this on every case write).
std::vector<DutyRecord> case_duties_for_plan(soci::session& session, std::int64_t case_id);

// Batch reads of firing (issue 15), one kept query per 64 ids (id_chunks.h): the duties with these
// ids (by id; unknown ids left out), and every duty of these cases in any state (by case id, then
// oldest first). The ids in any order, repeats allowed.
std::vector<DutyRecord> load_duties(soci::session& session, const std::vector<std::int64_t>& ids);
std::vector<DutyRecord> duties_of_cases(soci::session& session,
                                        const std::vector<std::int64_t>& case_ids);

// The ids of the cases whose state is one of `states`, or that are emergencies in one of
// `emergency_states`, oldest first. With `missing_kinds`, only those lacking a duty
// "<kind>/<case id><suffix>" (any state) for one of the kinds: one indexed query, not a lookup
// per case. Names are bound as parameters.
std::vector<std::int64_t> cases_lacking_duties(
    soci::session& session, const std::vector<std::string_view>& states,
    const std::vector<std::string_view>& emergency_states,
    const std::vector<std::string>& missing_kinds, const std::string& suffix);

// Cancels the pending timers of a duty (dedupe_key prefix "<duty_key>/"); returns how many.
int cancel_duty_timers(soci::session& session, const DutyRecord& duty);

// The assistance officer of the case's open visits and monitoring duties (after assign_officer).
int set_case_duty_officer(soci::session& session, std::int64_t case_id, std::string_view officer);

struct DutyFilter {
  std::optional<std::string> township, village, officer;
  std::optional<TimePoint> due_before;  // due_at <= this (overdue: now)
  std::optional<std::string> kind;      // one kind only (the feed runner's "feed")
  int limit = 500;
};

// Open duties matching every given filter, by due_at (then id).
std::vector<DutyRecord> list_open_duties(soci::session& session, const DutyFilter& filter);

// How many visits / monitoring records a stored case has for `month` (from its case data).
// nullopt when there is no such case. Throws StorageError when the stored data cannot be read.
std::optional<int> count_case_visits(soci::session& session, std::int64_t case_id,
                                     std::chrono::year_month month);
std::optional<int> count_case_monitoring(soci::session& session, std::int64_t case_id,
                                         std::chrono::year_month month);

}  // namespace fangfan
