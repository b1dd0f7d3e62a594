// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/api/case_routes.h"

#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/scheduler/timer_firing.h"
#include "adapters/storage/case_json.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/database.h"
#include "adapters/storage/token_store.h"
#include "adapters/text/json_text.h"
#include "daemon/api/auth.h"
#include "daemon/api/case_access.h"
#include "daemon/api/event_json.h"
#include "daemon/tasks/storage_executor.h"
#include "daemon/tasks/write_group.h"
#include "workflows/date.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

constexpr int kDefaultLimit = 200;
constexpr int kMaxLimit = 1000;

// The event types POST /cases/{id}/events accepts: every event but open_case (POST /cases).
std::string event_codes() {
  std::string out;
  for (const auto& e : event_schemas()) {
    if (e.name == OpenCase::kName) continue;
    if (!out.empty()) out += ", ";
    out += e.name;
  }
  return out;
}

// The server's part of an event's meta; decode_event reads the reason from the body.
EventMeta meta_of(const ApiServices& services, const ApiRequest& req) {
  EventMeta meta;
  meta.actor = req.actor().holder;
  meta.at = services.clock.now();
  return meta;
}

// Masks ID numbers and phones in an encoded household, in place.
void mask_household(json::value& household) {
  auto* h = household.if_object();
  if (h == nullptr) return;
  if (auto* phone = h->if_contains("phone"); phone && phone->is_string()) {
    *phone = mask_phone(std::string(phone->get_string()));
  }
  if (auto* members = h->if_contains("members"); members && members->is_array()) {
    for (auto& m : members->get_array()) {
      if (auto* id = m.is_object() ? m.get_object().if_contains("id_number") : nullptr;
          id && id->is_string()) {
        *id = mask_id_number(std::string(id->get_string()));
      }
    }
  }
}

std::string state_label(const std::string& state) {
  const CaseStateInfo* info = find_case_state(state);
  return info ? std::string(info->label) : state;
}

// One history entry as docs/api.md shows it: the version the event produced (what a client
// compares with `expected_version`), the event with its label, the states it moved between.
json::object history_to_json(const HistoryEntry& h) {
  const EventSchema* event = find_event_schema(h.event);
  json::object o;
  o["version"] = h.version;
  o["event"] = h.event;
  o["label"] = event ? std::string(event->label) : h.event;
  o["from_state"] = h.before;
  o["from_label"] = state_label(h.before);
  o["to_state"] = h.after;
  o["to_label"] = state_label(h.after);
  o["actor"] = h.actor;
  o["at"] = case_json::encode_time(h.at);
  o["reason"] = h.reason;
  o["details"] = case_json::encode_details(h.details);
  return o;
}

// A refusal's stable code. Until every refusal carries one (the machine fills Refusal::code), a
// state that never accepts the event is "not_in_this_state" and a failed condition
// "condition_not_met".
std::string refusal_code(const Refusal& r) {
  if (!r.code.empty()) return r.code;
  return r.reason.empty() ? "not_in_this_state" : "condition_not_met";
}

// 409 {"error":"refused","reason":CODE,"field":PATH (when it concerns one),"message":SENTENCE,
// "event":NAME,"state":STATE}.
void throw_refused(const Refusal& r) {
  ApiError e = ApiError::refused(refusal_code(r), r.message, r.field);
  e.details()["event"] = r.event;
  e.details()["state"] = r.state;
  throw e;
}

std::string not_found_message(std::int64_t id) {
  const std::string n = std::to_string(id);
  return "没有编号为 " + n + " 的案件 (no case " + n + ")";
}

// Runs a case write in the next group of case writes (write_group.h): `work` runs inside the
// group's transaction (CaseUnitOfWork's *_in calls), in its own savepoint, kept when `keep` says
// so (an accepted change), rolled back alone otherwise; the answer comes after the group's
// commit, and after the group woke the scheduler and the dispatcher (HttpApi wires the group's
// after-commit call to services.case_written). The change hook's refusal for want of a calendar
// year (this write rolled back) is a 422 with the calendar's sentence, not a 500.
template <class Work, class Keep>
awaitable<std::invoke_result_t<Work&, soci::session&>> run_case_write(ApiServices& services,
                                                                      Work work, Keep keep) {
  try {
    auto result = co_await services.case_writes.run(std::move(work), std::move(keep));
    co_return result;
  } catch (const ScheduleError& e) {
    throw ApiError(http::status::unprocessable_entity, "calendar_missing", e.what());
  }
}

// -- POST /api/v1/cases -------------------------------------------------------------------------

awaitable<ApiResponse> open_case(ApiServices& services, ApiRequest& req) {
  // Authorization first (case_access.h): a forbidden caller is a 403 whatever the body holds.
  if (auto refusal = check_event_role(req.actor().role, CaseEvent(OpenCase{}))) {
    throw ApiError::forbidden(*refusal);
  }
  const JsonFields body = req.json();
  const EventSchema& schema = *find_event_schema(OpenCase::kName);
  reject_unknown_fields(body, schema, {"reason"});
  OpenCase event = std::get<OpenCase>(decode_event(body, schema, meta_of(services, req)));
  if (event.household.village_code.empty()) {
    throw ApiError::bad_request("household.village_code",
                                "缺少字段 household.village_code (the field "
                                "household.village_code is missing)");
  }
  require_scope(req, event.household.village_code);  // before anything is written

  std::shared_ptr<const Config> config = req.config;
  CaseUnitOfWork cases = services.cases.begin(*config);  // on the loop thread
  auto work = [config, cases, event = std::move(event)](soci::session& s) mutable {
    return cases.open_case_in(s, std::move(event));
  };
  auto keep = [](const OpenResult& r) { return std::holds_alternative<CaseChange>(r); };
  OpenResult result = co_await run_case_write(services, std::move(work), keep);
  if (const auto* refusal = std::get_if<Refusal>(&result)) throw_refused(*refusal);
  CaseChange& change = std::get<CaseChange>(result);
  spdlog::info("case.opened id={} by=\"{}\"", change.case_id, req.actor().holder);
  co_return ApiResponse::json_text(written_case_answer(change, false), http::status::created);
}

// -- POST /api/v1/cases/{id}/events -------------------------------------------------------------

struct ApplyAttempt {
  bool caller_revoked = false;  // the remembered caller's token is revoked: nothing was applied
  std::string village;          // the stored household's village, when the case was found
  bool in_scope = false;
  ApplyResult result;
};

awaitable<ApiResponse> post_event(ApiServices& services, ApiRequest& req) {
  const std::int64_t id = req.id_param("id");
  const JsonFields body = req.json();
  const std::string type = body.string("type");
  const EventSchema* found = find_event_schema(type);
  if (found == nullptr || found->name == OpenCase::kName) {
    throw ApiError::bad_request("type", "type“" + type + "”不是已知的事件类型，可选：" +
                                            event_codes() +
                                            " (type must be one of: " + event_codes() + ")");
  }
  // Authorization first: a role that may post no event of this type is a 403 before the body is
  // read; record_approval's level is checked below.
  if (auto refusal = check_event_type_role(req.actor().role, type)) {
    throw ApiError::forbidden(*refusal);
  }
  reject_unknown_fields(body, *found, {"type", "expected_version", "reason"});
  const std::optional<std::int64_t> expected = body.optional_integer("expected_version");
  CaseEvent event = decode_event(body, *found, meta_of(services, req));
  // The role rule needs only the body (case_access.h): refuse before touching anything.
  if (auto refusal = check_event_role(req.actor().role, event)) throw ApiError::forbidden(*refusal);

  std::shared_ptr<const Config> config = req.config;
  const std::string scope = req.actor().scope;
  // A caller from the request handler's memory (auth.h) is confirmed first, inside the write's
  // transaction: a revoked token writes nothing, whatever else the request would get.
  const std::int64_t confirm_token = req.caller_unconfirmed ? req.actor().token_id : 0;
  // The scope is checked on the stored household, in the same unit of work as the apply, so a
  // request outside the scope touches nothing.
  CaseUnitOfWork cases = services.cases.begin(*config);  // on the loop thread
  auto work = [config, scope, confirm_token, id, expected, cases,
               event = std::move(event)](soci::session& s) {
    ApplyAttempt out;
    if (confirm_token != 0 && !api_token_in_force(s, confirm_token)) {
      out.caller_revoked = true;
      return out;
    }
    // The scope is checked on the stored household's village, on the apply's one read of the
    // case row, so that a request outside the scope touches nothing.
    const PlaceCheck in_scope = [&](const std::optional<std::string>& village) {
      out.village = village.value_or("");
      out.in_scope = village && scope_covers(*config, scope, *village);
      return out.in_scope;
    };
    out.result = cases.apply_in(s, id, event, expected, {}, in_scope);
    return out;
  };
  auto keep = [](const ApplyAttempt& a) {
    return !a.caller_revoked && std::holds_alternative<CaseChange>(a.result);
  };
  ApplyAttempt attempt = co_await run_case_write(services, std::move(work), keep);
  // The request handler gives a revoked token its 401 (it checks at the database again).
  if (attempt.caller_revoked) {
    throw ApiError::unauthorized("API 令牌已被吊销 (the API token has been revoked)");
  }
  // Confirmed in the write's transaction (or looked up at the database for this request).
  req.caller_unconfirmed = false;
  if (std::holds_alternative<CaseNotFound>(attempt.result)) {
    throw ApiError::not_found(not_found_message(id));
  }
  if (!attempt.in_scope) {
    require_scope(req, attempt.village);  // throws the standard 403
    throw ApiError::forbidden("案件 " + std::to_string(id) + " 不在你的令牌范围内 (case " +
                              std::to_string(id) + " is outside your token's scope)");
  }
  ApplyResult& result = attempt.result;
  if (const auto* refusal = std::get_if<Refusal>(&result)) throw_refused(*refusal);
  if (const auto* stale = std::get_if<StaleVersion>(&result)) {
    throw ApiError::stale_version(stale->expected_version, stale->current_version);
  }
  CaseChange& change = std::get<CaseChange>(result);
  spdlog::info("case.event id={} type={} version={} by=\"{}\"", id, type, change.snapshot.version,
               req.actor().holder);
  co_return ApiResponse::json_text(written_case_answer(change, true), http::status::ok);
}

// -- GET /api/v1/cases/{id} ---------------------------------------------------------------------

awaitable<ApiResponse> show_case(ApiServices& services, ApiRequest& req) {
  const std::int64_t id = req.id_param("id");
  std::shared_ptr<const Config> config = req.config;
  auto work = [config, id](soci::session& s) { return CaseReader(s, *config).load(id); };
  std::optional<CaseView> view = co_await services.storage.run(std::move(work));
  if (!view) throw ApiError::not_found(not_found_message(id));
  require_scope(req, view->snapshot.data.household.village_code);
  json::object out;
  json::object c = case_to_json(view->id, view->snapshot);
  c["updated_at"] = format_time(view->updated_at);
  out["case"] = std::move(c);
  json::array history;
  for (const auto& h : view->history) history.push_back(history_to_json(h));
  out["history"] = std::move(history);
  co_return ApiResponse::json(out);
}

// -- GET /api/v1/cases --------------------------------------------------------------------------

struct ListFilter {
  std::string state, kind, township, village, officer, scope;
  int limit = kDefaultLimit;
};

// The store's list (case_store.h) with the token's scope: its code as the prefix for the
// query, its exact coverage (auth.h) on each row.
std::vector<ListedCase> cases_in_scope(soci::session& s, const Config& config,
                                       const ListFilter& f) {
  CaseListFilter query{f.state, f.kind, f.township, f.village, f.officer, f.scope};
  std::vector<ListedCase> out;
  list_cases(s, query, [&](ListedCase&& c) {
    if (!scope_covers(config, f.scope, c.village_code)) return true;
    out.push_back(std::move(c));
    return static_cast<int>(out.size()) < f.limit;
  });
  return out;
}

int limit_param(const ApiRequest& req) {
  auto text = req.query_param("limit");
  if (!text) return kDefaultLimit;
  int n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc{} || end != text->data() + text->size() || n < 1 || n > kMaxLimit) {
    throw ApiError::bad_request("limit",
                                "limit 应为 1 到 1000 之间的整数 (limit must be a whole "
                                "number from 1 to 1000)");
  }
  return n;
}

awaitable<ApiResponse> list_route(ApiServices& services, ApiRequest& req) {
  ListFilter f;
  f.state = req.query_param("state").value_or("");
  if (!f.state.empty() && find_case_state(f.state) == nullptr) {
    throw ApiError::bad_request("state", "state“" + f.state + "”不是已知的案件状态 (state " +
                                             f.state + " is not a case state)");
  }
  f.kind = req.query_param("kind").value_or("");
  f.township = req.query_param("township").value_or("");
  f.village = req.query_param("village").value_or("");
  f.officer = req.query_param("officer").value_or("");
  f.limit = limit_param(req);
  f.scope = req.actor().scope;
  std::shared_ptr<const Config> config = req.config;
  auto work = [config, f](soci::session& s) { return cases_in_scope(s, *config, f); };
  std::vector<ListedCase> cases = co_await services.storage.run(std::move(work));
  json::array items;
  for (const auto& c : cases) {
    json::object o;
    o["id"] = c.id;
    o["state"] = c.state;
    const CaseStateInfo* info = find_case_state(c.state);
    o["state_label"] = info ? std::string(info->label) : c.state;
    o["kind"] = c.kind;
    o["version"] = c.version;
    o["household_code"] = c.household_code;
    o["village_code"] = c.village_code;
    o["township_code"] = c.township_code;
    o["officer"] = c.officer;
    o["emergency"] = c.emergency;
    items.push_back(std::move(o));
  }
  json::object body;
  body["count"] = items.size();
  body["cases"] = std::move(items);
  co_return ApiResponse::json(body);
}

}  // namespace

json::object case_to_json(std::int64_t id, const CaseSnapshot& snapshot) {
  json::object o;
  o["id"] = id;
  o["state"] = snapshot.state;
  o["state_label"] = state_label(snapshot.state);
  o["version"] = snapshot.version;
  json::value data = case_json::encode(snapshot.data);
  if (auto* d = data.if_object()) {
    if (auto* h = d->if_contains("household")) mask_household(*h);
  }
  o["data"] = std::move(data);
  return o;
}

std::string written_case_answer(const CaseChange& change, bool with_new_case_id) {
  // The members in case_to_json's order; only the household is encoded again, to be masked.
  const std::string& data = change.data_text;
  const TextSpan household = change.household_text;
  json::value masked = case_json::encode(change.snapshot.data.household);
  mask_household(masked);
  std::string out;
  out.reserve(data.size() + 256);
  out += R"({"case":{"id":)";
  out += std::to_string(change.case_id);
  out += R"(,"state":)";
  append_json_string(out, change.snapshot.state);
  out += R"(,"state_label":)";
  append_json_string(out, state_label(change.snapshot.state));
  out += R"(,"version":)";
  out += std::to_string(change.snapshot.version);
  out += R"(,"data":)";
  out.append(data, 0, household.begin);
  out += json::serialize(masked);
  out.append(data, household.end);
  out += R"(},"history_seq":)";
  out += std::to_string(change.history_seq);
  if (with_new_case_id) {
    out += R"(,"new_case_id":)";
    out += change.new_case_id ? std::to_string(*change.new_case_id) : std::string("null");
  }
  out += '}';
  return out;
}

void register_case_routes(Router& router, ApiServices& services) {
  router.add(http::verb::post, "/api/v1/cases",
             [&services](ApiRequest& req) { return open_case(services, req); });
  router.add(http::verb::post, "/api/v1/cases/{id}/events",
             [&services](ApiRequest& req) { return post_event(services, req); });
  // The hot write: its callers may come from memory, confirmed in the write (auth.h).
  router.confirm_callers_in_write(http::verb::post, "/api/v1/cases/{id}/events");
  router.add(http::verb::get, "/api/v1/cases/{id}",
             [&services](ApiRequest& req) { return show_case(services, req); });
  router.add(http::verb::get, "/api/v1/cases",
             [&services](ApiRequest& req) { return list_route(services, req); });
}

}  // namespace fangfan
