// The routes fangfand serves beyond HttpApi's own (/healthz, /metrics, outbox, cases, imports,
// calendar, overdue and due-soon): those that need parts the daemon builds next to the API —
// the scheduler's clock and dry run — and campaign work.
//
// fangfand calls it once, before listen(); tests/daemon/api_docs_test.cpp calls it the same way,
// so docs/api.md is checked against exactly the routes the daemon serves. A new area's routes
// go here (one line), not into service.cpp.
//
// REQUIRES: `scheduler` outlives the API's use of the routes.
#pragma once

#include "daemon/api/http_api.h"

namespace fangfan {

class Scheduler;

void register_daemon_routes(HttpApi& api, Scheduler& scheduler);

}  // namespace fangfan
