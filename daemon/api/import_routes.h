// Bulk imports over HTTP (adapters/import/importer.h does the work).
//
//   POST /api/v1/imports?kind=visits|cases&name=FILE_NAME
//        The body is the file itself: CSV (UTF-8, UTF-8 with BOM, or GBK) or XLSX, told apart
//        by content, so any Content-Type will do (text/csv, application/vnd.openxmlformats-
//        officedocument.spreadsheetml.sheet, application/octet-stream). Bodies up to 32 MiB
//        (ApiLimits::larger_bodies). Every row is checked against the token's scope and role
//        (record_visit / open_case rights, case_access.h) and applied with the token's holder
//        as actor.
//        201 {"import": {id, file_name, kind, format, sha256, actor, scope, started_at,
//             finished_at, rows_total, applied, duplicate, bad, bad_rows_csv},
//             "bad_rows": [{line, field, reason}]}
//        400 field "kind" (missing or unknown), "file" (empty, unreadable, a required column
//        missing: nothing is stored); 403 the role may not write this kind of row.
//   GET  /api/v1/imports/{id}                 200 the same body; 403 when the run was made under
//                                             a scope the token does not cover; 404 unknown.
//   GET  /api/v1/imports/{id}/bad-rows.csv    200 text/csv: the bad rows with the file's own
//                                             columns plus 错误列 and 错误原因, UTF-8 with BOM
//                                             (Excel opens it). ID numbers and phones are
//                                             unmasked, for correction: only county_admin,
//                                             county_office, township_clerk and village_officer
//                                             tokens whose scope covers the run get it (403
//                                             otherwise). The JSON answers hold no cell values.
//
// The import runs on a storage thread (the file is parsed there too): the loop never blocks.
#pragma once

#include <functional>

#include "adapters/storage/case_repository.h"
#include "daemon/api/api_context.h"
#include "daemon/api/router.h"

namespace fangfan {

// Imports apply cases as the case routes do: one unit of work of services.cases per import.
void register_import_routes(Router& router, ApiServices& services);

}  // namespace fangfan
