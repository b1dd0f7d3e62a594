// Who may call each route of the API: ONE table, read by Router::add when a route is registered
// (so a route without a row does not start) and by tests/daemon/api_docs_test.cpp, which derives
// docs/api.md's authorization table from it. The role rules finer than a route (which roles may
// post which case event, by type) are case_access.h's table; a row's `also` says when a handler
// adds one, in the docs' words.
//
// county_admin (who runs fangfan and corrects its data) may call every route: the docs' role
// table says "everything", and the docs test checks it row by row.
//
// Thread-safety: a constant table built once.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <string_view>
#include <vector>

#include "daemon/api/router.h"

namespace fangfan {

struct RouteRule {
  boost::beast::http::verb method;
  std::string_view pattern;  // as registered: "/api/v1/cases/{id}/events"
  Access access;
  std::string_view also;  // the handler's finer rule for the docs, or empty
};

// Every route the daemon serves, in the order of docs/api.md.
const std::vector<RouteRule>& route_rules();

// The row of a route. Throws std::logic_error naming the route when it has none (a programming
// error: add the row here and to docs/api.md).
const Access& route_access(boost::beast::http::verb method, std::string_view pattern);

}  // namespace fangfan
