// The in-process daemon the runner tests share (feed, list and report runners): a real database
// of the test's backend (SQLite in the test's folder, or a scratch database on the throwaway
// PostgreSQL server of tests/support/pg_server.h), the example county's calendar, a storage
// executor, one io_context, the scheduler on a simulated clock, and the runner under test set
// as the scheduler's intake.
//
// A suite derives from RunnerFixture, sets config_ and calls open_storage() then
// start_scheduler(intake) after making its runner. When the PostgreSQL binaries are not installed
// open_storage() skips the test (GTEST_SKIP); the caller returns first when IsSkipped() or
// HasFatalFailure(). restart_storage() is a daemon restart on the same database (a new executor;
// the suite makes its runner and scheduler again). TearDown stops the executor, then releases the
// scheduler, the suite's runner (release_runner()), the executor and the database, in that order.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "adapters/calendar/calendar_files.h"
#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "daemon/tasks/health.h"
#include "daemon/tasks/scheduler.h"
#include "daemon/tasks/storage_executor.h"
#include "tests/daemon/api_test_server.h"
#include "tests/support/pg_server.h"
#include "tests/support/test_database.h"
#include "workflows/date.h"

namespace fangfan::test {

class RunnerFixture : public ::testing::Test {
 protected:
  explicit RunnerFixture(const char* start) : clock_(*parse_time(start)) {}

  // The database of `backend` for config_, migrated at the clock's time, its calendar and a
  // storage executor of two threads.
  void open_storage(Backend backend) {
    std::string url = config_->storage_url;
    if (backend == Backend::kPostgresql) {
      const PgTestServer& pg = pg_test_server();
      if (pg.status == PgTestServer::Status::kAbsent) GTEST_SKIP() << pg.reason;
      ASSERT_EQ(pg.status, PgTestServer::Status::kReady) << pg.reason;
      scratch_.emplace(pg);
      url = scratch_->url();
    }
    db_ = std::make_shared<Database>(Database::open(url));
    migrate(*db_, clock_.now());
    auto loaded = load_calendar_dir(config_->calendar_dir);
    ASSERT_TRUE(loaded.calendar);
    calendar_ = std::make_shared<const WorkingDayCalendar>(std::move(*loaded.calendar));
    storage_ = std::make_unique<StorageExecutor>(db_, 2);
  }

  // The scheduler of this daemon run on the simulated clock, with `intake` looked at each stop.
  template <class Intake>
  void start_scheduler(Intake* intake) {
    scheduler_ = std::make_unique<Scheduler>(
        io_.get_executor(), *storage_, clock_, &clock_, [c = config_] { return c; },
        [c = calendar_] { return c; }, [] {}, &heartbeat_);
    scheduler_->set_intake(intake);
  }

  // Stops this run's executor, scheduler and runner and makes a new executor on the same
  // database: the suite then makes its runner and scheduler again (a daemon restart).
  void restart_storage() {
    storage_->join();
    scheduler_.reset();
    release_runner();
    storage_ = std::make_unique<StorageExecutor>(db_, 2);
  }

  // The suite's runner, released after the scheduler and before the executor.
  virtual void release_runner() = 0;

  void TearDown() override {
    if (storage_) storage_->join();
    scheduler_.reset();
    release_runner();
    storage_.reset();
    db_.reset();
    scratch_.reset();
  }

  // Runs `a` on the loop until it finishes.
  template <class T>
  T await(boost::asio::awaitable<T> a) {
    std::future<T> f = boost::asio::co_spawn(io_, std::move(a), boost::asio::use_future);
    io_.restart();
    while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      io_.run_one_for(std::chrono::milliseconds(100));
    }
    return f.get();
  }
  void advance_to(const char* text) { await(scheduler_->advance_to(*parse_time(text))); }

  long long count(const std::string& sql) {
    auto s = db_->open_session();
    long long n = -1;
    *s << sql, soci::into(n);
    return n;
  }

  TempDir dir_;
  std::shared_ptr<const Config> config_;
  SimulatedClock clock_;
  std::optional<ScratchPgDatabase> scratch_;
  std::shared_ptr<Database> db_;
  std::shared_ptr<const WorkingDayCalendar> calendar_;
  std::unique_ptr<StorageExecutor> storage_;
  boost::asio::io_context io_{1};
  Heartbeat heartbeat_{"scheduler", std::chrono::minutes(2), std::chrono::steady_clock::now()};
  std::unique_ptr<Scheduler> scheduler_;
  int changed_ = 0;  // the runner's "changed" calls
};

}  // namespace fangfan::test
