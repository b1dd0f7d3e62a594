// Who may post which case event (daemon/api/case_access.h), through real HTTP on loopback: every
// token role against every event class. The expected matrix is written out here by hand, from
// program-rules.md's table of actors, not derived from the code under test.
//
// A refused role gets 403 before anything is read from the database, so the table posts to a
// case that does not exist: an allowed role gets 404 (the role rule passed), a refused one 403.
// Opening a case and the scope rule are checked against real rows: a refusal writes nothing.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC 12 bug 109224 (coroutines)

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "adapters/storage/case_json.h"
#include "daemon/api/case_access.h"
#include "daemon/api/daemon_routes.h"
#include "daemon/tasks/scheduler.h"
#include "tests/daemon/api_test_server.h"
#include "tests/support/people.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using test::http_once;
using test::Reply;
using test::TestApiServer;
using ::testing::HasSubstr;

constexpr const char* kCounty = "379901";
constexpr const char* kDongling = "379901001";
constexpr const char* kDonglingVillage = "379901001001";
constexpr const char* kLiushuVillage = "379901001002";

// The seven token roles, each with a scope that covers the Dongling village.
struct Holder {
  Role role;
  const char* scope;
  char letter;  // in the matrix below
};
const std::vector<Holder> kHolders = {
    {Role::kCountyAdmin, kCounty, 'A'},
    {Role::kCountyOffice, kCounty, 'O'},
    {Role::kTownshipClerk, kDongling, 'T'},
    {Role::kVillageOfficer, kDonglingVillage, 'V'},
    {Role::kAssistanceOfficer, kDonglingVillage, 'S'},
    {Role::kDepartmentClerk, kCounty, 'D'},
    {Role::kAuditor, kCounty, 'U'},
};

// One event class: a body that decodes (required fields present) and the letters of the
// roles that may post it. A=county_admin O=county_office T=township_clerk V=village_officer
// S=assistance_officer (帮扶责任人) D=department_clerk U=auditor.
struct EventRow {
  const char* body;
  const char* allowed;
};
const std::vector<EventRow> kEvents = {
    {R"({"type":"start_verification","verifier":"李*"})", "AT"},
    {R"({"type":"record_verification","accounts":[]})", "AT"},
    {R"({"type":"record_democratic_review","passed":true})", "ATV"},
    {R"({"type":"record_county_review"})", "AO"},
    {R"({"type":"publicity_objection","reason":"有人反映"})", "ATV"},
    {R"({"type":"close_publicity"})", "AOTV"},
    {R"({"type":"assign_officer","officer":"赵*"})", "AOT"},
    {R"({"type":"add_measure","measure_type":"industry","description":"养鸡",)"
     R"("start_date":"2025-03-03"})",
     "AOTS"},
    {R"({"type":"update_measure","measure_id":1,"status":"in_place"})", "AOTS"},
    {R"({"type":"record_visit","date":"2025-03-03","officer":"赵*"})", "ATVS"},
    {R"({"type":"record_monitoring","record":{}})", "AOTVS"},
    {R"({"type":"mark_developmental","date":"2025-03-03"})", "AOT"},
    {R"({"type":"update_household","household":{}})", "AOTV"},
    {R"({"type":"propose_elimination"})", "AOTV"},
    {R"({"type":"record_elimination_review","passed":true})", "ATV"},
    {R"({"type":"record_township_review","passed":true})", "AT"},
    {R"({"type":"elimination_objection","reason":"有人反映"})", "ATV"},
    {R"({"type":"close_elimination_publicity"})", "AO"},
    {R"({"type":"record_look_back","finding":"stable"})", "AOT"},
    {R"({"type":"record_approval","purpose":"rollback","level":"village","reason":"同意"})", "AV"},
    {R"({"type":"record_approval","purpose":"rollback","level":"township","reason":"同意"})", "AT"},
    {R"({"type":"record_approval","purpose":"clear_out","level":"city","reason":"同意"})", "AO"},
    {R"({"type":"apply_rollback"})", "AO"},
    {R"({"type":"apply_clear_out","reason":"不符合条件"})", "AO"},
    {R"({"type":"re_identify"})", "AOT"},
    {R"({"type":"record_major_event","date":"2025-03-03","kind":"death"})", "AOTVS"},
    // Issue 14: the Q4 evaluation's result; the statuses village and township confirm.
    {R"({"type":"record_evaluation","year":2025,"result":"risk_removed",)"
     R"("per_capita_income_fen":800000,"assessor":"张*"})",
     "AOT"},
    {R"({"type":"confirm_household_status","status":"guaranteed_support","level":"village",)"
     R"("reason":"同意"})",
     "AV"},
    {R"({"type":"confirm_household_status","status":"developmental","level":"township",)"
     R"("reason":"同意"})",
     "AT"},
    // fangfan's own (the department feed intake): no token, not even county_admin's.
    {R"({"type":"record_department_evidence","department":"civil_affairs","feed":"ca",)"
     R"("period":"2025-03","rule":"new_assistance","summary":"救助类别低保","member_name":"王*"})",
     ""},
};

class ApiAccessTest : public ::testing::Test {
 protected:
  ApiAccessTest() {
    for (const auto& h : kHolders) tokens_[h.letter] = server_.token(h.role, h.scope);
  }

  Reply post(const std::string& target, const std::string& token, const std::string& body) {
    return http_once(server_.port(), http::verb::post, target, token, body);
  }

  std::string open_body(const std::string& village, int n) {
    Household h = people_.household(village + "00" + std::to_string(n), village, 3);
    json::object body;
    body["household"] = case_json::encode(h);
    body["kind"] = "unstable";
    body["source"] = "village_screening";
    body["risk_causes"] = json::array{"disaster"};
    return json::serialize(body);
  }

  long long count(const std::string& sql) {
    auto s = server_.session();
    long long n = -1;
    *s << sql, soci::into(n);
    return n;
  }

  TestApiServer server_;
  std::map<char, std::string> tokens_;
  testing::PeopleGenerator people_{4242};
};

TEST_F(ApiAccessTest, EveryRoleAgainstEveryEventClass) {
  // Every event code of the API appears in the table at least once.
  std::set<std::string> covered;
  for (const auto& row : kEvents) {
    covered.insert(std::string(json::parse(row.body).at("type").as_string()));
  }
  EXPECT_EQ(covered.size(), 27u);  // issue 14: record_major_event, record_evaluation,
                                   // confirm_household_status

  for (const auto& row : kEvents) {
    for (const auto& h : kHolders) {
      const bool allowed = std::string(row.allowed).find(h.letter) != std::string::npos;
      Reply r = post("/api/v1/cases/424242/events", tokens_[h.letter], row.body);
      EXPECT_EQ(r.status, allowed ? 404u : 403u)
          << role_name(h.role) << " posting " << row.body << ": " << r.body;
      if (!allowed) {
        EXPECT_EQ(r.field("error"), "forbidden") << r.body;
      }
    }
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM case_history"), 0);
}

TEST_F(ApiAccessTest, OpeningACaseByRole) {
  int n = 0;
  for (const auto& h : kHolders) {
    const bool allowed = std::string("AOTV").find(h.letter) != std::string::npos;
    const long long before = count("SELECT COUNT(*) FROM cases");
    Reply r = post("/api/v1/cases", tokens_[h.letter], open_body(kDonglingVillage, ++n));
    EXPECT_EQ(r.status, allowed ? 201u : 403u) << role_name(h.role) << ": " << r.body;
    EXPECT_EQ(count("SELECT COUNT(*) FROM cases"), before + (allowed ? 1 : 0));
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM households"), 4);
}

TEST_F(ApiAccessTest, RefusalNamesTheRolesThatMay) {
  Reply r = post("/api/v1/cases/1/events", tokens_['V'], R"({"type":"record_county_review"})");
  ASSERT_EQ(r.status, 403u);
  EXPECT_THAT(r.field("message"), HasSubstr("county_admin, county_office"));
  EXPECT_THAT(r.field("message"), HasSubstr("nothing was changed"));
}

// A writer in role but outside scope: 403 and the case is as it was (version, history).
TEST_F(ApiAccessTest, OutsideScopeTouchesNothing) {
  Reply opened = post("/api/v1/cases", tokens_['A'], open_body(kLiushuVillage, 9));
  ASSERT_EQ(opened.status, 201u) << opened.body;
  const std::int64_t id = opened.json().at("case").at("id").as_int64();
  const std::string target = "/api/v1/cases/" + std::to_string(id) + "/events";
  for (char who : {'V', 'S'}) {  // both scoped to Dongling village, not Liushu
    Reply r = post(target, tokens_[who],
                   R"({"type":"record_visit","date":"2025-03-03","officer":"赵*"})");
    EXPECT_EQ(r.status, 403u) << r.body;
    Reply shown = http_once(server_.port(), http::verb::get, "/api/v1/cases/" + std::to_string(id),
                            tokens_[who]);
    EXPECT_EQ(shown.status, 403u) << shown.body;
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM case_history"), 1);
  EXPECT_EQ(count("SELECT version FROM cases WHERE id = " + std::to_string(id)), 1);
}

TEST_F(ApiAccessTest, DepartmentEvidenceIsRefusedToEveryToken) {
  for (const auto& h : kHolders) {
    Reply r =
        post("/api/v1/cases/1/events", tokens_[h.letter],
             R"({"type":"record_department_evidence","department":"civil_affairs",)"
             R"("feed":"ca","period":"2025-03","rule":"r","summary":"s","member_name":"王*"})");
    ASSERT_EQ(r.status, 403u) << role_name(h.role) << ": " << r.body;
    EXPECT_EQ(r.field("error"), "forbidden");
    EXPECT_THAT(r.field("message"), HasSubstr("nothing was changed"));
    // The auditor is kept out of every write by the route itself, before the event table.
    if (h.role != Role::kAuditor) {
      EXPECT_THAT(r.field("message"), HasSubstr("由系统根据部门数据自动登记"));
    }
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM case_history"), 0);
}

TEST_F(ApiAccessTest, DepartmentMeasuresAreRefusedToEveryToken) {
  for (const auto& h : kHolders) {
    Reply r = post("/api/v1/cases/1/events", tokens_[h.letter],
                   R"({"type":"record_department_measure","department":"civil_affairs",)"
                   R"("department_name":"县民政局","feed":"ca_feedback","period":"2025-03-01",)"
                   R"("member_id_number":"x","member_name":"王*",)"
                   R"("measure_type":"social_security","measure":"低保",)"
                   R"("start_date":"2025-03-01"})");
    ASSERT_EQ(r.status, 403u) << role_name(h.role) << ": " << r.body;
    EXPECT_THAT(r.field("message"), HasSubstr("nothing was changed"));
    if (h.role != Role::kAuditor) {
      EXPECT_THAT(r.field("message"), HasSubstr("记录部门落实的帮扶措施"));
    }
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM case_history"), 0);
  const CaseEvent measure = RecordDepartmentMeasure{};
  EXPECT_TRUE(roles_for_event(measure).empty());
  for (const auto& h : kHolders) EXPECT_TRUE(check_event_role(h.role, measure));
}

// Authorization comes first (issue 16): a role that may not post an event gets 403 whatever the
// body's fields hold; a role that may gets the 400 naming the field.
TEST_F(ApiAccessTest, ARoleForbiddenEventIs403BeforeItsFieldsAreChecked) {
  struct Row {
    char who;
    const char* target;
    const char* body;
    unsigned status;
  };
  const std::vector<Row> rows = {
      {'V', "/api/v1/cases/1/events", R"({"type":"record_county_review","bogus":1})", 403},
      {'O', "/api/v1/cases/1/events", R"({"type":"record_county_review","bogus":1})", 400},
      {'S', "/api/v1/cases/1/events", R"({"type":"start_verification","verifier":5})", 403},
      {'T', "/api/v1/cases/1/events", R"({"type":"start_verification","verifier":5})", 400},
      {'D', "/api/v1/cases/1/events", R"({"type":"record_visit","date":"soon"})", 403},
      {'S', "/api/v1/cases/1/events", R"({"type":"record_visit","date":"soon"})", 400},
      // record_approval: no level is the assistance officer's; the village officer's level is
      // checked once the body is read.
      {'S', "/api/v1/cases/1/events", R"({"type":"record_approval","level":"nowhere"})", 403},
      {'V', "/api/v1/cases/1/events", R"({"type":"record_approval","level":"nowhere"})", 400},
      {'S', "/api/v1/cases", R"({"household":7,"bogus":true})", 403},
      {'D', "/api/v1/cases", R"({"household":7,"bogus":true})", 403},
      {'V', "/api/v1/cases", R"({"household":7,"bogus":true})", 400},
  };
  for (const Row& row : rows) {
    Reply r = post(row.target, tokens_[row.who], row.body);
    EXPECT_EQ(r.status, row.status) << row.who << " " << row.body << ": " << r.body;
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM case_history"), 0);
}

// An assistance officer may import visits (record_visit), so it reads its own import's bad rows;
// not those of a cases import (open_case is not its), and auditors and departments read none.
TEST_F(ApiAccessTest, BadRowsAreReadByTheRolesThatMayImportThatKind) {
  Reply visits = post("/api/v1/imports?kind=visits&name=visits.csv", tokens_['S'],
                      "户编码,走访日期,走访人,走访内容\n37990100100199,2025-03-03,赵*,在家\n");
  ASSERT_EQ(visits.status, 201u) << visits.body;
  const std::string visits_csv = "/api/v1/imports/" +
                                 std::to_string(visits.json().at("import").at("id").as_int64()) +
                                 "/bad-rows.csv";
  Reply cases = post("/api/v1/imports?kind=cases&name=cases.csv", tokens_['V'],
                     "户编码,村编码,户主姓名,身份证号,联系电话,监测对象类型,信息来源\n"
                     "37990100100198,379901001001,王*,x,13800000000,unstable,village_screening\n");
  ASSERT_EQ(cases.status, 201u) << cases.body;
  const std::string cases_csv = "/api/v1/imports/" +
                                std::to_string(cases.json().at("import").at("id").as_int64()) +
                                "/bad-rows.csv";

  struct Row {
    char who;
    const std::string& target;
    unsigned status;
  };
  const std::vector<Row> rows = {
      {'S', visits_csv, 200}, {'V', visits_csv, 200}, {'T', visits_csv, 200},
      {'A', visits_csv, 200}, {'U', visits_csv, 403}, {'D', visits_csv, 403},
      {'S', cases_csv, 403},  {'V', cases_csv, 200},  {'A', cases_csv, 200},
  };
  for (const Row& row : rows) {
    Reply r = http_once(server_.port(), http::verb::get, row.target, tokens_[row.who]);
    EXPECT_EQ(r.status, row.status) << row.who << " " << row.target << ": " << r.body;
  }
}

// county_admin may do everything (docs/api.md), campaign milestones included; the roles the
// route names may too, other roles not, whatever the body.
TEST(RouteAccess, MilestoneDoneByRole) {
  boost::asio::io_context idle;  // the scheduler is built as the daemon builds it, never run
  std::unique_ptr<Scheduler> scheduler;
  TestApiServer server({}, [&](HttpApi& api) {
    ApiServices& s = api.services();
    scheduler = std::make_unique<Scheduler>(idle.get_executor(), s.storage, s.clock, nullptr,
                                            s.config, s.calendar, [] {});
    register_daemon_routes(api, *scheduler);
  });
  const std::string done = "/api/v1/campaigns/screening_2023/milestones/plan/done";
  for (const auto& h : kHolders) {
    const bool allowed = std::string("AOT").find(h.letter) != std::string::npos;
    Reply r = http_once(server.port(), http::verb::post, done, server.token(h.role, h.scope),
                        R"({"township":"379901001"})");
    EXPECT_EQ(r.status, allowed ? 200u : 403u) << role_name(h.role) << ": " << r.body;
    // A forbidden role is refused before the body is read.
    if (!allowed) {
      r = http_once(server.port(), http::verb::post, done, server.token(h.role, h.scope), "{");
      EXPECT_EQ(r.status, 403u) << role_name(h.role) << ": " << r.body;
    }
  }
}

TEST(CaseAccess, TheSystemsOwnEventsHaveNoRole) {
  const CaseEvent evidence = RecordDepartmentEvidence{};
  EXPECT_TRUE(roles_for_event(evidence).empty());
  for (const auto& h : kHolders) {
    EXPECT_TRUE(check_event_role(h.role, evidence)) << role_name(h.role);
  }
  EXPECT_EQ(roles_for_event(RecordVisit{}).front(), Role::kCountyAdmin);
}

TEST(CaseAccess, CountyAdminMayPostEveryEvent) {
  const std::vector<CaseEvent> events = {StartVerification{}, RecordCountyReview{},
                                         RecordApproval{},    ApplyClearOut{},
                                         RecordVisit{},       ReIdentify{}};
  for (const auto& e : events) {
    EXPECT_FALSE(check_event_role(Role::kCountyAdmin, e)) << event_name(e);
    EXPECT_TRUE(check_event_role(Role::kAuditor, e)) << event_name(e);
    EXPECT_TRUE(check_event_role(Role::kDepartmentClerk, e)) << event_name(e);
  }
}

}  // namespace
}  // namespace fangfan
