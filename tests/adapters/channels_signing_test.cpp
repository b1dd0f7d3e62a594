// Signing against the providers' own documented examples (design-notes.md),
// and the pure request builders and answer classifiers of every gateway.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "adapters/channels/gateway_common.h"
#include "adapters/channels/signing.h"
#include "adapters/channels/sms_aliyun.h"
#include "adapters/channels/sms_tencent.h"
#include "adapters/channels/webhook_channel.h"
#include "adapters/channels/wechat_app.h"
#include "adapters/channels/wechat_robot.h"

namespace fangfan {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Outcome = DeliveryResult::Outcome;

TEST(Signing, AlibabaRpcDocumentedVector) {
  const std::map<std::string, std::string> params{
      {"AccessKeyId", "testId"},
      {"Action", "SendSms"},
      {"Format", "XML"},
      {"OutId", "123"},
      {"PhoneNumbers", "15300000001"},
      {"RegionId", "cn-hangzhou"},
      {"SignName", "阿里云短信测试专用"},
      {"SignatureMethod", "HMAC-SHA1"},
      {"SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"},
      {"SignatureVersion", "1.0"},
      {"TemplateCode", "SMS_71390007"},
      {"TemplateParam", "{\"customer\":\"test\"}"},
      {"Timestamp", "2017-07-12T02:42:19Z"},
      {"Version", "2017-05-25"}};
  EXPECT_EQ(aliyun_rpc_signature("GET", params, "testSecret"), "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
  EXPECT_NE(aliyun_rpc_signature("GET", params, "otherSecret"), "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
}

TEST(Signing, TencentTc3DocumentedVector) {
  Tc3Input in;
  in.secret_id = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
  in.secret_key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
  in.service = "cvm";
  in.host = "cvm.tencentcloudapi.com";
  in.content_type = "application/json; charset=utf-8";
  in.timestamp = 1551113065;
  in.payload =
      R"({"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]})";
  EXPECT_EQ(utc_date(in.timestamp), "2019-02-25");
  EXPECT_EQ(tc3_signature(in), "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
  EXPECT_EQ(tc3_authorization(in),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
            "tc3_request, SignedHeaders=content-type;host, "
            "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
}

TEST(Signing, PercentEncodingIsRfc3986) {
  EXPECT_EQ(percent_encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
  EXPECT_EQ(percent_decode("a%20b%2Ac+d"), "a b*c d");
  EXPECT_EQ(base64("abc"), "YWJj");
  EXPECT_EQ(sha256_digest_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

HttpResponse answer(int status, std::string body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

HttpResponse transport(HttpResponse::Transport t) {
  HttpResponse r;
  r.transport = t;
  r.error = "cannot connect to http://127.0.0.1:1/x";
  return r;
}

const auto kNow = std::chrono::system_clock::now();

struct ClassifyRow {
  const char* name;
  std::function<DeliveryResult(const HttpResponse&)> classify;
  HttpResponse response;
  Outcome outcome;
  const char* code;
};

// gtest names a failing case by this instead of its bytes.
void PrintTo(const ClassifyRow& c, std::ostream* os) { *os << c.name; }

class Classify : public ::testing::TestWithParam<ClassifyRow> {};

TEST_P(Classify, GivesTheIssueClass) {
  const ClassifyRow& row = GetParam();
  DeliveryResult r = row.classify(row.response);
  EXPECT_EQ(outcome_name(r.outcome), std::string(outcome_name(row.outcome))) << r.error;
  EXPECT_EQ(r.provider_code, row.code) << r.error;
  if (r.outcome != Outcome::kSent) {
    EXPECT_FALSE(r.error.empty());
  }
}

DeliveryResult robot(const HttpResponse& r) { return classify_robot_answer(r, kNow); }
DeliveryResult app(const HttpResponse& r) {
  bool token = false;
  return classify_app_answer(r, kNow, token);
}
DeliveryResult aliyun(const HttpResponse& r) { return classify_aliyun_answer(r, kNow); }
DeliveryResult tencent(const HttpResponse& r) { return classify_tencent_answer(r, kNow); }
DeliveryResult hook(const HttpResponse& r) { return classify_webhook_answer(r, kNow); }

std::string tencent_status(const char* code) {
  return std::string(R"({"Response":{"SendStatusSet":[{"SerialNo":"s1","Code":")") + code +
         R"(","Message":"m"}],"RequestId":"r"}})";
}

INSTANTIATE_TEST_SUITE_P(
    Gateways, Classify,
    ::testing::Values(
        ClassifyRow{"robot_ok", robot, answer(200, R"({"errcode":0,"errmsg":"ok"})"),
                    Outcome::kSent, "0"},
        ClassifyRow{"robot_45009", robot, answer(200, R"({"errcode":45009,"errmsg":"freq"})"),
                    Outcome::kRateLimited, "45009"},
        ClassifyRow{"robot_93000", robot, answer(200, R"({"errcode":93000,"errmsg":"bad key"})"),
                    Outcome::kPermanent, "93000"},
        ClassifyRow{"robot_busy", robot, answer(200, R"({"errcode":-1,"errmsg":"busy"})"),
                    Outcome::kRetry, "-1"},
        ClassifyRow{"robot_502", robot, answer(502, "<html/>"), Outcome::kRetry, "502"},
        ClassifyRow{"robot_refused", robot, transport(HttpResponse::Transport::kConnect),
                    Outcome::kRetry, ""},
        ClassifyRow{"robot_timeout", robot, transport(HttpResponse::Transport::kTimeout),
                    Outcome::kRetry, ""},
        ClassifyRow{"app_81013", app, answer(200, R"({"errcode":81013,"errmsg":"all invalid"})"),
                    Outcome::kPermanent, "81013"},
        ClassifyRow{"app_60020", app, answer(200, R"({"errcode":60020,"errmsg":"ip"})"),
                    Outcome::kPermanent, "60020"},
        ClassifyRow{"app_invaliduser", app,
                    answer(200, R"({"errcode":0,"errmsg":"ok","invaliduser":"zhangsan"})"),
                    Outcome::kPermanent, "invaliduser"},
        ClassifyRow{"app_42001", app, answer(200, R"({"errcode":42001,"errmsg":"expired"})"),
                    Outcome::kRetry, "42001"},
        ClassifyRow{"app_429", app, answer(429, "", {{"retry-after", "9"}}), Outcome::kRetry,
                    "429"},
        ClassifyRow{"aliyun_ok", aliyun, answer(200, R"({"Code":"OK","BizId":"b1"})"),
                    Outcome::kSent, "OK"},
        ClassifyRow{"aliyun_limit", aliyun,
                    answer(200, R"({"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"m"})"),
                    Outcome::kRateLimited, "isv.BUSINESS_LIMIT_CONTROL"},
        ClassifyRow{"aliyun_number", aliyun,
                    answer(200, R"({"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"m"})"),
                    Outcome::kPermanent, "isv.MOBILE_NUMBER_ILLEGAL"},
        ClassifyRow{"aliyun_signature", aliyun,
                    answer(400, R"({"Code":"SignatureDoesNotMatch","Message":"m"})"),
                    Outcome::kPermanent, "SignatureDoesNotMatch"},
        ClassifyRow{"aliyun_isp", aliyun, answer(200, R"({"Code":"isp.SYSTEM_ERROR"})"),
                    Outcome::kRetry, "isp.SYSTEM_ERROR"},
        ClassifyRow{"aliyun_503_html", aliyun, answer(503, "<html/>"), Outcome::kRetry, "503"},
        ClassifyRow{"tencent_ok", tencent, answer(200, tencent_status("Ok")), Outcome::kSent, "Ok"},
        ClassifyRow{"tencent_limit", tencent,
                    answer(200, tencent_status("LimitExceeded.PhoneNumberDailyLimit")),
                    Outcome::kRateLimited, "LimitExceeded.PhoneNumberDailyLimit"},
        ClassifyRow{"tencent_number", tencent,
                    answer(200, tencent_status("InvalidParameterValue.IncorrectPhoneNumber")),
                    Outcome::kPermanent, "InvalidParameterValue.IncorrectPhoneNumber"},
        ClassifyRow{"tencent_error", tencent,
                    answer(200, R"({"Response":{"Error":{"Code":"AuthFailure.SignatureFailure",)"
                                R"("Message":"m"},"RequestId":"r"}})"),
                    Outcome::kPermanent, "AuthFailure.SignatureFailure"},
        ClassifyRow{"tencent_internal", tencent,
                    answer(200, R"({"Response":{"Error":{"Code":"InternalError.Timeout",)"
                                R"("Message":"m"},"RequestId":"r"}})"),
                    Outcome::kRetry, "InternalError.Timeout"},
        ClassifyRow{"hook_201", hook, answer(201, R"({"id":"x1"})"), Outcome::kSent, "201"},
        ClassifyRow{"hook_400", hook, answer(400, "no such number"), Outcome::kPermanent, "400"},
        ClassifyRow{"hook_dropped", hook, transport(HttpResponse::Transport::kDropped),
                    Outcome::kRetry, ""}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Classify, RetryAfterIsHonoured) {
  DeliveryResult r = hook(answer(429, "", {{"retry-after", "120"}}));
  ASSERT_TRUE(r.retry_after);
  EXPECT_EQ(r.retry_after->count(), 120);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
                              std::chrono::system_clock::from_time_t(1445412420)),
            std::chrono::seconds(60));
  EXPECT_FALSE(parse_retry_after("soon", kNow));
}

TEST(Requests, RobotTextCarriesMentionsAndKeyOnlyInUrl) {
  WechatRobotConfig c;
  c.base_url = "http://127.0.0.1:9";
  c.groups = {{"town-1", "370102001", "secret-key", {"13800000000"}}};
  OutgoingMessage m{7, "清泉镇干部@370102001", "step_overdue", "户主 张* 逾期", {}};
  const WechatRobotGroup* g = find_robot_group(c, m.recipient);
  ASSERT_NE(g, nullptr);
  HttpRequest r = build_robot_request(c, *g, m, std::chrono::seconds(3));
  EXPECT_EQ(r.url, "http://127.0.0.1:9/cgi-bin/webhook/send?key=secret-key");
  EXPECT_THAT(redact_url(r.url), Not(HasSubstr("secret-key")));
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body["msgtype"], "text");
  EXPECT_EQ(body["text"].as_object()["mentioned_mobile_list"].as_array()[0], "13800000000");
  EXPECT_EQ(find_robot_group(c, "nobody@999"), nullptr);
}

TEST(Requests, LongTextIsCutOnACharacterBoundary) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "逾期";  // 6000 bytes
  const std::string cut = truncate_utf8(text, 2048);
  EXPECT_LE(cut.size(), 2048u);
  EXPECT_EQ(cut.substr(cut.size() - 3), "…");
  EXPECT_EQ((cut.size() - 3) % 3, 0u);  // whole three-byte characters only
}

TEST(Requests, SmsTemplatesFillParamsAndCarryTheOutboxId) {
  SmsAliyunConfig a;
  a.access_key_id = "id";
  a.access_key_secret = "secret";
  a.sign_name = "某县防返贫";
  a.templates["step_overdue"] = {"SMS_1", {"household", "days_overdue"}};
  OutgoingMessage m{42,
                    "13800000000",
                    "step_overdue",
                    "text",
                    {{"household", "张*"}, {"days_overdue", "3"}, {"village", "x"}}};
  auto p = aliyun_request_params(a, m, "nonce-1", "2026-01-02T03:04:05Z");
  ASSERT_EQ(p.index(), 0u);
  auto& params = std::get<0>(p);
  EXPECT_EQ(params["OutId"], "42");
  EXPECT_EQ(params["TemplateParam"], R"({"household":"张*","days_overdue":"3"})");
  auto unsigned_params = params;
  unsigned_params.erase("Signature");
  EXPECT_EQ(params["Signature"], aliyun_rpc_signature("POST", unsigned_params, "secret"));

  m.params.erase("days_overdue");
  auto missing = aliyun_request_params(a, m, "n", "2026-01-02T03:04:05Z");
  ASSERT_EQ(missing.index(), 1u);
  EXPECT_EQ(std::get<1>(missing).outcome, Outcome::kPermanent);
  m.message_type = "visit_overdue";
  EXPECT_EQ(std::get<1>(aliyun_request_params(a, m, "n", "t")).outcome, Outcome::kPermanent);

  SmsTencentConfig t;
  t.endpoint = "http://127.0.0.1:8080/tencent/";
  t.secret_id = "AKID";
  t.secret_key = "key";
  t.sdk_app_id = "1400000001";
  t.sign_name = "某县";
  t.templates["step_overdue"] = {"123456", {"household"}};
  m.message_type = "step_overdue";
  auto tr = build_tencent_request(t, m, 1700000000, std::chrono::seconds(3));
  ASSERT_EQ(tr.index(), 0u);
  auto body = boost::json::parse(std::get<0>(tr).body).as_object();
  EXPECT_EQ(body["SessionContext"], "42");
  EXPECT_EQ(body["PhoneNumberSet"].as_array()[0], "+8613800000000");
  EXPECT_EQ(body["TemplateParamSet"].as_array()[0], "张*");
  EXPECT_EQ(url_host(t.endpoint), "127.0.0.1:8080");
}

TEST(Requests, WebhookSignsTimestampAndBody) {
  WebhookConfig c;
  c.url = "http://127.0.0.1:9/hook";
  c.bearer_token = "tkn";
  c.hmac_secret = "hs";
  HttpRequest r =
      build_webhook_request(c, {5, "r", "t", "x", {}}, 1700000000, std::chrono::seconds(1));
  std::map<std::string, std::string> h(r.headers.begin(), r.headers.end());
  EXPECT_EQ(h["Authorization"], "Bearer tkn");
  EXPECT_EQ(h["Idempotency-Key"], "5");
  EXPECT_EQ(h["X-Fangfan-Signature"], "sha256=" + hex(hmac_sha256("hs", "1700000000." + r.body)));
}

// The body is written into a string directly: it must stay the bytes Boost.JSON writes of the
// object { outbox_id, recipient, message_type, text, params } (what county gateways were given
// before), escapes and all.
TEST(Requests, WebhookBodyIsTheSerializedJsonObject) {
  using namespace std::string_literals;
  auto expected = [](const OutgoingMessage& m) {
    boost::json::object params;
    for (const auto& [k, v] : m.params) params[k] = v;
    return boost::json::serialize(boost::json::object{{"outbox_id", m.outbox_id},
                                                      {"recipient", m.recipient},
                                                      {"message_type", m.message_type},
                                                      {"text", m.text},
                                                      {"params", std::move(params)}});
  };
  const std::vector<OutgoingMessage> messages{
      {5, "r", "t", "x", {}},
      {9007199254740993,
       "13800000000",
       "step_overdue",
       "请于三日内补充收入证明材料",
       {{"household", "王*"}, {"case_id", "42"}, {"village", "东村"}}},
      {-1,
       "a\"b\\c",
       "line\nbreak\ttab\r",
       "nul\0ctl\x01\x1f del\x7f /"s,
       {{"k\"ey", "v\\al\u00e9"}, {"", ""}, {"ctl", "\x08\x0c"}}},
      {0, "", "", "", {{"only", "one"}}},
  };
  for (const auto& m : messages) {
    EXPECT_EQ(webhook_body(m), expected(m)) << m.text;
    WebhookConfig c;
    c.url = "http://127.0.0.1:9/hook";
    EXPECT_EQ(build_webhook_request(c, m, 1700000000, std::chrono::seconds(1)).body, expected(m));
  }
}

}  // namespace
}  // namespace fangfan
