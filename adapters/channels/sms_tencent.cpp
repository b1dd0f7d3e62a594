#include "adapters/channels/sms_tencent.h"

#include <boost/json.hpp>

#include "adapters/channels/attachment.h"
#include "adapters/channels/gateway_common.h"
#include "adapters/channels/signing.h"
#include "workflows/id_number.h"

namespace fangfan {

namespace json = boost::json;
using Outcome = DeliveryResult::Outcome;

namespace {

constexpr const char* kContentType = "application/json; charset=utf-8";

std::string str(const json::object* o, std::string_view key) {
  const json::value* v = o ? o->if_contains(key) : nullptr;
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

DeliveryResult tencent_code_result(const std::string& code, const std::string& message,
                                   const std::string& serial) {
  if (code == "Ok") return DeliveryResult::sent(serial, code);
  const std::string text = "Tencent SMS answered " + code + " (" + message + ")";
  if (code.rfind("LimitExceeded", 0) == 0 || code == "RequestLimitExceeded" ||
      code.rfind("RequestLimitExceeded.", 0) == 0) {
    return DeliveryResult::failed(Outcome::kRateLimited, code, text, kDefaultRateLimitWait);
  }
  if (code.rfind("InternalError", 0) == 0 || code.rfind("ResourceUnavailable", 0) == 0 ||
      code == "FailedOperation.FailResolvePacket") {
    return DeliveryResult::failed(Outcome::kRetry, code, text);
  }
  return DeliveryResult::failed(Outcome::kPermanent, code, text);
}

}  // namespace

std::string url_host(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  const size_t end = url.find_first_of("/?#", start);
  std::string host = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (const size_t at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  return host;
}

std::variant<HttpRequest, DeliveryResult> build_tencent_request(const SmsTencentConfig& config,
                                                                const OutgoingMessage& message,
                                                                std::int64_t timestamp,
                                                                std::chrono::milliseconds timeout) {
  auto t = config.templates.find(message.message_type);
  if (t == config.templates.end()) {
    return DeliveryResult::failed(Outcome::kPermanent, "",
                                  "no Tencent SMS template for message type '" +
                                      message.message_type +
                                      "' in [channels.sms_tencent.templates]");
  }
  json::array values;
  for (const auto& p : t->second.params) {
    auto v = message.params.find(p);
    if (v == message.params.end()) {
      return DeliveryResult::failed(
          Outcome::kPermanent, "",
          "the message has no '" + p + "' for Tencent SMS template " + t->second.code);
    }
    values.emplace_back(v->second);
  }
  const std::string phone =
      message.recipient.rfind("+", 0) == 0 ? message.recipient : "+86" + message.recipient;
  json::object body{{"PhoneNumberSet", json::array{json::value(phone)}},
                    {"SmsSdkAppId", config.sdk_app_id},
                    {"SignName", config.sign_name},
                    {"TemplateId", t->second.code},
                    {"TemplateParamSet", std::move(values)},
                    {"SessionContext", std::to_string(message.outbox_id)}};
  Tc3Input in;
  in.secret_id = config.secret_id;
  in.secret_key = config.secret_key;
  in.service = "sms";
  in.host = url_host(config.endpoint);
  in.content_type = kContentType;
  in.action = "SendSms";
  in.timestamp = timestamp;
  in.payload = json::serialize(body);
  HttpRequest r;
  r.method = "POST";
  r.url = config.endpoint;
  r.headers = {{"Authorization", tc3_authorization(in)},
               {"Content-Type", kContentType},
               {"Host", in.host},
               {"X-TC-Action", "SendSms"},
               {"X-TC-Timestamp", std::to_string(timestamp)},
               {"X-TC-Version", "2021-01-11"},
               {"X-TC-Region", config.region}};
  r.body = std::move(in.payload);
  r.timeout = timeout;
  return r;
}

DeliveryResult classify_tencent_answer(const HttpResponse& response,
                                       std::chrono::system_clock::time_point now) {
  if (auto r = classify_http(response, now, "Tencent SMS")) return *r;
  json::error_code ec;
  json::value v = json::parse(response.body, ec);
  const json::object* top = ec ? nullptr : v.if_object();
  const json::value* resp = top ? top->if_contains("Response") : nullptr;
  const json::object* o = resp ? resp->if_object() : nullptr;
  if (!o) {
    return DeliveryResult::failed(Outcome::kRetry, std::to_string(response.status),
                                  "Tencent SMS answered HTTP " + std::to_string(response.status) +
                                      " without a Response (not a Tencent answer; is endpoint "
                                      "right?)");
  }
  if (const json::value* e = o->if_contains("Error"); e && e->is_object()) {
    return tencent_code_result(str(e->if_object(), "Code"), str(e->if_object(), "Message"), "");
  }
  const json::value* set = o->if_contains("SendStatusSet");
  if (!set || !set->is_array() || set->as_array().empty() || !set->as_array()[0].is_object()) {
    return DeliveryResult::failed(Outcome::kRetry, "",
                                  "Tencent SMS answered without a SendStatusSet");
  }
  // One number per message: its status is the message's.
  const json::object* status = set->as_array()[0].if_object();
  return tencent_code_result(str(status, "Code"), str(status, "Message"), str(status, "SerialNo"));
}

SmsTencentChannel::SmsTencentChannel(SmsTencentConfig config, HttpClient& http,
                                     const Clock& wall_clock, std::chrono::milliseconds timeout)
    : config_(std::move(config)), http_(http), wall_clock_(wall_clock), timeout_(timeout) {}

boost::asio::awaitable<DeliveryResult> SmsTencentChannel::deliver(OutgoingMessage message) {
  if (message.attachment) co_return cannot_send_files(name_);
  const auto now = std::chrono::system_clock::time_point(wall_clock_.now());
  auto request = build_tencent_request(
      config_, message,
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count(), timeout_);
  if (auto* failed = std::get_if<DeliveryResult>(&request)) co_return *failed;
  HttpResponse response = co_await http_.send(std::get<HttpRequest>(std::move(request)));
  DeliveryResult r =
      classify_tencent_answer(response, std::chrono::system_clock::time_point(wall_clock_.now()));
  if (r.outcome != Outcome::kSent) r.error += " to " + mask_phone(message.recipient);
  co_return r;
}

}  // namespace fangfan
