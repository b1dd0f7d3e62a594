// docs/api.md is kept in step with the code: every route the daemon registers has a heading
// "### METHOD /path" there, and every such heading is a route the daemon serves (the router is
// built as fangfand builds it: HttpApi's own routes plus register_daemon_routes()); every JSON
// block marked <!-- answer: NAME --> has the keys of a real answer; the tables between
// <!-- generated: NAME --> and <!-- end generated --> are what the event descriptions produce.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC 12 bug 109224 (coroutines)

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>
#include <boost/mp11/utility.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/channels/file_channel.h"
#include "adapters/storage/alert_store.h"
#include "adapters/storage/case_json.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/feed_store.h"
#include "adapters/storage/outbox_store.h"
#include "daemon/api/case_access.h"
#include "daemon/api/daemon_routes.h"
#include "daemon/api/event_json.h"
#include "daemon/api/feed_routes.h"
#include "daemon/api/route_access.h"
#include "daemon/tasks/scheduler.h"
#include "tests/daemon/api_test_server.h"
#include "tests/support/people.h"
#include "workflows/date.h"
#include "workflows/refusal_codes.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

std::string read_doc() {
  std::ifstream in(std::string(FANGFAN_SOURCE_DIR) + "/docs/api.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += "\n  " + i;
  return out;
}

TEST(ApiDocs, EveryServedRouteIsDocumentedAndEveryDocumentedRouteIsServed) {
  boost::asio::io_context idle;  // the scheduler is built as the daemon builds it, never run
  std::unique_ptr<Scheduler> scheduler;
  test::TestApiServer server({}, [&](HttpApi& api) {
    ApiServices& s = api.services();
    scheduler = std::make_unique<Scheduler>(idle.get_executor(), s.storage, s.clock, nullptr,
                                            s.config, s.calendar, [] {});
    register_daemon_routes(api, *scheduler);
    register_feed_routes(api.router(), api.services(), nullptr);
  });
  std::set<std::string> served;
  for (const auto& r : server.api().router().routes()) {
    served.insert(std::string(boost::beast::http::to_string(r.method)) + " " + r.pattern);
  }

  std::ifstream in(std::string(FANGFAN_SOURCE_DIR) + "/docs/api.md");
  ASSERT_TRUE(in) << "docs/api.md is missing";
  const std::regex heading(R"(### (GET|POST|PUT|PATCH|DELETE) (/\S*))");
  std::set<std::string> documented, malformed;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("### ", 0) != 0) continue;
    std::smatch m;
    if (!std::regex_match(line, m, heading)) {
      malformed.insert("line " + std::to_string(number) + ": " + line);
      continue;
    }
    const std::string route = m[1].str() + " " + m[2].str();
    EXPECT_TRUE(documented.insert(route).second) << "documented twice: " << route;
  }
  EXPECT_TRUE(malformed.empty()) << "### headings in docs/api.md are routes only (METHOD /path):"
                                 << join(malformed);

  std::set<std::string> undocumented, unserved;
  for (const auto& r : served) {
    if (!documented.count(r)) undocumented.insert(r);
  }
  for (const auto& r : documented) {
    if (!served.count(r)) unserved.insert(r);
  }
  EXPECT_TRUE(undocumented.empty()) << "served but not in docs/api.md:" << join(undocumented);
  EXPECT_TRUE(unserved.empty()) << "in docs/api.md but not served:" << join(unserved);
  EXPECT_GE(served.size(), 20u);
}

// route_access.h's table is the authorization of every served route, and county_admin ("everything"
// in the docs' role table) may call each one.
TEST(ApiDocs, EveryServedRouteHasItsRowOfTheAuthorizationTable) {
  boost::asio::io_context idle;
  std::unique_ptr<Scheduler> scheduler;
  test::TestApiServer server({}, [&](HttpApi& api) {
    ApiServices& s = api.services();
    scheduler = std::make_unique<Scheduler>(idle.get_executor(), s.storage, s.clock, nullptr,
                                            s.config, s.calendar, [] {});
    register_daemon_routes(api, *scheduler);
    register_feed_routes(api.router(), api.services(), nullptr);
  });
  std::set<std::string> served, ruled;
  for (const auto& r : server.api().router().routes()) {
    const std::string route =
        std::string(boost::beast::http::to_string(r.method)) + " " + r.pattern;
    served.insert(route);
    const Access& rule = route_access(r.method, r.pattern);
    EXPECT_EQ(r.access.kind, rule.kind) << route;
    EXPECT_EQ(r.access.roles, rule.roles) << route;
  }
  for (const RouteRule& r : route_rules()) {
    const std::string route =
        std::string(boost::beast::http::to_string(r.method)) + " " + std::string(r.pattern);
    EXPECT_TRUE(ruled.insert(route).second) << "two rows for " << route;
    EXPECT_TRUE(served.count(route)) << "a row for a route nobody serves: " << route;
    const auto& roles = r.access.roles;
    EXPECT_TRUE(roles.empty() ||
                std::find(roles.begin(), roles.end(), Role::kCountyAdmin) != roles.end())
        << "county_admin may do everything, but not " << route;
  }
  EXPECT_EQ(served, ruled);
  EXPECT_THROW(route_access(boost::beast::http::verb::get, "/api/v1/nowhere"), std::logic_error);
}

// -- answer shapes ------------------------------------------------------------------------------

// The JSON blocks of the doc marked <!-- answer: NAME --> on the line before their ```json.
std::map<std::string, json::value> documented_answers(const std::string& doc) {
  std::map<std::string, json::value> out;
  const std::regex marked(R"(<!-- answer: (\S+) -->\n```json\n([\s\S]*?)\n```)");
  for (std::sregex_iterator it(doc.begin(), doc.end(), marked), end; it != end; ++it) {
    const std::string name = (*it)[1].str();
    boost::system::error_code ec;
    json::value v = json::parse((*it)[2].str(), ec);
    EXPECT_FALSE(ec) << "the answer " << name << " in docs/api.md is not JSON: " << ec.message();
    EXPECT_TRUE(out.emplace(name, std::move(v)).second) << "answer documented twice: " << name;
  }
  return out;
}

std::string kind_of(const json::value& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_string()) return "a string";
  if (v.is_bool()) return "a boolean";
  if (v.is_null()) return "null";
  return "a number";
}

// Where `real` differs in shape from `documented`: the keys of every object, the first element of
// every array (when both have one) and the kind of every value. A documented "..." is elided; a
// null on either side matches any value (a field that is sometimes null).
void shape_problems(const json::value& documented, const json::value& real, const std::string& path,
                    std::vector<std::string>& out) {
  if (documented.is_string() && documented.get_string() == "...") return;
  if (documented.is_null() || real.is_null()) return;
  if (kind_of(documented) != kind_of(real)) {
    out.push_back(path + ": documented as " + kind_of(documented) + ", sent as " + kind_of(real) +
                  " (" + json::serialize(real) + ")");
    return;
  }
  if (documented.is_object()) {
    const json::object& d = documented.get_object();
    const json::object& r = real.get_object();
    for (const auto& kv : d) {
      const std::string at = path + "." + std::string(kv.key());
      if (const json::value* v = r.if_contains(kv.key())) {
        shape_problems(kv.value(), *v, at, out);
      } else {
        out.push_back(at + ": documented, not sent");
      }
    }
    for (const auto& kv : r) {
      if (!d.contains(kv.key())) {
        out.push_back(path + "." + std::string(kv.key()) + ": sent, not documented");
      }
    }
  } else if (documented.is_array()) {
    const json::array& d = documented.get_array();
    const json::array& r = real.get_array();
    if (!d.empty() && !r.empty()) shape_problems(d[0], r[0], path + "[0]", out);
  }
}

// One line the file channel writes, for a delivered message.
json::value file_channel_line() {
  test::TempDir dir;
  SimulatedClock clock(
      china_time(Date{std::chrono::year(2025) / std::chrono::March / 5}, std::chrono::hours(9)));
  boost::asio::io_context io;
  {
    FileChannel channel(dir.path() / "messages.jsonl", clock);
    OutgoingMessage m{7,
                      "13800000000",
                      "step_reminder",
                      "【防返贫监测】请及时入户核实",
                      {{"case_id", "1"}, {"step", "household_verification"}}};
    boost::asio::co_spawn(io, channel.deliver(std::move(m)), boost::asio::detached);
    io.run();
  }
  std::ifstream in(dir.path() / "messages.jsonl");
  std::string line;
  std::getline(in, line);
  return json::parse(line);
}

TEST(ApiDocs, EveryDocumentedAnswerHasTheShapeOfARealAnswer) {
  boost::asio::io_context idle;  // the scheduler is built as the daemon builds it, never run
  std::unique_ptr<Scheduler> scheduler;
  test::TestApiServer server({}, [&](HttpApi& api) {
    ApiServices& s = api.services();
    scheduler = std::make_unique<Scheduler>(idle.get_executor(), s.storage, s.clock, nullptr,
                                            s.config, s.calendar, [] {});
    register_daemon_routes(api, *scheduler);
    register_feed_routes(api.router(), api.services(), nullptr);
  });
  const auto port = server.port();
  const std::string token = server.token(Role::kCountyAdmin, "379901", "村干部王*");
  auto get = [&](const std::string& target) {
    return test::http_once(port, http::verb::get, target, token);
  };
  auto post = [&](const std::string& target, const json::object& body) {
    return test::http_once(port, http::verb::post, target, token, json::serialize(body));
  };
  std::map<std::string, json::value> real;
  auto keep = [&](const std::string& name, const test::Reply& r, unsigned status) {
    EXPECT_EQ(r.status, status) << name << ": " << r.body;
    real[name] = r.json();
  };

  testing::PeopleGenerator people(20251205);
  const Household h = people.household("37990100100100", "379901001001", 3);
  keep("case_opened",
       post("/api/v1/cases", {{"household", case_json::encode(h)},
                              {"kind", "unstable"},
                              {"source", "self_application"},
                              {"risk_causes", json::array{"illness"}}}),
       201);
  const std::string events = "/api/v1/cases/1/events";
  keep("error_refused", post(events, {{"type", "close_publicity"}}), 409);
  keep("error_bad_request", post(events, {{"type", "assign_officer"}}), 400);
  keep("event_posted", post(events, {{"type", "start_verification"}, {"verifier", "李*"}}), 200);
  keep("error_stale_version",
       post(events, {{"type", "start_verification"}, {"verifier", "李*"}, {"expected_version", 1}}),
       409);
  keep("case_shown", get("/api/v1/cases/1"), 200);
  keep("report_households", get("/api/v1/reports/households"), 200);
  keep("case_list", get("/api/v1/cases"), 200);
  keep("working_day", get("/api/v1/calendar/working-day?date=2025-10-08"), 200);
  keep("add_working_days", get("/api/v1/calendar/add-working-days?date=2025-09-30&n=5"), 200);
  keep("working_days_between",
       get("/api/v1/calendar/working-days-between?from=2025-10-01&to=2025-10-31"), 200);
  keep("calendar_missing", get("/api/v1/calendar/working-day?date=2031-01-01"), 422);
  keep("clock", get("/api/v1/clock"), 200);
  keep("import_made",
       test::http_once(port, http::verb::post, "/api/v1/imports?kind=visits&name=visits.csv", token,
                       "户编码,走访日期,走访人,走访内容\n37990100100199,2025-03-03,赵*,在家\n"),
       201);
  real["messages_jsonl_line"] = file_channel_line();

  // Department feeds and alerts: a run with a bad row and an alert, as an intake writes them.
  {
    auto session = server.session();
    WriteTransaction tx(*session);
    const TimePoint now = server.clock().now();
    const std::int64_t run = create_feed_run(
        *session, NewFeedRun{"civil_affairs", "civil_affairs", "2025-03",
                             "civil_affairs-2025-03.csv", "9f2c", "schedule", now, std::nullopt});
    NewBadRow bad;
    bad.line = 11;
    bad.field = "id_number";
    bad.header = "身份证号";
    bad.reason = "身份证号校验位错误：应为1，实际为0 (not a valid ID number)";
    bad.raw = R"({"身份证号":"379901197102181200","姓名":"周桂芳"})";
    insert_feed_bad_rows(*session, run, {bad});
    FeedRunCounts counts;
    counts.rows_read = 10;
    counts.rows_accepted = 9;
    counts.rows_quarantined = 1;
    counts.alerts_raised = 1;
    finish_feed_run(*session, run, counts, now);
    NewAlertRecord a{"civil_affairs",
                     "civil_affairs",
                     "2025-03",
                     run,
                     "new_assistance",
                     "新纳入低保/特困/临时救助",
                     "379901195706171005",
                     "周国华",
                     "379901001001",
                     "379901001",
                     R"({"category":"低保"})",
                     now};
    const std::int64_t alert = insert_alert(*session, a).id;
    append_alert_history(*session, {0, alert, now, "system:feeds", "raised",
                                    R"({"feed":"civil_affairs","period":"2025-03"})"});
    // A monitoring alert on case 1 awaiting the township's first review (issue 14 item 6).
    NewAlertRecord m = a;
    m.feed = "monitoring";
    m.department = "";
    m.run_id.reset();
    m.rule = "basic_needs_unmet";
    insert_case_alert(*session, m, 1, "township_review");
    tx.commit();
  }
  keep("feeds_listed", get("/api/v1/feeds"), 200);
  keep("feed_runs", get("/api/v1/feeds/runs?feed=civil_affairs"), 200);
  keep("feed_bad_rows", get("/api/v1/feeds/runs/1/bad-rows"), 200);
  keep("alerts_listed", get("/api/v1/alerts?status=open"), 200);
  keep("alert_shown", get("/api/v1/alerts/1"), 200);
  keep("alert_dismissed", post("/api/v1/alerts/1/dismiss", {{"reason", "已核实：收入稳定"}}), 200);
  // Dismissed at the first review: no later step's duty joins the simulation below.
  keep("alert_step",
       post("/api/v1/alerts/2/step", {{"action", "dismiss"}, {"reason", "已核实：已解决"}}), 200);

  // Deadlines, the outbox, campaigns and the yearly evaluation: a late evaluation task, a step
  // falling due in two days and a queued message, as the scheduler and the firing write them.
  std::int64_t evaluation_task = 0;
  std::int64_t message = 0;
  {
    auto session = server.session();
    WriteTransaction tx(*session);
    const TimePoint now = server.clock().now();
    NewDuty late;
    late.duty_key = "evaluation/2025/37990100100100";
    late.kind = "evaluation";
    late.subject = "2025";
    late.township_code = "379901001";
    late.village_code = "379901001001";
    late.owner_role = "village_officer";
    late.due_at = now - std::chrono::days(2);
    late.opened_at = now - std::chrono::days(20);
    // Its result is on the case (a task is closed by hand only then: duty_done).
    late.case_id = 1;
    append_history(*session,
                   {1, 0, "record_evaluation", "registered", "registered", "县扶贫办张*", now, "",
                    details_to_json({{"year", "2025"}, {"result", "risk_removed"}})});
    evaluation_task = open_duty(*session, late).id;
    NewDuty soon = late;
    soon.duty_key = "case/1/step/test";
    soon.kind = "step";
    soon.case_id = 1;
    soon.subject = "household_verification";
    soon.owner_role = "township_clerk";
    soon.due_at = now + std::chrono::days(2);
    open_duty(*session, soon);
    NewOutboxMessage m;
    m.dedupe_key = "docs/1";
    m.case_id = 1;
    m.channel = "file";
    m.recipient = "13800000000";
    m.message_type = "step_reminder";
    m.body = "【防返贫监测】...";
    m.created_at = now;
    m.next_attempt_at = now;
    message = enqueue_outbox(*session, m).id;
    tx.commit();
  }
  keep("overdue", get("/api/v1/overdue"), 200);
  keep("due_soon", get("/api/v1/due-soon"), 200);
  keep("outbox_list", get("/api/v1/outbox"), 200);
  keep("outbox_message", post("/api/v1/outbox/" + std::to_string(message) + "/cancel", {}), 200);
  keep("campaign_progress", get("/api/v1/campaigns/screening_2023/progress"), 200);
  const std::string office = server.token(Role::kCountyOffice, "379901", "县乡村振兴局李*");
  keep("milestone_done",
       test::http_once(port, http::verb::post,
                       "/api/v1/campaigns/screening_2023/milestones/plan/done", office,
                       R"({"township": "379901001"})"),
       200);
  keep("evaluation_progress", get("/api/v1/evaluations/2025/progress"), 200);
  keep("duty_done", post("/api/v1/duties/" + std::to_string(evaluation_task) + "/done", {}), 200);
  keep("simulation", post("/api/v1/simulate", {{"from", "2025-03-03"}, {"to", "2025-03-20"}}), 200);

  const std::map<std::string, json::value> documented = documented_answers(read_doc());
  for (const auto& [name, value] : documented) {
    auto it = real.find(name);
    if (it == real.end()) {
      ADD_FAILURE() << "docs/api.md documents the answer " << name
                    << " but this test does not fetch it: add it here";
      continue;
    }
    std::vector<std::string> problems;
    shape_problems(value, it->second, name, problems);
    std::string all;
    for (const auto& p : problems) all += "\n  " + p;
    EXPECT_TRUE(problems.empty()) << "docs/api.md's answer " << name << " differs:" << all
                                  << "\n  real answer: " << json::serialize(it->second);
  }
  for (const auto& [name, value] : real) {
    EXPECT_TRUE(documented.count(name)) << "no <!-- answer: " << name << " --> in docs/api.md";
  }
}

TEST(ApiDocs, ShapeComparisonFindsMissingExtraAndRetypedKeys) {
  struct Case {
    const char* documented;
    const char* real;
    std::size_t problems;
  };
  const std::vector<Case> cases = {
      {R"({"a":1,"b":"x"})", R"({"a":2,"b":"y"})", 0},
      {R"({"a":1})", R"({"a":1,"b":2})", 1},                     // sent, not documented
      {R"({"a":1,"b":2})", R"({"a":1})", 1},                     // documented, not sent
      {R"({"a":"1"})", R"({"a":1})", 1},                         // retyped
      {R"({"a":"..."})", R"({"a":{"deep":[1]}})", 0},            // elided
      {R"({"a":null})", R"({"a":3})", 0},                        // sometimes null
      {R"({"l":[{"x":1}]})", R"({"l":[{"x":1,"y":2},{}]})", 1},  // first element compared
      {R"({"l":[{"x":1}]})", R"({"l":[]})", 0},                  // nothing to compare
  };
  for (const auto& c : cases) {
    std::vector<std::string> problems;
    shape_problems(json::parse(c.documented), json::parse(c.real), "", problems);
    EXPECT_EQ(problems.size(), c.problems) << c.documented << " vs " << c.real;
  }
}

// -- generated tables ---------------------------------------------------------------------------

std::string fields_cell(const std::vector<FieldSchema>& fields, bool mark_required) {
  if (fields.empty()) return "—";
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) out += ", ";
    out += "`" + f.name + "`" + (mark_required && f.required ? "*" : "") + " " + f.type;
  }
  return out;
}

std::string role_names(const CaseEvent& event) {
  std::string out;
  for (Role r : roles_for_event(event)) {
    if (r == Role::kCountyAdmin) continue;
    if (!out.empty()) out += ", ";
    out += role_name(r);
  }
  return out;
}

// case_access.h's table, one row per event.
std::string roles_table() {
  std::string out = "| event | roles besides county_admin |\n|---|---|\n";
  using Events = boost::mp11::mp_transform<boost::mp11::mp_identity,
                                           boost::mp11::mp_rename<CaseEvent, boost::mp11::mp_list>>;
  boost::mp11::mp_for_each<Events>([&](auto identity) {
    using E = typename decltype(identity)::type;
    std::string roles;
    if constexpr (std::is_same_v<E, RecordApproval>) {
      roles = "by `level`: ";
      for (const auto& level : CodeTable<ApprovalLevel>::kEntries) {
        if (level.value != CodeTable<ApprovalLevel>::kEntries.front().value) roles += "; ";
        RecordApproval approval;
        approval.level = level.value;
        roles += std::string(level.code) + " → " + role_names(approval);
      }
    } else if constexpr (std::is_same_v<E, ConfirmHouseholdStatus>) {
      // Issue 14: only village and township confirm a status (the guard refuses the city).
      roles = "by `level`: ";
      for (auto level : {ApprovalLevel::kVillage, ApprovalLevel::kTownship}) {
        if (level != ApprovalLevel::kVillage) roles += "; ";
        ConfirmHouseholdStatus confirmation;
        confirmation.level = level;
        roles += std::string(code_of(level)) + " → " + role_names(confirmation);
      }
    } else if constexpr (kSystemOnly<E>) {
      EXPECT_TRUE(roles_for_event(E{}).empty()) << E::kName;
      roles = "none, not even county_admin: fangfan records it itself (department feeds)";
    } else {
      roles = role_names(E{});
    }
    // An event missing from case_access.h's table would be county_admin's alone, silently.
    EXPECT_FALSE(roles.empty()) << E::kName << " has no row in case_access.cpp's table";
    out += "| `" + std::string(E::kName) + "` | " + roles + " |\n";
  });
  return out;
}

// route_access.h's table, one row per route: who may call it, and the handler's finer rule.
std::string route_roles_table() {
  std::string out = "| route | roles | and |\n|---|---|---|\n";
  for (const RouteRule& r : route_rules()) {
    std::string roles;
    if (r.access.kind == Access::Kind::kPublic) {
      roles = "anyone, no token";
    } else if (r.access.roles.empty()) {
      roles = r.access.kind == Access::Kind::kWrite ? "every role but auditor" : "every role";
    } else {
      for (Role role : r.access.roles) {
        if (!roles.empty()) roles += ", ";
        roles += role_name(role);
      }
    }
    out += "| `" + std::string(boost::beast::http::to_string(r.method)) + " " +
           std::string(r.pattern) + "` | " + roles + " | " +
           (r.also.empty() ? std::string("—") : std::string(r.also)) + " |\n";
  }
  return out;
}

std::map<std::string, std::string> generated_tables() {
  std::map<std::string, std::string> out;
  std::string events = "| type | 中文 | fields (`*` required) |\n|---|---|---|\n";
  for (const auto& e : event_schemas()) {
    events += "| `" + std::string(e.name) + "` | " + std::string(e.label) + " | " +
              fields_cell(e.fields, true) + " |\n";
  }
  out["event_fields"] = events;
  std::string records = "| record | members |\n|---|---|\n";
  for (const auto& r : record_schemas()) {
    records += "| " + r.name + " | " + fields_cell(r.fields, false) + " |\n";
  }
  out["records"] = records;
  std::string codes = "| list | codes |\n|---|---|\n";
  for (const auto& c : code_list_schemas()) {
    std::string cell;
    for (const auto& [code, label] : c.entries) {
      if (!cell.empty()) cell += ", ";
      cell += "`" + std::string(code) + "` " + std::string(label);
    }
    codes += "| " + c.name + " | " + cell + " |\n";
  }
  out["code_lists"] = codes;
  out["roles"] = roles_table();
  out["route_roles"] = route_roles_table();
  std::string refusals = "| `reason` | 含义 |\n|---|---|\n";
  for (const auto& r : refusal_codes()) {
    refusals += "| `" + std::string(r.code) + "` | " + std::string(r.meaning_zh) + " |\n";
  }
  out["refusal_codes"] = refusals;
  return out;
}

TEST(ApiDocs, GeneratedTablesAreWhatTheCodeDescribes) {
  const std::string doc = read_doc();
  const std::regex block(R"(<!-- generated: (\S+) -->\n([\s\S]*?)<!-- end generated -->)");
  std::map<std::string, std::string> documented;
  for (std::sregex_iterator it(doc.begin(), doc.end(), block), end; it != end; ++it) {
    documented[(*it)[1].str()] = (*it)[2].str();
  }
  for (const auto& [name, table] : generated_tables()) {
    ASSERT_TRUE(documented.count(name)) << "no <!-- generated: " << name << " --> in docs/api.md";
    EXPECT_EQ(documented.at(name), table)
        << "docs/api.md's table " << name << " is not what the descriptions give; paste:\n"
        << table;
  }
  EXPECT_EQ(documented.size(), generated_tables().size());
}

// The code lists a client sends are all documented (workflows/case_codes.h).
TEST(ApiDocs, EveryCodeListAClientSendsHasATable) {
  std::set<std::string> lists;
  for (const auto& c : code_list_schemas()) lists.insert(c.name);
  for (const char* name :
       {"relation", "source", "risk_cause", "measure_type", "measure_status", "risk_trend",
        "look_back_finding", "approval_purpose", "approval_level", "income_drop_cause"}) {
    EXPECT_TRUE(lists.count(name)) << name;
  }
  std::set<std::string> records;
  for (const auto& r : record_schemas()) records.insert(r.name);
  for (const char* name : {"household", "member", "account", "hardship", "exclusion", "discretion",
                           "monitoring_record"}) {
    EXPECT_TRUE(records.count(name)) << name;
  }
}

}  // namespace
}  // namespace fangfan
