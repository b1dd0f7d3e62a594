// The alerts of monitored cases in storage (issue 14 item 6; decide, then write: the decisions
// are workflows/alert_loop.h's; this applies them in the caller's transaction).
//   raise_case_alerts  the case change hook's part: each alert the change marks is inserted
//                      (once per case, rule and period), its history begins ("raised"), its
//                      first review duty opens (alert/<id>/township_review) and the township
//                      clerk is told at once; a major event tells the county office too, as a
//                      type no digest holds ("major_event").
//   apply_alert_step   a step someone took (decided by decide_alert_step): the stage moves,
//                      the history records it, the stage's duty is done and the next stage's
//                      duty opens with its task notice to the next owner.
// Errors: StorageError. Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/storage/alert_store.h"
#include "workflows/alert_loop.h"
#include "workflows/calendar.h"

namespace fangfan {

// Returns the ids of the alerts it inserted now.
std::vector<std::int64_t> raise_case_alerts(soci::session& session, const Config& config,
                                            const WorkingDayCalendar& calendar,
                                            std::int64_t case_id, const Outcome& outcome,
                                            const CaseData& data);

// What a step did: false `moved` when someone moved the alert first (a 409 for the caller).
struct AppliedAlertStep {
  bool moved = false;
  std::int64_t history_id = 0;
  std::vector<std::int64_t> outbox_ids;
};
// REQUIRES: `decision` accepted for `alert` (not refused). `actor`: who, for history.
AppliedAlertStep apply_alert_step(soci::session& session, const Config& config,
                                  const WorkingDayCalendar& calendar, const AlertRecord& alert,
                                  const AlertStepRequest& request,
                                  const AlertStepDecision& decision, const std::string& actor,
                                  TimePoint now);

}  // namespace fangfan
