// Operations endpoints and the metrics every deployment has.
//
//   GET /healthz   no token. 200 {"status":"ok",...} when the database answers a
//                  trivial query and every registered heartbeat (health.h) is
//                  recent; else 503 {"status":"unavailable",...}. Each check is
//                  listed under "checks" with what failed.
//   GET /metrics   any valid token (Prometheus: `authorization: {credentials: ...}`
//                  in the scrape config). Runs the registry's collectors on a
//                  storage thread, then renders the text exposition format. A
//                  database that cannot be read still gives the HTTP metrics.
//
// add_standard_collectors() registers the gauges filled from the schema's own
// tables at scrape time: fangfan_outbox_messages{status} (every status, zeros
// included), fangfan_cases{state}, fangfan_timers_pending and
// fangfan_timers_overdue (pending with due_at <= now).
#pragma once

#include "daemon/api/api_context.h"
#include "daemon/api/router.h"

namespace fangfan {

class MetricsRegistry;

void register_ops_routes(Router& router, ApiServices& services);

void add_standard_collectors(MetricsRegistry& metrics);

}  // namespace fangfan
