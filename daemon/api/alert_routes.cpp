// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// The alert half of feed_routes.h (see there for the routes and who may use them).
#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "adapters/scheduler/case_alerts.h"
#include "adapters/scheduler/feed_duties.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/storage/alert_store.h"
#include "adapters/storage/case_json.h"
#include "adapters/storage/database.h"
#include "daemon/api/auth.h"
#include "daemon/api/case_access.h"
#include "daemon/api/event_json.h"
#include "daemon/api/feed_routes.h"
#include "daemon/tasks/storage_executor.h"
#include "daemon/tasks/write_group.h"
#include "workflows/alert_loop.h"
#include "workflows/date.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

// Who verifies alerts (and so sees their ID numbers in full).
bool verifier(Role role) {
  return role == Role::kCountyAdmin || role == Role::kCountyOffice || role == Role::kTownshipClerk;
}

// A 403 unless the caller may see `alert` (its township, or its department for a clerk).
void require_alert_scope(const ApiRequest& req, const AlertRecord& a) {
  const Principal& p = req.actor();
  if (p.role == Role::kDepartmentClerk) {
    // Its own department's alerts, and a monitored case's alert the county gave it (issue 14).
    if (is_department_code(*req.config, p.scope) && p.scope != a.alert.department &&
        p.scope != a.assigned_department) {
      throw ApiError::forbidden(
          "只能查看本部门的预警 (a department clerk sees their own "
          "department's alerts only)");
    }
    return;
  }
  require_scope(req, a.alert.township_code);
}

json::object alert_to_json(const Config& c, const AlertRecord& a, bool full_id) {
  json::object o;
  o["id"] = a.id;
  o["feed"] = a.alert.feed;
  o["department"] = a.alert.department;
  o["period"] = a.alert.period;
  o["run_id"] = a.alert.run_id ? json::value(*a.alert.run_id) : nullptr;
  o["rule"] = a.alert.rule;
  o["rule_label"] = a.alert.rule_label;
  o["id_number"] = full_id ? a.alert.id_number : mask_id_number(a.alert.id_number);
  o["name"] = full_id ? a.alert.name : mask_name(a.alert.name);
  o["village_code"] = a.alert.village_code;
  o["township_code"] = a.alert.township_code;
  o["place"] =
      place_name(c, a.alert.village_code.empty() ? a.alert.township_code : a.alert.village_code);
  boost::system::error_code ec;
  json::value detail = json::parse(a.alert.detail, ec);
  o["detail"] = ec ? json::value(json::object{}) : detail;
  o["status"] = a.status;
  o["case_id"] = a.case_id ? json::value(*a.case_id) : nullptr;
  o["reason"] = a.reason;
  o["created_at"] = format_time(a.alert.created_at);
  o["closed_at"] = a.closed_at ? json::value(format_time(*a.closed_at)) : nullptr;
  o["closed_by"] = a.closed_by;
  o["stage"] = a.stage;
  o["assigned_department"] = a.assigned_department;
  return o;
}

awaitable<ApiResponse> list(ApiServices& services, ApiRequest& req) {
  const Principal& p = req.actor();
  const Config& c = *req.config;
  AlertFilter f;
  f.status = req.query_param("status");
  if (f.status && f.status->empty()) f.status.reset();
  if (f.status && *f.status != "open" && *f.status != "case_opened" && *f.status != "dismissed") {
    throw ApiError::bad_request("status",
                                "status 应为 open、case_opened 或 dismissed (status must "
                                "be open, case_opened or dismissed)");
  }
  f.feed = req.query_param("feed");
  if (f.feed && f.feed->empty()) f.feed.reset();
  f.stage = req.query_param("stage");
  if (f.stage && f.stage->empty()) f.stage.reset();
  if (f.stage && parse_alert_stage(*f.stage) == AlertStage::kNone) {
    throw ApiError::bad_request("stage",
                                "stage 应为 township_review、county_review、department、closure、"
                                "closed 或 dismissed (stage must be township_review, "
                                "county_review, department, closure, closed or dismissed)");
  }
  f.limit = static_cast<int>(req.int_param("limit", 100, 1, 1000));
  f.offset = req.int_param("offset", 0, 0, std::numeric_limits<std::int64_t>::max());
  std::optional<std::string> township = req.query_param("township");
  if (township && township->empty()) township.reset();
  if (township) require_scope(req, *township);
  if (p.role == Role::kDepartmentClerk) {
    // Their department's alerts, and the monitored cases' alerts the county gave it (issue 14),
    // as require_alert_scope lets them open one.
    if (is_department_code(c, p.scope)) f.department = p.scope;
  } else if (c.scope_level(p.scope) == ScopeLevel::kTownship) {
    township = p.scope;
  }
  f.township_prefix = township;
  auto work = [f](soci::session& s) { return list_alerts(s, f); };
  AlertPage page = co_await services.storage.run(std::move(work));
  json::array out;
  for (const auto& a : page.alerts) out.push_back(alert_to_json(c, a, false));
  co_return ApiResponse::json(json::object{
      {"alerts", std::move(out)}, {"total", page.total}, {"limit", f.limit}, {"offset", f.offset}});
}

awaitable<AlertRecord> load(ApiServices& services, ApiRequest& req) {
  const std::int64_t id = req.id_param("id");
  auto work = [id](soci::session& s) { return load_alert(s, id); };
  std::optional<AlertRecord> a = co_await services.storage.run(std::move(work));
  if (!a) {
    throw ApiError::not_found("没有编号为 " + std::to_string(id) + " 的预警 (no alert " +
                              std::to_string(id) + ")");
  }
  require_alert_scope(req, *a);
  co_return *a;
}

awaitable<ApiResponse> show(ApiServices& services, ApiRequest& req) {
  AlertRecord a = co_await load(services, req);
  const std::int64_t id = a.id;
  auto work = [id](soci::session& s) { return alert_history(s, id); };
  std::vector<AlertHistoryRecord> history = co_await services.storage.run(std::move(work));
  json::array h;
  for (const auto& e : history) {
    boost::system::error_code ec;
    json::value details = json::parse(e.details, ec);
    h.push_back(json::object{{"at", format_time(e.at)},
                             {"actor", e.actor},
                             {"event", e.event},
                             {"details", ec ? json::value(json::object{}) : details}});
  }
  json::object out;
  out["alert"] = alert_to_json(*req.config, a, verifier(req.actor().role));
  out["history"] = std::move(h);
  co_return ApiResponse::json(out);
}

void require_open(const AlertRecord& a) {
  if (a.status != "open") {
    throw ApiError::conflict(
        "alert_closed",
        "该预警已处理（" + a.status + "） (the alert is no longer open: " + a.status + ")");
  }
}

// Closing an alert inside the transaction of what closes it; throws to roll everything back
// when someone else closed it first.
struct AlertClosed : std::runtime_error {
  AlertClosed() : std::runtime_error("alert no longer open") {}
};

awaitable<ApiResponse> open_case_from(ApiServices& services, ApiRequest& req) {
  if (auto refusal = check_event_role(req.actor().role, CaseEvent(OpenCase{}))) {
    throw ApiError::forbidden(*refusal);  // authorization first, whatever the body holds
  }
  AlertRecord a = co_await load(services, req);
  require_open(a);
  // The source is the alert's (部门筛查预警) whatever the body says; the body need not name it.
  boost::system::error_code ec;
  json::value parsed = json::parse(req.body, ec);
  if (!ec && parsed.is_object()) {
    parsed.as_object()["source"] = "department_alert";
    parsed.as_object().erase("alert_id");
    req.body = json::serialize(parsed);
  }
  const JsonFields body = req.json();
  const EventSchema& schema = *find_event_schema(OpenCase::kName);
  reject_unknown_fields(body, schema, {"reason"});
  EventMeta meta;
  meta.actor = req.actor().holder;
  meta.at = services.clock.now();
  OpenCase event = std::get<OpenCase>(decode_event(body, schema, meta));
  // From an alert: the discovery source is the department's screening, linked to the alert.
  event.source = DiscoverySource::kDepartmentAlert;
  event.alert_id = a.id;
  if (event.household.village_code.empty()) {
    throw ApiError::bad_request("household.village_code",
                                "缺少字段 household.village_code (the field "
                                "household.village_code is missing)");
  }
  require_scope(req, event.household.village_code);
  std::shared_ptr<const Config> config = req.config;
  CaseUnitOfWork cases = services.cases.begin(*config);  // on the loop thread
  const std::int64_t alert_id = a.id;
  const std::string actor = req.actor().holder;
  const TimePoint now = services.clock.now();
  auto work = [config, cases, alert_id, actor, now,
               event = std::move(event)](soci::session& s) mutable {
    auto close_alert = [alert_id, actor, now](soci::session& tx, const CaseChange& change) {
      if (!mark_alert_case_opened(tx, alert_id, change.case_id, actor, now)) throw AlertClosed();
      append_alert_history(tx, {0, alert_id, now, actor, "case_opened",
                                json::serialize(json::object{{"case_id", change.case_id}})});
      close_alert_duty(tx, alert_id, now);
    };
    return cases.open_case_in(s, std::move(event), close_alert);
  };
  // In the next group of writes (write_group.h), as the case routes' writes: its own savepoint,
  // one commit for the group; the wake of the scheduler and dispatcher comes with that commit.
  auto keep = [](const OpenResult& r) { return std::holds_alternative<CaseChange>(r); };
  OpenResult result;
  try {
    result = co_await services.case_writes.run(std::move(work), keep);
  } catch (const AlertClosed&) {
    throw ApiError::conflict("alert_closed", "该预警已被他人处理 (the alert was closed meanwhile)");
  } catch (const ScheduleError& e) {
    throw ApiError(http::status::unprocessable_entity, "calendar_missing", e.what());
  }
  if (const auto* refusal = std::get_if<Refusal>(&result)) {
    ApiError e = ApiError::refused(refusal->code.empty() ? "condition_not_met" : refusal->code,
                                   refusal->message, refusal->field);
    e.details()["event"] = refusal->event;
    e.details()["state"] = refusal->state;
    throw e;
  }
  const CaseChange& change = std::get<CaseChange>(result);
  spdlog::info("alert.case_opened alert={} case={} by=\"{}\"", alert_id, change.case_id, actor);
  co_return ApiResponse::json(
      json::object{{"alert_id", alert_id}, {"case_id", change.case_id}, {"status", "case_opened"}},
      http::status::created);
}

awaitable<ApiResponse> dismiss(ApiServices& services, ApiRequest& req) {
  AlertRecord a = co_await load(services, req);
  require_open(a);
  const JsonFields body = req.json();
  const std::string reason = body.string("reason");
  const std::int64_t id = a.id;
  const std::string actor = req.actor().holder;
  const TimePoint now = services.clock.now();
  auto work = [id, reason, actor, now](soci::session& s) {
    if (!dismiss_alert(s, id, reason, actor, now)) return false;
    append_alert_history(
        s, {0, id, now, actor, "dismissed", json::serialize(json::object{{"reason", reason}})});
    close_alert_duty(s, id, now);
    return true;
  };
  auto keep = [](bool done) { return done; };
  const bool done = co_await services.case_writes.run(std::move(work), keep);  // a group's write
  if (!done) {
    throw ApiError::conflict("alert_closed", "该预警已被他人处理 (the alert was closed meanwhile)");
  }
  spdlog::info("alert.dismissed alert={} by=\"{}\"", id, actor);
  co_return ApiResponse::json(json::object{{"alert_id", id}, {"status", "dismissed"}});
}

// A step of a monitored case's alert loop (workflows/alert_loop.h): who may take it is the
// stage's rule (decide_alert_step), checked before anything is written; a department clerk
// reaches only the alerts given to their department.
awaitable<ApiResponse> step(ApiServices& services, ApiRequest& req) {
  const std::int64_t id = req.id_param("id");
  auto load_work = [id](soci::session& s) { return load_alert(s, id); };
  std::optional<AlertRecord> a = co_await services.storage.run(std::move(load_work));
  if (!a) {
    throw ApiError::not_found("没有编号为 " + std::to_string(id) + " 的预警 (no alert " +
                              std::to_string(id) + ")");
  }
  const Principal& p = req.actor();
  const Config& c = *req.config;
  if (p.role == Role::kDepartmentClerk) {
    if (p.scope != a->assigned_department) {
      throw ApiError::forbidden(
          "只能办理交给本部门的预警 (a department clerk takes steps of their own department's "
          "alerts only)");
    }
  } else {
    require_scope(req, a->alert.township_code);
  }
  const JsonFields body = req.json();
  AlertStepRequest request;
  request.action =
      body.one_of("action", {"confirm", "dismiss", "assign", "assisted", "close", "return"});
  request.reason = body.optional_string("reason").value_or("");
  request.department = body.optional_string("department").value_or("");
  request.days = static_cast<int>(body.optional_integer("days").value_or(0));
  std::vector<std::string> departments;
  for (const Department& d : c.departments) departments.push_back(d.code);
  const AlertStepDecision decision = decide_alert_step(
      parse_alert_stage(a->stage), a->assigned_department, request,
      {role_name(p.role), p.role == Role::kDepartmentClerk ? p.scope : ""}, departments);
  if (decision.status == 403) throw ApiError::forbidden(decision.message);
  if (decision.status == 400) throw ApiError::bad_request(decision.field, decision.message);
  if (decision.refused()) throw ApiError::conflict("alert_step_refused", decision.message);
  std::shared_ptr<const Config> config = req.config;
  std::shared_ptr<const WorkingDayCalendar> calendar =
      services.calendar ? services.calendar() : nullptr;
  if (calendar == nullptr) {
    throw ApiError::unavailable("工作日历未加载 (the working-day calendar is not loaded)");
  }
  const std::string actor = p.holder;
  const TimePoint now = services.clock.now();
  const AlertRecord alert = *a;
  auto work = [config, calendar, alert, request, decision, actor, now](soci::session& s) {
    return apply_alert_step(s, *config, *calendar, alert, request, decision, actor, now);
  };
  // Kept only when the alert moved; otherwise its savepoint is rolled back (a group's write).
  auto keep = [](const AppliedAlertStep& a) { return a.moved; };
  const AppliedAlertStep applied = co_await services.case_writes.run(std::move(work), keep);
  if (!applied.moved) {
    throw ApiError::conflict("alert_closed", "该预警已被他人处理 (the alert was moved meanwhile)");
  }
  const std::string next(alert_stage_name(decision.next));
  spdlog::info("alert.step alert={} action={} stage={} by=\"{}\"", id, request.action, next, actor);
  json::object answer{{"alert_id", id},
                      {"action", request.action},
                      {"stage", next},
                      {"assigned_department", decision.department}};
  co_return ApiResponse::json(std::move(answer));
}

}  // namespace

void register_alert_routes(Router& router, ApiServices& services) {
  // Who may call each: route_access.cpp.
  router.add(http::verb::get, "/api/v1/alerts",
             [&services](ApiRequest& req) { return list(services, req); });
  router.add(http::verb::get, "/api/v1/alerts/{id}",
             [&services](ApiRequest& req) { return show(services, req); });
  router.add(http::verb::post, "/api/v1/alerts/{id}/case",
             [&services](ApiRequest& req) { return open_case_from(services, req); });
  router.add(http::verb::post, "/api/v1/alerts/{id}/dismiss",
             [&services](ApiRequest& req) { return dismiss(services, req); });
  router.add(http::verb::post, "/api/v1/alerts/{id}/step",
             [&services](ApiRequest& req) { return step(services, req); });
}

}  // namespace fangfan
