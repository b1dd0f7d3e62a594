// Case events in the API's JSON, derived from the events' descriptions in workflows/case_events.h
// (BOOST_DESCRIBE_STRUCT and OptionalFields): the decoder of POST /api/v1/cases and
// POST /api/v1/cases/{id}/events, its list of known fields, and the schema that the field and
// code tables of docs/api.md are compared with (tests/daemon/api_docs_test.cpp). Adding a member
// to an event's description adds it to all three.
//
// A body holds the event's described members by name plus an envelope the route names: "reason"
// (EventMeta::reason) always, "type" and "expected_version" for POST .../events. Each member is
// read with the case_json codec (adapters/storage/case_json.h: codes, "YYYY-MM-DD" dates,
// "YYYY-MM" months, money in integer fen; a nested member left out keeps its default, an unknown
// nested member is refused). Every error is ApiError::bad_request naming the field's full path
// ("household.members[1].id_number"): an unknown top-level field ("未知字段 ..."), a required one
// missing or null ("缺少字段 ..."), a malformed value (the codec's sentence).
//
// Thread-safety: pure functions over tables built once.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/api/json_errors.h"
#include "workflows/case_events.h"

namespace fangfan {

// One member of an event or record: its JSON name, its type in the docs' words ("string",
// "date", "[account]", "code (risk_cause)", "discretion or null") and whether a body must have it.
struct FieldSchema {
  std::string name;
  std::string type;
  bool required = false;
};

struct EventSchema {
  std::string_view name;   // the event's kName: the API's `type`
  std::string_view label;  // its kLabel
  std::vector<FieldSchema> fields;
};

// A described record an event field holds (household, member, account, ...). Its members are
// never required: one left out keeps its default.
struct RecordSchema {
  std::string name;
  std::vector<FieldSchema> fields;
};

// A closed list of codes (workflows/case_codes.h) a client sends: code and Chinese label.
struct CodeListSchema {
  std::string name;  // as FieldSchema::type names it: "code (NAME)"
  std::vector<std::pair<std::string_view, std::string_view>> entries;
};

// Every event, in CaseEvent order (open_case first); the records and code lists their fields
// use, in order of first use.
const std::vector<EventSchema>& event_schemas();
const std::vector<RecordSchema>& record_schemas();
const std::vector<CodeListSchema>& code_list_schemas();

// nullptr for a name that is no event.
const EventSchema* find_event_schema(std::string_view name);

// 400 for the first field of `body` that is neither in `envelope` nor a member of the event.
// REQUIRES: find_event_schema(event) != nullptr.
void reject_unknown_fields(const JsonFields& body, const EventSchema& event,
                           std::initializer_list<std::string_view> envelope);

// Reads the event `event` from `body` (after reject_unknown_fields): `meta` carries the server's
// actor and time; its reason is read from the body's "reason". Every text of the event comes
// back in NFC (adapters/text/text_normal.h); the case rules refuse control and invisible
// characters (409 text_character_refused). Throws the 400s above.
CaseEvent decode_event(const JsonFields& body, const EventSchema& event, EventMeta meta);

}  // namespace fangfan
