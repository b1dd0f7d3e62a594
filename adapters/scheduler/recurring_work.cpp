// Seeding the recurring county work (timer_firing.h ensure_recurring_timers): load the cases
// that lack a duty, decide (workflows/duty_plan.h), write (duty_writer.h).
#include <algorithm>
#include <string>
#include <vector>

#include "adapters/scheduler/duty_writer.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/scheduler/timer_payload_codec.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/migrations.h"
#include "workflows/case_events.h"
#include "workflows/date.h"
#include "workflows/feeds.h"
#include "workflows/household.h"
#include "workflows/lists.h"
#include "workflows/report_schedule.h"

namespace fangfan {
namespace {

using namespace scheduler_detail;

// The SQL state lists, from the state table (workflows/case_events.h).
std::vector<std::string_view> object_states() {
  return case_state_names([](const CaseStateInfo& s) { return s.monitoring_object; });
}
std::vector<std::string_view> assisted_states() {
  return case_state_names([](const CaseStateInfo& s) { return s.assisted == Assisted::kAlways; });
}
// Emergency cases are assisted while their recognition runs (先帮扶、后认定).
std::vector<std::string_view> assisted_if_emergency_states() {
  return case_state_names(
      [](const CaseStateInfo& s) { return s.assisted == Assisted::kIfEmergency; });
}

}  // namespace

namespace scheduler_detail {

int open_evaluation_year(soci::session& session, const Config& config,
                         const WorkingDayCalendar& calendar, int year, TimePoint now) {
  CalendarResult<EvaluationWindow> w = evaluation_window(year, config.rules.evaluation, calendar);
  if (!w) {
    report_calendar_gap(session, config, w.error(), now);
    return 0;
  }
  int scheduled = 0;
  for (std::int64_t id : cases_lacking_duties(session, object_states(), {}, {}, "")) {
    std::optional<CaseData> data = load_case_data(session, id);
    if (!data) continue;
    scheduled += apply_open_duty(session, plan_evaluation_duty(facts_of(id, *data, config), year,
                                                               *w, now, config.rules.evaluation));
  }
  return scheduled;
}

}  // namespace scheduler_detail

int ensure_recurring_timers(soci::session& session, const Config& config,
                            const WorkingDayCalendar& calendar, TimePoint now) {
  WriteTransaction tx(session);
  const int scheduled = ensure_recurring_timers_in(session, config, calendar, now);
  tx.commit();
  return scheduled;
}

int ensure_recurring_timers_in(soci::session& session, const Config& config,
                               const WorkingDayCalendar& calendar, TimePoint now) {
  int scheduled = 0;

  // Q4 evaluation: the year's opening timer, and tasks for objects registered after it opened.
  EvaluationSeeding evaluation =
      evaluation_years(config.rules.evaluation, calendar, now, kRecurringHorizon);
  for (const CalendarError& gap : evaluation.gaps) report_calendar_gap(session, config, gap, now);
  for (const EvaluationYear& y : evaluation.years) {
    NewTimer t;
    t.kind = kTimerReminder;
    t.step = kDutyEvaluation;
    t.dedupe_key = evaluation_open_key(y.year);
    t.due_at = y.window.opens;
    t.payload = encode_timer_payload(OpenEvaluation{y.year});
    t.created_at = now;
    if (schedule_timer(session, t).inserted) ++scheduled;
    if (y.window.opens > now) continue;
    const std::string suffix = "/" + std::to_string(y.year);
    for (std::int64_t id :
         cases_lacking_duties(session, object_states(), {}, {kDutyEvaluation}, suffix)) {
      std::optional<CaseData> data = load_case_data(session, id);
      if (!data) continue;
      scheduled +=
          apply_open_duty(session, plan_evaluation_duty(facts_of(id, *data, config), y.year,
                                                        y.window, now, config.rules.evaluation));
    }
  }

  // Campaigns: every township's milestones, once the campaign is within the horizon and until
  // its last milestone is over.
  std::vector<std::string> townships;
  for (const Township& t : config.townships) townships.push_back(t.code);
  // A yearly campaign ([000]'s Q4 screening) is seeded as each year's run.
  const int this_year = int(std::chrono::year_month_day{china_date(now)}.year());
  for (const Campaign& c : campaigns_around(config.rules.campaigns, this_year)) {
    CampaignSeeding seeding = plan_campaign_duties(c, townships, calendar, now, kRecurringHorizon);
    for (const CalendarError& gap : seeding.gaps) {
      // A run whose ladder reaches into next year (the Q4 screening due 12-31) waits for next
      // year's calendar; the daemon's calendar watch asks the county admin for it from November
      // (calendar_coverage.h), when it is published. Told here it would come from August, twice.
      if (gap.missing_year > this_year) continue;
      report_calendar_gap(session, config, gap, now);
    }
    for (const OpenDuty& open : seeding.duties) {
      if (find_duty(session, open.duty.duty_key)) continue;  // seeded before (any state)
      scheduled += apply_open_duty(session, open);
    }
  }

  // Department feeds: a timer per period within the horizon, and the latest period at or before
  // now (a run missed while the daemon was down fires late, once: the key is the period's) —
  // unless that was before this database kept feeds at all: a county that starts using fangfan
  // on the 20th is not told on its first day that the 5th's data is missing.
  std::vector<FeedOccurrence> feeds = feed_occurrences(config.rules, now, now + kRecurringHorizon);
  const std::optional<TimePoint> feeds_since = migration_applied_at(session, kFeedsMigrationName);
  for (const Schedule& s : config.rules.schedules) {
    auto latest = latest_feed_occurrence(config.rules, s, now);
    if (latest && (!feeds_since || latest->at >= *feeds_since)) feeds.push_back(*latest);
  }
  for (const FeedOccurrence& o : feeds) {
    NewTimer t;
    t.kind = kTimerDue;
    t.step = kDutyFeed;
    t.dedupe_key = feed_due_key(o.feed, o.period);
    t.due_at = o.at;
    t.payload = encode_timer_payload(FeedDue{o.feed, o.period});
    t.created_at = now;
    if (schedule_timer(session, t).inserted) ++scheduled;
  }

  // Department lists: the same, per day of each list schedule (a list missed while the daemon
  // was down is produced once on start, for its period).
  std::vector<ListOccurrence> lists = list_occurrences(config.rules, now, now + kRecurringHorizon);
  const std::optional<TimePoint> lists_since = migration_applied_at(session, kListsMigrationName);
  for (const Schedule& s : config.rules.schedules) {
    auto latest = latest_list_occurrence(config.rules, s, now);
    if (latest && (!lists_since || latest->at >= *lists_since)) lists.push_back(*latest);
  }
  for (const ListOccurrence& o : lists) {
    NewTimer t;
    t.kind = kTimerDue;
    t.step = kDutyList;
    t.dedupe_key = list_due_key(o.list, o.period);
    t.due_at = o.at;
    t.payload = encode_timer_payload(ListDue{o.list, o.period});
    t.created_at = now;
    if (schedule_timer(session, t).inserted) ++scheduled;
  }

  // The monthly report workbook: the same, per day of each report schedule (the month reported
  // is the period; a workbook missed while the daemon was down is produced once on start).
  std::vector<ReportOccurrence> reports =
      report_occurrences(config.rules, now, now + kRecurringHorizon);
  const std::optional<TimePoint> reports_since =
      migration_applied_at(session, kReportsMigrationName);
  for (const Schedule& s : config.rules.schedules) {
    auto latest = latest_report_occurrence(config.rules, s, now);
    if (latest && (!reports_since || latest->at >= *reports_since)) reports.push_back(*latest);
  }
  for (const ReportOccurrence& o : reports) {
    NewTimer t;
    t.kind = kTimerDue;
    t.step = kDutyReport;
    t.dedupe_key = report_due_key(o.schedule, o.period);
    t.due_at = o.at;
    t.payload = encode_timer_payload(ReportDue{o.schedule, o.period});
    t.created_at = now;
    if (schedule_timer(session, t).inserted) ++scheduled;
  }

  // Monthly visits and monitoring of assisted cases that have no duty for this month.
  const std::chrono::year_month month = month_of(china_date(now));
  for (std::int64_t id :
       cases_lacking_duties(session, assisted_states(), assisted_if_emergency_states(),
                            {kDutyVisits, kDutyMonitoring}, "/" + format_month(month))) {
    std::optional<CaseData> data;
    for (const char* kind : {kDutyVisits, kDutyMonitoring}) {
      // Loaded for each kind: the first may have opened or closed duties.
      const std::vector<DutyRecord> duties = case_duties(session, id);
      const std::string key = month_duty_key(kind, id, month);
      if (std::any_of(duties.begin(), duties.end(),
                      [&](const DutyRecord& d) { return d.duty_key == key; })) {
        continue;  // this month's duty exists (a cancelled one stays cancelled)
      }
      if (!data) data = load_case_data(session, id);
      if (!data) break;
      const DutyPlan plan = plan_month_duty(facts_of(id, *data, config), *data, kind, month, now,
                                            duties, config.rules, calendar);
      scheduled += apply_duty_plan(session, config, plan, id, now);
    }
  }
  return scheduled;
}

}  // namespace fangfan
