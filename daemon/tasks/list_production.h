// Producing one department list for one period (行业部门名单), the list runner's work on a storage
// thread (daemon/tasks/list_runner.h): load, decide (workflows/lists.h), write the files
// (adapters/lists/list_files.h), then record and queue everything in ONE transaction:
//   - the department_lists row and its rows (adapters/storage/list_store.h);
//   - one outbox message per delivery target and file (message_type "department_list"): channel
//     list_folder (recipient the drop folder), wechat_robot (the group), wechat_app (each
//     department clerk's wechat id, person = the clerk), list_http (the list's name); body the
//     params list, department, department_name, period, households, rows, answer_by and the
//     attachment_* of the file; dedupe key "list:<list>:<period>:<channel>:<recipient>:<file>";
//   - with encrypt, the zip's password to each department clerk by their first channel
//     ("list_password", dedupe "list_password:<list>:<period>:<name@scope>");
//   - the feedback duty (workflows/lists.h plan_feedback_duty) with its timers;
//   - the list duty closed done.
// Files: <[storage] files>/lists/<list>/<period>/<department name>-<period>.xlsx (+ .csv with
// csv = true; encrypt = true sends one .zip holding them instead), written atomically. A crash
// before the commit leaves the duty open: the list is produced again, its files overwritten.
// A list already recorded for (list, period) is never produced twice: the duty is just closed.
// A list no longer configured: its duty is cancelled.
// Errors: StorageError from storage; ListFileError when a file cannot be written (the duty stays
// open and is tried again). Thread-safety: one session per thread, like every storage function.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "workflows/calendar.h"
#include "workflows/clock.h"
#include "workflows/duties.h"

namespace fangfan {

struct ListProduction {
  std::string list, period;
  std::string status;  // "produced", "already_produced", "not_configured"
  std::int64_t list_id = 0;
  int rows = 0, households = 0, changes = 0;
  std::vector<std::string> files;  // absolute paths written
  std::vector<std::int64_t> outbox_ids;
  int timers = 0;  // of the feedback duty
};

// Produces the list of open list duty `duty` (kind "list", subject "<list>/<period>") at `now`.
ListProduction produce_department_list(soci::session& session, const Config& config,
                                       const WorkingDayCalendar& calendar, const DutyRecord& duty,
                                       TimePoint now);

// "<list>/<period>" of a list duty's subject.
std::pair<std::string, std::string> list_duty_subject(const std::string& subject);

}  // namespace fangfan
