#include "adapters/channels/webhook_channel.h"

#include <algorithm>
#include <boost/json.hpp>
#include <string_view>

#include "adapters/channels/attachment.h"
#include "adapters/channels/gateway_common.h"
#include "adapters/channels/signing.h"
#include "adapters/text/json_text.h"

namespace fangfan {

namespace json = boost::json;
using Outcome = DeliveryResult::Outcome;

std::string webhook_signature(const std::string& secret, std::int64_t timestamp,
                              const std::string& body) {
  return "sha256=" + hex(hmac_sha256(secret, std::to_string(timestamp) + "." + body));
}

std::string webhook_body(const OutgoingMessage& message) {
  // Written straight into one string: the bytes json::serialize wrote of the json::object this
  // built before (the same keys in the same order, params in the map's order), without the
  // object's allocations per message.
  std::string body;
  body.reserve(96 + message.recipient.size() + message.message_type.size() + message.text.size() +
               32 * message.params.size());
  body += "{\"outbox_id\":";
  body += std::to_string(message.outbox_id);
  body += ",\"recipient\":";
  append_json_string(body, message.recipient);
  body += ",\"message_type\":";
  append_json_string(body, message.message_type);
  body += ",\"text\":";
  append_json_string(body, message.text);
  body += ",\"params\":{";
  bool first = true;
  for (const auto& [k, v] : message.params) {
    if (!first) body += ',';
    first = false;
    append_json_string(body, k);
    body += ':';
    append_json_string(body, v);
  }
  body += "}}";
  return body;
}

HttpRequest build_webhook_request(const WebhookConfig& config, const OutgoingMessage& message,
                                  std::int64_t timestamp, std::chrono::milliseconds timeout) {
  HttpRequest r;
  r.method = "POST";
  r.url = config.url;
  r.body = webhook_body(message);
  r.headers = {{"Content-Type", "application/json; charset=utf-8"},
               {"Idempotency-Key", std::to_string(message.outbox_id)}};
  if (!config.bearer_token.empty()) {
    r.headers.emplace_back("Authorization", "Bearer " + config.bearer_token);
  }
  if (!config.hmac_secret.empty()) {
    r.headers.emplace_back("X-Fangfan-Timestamp", std::to_string(timestamp));
    r.headers.emplace_back("X-Fangfan-Signature",
                           webhook_signature(config.hmac_secret, timestamp, r.body));
  }
  r.timeout = timeout;
  return r;
}

DeliveryResult classify_webhook_answer(const HttpResponse& response,
                                       std::chrono::system_clock::time_point now) {
  if (auto r = classify_http(response, now, "the county webhook")) return *r;
  const std::string status = std::to_string(response.status);
  if (response.status >= 200 && response.status < 300) {
    return DeliveryResult::sent(json_answer_id(response.body), status);
  }
  // Say what the gateway said, but only a short, single-line piece of it.
  const std::string said = said_briefly(response.body);
  return DeliveryResult::failed(Outcome::kPermanent, status,
                                "the county webhook refused the message with HTTP " + status +
                                    (said.empty() ? std::string() : ": " + said));
}

WebhookChannel::WebhookChannel(WebhookConfig config, HttpClient& http, const Clock& wall_clock,
                               std::chrono::milliseconds timeout)
    : config_(std::move(config)), http_(http), wall_clock_(wall_clock), timeout_(timeout) {}

boost::asio::awaitable<DeliveryResult> WebhookChannel::deliver(OutgoingMessage message) {
  if (message.attachment) co_return cannot_send_files(name_);
  const auto now = std::chrono::system_clock::time_point(wall_clock_.now());
  HttpResponse response = co_await http_.send(build_webhook_request(
      config_, message,
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count(), timeout_));
  co_return classify_webhook_answer(response,
                                    std::chrono::system_clock::time_point(wall_clock_.now()));
}

}  // namespace fangfan
