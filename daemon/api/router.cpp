#include "daemon/api/router.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "daemon/api/route_access.h"

namespace fangfan {
namespace {

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  std::size_t at = 1;
  while (at <= path.size()) {
    std::size_t end = path.find('/', at);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// Does `route` match `segments`? Fills `params` when it does.
bool matches(const Route& route, const std::vector<std::string>& segments,
             std::map<std::string, std::string>& params) {
  if (route.segments.size() != segments.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& p = route.segments[i];
    if (is_param(p)) {
      if (segments[i].empty()) return false;
      params[p.substr(1, p.size() - 2)] = segments[i];
    } else if (p != segments[i]) {
      return false;
    }
  }
  return true;
}

// True when `a` is more specific than `b`: a literal where b has a parameter, earliest first.
bool more_specific(const Route& a, const Route& b) {
  for (std::size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    const bool pa = is_param(a.segments[i]), pb = is_param(b.segments[i]);
    if (pa != pb) return !pa;
  }
  return false;
}

// The pattern with parameter names erased: two routes with the same shape would be ambiguous.
std::string shape(const std::vector<std::string>& segments) {
  std::string out;
  for (const auto& s : segments) out += "/" + (is_param(s) ? std::string("{}") : s);
  return out;
}

}  // namespace

void Router::add(boost::beast::http::verb method, std::string pattern, ApiHandler handler) {
  Access access = route_access(method, pattern);
  add(method, std::move(pattern), std::move(access), std::move(handler));
}

void Router::add(boost::beast::http::verb method, std::string pattern, Access access,
                 ApiHandler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::logic_error("route pattern must begin with '/': " + pattern);
  }
  Route route{method, pattern, std::move(access), std::move(handler), split(pattern), false};
  std::set<std::string> names;
  for (const auto& s : route.segments) {
    if (s.empty()) throw std::logic_error("route pattern has an empty segment: " + pattern);
    if (is_param(s) && !names.insert(s).second) {
      throw std::logic_error("route pattern repeats a parameter: " + pattern);
    }
  }
  for (const auto& r : routes_) {
    if (r.method == method && shape(r.segments) == shape(route.segments)) {
      throw std::logic_error("route registered twice: " + std::string(to_string(method)) + " " +
                             pattern);
    }
  }
  routes_.push_back(std::move(route));
}

void Router::confirm_callers_in_write(boost::beast::http::verb method, std::string_view pattern) {
  for (Route& r : routes_) {
    if (r.method == method && r.pattern == pattern) {
      r.confirms_caller = true;
      return;
    }
  }
  throw std::logic_error("no route to mark: " + std::string(to_string(method)) + " " +
                         std::string(pattern));
}

std::variant<Router::Match, Router::NoMatch> Router::match(
    boost::beast::http::verb method, const std::vector<std::string>& segments_in) const {
  std::vector<std::string> segments = segments_in;
  if (segments.size() > 1 && segments.back().empty()) segments.pop_back();  // trailing slash

  Match best;
  NoMatch miss;
  std::map<std::string, std::string> params;
  for (const auto& r : routes_) {
    if (!matches(r, segments, params)) continue;
    if (r.method != method) {
      if (std::find(miss.allowed.begin(), miss.allowed.end(), r.method) == miss.allowed.end()) {
        miss.allowed.push_back(r.method);
      }
      continue;
    }
    if (!best.route || more_specific(r, *best.route)) {
      best.route = &r;
      best.params = params;
    }
  }
  if (best.route) return best;
  return miss;
}

}  // namespace fangfan
