// Alibaba Cloud SMS (阿里云短信) SendSms, RPC style: a form POST to the
// endpoint with Action=SendSms, Version=2017-05-25, the SignName, the
// TemplateCode and TemplateParam (a JSON object of the template's variables,
// filled from the message params), OutId = the outbox id (SendSms is not
// idempotent: the id lets a duplicate be found), signed with HMAC-SHA1
// (signing.h). Success is Code "OK" in the body; isv.BUSINESS_LIMIT_CONTROL
// and Throttling* are rate limits; other isv.* codes (bad number, bad
// template, bad signature name, no balance) and credential errors are
// permanent; isp.* and ServiceUnavailable are retried. A message with an attachment is refused
// for good (an SMS carries no file). Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <variant>

#include "adapters/channels/channel.h"
#include "adapters/config/config.h"
#include "adapters/http/http_client.h"
#include "workflows/clock.h"

namespace fangfan {

// The signed parameters (Signature included), or a permanent failure when
// the message type has no template or a template variable has no value.
std::variant<std::map<std::string, std::string>, DeliveryResult> aliyun_request_params(
    const SmsAliyunConfig& config, const OutgoingMessage& message, const std::string& nonce,
    const std::string& timestamp_iso);

std::variant<HttpRequest, DeliveryResult> build_aliyun_request(const SmsAliyunConfig& config,
                                                               const OutgoingMessage& message,
                                                               const std::string& nonce,
                                                               const std::string& timestamp_iso,
                                                               std::chrono::milliseconds timeout);

DeliveryResult classify_aliyun_answer(const HttpResponse& response,
                                      std::chrono::system_clock::time_point now);

// "2017-07-12T02:42:19Z" of a time point (UTC).
std::string iso_utc(std::chrono::system_clock::time_point t);

class SmsAliyunChannel final : public Channel {
 public:
  // `wall_clock` is the real time the provider checks (signature timestamps, Retry-After
  // dates), even when the daemon runs on a simulated clock.
  SmsAliyunChannel(SmsAliyunConfig config, HttpClient& http, const Clock& wall_clock,
                   std::chrono::milliseconds timeout);
  const std::string& name() const override { return name_; }
  boost::asio::awaitable<DeliveryResult> deliver(OutgoingMessage message) override;

 private:
  std::string name_ = "sms_aliyun";
  SmsAliyunConfig config_;
  HttpClient& http_;
  const Clock& wall_clock_;
  std::chrono::milliseconds timeout_;
};

}  // namespace fangfan
