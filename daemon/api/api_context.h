// What a route handler sees: the request (path parameters, query, body, the
// authenticated token), the response it returns, and the daemon services it may
// use (storage, clock, configuration, metrics, health).
//
// A handler is a coroutine on the daemon's event loop:
//
//   awaitable<ApiResponse> show_case(ApiRequest& req) {
//     const std::int64_t id = req.id_param("id");            // 400 when not a number
//     auto load = [id](soci::session& s) { return load_case(s, id); };
//     auto c = co_await services.storage.run(std::move(load));
//     if (!c) throw ApiError::not_found("...");               // 404
//     require_scope(req, c->village_code);                     // 403, see auth.h
//     co_return ApiResponse::json(to_json(*c));
//   }
//
// Name the storage work before awaiting it, as above: GCC 12 destroys a lambda
// written inside a co_await expression twice (a double free when it captures a
// string or a vector; https://github.com/equeim/tremotesf2/pull/551).
//
// It does no network I/O (the connection does), never blocks the loop (storage
// work goes through StorageExecutor), and reports refusals by throwing or
// returning an ApiError (json_errors.h). Anything else it throws becomes a 500
// (or a 503 for StorageError::Kind::kUnavailable) with the details in the log.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <concepts>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/config/config.h"
#include "daemon/api/json_errors.h"
#include "workflows/clock.h"

namespace soci {
class session;
}

namespace fangfan {

class CaseWriter;
class StorageExecutor;
class WriteGroup;
class MetricsRegistry;
class HealthMonitor;
class WorkingDayCalendar;

// Who is calling: the holder of a valid, unrevoked API token.
struct Principal {
  std::int64_t token_id = 0;
  Role role = Role::kAuditor;
  std::string scope;   // a county, township or village code of the configuration
  std::string holder;  // the token holder's name: the actor recorded on every write
};

struct ApiResponse {
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";
  std::vector<std::pair<boost::beast::http::field, std::string>> headers;

  static ApiResponse json(const boost::json::value& value,
                          boost::beast::http::status status = boost::beast::http::status::ok);
  // The same for an object, serialized where it is: passed to the overload above, an object
  // would first be copied whole into a temporary value (a case answer's data, every visit).
  // A template, so that a braced list still means the value overload.
  template <class Object>
  requires std::same_as<Object, boost::json::object>
  static ApiResponse json(const Object& object,
                          boost::beast::http::status status = boost::beast::http::status::ok) {
    return json_text(boost::json::serialize(object), status);
  }
  static ApiResponse text(std::string body, std::string content_type,
                          boost::beast::http::status status = boost::beast::http::status::ok);
  // A body that is already JSON text (written straight, as serialize() would have: a written
  // case's answer, case_routes.cpp).
  static ApiResponse json_text(std::string body, boost::beast::http::status status);
};

class ApiRequest {
 public:
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string path;                           // decoded, without the query
  std::string route;                          // the matched pattern, e.g. /api/v1/cases/{id}
  std::map<std::string, std::string> params;  // {name} segments of the pattern, decoded
  std::map<std::string, std::string> query;   // decoded; a repeated key is a 400
  std::string body;
  std::optional<Principal> principal;    // set on every route but public ones
  std::shared_ptr<const Config> config;  // the configuration when the request came
  // The caller was taken from the request handler's memory of verified tokens (auth.h) and is
  // not confirmed at the database yet. A handler that confirms it inside its write
  // (token_store.h api_token_in_force) sets this false; otherwise the request handler checks the
  // token at the database before it answers.
  bool caller_unconfirmed = false;

  // The caller. REQUIRES: a route that is not public (the request handler guarantees it).
  const Principal& actor() const;
  // A path parameter. REQUIRES: `name` is in the route's pattern.
  const std::string& param(const std::string& name) const;
  // A path parameter that must be a positive integer id; otherwise a 400 naming it.
  std::int64_t id_param(const std::string& name) const;
  std::optional<std::string> query_param(const std::string& name) const;
  // A whole-number query parameter in [lo, hi]; `fallback` when absent or empty; otherwise a 400
  // naming it and the range.
  std::int64_t int_param(const std::string& name, std::int64_t fallback, std::int64_t lo,
                         std::int64_t hi) const;
  // The body as a JSON object (json_errors.h); a 400 when it is not one.
  JsonFields json() const;
};

// A route's handler (see the top of this file).
using ApiHandler = std::function<boost::asio::awaitable<ApiResponse>(ApiRequest&)>;

// Daemon services handlers capture when they are registered. Owned by the
// daemon; outlives the server.
struct ApiServices {
  StorageExecutor& storage;
  const Clock& clock;
  // The current configuration (SIGHUP may swap it). Called on the loop thread.
  std::function<std::shared_ptr<const Config>()> config;
  MetricsRegistry& metrics;
  HealthMonitor& health;
  // Something was queued or requeued in the outbox: wake the dispatcher. May be empty.
  std::function<void()> outbox_changed;
  // The working-day calendar in force (SIGHUP reloads it with the configuration). Called on
  // the loop thread. May be empty or answer null: the calendar routes then answer 503.
  std::function<std::shared_ptr<const WorkingDayCalendar>()> calendar;
  // The daemon's one case writer (adapters/scheduler/case_writing.h): every case write of the API
  // (case routes, imports) begins its unit of work here, on the loop thread, and so runs the
  // deadline hook inside its transaction.
  const CaseWriter& cases;
  // A case write committed: its hook may have scheduled a timer sooner than the scheduler's
  // current sleep, and it may have queued a written notice. Wake the scheduler and the
  // dispatcher. May be empty.
  std::function<void()> case_written;
  // Where case writes of the API queue to be committed together, one fsync per group
  // (daemon/tasks/write_group.h): each in its own savepoint, answered after the commit.
  WriteGroup& case_writes;
};

}  // namespace fangfan
