// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/api/calendar_routes.h"

#include <boost/json/object.hpp>
#include <charconv>

#include "workflows/calendar.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

// The largest |n| of add-working-days: a typo must not walk for centuries (as the CLI).
constexpr int kMaxWorkingDays = 100000;

Date date_query(const ApiRequest& req, const std::string& name) {
  const auto text = req.query_param(name);
  if (!text || text->empty()) {
    throw ApiError::bad_request(name, "缺少查询参数 " + name + "，例如 " + name +
                                          "=2025-10-11 (the query parameter " + name +
                                          " is missing, e.g. " + name + "=2025-10-11)");
  }
  const auto d = parse_date(*text);
  if (!d) {
    throw ApiError::bad_request(name, name + "“" + *text + "”不是有效日期，应写成 YYYY-MM-DD (" +
                                          name + " must be a date written YYYY-MM-DD)");
  }
  return *d;
}

int count_query(const ApiRequest& req, const std::string& name) {
  const std::string text = req.query_param(name).value_or("");
  int n = 0;
  const char* begin = text.data();
  if (!text.empty() && text[0] == '+') ++begin;
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() ||
      n < -kMaxWorkingDays || n > kMaxWorkingDays) {
    throw ApiError::bad_request(name, name + "“" + text +
                                          "”不是有效的工作日天数，应为 -100000 到 100000 的整数 (" +
                                          name + " must be a whole number from -100000 to 100000)");
  }
  return n;
}

std::shared_ptr<const WorkingDayCalendar> calendar_of(const ApiServices& services) {
  std::shared_ptr<const WorkingDayCalendar> cal = services.calendar ? services.calendar() : nullptr;
  if (!cal) {
    throw ApiError::unavailable(
        "节假日安排尚未加载，请检查守护进程日志 (no working-day calendar is loaded; the "
        "daemon's log says why)");
  }
  return cal;
}

// 422: the question needs a year the calendar has no data for.
[[noreturn]] void missing(const CalendarError& e) {
  ApiError error(http::status::unprocessable_entity, "calendar_missing", e.message);
  if (e.missing_year != 0) error.details()["year"] = e.missing_year;
  throw error;
}

awaitable<ApiResponse> working_day(ApiServices& services, ApiRequest& req) {
  const Date d = date_query(req, "date");
  const auto cal = calendar_of(services);
  const auto r = cal->is_working_day(d);
  if (!r) missing(r.error());
  json::object out;
  out["date"] = format_date(d);
  out["working_day"] = *r;
  const auto period = cal->period_name(d);
  out["period"] = period ? json::value(*period) : json::value(nullptr);
  co_return ApiResponse::json(out);
}

awaitable<ApiResponse> add_working_days(ApiServices& services, ApiRequest& req) {
  const Date d = date_query(req, "date");
  const int n = count_query(req, "n");
  const auto cal = calendar_of(services);
  const auto r = cal->add_working_days(d, n);
  if (!r) missing(r.error());
  json::object out;
  out["date"] = format_date(d);
  out["n"] = n;
  out["result"] = format_date(*r);
  co_return ApiResponse::json(out);
}

awaitable<ApiResponse> working_days_between(ApiServices& services, ApiRequest& req) {
  const Date from = date_query(req, "from");
  const Date to = date_query(req, "to");
  if (to < from) {
    throw ApiError::bad_request("to", "结束日期 " + format_date(to) + " 早于起始日期 " +
                                          format_date(from) + " (to is before from)");
  }
  const auto cal = calendar_of(services);
  const auto r = cal->working_days_between(from, to);
  if (!r) missing(r.error());
  json::object out;
  out["from"] = format_date(from);
  out["to"] = format_date(to);
  out["working_days"] = *r;
  co_return ApiResponse::json(out);
}

}  // namespace

void register_calendar_routes(Router& router, ApiServices& services) {
  router.add(http::verb::get, "/api/v1/calendar/working-day",
             [&services](ApiRequest& req) { return working_day(services, req); });
  router.add(http::verb::get, "/api/v1/calendar/add-working-days",
             [&services](ApiRequest& req) { return add_working_days(services, req); });
  router.add(http::verb::get, "/api/v1/calendar/working-days-between",
             [&services](ApiRequest& req) { return working_days_between(services, req); });
}

}  // namespace fangfan
