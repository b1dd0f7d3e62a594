// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/api/report_routes.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "adapters/reports/report_files.h"
#include "adapters/reports/report_json.h"
#include "adapters/reports/report_loader.h"
#include "daemon/api/auth.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
using boost::asio::awaitable;
using namespace std::chrono_literals;

std::optional<Date> date_query(const ApiRequest& req, const std::string& name) {
  auto text = req.query_param(name);
  if (!text || text->empty()) return std::nullopt;
  auto d = parse_date(*text);
  if (!d) {
    throw ApiError::bad_request(name, "日期应为 YYYY-MM-DD 格式 (the date must be YYYY-MM-DD)");
  }
  return d;
}

// What the caller may count: townships from the token's scope (narrowed by ?township), and the
// departments (a department clerk's own only). Refuses what the header comment refuses.
ReportSetting setting_for(const ApiRequest& req, const std::string& report) {
  const Config& config = *req.config;
  const Principal& p = req.actor();
  ReportSetting s;
  s.county_name = config.county.name;
  if (p.role == Role::kDepartmentClerk && is_department_code(config, p.scope)) {
    if (report != "exchange") {
      throw ApiError::forbidden(
          "部门用户只能查看本部门的数据交换报表 (a department clerk sees their department's "
          "exchange report only)");
    }
    for (const Department& d : config.departments) {
      if (d.code == p.scope) s.departments.push_back({d.code, d.name});
    }
    return s;
  }
  const auto level = config.scope_level(p.scope);
  for (const Township& t : config.townships) {
    if (scope_covers(config, p.scope, t.code)) s.townships.push_back({t.code, t.name});
  }
  if (s.townships.empty()) {
    throw ApiError::forbidden(
        "报表按乡镇统计，需要县级或乡镇级范围的令牌 (reports count by township: they need a "
        "county or township token)");
  }
  s.whole_county = level == ScopeLevel::kCounty;
  if (report == "exchange" && !s.whole_county) {
    throw ApiError::forbidden(
        "部门数据交换报表是全县的，乡镇令牌不能查看 (the exchange report is county-wide; a "
        "township token cannot see it)");
  }
  for (const Department& d : config.departments) s.departments.push_back({d.code, d.name});
  if (auto township = req.query_param("township"); township && !township->empty()) {
    const Township* t = config.find_township(*township);
    if (!t) {
      throw ApiError::not_found("没有代码为 " + *township + " 的乡镇 (no township " + *township +
                                ")");
    }
    require_scope(req, *township);
    s.townships = {{t->code, t->name}};
    s.whole_county = false;
  }
  return s;
}

awaitable<ApiResponse> show_report(ApiServices& services, ApiRequest& req, std::string name,
                                   std::string campaign) {
  const auto& names = report_names();
  if (std::find(names.begin(), names.end(), name) == names.end() ||
      (name == "campaign" && campaign.empty())) {
    throw ApiError::not_found("没有名为 " + name + " 的报表 (no report named " + name + ")");
  }
  const std::string format = req.query_param("format").value_or("json");
  if (format != "json" && format != "csv" && format != "xlsx") {
    throw ApiError::bad_request("format",
                                "格式应为 json、csv 或 xlsx (format must be json, csv "
                                "or xlsx)");
  }
  ReportRequest r;
  r.name = name;
  r.campaign = campaign;
  r.setting = setting_for(req, name);
  const TimePoint now = services.clock.now();
  const auto as_of = date_query(req, "as_of");
  if (as_of && (name == "households" || name == "measures")) {
    // Case snapshots are kept as they are now, not as they were.
    throw ApiError::bad_request("as_of",
                                "户数和措施报表按当前数据统计，不能指定 as_of (the "
                                "households and measures reports count the cases as "
                                "they are now)");
  }
  // The end of the day asked for: what was due on it counts.
  r.as_of = as_of ? china_time(*as_of + std::chrono::days{1}) - 1s : now;
  const auto from = date_query(req, "from"), to = date_query(req, "to");
  if (from.has_value() != to.has_value() || (from && *from > *to)) {
    throw ApiError::bad_request("from",
                                "起止日期需同时给出且起不晚于止 (from and to go together, "
                                "from not after to)");
  }
  const Date day = china_date(r.as_of);
  if (from) {
    r.from = china_time(*from);
    r.to = china_time(*to + std::chrono::days{1});
  } else if (name == "movements") {
    const std::chrono::year_month_day ymd{day};
    r.from = china_time(Date{ymd.year() / ymd.month() / 1});
    r.to = china_time(day + std::chrono::days{1});
  }
  r.year = static_cast<int>(
      req.int_param("year", static_cast<int>(std::chrono::year_month_day{day}.year()), 2000, 2100));
  auto config = req.config;
  auto calendar = services.calendar ? services.calendar() : nullptr;
  if (name == "campaign" && !calendar) {
    throw ApiError::unavailable("工作日历尚未加载 (the working-day calendar is not loaded)");
  }
  // Loading and the workbook (a temporary file) both run on the storage pool.
  struct Answer {
    std::variant<ReportTable, ReportRefusal> table;
    std::string bytes;
  };
  auto work = [config, calendar, r, format](soci::session& s) {
    Answer a{load_report(s, *config, calendar.get(), r), {}};
    if (auto* t = std::get_if<ReportTable>(&a.table)) {
      if (format == "xlsx") a.bytes = report_xlsx(*t);
      if (format == "csv") a.bytes = report_csv(*t);
    }
    return a;
  };
  Answer answer = co_await services.storage.run(std::move(work));
  if (auto* refusal = std::get_if<ReportRefusal>(&answer.table)) {
    throw ApiError::not_found(refusal->message);
  }
  spdlog::info("report.shown report={} format={} by=\"{}\"", name, format, req.actor().holder);
  if (format == "json") {
    co_return ApiResponse::json(report_to_json(std::get<ReportTable>(answer.table)));
  }
  const std::string file =
      (campaign.empty() ? name : "campaign-" + campaign) + "-" + format_date(day) + "." + format;
  ApiResponse response = ApiResponse::text(
      std::move(answer.bytes),
      format == "csv" ? "text/csv; charset=utf-8"
                      : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  response.headers.emplace_back(http::field::content_disposition,
                                "attachment; filename=\"" + file + "\"");
  co_return response;
}

}  // namespace

void register_report_routes(Router& router, ApiServices& services) {
  router.add(http::verb::get, "/api/v1/reports/{name}", [&services](ApiRequest& req) {
    return show_report(services, req, req.param("name"), "");
  });
  router.add(http::verb::get, "/api/v1/reports/campaign/{campaign}", [&services](ApiRequest& req) {
    return show_report(services, req, "campaign", req.param("campaign"));
  });
}

}  // namespace fangfan
