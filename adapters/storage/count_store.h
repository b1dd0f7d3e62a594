// Read-only counts over the tables, for the daemon's health page, its metrics and the progress
// pages: what the API shows about the whole county without loading rows.
//
// Plain functions on a soci::session, like the other stores; time is passed in.
// Errors: StorageError (see database.h). Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <map>
#include <string>

#include "workflows/clock.h"

namespace fangfan {

// The database answers a trivial query (/healthz). False when it answers wrongly; throws when
// it does not answer.
bool database_answers(soci::session& session);

// Outbox messages per status name (only statuses that have messages).
std::map<std::string, std::int64_t> count_outbox_by_status(soci::session& session);

// Cases per state name (only states that have cases).
std::map<std::string, std::int64_t> count_cases_by_state(soci::session& session);

struct PendingTimerCounts {
  std::int64_t pending = 0;  // not fired yet
  std::int64_t overdue = 0;  // of those, due at or before `now`
};
PendingTimerCounts count_pending_timers(soci::session& session, TimePoint now);

// One township's Q4 evaluation duties of a year (duties.kind = 'evaluation', subject = the year).
struct EvaluationCount {
  std::int64_t tasks = 0, done = 0, open = 0, overdue = 0, cancelled = 0;
};
// Per township code; townships without evaluation duties are absent. `overdue` counts open
// duties due at or before `now`.
std::map<std::string, EvaluationCount> count_evaluation_duties(soci::session& session, int year,
                                                               TimePoint now);

}  // namespace fangfan
