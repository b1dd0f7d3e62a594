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

namespace fangfan {

enum class DutyState { kOpen, kDone, kCancelled };
std::string_view duty_state_name(DutyState state);  // "open", "done", "cancelled"

struct NewDuty {
  std::string duty_key;                 // unique, see workflows/duties.h
  std::optional<std::int64_t> case_id;  // none for campaign milestones
  std::string kind;     // "step" | "visits" | "monitoring" | "evaluation" | "campaign"
  std::string subject;  // step name, "2025-03", "2025", "campaign/milestone"
  std::string township_code;
  std::string village_code;  // empty for township-wide duties
  std::string owner_role;    // role name from config, e.g. "township_clerk"
  std::string officer;       // the case's assistance officer when assigned
  TimePoint due_at{};
  TimePoint opened_at{};
};

struct DutyRecord {
  std::int64_t id = 0;
  std::string duty_key;
  std::optional<std::int64_t> case_id;
  std::string kind;
  std::string subject;
  std::string township_code;
  std::string village_code;
  std::string owner_role;
  std::string officer;
  TimePoint due_at{};
  DutyState state = DutyState::kOpen;
  TimePoint opened_at{};
  std::optional<TimePoint> closed_at;
};

struct OpenDutyResult {
  bool inserted = false;  // false: the key existed (any state) and was left as it was
  std::int64_t id = 0;
};

// Inserts an open duty unless its key exists.
OpenDutyResult open_duty(soci::session& session, const NewDuty& duty);

// A cancelled duty back to open with a new due_at and opened_at (assistance resumed within the
// month). False when it is not cancelled.
bool reopen_duty(soci::session& session, std::int64_t id, TimePoint due_at, TimePoint opened_at);

std::optional<DutyRecord> load_duty(soci::session& session, std::int64_t id);
std::optional<DutyRecord> find_duty(soci::session& session, std::string_view duty_key);

// open -> done / open -> cancelled, at `now`. False when it was not open.
bool close_duty(soci::session& session, std::int64_t id, TimePoint now);
bool cancel_duty(soci::session& session, std::int64_t id, TimePoint now);

// The open duties of a case, of one kind (and subject) when given, oldest first.
std::vector<DutyRecord> open_case_duties(soci::session& session, std::int64_t case_id,
                                         std::optional<std::string_view> kind = std::nullopt,
                                         std::optional<std::string_view> subject = std::nullopt);

// Cancels the pending timers of a duty (dedupe_key prefix "<duty_key>/"); returns how many.
int cancel_duty_timers(soci::session& session, const DutyRecord& duty);

// The assistance officer of the case's open visits and monitoring duties (after assign_officer).
int set_case_duty_officer(soci::session& session, std::int64_t case_id, std::string_view officer);

struct DutyFilter {
  std::optional<std::string> township, village, officer;
  std::optional<TimePoint> due_before;  // due_at <= this (overdue: now)
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
