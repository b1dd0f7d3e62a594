// Department lists (行业部门名单), the pure decisions: which households (or members) a
// department's list holds and with which cells, what changed since its previous list (the "变化"
// sheet), when a kind = "list" schedule's periods fall due, and the duties of producing a list
// and of the department's answer (落实情况反馈). Configuration: workflows/list_rules.h.
// adapters/lists writes the files (XLSX, CSV, encrypted zip); daemon/tasks/list_runner produces
// and records them; delivery goes through the outbox.
//
// Who is on a list (list_category): a case that is a monitoring object (registered or in the
// elimination steps; 监测对象), or an emergency case assisted before recognition (先帮扶后认定)
// or of kind "instant" in progress (即时帮扶), labelled 回退 when it was rolled back. Then the
// list's risk_causes and member filter narrow it (workflows/list_rules.h).
//
// Cells are text (ID numbers and codes stay text in every file). ID numbers and names are in
// full: these are official lists for the departments, never messages.
// Rows are ordered by township code, village code, household code, then member order.
//
// Periods: every day of a list schedule is its own occurrence; the period is that China date
// "YYYY-MM-DD" (the key of its timer and duties). Days stay where they fall (the 1st is the 1st)
// at `hour` China time.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/calendar.h"
#include "workflows/case_records.h"
#include "workflows/clock.h"
#include "workflows/duty_plan.h"
#include "workflows/list_rules.h"
#include "workflows/program_rules.h"
#include "workflows/timer_payload.h"

namespace fangfan {

// -- columns

struct ListColumn {
  std::string_view code;    // as configured, e.g. "head_id_number"
  std::string_view header;  // the Chinese header, e.g. "户主身份证号"
  int width = 12;           // Excel column width (characters)
  bool identity = false;    // an ID number or code: written as text, never a number
};
// Every column a list can have, in a stable order:
//   household_code 户编号 · township 乡镇（街道） · village 行政村 · head_name 户主姓名 ·
//   head_id_number 户主身份证号 · name 姓名 · id_number 身份证号 · relation 与户主关系 ·
//   phone 联系电话 · persons 家庭人口 · case_kind 监测对象类型 · category 名单类别 ·
//   risk_causes 风险类型 · state 当前状态 · registered_on 纳入监测日期 · officer 帮扶责任人 ·
//   measures 已落实帮扶措施 · disabled 是否残疾 · student 是否在校生 · able_to_work 是否有劳动能力
// name, id_number, relation, disabled, student and able_to_work are the member's on member rows
// and the head's on household rows.
const std::vector<ListColumn>& list_columns();
const ListColumn* find_list_column(std::string_view code);
// The columns of a list without configured columns.
std::vector<std::string> default_list_columns();

// -- who is on a list

enum class ListCategory { kMonitored, kInstant, kRolledBack };
std::string_view list_category_label(ListCategory c);  // "监测对象", "即时帮扶", "回退"
// nullopt when the case is on no list.
std::optional<ListCategory> list_category(const CaseSnapshot& snapshot);

// What the adapter loads for one case in progress: the snapshot and its place names.
struct ListCase {
  std::int64_t case_id = 0;
  CaseSnapshot snapshot;
  std::string township_name, village_name;
  std::string case_kind_name;  // CaseKind::name ("脱贫不稳定户"), the code when unknown
};

struct ListRow {
  std::string key;  // household code (household rows) or ID number (member rows); unique
  std::int64_t case_id = 0;
  std::string household_code;
  std::string name;                // the head's or the member's name (for the changes sheet)
  std::vector<std::string> cells;  // one per ListContent::columns
  bool operator==(const ListRow&) const = default;
};

struct ListContent {
  std::vector<std::string> columns;  // column codes, as configured (or the default)
  std::vector<ListRow> rows;
  int households = 0;  // distinct households on the list
  int persons = 0;     // members of those households (all of them, whatever the rows)
  int monitored = 0, instant = 0, rolled_back = 0;  // households by category
};

// The list for `day` (ages are counted on it). REQUIRES: every column code is known.
ListContent build_list(const DepartmentList& list, const std::vector<ListCase>& cases, Date day);

// -- what changed since the previous list ("变化" sheet)

// A row of an earlier list as stored: its key, household, name and cells by column code.
struct StoredListRow {
  std::string key, household_code, name;
  std::vector<std::pair<std::string, std::string>> cells;  // (column code, text)
};
struct ListChange {
  enum class Kind { kNew, kChanged, kLeft };
  Kind kind = Kind::kNew;
  std::string key, household_code, name;
  // kChanged: the headers of the changed columns with old -> new ("联系电话：138****0000 ->
  // ..."; in full, like the list); kLeft: the reason (left_reason's answer); kNew: "".
  std::string detail;
  bool operator==(const ListChange&) const = default;
};
std::string_view list_change_label(ListChange::Kind kind);  // "新增", "信息变更", "移出名单"
// Changes in row order of the current list (new, changed), then the rows that left in the
// previous list's order. Only columns present in both lists are compared. `left_reason` gives
// the reason a household left (called with its household code).
std::vector<ListChange> list_changes(
    const std::vector<StoredListRow>& previous, const ListContent& current,
    const std::function<std::string(const std::string&)>& left_reason);
// Why a household is no longer on a list, from its latest case (nullptr: none): "风险已消除
// （2026-12-03）", "已清退：<reason>", "未纳入监测：<reason>", "不再属于本部门关注范围" (still
// monitored, but no longer in this list's scope), "户已不在系统中".
std::string left_list_reason(const CaseSnapshot* latest);

// -- schedules and duties

struct ListOccurrence {
  std::string schedule, list, department, period;  // period "YYYY-MM-DD"
  TimePoint at{};
  bool operator==(const ListOccurrence&) const = default;
};
// Occurrences of every kind="list" schedule whose list is configured, with at in (from, to], in
// time order (ties in schedule order).
std::vector<ListOccurrence> list_occurrences(const ProgramRules& rules, TimePoint from,
                                             TimePoint to);
// The latest occurrence of `schedule` at or before `now` (within the last 13 months).
std::optional<ListOccurrence> latest_list_occurrence(const ProgramRules& rules,
                                                     const Schedule& schedule, TimePoint now);
// A fired ListDue timer's occurrence (`at`: the timer's due_at); nullopt when the list is no
// longer configured.
std::optional<ListOccurrence> list_due_occurrence(const ProgramRules& rules, const ListDue& due,
                                                  TimePoint at);
std::string list_due_key(std::string_view list, std::string_view period);   // list_due/<l>/<p>
std::string list_duty_key(std::string_view list, std::string_view period);  // list/<l>/<p>
std::string feedback_duty_key(std::string_view list,
                              std::string_view period);  // feedback/<l>/<p>

// "Produce and send this list": kind "list", subject "<list>/<period>", the county's, owed by the
// county office, due and opened at the occurrence, without timers (the list runner does it).
NewDuty list_duty(const ListOccurrence& occurrence, std::string_view county_code);
// The department's answer to the list sent at `sent_at`: kind "feedback", subject
// "<list>/<period>", owed by the department clerk (township_code the county; the department in
// the notices), due list.feedback.period working days after sent_at, with its reminder and
// ladder (no ladder configured: the department clerk at due time).
CalendarResult<OpenDuty> plan_feedback_duty(const DepartmentList& list, std::string_view period,
                                            TimePoint sent_at, std::string_view county_code,
                                            const WorkingDayCalendar& calendar);

}  // namespace fangfan
