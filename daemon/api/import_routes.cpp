// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/api/import_routes.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <memory>
#include <string>

#include "adapters/import/importer.h"
#include "daemon/api/auth.h"
#include "daemon/api/case_access.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

constexpr std::size_t kMaxBadRowsInAnswer = 1000;
// Rows an import does in one transaction before other work may run (importer.h: measured there).
constexpr std::size_t kRowsPerStep = ImportJob::kRowsPerStep;

std::string run_path(std::int64_t id) { return "/api/v1/imports/" + std::to_string(id); }

json::object run_to_json(const ImportRunRecord& run) {
  json::object o;
  o["id"] = run.id;
  o["file_name"] = run.file_name;
  o["kind"] = run.kind;
  o["format"] = run.format;
  o["sha256"] = run.sha256;
  o["actor"] = run.actor;
  o["scope"] = run.scope;
  o["started_at"] = format_time(run.started_at);
  o["finished_at"] = run.finished_at ? json::value(format_time(*run.finished_at)) : nullptr;
  o["rows_total"] = run.rows_total;
  o["applied"] = run.rows_applied;
  o["duplicate"] = run.rows_duplicate;
  o["bad"] = run.rows_bad;
  o["bad_rows_csv"] = run_path(run.id) + "/bad-rows.csv";
  return o;
}

// The run with its bad rows (the first kMaxBadRowsInAnswer; the CSV has them all).
json::object answer(const ImportRunRecord& run, const std::vector<ImportRowRecord>& rows) {
  json::array bad;
  for (const auto& r : rows) {
    if (r.status != "bad") continue;
    if (bad.size() >= kMaxBadRowsInAnswer) break;
    bad.push_back({{"line", r.line}, {"field", r.field}, {"reason", r.reason}});
  }
  json::object o;
  o["import"] = run_to_json(run);
  // Never cut without saying so: how many bad rows the list leaves out (the CSV has them all).
  const std::int64_t listed = static_cast<std::int64_t>(bad.size());
  o["bad_rows"] = std::move(bad);
  o["bad_rows_not_listed"] = std::max<std::int64_t>(0, run.rows_bad - listed);
  return o;
}

ImportKind kind_param(const ApiRequest& req) {
  const auto text = req.query_param("kind");
  if (!text || text->empty()) {
    throw ApiError::bad_request("kind",
                                "缺少参数 kind，应为 visits（走访记录）或 cases（监测对象名单） "
                                "(the query parameter kind is missing: visits or cases)");
  }
  auto kind = parse_import_kind(*text);
  if (!kind) {
    throw ApiError::bad_request("kind", "kind“" + *text +
                                            "”无效，应为 visits 或 cases (kind must be visits "
                                            "or cases)");
  }
  return *kind;
}

// A 403 unless the caller may write the rows of `kind` (case_access.h: record_visit, open_case).
void require_import_role(const ApiRequest& req, ImportKind kind) {
  const CaseEvent probe =
      kind == ImportKind::kVisits ? CaseEvent(RecordVisit{}) : CaseEvent(OpenCase{});
  if (auto refusal = check_event_role(req.actor().role, probe)) throw ApiError::forbidden(*refusal);
}

awaitable<ApiResponse> post_import(ApiServices& services, ApiRequest& req) {
  const ImportKind kind = kind_param(req);
  require_import_role(req, kind);
  if (req.body.empty()) {
    throw ApiError::bad_request("file",
                                "请求体为空：请把文件本身作为请求体发送 (the body is "
                                "empty: send the file itself as the body)");
  }
  auto request = std::make_shared<ImportRequest>();
  request->kind = kind;
  request->file_name = req.query_param("name").value_or("");
  if (request->file_name.empty()) request->file_name = "upload";
  request->bytes = std::move(req.body);
  request->actor = req.actor().holder;
  request->scope = req.actor().scope;
  request->keep_all_rows = false;  // the answer lists the first bad rows only
  request->max_bad_rows_kept = kMaxBadRowsInAnswer;
  std::shared_ptr<const Config> config = req.config;
  request->covers = [config, scope = request->scope](std::string_view village) {
    return scope_covers(*config, scope, village);
  };
  // Begun on the loop thread: the configuration and deadline hook in force now.
  // Shared with each step's task, with the request and the configuration: a task outlives
  // nothing it reads.
  auto cases = std::make_shared<const CaseUnitOfWork>(services.cases.begin(*config));
  // The first pass and the run's record, then the rows in steps of kRowsPerStep, each its own
  // storage task: other work (timers, other requests) runs between the steps. The steps queue
  // on the writing thread with the API's write groups (one transaction each, importer.h): a
  // waiting API write waits for one step, in turn, instead of polling SQLite's write lock
  // against back-to-back steps from another thread, and the writer's page cache stays valid.
  // (Each task is a named lambda, as GCC 12 mishandles temporaries inside co_await
  // expressions.)
  auto start = [config, cases, request](soci::session& s) {
    return ImportJob::start(s, *cases, *request);
  };
  auto started = co_await services.storage.run(std::move(start));
  if (auto* error = std::get_if<ImportFileError>(&started)) {
    throw ApiError::bad_request("file", error->message);
  }
  const std::shared_ptr<ImportJob> job = std::move(std::get<std::unique_ptr<ImportJob>>(started));
  auto step = [config, cases, request, job](soci::session& s) {
    return job->step(s, kRowsPerStep);
  };
  bool done = false;
  while (!done) done = co_await services.storage.run_writing(step);
  // Hand the import's freed buffers back to the system: glibc keeps freed heap otherwise, and a
  // large import's peak would stay the daemon's size.
  auto trim = [](soci::session&) { ::malloc_trim(0); };
  co_await services.storage.run(std::move(trim));
  const ImportOutcome& outcome = job->outcome();
  if (outcome.run.rows_applied > 0 && services.outbox_changed) services.outbox_changed();
  if (outcome.run.rows_applied > 0 && services.case_written) services.case_written();
  ApiResponse response =
      ApiResponse::json(answer(outcome.run, outcome.rows), http::status::created);
  response.headers.emplace_back(http::field::location, run_path(outcome.run.id));
  co_return response;
}

struct StoredRun {
  std::optional<ImportRunRecord> run;
  std::vector<ImportRowRecord> bad;
};

awaitable<StoredRun> load_run(ApiServices& services, ApiRequest& req) {
  const std::int64_t id = req.id_param("id");
  auto work = [id](soci::session& s) {
    StoredRun out;
    out.run = load_import_run(s, id);
    if (out.run) out.bad = load_import_rows(s, id, "bad");
    return out;
  };
  StoredRun stored = co_await services.storage.run(std::move(work));
  if (!stored.run) {
    throw ApiError::not_found("没有编号为 " + std::to_string(id) + " 的导入 (no import " +
                              std::to_string(id) + ")");
  }
  require_scope(req, stored.run->scope);
  co_return stored;
}

awaitable<ApiResponse> show_import(ApiServices& services, ApiRequest& req) {
  StoredRun stored = co_await load_run(services, req);
  co_return ApiResponse::json(answer(*stored.run, stored.bad));
}

awaitable<ApiResponse> bad_rows(ApiServices& services, ApiRequest& req) {
  StoredRun stored = co_await load_run(services, req);
  // The rows hold ID numbers in full: only for a role that may import this kind of row.
  if (const auto kind = parse_import_kind(stored.run->kind)) require_import_role(req, *kind);
  ApiResponse response =
      ApiResponse::text(bad_rows_csv(*stored.run, stored.bad), "text/csv; charset=utf-8");
  response.headers.emplace_back(
      http::field::content_disposition,
      "attachment; filename=\"import-" + std::to_string(stored.run->id) + "-bad-rows.csv\"");
  co_return response;
}

}  // namespace

void register_import_routes(Router& router, ApiServices& services) {
  router.add(http::verb::post, "/api/v1/imports",
             [&services](ApiRequest& req) { return post_import(services, req); });
  router.add(http::verb::get, "/api/v1/imports/{id}",
             [&services](ApiRequest& req) { return show_import(services, req); });
  // Only the roles that import read the bad rows (route_access.cpp), and of a kind they import.
  router.add(http::verb::get, "/api/v1/imports/{id}/bad-rows.csv",
             [&services](ApiRequest& req) { return bad_rows(services, req); });
}

}  // namespace fangfan
