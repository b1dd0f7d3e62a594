// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/api/duty_routes.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <charconv>
#include <map>
#include <memory>

#include "adapters/scheduler/timer_firing.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/evaluation_store.h"
#include "daemon/api/auth.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/date.h"
#include "workflows/deadlines.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

enum class Window { kOverdue, kDueSoon };

// The filter of the request, narrowed to the caller's scope; a 403 for a place outside it.
DutyFilter scoped_filter(const ApiRequest& req) {
  const Principal& p = req.actor();
  const Config& config = *req.config;
  DutyFilter f;
  f.township = req.query_param("township");
  f.village = req.query_param("village");
  f.officer = req.query_param("officer");
  if (f.township && f.township->empty()) f.township.reset();
  if (f.village && f.village->empty()) f.village.reset();
  if (f.officer && f.officer->empty()) f.officer.reset();
  if (f.township) require_scope(req, *f.township);
  if (f.village) require_scope(req, *f.village);
  switch (config.scope_level(p.scope).value_or(ScopeLevel::kVillage)) {
    case ScopeLevel::kCounty:
      break;
    case ScopeLevel::kTownship:
      f.township = p.scope;
      break;
    case ScopeLevel::kVillage:
      f.village = p.scope;
      break;
  }
  f.limit = req.int_param("limit", 500, 1, 1000);
  return f;
}

// One due date everywhere (docs/api.md, Deadlines): `due_date` is the last day the duty may be
// done on, the day its messages name; `overdue_since` (and `due_at`, kept for older clients)
// the instant it is overdue from; days are counted from the last day as the messages count
// them (workflows/deadlines.h: days_overdue, days_left).
json::object duty_json(const DutyRecord& d, TimePoint now, Window window, const ProgramRules& rules,
                       const WorkingDayCalendar& calendar) {
  json::object o;
  o["id"] = d.id;
  o["duty_key"] = d.duty_key;
  o["case_id"] = d.case_id ? json::value(*d.case_id) : json::value(nullptr);
  o["kind"] = d.kind;
  o["subject"] = d.subject;
  o["township_code"] = d.township_code;
  o["village_code"] = d.village_code;
  o["owner_role"] = d.owner_role;
  o["officer"] = d.officer;
  o["due_at"] = format_time(d.due_at);
  const Date last_day = duty_last_day(d, rules, calendar);
  o["due_date"] = format_date(last_day);
  o["overdue_since"] = format_time(d.due_at);
  if (window == Window::kOverdue) {
    o["days_overdue"] = days_overdue(last_day, now);
  } else {
    o["days_left"] = days_left(last_day, now);
  }
  return o;
}

awaitable<ApiResponse> list_duties(ApiServices& services, ApiRequest& req, Window window) {
  DutyFilter filter = scoped_filter(req);
  const TimePoint now = services.clock.now();
  int days = 0;
  if (window == Window::kDueSoon) {
    days = req.int_param("days", 7, 1, 366);
    filter.due_before = now + std::chrono::days(days);
  } else {
    filter.due_before = now;
  }
  auto work = [filter, now, window](soci::session& s) {
    std::vector<DutyRecord> out;
    if (window == Window::kOverdue) return list_open_duties(s, filter);
    // Due soon: the overdue ones come first by due_at; skip them without counting them
    // against the limit.
    DutyFilter wide = filter;
    wide.limit = 100000;
    for (auto& d : list_open_duties(s, wide)) {
      if (d.due_at <= now) continue;
      out.push_back(std::move(d));
      if (static_cast<int>(out.size()) >= filter.limit) break;
    }
    return out;
  };
  std::vector<DutyRecord> duties = co_await services.storage.run(std::move(work));
  json::array items;
  std::map<std::string, std::int64_t> by_township, by_officer;
  // Without a loaded calendar the last day of a step-like duty falls back on the day before
  // its due day (duty_last_day); an empty calendar covers no year.
  std::shared_ptr<const WorkingDayCalendar> calendar =
      services.calendar ? services.calendar() : nullptr;
  if (!calendar) {
    static const std::shared_ptr<const WorkingDayCalendar> kEmpty =
        std::make_shared<const WorkingDayCalendar>(WorkingDayCalendar::build({}).value());
    calendar = kEmpty;
  }
  for (const auto& d : duties) {
    items.push_back(duty_json(d, now, window, req.config->rules, *calendar));
    ++by_township[d.township_code];
    if (!d.officer.empty()) ++by_officer[d.officer];
  }
  json::object body;
  body["now"] = format_time(now);
  if (window == Window::kDueSoon) body["days"] = days;
  body["count"] = items.size();
  body["duties"] = std::move(items);
  json::object townships, officers;
  for (const auto& [k, n] : by_township) townships[k] = n;
  for (const auto& [k, n] : by_officer) officers[k] = n;
  body["by_township"] = std::move(townships);
  body["by_officer"] = std::move(officers);
  co_return ApiResponse::json(body);
}

// What closing an evaluation task by hand found.
enum class EvaluationDone { kDone, kNotOpen, kNoResult };

// A Q4 risk evaluation task (第四季度风险评估) whose result is already recorded but whose task
// is still open (the case became a monitoring object again in the same window) is closed here,
// its pending reminders and escalations cancelled with it. A task with no result is refused:
// the case event record_evaluation records the result and closes the task in one step, and
// [001]'s look-backs check what was found, not that a task was ticked. Only evaluation duties:
// steps, visits and monitoring close through case events, campaign milestones through their own
// route, so that each duty has one way to be done.
awaitable<ApiResponse> complete_evaluation(ApiServices& services, ApiRequest& req) {
  const std::int64_t id = req.id_param("id");
  auto load = [id](soci::session& s) { return load_duty(s, id); };
  std::optional<DutyRecord> duty = co_await services.storage.run(std::move(load));
  if (!duty) {
    throw ApiError::not_found("没有编号为 " + std::to_string(id) + " 的待办 (no duty " +
                              std::to_string(id) + ")");
  }
  require_scope(req, duty->village_code.empty() ? duty->township_code : duty->village_code);
  if (duty->kind != "evaluation") {
    throw ApiError::conflict("not_an_evaluation",
                             "待办 " + std::to_string(id) +
                                 " 不是风险评估任务，请通过案件事件或专项行动节点办结 (duty " +
                                 std::to_string(id) + " is a " + duty->kind +
                                 " duty; it is done through its case event or campaign milestone)");
  }
  const TimePoint now = services.clock.now();
  int year = 0;
  std::from_chars(duty->subject.data(), duty->subject.data() + duty->subject.size(), year);
  const std::optional<std::int64_t> case_id = duty->case_id;
  auto complete = [id, case_id, year, now](soci::session& s) {
    const std::optional<DutyRecord> now_stored = load_duty(s, id);
    if (!now_stored || now_stored->state != DutyState::kOpen) return EvaluationDone::kNotOpen;
    if (!case_id || !has_evaluation_result(s, *case_id, year)) return EvaluationDone::kNoResult;
    return complete_duty(s, id, now) ? EvaluationDone::kDone : EvaluationDone::kNotOpen;
  };
  const EvaluationDone done = co_await services.storage.run(std::move(complete));
  if (done == EvaluationDone::kNotOpen) {
    throw ApiError::conflict("duty_not_open", "待办 " + std::to_string(id) +
                                                  " 已办结或已取消 (duty " + std::to_string(id) +
                                                  " is already done or cancelled)");
  }
  if (done == EvaluationDone::kNoResult) {
    const std::string y = std::to_string(year);
    throw ApiError::conflict(
        "evaluation_needs_result",
        "待办 " + std::to_string(id) + " 是" + y +
            "年返贫风险评估任务，尚未登记评估结果，不能直接办结；请以案件事件 record_evaluation "
            "登记评估结果，任务随之办结 (duty " +
            std::to_string(id) + " is the " + y +
            " risk evaluation and has no result recorded: record the evaluation with the case "
            "event record_evaluation, which closes the task)");
  }
  json::object o;
  o["id"] = id;
  o["duty_key"] = duty->duty_key;
  o["state"] = "done";
  o["done_at"] = format_time(now);
  o["by"] = req.actor().holder;
  co_return ApiResponse::json(o);
}

}  // namespace

void register_duty_routes(Router& router, ApiServices& services) {
  router.add(http::verb::post, "/api/v1/duties/{id}/done",
             [&services](ApiRequest& req) { return complete_evaluation(services, req); });
  router.add(http::verb::get, "/api/v1/overdue",
             [&services](ApiRequest& req) { return list_duties(services, req, Window::kOverdue); });
  router.add(http::verb::get, "/api/v1/due-soon",
             [&services](ApiRequest& req) { return list_duties(services, req, Window::kDueSoon); });
}

}  // namespace fangfan
