#include "daemon/api/route_access.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "daemon/api/case_access.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
using R = Role;

// The roles of either event, each once, in the order of the Role enum (county_admin first).
std::vector<Role> either(const CaseEvent& a, const CaseEvent& b) {
  std::vector<Role> out = roles_for_event(a);
  for (Role r : roles_for_event(b)) {
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<RouteRule> build() {
  const auto get = http::verb::get;
  const auto post = http::verb::post;
  // -- feeds: the county roles and the departments; the quarantined rows hold ID numbers in full,
  // so auditors read runs but not their bad rows.
  const std::vector<Role> feed_readers = {R::kCountyAdmin, R::kCountyOffice, R::kDepartmentClerk,
                                          R::kAuditor};
  const std::vector<Role> feed_writers = {R::kCountyAdmin, R::kCountyOffice, R::kDepartmentClerk};
  const std::vector<Role> alert_readers = {R::kCountyAdmin, R::kCountyOffice, R::kTownshipClerk,
                                           R::kDepartmentClerk, R::kAuditor};
  const std::vector<Role> alert_verifiers = {R::kCountyAdmin, R::kCountyOffice, R::kTownshipClerk};
  const std::string_view dept = "a department-scoped token: its own department's only";
  return {
      {get, "/healthz", Access::public_route(), ""},
      {get, "/metrics", Access::read(), ""},
      {post, "/api/v1/cases", Access::write(), "the event's roles (`open_case`, table below)"},
      {post, "/api/v1/cases/{id}/events", Access::write(),
       "the event's roles (its `type`, table below), checked before the body is read"},
      {get, "/api/v1/cases/{id}", Access::read(), ""},
      {get, "/api/v1/cases", Access::read(), ""},
      {get, "/api/v1/overdue", Access::read(), ""},
      {get, "/api/v1/due-soon", Access::read(), ""},
      {get, "/api/v1/calendar/working-day", Access::read(), ""},
      {get, "/api/v1/calendar/add-working-days", Access::read(), ""},
      {get, "/api/v1/calendar/working-days-between", Access::read(), ""},
      {get, "/api/v1/outbox", Access::read({R::kCountyAdmin, R::kCountyOffice, R::kAuditor}), ""},
      {post, "/api/v1/outbox/{id}/retry", Access::write({R::kCountyAdmin}), ""},
      {post, "/api/v1/outbox/{id}/cancel", Access::write({R::kCountyAdmin}), ""},
      {get, "/api/v1/campaigns/{campaign}/progress", Access::read(), ""},
      {post, "/api/v1/campaigns/{campaign}/milestones/{milestone}/done",
       Access::write({R::kCountyAdmin, R::kCountyOffice, R::kTownshipClerk}), ""},
      {get, "/api/v1/evaluations/{year}/progress", Access::read(), ""},
      {post, "/api/v1/duties/{id}/done",
       Access::write({R::kCountyAdmin, R::kCountyOffice, R::kTownshipClerk, R::kVillageOfficer,
                      R::kAssistanceOfficer}),
       ""},
      {post, "/api/v1/imports", Access::write(),
       "the roles of `record_visit` (`?kind=visits`) or `open_case` (`?kind=cases`)"},
      {get, "/api/v1/imports/{id}", Access::read(), ""},
      // The bad rows hold unmasked ID numbers and phones (the importer needs them to correct the
      // rows): the roles that import, never auditors or departments.
      {get, "/api/v1/imports/{id}/bad-rows.csv", Access::read(either(RecordVisit{}, OpenCase{})),
       "the roles that may import the import's kind"},
      {get, "/api/v1/feeds", Access::read(feed_readers), dept},
      {get, "/api/v1/feeds/runs", Access::read(feed_readers), dept},
      {get, "/api/v1/feeds/runs/{id}", Access::read(feed_readers), dept},
      {get, "/api/v1/feeds/runs/{id}/bad-rows", Access::read(feed_writers), dept},
      {post, "/api/v1/feeds/{feed}/runs", Access::write(feed_writers), dept},
      {post, "/api/v1/feeds/runs/{id}/fix", Access::write(feed_writers), dept},
      {get, "/api/v1/alerts", Access::read(alert_readers), dept},
      {get, "/api/v1/alerts/{id}", Access::read(alert_readers), dept},
      {post, "/api/v1/alerts/{id}/case", Access::write(alert_verifiers), ""},
      {post, "/api/v1/alerts/{id}/dismiss", Access::write(alert_verifiers), ""},
      {post, "/api/v1/alerts/{id}/step",
       Access::write({R::kCountyAdmin, R::kCountyOffice, R::kTownshipClerk, R::kDepartmentClerk}),
       "by the alert's stage: township_review township_clerk, county_review and closure "
       "county_office, department the assigned department's clerk or county_office"},
      {get, "/api/v1/reports/{name}", Access::read(), ""},
      {get, "/api/v1/reports/campaign/{campaign}", Access::read(), ""},
      {get, "/api/v1/clock", Access::read(), ""},
      {post, "/api/v1/clock/advance", Access::write({R::kCountyAdmin}), ""},
      {post, "/api/v1/simulate", Access::read(), ""},
  };
}

}  // namespace

const std::vector<RouteRule>& route_rules() {
  static const std::vector<RouteRule> kRules = build();
  return kRules;
}

const Access& route_access(http::verb method, std::string_view pattern) {
  for (const RouteRule& r : route_rules()) {
    if (r.method == method && r.pattern == pattern) return r.access;
  }
  throw std::logic_error("no row in route_access.cpp for " + std::string(http::to_string(method)) +
                         " " + std::string(pattern));
}

}  // namespace fangfan
