// Department feeds (行业部门数据), the pure decisions: a department's header mapped to fields,
// one row checked and normalized, which signal rules (预警规则) fire on it, where a fired rule
// goes (the case's history or a new alert, 预警线索), when a schedule's periods fall due, and the
// duties and timers of a missing period and of an alert's verification (预警核实).
// adapters/feeds reads the files and applies the decisions; adapters/scheduler seeds and fires
// the FeedDue timers (workflows/timer_payload.h).
//
// Fields and their checks: see the top of workflows/feed_rules.h. Every problem is a sentence
// (Chinese, English in brackets) that never repeats the cell, so never an ID number.
//
// Speed: check_feed_row and fired_rules run once per row of files of millions of rows: they
// write into the caller's buffers, allocate nothing for a good row once the buffers have grown,
// and look fields up by index (FeedColumns and CompiledFeedRules are built once per file).
//
// Periods: a schedule runs once a month at most ("YYYY-MM" is the period, the key of its duty
// and timer); of several days_of_month the first is the month's occurrence. Days are China
// dates at `hour` China time and stay where they are when they fall on a rest day (the 5th is
// the 5th); a day past a month's end is its last day.
// Thread-safety: pure functions; FeedColumns and CompiledFeedRules are values.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "workflows/calendar.h"
#include "workflows/clock.h"
#include "workflows/duty_plan.h"
#include "workflows/feed_rules.h"
#include "workflows/program_rules.h"
#include "workflows/timer_payload.h"

namespace fangfan {

// -- header and rows

// How a field's cells are checked, from its name (feed_rules.h).
enum class FeedFieldKind { kIdNumber, kVillageCode, kDate, kAmount, kCode, kText };
FeedFieldKind feed_field_kind(std::string_view field);

// The department's header mapped to fields (FeedSource::columns): the column of each field.
struct FeedColumns {
  std::vector<std::string> fields;                // id_number first, then the others by name
  std::vector<std::string> headers;               // the department's header of each field
  std::vector<int> index;                         // column index in the file of each field
  std::vector<FeedFieldKind> kinds;               // how each field is checked
  int field_index(std::string_view field) const;  // -1 when not mapped
};
// Every mapped header must be present once (surrounding spaces and a UTF-8 BOM ignored); else a
// sentence naming the header, its field and the feed.
std::variant<FeedColumns, std::string> map_feed_header(const std::vector<std::string>& header,
                                                       const FeedSource& source);

// One good row: values[i] is the normalized value of columns.fields[i] ("" when empty).
struct FeedRecord {
  std::int64_t line = 0;  // in the file, 1 = the header
  std::vector<std::string> values;
};
struct FeedCellProblem {
  std::string field, header, reason;  // reason: a sentence
};

// Checks one row (a missing cell at the end counts as empty) by field kind:
//   id_number     required; GB 11643 and a birth date not after `today`; a number Excel
//                 mangled ("3.7E+17", or 18 digits ending in 000 whose check digit fails) is
//                 refused as such. Stored trimmed, a final 'x' upper-cased.
//   village_code  12 digits and known_village(code); empty allowed (unplaced).
//   dates         parse_feed_date, stored YYYY-MM-DD; empty allowed.
//   amounts       canonical_amount; empty allowed.
//   *_code        letters, digits and '-'; empty allowed.
//   text          trimmed.
// True with `out` filled; false with `problem` filled. Buffers are reused.
bool check_feed_row(std::int64_t line, std::span<const std::string_view> cells,
                    const FeedColumns& columns, Date today,
                    const std::function<bool(std::string_view)>& known_village, FeedRecord& out,
                    FeedCellProblem& problem);
bool check_feed_row(std::int64_t line, const std::vector<std::string>& cells,
                    const FeedColumns& columns, Date today,
                    const std::function<bool(std::string_view)>& known_village, FeedRecord& out,
                    FeedCellProblem& problem);
// The same, returning a value (convenient, allocates).
std::variant<FeedRecord, FeedCellProblem> validate_feed_row(
    std::int64_t line, const std::vector<std::string>& cells, const FeedColumns& columns,
    Date today, const std::function<bool(std::string_view)>& known_village);

// A date as departments write it: YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日, YYYYMMDD (a time
// after the date is ignored), or an Excel serial day number (45658 = 2025-01-01; a fraction is
// the time of day). Years before 1900 and non-dates are refused.
std::optional<Date> parse_feed_date(std::string_view text);
// An amount in yuan: optional sign, digits (',' between groups allowed), at most two decimals,
// an optional trailing "元". The canonical form has no leading zeros, no '+', no grouping and no
// trailing fraction zeros ("1,200.50" -> "1200.5", "-0" -> "0"); nullopt when not an amount.
std::optional<std::string> canonical_amount(std::string_view text);

// The row's identity for duplicates: id_number and FeedSource::key_fields' values.
std::string feed_row_key(const FeedRecord& record, const FeedColumns& columns,
                         const FeedSource& source);

// -- rules

// A source's rules with their fields resolved to columns, built once per file.
struct CompiledFeedRules {
  struct Condition {
    int column = -1;  // into FeedRecord::values; -1: the field is not mapped (never holds)
    const FeedCondition* condition = nullptr;
  };
  struct Rule {
    const FeedRule* rule = nullptr;
    std::vector<Condition> conditions;
  };
  std::vector<Rule> rules;
};
CompiledFeedRules compile_feed_rules(const FeedSource& source, const FeedColumns& columns);

// The rules that fire on a row (every condition holds), in configured order, appended to `out`
// (cleared first). household_income: the yearly income of the person's monitored household.
void fired_rules(const CompiledFeedRules& rules, const FeedRecord& record,
                 std::optional<double> household_income, std::vector<const FeedRule*>& out);
std::vector<const FeedRule*> fired_rules(const FeedSource& source, const FeedColumns& columns,
                                         const FeedRecord& record,
                                         std::optional<double> household_income);

// -- alerts

// The person as found among household members by ID number (adapters load it).
struct MemberMatch {
  std::string household_code, village_code, township_code, name;
  std::optional<std::int64_t> case_id;  // the household's case in progress or monitored
  std::string case_state;               // its state name (case_events.h), e.g. "county_review"
  std::optional<double> household_income;
};

// Evidence for a case's history (the record_department_evidence event, applied by the caller
// through the case writer); the case's officer and township clerk are told.
struct CaseEvidence {
  std::int64_t case_id = 0;
  // A cross-check rule (exclusion set) on a case in county review: shown to the county office
  // with the exclusion code, never applied by itself.
  bool county_review = false;
};
// A new alert about a person the county does not monitor.
struct NewAlert {
  std::string township_code;  // the county code when unplaced
  std::string village_code;   // "" when unplaced or placed only by township
  bool placed = true;         // false: neither the row nor a member names a known village
};
struct AlertDecision {
  std::variant<CaseEvidence, NewAlert> route;
  std::string feed, department, period, rule, rule_label, exclusion;
  std::string id_number;  // normalized (for the alerts row; never in summary or detail)
  std::string name;       // from the row's name field, else the member's
  std::string summary;    // a sentence with the name masked and no ID number
  // The row's other fields (field, value), id_number left out: the alert's or event's detail.
  std::vector<std::pair<std::string, std::string>> detail;
};

// Where a rule that fired on a row goes:
//   - the person is a member of a household with a case (in progress or monitored): evidence on
//     that case (county_review when the rule has an exclusion and the case is in county review);
//   - anyone else (no member, or a member without such a case; a cross-check hit included): a
//     new alert for the township of the row's village_code (township_of(code); "" = unknown),
//     else of the member's village, else the county office (county_code).
AlertDecision decide_alert(const FeedSource& source, const FeedRule& rule,
                           const FeedColumns& columns, const FeedRecord& record,
                           std::string_view period, const std::optional<MemberMatch>& member,
                           const std::function<std::string(std::string_view)>& township_of,
                           std::string_view county_code);

// -- schedules

struct FeedOccurrence {
  std::string schedule, feed, department, period;  // period "YYYY-MM"
  TimePoint at{};
  bool operator==(const FeedOccurrence&) const = default;
};
// Occurrences of every kind="feed" schedule whose feed is configured, with at in (from, to], in
// time order (ties in schedule order).
std::vector<FeedOccurrence> feed_occurrences(const ProgramRules& rules, TimePoint from,
                                             TimePoint to);
// The latest occurrence of `schedule` at or before `now` (within the last 13 months).
std::optional<FeedOccurrence> latest_feed_occurrence(const ProgramRules& rules,
                                                     const Schedule& schedule, TimePoint now);
// A fired FeedDue timer's occurrence (`at`: the timer's due_at); nullopt when the feed is no
// longer configured.
std::optional<FeedOccurrence> feed_due_occurrence(const ProgramRules& rules, const FeedDue& due,
                                                  TimePoint at);
// timers.dedupe_key of a FeedDue timer: "feed_due/<feed>/<period>".
std::string feed_due_key(std::string_view feed, std::string_view period);

// -- duties

std::string feed_duty_key(std::string_view feed, std::string_view period);  // feed/<feed>/<period>
std::string alert_duty_key(std::int64_t alert_id);                          // alert/<id>

// "Look for this period's data": kind "feed", subject "<feed>/<period>", the county's,
// owed by the department clerk, due and opened at the occurrence. Opened without timers.
NewDuty feed_duty(const FeedOccurrence& occurrence, std::string_view county_code);
// A period's data not found at its due time: the ladder of the source (counted in working days
// from due_at, rung 0 at due_at; no ladder configured: rung 0 to the department clerk). Each
// timer's notice is overdue, due_date the China date of due_at.
CalendarResult<std::vector<PlannedTimer>> plan_feed_missing(const DutyRecord& duty,
                                                            const FeedSource& source,
                                                            const WorkingDayCalendar& calendar);
// Verifying alert `alert_id` (kind "alert", subject the id, owed by rules.owner_role of the
// township): due rules.deadline.period working days after raised_at, with its reminder and
// ladder (no ladder configured: the owner at due time).
CalendarResult<OpenDuty> plan_alert_duty(std::int64_t alert_id, std::string_view township_code,
                                         std::string_view village_code, TimePoint raised_at,
                                         const AlertRules& rules,
                                         const WorkingDayCalendar& calendar);

}  // namespace fangfan
