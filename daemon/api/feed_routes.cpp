// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/api/feed_routes.h"

#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <charconv>

#include "adapters/feeds/feed_intake.h"
#include "adapters/scheduler/feed_duties.h"
#include "adapters/storage/alert_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/feed_store.h"
#include "daemon/api/auth.h"
#include "daemon/api/case_access.h"
#include "daemon/api/event_json.h"
#include "daemon/tasks/feed_runner.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/date.h"
#include "workflows/feeds.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

std::optional<std::string> text_query(const ApiRequest& req, const std::string& name) {
  auto v = req.query_param(name);
  if (v && v->empty()) v.reset();
  return v;
}

std::string department_name(const Config& c, std::string_view code) {
  for (const Department& d : c.departments) {
    if (d.code == code) return d.name;
  }
  return std::string(code);
}

// The department a caller is limited to (a department clerk scoped to a department), if any.
std::optional<std::string> own_department(const ApiRequest& req) {
  const Principal& p = req.actor();
  if (p.role == Role::kDepartmentClerk && is_department_code(*req.config, p.scope)) return p.scope;
  return std::nullopt;
}

// A 403 unless the caller may see `department`'s feeds.
void require_department(const ApiRequest& req, std::string_view department) {
  if (auto own = own_department(req); own && *own != department) {
    throw ApiError::forbidden(
        "只能查看本部门的数据 (a department clerk sees their own "
        "department's feeds only)");
  }
}

std::string period_of(TimePoint t) { return format_date(china_date(t)).substr(0, 7); }

bool valid_period(std::string_view p) {
  if (p.size() != 7 || p[4] != '-') return false;
  return parse_date(std::string(p) + "-01").has_value();
}

json::object run_to_json(const Config& c, const FeedRunRecord& r) {
  json::object o;
  o["id"] = r.id;
  o["feed"] = r.feed;
  o["department"] = r.department;
  o["department_name"] = department_name(c, r.department);
  o["period"] = r.period;
  o["source"] = r.source;
  o["sha256"] = r.sha256;
  o["trigger"] = r.trigger;
  o["status"] = r.status;
  o["started_at"] = format_time(r.started_at);
  o["finished_at"] = r.finished_at ? json::value(format_time(*r.finished_at)) : nullptr;
  o["rows_read"] = r.counts.rows_read;
  o["rows_accepted"] = r.counts.rows_accepted;
  o["rows_matched"] = r.counts.rows_matched;
  o["rows_quarantined"] = r.counts.rows_quarantined;
  o["rows_duplicate"] = r.counts.rows_duplicate;
  o["alerts_raised"] = r.counts.alerts_raised;
  o["error"] = r.error;
  o["fixes_run_id"] = r.fixes_run_id ? json::value(*r.fixes_run_id) : nullptr;
  o["bad_rows"] = "/api/v1/feeds/runs/" + std::to_string(r.id) + "/bad-rows";
  return o;
}

json::object report_to_json(const IntakeReport& r) {
  json::object o;
  o["run_id"] = r.run_id ? json::value(*r.run_id) : nullptr;
  o["status"] = r.status;
  o["same_as_run"] = r.same_as_run ? json::value(*r.same_as_run) : nullptr;
  o["rows_read"] = r.counts.rows_read;
  o["rows_accepted"] = r.counts.rows_accepted;
  o["rows_matched"] = r.counts.rows_matched;
  o["rows_quarantined"] = r.counts.rows_quarantined;
  o["rows_duplicate"] = r.counts.rows_duplicate;
  o["alerts_raised"] = r.counts.alerts_raised;
  o["error"] = r.error;
  return o;
}

// -- feeds --------------------------------------------------------------------------------------

awaitable<ApiResponse> list_feeds(ApiServices& services, ApiRequest& req) {
  const Config& c = *req.config;
  const auto own = own_department(req);
  json::array feeds;
  for (const FeedSource& s : c.rules.feeds.sources) {
    if (own && *own != s.department) continue;
    json::object o;
    o["name"] = s.name;
    o["department"] = s.department;
    o["department_name"] = department_name(c, s.department);
    o["source"] = s.kind == FeedSourceKind::kFolder ? "folder" : "http";
    json::array schedules;
    for (const Schedule& sc : c.rules.schedules) {
      if (sc.kind != "feed" || sc.feed != s.name) continue;
      json::array days(sc.days_of_month.begin(), sc.days_of_month.end());
      json::array months(sc.months.begin(), sc.months.end());
      schedules.push_back(json::object{{"name", sc.name},
                                       {"days_of_month", std::move(days)},
                                       {"months", std::move(months)},
                                       {"hour", sc.hour}});
    }
    o["schedules"] = std::move(schedules);
    json::array rules;
    for (const FeedRule& r : s.rules) {
      rules.push_back(json::object{{"name", r.name}, {"label", r.label}});
    }
    o["rules"] = std::move(rules);
    feeds.push_back(std::move(o));
  }
  // The latest run of each feed, for the table.
  std::vector<std::string> names;
  for (const auto& f : feeds) names.push_back(std::string(f.at("name").as_string()));
  auto work = [names](soci::session& s) {
    std::vector<std::optional<FeedRunRecord>> out;
    for (const auto& n : names) {
      FeedRunFilter f;
      f.feed = n;
      f.limit = 1;
      FeedRunPage page = list_feed_runs(s, f);
      out.push_back(page.runs.empty() ? std::nullopt : std::optional(page.runs.front()));
    }
    return out;
  };
  auto latest = co_await services.storage.run(std::move(work));
  for (std::size_t i = 0; i < feeds.size(); ++i) {
    feeds[i].as_object()["last_run"] =
        latest[i] ? json::value(run_to_json(c, *latest[i])) : json::value(nullptr);
  }
  co_return ApiResponse::json(json::object{{"feeds", std::move(feeds)}});
}

awaitable<ApiResponse> list_runs(ApiServices& services, ApiRequest& req) {
  FeedRunFilter f;
  f.feed = text_query(req, "feed");
  f.department = text_query(req, "department");
  f.period = text_query(req, "period");
  f.limit = static_cast<int>(req.int_param("limit", 100, 1, 1000));
  f.offset = req.int_param("offset", 0, 0, std::numeric_limits<std::int64_t>::max());
  if (auto own = own_department(req)) {
    if (f.department && *f.department != *own) require_department(req, *f.department);
    f.department = *own;
  }
  auto work = [f](soci::session& s) { return list_feed_runs(s, f); };
  FeedRunPage page = co_await services.storage.run(std::move(work));
  json::array runs;
  for (const auto& r : page.runs) runs.push_back(run_to_json(*req.config, r));
  co_return ApiResponse::json(json::object{
      {"runs", std::move(runs)}, {"total", page.total}, {"limit", f.limit}, {"offset", f.offset}});
}

awaitable<FeedRunRecord> load_run(ApiServices& services, ApiRequest& req) {
  const std::int64_t id = req.id_param("id");
  auto work = [id](soci::session& s) { return load_feed_run(s, id); };
  std::optional<FeedRunRecord> run = co_await services.storage.run(std::move(work));
  if (!run) {
    throw ApiError::not_found("没有编号为 " + std::to_string(id) + " 的取数 (no feed run " +
                              std::to_string(id) + ")");
  }
  require_department(req, run->department);
  co_return *run;
}

awaitable<ApiResponse> show_run(ApiServices& services, ApiRequest& req) {
  FeedRunRecord run = co_await load_run(services, req);
  co_return ApiResponse::json(json::object{{"run", run_to_json(*req.config, run)}});
}

awaitable<ApiResponse> bad_rows(ApiServices& services, ApiRequest& req) {
  FeedRunRecord run = co_await load_run(services, req);
  const bool csv = req.query_param("format").value_or("json") == "csv";
  const int limit = csv ? 10000 : static_cast<int>(req.int_param("limit", 100, 1, 1000));
  std::int64_t offset =
      csv ? 0 : req.int_param("offset", 0, 0, std::numeric_limits<std::int64_t>::max());
  const std::int64_t id = run.id;
  if (csv) {
    // Every bad row, fetched page by page (never cut).
    auto work = [id](soci::session& s) {
      std::vector<BadRowRecord> all;
      std::optional<std::int64_t> after;
      for (;;) {
        BadRowPage page = list_feed_bad_rows(s, id, 10000, 0, after);
        if (page.rows.empty()) break;
        after = page.rows.back().id;
        for (auto& r : page.rows) all.push_back(std::move(r));
      }
      return all;
    };
    std::vector<BadRowRecord> all = co_await services.storage.run(std::move(work));
    ApiResponse response = ApiResponse::text(feed_bad_rows_csv(all), "text/csv; charset=utf-8");
    response.headers.emplace_back(
        http::field::content_disposition,
        "attachment; filename=\"feed-run-" + std::to_string(id) + "-bad-rows.csv\"");
    co_return response;
  }
  auto work = [id, limit, offset](soci::session& s) {
    return list_feed_bad_rows(s, id, limit, offset);
  };
  BadRowPage page = co_await services.storage.run(std::move(work));
  json::array rows;
  for (const auto& r : page.rows) {
    boost::system::error_code ec;
    json::value raw = json::parse(r.row.raw, ec);
    json::object o{{"line", r.row.line},
                   {"field", r.row.field},
                   {"header", r.row.header},
                   {"reason", r.row.reason},
                   {"cells", ec ? json::value(json::object{}) : raw}};
    o["conflicts_with_line"] =
        r.row.conflicts_with_line ? json::value(*r.row.conflicts_with_line) : nullptr;
    o["fixed_by_run"] = r.fixed_by_run ? json::value(*r.fixed_by_run) : nullptr;
    rows.push_back(std::move(o));
  }
  co_return ApiResponse::json(json::object{{"run_id", id},
                                           {"rows", std::move(rows)},
                                           {"total", page.total},
                                           {"limit", limit},
                                           {"offset", offset}});
}

awaitable<ApiResponse> run_feed(ApiServices& services, FeedRunner* runner, ApiRequest& req) {
  std::string feed = req.param("feed");
  const FeedSource* source = req.config->rules.feeds.find(feed);
  if (source == nullptr) {
    // A department code with exactly one feed names that feed (fangfanctl feed run DEPARTMENT).
    for (const FeedSource& s : req.config->rules.feeds.sources) {
      if (s.department != feed) continue;
      if (source != nullptr) {
        throw ApiError::bad_request("feed", "部门 " + feed +
                                                " 有多个数据源，请写数据源名称 (the "
                                                "department has several feeds: name one)");
      }
      source = &s;
    }
    if (source != nullptr) feed = source->name;
  }
  if (source == nullptr) {
    throw ApiError::not_found("没有名为 " + feed + " 的数据源 (no feed " + feed + ")");
  }
  require_department(req, source->department);
  std::string period;
  if (!req.body.empty()) {
    const JsonFields body = req.json();
    period = body.optional_string("period").value_or("");
  }
  // A feedback feed's period is the answered list's day, given by the caller.
  const bool feedback = !source->answers_list.empty();
  if (period.empty() && !feedback) {
    for (const Schedule& sc : req.config->rules.schedules) {
      if (sc.kind != "feed" || sc.feed != feed) continue;
      if (auto o = latest_feed_occurrence(req.config->rules, sc, services.clock.now())) {
        if (period.empty() || o->period > period) period = o->period;
      }
    }
    if (period.empty()) period = period_of(services.clock.now());
  }
  if (feedback && (period.size() != 10 || !parse_date(period))) {
    throw ApiError::bad_request("period",
                                "反馈数据源的 period 应为名单日期 YYYY-MM-DD (a feedback feed's "
                                "period is its list's day, YYYY-MM-DD)");
  }
  if (!feedback && !valid_period(period)) {
    throw ApiError::bad_request("period", "period 应为 YYYY-MM (period must be YYYY-MM)");
  }
  if (runner == nullptr)
    throw ApiError::unavailable("取数任务未运行 (the feed runner is not running)");
  std::string why;
  std::optional<IntakeReport> report =
      co_await runner->run_now(feed, period, req.actor().holder, why);
  if (!report) {
    ApiError e(http::status::conflict, "not_arrived", why);
    e.details()["feed"] = feed;
    e.details()["period"] = period;
    throw e;
  }
  spdlog::info("feed.run_requested feed={} period={} by=\"{}\" status={}", feed, period,
               req.actor().holder, report->status);
  json::object out = report_to_json(*report);
  out["feed"] = feed;
  out["period"] = period;
  co_return ApiResponse::json(out, report->run_id ? http::status::created : http::status::ok);
}

awaitable<ApiResponse> fix_run(ApiServices& services, FeedRunner* runner, ApiRequest& req) {
  FeedRunRecord run = co_await load_run(services, req);
  if (req.body.empty()) {
    throw ApiError::bad_request("file",
                                "请求体为空：请把改正后的文件作为请求体发送 (the body is "
                                "empty: send the corrected file as the body)");
  }
  if (runner == nullptr)
    throw ApiError::unavailable("取数任务未运行 (the feed runner is not running)");
  const std::string name = req.query_param("name").value_or("fix-" + std::to_string(run.id));
  IntakeReport report = co_await runner->fix(run.id, name, std::move(req.body), req.actor().holder);
  if (report.status == "failed" && !report.run_id)
    throw ApiError::bad_request("file", report.error);
  co_return ApiResponse::json(report_to_json(report), http::status::created);
}

}  // namespace

void register_alert_routes(Router& router, ApiServices& services);

void register_feed_routes(Router& router, ApiServices& services, FeedRunner* runner) {
  // Who may call each: route_access.cpp.
  router.add(http::verb::get, "/api/v1/feeds",
             [&services](ApiRequest& req) { return list_feeds(services, req); });
  router.add(http::verb::get, "/api/v1/feeds/runs",
             [&services](ApiRequest& req) { return list_runs(services, req); });
  router.add(http::verb::get, "/api/v1/feeds/runs/{id}",
             [&services](ApiRequest& req) { return show_run(services, req); });
  router.add(http::verb::get, "/api/v1/feeds/runs/{id}/bad-rows",
             [&services](ApiRequest& req) { return bad_rows(services, req); });
  router.add(http::verb::post, "/api/v1/feeds/{feed}/runs",
             [&services, runner](ApiRequest& req) { return run_feed(services, runner, req); });
  router.add(http::verb::post, "/api/v1/feeds/runs/{id}/fix",
             [&services, runner](ApiRequest& req) { return fix_run(services, runner, req); });
  register_alert_routes(router, services);
}

}  // namespace fangfan
