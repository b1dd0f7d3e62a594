// GCC 12.2 misreports Asio's coroutine frames (class-specific operator new/delete) as
// -Wmismatched-new-delete at -O2 (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/tasks/list_runner.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/lists/list_files.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "daemon/tasks/health.h"
#include "daemon/tasks/list_production.h"
#include "daemon/tasks/report_production.h"
#include "workflows/report_schedule.h"

namespace fangfan {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr std::chrono::seconds kTick{30};
constexpr std::chrono::seconds kStorageRetry{5};

bool cancelled(asio::cancellation_state cs) {
  return cs.cancelled() != asio::cancellation_type::none;
}

}  // namespace

ListRunner::ListRunner(asio::any_io_executor loop, StorageExecutor& storage, const Clock& clock,
                       ConfigSource config, CalendarSource calendar, std::function<void()> changed,
                       Heartbeat* heartbeat)
    : loop_(loop),
      storage_(storage),
      clock_(clock),
      config_(std::move(config)),
      calendar_(std::move(calendar)),
      changed_(std::move(changed)),
      heartbeat_(heartbeat),
      timer_(loop) {}

void ListRunner::wake() {
  woken_ = true;
  timer_.cancel();
}

awaitable<int> ListRunner::look_due() {
  // One look at a time: a simulated advance's look waits for the runner's own, so that a list
  // is decided once (find_department_list makes a second production a no-op anyway).
  asio::steady_timer wait(loop_);
  while (busy_) {
    wait.expires_after(std::chrono::milliseconds(50));
    co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  busy_ = true;
  struct Release {
    bool& busy;
    ~Release() { busy = false; }
  } release{busy_};
  const TimePoint now = clock_.now();
  auto due = [now](soci::session& s) {
    DutyFilter filter;
    filter.due_before = now;
    filter.kind = std::string(kDutyList);
    filter.limit = 1000;
    return list_open_duties(s, filter);
  };
  const std::vector<DutyRecord> duties = co_await storage_.run(std::move(due));
  int timers = 0;
  bool produced = false;
  for (const DutyRecord& duty : duties) {
    auto config = config_();
    auto calendar = calendar_();
    const TimePoint at = clock_.now();
    auto produce = [config, calendar, duty, at](soci::session& s) {
      return produce_department_list(s, *config, *calendar, duty, at);
    };
    try {
      ListProduction p = co_await storage_.run(std::move(produce));
      if (p.status == "produced") {
        produced = true;
        timers += p.timers;
        spdlog::info(
            "list.produced list={} period={} list_id={} rows={} households={} changes={} "
            "messages={} feedback_timers={}",
            p.list, p.period, p.list_id, p.rows, p.households, p.changes, p.outbox_ids.size(),
            p.timers);
      } else if (p.status == "already_produced") {
        spdlog::info("list.already_produced list={} period={}", p.list, p.period);
      } else {
        spdlog::warn("list.not_configured duty={} (the list is no longer configured: cancelled)",
                     duty.duty_key);
      }
    } catch (const StorageError&) {
      throw;
    } catch (const std::exception& e) {
      // One list's trouble (a folder that cannot be written) must not stop the others.
      spdlog::error("list.failed duty={} error=\"{}\" (tried again at the next look)",
                    duty.duty_key, e.what());
    }
    if (heartbeat_) heartbeat_->beat();
  }
  // The monthly report workbooks (report_production.h), the same way.
  auto reports_due = [now](soci::session& s) {
    DutyFilter filter;
    filter.due_before = now;
    filter.kind = std::string(kDutyReport);
    filter.limit = 1000;
    return list_open_duties(s, filter);
  };
  const std::vector<DutyRecord> reports = co_await storage_.run(std::move(reports_due));
  for (const DutyRecord& duty : reports) {
    auto config = config_();
    auto calendar = calendar_();
    const TimePoint at = clock_.now();
    auto produce = [config, calendar, duty, at](soci::session& s) {
      return produce_monthly_report(s, *config, *calendar, duty, at);
    };
    try {
      ReportProduction p = co_await storage_.run(std::move(produce));
      if (p.status == "produced") {
        produced = true;
        spdlog::info("report.produced schedule={} period={} reports={} file=\"{}\" messages={}",
                     p.schedule, p.period, p.reports, p.file, p.outbox_ids.size());
      } else if (p.status == "already_produced") {
        spdlog::info("report.already_produced schedule={} period={}", p.schedule, p.period);
      } else {
        spdlog::warn(
            "report.not_configured duty={} (the schedule is no longer configured: "
            "cancelled)",
            duty.duty_key);
      }
    } catch (const StorageError&) {
      throw;
    } catch (const std::exception& e) {
      spdlog::error("report.failed duty={} error=\"{}\" (tried again at the next look)",
                    duty.duty_key, e.what());
    }
    if (heartbeat_) heartbeat_->beat();
  }
  if (produced && changed_) changed_();
  co_return timers;
}

awaitable<void> ListRunner::run() {
  for (;;) {
    woken_ = false;
    auto sleep = std::chrono::duration_cast<std::chrono::seconds>(kTick);
    try {
      co_await look_due();
    } catch (const StorageError& e) {
      spdlog::error("list.storage_error error=\"{}\" retry_in_seconds={}", e.what(),
                    kStorageRetry.count());
      sleep = kStorageRetry;
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) co_return;
      throw;
    }
    if (heartbeat_) heartbeat_->beat();
    if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
    if (woken_) continue;
    timer_.expires_after(sleep);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
  }
}

}  // namespace fangfan
