// Cases over HTTP: open a case (with its household), post events to it, read
// one with its history, list them. Every route checks the token's scope against
// the household's village BEFORE touching anything (a 403 writes nothing), and
// every write records the token holder as the event's actor and the daemon
// clock's now as its time.
//
//   POST /api/v1/cases                   the open_case fields and "reason"
//        201 {"case": {...}, "history_seq": N}; 403 outside scope; 409 refused; 400 naming the
//        field.
//   POST /api/v1/cases/{id}/events
//        {"type": "<event name>", "expected_version": N (optional), "reason": "...", fields}
//        The names and fields are the events' descriptions (workflows/case_events.h), decoded
//        by daemon/api/event_json.h. 200 {"case": {...}, "history_seq": N, "new_case_id":
//        N|null}; 404 unknown case; 409 refused or stale version; 403 outside scope.
//        A refusal is {"error":"refused","reason":CODE,"field":PATH (when one),"message",
//        "event","state"}.
//   GET  /api/v1/cases/{id}              200 {"case": {...}, "history": [{version, event, label,
//        from_state, from_label, to_state, to_label, actor, at, reason, details}]}
//   GET  /api/v1/cases?state=&kind=&township=&village=&officer=&limit=
//        200 {"cases": [{id, state, kind, version, household_code, village_code,
//        township_code, officer, emergency}], "count": N}, only cases in the token's scope.
// docs/api.md is the full contract (tests/daemon/api_docs_test.cpp compares the answers).
//
// ID numbers and phone numbers are always masked in answers in this version (no role
// sees them unmasked over HTTP yet).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>

#include "adapters/storage/case_repository.h"
#include "daemon/api/api_context.h"
#include "daemon/api/router.h"
#include "workflows/case_records.h"

namespace fangfan {

void register_case_routes(Router& router, ApiServices& services);

// A case as the API shows it, ID numbers and phones masked.
boost::json::object case_to_json(std::int64_t id, const CaseSnapshot& snapshot);

// The answer to a case write, {"case": case_to_json(...), "history_seq": n} and, with
// `new_case_id`, "new_case_id": the new case's id or null: the bytes serialize() writes for that
// object, written from the data as the write stored it (CaseChange::data_text, its household
// masked here). A written case is encoded once, not once to store and again to answer.
std::string written_case_answer(const CaseChange& change, bool with_new_case_id);

}  // namespace fangfan
