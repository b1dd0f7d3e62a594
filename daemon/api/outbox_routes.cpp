// GCC 12.2 misreports Asio's coroutine frames (class-specific operator new/delete) as
// -Wmismatched-new-delete at -O2 (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/api/outbox_routes.h"

#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <charconv>

#include "adapters/storage/database.h"
#include "daemon/api/auth.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

// The whole outbox concerns the county: a township or village token sees none of it.
void require_county(const ApiRequest& req) { require_scope(req, req.config->county.code); }

std::optional<OutboxStatus> status_param(const ApiRequest& req) {
  auto text = req.query_param("status");
  if (!text || text->empty()) return std::nullopt;
  auto status = parse_outbox_status(*text);
  if (!status) {
    throw ApiError::bad_request(
        "status", "status“" + *text +
                      "”无效，可选：pending, sending, sent, failed, dead, "
                      "cancelled (status must be one of: pending, sending, sent, failed, dead, "
                      "cancelled)");
  }
  return status;
}

int limit_param(const ApiRequest& req) {
  auto text = req.query_param("limit");
  if (!text) return kDefaultLimit;
  int n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc{} || end != text->data() + text->size() || n < 1 || n > kMaxLimit) {
    throw ApiError::bad_request("limit",
                                "limit 应为 1 到 1000 之间的整数 (limit must be a whole "
                                "number from 1 to 1000)");
  }
  return n;
}

awaitable<ApiResponse> list_messages(ApiServices& services, ApiRequest& req) {
  require_county(req);
  const auto status = status_param(req);
  const int limit = limit_param(req);
  auto load = [status, limit](soci::session& s) { return list_outbox(s, status, limit); };
  auto messages = co_await services.storage.run(std::move(load));
  json::array items;
  for (const auto& m : messages) items.push_back(outbox_to_json(m));
  json::object body;
  body["count"] = items.size();
  body["messages"] = std::move(items);
  co_return ApiResponse::json(body);
}

enum class Action { kRetry, kCancel };

awaitable<ApiResponse> act(ApiServices& services, ApiRequest& req, Action action) {
  require_county(req);
  const std::int64_t id = req.id_param("id");
  const TimePoint now = services.clock.now();
  struct Outcome {
    std::optional<OutboxRecord> before;
    bool changed = false;
    std::optional<OutboxRecord> after;
  };
  // Load, change and reload in one transaction: the answer shows the message as this change
  // left it, and a 409 names the status that refused it.
  // Named, not written inside the co_await (GCC 12 destroys such temporaries twice).
  auto change = [id, now, action](soci::session& s) {
    WriteTransaction tx(s);
    Outcome out;
    out.before = load_outbox(s, id);
    if (out.before) {
      out.changed = action == Action::kRetry ? requeue_outbox(s, id, now) : cancel_outbox(s, id);
      out.after = load_outbox(s, id);
    }
    tx.commit();
    return out;
  };
  Outcome o = co_await services.storage.run(std::move(change));
  const std::string n = std::to_string(id);
  if (!o.before) throw ApiError::not_found("没有编号为 " + n + " 的消息 (no message " + n + ")");
  const std::string status(outbox_status_name(o.before->status));
  if (!o.changed) {
    if (action == Action::kRetry) {
      throw ApiError::conflict("not_retryable",
                               "消息 " + n + " 的状态是 " + status +
                                   "，只有 failed 或 dead 的消息可以重发 (message " + n + " is " +
                                   status + "; only failed or dead messages can be retried)");
    }
    throw ApiError::conflict("not_cancellable",
                             "消息 " + n + " 的状态是 " + status +
                                 "，只有 pending、failed 或 dead 的消息可以取消 (message " + n +
                                 " is " + status +
                                 "; only pending, failed or dead messages can be cancelled)");
  }
  spdlog::info("outbox.{} id={} was={} by=\"{}\"",
               action == Action::kRetry ? "requeued" : "cancelled", id, status, req.actor().holder);
  if (action == Action::kRetry && services.outbox_changed) services.outbox_changed();
  json::object body;
  body["message"] = outbox_to_json(*o.after);
  co_return ApiResponse::json(body);
}

}  // namespace

json::object outbox_to_json(const OutboxRecord& m) {
  json::object o;
  o["id"] = m.id;
  o["status"] = std::string(outbox_status_name(m.status));
  o["channel"] = m.channel;
  o["recipient"] = m.recipient;
  o["message_type"] = m.message_type;
  o["case_id"] = m.case_id ? json::value(*m.case_id) : json::value(nullptr);
  o["attempts"] = m.attempts;
  o["next_attempt_at"] = format_time(m.next_attempt_at);
  o["last_error"] = m.last_error;
  o["hold_reason"] = m.hold_reason;
  o["provider_code"] = m.provider_code;
  o["provider_message_id"] = m.provider_message_id;
  o["created_at"] = format_time(m.created_at);
  o["sent_at"] = m.sent_at ? json::value(format_time(*m.sent_at)) : json::value(nullptr);
  o["dedupe_key"] = m.dedupe_key;
  o["body"] = m.body;
  return o;
}

void register_outbox_routes(Router& router, ApiServices& services) {
  router.add(http::verb::get, "/api/v1/outbox",
             [&services](ApiRequest& req) { return list_messages(services, req); });
  router.add(http::verb::post, "/api/v1/outbox/{id}/retry",
             [&services](ApiRequest& req) { return act(services, req, Action::kRetry); });
  router.add(http::verb::post, "/api/v1/outbox/{id}/cancel",
             [&services](ApiRequest& req) { return act(services, req, Action::kCancel); });
}

}  // namespace fangfan
