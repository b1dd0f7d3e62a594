// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/api/clock_routes.h"

#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "daemon/api/auth.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

// Bounds one request's work: a simulated year and a bit.
constexpr std::chrono::days kMaxSpan{400};

json::object clock_json(const Scheduler& scheduler) {
  const TimePoint now = scheduler.clock().now();
  json::object o;
  o["now"] = format_time(now);
  o["today"] = format_date(china_date(now));
  o["simulated"] = scheduler.simulated();
  return o;
}

awaitable<ApiResponse> show_clock(Scheduler& scheduler) {
  co_return ApiResponse::json(clock_json(scheduler));
}

awaitable<ApiResponse> advance(Scheduler& scheduler, ApiRequest& req) {
  require_scope(req, req.config->county.code);
  if (!scheduler.simulated()) {
    throw ApiError::conflict(
        "clock_not_simulated",
        "守护进程使用系统时钟运行，不能拨动时钟；只有用 fangfand --simulated-clock "
        "启动的测试部署才可以 "
        "(the daemon runs on the system clock, which cannot be moved; only a test deployment "
        "started with fangfand --simulated-clock can be advanced)");
  }
  const JsonFields body = req.json();
  body.reject_unknown({"by", "to"});
  const TimePoint now = scheduler.clock().now();
  TimePoint target;
  if (body.has("by") == body.has("to")) {
    throw ApiError::bad_request("by",
                                "请给出 by（如 \"3d\"）或 to（如 \"2025-02-01T08:00\"）中的一个 "
                                "(give exactly one of by, e.g. \"3d\", or to, e.g. "
                                "\"2025-02-01T08:00\")");
  }
  if (body.has("by")) {
    const std::string text = body.string("by");
    auto by = parse_duration(text);
    if (!by || by->count() <= 0) {
      throw ApiError::bad_request(
          "by", "“" + text +
                    "”不是有效的时长，应为正整数加单位 d、h、m 或 s，如 3d、12h、1d12h ("
                    "by must be whole numbers with d, h, m or s, e.g. 3d, 12h, 1d12h)");
    }
    if (*by > kMaxSpan) {
      throw ApiError::bad_request("by",
                                  "一次最多拨动 400 天 (the clock moves at most 400 days at once)");
    }
    target = now + *by;
  } else {
    target = body.time("to");
    if (target < now) {
      throw ApiError::bad_request("to", "时间不能倒退：现在是 " + format_time(now) +
                                            " (time never goes backwards: it is " +
                                            format_time(now) + " now)");
    }
    if (target - now > kMaxSpan) {
      throw ApiError::bad_request("to",
                                  "一次最多拨动 400 天 (the clock moves at most 400 days at once)");
    }
  }
  const AdvanceReport r = co_await scheduler.advance_to(target);
  spdlog::info("clock.advanced from={} to={} timers={} messages={} by=\"{}\"", format_time(r.from),
               format_time(r.to), r.timers_fired, r.messages_queued, req.actor().holder);
  json::object o = clock_json(scheduler);
  o["from"] = format_time(r.from);
  o["timers_fired"] = r.timers_fired;
  o["messages_queued"] = r.messages_queued;
  o["recurring_seeded"] = r.recurring_seeded;
  co_return ApiResponse::json(o);
}

json::object message_json(const DryRunMessage& m) {
  json::object o;
  o["at"] = format_time(m.at);
  o["timer_kind"] = m.timer_kind;
  o["step"] = m.step;
  o["rung"] = m.rung;
  o["case_id"] = m.case_id ? json::value(*m.case_id) : json::value(nullptr);
  o["channel"] = m.channel;
  o["recipient"] = m.recipient;
  o["message_type"] = m.message_type;
  json::object params;
  for (const auto& [k, v] : m.params) params[k] = v;
  o["params"] = std::move(params);
  o["text"] = m.text;
  o["dedupe_key"] = m.dedupe_key;
  return o;
}

awaitable<ApiResponse> simulate(ApiServices& services, Scheduler& scheduler, ApiRequest& req) {
  require_scope(req, req.config->county.code);
  const JsonFields body = req.json();
  body.reject_unknown({"from", "to"});
  const Date from = body.date("from");
  const Date to = body.date("to");
  if (to < from) {
    throw ApiError::bad_request("to", "to 不能早于 from (to must not be before from)");
  }
  if (to - from >= kMaxSpan) {
    throw ApiError::bad_request("to", "一次最多模拟 400 天 (at most 400 days at once)");
  }
  // From the start of the first day to the end of the last, China time.
  const TimePoint begin = china_time(from);
  const TimePoint end = china_time(to + std::chrono::days{1}) - std::chrono::seconds{1};
  auto config = req.config;
  auto calendar = scheduler.calendar();
  auto work = [config, calendar, begin, end](soci::session& s) {
    return simulate_span(s, *config, *calendar, begin, end);
  };
  const DryRunResult r = co_await services.storage.run(std::move(work));
  json::array messages;
  for (const auto& m : r.messages) messages.push_back(message_json(m));
  json::object o;
  o["from"] = format_time(r.from);
  o["to"] = format_time(r.to);
  o["timers_fired"] = r.timers_fired;
  o["count"] = messages.size();
  o["messages"] = std::move(messages);
  co_return ApiResponse::json(o);
}

}  // namespace

void register_clock_routes(Router& router, ApiServices& services, Scheduler& scheduler) {
  router.add(http::verb::get, "/api/v1/clock",
             [&scheduler](ApiRequest&) { return show_clock(scheduler); });
  router.add(http::verb::post, "/api/v1/clock/advance",
             [&scheduler](ApiRequest& req) { return advance(scheduler, req); });
  router.add(http::verb::post, "/api/v1/simulate", [&services, &scheduler](ApiRequest& req) {
    return simulate(services, scheduler, req);
  });
}

}  // namespace fangfan
