// Tencent Cloud SMS (腾讯云短信) SendSms, API 3.0: a JSON POST to the endpoint
// with X-TC-Action SendSms, X-TC-Version 2021-01-11, X-TC-Region and a
// TC3-HMAC-SHA256 Authorization (signing.h); body PhoneNumberSet (+86...),
// SmsSdkAppId, SignName, TemplateId, TemplateParamSet (the template's params
// in order) and SessionContext = the outbox id (SendSms is not idempotent).
// The answer: Response.Error for the whole request, else
// Response.SendStatusSet[i].Code per number ("Ok" = sent). LimitExceeded.*
// and RequestLimitExceeded are rate limits; InternalError.* and
// ResourceUnavailable.* are retried; the rest (bad number, unapproved
// template, no balance, bad credentials) are permanent. A message with an
// attachment is refused for good (an SMS carries no file). Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <variant>

#include "adapters/channels/channel.h"
#include "adapters/config/config.h"
#include "adapters/http/http_client.h"
#include "workflows/clock.h"

namespace fangfan {

// "sms.tencentcloudapi.com" (or "127.0.0.1:PORT"): the Host of an endpoint URL.
std::string url_host(const std::string& url);

std::variant<HttpRequest, DeliveryResult> build_tencent_request(const SmsTencentConfig& config,
                                                                const OutgoingMessage& message,
                                                                std::int64_t timestamp,
                                                                std::chrono::milliseconds timeout);

DeliveryResult classify_tencent_answer(const HttpResponse& response,
                                       std::chrono::system_clock::time_point now);

class SmsTencentChannel final : public Channel {
 public:
  // `wall_clock` is the real time the provider checks (signature timestamps, Retry-After
  // dates), even when the daemon runs on a simulated clock.
  SmsTencentChannel(SmsTencentConfig config, HttpClient& http, const Clock& wall_clock,
                    std::chrono::milliseconds timeout);
  const std::string& name() const override { return name_; }
  boost::asio::awaitable<DeliveryResult> deliver(OutgoingMessage message) override;

 private:
  std::string name_ = "sms_tencent";
  SmsTencentConfig config_;
  HttpClient& http_;
  const Clock& wall_clock_;
  std::chrono::milliseconds timeout_;
};

}  // namespace fangfan
