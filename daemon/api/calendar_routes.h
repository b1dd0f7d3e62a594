// The working-day calendar over HTTP: the answers of `fangfanctl calendar`, for
// clerks who count deadlines and for the national system's exports.
//
//   GET /api/v1/calendar/working-day?date=2025-10-08
//        200 {"date":"2025-10-08","working_day":false,"period":"国庆节、中秋节"}
//   GET /api/v1/calendar/add-working-days?date=2025-09-30&n=5
//        200 {"date":"2025-09-30","n":5,"result":"2025-10-14"}   (n may be negative)
//   GET /api/v1/calendar/working-days-between?from=2025-10-01&to=2025-10-31
//        200 {"from":"2025-10-01","to":"2025-10-31","working_days":17}  (both included)
// Any valid token (the calendar is public data). A malformed date or count is a
// 400 naming the query parameter; `to` before `from` is a 400; a year without
// data is 422 {"error":"calendar_missing","year":2027,...} with the
// calendar's own sentence; no calendar loaded is a 503.
//
// Thread-safety: handlers run on the loop thread; the calendar is immutable.
#pragma once

#include "daemon/api/api_context.h"
#include "daemon/api/router.h"

namespace fangfan {

void register_calendar_routes(Router& router, ApiServices& services);

}  // namespace fangfan
