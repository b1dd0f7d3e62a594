// Loading what a county report needs from the database and computing it (workflows/reports.h):
// one query per kind of input (cases with their township, duties, done feed runs, case history),
// or the existing progress counts (count_evaluation_duties, campaign_progress) for the
// evaluation and campaign reports.
//
// Scope is the caller's: `request.setting` lists the townships and departments the report may
// count (the API builds it from the token's scope, daemon/api/report_routes.cpp).
// Plain functions on a soci::session (run them on the storage pool); time is in the request.
// Errors: StorageError (see adapters/storage/database.h); an unknown report or campaign, or a
// stored case whose data cannot be read, is a ReportRefusal sentence.
// Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <variant>

#include "adapters/config/config.h"
#include "workflows/calendar.h"
#include "workflows/reports.h"

namespace fangfan {

struct ReportRequest {
  std::string name;      // one of report_names()
  std::string campaign;  // "campaign": the campaign's name
  ReportSetting setting;
  TimePoint as_of{};  // households, measures (its date), overdue, exchange
  // movements: [from, to) (required); exchange: duties due in it (optional).
  std::optional<TimePoint> from, to;
  int year = 0;  // evaluation
};

struct ReportRefusal {
  std::string message;
};

// REQUIRES: `calendar` for "campaign" (milestones behind count working days).
std::variant<ReportTable, ReportRefusal> load_report(soci::session& session, const Config& config,
                                                     const WorkingDayCalendar* calendar,
                                                     const ReportRequest& request);

}  // namespace fangfan
