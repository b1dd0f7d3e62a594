// The cases a firing batch reads (issue 15; adapters/scheduler/firing_preload.h): their stored
// data text read by id, a chunk of ids per statement kept prepared, and decoded to what a firing
// decides on.
//
// Why: the batch's cases were read with every column of the row (one fetch of eleven columns
// each) and decoded whole; a firing looks at the data alone, and at five of its fields: the
// household (its head's name, its village), the officer, the measures, the visits and the
// monitoring records (workflows/timer_notice.h decide_duty_timer, workflows/duty_plan.h
// case_facts and plan_month_duty).
//
// firing_case_data_from_json() reads the text as case_json.h does (the same errors: not JSON,
// not an object, a member this fangfan does not know, a wrong form in one of the five fields),
// but decodes only those five fields; the rest of the CaseData is left at its defaults, and a
// wrong form in a field a firing does not read is not looked for. It reads the text as a stream of
// parser events and builds a JSON value for the five fields alone, the other members checked by
// name and skipped (a tree of the whole case was most of the decode's cost); text it cannot take
// that way (an error, a field given twice) is read again as a tree, for the whole decode's words.
// Whatever a firing decides from it is what it decides from the whole case. A new read of another
// field in those decisions must add the field to kFiringFields (firing_cases.cpp);
// firing_cases_test compares the decisions. Errors: the read throws StorageError; decoding errors
// are values. Thread-safety: the read as the session's; decoding is a pure function.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/storage/case_json.h"

namespace fangfan {

// For each stored case among `ids` (any order, repeats allowed), in id order: its id and its data
// as stored. `take` gets the statement's buffer: valid until it returns. Unknown ids are left out.
void read_cases_data(soci::session& session, const std::vector<std::int64_t>& ids,
                     const std::function<void(std::int64_t id, const std::string& data)>& take);

// The case data a firing decides on (see above).
JsonResult<CaseData> firing_case_data_from_json(std::string_view text);

}  // namespace fangfan
