#include "adapters/scheduler/feed_duties.h"

#include "adapters/scheduler/duty_writer.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/row_fetch.h"
#include "workflows/date.h"
#include "workflows/feeds.h"
#include "workflows/lists.h"

namespace fangfan {
using namespace scheduler_detail;

std::vector<DutyRecord> open_feed_duties(soci::session& session, TimePoint now) {
  std::vector<DutyRecord> out;
  DutyFilter filter;
  filter.due_before = now;
  filter.kind = std::string(kDutyFeed);
  filter.limit = 1000;
  for (DutyRecord& d : list_open_duties(session, filter)) out.push_back(std::move(d));
  return out;
}

std::optional<DutyRecord> find_feed_duty(soci::session& session, std::string_view feed,
                                         std::string_view period) {
  return find_duty(session, feed_duty_key(feed, period));
}

int start_feed_ladder(soci::session& session, const Config& config,
                      const WorkingDayCalendar& calendar, std::int64_t duty_id, TimePoint now) {
  std::optional<DutyRecord> duty = load_duty(session, duty_id);
  if (!duty || duty->state != DutyState::kOpen || duty->kind != kDutyFeed) return 0;
  const std::string feed = duty->subject.substr(0, duty->subject.rfind('/'));
  const FeedSource* source = config.rules.feeds.find(feed);
  if (source == nullptr) return 0;
  auto planned = plan_feed_missing(*duty, *source, calendar);
  if (!planned) {
    report_calendar_gap(session, config, planned.error(), now);
    return 0;
  }
  return schedule_duty_timers(session, *duty, planned.value());
}

bool close_feed_duty(soci::session& session, std::string_view feed, std::string_view period,
                     TimePoint now) {
  std::optional<DutyRecord> duty = find_duty(session, feed_duty_key(feed, period));
  if (!duty || duty->state != DutyState::kOpen) return false;
  close_duty(session, duty->id, now);
  cancel_duty_timers(session, *duty);
  return true;
}

std::vector<DutyRecord> open_feedback_duties(soci::session& session) {
  DutyFilter filter;
  filter.kind = std::string(kDutyFeedback);
  filter.limit = 1000;
  return list_open_duties(session, filter);
}

bool close_feedback_duty(soci::session& session, std::string_view list, std::string_view period,
                         TimePoint now) {
  std::optional<DutyRecord> duty = find_duty(session, feedback_duty_key(list, period));
  if (!duty || duty->state != DutyState::kOpen) return false;
  close_duty(session, duty->id, now);
  cancel_duty_timers(session, *duty);
  return true;
}

int open_alert_duty(soci::session& session, const Config& config,
                    const WorkingDayCalendar& calendar, std::int64_t alert_id,
                    const NewAlertRecord& alert, const std::string& summary, TimePoint now) {
  auto planned = plan_alert_duty(alert_id, alert.township_code, alert.village_code, now,
                                 config.rules.feeds.alerts, calendar);
  if (!planned) {
    report_calendar_gap(session, config, planned.error(), now);
    return 0;
  }
  const int scheduled = apply_open_duty(session, planned.value());
  // The township learns of the alert now, not at the reminder.
  DutyMessage m;
  m.message_type = "alert_new";
  // An alert no village places is the county office's to sort out.
  const bool placed = alert.township_code != config.county.code;
  m.roles = {placed ? config.rules.feeds.alerts.owner_role : std::string("county_office")};
  m.township = placed ? alert.township_code : "";
  m.village = alert.village_code;
  m.scope = std::to_string(alert_id);
  m.subject = alert.rule;
  m.rung = "new";
  m.params = {{"alert_id", std::to_string(alert_id)},
              {"department", alert.department},
              {"rule_label", alert.rule_label},
              {"summary", summary},
              {"township", alert.township_code},
              {"township_name", place_name(config, alert.township_code)},
              // The last day, as the alert's reminder and overdue notices say (deadlines.h).
              {"due_date", planned.value().timers.empty()
                               ? format_date(china_date(planned.value().duty.due_at))
                               : planned.value().timers.front().notice.due_date}};
  bool nobody = false;
  queue_duty_message(session, config, m, now, nobody);
  return scheduled;
}

bool close_alert_duty(soci::session& session, std::int64_t alert_id, TimePoint now) {
  std::optional<DutyRecord> duty = find_duty(session, alert_duty_key(alert_id));
  if (!duty || duty->state != DutyState::kOpen) return false;
  close_duty(session, duty->id, now);
  cancel_duty_timers(session, *duty);
  return true;
}

}  // namespace fangfan
