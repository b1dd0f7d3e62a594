// The monthly report workbook of a kind = "report" schedule (月报, workflows/report_rules.h):
//
//   [[rules.schedules]]
//   name = "county_monthly_report"  kind = "report"  days_of_month = [1]  hour = 8
//   reports = ["households", "measures", "overdue", "exchange", "movements"]   # the default
//   folder = "state/reports"            # relative to this file
//   robot_group = "县乡村振兴局工作群"   # a [channels.wechat_robot] group
//   app_to_county_office = true         # WeChat Work app file message to the county office
//
// At least one delivery; the report names are those of GET /api/v1/reports (not "campaign",
// which needs a campaign's name); each once.
#include <algorithm>
#include <set>

#include "adapters/config/config_reader.h"
#include "workflows/reports.h"

namespace fangfan::config_detail {

void read_report_schedule(Reader& r, Config& c, const fs::path& dir, const Schedule& s) {
  MonthlyReport m;
  m.schedule = s.name;
  if (s.name.find('/') != std::string::npos) r.error("name", "must not contain '/'");
  if (c.rules.monthly_reports.find(s.name) != nullptr) {
    r.error("name", "report schedule '" + s.name + "' is defined twice");
  }
  if (r.table().get("reports")) {
    r.not_empty("reports");
    std::set<std::string> seen;
    const auto& names = report_names();
    for (const std::string& name : r.strings("reports")) {
      if (name == "campaign" || std::find(names.begin(), names.end(), name) == names.end()) {
        r.error("reports", "'" + name +
                               "' is not a monthly report (households, measures, overdue, "
                               "exchange, movements, evaluation)");
      } else if (!seen.insert(name).second) {
        r.error("reports", "report '" + name + "' is listed twice");
      } else {
        m.reports.push_back(name);
      }
    }
  } else {
    m.reports = default_monthly_reports();
  }
  if (auto v = r.string("folder", false)) {
    if (v->empty()) {
      r.error("folder", "must not be empty (leave it out for no drop folder)");
    } else {
      m.folder = resolve(dir, *v).string();
    }
  }
  if (auto v = r.string("robot_group", false)) {
    m.robot_group = *v;
    const auto& groups = c.channels.wechat_robot.groups;
    const bool known = std::any_of(groups.begin(), groups.end(),
                                   [&](const WechatRobotGroup& g) { return g.name == *v; });
    if (!c.channels.wechat_robot.enabled) {
      r.error("robot_group", "needs [channels.wechat_robot] enabled = true");
    } else if (!known) {
      r.error("robot_group", "group '" + *v + "' is not one of [channels.wechat_robot] groups");
    }
  }
  m.app_to_county_office = r.boolean("app_to_county_office", false).value_or(false);
  if (m.app_to_county_office) {
    bool any = false;
    for (const Person& p : c.people)
      any = any || (p.role == Role::kCountyOffice && !p.wechat.empty());
    if (!c.channels.wechat_app.enabled) {
      r.error("app_to_county_office", "needs [channels.wechat_app] enabled = true");
    } else if (!any) {
      r.error("app_to_county_office", "no [[people]] with role county_office has a wechat id");
    }
  }
  if (m.folder.empty() && m.robot_group.empty() && !m.app_to_county_office) {
    r.errors().add(r.table().source(), r.path(),
                   "needs at least one delivery: folder, robot_group or app_to_county_office");
  }
  c.rules.monthly_reports.reports.push_back(std::move(m));
}

}  // namespace fangfan::config_detail
