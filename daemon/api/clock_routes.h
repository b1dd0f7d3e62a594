// Simulated time over HTTP, and the dry run of the deadline machinery.
//
//   GET  /api/v1/clock                  any token
//        200 {"now": "2025-01-01T08:00:00+08:00", "today": "2025-01-01", "simulated": true}
//   POST /api/v1/clock/advance          county_admin with the county's scope
//        {"by": "3d"} (also "12h", "30m", "45s"; at most 400 days), or {"to": "2025-02-01T08:00"}
//        Moves the simulated clock; every timer due in between fires in due order (seeding the
//        recurring work at each China midnight) before the answer:
//        200 {"from": ..., "now": ..., "timers_fired": N, "messages_queued": N,
//             "recurring_seeded": N}
//        409 {"error": "clock_not_simulated"} unless the daemon runs with --simulated-clock;
//        400 for a duration that is not positive, too long, or a target in the past.
//   POST /api/v1/simulate               any token with the county's scope (auditors too)
//        {"from": "2025-01-01", "to": "2025-12-31"} (China dates, both included; at most 400
//        days) Runs the same seeding and firing code over the span inside one transaction that
//        is rolled back: nothing is sent, nothing stays.
//        200 {"from", "to", "timers_fired": N, "count": N, "messages": [{"at", "timer_kind",
//             "step", "rung", "case_id", "channel", "recipient" (phones masked),
//             "message_type", "params", "text", "dedupe_key"}]} in date order.
//        While it runs (on SQLite) other writers wait for it: keep spans to what you need.
#pragma once

#include "daemon/api/api_context.h"
#include "daemon/api/router.h"
#include "daemon/tasks/scheduler.h"

namespace fangfan {

// REQUIRES: `scheduler` outlives the router's use.
void register_clock_routes(Router& router, ApiServices& services, Scheduler& scheduler);

}  // namespace fangfan
