#include "adapters/scheduler/deadline_batch.h"

#include <utility>

#include "adapters/scheduler/case_alerts.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/storage/duty_store.h"
#include "workflows/alert_loop.h"
#include "workflows/duty_plan.h"

namespace fangfan::scheduler_detail {

void apply_case_deadlines(soci::session& session, const Config& config,
                          const WorkingDayCalendar& calendar, const CaseChange& change,
                          DutySink* sink) {
  const CaseData& data = change.snapshot.data;
  // The plan reads the case's duties: those held must be there first.
  if (sink != nullptr && sink->holds(change.case_id)) flush_duties(session, *sink);
  // The plan and the closing of duties read 7 of a duty's 13 columns (case_duties_for_plan).
  DutyPlan plan = plan_case_change(
      change.outcome, data, change.history_seq, facts_of(change.case_id, data, config),
      case_duties_for_plan(session, change.case_id), config.rules, calendar);
  if (plan.refusal) throw ScheduleError(plan.refusal->missing_year, plan.refusal->message);
  // An alert opens a duty of its own after the plan's: nothing held when it does.
  const bool alerts = !case_alerts(change.outcome, data, config.rules.feeds.loop).empty();
  if (sink != nullptr && alerts) flush_duties(session, *sink);
  apply_duty_plan(session, config, std::move(plan), change.case_id, change.outcome.entry.at,
                  alerts ? nullptr : sink);
  // A monitoring finding or a major event marks an alert on the case ([004], [003]).
  if (alerts) raise_case_alerts(session, config, calendar, change.case_id, change.outcome, data);
}

}  // namespace fangfan::scheduler_detail
