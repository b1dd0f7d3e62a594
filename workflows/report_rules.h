// The monthly report workbook (月报) as a deployment configures it: on each kind = "report"
// schedule day (e.g. the 1st at 08:00) the county office receives one workbook holding the named
// county reports (workflows/reports.h) for the month before, through the same delivery adapters
// as the department lists (a drop folder, a WeChat Work group robot, the WeChat Work app).
// Loaded and validated once by adapters/config (config_reports.cpp, read with the schedule); the
// pure occurrences in workflows/report_schedule.h; produced by daemon/tasks/report_production.h.
// Thread-safety: plain values.
#pragma once

#include <string>
#include <vector>

namespace fangfan {

struct MonthlyReport {
  std::string schedule;  // the kind = "report" [[rules.schedules]] name; no '/'
  // Report names of workflows/reports.h report_names() (not "campaign"), in workbook order.
  std::vector<std::string> reports;
  std::string folder;       // absolute drop folder ("" = none); written tmp+fsync+rename, 0640
  std::string robot_group;  // a [channels.wechat_robot] group: file message ("" = none)
  // [channels.wechat_app] file message to every county_office person with a wechat id.
  bool app_to_county_office = false;
};

// The reports a monthly workbook holds when `reports` is not configured.
inline std::vector<std::string> default_monthly_reports() {
  return {"households", "measures", "overdue", "exchange", "movements"};
}

struct MonthlyReportsConfig {
  std::vector<MonthlyReport> reports;  // one per kind = "report" schedule, in schedule order
  const MonthlyReport* find(const std::string& schedule) const {
    for (const auto& r : reports) {
      if (r.schedule == schedule) return &r;
    }
    return nullptr;
  }
};

}  // namespace fangfan
