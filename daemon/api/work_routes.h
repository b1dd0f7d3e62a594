// Recurring county work over HTTP (issue 5 item 5): campaign progress (专项行动进度) — which
// township finished which milestone of a configured campaign ([[rules.campaigns]]), which are
// behind — and the progress of the Q4 risk evaluation per township.
//
//   GET  /api/v1/campaigns/{campaign}/progress          any token
//        200 {"campaign": "screening_2023", "label": ..., "now": ...,
//             "milestones": [{"milestone", "label", "township", "township_name", "last_day",
//                             "done_at" | null, "actor", "behind"}],
//             "behind": [{"township", "township_name", "milestones": ["plan", ...]}]}
//        Rows of townships outside the token's scope are left out (a county token sees all);
//        "behind" names the townships with a milestone not done and overdue now, worst first.
//        404 for a campaign the configuration does not have.
//   POST /api/v1/campaigns/{campaign}/milestones/{milestone}/done
//        {"township": "379901001"}   township_clerk of that township, or county_office
//        Records the milestone done (idempotent: a second report keeps the first time), closes
//        its duty and cancels its pending reminders and escalations.
//        200 {"campaign", "milestone", "township", "done_at"}; 403 outside scope; 404 for an
//        unknown campaign, milestone or township.
//   GET  /api/v1/evaluations/{year}/progress           any token
//        The Q4 risk evaluation (第四季度风险评估) of `year`: per township in the token's scope
//        200 {"year", "now", "townships": [{"township", "township_name", "tasks", "done",
//             "open", "overdue", "cancelled"}], "behind": [the townships with overdue tasks]}
#pragma once

#include "daemon/api/api_context.h"
#include "daemon/api/router.h"

namespace fangfan {

// Needs services.calendar (the "behind" column counts working days).
void register_work_routes(Router& router, ApiServices& services);

}  // namespace fangfan
