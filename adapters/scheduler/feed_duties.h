// The duties of department feeds and alerts in storage (decide, then write: the decisions are
// workflows/feeds.h's; this applies them in the caller's transaction, like duty_writer.h).
//   feed/<feed>/<period>  opened by the FeedDue timer (timer_firing.cpp) without timers; while
//                         open the period's data is looked for (daemon/tasks/feed_runner.h).
//                         start_feed_ladder() gives it its ladder the first time the data is
//                         missing; close_feed_duty() closes it when a run takes the data.
//   feedback/<list>/<period>  a department's answer to the list of that day (opened when the
//                         list is sent, with its own reminder and ladder); while open the list's
//                         feedback feed is looked for (never a ladder of the look's own);
//                         close_feedback_duty() closes it when a run takes the answer.
//   alert/<alert id>      the township's verification of an alert (预警核实), opened with its
//                         reminder and ladder when the alert is raised; done when a case is
//                         opened from the alert or it is dismissed (close_alert_duty).
// Errors: StorageError. Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/storage/alert_store.h"
#include "workflows/calendar.h"
#include "workflows/duties.h"

namespace fangfan {

// Open feed duties due at or before `now`, oldest due first.
std::vector<DutyRecord> open_feed_duties(soci::session& session, TimePoint now);

std::optional<DutyRecord> find_feed_duty(soci::session& session, std::string_view feed,
                                         std::string_view period);

// The ladder of open feed duty `duty_id` (plan_feed_missing), once: replaying schedules nothing
// twice. Returns how many timers it scheduled; 0 when the duty is not open or its feed is gone.
// A calendar gap is told to the county admins (the ladder then waits for the calendar).
int start_feed_ladder(soci::session& session, const Config& config,
                      const WorkingDayCalendar& calendar, std::int64_t duty_id, TimePoint now);

// The period's feed duty done (its pending timers cancelled); false when none was open.
bool close_feed_duty(soci::session& session, std::string_view feed, std::string_view period,
                     TimePoint now);

// Open feedback duties (kind "feedback"), whatever their due time: an answer is looked for from
// the day the list is sent. Oldest due first.
std::vector<DutyRecord> open_feedback_duties(soci::session& session);

// The list's feedback duty done (its pending timers cancelled); false when none was open.
bool close_feedback_duty(soci::session& session, std::string_view list, std::string_view period,
                         TimePoint now);

// The verification duty of a new alert with its timers, and the township's first notice
// (alert_new to the owner role of the alert's place). Returns how many timers it scheduled.
int open_alert_duty(soci::session& session, const Config& config,
                    const WorkingDayCalendar& calendar, std::int64_t alert_id,
                    const NewAlertRecord& alert, const std::string& summary, TimePoint now);

// The alert's verification duty done; false when none was open.
bool close_alert_duty(soci::session& session, std::int64_t alert_id, TimePoint now);

}  // namespace fangfan
