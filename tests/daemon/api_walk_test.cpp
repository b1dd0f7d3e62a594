// Issue 4's "done when", end to end with the real programs: a newcomer follows one household
// from application through verification, review, publicity, registration, officer assignment,
// visits, elimination, look-back and rollback with fangfanctl against a running fangfand; the
// township clerk does some of the steps with plain HTTP (what curl sends); a token of another
// township gets 403 and changes nothing; /metrics shows the counts.
//
// The daemon runs on a simulated clock (--simulated-clock). Where the procedure must wait (the
// 5-day publicities), the daemon is stopped and started again later on the clock: the case is in
// the database, so nothing but time changes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "adapters/storage/case_json.h"
#include "tests/daemon/county_daemon.h"
#include "tests/support/people.h"
#include "workflows/household.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::RunResult;

// The example county's daemon (tests/daemon/county_daemon.h), restarted at later simulated
// times for the publicity waits.
class ApiWalk : public test::CountyDaemon {
 protected:
  using CountyDaemon::ctl;
  // fangfanctl against the daemon, address and token from the environment as a newcomer sets them.
  RunResult ctl(const std::string& token, std::vector<std::string> args) {
    return ctl(std::move(args),
               {{"FANGFAN_API", "127.0.0.1:" + std::to_string(port_)}, {"FANGFAN_TOKEN", token}});
  }
  // `fangfanctl case event 1 FILE --type TYPE` with `fields` as the file.
  RunResult event(const std::string& token, const std::string& type, json::object fields = {}) {
    const fs::path file = dir_.path() / ("event-" + std::to_string(++files_) + ".json");
    std::ofstream(file) << json::serialize(fields);
    return ctl(token, {"case", "event", "1", file.string(), "--type", type});
  }
  // The same step with plain HTTP, as curl sends it.
  test::Reply http_event(const std::string& token, json::object body) {
    return test::http_once(port_, http::verb::post, "/api/v1/cases/1/events", token,
                           json::serialize(body));
  }
  std::string state(const std::string& token) {
    test::Reply r = test::http_once(port_, http::verb::get, "/api/v1/cases/1", token);
    EXPECT_EQ(r.status, 200u) << r.body;
    return std::string(r.json().at("case").at("state").as_string());
  }

  int files_ = 0;
};

#define EXPECT_STEP(result, state_text)                                 \
  do {                                                                  \
    const RunResult r_ = (result);                                      \
    EXPECT_EQ(r_.status, 0) << r_.output;                               \
    EXPECT_THAT(r_.output, HasSubstr("(" state_text ")")) << r_.output; \
  } while (0)

TEST_F(ApiWalk, OneHouseholdFromApplicationToRollback) {
  const std::string admin = token("county_admin", "379901", "县管理员周*");
  const std::string office = token("county_office", "379901", "县乡村振兴局孙*");
  const std::string clerk = token("township_clerk", "379901001", "镇扶贫办李*");
  const std::string village = token("village_officer", "379901001001", "村干部王*");
  const std::string helper = token("assistance_officer", "379901001001", "第一书记赵*");
  const std::string stranger = token("township_clerk", "379901002", "西桥镇钱*");

  start("2025-03-03T09:00");
  // Application: the household's own request, entered by the township clerk.
  testing::PeopleGenerator people(20251123);
  json::object open{
      {"household", case_json::encode(people.household("37990100100101", "379901001001", 3))},
      {"kind", "unstable"},
      {"source", "self_application"},
      {"risk_causes", json::array{"illness"}}};
  std::ofstream(dir_.path() / "open.json") << json::serialize(open);
  RunResult opened = ctl(clerk, {"case", "open", (dir_.path() / "open.json").string()});
  ASSERT_EQ(opened.status, 0) << opened.output;
  EXPECT_THAT(opened.output, HasSubstr("案件 (case) 1"));

  // Verification (入户核实) by the township.
  EXPECT_STEP(event(clerk, "start_verification", {{"verifier", "镇扶贫办李*"}}),
              "household_verification");
  const IncomeWindow w = income_window(std::chrono::year(2025) / std::chrono::March);
  json::array accounts;
  for (auto m = w.first; m <= w.last; m += std::chrono::months(1)) {
    accounts.push_back(
        {{"month", format_month(m)}, {"wage_income_fen", 20000}, {"medical_expense_fen", 25000}});
  }
  EXPECT_STEP(event(clerk, "record_verification",
                    {{"accounts", accounts}, {"hardship", {{"basic_needs_affected", true}}}}),
              "democratic_review");

  // Another township's clerk: 403 on read and on write, nothing changes.
  EXPECT_EQ(test::http_once(port_, http::verb::get, "/api/v1/cases/1", stranger).status, 403u);
  test::Reply refused = http_event(stranger, {{"type", "record_democratic_review"},
                                              {"passed", true},
                                              {"asset_authorisation_signed", true}});
  EXPECT_EQ(refused.status, 403u) << refused.body;
  RunResult refused_ctl = event(stranger, "record_democratic_review",
                                {{"passed", true}, {"asset_authorisation_signed", true}});
  EXPECT_EQ(refused_ctl.status, 1);
  EXPECT_THAT(refused_ctl.output, HasSubstr("nothing was changed"));
  EXPECT_EQ(state(admin), "democratic_review");

  // The democratic review with plain HTTP by the township clerk; the county review by the
  // county office (a township clerk may not: 403).
  test::Reply reviewed = http_event(clerk, {{"type", "record_democratic_review"},
                                            {"passed", true},
                                            {"asset_authorisation_signed", true}});
  ASSERT_EQ(reviewed.status, 200u) << reviewed.body;
  EXPECT_EQ(http_event(clerk, {{"type", "record_county_review"}}).status, 403u);
  EXPECT_STEP(event(office, "record_county_review"), "village_publicity");
  // Publicity cannot close before its 5 days: the machine's sentence, exit 1.
  RunResult early = event(village, "close_publicity");
  EXPECT_EQ(early.status, 1) << early.output;

  // A week later: publicity over, registration, officer, visits.
  stop();
  start("2025-03-12T09:00");
  test::Reply registered = http_event(clerk, {{"type", "close_publicity"}});
  ASSERT_EQ(registered.status, 200u) << registered.body;
  EXPECT_EQ(registered.json().at("case").at("state").as_string(), "registered");
  EXPECT_STEP(event(clerk, "assign_officer", {{"officer", "第一书记赵*"}}), "registered");
  EXPECT_STEP(event(helper, "record_visit",
                    {{"date", "2025-03-12"}, {"officer", "第一书记赵*"}, {"findings", "已就医"}}),
              "registered");
  test::Reply visit = http_event(clerk, {{"type", "record_visit"},
                                         {"date", "2025-03-12"},
                                         {"officer", "第一书记赵*"},
                                         {"findings", "电话回访"}});
  EXPECT_EQ(visit.status, 200u) << visit.body;
  RunResult listed = ctl(helper, {"cases", "--officer", "第一书记赵*"});
  EXPECT_EQ(listed.status, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("37990100100101"));
  RunResult overdue = ctl(clerk, {"overdue", "--json"});
  EXPECT_EQ(overdue.status, 0) << overdue.output;
  EXPECT_THAT(overdue.output, HasSubstr("\"duties\""));
  EXPECT_EQ(ctl(clerk, {"overdue", "--township", "379901002"}).status, 1);

  // Elimination (风险消除) rests on evidence (issue 14): the county's risk evaluation says the
  // risk is removed, income above the line. Then democratic review, township review, 5-day
  // publicity, county marks.
  EXPECT_EQ(event(clerk, "propose_elimination").status, 1);
  EXPECT_STEP(event(office, "record_evaluation",
                    {{"year", 2025},
                     {"result", "risk_removed"},
                     {"per_capita_income_fen", 800000},
                     {"assessor", "县扶贫办张*"}}),
              "registered");
  EXPECT_STEP(event(clerk, "propose_elimination"), "elimination_review");
  EXPECT_STEP(event(village, "record_elimination_review", {{"passed", true}}),
              "township_elimination_review");
  EXPECT_STEP(event(clerk, "record_township_review", {{"passed", true}}), "elimination_publicity");
  stop();
  start("2025-03-24T09:00");
  EXPECT_STEP(event(office, "close_elimination_publicity"), "eliminated");

  // Look-back (回头看) finds the elimination inaccurate; township, village and city approve;
  // the county rolls it back.
  EXPECT_STEP(event(office, "record_look_back",
                    {{"finding", "inaccurate"}, {"reason", "医疗支出仍高于收入"}}),
              "eliminated");
  EXPECT_STEP(event(clerk, "record_approval",
                    {{"purpose", "rollback"}, {"level", "township"}, {"reason", "同意回退"}}),
              "eliminated");
  EXPECT_STEP(event(village, "record_approval",
                    {{"purpose", "rollback"}, {"level", "village"}, {"reason", "同意回退"}}),
              "eliminated");
  EXPECT_EQ(event(clerk, "record_approval",
                  {{"purpose", "rollback"}, {"level", "city"}, {"reason", "同意"}})
                .status,
            1);  // the city's approval is the county office's to record
  EXPECT_STEP(event(office, "record_approval",
                    {{"purpose", "rollback"}, {"level", "city"}, {"reason", "市局同意回退"}}),
              "eliminated");
  EXPECT_STEP(event(office, "apply_rollback"), "registered");

  // The whole history, read back, and the scope once more.
  RunResult shown = ctl(admin, {"cases", "--json"});
  EXPECT_EQ(shown.status, 0) << shown.output;
  EXPECT_THAT(shown.output, HasSubstr("\"count\":1"));
  test::Reply history = test::http_once(port_, http::verb::get, "/api/v1/cases/1", clerk);
  ASSERT_EQ(history.status, 200u);
  EXPECT_EQ(history.json().at("history").as_array().size(), 19u);  // with the evaluation
  EXPECT_THAT(history.body, HasSubstr("第一书记赵*"));
  EXPECT_EQ(ctl(stranger, {"cases", "--json"}).output.find("37990100100101"), std::string::npos);

  // /metrics shows the case and the refusals of this run.
  test::Reply metrics = test::http_once(port_, http::verb::get, "/metrics", admin);
  ASSERT_EQ(metrics.status, 200u);
  EXPECT_THAT(metrics.body, HasSubstr("fangfan_cases{state=\"registered\"} 1"));
  EXPECT_THAT(metrics.body,
              HasSubstr("fangfan_http_requests_total{method=\"POST\",route=\"/api/v1/cases/{id}/"
                        "events\",status=\"200\"}"));
  EXPECT_THAT(metrics.body, HasSubstr("status=\"403\"}"));
}

}  // namespace
}  // namespace fangfan
