#include "daemon/api/ops_routes.h"

#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <cmath>

#include "adapters/storage/count_store.h"
#include "adapters/storage/outbox_store.h"
#include "daemon/api/metrics.h"
#include "daemon/tasks/health.h"
#include "daemon/tasks/storage_executor.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

constexpr OutboxStatus kOutboxStatuses[] = {OutboxStatus::kPending, OutboxStatus::kSending,
                                            OutboxStatus::kSent,    OutboxStatus::kFailed,
                                            OutboxStatus::kDead,    OutboxStatus::kCancelled};

// A store's counts as gauge values.
std::map<LabelValues, double> gauge_values(const std::map<std::string, std::int64_t>& counts) {
  std::map<LabelValues, double> out;
  for (const auto& [name, n] : counts) out[{name}] = static_cast<double>(n);
  return out;
}

awaitable<ApiResponse> healthz(ApiServices& services) {
  json::object checks;
  bool ok = true;
  try {
    auto probe = [](soci::session& s) { return database_answers(s); };
    const bool answered = co_await services.storage.run(probe);
    checks["database"] = {{"ok", answered}};
    ok = answered;
  } catch (const std::exception& e) {
    spdlog::warn("api.health_database_failed error=\"{}\"", e.what());
    checks["database"] = {{"ok", false},
                          {"error", "数据库无法访问 (the database cannot be reached)"}};
    ok = false;
  }
  for (const auto& c : services.health.checks()) {
    json::object o{{"ok", c.ok},
                   {"seconds_since_beat", std::round(c.seconds_since_beat * 10) / 10},
                   {"max_silence_seconds", c.max_silence_seconds}};
    if (!c.ever_beat) o["never_beat"] = true;
    checks[c.name] = std::move(o);
    ok = ok && c.ok;
  }
  json::object body{{"status", ok ? "ok" : "unavailable"}, {"version", FANGFAN_VERSION}};
  body["checks"] = std::move(checks);
  co_return ApiResponse::json(body, ok ? http::status::ok : http::status::service_unavailable);
}

awaitable<ApiResponse> metrics_page(ApiServices& services) {
  MetricsRegistry& metrics = services.metrics;
  const TimePoint now = services.clock.now();
  try {
    auto collect = [&metrics, now](soci::session& s) { metrics.collect(s, now); };
    co_await services.storage.run(collect);
  } catch (const std::exception& e) {
    // No session at all (the database is down): the HTTP metrics are still worth having.
    spdlog::warn("metrics.storage_failed error=\"{}\"", e.what());
    metrics
        .counter("fangfan_metrics_collector_errors_total",
                 "Metrics collectors that failed while /metrics was scraped.", {"collector"})
        .inc({"storage"});
  }
  co_return ApiResponse::text(metrics.render(), MetricsRegistry::kContentType);
}

}  // namespace

void register_ops_routes(Router& router, ApiServices& services) {
  router.add(http::verb::get, "/healthz", [&services](ApiRequest&) { return healthz(services); });
  router.add(http::verb::get, "/metrics",
             [&services](ApiRequest&) { return metrics_page(services); });
}

void add_standard_collectors(MetricsRegistry& metrics) {
  GaugeFamily& outbox =
      metrics.gauge("fangfan_outbox_messages", "Outbox messages by status.", {"status"});
  metrics.add_collector("outbox", [&outbox](soci::session& s, TimePoint) {
    auto counts = gauge_values(count_outbox_by_status(s));
    for (OutboxStatus st : kOutboxStatuses)
      counts.try_emplace({std::string(outbox_status_name(st))}, 0);
    outbox.replace(std::move(counts));
  });

  GaugeFamily& cases = metrics.gauge("fangfan_cases", "Cases by state.", {"state"});
  metrics.add_collector("cases", [&cases](soci::session& s, TimePoint) {
    cases.replace(gauge_values(count_cases_by_state(s)));
  });

  GaugeFamily& pending = metrics.gauge("fangfan_timers_pending",
                                       "Timers (deadlines, reminders, checks) not fired yet.");
  GaugeFamily& overdue =
      metrics.gauge("fangfan_timers_overdue", "Pending timers whose due time has passed.");
  metrics.add_collector("timers", [&pending, &overdue](soci::session& s, TimePoint now) {
    const PendingTimerCounts counts = count_pending_timers(s, now);
    pending.set({}, static_cast<double>(counts.pending));
    overdue.set({}, static_cast<double>(counts.overdue));
  });
}

}  // namespace fangfan
