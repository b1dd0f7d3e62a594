// A county's own gateway (e.g. its SMS platform): a JSON POST of
// {"outbox_id", "recipient", "message_type", "text", "params"} to the
// configured URL, with Idempotency-Key = the outbox id, and optionally
// Authorization: Bearer TOKEN and/or X-Fangfan-Timestamp + X-Fangfan-Signature
// "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body). Any 2xx is sent
// (the body's "id", if any, is kept as the provider message id); 408, 429
// (Retry-After) and 5xx are retried; other statuses are permanent. A message with an attachment
// is refused for good (attachment.h cannot_send_files; files go by list_http). Thread-safe.
#pragma once

#include <chrono>

#include "adapters/channels/channel.h"
#include "adapters/config/config.h"
#include "adapters/http/http_client.h"
#include "workflows/clock.h"

namespace fangfan {

// The request's JSON body (the shape above).
std::string webhook_body(const OutgoingMessage& message);
HttpRequest build_webhook_request(const WebhookConfig& config, const OutgoingMessage& message,
                                  std::int64_t timestamp, std::chrono::milliseconds timeout);
// The X-Fangfan-Signature value for a timestamp and body.
std::string webhook_signature(const std::string& secret, std::int64_t timestamp,
                              const std::string& body);

DeliveryResult classify_webhook_answer(const HttpResponse& response,
                                       std::chrono::system_clock::time_point now);

class WebhookChannel final : public Channel {
 public:
  // `wall_clock` is the real time the provider checks (signature timestamps, Retry-After
  // dates), even when the daemon runs on a simulated clock.
  WebhookChannel(WebhookConfig config, HttpClient& http, const Clock& wall_clock,
                 std::chrono::milliseconds timeout);
  const std::string& name() const override { return name_; }
  boost::asio::awaitable<DeliveryResult> deliver(OutgoingMessage message) override;

 private:
  std::string name_ = "webhook";
  WebhookConfig config_;
  HttpClient& http_;
  const Clock& wall_clock_;
  std::chrono::milliseconds timeout_;
};

}  // namespace fangfan
