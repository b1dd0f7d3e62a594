// County reports (统计报表), the pure aggregation: from values the adapter loaded (case snapshots
// with their township, duties, feed runs, case history, the progress of evaluations and
// campaigns) each report becomes a ReportTable — titled sections of Chinese column headers and
// rows of text or number cells, footer sentences, and for some sections a chart (which column
// gives the categories, which the series). adapters/reports writes a table as CSV or XLSX; the
// API answers it as JSON; fangfanctl prints it aligned.
//
// Scope: every function counts only what lies in `setting.townships` (the townships the caller
// may see, narrowed to the one asked for) and, for the exchange report, `setting.departments`.
// Counts are exact integers; rates are percentages with one decimal.
// Time is passed in (`as_of`, the period); nothing here reads a clock.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "workflows/case_records.h"
#include "workflows/clock.h"
#include "workflows/duties.h"
#include "workflows/program_rules.h"

namespace fangfan {

// -- the table

// Text (codes, names: always written as text cells) or a number.
using ReportCell = std::variant<std::string, std::int64_t, double>;

struct ReportChart {
  enum class Kind { kColumn, kBar };
  Kind kind = Kind::kColumn;
  std::string title;
  int category_column = 0;          // the column whose cells name the categories
  std::vector<int> series_columns;  // one series per column, named by its header
  int rows = -1;  // the first rows charted (-1: every row); a total row after them is left out
};

struct ReportSection {
  std::string title;  // also the XLSX sheet name (at most 31 characters)
  std::vector<std::string> headers;
  std::vector<int> widths;  // Excel column widths (characters), one per header
  std::vector<std::vector<ReportCell>> rows;
  std::optional<ReportChart> chart;
};

struct ReportTable {
  std::string name;   // "households", "measures", ..., "campaign"
  std::string title;  // e.g. "防返贫监测对象户数人数统计表"
  std::string scope;  // what it covers, e.g. "全县" or a township's name, and the date
  std::vector<ReportSection> sections;
  std::vector<std::string> footer;  // sentences printed under the table
};

// The names GET /api/v1/reports/{name} knows, in documentation order.
const std::vector<std::string_view>& report_names();

// -- what every report needs

struct ReportPlace {
  std::string code, name;
};
struct ReportSetting {
  std::string county_name;
  std::vector<ReportPlace> townships;    // in scope, in configuration order
  std::vector<ReportPlace> departments;  // in scope ([[departments]]), in configuration order
  bool whole_county = true;  // false: a township's report (totals say "合计", not "全县")
};

// A case as the adapter loads it.
struct ReportCase {
  std::string township_code;
  CaseSnapshot snapshot;
};

// Whether a case is a monitoring object (监测对象) for the households report: registered, in the
// elimination steps, or an emergency case assisted before recognition (先帮扶、后认定).
bool is_monitoring_object(const CaseSnapshot& snapshot);

// households: households and persons (members) by case kind × risk cause × township, for the
// monitoring objects. A household with several causes counts once per cause and once in the
// "合计" row (the footer says so); one without a cause counts under "未注明". A second section
// pivots households by cause per township, with a column chart.
ReportTable households_report(const ReportSetting& setting, const ProgramRules& rules,
                              const std::vector<ReportCase>& cases, Date as_of);

// measures: measures by type and status with the distinct households they cover, over every
// case in scope; the footer has one sentence per type for the measures in place or completed
// ("落实医疗保障措施12条，覆盖9户").
// A second section "有劳动能力仅兜底帮扶" lists the monitoring objects flagged support_only
// (一兜了之, workflows/exit_evidence.h), when there are any, with a footer sentence.
ReportTable measures_report(const ReportSetting& setting, const std::vector<ReportCase>& cases,
                            Date as_of);
// The rows of that section (empty when none): township, village, case, masked head, able
// members, measures not stopped.
ReportSection support_only_section(const ReportSetting& setting,
                                   const std::vector<ReportCase>& cases);

// overdue: open duties with due_at <= as_of, by township and kind, and by assistance officer
// (帮扶责任人; duties with none under "未指定"). Duties of the county (feeds, lists) are counted
// under the county's name when the setting is the whole county.
ReportTable overdue_report(const ReportSetting& setting, std::string_view county_code,
                           const std::vector<DutyRecord>& open_duties, TimePoint as_of);

// exchange: per department, its feed periods (duties of kind "feed": done by due_at = on time,
// done later = late, open past due = missing, open not yet due = awaited), the rows its done runs
// quarantined, the on-time rate (with a bar chart); and its lists (duties "list": done = sent;
// "feedback": done = answered, open = unanswered, of which past due). Duties count when their
// due_at lies in [from, to] (unset: any).
struct ReportFeedRun {
  std::string department;
  std::int64_t rows_quarantined = 0;
  TimePoint started_at{};
};
ReportTable exchange_report(const ReportSetting& setting, const ProgramRules& rules,
                            const std::vector<DutyRecord>& duties,
                            const std::vector<ReportFeedRun>& done_runs,
                            std::optional<TimePoint> from, std::optional<TimePoint> to,
                            TimePoint as_of);

// movements: per township, cases opened (新识别), registered from recognition (纳入监测),
// eliminated (风险消除), rolled back (风险回退: eliminated -> registered) and cleared out (清退)
// by history rows with `at` in [from, to).
struct ReportMovement {
  std::string township_code;
  std::string event, before_state, after_state;
  TimePoint at{};
};
ReportTable movements_report(const ReportSetting& setting,
                             const std::vector<ReportMovement>& history, TimePoint from,
                             TimePoint to);

// evaluation: the Q4 risk evaluation duties of `year` per township (count_evaluation_duties),
// and the results recorded (record_evaluation: count_evaluation_results).
struct ReportEvaluation {
  std::string township_code;
  std::int64_t tasks = 0, done = 0, open = 0, overdue = 0, cancelled = 0;
  std::int64_t risk_removed = 0, risk_persisting = 0, new_risk = 0;
};
ReportTable evaluation_report(const ReportSetting& setting, int year,
                              const std::vector<ReportEvaluation>& counts);

// campaign: a campaign's milestones per township (campaign_progress), in the order given.
struct ReportMilestone {
  std::string milestone, label, township_code;
  Date last_day{};
  std::optional<TimePoint> done_at;
  bool behind = false;
};
ReportTable campaign_report(const ReportSetting& setting, std::string_view campaign_label,
                            const std::vector<ReportMilestone>& milestones);

// A cell as text: integers plainly, doubles with one decimal.
std::string report_cell_text(const ReportCell& cell);

}  // namespace fangfan
