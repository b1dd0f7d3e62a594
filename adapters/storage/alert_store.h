// Alerts (预警线索) in the database (tables alerts and alert_history of the "department feeds
// and alerts" migration): a department's row about a person the county does not monitor, for the
// township to verify; and (issue 14 item 6) an alert a monitored case's change raised, which runs
// the [004] loop by `stage` (insert_case_alert, move_alert_stage). An alert is open until the
// township clerk opens a case from it (case_opened, with the case) or dismisses it with a reason
// (dismissed); both only from open.
//
// The caller appends the matching alert_history row ("raised", "case_opened", "dismissed") in the
// same transaction as the change; these functions write only the alert.
//
// (feed, period, id_number, rule) is unique: the same period's data raises an alert once however
// often it is taken. alert_history is append-only (database triggers, like case_history).
//
// Plain functions on a soci::session, inside the caller's transaction; time is passed in.
// Errors: StorageError (see database.h); a missing row is std::nullopt; a change from a state
// other than open is false.
// Thread-safety: as the session's (one thread at a time).
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/clock.h"

namespace fangfan {

struct NewAlertRecord {
  std::string feed, department, period;
  std::optional<std::int64_t> run_id;
  std::string rule, rule_label;
  std::string id_number, name;
  std::string village_code;   // "" when the row named none
  std::string township_code;  // the county code when unplaced
  std::string detail = "{}";  // JSON: what the department said (amounts, category, ...)
  TimePoint created_at{};
};

struct AlertRecord {
  std::int64_t id = 0;
  NewAlertRecord alert;
  std::string status;  // "open", "case_opened", "dismissed"
  std::optional<std::int64_t> case_id;
  std::string reason;     // why dismissed
  std::string closed_by;  // who opened the case or dismissed it
  std::optional<TimePoint> closed_at;
  // An alert on a monitored case (workflows/alert_loop.h): where its loop stands
  // ("township_review" ... "closed", "dismissed"; "" for a feed's alert) and the department the
  // county review gave it to.
  std::string stage;
  std::string assigned_department;
};

struct InsertedAlert {
  std::int64_t id = 0;
  bool inserted = false;  // false: (feed, period, id_number, rule) existed; id is that alert's
};
InsertedAlert insert_alert(soci::session& session, const NewAlertRecord& alert);

std::optional<AlertRecord> load_alert(soci::session& session, std::int64_t id);

struct AlertFilter {
  std::optional<std::string> township_prefix;  // township_code starts with it (county: all)
  std::optional<std::string> status, feed;
  std::optional<std::string> stage;  // alerts.stage ("township_review", ...)
  // A department clerk's: its own department's alerts and the monitored cases' alerts the
  // county review assigned to it (assigned_department).
  std::optional<std::string> department;
  int limit = 100;  // 1..1000
  std::int64_t offset = 0;
};
struct AlertPage {
  std::vector<AlertRecord> alerts;  // newest first
  std::int64_t total = 0;           // matching the filter, paging aside
};
AlertPage list_alerts(soci::session& session, const AlertFilter& filter);

// An alert a case change raised (workflows/alert_loop.h): status case_opened (it is on its case
// from the start), case_id and its first `stage`; once per (feed, period, id_number, rule).
InsertedAlert insert_case_alert(soci::session& session, const NewAlertRecord& alert,
                                std::int64_t case_id, std::string_view stage);
// stage `from` -> `to` with the department it is with; reaching "closed" or "dismissed" also
// records reason, actor and time as the closing. False when the alert is not at `from` (someone
// moved it first).
bool move_alert_stage(soci::session& session, std::int64_t alert_id, std::string_view from,
                      std::string_view to, std::string_view department, std::string_view reason,
                      std::string_view actor, TimePoint at);

// open -> case_opened with the case; false when the alert is not open.
bool mark_alert_case_opened(soci::session& session, std::int64_t id, std::int64_t case_id,
                            std::string_view actor, TimePoint at);
// open -> dismissed with the reason; false when the alert is not open.
bool dismiss_alert(soci::session& session, std::int64_t id, std::string_view reason,
                   std::string_view actor, TimePoint at);

struct AlertHistoryRecord {
  std::int64_t id = 0, alert_id = 0;
  TimePoint at{};
  std::string actor;
  std::string event;           // "raised", "case_opened", "dismissed", "reminded", ...
  std::string details = "{}";  // JSON
};
// Appends a row; returns its id.
std::int64_t append_alert_history(soci::session& session, const AlertHistoryRecord& entry);
// The alert's history, oldest first.
std::vector<AlertHistoryRecord> alert_history(soci::session& session, std::int64_t alert_id);

}  // namespace fangfan
