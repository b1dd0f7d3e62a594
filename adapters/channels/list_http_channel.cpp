#include "adapters/channels/list_http_channel.h"

#include <boost/json.hpp>

#include "adapters/channels/gateway_common.h"
#include "adapters/channels/webhook_channel.h"

namespace fangfan {

namespace json = boost::json;
using Outcome = DeliveryResult::Outcome;

namespace {

std::string param(const OutgoingMessage& m, const char* key, std::string fallback = "") {
  auto it = m.params.find(key);
  return it == m.params.end() ? fallback : it->second;
}

}  // namespace

bool any_list_http(const ListsConfig& lists) {
  for (const auto& l : lists.lists) {
    if (!l.delivery.http_url.empty()) return true;
  }
  return false;
}

HttpRequest build_list_http_request(const DepartmentList& list, const OutgoingMessage& message,
                                    std::string bytes, std::int64_t timestamp,
                                    std::chrono::milliseconds timeout) {
  const Attachment& a = *message.attachment;
  MultipartBody form;
  form.add_field("list", list.name);
  form.add_field("department", param(message, "department", list.department));
  form.add_field("period", param(message, "period"));
  form.add_field("sha256", a.sha256);
  form.add_file("file", a.file_name, std::move(bytes), content_type_for(a.file_name));
  MultipartBody::Encoded encoded = form.encode();
  HttpRequest r;
  r.method = "POST";
  r.url = list.delivery.http_url;
  r.headers = {{"Content-Type", encoded.content_type},
               {"Idempotency-Key", std::to_string(message.outbox_id)}};
  r.body = std::move(encoded.body);
  if (!list.delivery.http_token.empty()) {
    r.headers.emplace_back("Authorization", "Bearer " + list.delivery.http_token);
  }
  if (!list.delivery.http_hmac_secret.empty()) {
    r.headers.emplace_back("X-Fangfan-Timestamp", std::to_string(timestamp));
    r.headers.emplace_back("X-Fangfan-Signature",
                           webhook_signature(list.delivery.http_hmac_secret, timestamp, r.body));
  }
  r.timeout = timeout;
  return r;
}

DeliveryResult classify_list_http_answer(const HttpResponse& response,
                                         std::chrono::system_clock::time_point now) {
  if (auto r = classify_http(response, now, "the department endpoint")) return *r;
  const std::string status = std::to_string(response.status);
  if (response.status >= 200 && response.status < 300) {
    return DeliveryResult::sent(json_answer_id(response.body), status);
  }
  const std::string said = said_briefly(response.body);
  return DeliveryResult::failed(Outcome::kPermanent, status,
                                "部门接口拒收名单 (the department endpoint refused the list with "
                                "HTTP " +
                                    status + ")" + (said.empty() ? std::string() : ": " + said));
}

ListHttpChannel::ListHttpChannel(ListsConfig lists, HttpClient& http, const Clock& wall_clock,
                                 std::chrono::milliseconds timeout)
    : lists_(std::move(lists)), http_(http), wall_clock_(wall_clock), timeout_(timeout) {}

boost::asio::awaitable<DeliveryResult> ListHttpChannel::deliver(OutgoingMessage message) {
  if (!message.attachment) {
    co_return DeliveryResult::failed(
        Outcome::kPermanent, "",
        "此渠道只发送文件 (list_http sends files only; the message has none)");
  }
  const DepartmentList* list = lists_.find(message.recipient);
  if (!list || list->delivery.http_url.empty()) {
    co_return DeliveryResult::failed(
        Outcome::kPermanent, "",
        "名单未配置部门接口 (no [[lists]] '" + message.recipient + "' with an http_url)");
  }
  auto bytes = co_await files_.read(*message.attachment);
  if (auto* failed = std::get_if<DeliveryResult>(&bytes)) co_return *failed;
  const auto now = std::chrono::system_clock::time_point(wall_clock_.now());
  HttpResponse response = co_await http_.send(build_list_http_request(
      *list, message, std::get<std::string>(std::move(bytes)),
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count(), timeout_));
  co_return classify_list_http_answer(response,
                                      std::chrono::system_clock::time_point(wall_clock_.now()));
}

}  // namespace fangfan
