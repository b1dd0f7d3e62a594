#include "daemon/tasks/report_production.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>
#include <tuple>

#include "adapters/lists/list_files.h"
#include "adapters/reports/report_files.h"
#include "adapters/reports/report_loader.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/outbox_store.h"
#include "daemon/tasks/list_production.h"
#include "workflows/report_schedule.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The whole county: every township and department (the workbook goes to the county office).
ReportSetting county_setting(const Config& config) {
  ReportSetting s;
  s.county_name = config.county.name;
  for (const Township& t : config.townships) s.townships.push_back({t.code, t.name});
  for (const Department& d : config.departments) s.departments.push_back({d.code, d.name});
  s.whole_county = true;
  return s;
}

std::vector<ReportTable> load_tables(soci::session& session, const Config& config,
                                     const WorkingDayCalendar& calendar,
                                     const MonthlyReport& report, const ReportMonth& month) {
  std::vector<ReportTable> out;
  for (const std::string& name : report.reports) {
    ReportRequest r;
    r.name = name;
    r.setting = county_setting(config);
    r.as_of = month.to - 1s;  // the end of the month's last day
    r.from = month.from;
    r.to = month.to;
    r.year = int(month.month.year());
    auto loaded = load_report(session, config, &calendar, r);
    if (auto* refusal = std::get_if<ReportRefusal>(&loaded)) {
      throw std::runtime_error("报表 " + name + " 无法生成 (report " + name +
                               " cannot be made): " + refusal->message);
    }
    out.push_back(std::move(std::get<ReportTable>(loaded)));
  }
  return out;
}

std::string json_of(const std::vector<std::pair<std::string, std::string>>& params) {
  boost::json::object o;
  for (const auto& [k, v] : params) o[k] = v;
  return boost::json::serialize(o);
}

}  // namespace

ReportProduction produce_monthly_report(soci::session& session, const Config& config,
                                        const WorkingDayCalendar& calendar, const DutyRecord& duty,
                                        TimePoint now) {
  ReportProduction out;
  std::tie(out.schedule, out.period) = list_duty_subject(duty.subject);
  const MonthlyReport* report = config.rules.monthly_reports.find(out.schedule);
  const std::optional<ReportMonth> month = report_month(out.period);
  if (report == nullptr || !month) {
    // A schedule removed from the configuration since its period fell due: nothing to send.
    WriteTransaction tx(session);
    cancel_duty(session, duty.id, now);
    tx.commit();
    out.status = "not_configured";
    return out;
  }
  auto still_open = [&] {
    const std::optional<DutyRecord> d = load_duty(session, duty.id);
    return d && d->state == DutyState::kOpen;
  };
  if (!still_open()) {
    out.status = "already_produced";
    return out;
  }

  // -- load, then the workbook (rewritten with the same name when produced again after a crash)
  const std::vector<ReportTable> tables = load_tables(session, config, calendar, *report, *month);
  const std::string title = config.county.name + "防返贫监测月报-" + out.period;
  const fs::path path =
      config.files_dir / "reports" / out.schedule / out.period / (title + ".xlsx");
  write_file_atomically(path, reports_xlsx(title, tables));
  const FileDigest digest = file_digest(path);
  out.file = path.string();
  out.reports = int(tables.size());
  std::string titles;
  for (const ReportTable& t : tables) titles += (titles.empty() ? "" : "、") + t.title;

  // -- one transaction: the messages, the duty closed
  WriteTransaction tx(session);
  if (!still_open()) {  // produced meanwhile
    out.status = "already_produced";
    return out;
  }
  const std::string body = json_of({{"schedule", out.schedule},
                                    {"county_name", config.county.name},
                                    {"period", out.period},
                                    {"reports", titles},
                                    {"attachment_path", out.file},
                                    {"attachment_name", path.filename().string()},
                                    {"attachment_sha256", digest.sha256},
                                    {"attachment_size", std::to_string(digest.size)}});
  auto send = [&](const std::string& channel, const std::string& recipient,
                  const std::string& person) {
    NewOutboxMessage m;
    m.dedupe_key = "report:" + out.schedule + ":" + out.period + ":" + channel + ":" + recipient;
    m.channel = channel;
    m.recipient = recipient;
    m.message_type = "monthly_report";
    m.body = body;
    m.created_at = now;
    m.next_attempt_at = now;
    m.person = person;
    EnqueueResult r = enqueue_outbox(session, m);
    if (r.inserted) out.outbox_ids.push_back(r.id);
  };
  if (!report->folder.empty()) send("list_folder", report->folder, "");
  if (!report->robot_group.empty()) send("wechat_robot", report->robot_group, "");
  if (report->app_to_county_office) {
    for (const Person& p : config.people) {
      if (p.role == Role::kCountyOffice && !p.wechat.empty()) {
        send("wechat_app", p.wechat, p.name + "@" + p.scope);
      }
    }
  }
  close_duty(session, duty.id, now);
  tx.commit();
  out.status = "produced";
  return out;
}

}  // namespace fangfan
