// Cases over HTTP: open a case (with its household), post events to it, read
// one with its history, list them. Every route checks the token's scope against
// the household's village BEFORE touching anything (a 403 writes nothing), and
// every write records the token holder as the event's actor and the daemon
// clock's now as its time.
//
//   POST /api/v1/cases
//        {"household": {code, village_code, phone, members: [{name, id_number, relation,
//         able_to_work, disabled, student}]}, "kind": "unstable", "source": "self_application",
//         "risk_causes": ["illness"], "emergency": false, "emergency_reason": "",
//         "reason": ""}
//        201 {"case": {...}}; 403 outside scope; 409 {"error":"refused"} with the machine's
//        sentence; 400 naming the field.
//   POST /api/v1/cases/{id}/events
//        {"type": "<event code>", "expected_version": N (optional), "reason": "...", payload}
//        The codes and payload fields are the kName and fields of workflows/case_events.h
//        (kEventTypes in case_routes.cpp lists them); records (accounts, hardship, household,
//        record, ...) have the JSON form of adapters/storage/case_json.h.
//        200 {"case": {...}, "history_seq": N, "new_case_id": N|null}; 404 unknown case;
//        409 refused (machine reason) or stale version; 403 outside scope.
//   GET  /api/v1/cases/{id}              200 {"case": {...}, "history": [...]}
//   GET  /api/v1/cases?state=&kind=&township=&village=&officer=&limit=
//        200 {"cases": [{id, state, kind, version, household_code, village_code,
//        township_code, officer, emergency}], "count": N}, only cases in the token's scope.
//
// ID numbers and phone numbers are always masked in answers in this version (no role
// sees them unmasked over HTTP yet).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>

#include "daemon/api/api_context.h"
#include "daemon/api/router.h"
#include "workflows/case_records.h"

namespace fangfan {

void register_case_routes(Router& router, ApiServices& services);

// A case as the API shows it, ID numbers and phones masked.
boost::json::object case_to_json(std::int64_t id, const CaseSnapshot& snapshot);

}  // namespace fangfan
