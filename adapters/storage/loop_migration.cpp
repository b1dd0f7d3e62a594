// -- the registration duty and the monitoring alert loop (issue 14 items 2 and 6): duties gain
// the kinds "assignment" (an officer and a plan owed once assistance starts) and "alert_step" (a
// step of an alert's [004] loop: township review, county review, department, closure); alerts
// gain `stage`, where an alert on a monitored case stands in that loop ("" for an alert about a
// person the county does not monitor), and `assigned_department`, the department the county
// review gave it to. Conventions: migrations.cpp.
#include <vector>

#include "adapters/storage/migration_sql.h"

namespace fangfan::migration_sql {

Migration registration_and_alert_loop(int version) {
  std::vector<MigrationStep> steps = {
      both("ALTER TABLE alerts ADD COLUMN stage TEXT NOT NULL DEFAULT ''"),
      both("ALTER TABLE alerts ADD COLUMN assigned_department TEXT NOT NULL DEFAULT ''"),
      both("CREATE INDEX alerts_by_stage ON alerts (stage, id)"),
  };
  for (MigrationStep& s :
       duty_kinds_steps("duties_v14",
                        "'step', 'visits', 'monitoring', 'evaluation', 'campaign',"
                        " 'feed', 'alert', 'list', 'feedback', 'report', 'assignment',"
                        " 'alert_step'")) {
    steps.push_back(std::move(s));
  }
  return {version, "registration duty and alert loop", std::move(steps)};
}

}  // namespace fangfan::migration_sql
