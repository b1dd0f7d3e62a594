// The outbox over HTTP: what is queued, sent and failed, and the operator's
// retry and cancel. County-level only (messages go to people all over the
// county): reading needs a county-scoped county_admin, county_office or auditor
// token; retry and cancel need county_admin.
//
//   GET  /api/v1/outbox?status=pending&limit=100
//        200 {"messages":[{id, status, channel, recipient, message_type, attempts,
//             next_attempt_at, last_error, ...}], "count": N}, newest first.
//        status: pending | sending | sent | failed | dead | cancelled (default: all);
//        limit 1..1000 (default 100). Anything else is a 400 naming the parameter.
//   POST /api/v1/outbox/{id}/retry    failed | dead -> pending, due now, attempts reset
//   POST /api/v1/outbox/{id}/cancel   pending | failed | dead -> cancelled
//        200 {"message": {...}} with the message as it is now; 404 for an unknown
//        id; 409 {"error":"not_retryable" | "not_cancellable"} naming its status.
#pragma once

#include <boost/json/object.hpp>

#include "adapters/storage/outbox_store.h"
#include "daemon/api/api_context.h"
#include "daemon/api/router.h"

namespace fangfan {

void register_outbox_routes(Router& router, ApiServices& services);

boost::json::object outbox_to_json(const OutboxRecord& message);

}  // namespace fangfan
