// Turns one parsed HTTP request into one response, like the request_handler of
// Asio's http/server example: no network I/O here (the connection in
// api_server.h reads and writes).
//
// In order: parse the target (path segments and query, percent-decoded; a bad
// one is a 400), find the route (router.h), authenticate the bearer token unless
// the route is public (auth.h: 401; a caller of the case-event route may come from the memory
// of verified tokens, auth.h VerifiedCallers), answer 404 for an unknown path or 405 for a
// known path with another method (after authentication, so the route map is not
// shown to strangers), check the route's Access (403), run the handler. An
// ApiError from anywhere becomes its JSON answer; StorageError becomes 503 when
// retrying may help (kUnavailable) and 500 otherwise; any other exception a
// 500. Internals go to the log, never into the answer.
//
// Every answer is counted in fangfan_http_requests_total{method,route,status}
// and timed in fangfan_http_request_duration_seconds{method,route}; `route` is
// the matched pattern (or "unmatched"), so ids in paths do not explode the
// label set.
//
// Thread-safety: handle() runs on the loop thread; several requests may be in
// flight at once (one per connection).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/api/api_context.h"
#include "daemon/api/auth.h"
#include "daemon/api/router.h"

namespace fangfan {

class CounterFamily;
class HistogramFamily;

class ApiRequestHandler {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  // `router` and `services` must outlive the handler.
  ApiRequestHandler(const Router& router, ApiServices& services);

  // Never throws: every failure is an answer.
  boost::asio::awaitable<Response> handle(Request& request);

 private:
  boost::asio::awaitable<ApiResponse> dispatch(Request& in, ApiRequest& req, std::string& route);

  const Router& router_;
  ApiServices& services_;
  CounterFamily& requests_;
  HistogramFamily& latency_;
  CounterFamily& remembered_;
  VerifiedCallers callers_;  // for routes that confirm their caller in their write (auth.h)
};

// A request target split into what the router and handlers need.
struct ParsedTarget {
  std::string path;                          // decoded
  std::vector<std::string> segments;         // decoded, split at '/'
  std::map<std::string, std::string> query;  // decoded ('+' is a space)
};
// Throws ApiError::bad_request for a target that is not an absolute path, has a
// malformed %-escape, or repeats a query key.
ParsedTarget parse_target(std::string_view target);

// A plain HTTP response in the API's JSON error shape, for answers the
// connection gives itself before any handler runs (413, 431, 503, ...).
ApiRequestHandler::Response error_response(const ApiError& error, unsigned http_version,
                                           bool keep_alive);

// The `Server` header value.
const char* server_name();

}  // namespace fangfan
