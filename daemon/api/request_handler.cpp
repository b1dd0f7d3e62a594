#include "daemon/api/request_handler.h"

#include <spdlog/spdlog.h>

#include <boost/beast/http/field.hpp>
#include <chrono>
#include <exception>
#include <optional>

#include "adapters/storage/database.h"
#include "daemon/api/auth.h"
#include "daemon/api/metrics.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
using boost::asio::awaitable;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; '+' is a space when `plus_is_space` (query strings).
std::optional<std::string> decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return std::nullopt;
      out += decoded;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

ApiError bad_target(std::string_view why) {
  return ApiError::bad_request("", "请求地址无效：" + std::string(why) +
                                       " (the request target is "
                                       "not valid: " +
                                       std::string(why) + ")");
}

void check_access(const Access& access, const Principal& p) {
  if (access.kind == Access::Kind::kWrite && !role_may_write(p.role)) {
    throw ApiError::forbidden("角色 " + std::string(role_name(p.role)) +
                              " 只能查看，不能修改 (role " + role_name(p.role) +
                              " is read-only); nothing was changed");
  }
  if (access.roles.empty()) return;
  std::string names;
  for (Role r : access.roles) {
    if (r == p.role) return;
    if (!names.empty()) names += ", ";
    names += role_name(r);
  }
  throw ApiError::forbidden("角色 " + std::string(role_name(p.role)) + " 不能使用此接口，需要：" +
                            names + " (role " + role_name(p.role) +
                            " may not use this endpoint; it needs one of: " + names + ")");
}

std::string allowed_methods(const std::vector<http::verb>& verbs) {
  std::string out;
  for (auto v : verbs) {
    if (!out.empty()) out += ", ";
    out += std::string(http::to_string(v));
  }
  return out;
}

}  // namespace

const char* server_name() { return "fangfan/" FANGFAN_VERSION; }

ParsedTarget parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') throw bad_target("must begin with '/'");
  const std::size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  if (const std::size_t hash = raw_path.find('#'); hash != std::string_view::npos) {
    throw bad_target("contains '#'");
  }
  ParsedTarget out;
  std::size_t at = 1;
  while (at <= raw_path.size()) {
    std::size_t end = raw_path.find('/', at);
    if (end == std::string_view::npos) end = raw_path.size();
    auto segment = decode(raw_path.substr(at, end - at), false);
    if (!segment) throw bad_target("malformed %-escape in the path");
    out.path += "/" + *segment;
    out.segments.push_back(std::move(*segment));
    at = end + 1;
  }
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto key = decode(pair.substr(0, eq), true);
    auto value =
        decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!key || !value) throw bad_target("malformed %-escape in the query");
    if (out.query.count(*key)) {
      throw ApiError::bad_request(*key, "查询参数 " + *key + " 重复出现 (the query parameter " +
                                            *key + " is given more than once)");
    }
    out.query.emplace(std::move(*key), std::move(*value));
  }
  return out;
}

ApiRequestHandler::Response error_response(const ApiError& error, unsigned http_version,
                                           bool keep_alive) {
  const ApiResponse r = error.response();
  ApiRequestHandler::Response res{r.status, http_version};
  res.set(http::field::server, server_name());
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, "no-store");
  for (const auto& [f, v] : r.headers) res.set(f, v);
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

ApiRequestHandler::ApiRequestHandler(const Router& router, ApiServices& services)
    : router_(router),
      services_(services),
      requests_(services.metrics.counter("fangfan_http_requests_total",
                                         "HTTP requests answered, by method, route and status.",
                                         {"method", "route", "status"})),
      latency_(services.metrics.histogram(
          "fangfan_http_request_duration_seconds",
          "Time from a complete request to its answer being ready, by method and route.",
          {"method", "route"}, latency_buckets())),
      remembered_(services.metrics.counter(
          "fangfan_http_callers_remembered_total",
          "Case events whose caller came from the memory of verified tokens (auth.h), the token "
          "then confirmed in the write or checked before the answer.")) {}

awaitable<ApiResponse> ApiRequestHandler::dispatch(Request& in, ApiRequest& req,
                                                   std::string& route) {
  ParsedTarget target = parse_target(in.target());
  req.method = in.method();
  req.path = std::move(target.path);
  req.query = std::move(target.query);
  req.config = services_.config();

  auto found = router_.match(in.method(), target.segments);
  const Router::Match* match = std::get_if<Router::Match>(&found);
  if (match) route = match->route->pattern;
  std::string remembered;  // the token hash of a caller taken from memory
  if (!match || match->route->access.kind != Access::Kind::kPublic) {
    std::string authorization(in[http::field::authorization]);
    if (match && match->route->confirms_caller) {
      std::string hash = caller_token_hash(authorization);
      if (const Principal* known = callers_.find(req.config, hash)) {
        req.principal = *known;
        req.caller_unconfirmed = true;
        remembered_.inc({});
        remembered = std::move(hash);
      } else {
        std::string looked_up = hash;
        req.principal =
            co_await verify_caller(services_.storage, *req.config, std::move(looked_up));
        callers_.remember(req.config, hash, *req.principal);
      }
    } else {
      req.principal =
          co_await authenticate(services_.storage, *req.config, std::move(authorization));
    }
  }
  if (!match) {
    const auto& allowed = std::get<Router::NoMatch>(found).allowed;
    if (allowed.empty()) {
      throw ApiError::not_found("没有这个接口 " + req.path + " (no such endpoint: " + req.path +
                                ")");
    }
    ApiError e(http::status::method_not_allowed, "method_not_allowed",
               req.path + " 不支持 " + std::string(http::to_string(in.method())) + "，可用：" +
                   allowed_methods(allowed) + " (" + req.path + " does not answer " +
                   std::string(http::to_string(in.method())) + "; it answers " +
                   allowed_methods(allowed) + ")");
    ApiResponse r = e.response();
    r.headers.emplace_back(http::field::allow, allowed_methods(allowed));
    co_return r;
  }
  req.route = match->route->pattern;
  req.params = match->params;
  req.body = std::move(in.body());
  if (!req.caller_unconfirmed) {
    if (req.principal) check_access(match->route->access, *req.principal);
    co_return co_await match->route->handler(req);
  }
  // A caller from memory (auth.h): whatever the handler answers without having confirmed the
  // token in its write (a refusal before it, a 404, an error) waits for the token's check at
  // the database, so a revoked token only ever gets its 401.
  std::optional<ApiResponse> answer;
  std::exception_ptr failed;
  try {
    check_access(match->route->access, *req.principal);
    answer = co_await match->route->handler(req);
  } catch (...) {
    failed = std::current_exception();
  }
  if (req.caller_unconfirmed) {
    std::string hash = remembered;
    try {
      co_await verify_caller(services_.storage, *req.config, std::move(hash));
    } catch (const ApiError&) {
      callers_.forget(remembered);
      throw;
    }
  }
  if (failed) std::rethrow_exception(failed);
  co_return std::move(*answer);
}

awaitable<ApiRequestHandler::Response> ApiRequestHandler::handle(Request& in) {
  const auto started = std::chrono::steady_clock::now();
  const std::string method(http::to_string(in.method()));
  std::string route = "unmatched";
  ApiRequest req;
  ApiResponse out;
  try {
    out = co_await dispatch(in, req, route);
  } catch (const ApiError& e) {
    out = e.response();
  } catch (const StorageError& e) {
    spdlog::error("api.storage_error method={} route={} error=\"{}\"", method, route, e.what());
    out = (e.kind() == StorageError::Kind::kUnavailable
               ? ApiError::unavailable("数据库暂时不可用，请稍后重试 (the database is busy or "
                                       "unreachable; try again later)")
               : ApiError::internal("保存或读取数据失败，详情见守护进程日志 (a database "
                                    "operation failed; the daemon's log has the details)"))
              .response();
  } catch (const std::exception& e) {
    spdlog::error("api.handler_failed method={} route={} error=\"{}\"", method, route, e.what());
    out = ApiError::internal(
              "服务器内部错误，详情见守护进程日志 (internal error; the daemon's log "
              "has the details)")
              .response();
  }

  Response res{out.status, in.version()};
  res.set(http::field::server, server_name());
  res.set(http::field::content_type, out.content_type);
  res.set(http::field::cache_control, "no-store");
  for (const auto& [f, v] : out.headers) res.set(f, v);
  res.body() = std::move(out.body);
  res.keep_alive(in.keep_alive());
  res.prepare_payload();

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const unsigned status = static_cast<unsigned>(out.status);
  requests_.inc({method, route, std::to_string(status)});
  latency_.observe({method, route}, seconds);
  const std::string holder = req.principal ? req.principal->holder : "-";
  if (status >= 500) {
    spdlog::error("api.request method={} route={} status={} ms={:.1f} holder={}", method, route,
                  status, seconds * 1000, holder);
  } else if (status >= 400) {
    spdlog::info("api.request method={} route={} status={} ms={:.1f} holder={}", method, route,
                 status, seconds * 1000, holder);
  } else {
    spdlog::debug("api.request method={} route={} status={} ms={:.1f} holder={}", method, route,
                  status, seconds * 1000, holder);
  }
  co_return res;
}

}  // namespace fangfan
