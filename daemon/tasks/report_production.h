// Producing one monthly report workbook (月报) for one period, the list runner's work on a storage
// thread (daemon/tasks/list_runner.h works the open "report" duties beside the list duties):
// load each configured report for the whole county (adapters/reports/report_loader.h: movements
// and exchange over the month reported, as_of the end of its last day, evaluation of its year),
// write ONE workbook with every report (adapters/reports/report_files.h write_reports_xlsx: a
// sheet per section, charts kept) atomically at
//   <[storage] files>/reports/<schedule>/<period>/<county name>防返贫监测月报-<period>.xlsx,
// then ONE transaction:
//   - one outbox message per delivery target (message_type "monthly_report"): channel list_folder
//     (recipient the drop folder), wechat_robot (the group), wechat_app (each county_office person
//     with a wechat id, person = them); body params schedule, county_name, period, reports (the
//     reports' titles) and attachment_path/name/sha256/size; dedupe key
//     "report:<schedule>:<period>:<channel>:<recipient>";
//   - the report duty closed done.
// Never twice for one (schedule, period): a duty no longer open is left alone, and the dedupe
// keys make a replay after a crash (files rewritten with fresh figures, same name) queue nothing
// twice. A schedule no longer configured: its duty is cancelled.
// Errors: StorageError from storage; std::runtime_error (ReportFileError, ListFileError, a
// report's refusal) when the workbook cannot be made: the duty stays open and is tried again.
// Thread-safety: one session per thread, like every storage function.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "workflows/calendar.h"
#include "workflows/clock.h"
#include "workflows/duties.h"

namespace fangfan {

struct ReportProduction {
  std::string schedule, period;
  std::string status;  // "produced", "already_produced", "not_configured"
  std::string file;    // the workbook's absolute path
  int reports = 0;     // reports in it
  std::vector<std::int64_t> outbox_ids;
};

// Produces the workbook of open report duty `duty` (kind "report", subject "<schedule>/<period>")
// at `now`. `calendar` serves the reports that count working days.
ReportProduction produce_monthly_report(soci::session& session, const Config& config,
                                        const WorkingDayCalendar& calendar, const DutyRecord& duty,
                                        TimePoint now);

}  // namespace fangfan
