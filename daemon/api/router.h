// Maps method + path to a handler and the access rule the request handler
// enforces before calling it.
//
//   router.add(http::verb::post, "/api/v1/cases/{id}/events", handler);
//
// The daemon's routes take their Access from route_access.h's one table (a route without a row
// there throws std::logic_error at registration); tests register routes of their own with an
// explicit Access.
//
// A pattern is a path of literal segments and {name} segments; {name} matches
// exactly one non-empty segment, given to the handler as req.param("name").
// When two patterns match a path, the one with a literal segment where the other
// has a parameter (earliest such segment) wins, so /outbox/stats beats
// /outbox/{id}. A trailing slash in the request path is ignored.
//
// Routes are added at start, before the server runs; match() is then called
// concurrently only on the loop thread. add() with a method and pattern shape
// that already exist throws std::logic_error (a programming error).
#pragma once

#include <boost/beast/http/verb.hpp>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/config/config.h"
#include "daemon/api/api_context.h"

namespace fangfan {

// Who may call a route. Token roles are checked here; scope is checked by the
// handler, which knows which household or place the request touches (auth.h).
struct Access {
  enum class Kind {
    kPublic,  // no token (only /healthz)
    kRead,    // any valid token (auditors included)
    kWrite,   // any valid token whose role may write (not auditors)
  };
  Kind kind = Kind::kRead;
  std::vector<Role> roles;  // when not empty: only these roles

  static Access public_route() { return {Kind::kPublic, {}}; }
  static Access read(std::vector<Role> roles = {}) { return {Kind::kRead, std::move(roles)}; }
  static Access write(std::vector<Role> roles = {}) { return {Kind::kWrite, std::move(roles)}; }
};

struct Route {
  boost::beast::http::verb method;
  std::string pattern;
  Access access;
  ApiHandler handler;
  std::vector<std::string> segments;  // of the pattern; "{name}" for parameters
  // The handler confirms its caller's token inside its own write (auth.h): the request handler
  // may take the caller from its memory of verified tokens.
  bool confirms_caller = false;
};

class Router {
 public:
  // REQUIRES: pattern begins with '/', every segment non-empty, parameter names unique.
  void add(boost::beast::http::verb method, std::string pattern, Access access, ApiHandler handler);
  // A daemon route: its Access is its row of route_rules() (route_access.h).
  void add(boost::beast::http::verb method, std::string pattern, ApiHandler handler);

  // Marks a registered route as confirming its caller's token in its own write (Route above).
  // Throws std::logic_error when no such route is registered.
  void confirm_callers_in_write(boost::beast::http::verb method, std::string_view pattern);

  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
  };
  struct NoMatch {
    // Methods the path answers to; empty when no route has this path (404), else 405.
    std::vector<boost::beast::http::verb> allowed;
  };
  // `segments` are the decoded path segments ("/api/v1/outbox" -> {"api","v1","outbox"}).
  std::variant<Match, NoMatch> match(boost::beast::http::verb method,
                                     const std::vector<std::string>& segments) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace fangfan
