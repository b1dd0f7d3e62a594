// Who sees what of department feeds and alerts over HTTP (daemon/api/feed_routes.h): a
// department clerk scoped to a department sees its own feeds, runs and alerts only; auditors read
// runs but never bad rows (they hold ID numbers in full); township clerks see their township's
// alerts and no feeds; village officers no alerts; lists mask ID numbers, one alert shows them to
// those who verify it; bad rows are paged with their total; out-of-schedule runs without a runner
// answer 503. The runs and alerts are written with the stores, as an intake would.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <sstream>

#include "adapters/storage/alert_store.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/feed_store.h"
#include "daemon/api/auth.h"
#include "daemon/api/feed_routes.h"
#include "daemon/ctl/ctl_feed.h"
#include "tests/daemon/api_test_server.h"
#include "workflows/alert_loop.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using ::testing::HasSubstr;

constexpr const char* kId = "379901195706171005";

class FeedApi : public ::testing::Test {
 protected:
  FeedApi()
      : server_({}, [this](HttpApi& api) {
          register_feed_routes(api.router(), api.services(), nullptr);
          // On the loop thread, at each wake after a write: how many writes the API's group of
          // case writes (write_group.h) had run by then.
          auto wake = api.services().case_written;
          api.services().case_written = [this, &api, wake] {
            group_writes_at_wake_ = api.services().case_writes.stats().writes;
            if (wake) wake();
          };
        }) {}

  void SetUp() override {
    auto s = server_.session();
    WriteTransaction tx(*s);
    const TimePoint now = server_.clock().now();
    for (const char* feed : {"civil_affairs", "medical_insurance"}) {
      NewFeedRun run{feed, feed,       "2025-05", std::string(feed) + "-2025-05.csv",
                     "ab", "schedule", now,       std::nullopt};
      const std::int64_t id = create_feed_run(*s, run);
      std::vector<NewBadRow> bad;
      for (int line = 2; line < 7; ++line) {
        NewBadRow b;
        b.line = line;
        b.field = "id_number";
        b.header = "身份证号";
        b.reason = "身份证号校验位错误";
        b.raw = json::serialize(json::object{{"身份证号", kId}});
        bad.push_back(b);
      }
      insert_feed_bad_rows(*s, id, bad);
      FeedRunCounts counts;
      counts.rows_read = 10;
      counts.rows_quarantined = 5;
      finish_feed_run(*s, id, counts, now);
      runs_[feed] = id;
    }
    NewAlertRecord a;
    a.feed = "civil_affairs";
    a.department = "civil_affairs";
    a.period = "2025-05";
    a.rule = "new_assistance";
    a.rule_label = "新纳入低保/特困/临时救助";
    a.id_number = kId;
    a.name = "周国华";
    a.village_code = "379901001001";
    a.township_code = "379901001";
    a.created_at = now;
    alert_ = insert_alert(*s, a).id;
    a.id_number = "37990120050208101X";
    a.village_code = "379901002001";
    a.township_code = "379901002";
    insert_alert(*s, a);
    tx.commit();
  }

  test::Reply get(const std::string& path, const std::string& token) {
    return test::http_once(server_.port(), http::verb::get, path, token);
  }

  std::atomic<std::int64_t> group_writes_at_wake_{-1};  // before server_, which sets it
  test::TestApiServer server_;
  std::map<std::string, std::int64_t> runs_;
  std::int64_t alert_ = 0;
};

TEST_F(FeedApi, ADepartmentClerkSeesItsOwnDepartmentOnly) {
  const std::string clerk = server_.token(Role::kDepartmentClerk, "medical_insurance", "尤明");
  test::Reply feeds = get("/api/v1/feeds", clerk);
  ASSERT_EQ(feeds.status, 200u) << feeds.body;
  const json::value answer = feeds.json();
  const json::array& list = answer.at("feeds").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("name").as_string(), "medical_insurance");
  test::Reply runs = get("/api/v1/feeds/runs", clerk);
  ASSERT_EQ(runs.status, 200u);
  EXPECT_EQ(runs.json().at("total").as_int64(), 1);
  EXPECT_EQ(get("/api/v1/feeds/runs/" + std::to_string(runs_["civil_affairs"]), clerk).status,
            403u);
  EXPECT_EQ(
      get("/api/v1/feeds/runs/" + std::to_string(runs_["medical_insurance"]) + "/bad-rows", clerk)
          .status,
      200u);
  // Civil affairs' alerts are not medical insurance's.
  EXPECT_EQ(get("/api/v1/alerts", clerk).json().at("total").as_int64(), 0);
  EXPECT_EQ(get("/api/v1/alerts/" + std::to_string(alert_), clerk).status, 403u);
  // A county-scoped department clerk sees every department.
  const std::string county = server_.token(Role::kDepartmentClerk, "379901", "许文");
  EXPECT_EQ(get("/api/v1/feeds/runs", county).json().at("total").as_int64(), 2);
}

TEST_F(FeedApi, BadRowsArePagedWithTheirTotalAndNeverShownToAuditors) {
  const std::string admin = server_.token(Role::kCountyAdmin, "379901", "周建国");
  const std::string auditor = server_.token(Role::kAuditor, "379901", "审计");
  const std::string path =
      "/api/v1/feeds/runs/" + std::to_string(runs_["civil_affairs"]) + "/bad-rows";
  test::Reply page = get(path + "?limit=2&offset=2", admin);
  ASSERT_EQ(page.status, 200u) << page.body;
  EXPECT_EQ(page.json().at("total").as_int64(), 5);
  const json::value answer = page.json();
  const json::array& rows = answer.at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("line").as_int64(), 4);
  EXPECT_EQ(rows[0].at("cells").at("身份证号").as_string(), kId);
  test::Reply csv = get(path + "?format=csv", admin);
  ASSERT_EQ(csv.status, 200u);
  EXPECT_THAT(csv.body, HasSubstr("原行号"));
  EXPECT_EQ(get(path, auditor).status, 403u);
  EXPECT_EQ(get("/api/v1/feeds/runs", auditor).status, 200u);
  EXPECT_EQ(get(path + "?limit=0", admin).status, 400u);
}

TEST_F(FeedApi, AlertsByTownshipMaskedInListsFullToVerifiers) {
  const std::string clerk = server_.token(Role::kTownshipClerk, "379901001", "王丽");
  const std::string village = server_.token(Role::kVillageOfficer, "379901001001", "村干部");
  const std::string auditor = server_.token(Role::kAuditor, "379901", "审计");
  test::Reply mine = get("/api/v1/alerts", clerk);
  ASSERT_EQ(mine.status, 200u) << mine.body;
  const json::value list = mine.json();
  ASSERT_EQ(list.at("total").as_int64(), 1);
  const json::value& a = list.at("alerts").as_array()[0];
  EXPECT_EQ(a.at("id_number").as_string(), "379901********1005");
  EXPECT_EQ(a.at("name").as_string(), "周**");
  test::Reply one = get("/api/v1/alerts/" + std::to_string(alert_), clerk);
  ASSERT_EQ(one.status, 200u);
  EXPECT_EQ(one.json().at("alert").at("id_number").as_string(), kId);
  EXPECT_EQ(get("/api/v1/alerts/" + std::to_string(alert_), auditor)
                .json()
                .at("alert")
                .at("id_number")
                .as_string(),
            "379901********1005");
  EXPECT_EQ(get("/api/v1/alerts", village).status, 403u);
  EXPECT_EQ(get("/api/v1/feeds", clerk).status, 403u);
  // Another township's clerk may not see it, nor close it.
  const std::string other = server_.token(Role::kTownshipClerk, "379901002", "陈静");
  EXPECT_EQ(get("/api/v1/alerts/" + std::to_string(alert_), other).status, 403u);
  test::Reply refused = test::http_once(server_.port(), http::verb::post,
                                        "/api/v1/alerts/" + std::to_string(alert_) + "/dismiss",
                                        other, R"({"reason":"不是本镇的"})");
  EXPECT_EQ(refused.status, 403u);
  // Its own clerk dismisses it once; a second time it is no longer open.
  const std::string dismiss = "/api/v1/alerts/" + std::to_string(alert_) + "/dismiss";
  EXPECT_EQ(test::http_once(server_.port(), http::verb::post, dismiss, clerk,
                            R"({"reason":"已核实：外出务工收入稳定"})")
                .status,
            200u);
  EXPECT_EQ(
      test::http_once(server_.port(), http::verb::post, dismiss, clerk, R"({"reason":"again"})")
          .status,
      409u);
  EXPECT_EQ(
      get("/api/v1/alerts/" + std::to_string(alert_), clerk).json().at("history").as_array().size(),
      1u);
}

// Issue 15, item 2: an alert's writes are committed in the API's groups of writes, like the case
// routes' (one commit per group, the wake after it), not each in a transaction of its own.
TEST_F(FeedApi, AlertWritesAreCommittedInTheGroupsOfCaseWrites) {
  const std::string clerk = server_.token(Role::kTownshipClerk, "379901001", "王丽");
  const std::string other = server_.token(Role::kTownshipClerk, "379901002", "陈静");
  const std::string dismiss = "/api/v1/alerts/" + std::to_string(alert_) + "/dismiss";
  struct Case {
    const char* name;
    const std::string* token;
    unsigned status;
    std::int64_t writes_at_wake;  // -1: no write kept, so no wake
  };
  const std::vector<Case> cases = {
      {"another township's clerk is refused before anything runs", &other, 403u, -1},
      {"its own clerk's dismissal is the group's first write", &clerk, 200u, 1},
      {"a second dismissal is refused before it is written", &clerk, 409u, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const test::Reply r = test::http_once(server_.port(), http::verb::post, dismiss, *c.token,
                                          R"({"reason":"已核实：外出务工收入稳定"})");
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(group_writes_at_wake_.load(), c.writes_at_wake);
  }
  EXPECT_EQ(server_.case_write_wakeups(), 1);
}

TEST_F(FeedApi, RunsOutOfScheduleNeedTheRunner) {
  const std::string admin = server_.token(Role::kCountyAdmin, "379901", "周建国");
  EXPECT_EQ(test::http_once(server_.port(), http::verb::post, "/api/v1/feeds/civil_affairs/runs",
                            admin, R"({"period":"2025-05"})")
                .status,
            503u);
  EXPECT_EQ(
      test::http_once(server_.port(), http::verb::post, "/api/v1/feeds/nothing/runs", admin, "")
          .status,
      404u);
  EXPECT_EQ(test::http_once(server_.port(), http::verb::post, "/api/v1/feeds/civil_affairs/runs",
                            admin, R"({"period":"2025-13"})")
                .status,
            400u);
}

// Issue 14 item 6: [004]'s loop "市脱办复审并反馈至行业部门、行业部门限时完成补短帮扶" — the
// department the county review gives a monitored case's alert to works it, so its clerk's list
// holds it beside the department's own feed alerts; the list narrows to one stage of the loop.
TEST_F(FeedApi, AlertsByStageAndTheCaseAlertsGivenToADepartment) {
  std::int64_t case_alert = 0;
  {
    auto s = server_.session();
    WriteTransaction tx(*s);
    const TimePoint now = server_.clock().now();
    HouseholdRecord h;
    h.code = "37990100100107";
    h.village_code = "379901001001";
    h.township_code = "379901001";
    h.head_name = "户主甲";
    h.created_at = h.updated_at = now;
    insert_household(*s, h);
    CaseRecord c;
    c.household_code = h.code;
    c.kind = "marginal";
    c.state = "registered";
    c.opened_at = c.updated_at = now;
    const std::int64_t case_id = insert_case(*s, c);
    NewAlertRecord a;
    a.feed = kCaseAlertFeed;
    a.period = "2025-05";
    a.rule = "basic_needs_unmet";
    a.rule_label = "两不愁三保障出现缺项";
    a.id_number = "379901197001011238";
    a.name = "户主甲";
    a.village_code = h.village_code;
    a.township_code = h.township_code;
    a.created_at = now;
    case_alert = insert_case_alert(*s, a, case_id, "township_review").id;
    ASSERT_TRUE(
        move_alert_stage(*s, case_alert, "township_review", "county_review", "", "", "王丽", now));
    ASSERT_TRUE(move_alert_stage(*s, case_alert, "county_review", "department", "medical_insurance",
                                 "", "县局", now));
    tx.commit();
  }
  const std::string county = server_.token(Role::kCountyOffice, "379901", "县局");
  const std::string medical = server_.token(Role::kDepartmentClerk, "medical_insurance", "尤明");
  const std::string civil = server_.token(Role::kDepartmentClerk, "civil_affairs", "民政");
  struct Case {
    const char* name;
    const std::string* token;
    std::string query;
    std::vector<std::int64_t> ids;  // newest first
  };
  const std::vector<Case> cases = {
      {"the county sees all", &county, "", {case_alert, alert_ + 1, alert_}},
      {"at the department stage", &county, "?stage=department", {case_alert}},
      {"at the township review", &county, "?stage=township_review", {}},
      {"the assigned department", &medical, "", {case_alert}},
      {"the assigned department at its stage", &medical, "?stage=department", {case_alert}},
      {"another department's feed is not its", &medical, "?feed=civil_affairs", {}},
      {"a department's own feed alerts", &civil, "", {alert_ + 1, alert_}},
      {"its feed alerts have no stage", &civil, "?stage=county_review", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    test::Reply r = get("/api/v1/alerts" + c.query, *c.token);
    ASSERT_EQ(r.status, 200u) << r.body;
    const json::value answer = r.json();
    std::vector<std::int64_t> ids;
    for (const auto& a : answer.at("alerts").as_array()) ids.push_back(a.at("id").as_int64());
    EXPECT_EQ(ids, c.ids);
    EXPECT_EQ(answer.at("total").as_int64(), static_cast<std::int64_t>(c.ids.size()));
  }
  // The one alert too: the assigned department's clerk may open it, another department may not.
  EXPECT_EQ(get("/api/v1/alerts/" + std::to_string(case_alert), medical).status, 200u);
  EXPECT_EQ(get("/api/v1/alerts/" + std::to_string(case_alert), civil).status, 403u);
  // An unknown stage is a 400 naming the field.
  for (const char* bad : {"?stage=review", "?stage=TOWNSHIP_REVIEW", "?stage=none"}) {
    test::Reply r = get(std::string("/api/v1/alerts") + bad, county);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_EQ(r.field("field"), "stage") << bad;
  }
  // fangfanctl alerts --stage asks the same.
  CtlEnvironment env;
  env.getenv = [](const std::string&) { return std::optional<std::string>(); };
  auto ctl = [&](std::vector<std::string> args, std::string& out_text) {
    args.insert(args.end(),
                {"--api", "127.0.0.1:" + std::to_string(server_.port()), "--token", medical});
    std::ostringstream out, err;
    const int code = run_feed_command("alerts", std::move(args), env, out, err);
    out_text = out.str() + err.str();
    return code;
  };
  std::string text;
  ASSERT_EQ(ctl({"--stage", "department", "--json"}, text), 0) << text;
  EXPECT_EQ(json::parse(text).at("total").as_int64(), 1);
  EXPECT_EQ(ctl({"--stage", "review"}, text), 1);
  EXPECT_THAT(text, HasSubstr("stage"));
}

TEST(FeedApiGrant, ADepartmentClerksTokenMayNameADepartment) {
  test::TempDir dir;
  auto config = test::example_config(dir.path());
  EXPECT_FALSE(check_token_grant(*config, Role::kDepartmentClerk, "civil_affairs").has_value());
  EXPECT_TRUE(check_token_grant(*config, Role::kTownshipClerk, "civil_affairs").has_value());
  EXPECT_TRUE(check_token_grant(*config, Role::kDepartmentClerk, "no_such_department").has_value());
}

}  // namespace
}  // namespace fangfan
