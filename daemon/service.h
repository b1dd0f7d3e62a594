// The running daemon: one io_context on one thread, coroutines for every
// long-lived task, blocking storage work on a small pool (StorageExecutor).
//
// Lifecycle: run() opens the database, applies migrations, reports READY=1 and
// serves until SIGTERM/SIGINT; then it reports STOPPING=1, cancels its tasks,
// lets in-flight storage transactions finish (bounded by
// [daemon] shutdown_timeout_seconds), closes the database and returns the exit
// status. SIGHUP reloads the configuration file: an invalid file is rejected
// with its errors logged and the old configuration kept.
#pragma once

#include <memory>

#include "adapters/config/config.h"
#include "daemon/options.h"
#include "workflows/calendar.h"
#include "workflows/clock.h"

namespace fangfan {

class Service {
 public:
  // `calendar` was loaded from config->calendar_dir by the caller (which also
  // validates it for --check-config); SIGHUP reloads both.
  Service(DaemonOptions options, std::shared_ptr<const Config> config,
          std::shared_ptr<const WorkingDayCalendar> calendar, Clock& clock);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Blocks until the daemon stops. Returns the process exit status: 0 after a
  // graceful stop, 1 when start-up failed or a task failed. When in-flight work
  // outlives the shutdown grace period the process exits(1) at once.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fangfan
