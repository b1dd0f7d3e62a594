// Department feeds and alerts over HTTP (docs/api.md, "Department feeds" and "Alerts"):
//
//   GET  /api/v1/feeds                        the configured feeds, their schedules, last runs
//   GET  /api/v1/feeds/runs                   runs, newest first (?feed ?department ?period
//                                             ?limit ?offset), with the total
//   GET  /api/v1/feeds/runs/{id}              one run
//   GET  /api/v1/feeds/runs/{id}/bad-rows     its quarantined rows, paged (?limit ?offset), with
//                                             the total; ?format=csv: every row as CSV for Excel
//                                             with 原行号 and 错误原因, ready to correct
//   POST /api/v1/feeds/{feed}/runs            take a period's data now ({"period": "YYYY-MM"},
//                                             default the latest scheduled period)
//   POST /api/v1/feeds/runs/{id}/fix          re-apply a corrected file (the body) for the run's
//                                             bad rows
//   GET  /api/v1/alerts                       alerts (?township ?status ?feed ?limit ?offset)
//   GET  /api/v1/alerts/{id}                  one alert with its history
//   POST /api/v1/alerts/{id}/case             open a case from it (the POST /api/v1/cases body;
//                                             source department_alert, linked to the alert)
//   POST /api/v1/alerts/{id}/dismiss          dismiss it ({"reason": "..."})
//   POST /api/v1/alerts/{id}/step             a step of a monitored case's alert loop
//                                             ({"action", "reason", "department", "days"};
//                                             workflows/alert_loop.h)
//
// Scopes: feeds are the county's and the departments': county_admin, county_office and auditors
// see every feed; a department_clerk whose token scope is a department code sees that
// department's only (with the county's scope, every department's). Alerts are seen by the
// county roles, auditors, department clerks (their department's) and township clerks (their
// township's); cases are opened from them and they are dismissed by the township clerk of the
// alert's township and the county roles. Bad rows and alert details hold ID numbers in full
// (the people who correct and verify need them): never for auditors.
#pragma once

#include "daemon/api/api_context.h"
#include "daemon/api/router.h"

namespace fangfan {

class FeedRunner;

void register_feed_routes(Router& router, ApiServices& services, FeedRunner* runner);

}  // namespace fangfan
