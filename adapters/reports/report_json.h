// A report table (workflows/reports.h) as the API's JSON answer, and back (fangfanctl prints
// the answer as a table). The shape (docs/api.md, Reports):
//   {"report", "title", "scope",
//    "sections": [{"title", "headers": [text], "rows": [[text or number]],
//                  "chart": null | {"kind": "column"|"bar", "title", "category_column",
//                                   "series_columns": [column]}}],
//    "footer": [sentence]}
// Text cells are JSON strings (codes keep their leading zeros), counts integers, rates numbers
// with one decimal.
// Errors: report_from_json returns nullopt for a value not of this shape.
// Thread-safety: pure functions.
#pragma once

#include <boost/json/value.hpp>
#include <optional>

#include "workflows/reports.h"

namespace fangfan {

boost::json::object report_to_json(const ReportTable& table);
std::optional<ReportTable> report_from_json(const boost::json::value& value);

}  // namespace fangfan
