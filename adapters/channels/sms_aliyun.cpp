#include "adapters/channels/sms_aliyun.h"

#include <boost/json.hpp>
#include <cstdio>
#include <ctime>

#include "adapters/channels/attachment.h"
#include "adapters/channels/gateway_common.h"
#include "adapters/channels/signing.h"
#include "workflows/id_number.h"

namespace fangfan {

namespace json = boost::json;
using Outcome = DeliveryResult::Outcome;

std::string iso_utc(std::chrono::system_clock::time_point t) {
  const time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::variant<std::map<std::string, std::string>, DeliveryResult> aliyun_request_params(
    const SmsAliyunConfig& config, const OutgoingMessage& message, const std::string& nonce,
    const std::string& timestamp_iso) {
  auto t = config.templates.find(message.message_type);
  if (t == config.templates.end()) {
    return DeliveryResult::failed(Outcome::kPermanent, "",
                                  "no Alibaba SMS template for message type '" +
                                      message.message_type +
                                      "' in [channels.sms_aliyun.templates]");
  }
  json::object vars;
  for (const auto& p : t->second.params) {
    auto v = message.params.find(p);
    if (v == message.params.end()) {
      return DeliveryResult::failed(
          Outcome::kPermanent, "",
          "the message has no '" + p + "' for Alibaba SMS template " + t->second.code);
    }
    vars[p] = v->second;
  }
  std::map<std::string, std::string> params{
      {"AccessKeyId", config.access_key_id},
      {"Action", "SendSms"},
      {"Format", "JSON"},
      {"OutId", std::to_string(message.outbox_id)},
      {"PhoneNumbers", message.recipient},
      {"RegionId", config.region},
      {"SignName", config.sign_name},
      {"SignatureMethod", "HMAC-SHA1"},
      {"SignatureNonce", nonce},
      {"SignatureVersion", "1.0"},
      {"TemplateCode", t->second.code},
      {"TemplateParam", json::serialize(vars)},
      {"Timestamp", timestamp_iso},
      {"Version", "2017-05-25"},
  };
  params["Signature"] = aliyun_rpc_signature("POST", params, config.access_key_secret);
  return params;
}

std::variant<HttpRequest, DeliveryResult> build_aliyun_request(const SmsAliyunConfig& config,
                                                               const OutgoingMessage& message,
                                                               const std::string& nonce,
                                                               const std::string& timestamp_iso,
                                                               std::chrono::milliseconds timeout) {
  auto params = aliyun_request_params(config, message, nonce, timestamp_iso);
  if (auto* failed = std::get_if<DeliveryResult>(&params)) return *failed;
  HttpRequest r;
  r.method = "POST";
  r.url = config.endpoint;
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  r.body = aliyun_canonical_query(std::get<0>(params));
  r.timeout = timeout;
  return r;
}

DeliveryResult classify_aliyun_answer(const HttpResponse& response,
                                      std::chrono::system_clock::time_point now) {
  json::error_code ec;
  json::value v = response.ok() ? json::parse(response.body, ec) : json::value();
  const json::object* o = (ec || !response.ok()) ? nullptr : v.if_object();
  const json::value* code = o ? o->if_contains("Code") : nullptr;
  // A 5xx or 429 without an Alibaba code: the gateway, not Alibaba's answer.
  if (!code || !code->is_string()) {
    if (auto r = classify_http(response, now, "Alibaba SMS")) return *r;
    return DeliveryResult::failed(
        Outcome::kRetry, std::to_string(response.status),
        "Alibaba SMS answered HTTP " + std::to_string(response.status) +
            " without a Code (not an Alibaba answer; is endpoint right?)");
  }
  const std::string c(code->as_string());
  std::string message;
  if (const json::value* m = o->if_contains("Message"); m && m->is_string()) {
    message = std::string(m->as_string());
  }
  if (c == "OK") {
    std::string biz;
    if (const json::value* b = o->if_contains("BizId"); b && b->is_string()) {
      biz = std::string(b->as_string());
    }
    return DeliveryResult::sent(biz, c);
  }
  const std::string text = "Alibaba SMS answered " + c + " (" + message + ")";
  if (c == "isv.BUSINESS_LIMIT_CONTROL" || c.rfind("Throttling", 0) == 0) {
    return DeliveryResult::failed(Outcome::kRateLimited, c, text, kDefaultRateLimitWait);
  }
  if (c.rfind("isp.", 0) == 0 || c == "ServiceUnavailable" || c == "InternalError" ||
      response.status >= 500) {
    return DeliveryResult::failed(Outcome::kRetry, c, text);
  }
  return DeliveryResult::failed(Outcome::kPermanent, c, text);
}

SmsAliyunChannel::SmsAliyunChannel(SmsAliyunConfig config, HttpClient& http,
                                   const Clock& wall_clock, std::chrono::milliseconds timeout)
    : config_(std::move(config)), http_(http), wall_clock_(wall_clock), timeout_(timeout) {}

boost::asio::awaitable<DeliveryResult> SmsAliyunChannel::deliver(OutgoingMessage message) {
  if (message.attachment) co_return cannot_send_files(name_);
  auto request = build_aliyun_request(
      config_, message, random_hex(16),
      iso_utc(std::chrono::system_clock::time_point(wall_clock_.now())), timeout_);
  if (auto* failed = std::get_if<DeliveryResult>(&request)) co_return *failed;
  HttpResponse response = co_await http_.send(std::get<HttpRequest>(std::move(request)));
  DeliveryResult r =
      classify_aliyun_answer(response, std::chrono::system_clock::time_point(wall_clock_.now()));
  if (r.outcome != Outcome::kSent) r.error += " to " + mask_phone(message.recipient);
  co_return r;
}

}  // namespace fangfan
