// Department feeds (行业部门数据) as a deployment configures them: where each department's
// data comes from, how its columns map to fields, and which rows raise an alert (预警线索).
// Loaded and validated once by adapters/config (config_feeds.cpp, `[[feeds]]`), then passed to
// the core (workflows/feeds.h) and the feed adapters (adapters/feeds) by const&.
//
// Fields: a feed row is read into named fields by `columns` (field -> the department's Chinese
// header). The field names say what a cell holds and how it is checked (workflows/feeds.h):
//   id_number              GB 11643 ID number (required in every feed)
//   village_code           a 12-digit village code of the configuration (places an alert)
//   *_date, date           a date (YYYY-MM-DD, YYYY/M/D, YYYY年M月D日, YYYYMMDD, Excel serial)
//   *_amount, amount       an amount in yuan (digits with at most two decimals, may be negative)
//   *_code                 letters, digits and '-' only
//   anything else          text (name, address, category, grade, ...)
// Thread-safety: plain values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "workflows/deadline_rules.h"

namespace fangfan {

// One condition of a signal rule on one field of the row. Exactly one of the tests is set.
struct FeedCondition {
  std::string field;                // a key of FeedSource::columns
  std::vector<std::string> one_of;  // the cell equals one of these texts (e.g. "低保", "特困")
  std::optional<double> at_least;   // the cell is an amount >= this (yuan)
  // The cell (an amount) is at least this share (0..1) of the household's yearly income,
  // when the household is monitored and its income is known; otherwise the condition fails.
  std::optional<double> share_of_income_at_least;
};

// A signal rule (预警规则): when every condition holds, the row raises an alert.
struct FeedRule {
  std::string name;   // stable, e.g. "new_dibao"; stored on alerts
  std::string label;  // what people read, e.g. "新纳入低保"
  std::vector<FeedCondition> conditions;
  // Cross-check answers (比对) for the county review: an exclusion code of
  // [rules.eligibility.exclusions] ("car", "company", ...). A hit on a case in county review is
  // attached to it as evidence and shown to the county office; never applied automatically.
  std::string exclusion;
};

enum class FeedSourceKind { kFolder, kHttp };

// Where a department's data for a period comes from, and what it means.
struct FeedSource {
  std::string name;             // referenced by [[rules.schedules]] `feed`, e.g. "civil_affairs"
  std::string department;       // a [[departments]] code
  std::string department_name;  // its name ("县民政局"), filled by the loader; what people read
  FeedSourceKind kind = FeedSourceKind::kFolder;
  // kFolder: files appear in `folder`; the period's file is the one whose name matches
  // `file_pattern` with {period} replaced ("YYYY-MM"; '*' matches any run of characters). A
  // file is taken once its size and modification time have not changed for `settle_seconds`,
  // then moved to `processed_folder` as "<run id>-<name>"; never deleted.
  std::string folder;            // absolute (the loader resolves it against the config file)
  std::string processed_folder;  // default <folder>/processed
  std::string file_pattern = "*{period}*";
  int settle_seconds = 30;
  // kHttp: GET `url` with {period} replaced; the token (from token_env or token_file) is sent
  // in `token_header` ("Authorization" sends "Bearer <token>"). The body is a JSON array of
  // objects keyed by the department's headers, or CSV/XLSX.
  std::string url;
  std::string token;  // secret; never logged
  std::string token_header = "Authorization";
  int attempts = 3;  // per look; a failed look is recorded as a failed run
  // Both: how often an open (missing) period is looked for again, in minutes.
  int poll_minutes = 10;
  // field -> header, see the top of this file. id_number is required.
  std::map<std::string, std::string> columns;
  // A row's identity is its id_number plus these fields' values: two rows with the same identity
  // and the same cells are one (a duplicate); with different cells the later is quarantined as
  // conflicting with the earlier. Default: the ID number alone (one row per person and period);
  // a feedback feed's, the ID number, measure_type, measure and start_date.
  std::vector<std::string> key_fields;
  std::vector<FeedRule> rules;
  // A period's data missing at its scheduled time: the department clerk's duty climbs this
  // ladder, counted in working days from the scheduled time (rung 0 at once).
  std::vector<EscalationRung> escalation;
  int max_expanded_mib = 512;  // per file: an XLSX whose sheet expands beyond this is refused
  // A feedback feed (TOML kind = "feedback", list = "<[[lists]] name>"): the department's answer
  // (落实情况) to that list. Not run by a schedule: it is looked for while a sent list's feedback
  // duty ("feedback/<list>/<period>", workflows/lists.h) is open, {period} being the list's
  // "YYYY-MM-DD"; each row lands on the person's case as a department measure. "" = a data feed.
  std::string answers_list;
  // Feedback feeds: the measure type (MeasureType code, e.g. "social_security") of every row
  // without a measure_type column.
  std::string measure_type;
};

// Verifying an alert about a person the county does not monitor (预警核实): the township
// clerk's duty, due `period` working days after the alert (5 by [000], [002]).
struct AlertRules {
  StepDeadline deadline{5, DayUnit::kWorkingDays, 1, {}};
  std::string owner_role = "township_clerk";
};

// The loop of an alert about a monitored case, [004]: "预警标注、镇（街道）初审、市脱办复审并反馈
// 至行业部门、行业部门限时完成补短帮扶、市脱办核实销号预警". A monthly monitoring record showing
// 两不愁三保障 or water not secure or the risk increased, and a major event (重大变故 [003]), mark
// an alert on the case; each step is then a duty with its deadline (counted from the step's
// start) and ladder, owed by the step's owner: the township clerk (first review), the county
// office (review, assigning a department), the department's clerks (补短帮扶, the county may set
// the days), the county office (verify and close, 销号). workflows/alert_loop.h decides.
// Read from [rules.alert_loop] (adapters/config/config_loop.cpp); no table: nothing is raised.
struct AlertLoopRules {
  bool enabled = false;
  StepDeadline township_review{3, DayUnit::kWorkingDays, 1, {}};
  StepDeadline county_review{3, DayUnit::kWorkingDays, 1, {}};
  StepDeadline department{10, DayUnit::kWorkingDays, 2, {}};
  StepDeadline closure{5, DayUnit::kWorkingDays, 1, {}};
};

struct FeedsConfig {
  std::vector<FeedSource> sources;
  AlertRules alerts;
  AlertLoopRules loop;  // [rules.alert_loop]
  const FeedSource* find(const std::string& name) const {
    for (const auto& s : sources) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }
};

}  // namespace fangfan
