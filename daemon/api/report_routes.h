// County reports over HTTP (docs/api.md, "Reports"):
//
//   GET /api/v1/reports/{name}                 households | measures | overdue | exchange |
//                                              movements | evaluation
//   GET /api/v1/reports/campaign/{campaign}    a campaign's progress
//   ?format=json|csv|xlsx   json (default): the table (adapters/reports/report_json.h);
//                           csv: UTF-8 with a BOM for Excel; xlsx: a workbook with its charts
//   ?township=CODE          one township (within the token's scope)
//   ?as_of=YYYY-MM-DD       the end of that day (China time); default now (not for households
//                           and measures: they count the cases as stored now)
//   ?from=&to=YYYY-MM-DD    a period, both days included: movements (default the month of
//                           as_of up to as_of), exchange (default every period)
//   ?year=YYYY              evaluation (default the year of as_of)
//
// Scopes: county roles and auditors with the county's scope see the whole county; a township
// token sees its township only (every count, total and chart is of its township); a village
// token is refused (reports count by township). A department clerk scoped to a department sees
// the exchange report of their department only and no other report (they see no household);
// the exchange report is county-wide, so township tokens are refused it.
#pragma once

#include "daemon/api/api_context.h"
#include "daemon/api/router.h"

namespace fangfan {

// Needs services.calendar for the campaign report.
void register_report_routes(Router& router, ApiServices& services);

}  // namespace fangfan
