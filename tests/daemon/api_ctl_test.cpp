// fangfanctl's API commands: `token` straight on the database, `outbox` over HTTP against a
// real server on loopback (tests/daemon/api_test_server.h). Exact exit codes, what goes to
// stdout and what to stderr.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <regex>
#include <sstream>

#include "adapters/storage/outbox_store.h"
#include "adapters/storage/token_store.h"
#include "daemon/ctl/ctl_outbox.h"
#include "daemon/ctl/ctl_token.h"
#include "tests/daemon/api_test_server.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

struct CtlRun {
  int code;
  std::string out;
  std::string err;
};

std::string only_token(const std::string& text) {
  std::smatch m;
  static const std::regex token("fft_[0-9a-f]{64}");
  return std::regex_search(text, m, token) ? m.str() : "";
}

class CtlToken : public ::testing::Test {
 protected:
  CtlRun run(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    const int code = run_token_command(args, *config_, clock_, out, err);
    return {code, out.str(), err.str()};
  }
  fs::path db_file() const { return dir_.path() / "fangfan.db"; }

  test::TempDir dir_;
  std::shared_ptr<const Config> config_ = test::example_config(dir_.path());
  SimulatedClock clock_{
      china_time(Date{std::chrono::year(2025) / std::chrono::March / 3}, std::chrono::hours(9))};
};

TEST_F(CtlToken, UsageErrorsAreRefusedBeforeTheDatabaseIsTouched) {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{}, "missing subcommand"},
      {{"make"}, "unknown subcommand"},
      {{"create", "--role", "county_admin", "--scope", "379901"}, "missing --name"},
      {{"create", "--role", "mayor", "--scope", "379901", "--name", "x"},
       "choose one of: county_admin, county_office, township_clerk, village_officer, "
       "assistance_officer, department_clerk, auditor"},
      {{"create", "--role", "village_officer", "--scope", "379901001", "--name", "x"},
       "needs a village code"},
      {{"create", "--role", "auditor", "--scope", "110105", "--name", "x"},
       "is not the county, a township or a village"},
      {{"create", "--role", "auditor", "--scope", "379901", "--name", "  "}, "must not be empty"},
      {{"create", "--role", "auditor", "--scope", "379901", "--name", "a\tb"}, "control"},
      {{"create", "--role", "auditor", "--scope", "379901", "--name", "x", "--expires", "1"},
       "unknown option --expires"},
      {{"create", "--role"}, "--role needs a value"},
      {{"list", "extra"}, "unexpected argument"},
      {{"revoke"}, "needs one token ID"},
      {{"revoke", "x7"}, "not a token ID"},
  };
  for (const auto& c : cases) {
    const CtlRun r = run(c.args);
    EXPECT_EQ(r.code, 2) << c.err;
    EXPECT_EQ(r.out, "") << c.err;
    EXPECT_THAT(r.err, HasSubstr(c.err));
  }
  EXPECT_FALSE(fs::exists(db_file()));
}

TEST_F(CtlToken, CreateShowsTheTokenOnceListAndRevoke) {
  CtlRun r = run({"create", "--role", "township_clerk", "--scope", "379901001", "--name", "李娜"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string secret = only_token(r.out);
  ASSERT_FALSE(secret.empty()) << r.out;
  EXPECT_THAT(r.out, HasSubstr("东岭镇"));
  EXPECT_THAT(r.out, HasSubstr("shown only this once"));

  r = run({"create", "--role", "auditor", "--scope", "379901", "--name", "何审", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const boost::json::value created = boost::json::parse(r.out);
  EXPECT_EQ(created.at("id"), 2);
  EXPECT_EQ(created.at("role"), "auditor");
  const std::string second(created.at("token").as_string());
  EXPECT_EQ(second, only_token(second));

  {  // Only the hashes are stored, and they find the tokens.
    const Database db = Database::open(config_->storage_url);
    auto s = db.open_session();
    auto first = find_api_token_by_hash(*s, hash_token_secret(secret));
    ASSERT_TRUE(first);
    EXPECT_EQ(first->holder, "李娜");
    EXPECT_EQ(first->created_at, clock_.now());
    EXPECT_TRUE(find_api_token_by_hash(*s, hash_token_secret(second)));
  }

  r = run({"list"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID  ROLE            SCOPE             HOLDER  CREATED           REVOKED\n"
            "1   township_clerk  379901001 东岭镇  李娜    2025-03-03 09:00  -\n"
            "2   auditor         379901 示例县     何审    2025-03-03 09:00  -\n");
  EXPECT_THAT(r.out, Not(HasSubstr(secret)));

  clock_.advance(1h);
  r = run({"revoke", "1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("token 1 revoked"));
  r = run({"revoke", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("already revoked"));
  r = run({"revoke", "99"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no token 99"));

  r = run({"list"});
  EXPECT_THAT(r.out, Not(HasSubstr("李娜")));
  r = run({"list", "--all", "--json"});
  ASSERT_EQ(r.code, 0);
  const boost::json::value all = boost::json::parse(r.out);
  ASSERT_EQ(all.at("tokens").as_array().size(), 2u);
  EXPECT_EQ(all.at("tokens").at(0).at("revoked_at"), "2025-03-03T10:00:00+08:00");
  EXPECT_TRUE(all.at("tokens").at(1).at("revoked_at").is_null());
}

class CtlOutbox : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = server_.session();
    NewOutboxMessage m;
    m.channel = "sms";
    m.recipient = "13900000101";
    m.message_type = "deadline_reminder";
    m.body = "提醒";
    m.created_at = m.next_attempt_at = server_.clock().now();
    for (const char* key : {"one", "two"}) {
      m.dedupe_key = key;
      enqueue_outbox(*s, m);
    }
    ASSERT_TRUE(claim_outbox(*s, 2));
    ASSERT_TRUE(mark_outbox_failed(*s, 2, OutboxStatus::kFailed, "号码不存在"));

    // The first county admin token is made the operator's way, on the database.
    SimulatedClock clock(server_.clock().now());
    std::ostringstream out, err;
    ASSERT_EQ(run_token_command(
                  {"create", "--role", "county_admin", "--scope", "379901", "--name", "周建国"},
                  server_.config(), clock, out, err),
              0)
        << err.str();
    admin_ = only_token(out.str());
  }

  CtlRun run(std::vector<std::string> args, const std::string& token) {
    args.insert(args.end(), {"--api", "127.0.0.1:" + std::to_string(server_.port())});
    if (!token.empty()) args.insert(args.end(), {"--token", token});
    CtlEnvironment env;
    env.getenv = [](const std::string&) { return std::optional<std::string>(); };
    std::ostringstream out, err;
    const int code = run_outbox_command(args, env, out, err);
    return {code, out.str(), err.str()};
  }

  test::TestApiServer server_;
  std::string admin_;
};

TEST_F(CtlOutbox, ListsAsATableOrJson) {
  CtlRun r = run({}, admin_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "ID  STATUS   CHANNEL  RECIPIENT    TYPE               ATTEMPTS  NEXT ATTEMPT      "
      "WAITING  LAST ERROR\n"
      "2   failed   sms      139****0101  deadline_reminder  1         2025-03-03 09:00           "
      "号码不存在\n"
      "1   pending  sms      139****0101  deadline_reminder  0         2025-03-03 09:00\n");
  r = run({"--status", "failed", "--json"}, admin_);
  ASSERT_EQ(r.code, 0) << r.err;
  const boost::json::value v = boost::json::parse(r.out);
  EXPECT_EQ(v.at("count"), 1);
  EXPECT_EQ(v.at("messages").at(0).at("recipient"), "13900000101");  // scripts get it all
  r = run({"--status", "sent"}, admin_);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "没有消息 (no messages)\n");
}

TEST_F(CtlOutbox, RetryAndCancelReportTheServersAnswer) {
  CtlRun r = run({"retry", "2"}, admin_);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("message 2 requeued"));
  r = run({"retry", "2"}, admin_);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("only failed or dead messages can be retried"));
  r = run({"cancel", "1", "--json"}, admin_);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(boost::json::parse(r.out).at("message").at("status"), "cancelled");
  r = run({"cancel", "999"}, admin_);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no message 999"));
}

TEST_F(CtlOutbox, ErrorsExitNonZeroWithTheMessage) {
  CtlRun r = run({}, "");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("an API token is required"));
  r = run({}, "fft_" + std::string(64, '1'));
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("not valid"));
  r = run({"--status", "lost"}, admin_);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("[status]"));
  r = run({"retry"}, admin_);
  EXPECT_EQ(r.code, 2);
  r = run({"retry", "two"}, admin_);
  EXPECT_EQ(r.code, 2);
  r = run({"--frobnicate"}, admin_);
  EXPECT_EQ(r.code, 2);

  CtlEnvironment env;
  env.getenv = [](const std::string&) { return std::optional<std::string>(); };
  std::ostringstream out, err;
  EXPECT_EQ(run_outbox_command({"--api", "127.0.0.1:1", "--token", admin_}, env, out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr("is fangfand running?"));
}

}  // namespace
}  // namespace fangfan
