// The API's parts that need no network: routing, target parsing, JSON field reading, the
// Prometheus text, scope and role rules, bearer parsing, and fangfanctl's address resolution.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <fstream>

#include "adapters/storage/case_text.h"
#include "daemon/api/auth.h"
#include "daemon/api/case_routes.h"
#include "daemon/api/json_errors.h"
#include "daemon/api/metrics.h"
#include "daemon/api/request_handler.h"
#include "daemon/api/router.h"
#include "daemon/ctl/ctl_http.h"
#include "tests/daemon/api_test_server.h"
#include "workflows/date.h"
#include "workflows/id_number.h"
#include "workflows/message_templates.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

ApiHandler noop() {
  return [](ApiRequest&) -> boost::asio::awaitable<ApiResponse> { co_return ApiResponse{}; };
}

std::vector<std::string> segments(const std::string& path) { return parse_target(path).segments; }

// ---- router

TEST(Router, LiteralSegmentsBeatParametersAndParametersAreNamed) {
  Router r;
  r.add(http::verb::get, "/api/v1/outbox/{id}", Access::read(), noop());
  r.add(http::verb::get, "/api/v1/outbox/stats", Access::read(), noop());
  r.add(http::verb::post, "/api/v1/cases/{id}/events", Access::write(), noop());
  r.add(http::verb::get, "/api/v1/cases/{id}/events/{seq}", Access::read(), noop());

  auto m = r.match(http::verb::get, segments("/api/v1/outbox/stats"));
  ASSERT_TRUE(std::holds_alternative<Router::Match>(m));
  EXPECT_EQ(std::get<Router::Match>(m).route->pattern, "/api/v1/outbox/stats");

  m = r.match(http::verb::get, segments("/api/v1/outbox/42"));
  ASSERT_TRUE(std::holds_alternative<Router::Match>(m));
  EXPECT_EQ(std::get<Router::Match>(m).route->pattern, "/api/v1/outbox/{id}");
  EXPECT_EQ(std::get<Router::Match>(m).params.at("id"), "42");

  m = r.match(http::verb::get, segments("/api/v1/cases/7/events/3"));
  ASSERT_TRUE(std::holds_alternative<Router::Match>(m));
  EXPECT_EQ(std::get<Router::Match>(m).params.at("id"), "7");
  EXPECT_EQ(std::get<Router::Match>(m).params.at("seq"), "3");

  // Trailing slash ignored; empty parameter segment never matches.
  EXPECT_TRUE(std::holds_alternative<Router::Match>(
      r.match(http::verb::post, segments("/api/v1/cases/7/events/"))));
  auto miss = r.match(http::verb::get, segments("/api/v1/cases//events/3"));
  ASSERT_TRUE(std::holds_alternative<Router::NoMatch>(miss));
  EXPECT_TRUE(std::get<Router::NoMatch>(miss).allowed.empty());

  // Known path, other method: the allowed methods for a 405.
  miss = r.match(http::verb::delete_, segments("/api/v1/cases/7/events"));
  ASSERT_TRUE(std::holds_alternative<Router::NoMatch>(miss));
  EXPECT_THAT(std::get<Router::NoMatch>(miss).allowed, ElementsAre(http::verb::post));
}

TEST(Router, RefusesAmbiguousOrMalformedPatterns) {
  Router r;
  r.add(http::verb::get, "/api/v1/cases/{id}", Access::read(), noop());
  EXPECT_THROW(r.add(http::verb::get, "/api/v1/cases/{case}", Access::read(), noop()),
               std::logic_error);
  EXPECT_NO_THROW(r.add(http::verb::put, "/api/v1/cases/{id}", Access::write(), noop()));
  EXPECT_THROW(r.add(http::verb::get, "api/v1/x", Access::read(), noop()), std::logic_error);
  EXPECT_THROW(r.add(http::verb::get, "/api//x", Access::read(), noop()), std::logic_error);
  EXPECT_THROW(r.add(http::verb::get, "/a/{x}/{x}", Access::read(), noop()), std::logic_error);
}

// ---- target parsing

TEST(ParseTarget, DecodesPathAndQuery) {
  ParsedTarget t = parse_target("/api/v1/cases/%E7%8E%8B/x?state=under%20review&kind=a+b&flag");
  EXPECT_EQ(t.path, "/api/v1/cases/王/x");
  EXPECT_THAT(t.segments, ElementsAre("api", "v1", "cases", "王", "x"));
  EXPECT_EQ(t.query.at("state"), "under review");
  EXPECT_EQ(t.query.at("kind"), "a b");
  EXPECT_EQ(t.query.at("flag"), "");
}

TEST(ParseTarget, RefusesWhatIsNotAnOriginFormPath) {
  for (const char* bad :
       {"", "api/v1", "http://x/api", "/a%2", "/a%zz", "/a%00b", "/a?x=%G1", "/a#frag"}) {
    try {
      parse_target(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status(), http::status::bad_request) << bad;
    }
  }
  try {
    parse_target("/a?status=x&status=y");
    ADD_FAILURE() << "a repeated key was accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.field(), "status");
  }
}

// ---- JSON fields

ApiError error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no ApiError";
  return ApiError::internal("none");
}

TEST(JsonFields, ReadsTypedFieldsAndNamesTheFullPathOnError) {
  JsonFields body =
      JsonFields::parse(R"({"visit":{"date":"2025-03-01","at":"2025-03-01T09:30","n":3,"ok":true,)"
                        R"("tags":["a","b"],"members":[{"id":"x"},{"id":5}]}})");
  JsonFields visit = body.object("visit");
  EXPECT_EQ(format_date(visit.date("date")), "2025-03-01");
  EXPECT_EQ(format_time(visit.time("at")), "2025-03-01T09:30:00+08:00");
  EXPECT_EQ(visit.integer("n"), 3);
  EXPECT_TRUE(visit.boolean("ok"));
  EXPECT_THAT(visit.strings("tags"), ElementsAre("a", "b"));
  EXPECT_FALSE(visit.optional_string("note"));
  EXPECT_FALSE(visit.has("note"));

  struct Case {
    std::function<void()> read;
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[&] { visit.string("n"); }, "visit.n", "visit.n must be a string"},
      {[&] { visit.integer("date"); }, "visit.date", "visit.date must be an integer"},
      {[&] { visit.boolean("n"); }, "visit.n", "true or false"},
      {[&] { visit.string("missing"); }, "visit.missing", "the field visit.missing is missing"},
      {[&] { visit.optional_integer("ok"); }, "visit.ok", "must be an integer"},
      {[&] { visit.objects("tags"); }, "visit.tags[0]", "must be an object"},
      {[&] { visit.objects("members")[1].string("id"); }, "visit.members[1].id",
       "must be a string"},
      {[&] {
         visit.one_of("date", {"a", "b"});
       },
       "visit.date", "must be one of: a, b"},
      {[&] {
         visit.reject_unknown({"date", "at", "n", "ok", "tags"});
       },
       "visit.members", "unknown field visit.members"},
      {[&] { body.time("visit"); }, "visit", "must be a time string"},
  };
  for (const auto& c : cases) {
    const ApiError e = error_of(c.read);
    EXPECT_EQ(e.status(), http::status::bad_request) << c.field;
    EXPECT_EQ(e.field(), c.field);
    EXPECT_THAT(e.message(), HasSubstr(c.message)) << c.field;
  }

  const ApiError big =
      error_of([] { JsonFields::parse(R"({"n":18446744073709551615})").integer("n"); });
  EXPECT_THAT(big.message(), HasSubstr("too large"));
  const ApiError where = error_of([] { JsonFields::parse("{\n  \"a\": 1,\n  \"b\": }"); });
  EXPECT_THAT(where.message(), HasSubstr("line 3"));
  EXPECT_EQ(where.field(), "");
}

TEST(CtlErrorMessage, SentenceFieldAndRefusalCode) {
  struct Case {
    unsigned status;
    std::string body;
    std::string printed;
  };
  const std::vector<Case> cases = {
      {400, R"({"error":"bad_request","field":"date","message":"m"})", "m [date]"},
      {409,
       R"({"error":"refused","reason":"not_in_this_state","message":"m","event":"e","state":"s"})",
       "m (refused: not_in_this_state)"},
      {409,
       R"({"error":"refused","field":"household.members[1].id_number","reason":"r",)"
       R"("message":"m"})",
       "m [household.members[1].id_number] (refused: r)"},
      {409, R"({"error":"stale_version","message":"m","current_version":2})", "m"},
      {502, "bad gateway\n", "HTTP 502: bad gateway"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(api_error_message(HttpReply{c.status, c.body}), c.printed) << c.body;
  }
}

TEST(ApiErrorJson, HasTheDocumentedShape) {
  EXPECT_EQ(boost::json::serialize(ApiError::bad_request("visit.date", "m").to_json()),
            R"({"error":"bad_request","field":"visit.date","message":"m"})");
  EXPECT_EQ(boost::json::serialize(ApiError::refused("not_in_state", "m").to_json()),
            R"({"error":"refused","reason":"not_in_state","message":"m"})");
  EXPECT_EQ(
      boost::json::serialize(
          ApiError::refused("id_number_invalid", "m", "household.members[1].id_number").to_json()),
      R"({"error":"refused","field":"household.members[1].id_number",)"
      R"("reason":"id_number_invalid","message":"m"})");
  const ApiResponse r = ApiError::unauthorized("m").response();
  EXPECT_EQ(r.status, http::status::unauthorized);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, http::field::www_authenticate);
}

// ---- metrics

TEST(Metrics, RendersTheExpositionFormatExactly) {
  MetricsRegistry m;
  auto& c = m.counter("t_requests_total", "Requests.\nSecond line", {"route", "status"});
  c.inc({"/a", "200"});
  c.inc({"/a", "200"}, 2);
  c.inc({"/b\"x\\y\nz", "404"});
  auto& g = m.gauge("t_open", "Open.");
  g.set({}, 1.5);
  auto& h = m.histogram("t_seconds", "Latency.", {"route"}, {0.1, 1});
  h.observe({"/a"}, 0.0625);
  h.observe({"/a"}, 0.5);
  h.observe({"/a"}, 7);
  EXPECT_EQ(m.render(),
            "# HELP t_open Open.\n"
            "# TYPE t_open gauge\n"
            "t_open 1.5\n"
            "# HELP t_requests_total Requests.\\nSecond line\n"
            "# TYPE t_requests_total counter\n"
            "t_requests_total{route=\"/a\",status=\"200\"} 3\n"
            "t_requests_total{route=\"/b\\\"x\\\\y\\nz\",status=\"404\"} 1\n"
            "# HELP t_seconds Latency.\n"
            "# TYPE t_seconds histogram\n"
            "t_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"
            "t_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"
            "t_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"
            "t_seconds_sum{route=\"/a\"} 7.5625\n"
            "t_seconds_count{route=\"/a\"} 3\n");
  EXPECT_EQ(c.value({"/a", "200"}), 3);
  EXPECT_EQ(h.count({"/a"}), 3u);
}

TEST(Metrics, RefusesMisuse) {
  MetricsRegistry m;
  auto& c = m.counter("x_total", "X.", {"a"});
  EXPECT_EQ(&m.counter("x_total", "X.", {"a"}), &c);  // the same family again
  EXPECT_THROW(m.gauge("x_total", "X.", {"a"}), std::logic_error);
  EXPECT_THROW(m.counter("x_total", "X.", {"b"}), std::logic_error);
  EXPECT_THROW(c.inc({"1", "2"}), std::invalid_argument);
  EXPECT_THROW(c.inc({"1"}, -1), std::invalid_argument);
  EXPECT_THROW(m.histogram("h", "H.", {}, {1, 1}), std::logic_error);
}

TEST(Metrics, GaugeReplaceDropsLabelSetsThatAreGone) {
  MetricsRegistry m;
  auto& g = m.gauge("cases", "Cases.", {"state"});
  g.replace({{{"verifying"}, 2}, {{"reviewing"}, 1}});
  g.replace({{{"reviewing"}, 3}});
  EXPECT_EQ(g.value({"verifying"}), 0);
  EXPECT_EQ(m.render().find("verifying"), std::string::npos);
  EXPECT_NE(m.render().find("cases{state=\"reviewing\"} 3\n"), std::string::npos);
}

// ---- scope, roles, bearer

class Scopes : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::shared_ptr<const Config> config_ = test::example_config(dir_.path());
};

TEST_F(Scopes, CoverThemselvesAndThePlacesBelow) {
  struct Case {
    const char* scope;
    const char* place;
    bool covered;
  };
  const std::vector<Case> cases = {
      {"379901", "379901001001", true},
      {"379901", "379901003001", true},
      {"379901", "379901002", true},
      {"379901", "379901", true},
      {"379901", "379902001001", false},
      {"379901001", "379901001001", true},
      {"379901001", "379901001002", true},
      {"379901001", "379901002001", false},
      {"379901001", "379901", false},
      {"379901001", "379901001", true},
      {"379901001001", "379901001001", true},
      {"379901001001", "379901001002", false},
      {"379901001001", "379901001", false},
      {"379999", "379999001001", false},  // unknown scope
      {"379901", "", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(scope_covers(*config_, c.scope, c.place), c.covered) << c.scope << " / " << c.place;
  }
}

TEST_F(Scopes, TokenGrantsMatchTheRolesLevel) {
  EXPECT_FALSE(check_token_grant(*config_, Role::kCountyAdmin, "379901"));
  EXPECT_FALSE(check_token_grant(*config_, Role::kTownshipClerk, "379901001"));
  EXPECT_FALSE(check_token_grant(*config_, Role::kVillageOfficer, "379901001001"));
  EXPECT_FALSE(check_token_grant(*config_, Role::kAuditor, "379901002"));
  EXPECT_FALSE(check_token_grant(*config_, Role::kDepartmentClerk, "379901"));
  EXPECT_THAT(check_token_grant(*config_, Role::kCountyAdmin, "379901001").value_or(""),
              HasSubstr("needs the county code"));
  EXPECT_THAT(check_token_grant(*config_, Role::kVillageOfficer, "379901001").value_or(""),
              HasSubstr("needs a village code"));
  EXPECT_THAT(check_token_grant(*config_, Role::kTownshipClerk, "379901009").value_or(""),
              HasSubstr("is not the county, a township or a village"));
  EXPECT_FALSE(check_token_grant(*config_, Role::kAssistanceOfficer, "379901001001"));
  EXPECT_FALSE(check_token_grant(*config_, Role::kAssistanceOfficer, "379901001"));
  EXPECT_THAT(check_token_grant(*config_, Role::kAssistanceOfficer, "379901").value_or(""),
              HasSubstr("needs a township or village code"));
  EXPECT_THAT(check_token_grant(*config_, Role::kTownshipHead, "379901001").value_or(""),
              HasSubstr("cannot hold an API token"));
}

TEST(Bearer, ParsesTheSchemeCaseInsensitively) {
  EXPECT_EQ(bearer_token("Bearer abc").value_or(""), "abc");
  EXPECT_EQ(bearer_token("bearer   abc  ").value_or(""), "abc");
  EXPECT_EQ(bearer_token("BEARER abc").value_or(""), "abc");
  EXPECT_FALSE(bearer_token("Basic abc"));
  EXPECT_FALSE(bearer_token("Bearer"));
  EXPECT_FALSE(bearer_token("Bearer "));
  EXPECT_FALSE(bearer_token("Bearer a b"));
  EXPECT_FALSE(bearer_token("Bearerabc"));
}

// ---- fangfanctl: address and token

class CtlTarget : public ::testing::Test {
 protected:
  CtlEnvironment env(std::map<std::string, std::string> vars) {
    CtlEnvironment e;
    e.getenv = [vars](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    e.ctl_file = dir_.path() / "ctl.toml";
    return e;
  }
  void write_ctl(const std::string& text) { std::ofstream(dir_.path() / "ctl.toml") << text; }

  test::TempDir dir_;
};

TEST_F(CtlTarget, FlagsBeatEnvironmentBeatsFileBeatsDaemonConfig) {
  write_ctl("api = \"10.0.0.3:9000\"\ntoken = \"from-file\"\n");
  std::vector<std::string> args = {"retry", "--api", "[::1]:8471", "7", "--token=flag-token"};
  auto t =
      resolve_api_target(args, env({{"FANGFAN_API", "10.0.0.2:9000"}, {"FANGFAN_TOKEN", "env"}}));
  ASSERT_TRUE(std::holds_alternative<ApiTarget>(t)) << std::get<std::string>(t);
  EXPECT_EQ(std::get<ApiTarget>(t).host, "::1");
  EXPECT_EQ(std::get<ApiTarget>(t).port, "8471");
  EXPECT_EQ(std::get<ApiTarget>(t).token, "flag-token");
  EXPECT_THAT(args, ElementsAre("retry", "7"));  // the flags are taken out

  args = {};
  t = resolve_api_target(args, env({{"FANGFAN_API", "10.0.0.2:9000"}, {"FANGFAN_TOKEN", "env"}}));
  EXPECT_EQ(std::get<ApiTarget>(t).host, "10.0.0.2");
  EXPECT_EQ(std::get<ApiTarget>(t).token, "env");

  t = resolve_api_target(args, env({}));
  EXPECT_EQ(std::get<ApiTarget>(t).host, "10.0.0.3");
  EXPECT_EQ(std::get<ApiTarget>(t).token, "from-file");

  fs::remove(dir_.path() / "ctl.toml");
  CtlEnvironment e = env({});
  const fs::path config = fs::path(FANGFAN_SOURCE_DIR) / "config/example.toml";
  e.daemon_config = config;
  t = resolve_api_target(args, e);
  ASSERT_TRUE(std::holds_alternative<ApiTarget>(t)) << std::get<std::string>(t);
  EXPECT_EQ(std::get<ApiTarget>(t).host, "127.0.0.1");
  EXPECT_EQ(std::get<ApiTarget>(t).port, "8470");
  EXPECT_EQ(std::get<ApiTarget>(t).token, "");

  // A wildcard listen address is reached over loopback.
  args = {"--api", "0.0.0.0:8470"};
  t = resolve_api_target(args, env({}));
  EXPECT_EQ(std::get<ApiTarget>(t).host, "127.0.0.1");
}

TEST_F(CtlTarget, ProblemsNameTheirSource) {
  write_ctl("api = \"127.0.0.1:8470\"\ntokn = \"x\"\n");
  std::vector<std::string> args;
  auto t = resolve_api_target(args, env({}));
  ASSERT_TRUE(std::holds_alternative<std::string>(t));
  EXPECT_THAT(std::get<std::string>(t), HasSubstr("ctl.toml:2: tokn"));

  write_ctl("api = 8470\n");
  t = resolve_api_target(args, env({}));
  EXPECT_THAT(std::get<std::string>(t), HasSubstr("must be a string"));

  fs::remove(dir_.path() / "ctl.toml");
  args = {"--api"};
  t = resolve_api_target(args, env({}));
  EXPECT_THAT(std::get<std::string>(t), HasSubstr("--api needs a value"));

  args = {"--api", "localhost"};
  t = resolve_api_target(args, env({}));
  EXPECT_THAT(std::get<std::string>(t), HasSubstr("ADDRESS:PORT"));
}

// The CLI masks recipients with the core's mask (workflows/message_templates.h): it once had a
// looser mask_phone of its own that left any number not shaped like a mobile in clear. Staff
// addresses ("name@scope") stay readable to the county's operators.
TEST(CtlText, MasksRecipientsWithTheCoresMaskAndMeasuresChineseAsWide) {
  EXPECT_EQ(mask_staff_recipient("13900000101"), "139****0101");
  EXPECT_NE(mask_staff_recipient("1390000010"), "1390000010");
  EXPECT_EQ(mask_staff_recipient("周建国@379901"), "周建国@379901");
  EXPECT_EQ(mask_staff_recipient("留言13900000101"), mask_phone("留言13900000101"));
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("周建国"), 6u);
  EXPECT_EQ(display_width("周a"), 3u);
}

// A written case's answer is built from the stored text with only the household encoded again
// (case_routes.h): the same bytes as serializing case_to_json's object, ID numbers and the phone
// masked, for both routes' shapes.
TEST(WrittenCaseAnswer, IsWhatSerializingTheCaseObjectWrote) {
  CaseChange change;
  change.case_id = 42;
  change.history_seq = 7;
  change.snapshot.state = "registered";
  change.snapshot.version = 7;
  CaseData& d = change.snapshot.data;
  d.case_id = "42";
  d.kind = "unstable";
  d.household.code = "3799010010010007";
  d.household.village_code = "379901001001";
  d.household.phone = "13812345678";
  d.household.members = {{"测试户主", "379901196001010011", Relation::kHead, true, false, false},
                         {"测试配偶", "37990119620101002X", Relation::kSpouse, false, true, false}};
  d.officer = "第一书记赵*";
  const TimePoint at = parse_time("2025-03-17T09:00:00").value();
  d.visits = {{parse_date("2025-03-17").value(),
               "第一书记赵*",
               "收入\"稳定\"\n政策落实",
               {"县管理员", at}}};
  append_case_data(change.data_text, d, &change.household_text);
  for (const std::optional<std::int64_t> new_case :
       {std::optional<std::int64_t>(), std::optional<std::int64_t>(43)}) {
    change.new_case_id = new_case;
    for (const bool with_new_case_id : {false, true}) {
      boost::json::object out;
      out["case"] = case_to_json(change.case_id, change.snapshot);
      out["history_seq"] = change.history_seq;
      if (with_new_case_id) {
        out["new_case_id"] = new_case ? boost::json::value(*new_case) : boost::json::value(nullptr);
      }
      const std::string answer = written_case_answer(change, with_new_case_id);
      EXPECT_EQ(answer, boost::json::serialize(out));
      EXPECT_EQ(answer.find("379901196001010011"), std::string::npos);
      EXPECT_EQ(answer.find("13812345678"), std::string::npos);
      EXPECT_NE(answer.find(R"(收入\"稳定\"\n政策落实)"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace fangfan
