// The HTTP API end to end: real HTTP/1.1 over loopback against a server on its own io_context
// (tests/daemon/api_test_server.h), over a temporary SQLite database with the example county.
// Test-only routes stand in for the case endpoints to exercise scope, body validation, 404/409
// and failures the way case handlers will use them.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC 12 bug 109224 (coroutines)

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <future>
#include <regex>

#include "adapters/storage/outbox_store.h"
#include "adapters/storage/token_store.h"
#include "daemon/api/auth.h"
#include "tests/daemon/api_test_server.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using test::http_once;
using test::Reply;
using test::TestApiServer;
using test::TestClient;
using ::testing::HasSubstr;
using ::testing::Not;

// The example county: 379901; townships 379901001 (东岭镇: villages 001, 002), 379901002
// (西河镇: villages 001, 002), 379901003 (南山乡: village 001).
constexpr const char* kCounty = "379901";
constexpr const char* kDongling = "379901001";
constexpr const char* kDonglingVillage = "379901001001";
constexpr const char* kLiushuVillage = "379901001002";
constexpr const char* kXiheVillage = "379901002001";

// Routes that stand in for case handlers.
struct TestRoutes {
  std::atomic<int> writes{0};

  void add(HttpApi& api) {
    Router& r = api.router();
    r.add(http::verb::get, "/api/v1/test/villages/{code}", Access::read(),
          [](ApiRequest& req) -> boost::asio::awaitable<ApiResponse> {
            require_scope(req, req.param("code"));
            co_return ApiResponse::json(
                {{"code", req.param("code")}, {"holder", req.actor().holder}});
          });
    r.add(http::verb::post, "/api/v1/test/villages/{code}/notes", Access::write(),
          [this](ApiRequest& req) -> boost::asio::awaitable<ApiResponse> {
            require_scope(req, req.param("code"));
            ++writes;
            co_return ApiResponse::json({{"actor", req.actor().holder}});
          });
    r.add(http::verb::post, "/api/v1/test/visits", Access::write(),
          [](ApiRequest& req) -> boost::asio::awaitable<ApiResponse> {
            JsonFields body = req.json();
            body.reject_unknown({"visit", "households"});
            JsonFields visit = body.object("visit");
            visit.reject_unknown({"date", "officer", "note"});
            const Date date = visit.date("date");
            const std::string officer = visit.string("officer");
            const auto note = visit.optional_string("note");
            std::int64_t members = 0;
            for (const JsonFields& h : body.objects("households")) {
              h.string("code");
              members += h.integer("members");
            }
            co_return ApiResponse::json({{"actor", req.actor().holder},
                                         {"date", format_date(date)},
                                         {"officer", officer},
                                         {"note", note.value_or("")},
                                         {"members", members}});
          });
    // How a case handler answers: 404 unknown case, 409 stale version, 409 refused transition.
    r.add(http::verb::post, "/api/v1/test/cases/{id}/events", Access::write(),
          [](ApiRequest& req) -> boost::asio::awaitable<ApiResponse> {
            const std::int64_t id = req.id_param("id");
            if (id != 1) throw ApiError::not_found("没有编号为 " + std::to_string(id) + " 的案件");
            JsonFields body = req.json();
            const std::int64_t version = body.integer("version");
            if (version != 3) throw ApiError::stale_version(version, 3);
            if (body.optional_boolean("refuse").value_or(false)) {
              throw ApiError::refused("not_in_state", "案件当前不在可核实状态");
            }
            co_return ApiResponse::json({{"version", 4}});
          });
    r.add(http::verb::get, "/api/v1/test/slow", Access::read(),
          [](ApiRequest&) -> boost::asio::awaitable<ApiResponse> {
            boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
            timer.expires_after(400ms);
            co_await timer.async_wait(boost::asio::use_awaitable);
            co_return ApiResponse::json({{"slow", true}});
          });
    r.add(http::verb::get, "/api/v1/test/throw", Access::read(),
          [](ApiRequest&) -> boost::asio::awaitable<ApiResponse> {
            throw std::runtime_error("secret internal detail 4711");
            co_return ApiResponse{};
          });
    r.add(http::verb::get, "/api/v1/test/busy", Access::read(),
          [](ApiRequest&) -> boost::asio::awaitable<ApiResponse> {
            throw StorageError(StorageError::Kind::kUnavailable, "database is locked");
            co_return ApiResponse{};
          });
  }
};

class Api : public ::testing::Test {
 protected:
  explicit Api(ApiLimits limits = {})
      : server_(limits, [this](HttpApi& api) { routes_.add(api); }) {
    admin_ = server_.token(Role::kCountyAdmin, kCounty, "周建国");
  }
  unsigned short port() const { return server_.port(); }

  TestRoutes routes_;
  TestApiServer server_;
  std::string admin_;
};

// ---- health and metrics

TEST_F(Api, Healthz_AnswersWithoutATokenAndReportsHeartbeats) {
  Reply r = http_once(port(), http::verb::get, "/healthz");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.field("status"), "ok");
  EXPECT_EQ(r.json().at("checks").at("database").at("ok"), true);
  EXPECT_THAT(std::string(r.headers[http::field::content_type]), HasSubstr("application/json"));

  // A heartbeat that stays silent longer than allowed makes the daemon unhealthy.
  Heartbeat& scheduler = server_.api().health().heartbeat("scheduler", 50ms);
  std::this_thread::sleep_for(120ms);
  r = http_once(port(), http::verb::get, "/healthz");
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_EQ(r.field("status"), "unavailable");
  EXPECT_EQ(r.json().at("checks").at("scheduler").at("ok"), false);
  EXPECT_EQ(r.json().at("checks").at("scheduler").at("never_beat"), true);

  scheduler.beat();
  r = http_once(port(), http::verb::get, "/healthz");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json().at("checks").at("scheduler").at("ok"), true);
}

TEST_F(Api, Metrics_NeedATokenAndArePrometheusText) {
  EXPECT_EQ(http_once(port(), http::verb::get, "/metrics").status, 401u);

  {
    auto s = server_.session();
    NewOutboxMessage m;
    m.channel = "file";
    m.recipient = "13900000101";
    m.message_type = "deadline_reminder";
    m.body = "提醒";
    m.created_at = m.next_attempt_at = server_.clock().now();
    for (const char* key : {"a", "b", "c"}) {
      m.dedupe_key = key;
      enqueue_outbox(*s, m);
    }
    ASSERT_TRUE(claim_outbox(*s, 3));
    ASSERT_TRUE(mark_outbox_failed(*s, 3, OutboxStatus::kFailed, "number unknown"));
  }
  http_once(port(), http::verb::get, "/healthz");
  http_once(port(), http::verb::get, "/api/v1/nowhere", admin_);

  Reply r = http_once(port(), http::verb::get, "/metrics", admin_);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.headers[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = r.body;
  EXPECT_THAT(text, HasSubstr("# TYPE fangfan_http_requests_total counter\n"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "fangfan_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fangfan_http_requests_total{method=\"GET\",route=\"unmatched\","
                              "status=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fangfan_http_requests_total{method=\"GET\",route=\"/metrics\","
                              "status=\"401\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE fangfan_http_request_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("fangfan_http_request_duration_seconds_bucket{method=\"GET\","
                              "route=\"/healthz\",le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fangfan_http_request_duration_seconds_count{method=\"GET\","
                              "route=\"/healthz\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fangfan_outbox_messages{status=\"pending\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("fangfan_outbox_messages{status=\"failed\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fangfan_outbox_messages{status=\"sent\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("fangfan_timers_pending 0\n"));
  EXPECT_THAT(text, HasSubstr("fangfan_timers_overdue 0\n"));
  EXPECT_THAT(text, HasSubstr("fangfan_http_connections_open "));

  // Every line is a comment or `name{labels} value` in the exposition format.
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? )"
      R"(([-+]?[0-9.]+([eE][-+]?[0-9]+)?|\+Inf|-Inf|NaN)$)");
  std::istringstream lines(text);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    ++samples;
  }
  EXPECT_GT(samples, 20);
}

// ---- authentication and roles

TEST_F(Api, Auth_NoBadUnknownOrRevokedTokenIs401) {
  const std::string clerk = server_.token(Role::kTownshipClerk, kDongling, "李娜");
  const std::string target = std::string("/api/v1/test/villages/") + kDonglingVillage;
  struct Case {
    const char* what;
    std::string header;
  };
  const std::vector<Case> cases = {
      {"no header", ""},
      {"not bearer", "Basic dXNlcjpwYXNz"},
      {"bearer without token", "Bearer "},
      {"unknown token", "Bearer fft_" + std::string(64, '0')},
      {"token with a space", "Bearer " + clerk + " extra"},
  };
  for (const auto& c : cases) {
    TestClient client(port());
    std::string raw = "GET " + target + " HTTP/1.1\r\nHost: x\r\n";
    if (!c.header.empty()) raw += "Authorization: " + c.header + "\r\n";
    raw += "\r\n";
    ASSERT_TRUE(client.send(raw));
    auto r = client.read_reply();
    ASSERT_TRUE(r) << c.what;
    EXPECT_EQ(r->status, 401u) << c.what << ": " << r->body;
    EXPECT_EQ(r->field("error"), "unauthorized") << c.what;
    EXPECT_EQ(r->headers[http::field::www_authenticate], "Bearer realm=\"fangfan\"") << c.what;
  }

  // The scheme is case-insensitive; the clerk's token works until it is revoked.
  TestClient client(port());
  ASSERT_TRUE(client.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: bearer " +
                          clerk + "\r\n\r\n"));
  EXPECT_EQ(client.read_reply().value_or(Reply{}).status, 200u);
  {
    auto s = server_.session();
    auto record = find_api_token_by_hash(*s, hash_token_secret(clerk));
    ASSERT_TRUE(record);
    ASSERT_TRUE(revoke_api_token(*s, record->id, server_.clock().now()));
  }
  Reply r = http_once(port(), http::verb::get, target, clerk);
  EXPECT_EQ(r.status, 401u);
  EXPECT_THAT(r.field("message"), HasSubstr("revoked"));
}

TEST_F(Api, Routing_UnknownPathIs404AndWrongMethodIs405OnlyWithAToken) {
  Reply r = http_once(port(), http::verb::get, "/api/v1/no-such-thing", admin_);
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.field("error"), "not_found");
  // Without a token a stranger learns nothing about which paths exist.
  EXPECT_EQ(http_once(port(), http::verb::get, "/api/v1/no-such-thing").status, 401u);

  r = http_once(port(), http::verb::delete_, "/api/v1/outbox", admin_);
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.headers[http::field::allow], "GET");
  r = http_once(port(), http::verb::get, "/api/v1/outbox/7/retry", admin_);
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.headers[http::field::allow], "POST");

  // A malformed %-escape in the target is the client's error, not a crash or a 404.
  r = http_once(port(), http::verb::get, "/api/v1/test/villages/%zz", admin_);
  EXPECT_EQ(r.status, 400u);
  // A trailing slash is the same path; %-escapes are decoded before matching.
  r = http_once(port(), http::verb::get,
                std::string("/api/v1/test/villages/%33") + (kDonglingVillage + 1) + "/", admin_);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.field("code"), kDonglingVillage);
}

TEST_F(Api, Roles_AuditorNeverWritesAndRoutesNamingRolesRefuseOthers) {
  const std::string auditor = server_.token(Role::kAuditor, kCounty, "何审");
  const std::string office = server_.token(Role::kCountyOffice, kCounty, "县局");
  const std::string clerk = server_.token(Role::kTownshipClerk, kDongling, "李娜");
  const std::string notes = std::string("/api/v1/test/villages/") + kDonglingVillage + "/notes";

  EXPECT_EQ(http_once(port(), http::verb::get, "/api/v1/outbox", auditor).status, 200u);
  Reply r = http_once(port(), http::verb::post, notes, auditor, "{}");
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.field("error"), "forbidden");
  EXPECT_THAT(r.field("message"), HasSubstr("read-only"));
  EXPECT_EQ(routes_.writes.load(), 0);

  r = http_once(port(), http::verb::get, "/api/v1/outbox", clerk);
  EXPECT_EQ(r.status, 403u);
  EXPECT_THAT(r.field("message"), HasSubstr("county_admin, county_office, auditor"));
  EXPECT_EQ(http_once(port(), http::verb::post, "/api/v1/outbox/1/retry", office).status, 403u);
}

// ---- scope

TEST_F(Api, Scope_EachTokenSeesItsOwnPlacesOnlyAndARefusalTouchesNothing) {
  struct Holder {
    const char* name;
    Role role;
    std::string scope;
  };
  const std::vector<Holder> holders = {
      {"村干部", Role::kVillageOfficer, kDonglingVillage},
      {"镇干部", Role::kTownshipClerk, kDongling},
      {"县管理员", Role::kCountyAdmin, kCounty},
  };
  struct Expect {
    const char* holder;
    const char* village;
    unsigned status;
  };
  const std::vector<Expect> table = {
      {"村干部", kDonglingVillage, 200},   {"村干部", kLiushuVillage, 403},
      {"村干部", kXiheVillage, 403},       {"镇干部", kDonglingVillage, 200},
      {"镇干部", kLiushuVillage, 200},     {"镇干部", kXiheVillage, 403},
      {"县管理员", kDonglingVillage, 200}, {"县管理员", kXiheVillage, 200},
      {"县管理员", "379902001001", 403},  // a village of another county
  };
  std::map<std::string, std::string> tokens;
  for (const auto& h : holders) tokens[h.name] = server_.token(h.role, h.scope, h.name);

  int expected_writes = 0;
  for (const auto& e : table) {
    const std::string place = std::string("/api/v1/test/villages/") + e.village;
    Reply read = http_once(port(), http::verb::get, place, tokens[e.holder]);
    EXPECT_EQ(read.status, e.status) << e.holder << " reads " << e.village << ": " << read.body;
    const int before = routes_.writes.load();
    Reply write = http_once(port(), http::verb::post, place + "/notes", tokens[e.holder], "{}");
    EXPECT_EQ(write.status, e.status) << e.holder << " writes " << e.village << ": " << write.body;
    if (e.status == 200) {
      ++expected_writes;
      EXPECT_EQ(write.field("actor"), e.holder);  // the token's holder is the actor
    } else {
      EXPECT_EQ(routes_.writes.load(), before) << "a refused write must touch nothing";
      EXPECT_EQ(write.field("error"), "forbidden");
    }
  }
  EXPECT_EQ(routes_.writes.load(), expected_writes);
}

// ---- bad input

TEST_F(Api, BadJson_Is400NamingTheField) {
  const std::string good =
      R"({"visit":{"date":"2025-03-01","officer":"杨帆","note":"在家"},)"
      R"("households":[{"code":"3799010010010001","members":3},{"code":"3799010010010002","members":2}]})";
  Reply ok = http_once(port(), http::verb::post, "/api/v1/test/visits", admin_, good);
  ASSERT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(ok.field("actor"), "周建国");
  EXPECT_EQ(ok.json().at("members"), 5);

  struct Case {
    const char* what;
    std::string body;
    std::string field;  // expected "field"; "" when the body as a whole is at fault
    std::string in_message;
  };
  const std::vector<Case> cases = {
      {"malformed", R"({"visit": {"date": "2025-03-01",)", "", "JSON"},
      {"trailing garbage", R"({"visit":{}} xyz)", "", "extra"},
      {"not an object", R"([1, 2, 3])", "", "object"},
      {"empty", "", "", "empty"},
      {"wrong type", R"({"visit":{"date":20250301,"officer":"杨帆"},"households":[]})",
       "visit.date", "must be a date string"},
      {"missing field", R"({"visit":{"date":"2025-03-01"},"households":[]})", "visit.officer",
       "missing"},
      {"null is missing", R"({"visit":{"date":"2025-03-01","officer":null},"households":[]})",
       "visit.officer", "missing"},
      {"empty string", R"({"visit":{"date":"2025-03-01","officer":""},"households":[]})",
       "visit.officer", "must not be empty"},
      {"not a real date", R"({"visit":{"date":"2025-02-30","officer":"杨帆"},"households":[]})",
       "visit.date", "not a valid date"},
      {"nested object wrong", R"({"visit":"2025-03-01","households":[]})", "visit",
       "must be an object"},
      {"array element",
       R"({"visit":{"date":"2025-03-01","officer":"杨帆"},)"
       R"("households":[{"code":"a","members":1},{"code":7,"members":1}]})",
       "households[1].code", "must be a string"},
      {"integer as text",
       R"({"visit":{"date":"2025-03-01","officer":"杨帆"},)"
       R"("households":[{"code":"a","members":"3"}]})",
       "households[0].members", "must be an integer"},
      {"unknown field",
       R"({"visit":{"date":"2025-03-01","officer":"杨帆","offcer":"x"},)"
       R"("households":[]})",
       "visit.offcer", "unknown field"},
  };
  for (const auto& c : cases) {
    Reply r = http_once(port(), http::verb::post, "/api/v1/test/visits", admin_, c.body);
    EXPECT_EQ(r.status, 400u) << c.what << ": " << r.body;
    EXPECT_EQ(r.field("error"), "bad_request") << c.what;
    const json::value v = r.json();
    ASSERT_TRUE(v.is_object()) << c.what << ": " << r.body;
    if (c.field.empty()) {
      EXPECT_FALSE(v.get_object().contains("field")) << c.what << ": " << r.body;
    } else {
      EXPECT_EQ(r.field("field"), c.field) << c.what << ": " << r.body;
    }
    EXPECT_THAT(r.field("message"), HasSubstr(c.in_message)) << c.what;
  }
}

TEST_F(Api, CaseStyleAnswers_404UnknownAnd409StaleOrRefused) {
  const std::string clerk = server_.token(Role::kTownshipClerk, kDongling, "李娜");
  Reply r =
      http_once(port(), http::verb::post, "/api/v1/test/cases/2/events", clerk, R"({"version":3})");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.field("error"), "not_found");

  r = http_once(port(), http::verb::post, "/api/v1/test/cases/1/events", clerk, R"({"version":2})");
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(r.field("error"), "stale_version");
  EXPECT_EQ(r.json().at("current_version"), 3);
  EXPECT_EQ(r.json().at("expected_version"), 2);

  r = http_once(port(), http::verb::post, "/api/v1/test/cases/1/events", clerk,
                R"({"version":3,"refuse":true})");
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(r.field("error"), "refused");
  EXPECT_EQ(r.field("reason"), "not_in_state");

  r = http_once(port(), http::verb::post, "/api/v1/test/cases/abc/events", clerk, "{}");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.field("field"), "id");

  r = http_once(port(), http::verb::post, "/api/v1/test/cases/1/events", clerk, R"({"version":3})");
  EXPECT_EQ(r.status, 200u) << r.body;
}

TEST_F(Api, Failures_AreJsonWithoutInternals) {
  Reply r = http_once(port(), http::verb::get, "/api/v1/test/throw", admin_);
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(r.field("error"), "internal");
  EXPECT_THAT(r.body, Not(HasSubstr("4711")));
  r = http_once(port(), http::verb::get, "/api/v1/test/busy", admin_);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.field("error"), "unavailable");
  EXPECT_THAT(r.body, Not(HasSubstr("locked")));
  // The server is still fine.
  EXPECT_EQ(http_once(port(), http::verb::get, "/healthz").status, 200u);
}

TEST_F(Api, OversizedBody_Is413AndTheClientStillReadsTheAnswer) {
  // Declared too large: refused from the header alone.
  {
    TestClient c(port());
    ASSERT_TRUE(c.send("POST /api/v1/test/visits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                       admin_ + "\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(2 * 1024 * 1024) + "\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413u);
    EXPECT_EQ(r->field("error"), "payload_too_large");
    EXPECT_THAT(r->field("message"), HasSubstr("1 MiB"));
    EXPECT_FALSE(r->keep_alive);
    EXPECT_TRUE(c.closed_by_server());
  }
  // Really sent, 2 MiB in one go: the server drains it and the answer arrives intact.
  {
    TestClient c(port());
    const std::string body(2 * 1024 * 1024, 'x');
    ASSERT_TRUE(c.send("POST /api/v1/test/visits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                       admin_ + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                       body));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413u);
  }
  // Chunked, growing past the limit.
  {
    TestClient c(port());
    std::string raw = "POST /api/v1/test/visits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                      admin_ + "\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string chunk(256 * 1024, 'y');
    for (int i = 0; i < 5; ++i) raw += "40000\r\n" + chunk + "\r\n";
    raw += "0\r\n\r\n";
    ASSERT_TRUE(c.send(raw));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413u);
  }
  EXPECT_EQ(http_once(port(), http::verb::get, "/healthz").status, 200u);
}

TEST_F(Api, OversizedHeaderIs431AndGarbageIs400) {
  {
    TestClient c(port());
    ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: " +
                       std::string(20 * 1024, 'a') + "\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431u);
    EXPECT_EQ(r->field("error"), "header_too_large");
    EXPECT_TRUE(c.closed_by_server());
  }
  for (const std::string& raw :
       {std::string("GARBAGE\r\n\r\n"), std::string("GET /healthz HTTP/9.9\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"),
        std::string("POST /api/v1/test/visits HTTP/1.1\r\nHost: x\r\n"
                    "Content-Length: 12abc\r\n\r\n")}) {
    TestClient c(port());
    ASSERT_TRUE(c.send(raw));
    auto r = c.read_reply();
    ASSERT_TRUE(r) << raw;
    EXPECT_EQ(r->status, 400u) << raw;
    EXPECT_EQ(r->field("error"), "bad_request") << raw;
    EXPECT_TRUE(c.closed_by_server()) << raw;
  }
  EXPECT_EQ(http_once(port(), http::verb::get, "/healthz").status, 200u);
}

TEST_F(Api, KeepAlive_ManyRequestsOnOneConnectionAndPipelined) {
  TestClient c(port());
  for (int i = 0; i < 5; ++i) {
    Reply r = c.request(http::verb::get, "/healthz");
    EXPECT_EQ(r.status, 200u) << i;
    EXPECT_TRUE(r.keep_alive) << i;
    r = c.request(http::verb::get, "/api/v1/outbox?status=pending", admin_);
    EXPECT_EQ(r.status, 200u) << i;
    // Errors do not end a keep-alive connection either.
    r = c.request(http::verb::post, "/api/v1/test/visits", admin_, "{");
    EXPECT_EQ(r.status, 400u) << i;
    EXPECT_TRUE(r.keep_alive) << i;
  }
  // Two requests in one write: two answers, in order.
  ASSERT_TRUE(
      c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /api/v1/nowhere HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
             admin_ + "\r\n\r\n"));
  EXPECT_EQ(c.read_reply().value_or(Reply{}).status, 200u);
  EXPECT_EQ(c.read_reply().value_or(Reply{}).status, 404u);
  // Connection: close is honoured.
  ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto last = c.read_reply();
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->keep_alive);
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(Api, ExpectContinue_IsAnsweredBeforeTheBody) {
  TestClient c(port());
  const std::string body = R"({"visit":{"date":"2025-03-01","officer":"杨帆"},"households":[]})";
  ASSERT_TRUE(c.send(
      "POST /api/v1/test/visits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin_ +
      "\r\nExpect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  auto go_on = c.read_reply();
  ASSERT_TRUE(go_on);
  EXPECT_EQ(go_on->status, 100u);
  ASSERT_TRUE(c.send(body));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200u) << r->body;
}

// ---- limits that need their own server

TEST(ApiLimits, SlowClientIsCutOffAfterTheRequestTimeout) {
  ApiLimits limits;
  limits.request_timeout = 300ms;
  TestApiServer server(limits);
  const std::string admin = server.token(Role::kCountyAdmin, kCounty);

  TestClient slow(server.port(), 5s);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      slow.send("POST /api/v1/outbox/1/retry HTTP/1.1\r\nHost: x\r\nContent-Length: 10"
                "\r\n\r\nabc"));
  // Meanwhile other clients are served.
  EXPECT_EQ(http_once(server.port(), http::verb::get, "/healthz").status, 200u);
  EXPECT_TRUE(slow.closed_by_server());
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);

  // An idle keep-alive connection is closed after the same time.
  TestClient idle(server.port(), 5s);
  EXPECT_EQ(idle.request(http::verb::get, "/healthz").status, 200u);
  EXPECT_TRUE(idle.closed_by_server());

  Reply m = http_once(server.port(), http::verb::get, "/metrics", admin);
  EXPECT_THAT(m.body, HasSubstr("fangfan_http_protocol_errors_total{reason=\"timeout\"} 1\n"));
}

TEST(ApiLimits, ConnectionsBeyondTheBoundGet503AndAreClosed) {
  ApiLimits limits;
  limits.max_connections = 2;
  TestApiServer server(limits);
  const std::string admin = server.token(Role::kCountyAdmin, kCounty);

  auto first = std::make_unique<TestClient>(server.port());
  TestClient second(server.port());
  EXPECT_EQ(first->request(http::verb::get, "/healthz").status, 200u);
  EXPECT_EQ(second.request(http::verb::get, "/healthz").status, 200u);

  // (Not /healthz or /metrics: those are answered even when full, api_connections_test.cpp.)
  TestClient third(server.port());
  ASSERT_TRUE(third.send("GET /api/v1/outbox HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto refused = third.read_reply();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503u);
  EXPECT_EQ(refused->field("error"), "too_many_connections");
  EXPECT_TRUE(third.closed_by_server());

  // Once one closes, a newcomer is served again.
  first.reset();
  Reply r;
  for (int i = 0; i < 100 && r.status != 200; ++i) {
    TestClient again(server.port());
    r = again.request(http::verb::get, "/api/v1/outbox", admin);
    if (r.status != 200) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(r.status, 200u);
  Reply m = second.request(http::verb::get, "/metrics", admin);
  EXPECT_THAT(m.body, HasSubstr("fangfan_http_connections_refused_total "));
  EXPECT_THAT(m.body, Not(HasSubstr("fangfan_http_connections_refused_total 0\n")));
}

TEST(ApiLifecycle, StopFinishesInFlightRequestsAndClosesIdleConnections) {
  TestRoutes routes;
  TestApiServer server({}, [&routes](HttpApi& api) { routes.add(api); });
  const std::string admin = server.token(Role::kCountyAdmin, kCounty);

  TestClient idle(server.port());
  EXPECT_EQ(idle.request(http::verb::get, "/healthz").status, 200u);

  TestClient busy(server.port());
  ASSERT_TRUE(busy.send("GET /api/v1/test/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                        admin + "\r\n\r\n"));
  std::this_thread::sleep_for(100ms);  // the slow handler is running now

  auto stopped = std::async(std::launch::async, [&] { return server.stop_and_wait(5s); });
  // The idle keep-alive connection is closed at once; the slow request is answered, with close.
  EXPECT_TRUE(idle.closed_by_server());
  auto answer = busy.read_reply();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200u);
  EXPECT_FALSE(answer->keep_alive);
  EXPECT_TRUE(busy.closed_by_server());
  EXPECT_TRUE(stopped.get());

  // Nothing is accepted any more.
  EXPECT_THROW(TestClient late(server.port()), std::runtime_error);
}

// ---- outbox endpoints

class OutboxApi : public Api {
 protected:
  // Three messages: 1 pending, 2 failed, 3 dead.
  void SetUp() override {
    auto s = server_.session();
    NewOutboxMessage m;
    m.channel = "sms";
    m.recipient = "13900000101";
    m.message_type = "deadline_reminder";
    m.body = "王** 户的入户核实将于 2025-03-10 到期";
    m.created_at = m.next_attempt_at = server_.clock().now();
    for (const char* key : {"one", "two", "three"}) {
      m.dedupe_key = key;
      enqueue_outbox(*s, m);
    }
    ASSERT_TRUE(claim_outbox(*s, 2));
    ASSERT_TRUE(mark_outbox_failed(*s, 2, OutboxStatus::kFailed, "unknown number"));
    ASSERT_TRUE(claim_outbox(*s, 3));
    ASSERT_TRUE(mark_outbox_failed(*s, 3, OutboxStatus::kDead, "8 attempts"));
  }
};

TEST_F(OutboxApi, ListsByStatusNewestFirst) {
  Reply r = http_once(port(), http::verb::get, "/api/v1/outbox", admin_);
  ASSERT_EQ(r.status, 200u) << r.body;
  const json::value all = r.json();
  const auto& messages = all.at("messages").as_array();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].at("id"), 3);
  EXPECT_EQ(messages[0].at("status"), "dead");
  EXPECT_EQ(messages[2].at("id"), 1);
  EXPECT_EQ(messages[2].at("next_attempt_at"), "2025-03-03T09:00:00+08:00");

  r = http_once(port(), http::verb::get, "/api/v1/outbox?status=failed", admin_);
  ASSERT_EQ(r.status, 200u);
  ASSERT_EQ(r.json().at("count"), 1);
  EXPECT_EQ(r.json().at("messages").at(0).at("last_error"), "unknown number");

  r = http_once(port(), http::verb::get, "/api/v1/outbox?limit=2", admin_);
  EXPECT_EQ(r.json().at("count"), 2);

  for (const char* bad :
       {"?status=lost", "?limit=0", "?limit=1001", "?limit=x", "?status=sent&status=failed"}) {
    r = http_once(port(), http::verb::get, std::string("/api/v1/outbox") + bad, admin_);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_FALSE(r.field("field").empty()) << bad << ": " << r.body;
  }
}

TEST_F(OutboxApi, RetryAndCancelFollowTheStatusRules) {
  Reply r = http_once(port(), http::verb::post, "/api/v1/outbox/2/retry", admin_);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json().at("message").at("status"), "pending");
  EXPECT_EQ(r.json().at("message").at("attempts"), 0);
  EXPECT_EQ(server_.outbox_wakeups(), 1);  // the dispatcher is told at once

  r = http_once(port(), http::verb::post, "/api/v1/outbox/2/retry", admin_);
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(r.field("error"), "not_retryable");
  EXPECT_THAT(r.field("message"), HasSubstr("pending"));

  r = http_once(port(), http::verb::post, "/api/v1/outbox/3/cancel", admin_);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json().at("message").at("status"), "cancelled");
  r = http_once(port(), http::verb::post, "/api/v1/outbox/3/cancel", admin_);
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(r.field("error"), "not_cancellable");
  r = http_once(port(), http::verb::post, "/api/v1/outbox/3/retry", admin_);
  EXPECT_EQ(r.status, 409u);

  EXPECT_EQ(http_once(port(), http::verb::post, "/api/v1/outbox/999/retry", admin_).status, 404u);
  r = http_once(port(), http::verb::post, "/api/v1/outbox/x1/cancel", admin_);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.field("field"), "id");

  auto s = server_.session();
  EXPECT_EQ(load_outbox(*s, 1)->status, OutboxStatus::kPending);
  EXPECT_EQ(load_outbox(*s, 2)->status, OutboxStatus::kPending);
  EXPECT_EQ(load_outbox(*s, 3)->status, OutboxStatus::kCancelled);
}

TEST_F(OutboxApi, OnlyCountyTokensSeeItAndOnlyCountyAdminsChangeIt) {
  const std::string township_auditor = server_.token(Role::kAuditor, kDongling, "镇审计");
  const std::string county_auditor = server_.token(Role::kAuditor, kCounty, "县审计");
  const std::string office = server_.token(Role::kCountyOffice, kCounty, "县局");
  EXPECT_EQ(http_once(port(), http::verb::get, "/api/v1/outbox", township_auditor).status, 403u);
  EXPECT_EQ(http_once(port(), http::verb::get, "/api/v1/outbox", county_auditor).status, 200u);
  EXPECT_EQ(http_once(port(), http::verb::get, "/api/v1/outbox", office).status, 200u);
  for (const auto* token : {&county_auditor, &office}) {
    EXPECT_EQ(http_once(port(), http::verb::post, "/api/v1/outbox/2/retry", *token).status, 403u);
    EXPECT_EQ(http_once(port(), http::verb::post, "/api/v1/outbox/1/cancel", *token).status, 403u);
  }
  auto s = server_.session();
  EXPECT_EQ(load_outbox(*s, 1)->status, OutboxStatus::kPending);  // untouched
  EXPECT_EQ(load_outbox(*s, 2)->status, OutboxStatus::kFailed);
}

}  // namespace
}  // namespace fangfan
