// The Q4 evaluation's results (record_evaluation, issue 14) counted per township for the
// evaluation progress answer and report, and asked of one case before its evaluation task may be
// closed by hand: read from the case history (the event's details hold the year and the result),
// so no table of their own.
//
// Thread-safety: one session per thread, like every store.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <map>
#include <string>

namespace fangfan {

// One township's evaluation results of a year, by result code.
struct EvaluationResultCount {
  std::int64_t risk_removed = 0, risk_persisting = 0, new_risk = 0;
  std::int64_t total() const { return risk_removed + risk_persisting + new_risk; }
};

// Per township code (the household's township); townships without results are absent.
// Throws StorageError (guarded) on a database failure.
std::map<std::string, EvaluationResultCount> count_evaluation_results(soci::session& session,
                                                                      int year);

// The statement count_evaluation_results runs (bound: nothing), for a test to EXPLAIN that it
// reads the index case_history_by_event.
extern const char* const kEvaluationResultsSql;

// Whether the case's history holds a record_evaluation of `year` (what closes its evaluation
// task; POST /api/v1/duties/{id}/done closes no task without one). Throws StorageError (guarded).
bool has_evaluation_result(soci::session& session, std::int64_t case_id, int year);

}  // namespace fangfan
