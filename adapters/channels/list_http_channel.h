// The department endpoint channel `list_http` (department lists, issue 13): the recipient is a
// [[lists]] name; its delivery.http_url receives one multipart/form-data POST with the fields
// list, department (code), period and sha256, and the checked file (attachment.h) as the part
// "file". Authorization: Bearer <http_token> when set; X-Fangfan-Timestamp +
// X-Fangfan-Signature when http_hmac_secret is set, signed as the webhook channel signs
// (webhook_signature over the timestamp and the whole body); Idempotency-Key: the outbox id.
// Any 2xx is sent (a JSON "id" kept as the provider message id); transport failures, timeouts,
// 408, 429 (Retry-After) and 5xx are retried; other statuses are permanent, as is a list the
// configuration does not know or that has no http_url, and a message without an attachment.
// The lists are the configuration's at start (like every channel's settings). Thread-safe.
#pragma once

#include <chrono>

#include "adapters/channels/attachment.h"
#include "adapters/channels/channel.h"
#include "adapters/http/http_client.h"
#include "workflows/clock.h"
#include "workflows/list_rules.h"

namespace fangfan {

HttpRequest build_list_http_request(const DepartmentList& list, const OutgoingMessage& message,
                                    std::string bytes, std::int64_t timestamp,
                                    std::chrono::milliseconds timeout);

DeliveryResult classify_list_http_answer(const HttpResponse& response,
                                         std::chrono::system_clock::time_point now);

// Whether any list is delivered by HTTP (the channel is then enabled).
bool any_list_http(const ListsConfig& lists);

class ListHttpChannel final : public Channel {
 public:
  // `wall_clock` is the real time signatures and Retry-After dates are read against.
  ListHttpChannel(ListsConfig lists, HttpClient& http, const Clock& wall_clock,
                  std::chrono::milliseconds timeout);
  const std::string& name() const override { return name_; }
  boost::asio::awaitable<DeliveryResult> deliver(OutgoingMessage message) override;

 private:
  std::string name_ = "list_http";
  ListsConfig lists_;
  HttpClient& http_;
  const Clock& wall_clock_;
  std::chrono::milliseconds timeout_;
  AttachmentReader files_;
};

}  // namespace fangfan
