#include "workflows/feedback.h"

#include "workflows/date.h"

namespace fangfan {

const std::string_view kNotOnTheList = "不在本部门名单中 (not on this department's list)";

std::optional<MeasureType> parse_measure_type(std::string_view text) {
  for (const auto& e : CodeTable<MeasureType>::kEntries) {
    if (text == e.code || text == e.label) return e.value;
  }
  return std::nullopt;
}

FeedbackDecision decide_feedback(const FeedSource& source, const FeedColumns& columns,
                                 const FeedRecord& record, std::string_view period,
                                 const std::optional<MemberMatch>& member, TimePoint at) {
  auto value = [&](std::string_view field) -> std::string {
    const int i = columns.field_index(field);
    return i >= 0 ? record.values[static_cast<std::size_t>(i)] : std::string();
  };
  auto header = [&](std::string_view field) -> std::string {
    const int i = columns.field_index(field);
    return i >= 0 ? columns.headers[static_cast<std::size_t>(i)] : std::string();
  };
  // Only a household the department was sent (a case in progress or monitored) is answered for.
  if (!member || !member->case_id) {
    return FeedbackProblem{"id_number", header("id_number"), std::string(kNotOnTheList)};
  }
  FeedbackMeasure out;
  out.case_id = *member->case_id;
  RecordDepartmentMeasure& e = out.event;
  e.measure = value("measure");
  if (e.measure.empty()) {
    return FeedbackProblem{"measure", header("measure"),
                           "落实措施为空：请写明部门落实了什么 (the measure is empty)"};
  }
  const std::string type = value("measure_type");
  const std::string code = type.empty() ? source.measure_type : type;
  const std::optional<MeasureType> parsed = parse_measure_type(code);
  if (!parsed) {
    return FeedbackProblem{
        "measure_type", header("measure_type"),
        "措施类型不是已知的帮扶措施类型（如“综合保障”或 social_security）(not a known measure "
        "type)"};
  }
  e.meta.actor = "department:" + source.department;
  e.meta.at = at;
  e.department = source.department;
  e.department_name = source.department_name;
  e.feed = source.name;
  e.period = std::string(period);
  e.member_id_number = value("id_number");
  const std::string name = value("name");
  e.member_name = name.empty() ? member->name : name;
  e.measure_type = *parsed;
  e.amount = value("amount");
  e.amount_label = e.amount.empty() ? std::string() : header("amount");
  const std::string start = value("start_date");
  // check_feed_row stored dates as YYYY-MM-DD; the list's day when the department gave none.
  const std::optional<Date> day = parse_date(start.empty() ? std::string(period) : start);
  if (!day) {
    return FeedbackProblem{"start_date", header("start_date"),
                           "起始日期无效 (the start date is not a date)"};
  }
  e.start_date = *day;
  return out;
}

}  // namespace fangfan
