// What is overdue and what falls due soon, over HTTP: the open duties of the
// duties table (adapters/storage/duty_store.h), seen through the token's scope.
//
//   GET /api/v1/overdue?township=&village=&officer=&limit=
//        Open duties with due_at <= now.
//   GET /api/v1/due-soon?days=7&township=&village=&officer=&limit=
//        Open duties with due_at in (now, now + days] (days 1..366, default 7).
//   200 {"now": "...", "count": N, "duties": [{id, duty_key, case_id, kind, subject,
//        township_code, village_code, owner_role, officer, due_at, due_date,
//        days_overdue | days_left}], "by_township": {"CODE": N}, "by_officer": {"NAME": N}}
//        by due_at. days_overdue / days_left count China calendar days.
// Any valid token; a county token sees the county, a township token its township,
// a village token its village. A township or village filter outside the token's
// scope is a 403 (nothing to touch, but nothing shown either); a bad days or
// limit (1..1000, default 500) is a 400 naming it.
//
// Thread-safety: handlers run on the loop thread, their reads on the storage executor.
#pragma once

#include "daemon/api/api_context.h"
#include "daemon/api/router.h"

namespace fangfan {

void register_duty_routes(Router& router, ApiServices& services);

}  // namespace fangfan
