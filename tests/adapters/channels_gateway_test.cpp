// Every gateway against the loopback fake providers (tests/support/fake_providers.h), which check
// each request the way the provider does: each answer class, token refresh, idempotency keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/channels/make_channels.h"
#include "adapters/channels/sms_aliyun.h"
#include "adapters/channels/sms_tencent.h"
#include "adapters/channels/webhook_channel.h"
#include "adapters/channels/wechat_app.h"
#include "adapters/channels/wechat_robot.h"
#include "adapters/clock/system_clock.h"
#include "tests/adapters/channels_test_util.h"
#include "tests/support/fake_providers.h"

namespace fangfan {
namespace {

using testing::FakeAnswer;
using testing::FakeProviders;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::run_coro;
using Outcome = DeliveryResult::Outcome;

constexpr std::chrono::milliseconds kTimeout{1500};

class Gateways : public ::testing::Test {
 protected:
  Gateways() {
    fake_.set_delay(std::chrono::milliseconds(3000));
    const auto& s = fake_.secrets();
    robot_.base_url = fake_.base_url();
    robot_.groups = {{"town-1", "370102001", s.robot_keys[0], {"13800000000"}},
                     {"stale", "", "revoked-key", {}}};
    app_.base_url = fake_.base_url();
    app_.corp_id = s.corp_id;
    app_.corp_secret = s.corp_secret;
    app_.agent_id = s.agent_id;
    aliyun_.endpoint = fake_.base_url() + "/aliyun/";
    aliyun_.access_key_id = s.aliyun_key_id;
    aliyun_.access_key_secret = s.aliyun_secret;
    aliyun_.sign_name = "某县防返贫";
    aliyun_.templates["step_overdue"] = {"SMS_100", {"household", "days_overdue"}};
    tencent_.endpoint = fake_.base_url() + "/tencent/";
    tencent_.secret_id = s.tencent_secret_id;
    tencent_.secret_key = s.tencent_secret_key;
    tencent_.sdk_app_id = s.tencent_app_id;
    tencent_.sign_name = "某县";
    tencent_.templates["step_overdue"] = {"200", {"household", "days_overdue"}};
    hook_.url = fake_.base_url() + "/hook";
  }

  OutgoingMessage sms(std::int64_t id = 11, std::string phone = "13800000000") {
    return {id,
            std::move(phone),
            "step_overdue",
            "户主张*逾期3天",
            {{"household", "张*"}, {"days_overdue", "3"}}};
  }

  DeliveryResult send(Channel& c, OutgoingMessage m) { return run_coro(c.deliver(std::move(m))); }

  FakeProviders fake_;
  HttpClient http_;
  SimulatedClock clock_{TimePoint{std::chrono::seconds(1'800'000'000)}};
  SystemClock wall_;  // the fakes check signature timestamps against real time
  WechatRobotConfig robot_;
  WechatAppConfig app_;
  SmsAliyunConfig aliyun_;
  SmsTencentConfig tencent_;
  WebhookConfig hook_;
};

struct AnswerRow {
  FakeAnswer answer;
  Outcome outcome;
};
const AnswerRow kAnswers[] = {
    {FakeAnswer::kSuccess, Outcome::kSent},
    {FakeAnswer::kRateLimit, Outcome::kRateLimited},
    {FakeAnswer::kPermanent, Outcome::kPermanent},
    {FakeAnswer::kServerError, Outcome::kRetry},
    {FakeAnswer::kTooManyRequests, Outcome::kRetry},
    {FakeAnswer::kDelay, Outcome::kRetry},  // beyond the client's timeout
    {FakeAnswer::kDrop, Outcome::kRetry},
};

// Webhook: its "rate limit" is a 429 with Retry-After, which is kRetry.
Outcome expected(const std::string& provider, const AnswerRow& row) {
  if (provider == "webhook" && row.answer == FakeAnswer::kRateLimit) return Outcome::kRetry;
  return row.outcome;
}

TEST_F(Gateways, EveryGatewayGivesEveryAnswerClass) {
  WechatRobotChannel robot(robot_, http_, wall_, kTimeout);
  WechatAppChannel app(app_, http_, clock_, kTimeout);
  SmsAliyunChannel aliyun(aliyun_, http_, wall_, kTimeout);
  SmsTencentChannel tencent(tencent_, http_, wall_, kTimeout);
  WebhookChannel hook(hook_, http_, wall_, kTimeout);
  struct Target {
    std::string provider;
    Channel* channel;
    OutgoingMessage message;
  };
  const std::vector<Target> targets = {
      {"wechat_robot", &robot, {1, "town-1", "step_overdue", "逾期提醒", {}}},
      {"wechat_app", &app, {2, "zhangsan", "step_overdue", "逾期提醒", {}}},
      {"sms_aliyun", &aliyun, sms(3)},
      {"sms_tencent", &tencent, sms(4)},
      {"webhook", &hook, {5, "13800000000", "step_overdue", "逾期提醒", {}}}};
  for (const auto& t : targets) {
    for (const auto& row : kAnswers) {
      fake_.script(t.provider, row.answer);
      DeliveryResult r = send(*t.channel, t.message);
      SCOPED_TRACE(t.provider + " answer " + std::to_string(int(row.answer)) + ": " + r.error);
      EXPECT_EQ(outcome_name(r.outcome), std::string(outcome_name(expected(t.provider, row))));
      if (r.outcome == Outcome::kSent) {
        if (t.provider != "wechat_robot") {
          EXPECT_FALSE(r.provider_message_id.empty());
        }
      } else {
        EXPECT_FALSE(r.error.empty());
        EXPECT_THAT(r.error, Not(HasSubstr(fake_.secrets().corp_secret)));
        EXPECT_THAT(r.error, Not(HasSubstr(fake_.secrets().robot_keys[0])));
        EXPECT_THAT(r.error, Not(HasSubstr("13800000000")));  // masked
      }
      if (row.answer == FakeAnswer::kTooManyRequests) {
        ASSERT_TRUE(r.retry_after);
        EXPECT_EQ(r.retry_after->count(), 7);
      }
    }
  }
  // Every request the fake saw passed its checks (URL, fields, signature, token).
  for (const auto& r : fake_.requests()) {
    EXPECT_THAT(r.reason, Not(HasSubstr("Signature"))) << r.provider << " " << r.target;
    EXPECT_THAT(r.reason, Not(HasSubstr("invalid"))) << r.provider << " " << r.target;
  }
}

TEST_F(Gateways, SmsCarryTheOutboxIdAndTemplateParams) {
  SmsAliyunChannel aliyun(aliyun_, http_, wall_, kTimeout);
  SmsTencentChannel tencent(tencent_, http_, wall_, kTimeout);
  ASSERT_EQ(send(aliyun, sms(901)).outcome, Outcome::kSent);
  ASSERT_EQ(send(tencent, sms(902)).outcome, Outcome::kSent);
  auto a = fake_.accepted("sms_aliyun");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].fields["out_id"], "901");
  EXPECT_EQ(a[0].fields["template"], "SMS_100");
  EXPECT_EQ(a[0].fields["template_param"], R"({"household":"张*","days_overdue":"3"})");
  auto t = fake_.accepted("sms_tencent");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].fields["session_context"], "902");
  EXPECT_EQ(t[0].fields["phone"], "+8613800000000");
  EXPECT_EQ(t[0].fields["template_params"], R"(["张*","3"])");
}

TEST_F(Gateways, WrongSecretsAreRefusedByTheFakeAsByTheProvider) {
  aliyun_.access_key_secret = "wrong";
  tencent_.secret_key = "wrong";
  app_.corp_secret = "wrong";
  SmsAliyunChannel aliyun(aliyun_, http_, wall_, kTimeout);
  SmsTencentChannel tencent(tencent_, http_, wall_, kTimeout);
  WechatAppChannel app(app_, http_, clock_, kTimeout);
  WechatRobotChannel robot(robot_, http_, wall_, kTimeout);
  DeliveryResult r = send(aliyun, sms());
  EXPECT_EQ(r.outcome, Outcome::kPermanent);
  EXPECT_EQ(r.provider_code, "SignatureDoesNotMatch");
  r = send(tencent, sms());
  EXPECT_EQ(r.outcome, Outcome::kPermanent);
  EXPECT_EQ(r.provider_code, "AuthFailure.SignatureFailure");
  r = send(app, {1, "zhangsan", "t", "x", {}});
  EXPECT_EQ(r.outcome, Outcome::kPermanent);
  EXPECT_EQ(r.provider_code, "40001");
  EXPECT_THAT(r.error, Not(HasSubstr("wrong")));
  r = send(robot, {1, "stale", "t", "x", {}});
  EXPECT_EQ(r.provider_code, "93000");
  r = send(robot, {1, "no-such-group", "t", "x", {}});
  EXPECT_EQ(r.outcome, Outcome::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("no-such-group"));
  EXPECT_TRUE(fake_.accepted("sms_aliyun").empty());
  EXPECT_TRUE(fake_.accepted("sms_tencent").empty());
  // An invalid number is the provider's permanent answer, with its code.
  aliyun_.access_key_secret = fake_.secrets().aliyun_secret;
  SmsAliyunChannel good(aliyun_, http_, wall_, kTimeout);
  r = send(good, sms(12, "1380000"));
  EXPECT_EQ(r.outcome, Outcome::kPermanent);
  EXPECT_EQ(r.provider_code, "isv.MOBILE_NUMBER_ILLEGAL");
}

TEST_F(Gateways, WechatAppCachesItsTokenAndRefreshesItOnceWhenRefused) {
  WechatAppChannel app(app_, http_, clock_, kTimeout);
  OutgoingMessage m{1, "zhangsan", "step_overdue", "逾期提醒", {}};
  ASSERT_EQ(send(app, m).outcome, Outcome::kSent);
  ASSERT_EQ(send(app, m).outcome, Outcome::kSent);
  EXPECT_EQ(fake_.tokens_issued(), 1);  // cached

  fake_.expire_tokens();  // the provider says 42001 for the cached token
  DeliveryResult r = send(app, m);
  EXPECT_EQ(r.outcome, Outcome::kSent) << r.error;
  EXPECT_EQ(fake_.tokens_issued(), 2);
  EXPECT_EQ(fake_.accepted("wechat_app").size(), 3u);

  // Our own expiry: after expires_in (less a margin) on the clock, a new token is fetched first.
  clock_.advance(std::chrono::hours(2));
  EXPECT_EQ(send(app, m).outcome, Outcome::kSent);
  EXPECT_EQ(fake_.tokens_issued(), 3);

  // A provider that keeps refusing fresh tokens: one refresh, then a retry later, not a loop.
  fake_.set_token_lifetime(std::chrono::seconds(0));
  fake_.expire_tokens();
  r = send(app, m);
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_EQ(r.provider_code, "42001");
  EXPECT_EQ(fake_.tokens_issued(), 4);
}

TEST_F(Gateways, RobotMarkdownHasNoMentions) {
  robot_.format = "markdown";
  WechatRobotChannel robot(robot_, http_, wall_, kTimeout);
  ASSERT_EQ(send(robot, {1, "town-1", "t", "**逾期** 3 户", {}}).outcome, Outcome::kSent);
  auto got = fake_.accepted("wechat_robot");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].fields["msgtype"], "markdown");
  EXPECT_EQ(got[0].fields.count("mentioned_mobile_list"), 0u);
}

TEST_F(Gateways, WebhookSendsBearerAndSignature) {
  testing::FakeSecrets secrets;
  secrets.webhook_bearer = "county-token";
  secrets.webhook_hmac = "county-hmac";
  FakeProviders strict(secrets);
  hook_.url = strict.base_url() + "/hook";
  WebhookChannel unsigned_hook(hook_, http_, wall_, kTimeout);
  EXPECT_EQ(send(unsigned_hook, {8, "r", "t", "x", {}}).outcome, Outcome::kPermanent);
  hook_.bearer_token = "county-token";
  hook_.hmac_secret = "county-hmac";
  WebhookChannel hook(hook_, http_, wall_, kTimeout);
  DeliveryResult r = send(hook, {8, "r", "t", "x", {}});
  EXPECT_EQ(r.outcome, Outcome::kSent) << r.error;
  auto got = strict.accepted("webhook");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].fields["idempotency_key"], "8");
}

TEST_F(Gateways, MakeChannelsBuildsWhatTheConfigEnables) {
  Config c;
  c.channels.file.enabled = false;
  c.channels.wechat_robot = robot_;
  c.channels.wechat_robot.enabled = true;
  c.channels.sms_tencent = tencent_;
  c.channels.sms_tencent.enabled = true;
  auto channels = make_channels(c, http_, clock_, wall_);
  ASSERT_EQ(channels.size(), 2u);
  EXPECT_EQ(channels[0]->name(), "wechat_robot");
  EXPECT_EQ(channels[1]->name(), "sms_tencent");
  EXPECT_EQ(send(*channels[1], sms()).outcome, Outcome::kSent);
}

// [channels.*] from a config file: secrets inline, from a file and from the environment; a person
// on a gateway that is not enabled is an error.
TEST(ConfigChannels, ReadsGatewaySectionsAndSecrets) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("fangfan-cfg-ch-" + std::to_string(getpid()));
  fs::create_directories(dir / "secrets");
  fs::copy(fs::path(FANGFAN_SOURCE_DIR) / "config/calendar", dir / "calendar",
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  std::ofstream(dir / "secrets/aliyun") << "aliyun-secret-from-file\n";
  ::setenv("FANGFAN_TEST_CORP_SECRET", "corp-secret-from-env", 1);
  std::ifstream in(fs::path(FANGFAN_SOURCE_DIR) / "config/example.toml");
  std::stringstream example;
  example << in.rdbuf();
  std::string text = example.str();
  text += R"(
[channels.http]
max_in_flight = 3
timeout_seconds = 4
[channels.wechat_robot]
enabled = true
format = "markdown"
groups = { "county" = "key-1" }
[channels.wechat_app]
enabled = true
corp_id = "ww1"
corp_secret_env = "FANGFAN_TEST_CORP_SECRET"
agent_id = 1000002
[channels.sms_aliyun]
enabled = true
endpoint = "http://127.0.0.1:1/aliyun/"
access_key_id = "id"
access_key_secret_file = "secrets/aliyun"
sign_name = "示例县"
templates = { step_overdue = { code = "SMS_1", params = ["household", "days_overdue"] } }
)";
  auto r = load_config_text(text, dir / "fangfan.toml");
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r))
      << std::get<std::vector<ConfigError>>(r)[0].to_string();
  const ChannelsConfig& c = std::get<std::shared_ptr<const Config>>(r)->channels;
  EXPECT_EQ(c.http.max_in_flight, 3);
  EXPECT_EQ(c.http.timeout_seconds, 4);
  ASSERT_EQ(c.wechat_robot.groups.size(), 1u);
  EXPECT_EQ(c.wechat_robot.groups[0].key, "key-1");
  EXPECT_EQ(c.wechat_robot.format, "markdown");
  EXPECT_EQ(c.wechat_app.corp_secret, "corp-secret-from-env");
  EXPECT_EQ(c.sms_aliyun.access_key_secret, "aliyun-secret-from-file");
  EXPECT_EQ(c.sms_aliyun.templates.at("step_overdue").params[1], "days_overdue");
  EXPECT_FALSE(c.sms_tencent.enabled);

  // A missing secret file is named; the secret never is.
  std::string broken = text;
  broken.replace(broken.rfind("secrets/aliyun"), 14, "secrets/nope");  // not the example's comment
  auto bad = load_config_text(broken, dir / "fangfan.toml");
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigError>>(bad));
  const std::string first = std::get<std::vector<ConfigError>>(bad)[0].to_string();
  EXPECT_THAT(first, HasSubstr("cannot read the secret file " + (dir / "secrets/nope").string()));

  // A person reached through a gateway that is not enabled.
  std::string person = text;
  const std::string file_only = "channels = [\"file\"]";
  person.replace(person.find(file_only), file_only.size(), "channels = [\"sms_tencent\"]");
  auto off = load_config_text(person, dir / "fangfan.toml");
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigError>>(off));
  EXPECT_THAT(std::get<std::vector<ConfigError>>(off)[0].to_string(),
              HasSubstr("[channels.sms_tencent] is not enabled"));
  EXPECT_THAT(std::get<std::vector<ConfigError>>(off)[0].to_string(),
              Not(HasSubstr("corp-secret-from-env")));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace fangfan
