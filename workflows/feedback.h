// A department's answer to its list (落实情况反馈), the pure decision per row: the feedback feed
// (FeedSource::answers_list, workflows/feed_rules.h) is read and checked like any feed
// (workflows/feeds.h); each good row is then either a record_department_measure on the case of
// the member it names, or quarantined with the reason. adapters/feeds/feed_intake applies it.
//
// Row fields: id_number (required), measure (text, required: what the department did),
// measure_type (a MeasureType code or its Chinese label; empty: the feed's measure_type),
// start_date (empty: the list's day), amount (yuan), name (else the member's name).
// Quarantined: a person with no case in progress or monitored ("不在本部门名单中"), an empty
// measure, a measure type that is neither a code nor a label (nor a default configured).
// Sentences never repeat a cell (so never an ID number).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "workflows/case_events.h"
#include "workflows/feeds.h"

namespace fangfan {

// The event to apply on `case_id`.
struct FeedbackMeasure {
  std::int64_t case_id = 0;
  RecordDepartmentMeasure event;
};
// Why a row is not applied: the field and the department's header of the cell concerned.
struct FeedbackProblem {
  std::string field, header, reason;
};
using FeedbackDecision = std::variant<FeedbackMeasure, FeedbackProblem>;

// "不在本部门名单中 (not on this department's list)".
extern const std::string_view kNotOnTheList;

// `period`: the answered list's "YYYY-MM-DD"; `member`: the person as found among household
// members by ID number (nullopt: nobody); `at`: when it is recorded (the event's time).
// REQUIRES: `source` is a feedback feed and `columns` map its id_number and measure.
FeedbackDecision decide_feedback(const FeedSource& source, const FeedColumns& columns,
                                 const FeedRecord& record, std::string_view period,
                                 const std::optional<MemberMatch>& member, TimePoint at);

// A MeasureType from its code ("social_security") or its Chinese label ("综合保障").
std::optional<MeasureType> parse_measure_type(std::string_view text);

}  // namespace fangfan
