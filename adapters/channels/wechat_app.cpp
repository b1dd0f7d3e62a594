#include "adapters/channels/wechat_app.h"

#include <boost/json.hpp>

#include "adapters/channels/gateway_common.h"
#include "adapters/channels/signing.h"

namespace fangfan {

namespace json = boost::json;
using Outcome = DeliveryResult::Outcome;

namespace {

// errcode and errmsg of a WeChat answer; nullopt when the body is not one.
std::optional<std::pair<long, std::string>> wechat_code(const json::object* o) {
  const json::value* code = o ? o->if_contains("errcode") : nullptr;
  if (!code || !code->is_int64()) return std::nullopt;
  std::string msg;
  if (const json::value* m = o->if_contains("errmsg"); m && m->is_string()) {
    msg = std::string(m->as_string());
  }
  return std::make_pair(long(code->as_int64()), msg);
}

DeliveryResult not_wechat(const HttpResponse& response) {
  return DeliveryResult::failed(
      Outcome::kRetry, std::to_string(response.status),
      "WeChat Work answered HTTP " + std::to_string(response.status) +
          " without an errcode (not a WeChat answer; is base_url right?)");
}

}  // namespace

HttpRequest build_token_request(const WechatAppConfig& config, std::chrono::milliseconds timeout) {
  HttpRequest r;
  r.method = "GET";
  r.url = config.base_url + "/cgi-bin/gettoken?corpid=" + percent_encode(config.corp_id) +
          "&corpsecret=" + percent_encode(config.corp_secret);
  r.timeout = timeout;
  return r;
}

std::variant<WechatToken, DeliveryResult> parse_token_answer(
    const HttpResponse& response, TimePoint now, std::chrono::system_clock::time_point wall_now) {
  if (auto r = classify_http(response, wall_now, "WeChat Work gettoken")) return *r;
  json::error_code ec;
  json::value v = json::parse(response.body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  auto code = wechat_code(o);
  if (!code) return not_wechat(response);
  if (code->first != 0) {
    DeliveryResult r = wechat_result(code->first, code->second, "");
    r.error = "getting a WeChat Work token failed: " + r.error;
    return r;
  }
  const json::value* token = o->if_contains("access_token");
  const json::value* expires = o->if_contains("expires_in");
  if (!token || !token->is_string() || token->as_string().empty()) return not_wechat(response);
  const std::int64_t seconds = expires && expires->is_int64() ? expires->as_int64() : 7200;
  return WechatToken{std::string(token->as_string()),
                     now + std::chrono::seconds(std::max<std::int64_t>(seconds - 300, 0))};
}

HttpRequest build_app_request(const WechatAppConfig& config, const std::string& token,
                              const OutgoingMessage& message, std::chrono::milliseconds timeout) {
  json::object body{{"touser", message.recipient},
                    {"msgtype", "text"},
                    {"agentid", config.agent_id},
                    {"text", json::object{{"content", truncate_utf8(message.text, 2048)}}},
                    {"safe", 0}};
  HttpRequest r;
  r.method = "POST";
  r.url = config.base_url + "/cgi-bin/message/send?access_token=" + percent_encode(token);
  r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  r.body = json::serialize(body);
  r.timeout = timeout;
  return r;
}

HttpRequest build_app_upload_request(const WechatAppConfig& config, const std::string& token,
                                     const Attachment& attachment, std::string bytes,
                                     std::chrono::milliseconds timeout) {
  return wechat_upload_request(config.base_url + "/cgi-bin/media/upload?access_token=" +
                                   percent_encode(token) + "&type=file",
                               attachment, std::move(bytes), timeout);
}

HttpRequest build_app_file_request(const WechatAppConfig& config, const std::string& token,
                                   const std::string& touser, const std::string& media_id,
                                   std::chrono::milliseconds timeout) {
  json::object body{{"touser", touser},
                    {"msgtype", "file"},
                    {"agentid", config.agent_id},
                    {"file", json::object{{"media_id", media_id}}},
                    {"safe", 0}};
  HttpRequest r;
  r.method = "POST";
  r.url = config.base_url + "/cgi-bin/message/send?access_token=" + percent_encode(token);
  r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  r.body = json::serialize(body);
  r.timeout = timeout;
  return r;
}

DeliveryResult classify_app_answer(const HttpResponse& response,
                                   std::chrono::system_clock::time_point now, bool& token_refused) {
  token_refused = false;
  if (auto r = classify_http(response, now, "WeChat Work message/send")) return *r;
  json::error_code ec;
  json::value v = json::parse(response.body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  auto code = wechat_code(o);
  if (!code) return not_wechat(response);
  if (wechat_error_class(code->first) == WechatErrorClass::kToken) token_refused = true;
  std::string msgid;
  if (const json::value* m = o->if_contains("msgid"); m && m->is_string()) {
    msgid = std::string(m->as_string());
  }
  if (code->first == 0) {
    // errcode 0 with the user listed as invalid: WeChat accepted the call but
    // reached nobody (the user id does not exist or left the company).
    if (const json::value* bad = o->if_contains("invaliduser");
        bad && bad->is_string() && !bad->as_string().empty()) {
      return DeliveryResult::failed(Outcome::kPermanent, "invaliduser",
                                    "WeChat Work does not know the user id '" +
                                        std::string(bad->as_string()) + "' (invaliduser)");
    }
  }
  return wechat_result(code->first, code->second, msgid);
}

WechatAppChannel::WechatAppChannel(WechatAppConfig config, HttpClient& http, const Clock& clock,
                                   std::chrono::milliseconds timeout)
    : config_(std::move(config)), http_(http), clock_(clock), timeout_(timeout) {}

int WechatAppChannel::tokens_fetched() const {
  std::lock_guard lock(mutex_);
  return fetched_;
}

void WechatAppChannel::forget_token(const std::string& token) {
  std::lock_guard lock(mutex_);
  if (token_ && token_->value == token) token_.reset();
}

boost::asio::awaitable<std::variant<std::string, DeliveryResult>> WechatAppChannel::token() {
  {
    std::lock_guard lock(mutex_);
    if (token_ && clock_.now() < token_->expires_at) co_return token_->value;
  }
  HttpResponse response = co_await http_.send(build_token_request(config_, timeout_));
  auto parsed = parse_token_answer(response, clock_.now(),
                                   std::chrono::system_clock::time_point(clock_.now()));
  if (auto* failed = std::get_if<DeliveryResult>(&parsed)) co_return *failed;
  auto& fresh = std::get<WechatToken>(parsed);
  std::lock_guard lock(mutex_);
  ++fetched_;
  token_ = fresh;
  co_return fresh.value;
}

boost::asio::awaitable<DeliveryResult> WechatAppChannel::send_with(const std::string& token,
                                                                   const OutgoingMessage& message,
                                                                   const std::string* bytes,
                                                                   bool& token_refused) {
  const auto wall_now = [this] { return std::chrono::system_clock::time_point(clock_.now()); };
  if (!bytes) {
    HttpResponse response =
        co_await http_.send(build_app_request(config_, token, message, timeout_));
    co_return classify_app_answer(response, wall_now(), token_refused);
  }
  HttpResponse uploaded = co_await http_.send(
      build_app_upload_request(config_, token, *message.attachment, *bytes, timeout_));
  auto media = wechat_media_answer(uploaded, wall_now(), "WeChat Work media/upload", token_refused);
  if (auto* failed = std::get_if<DeliveryResult>(&media)) co_return *failed;
  HttpResponse response = co_await http_.send(build_app_file_request(
      config_, token, message.recipient, std::get<std::string>(media), timeout_));
  co_return classify_app_answer(response, wall_now(), token_refused);
}

boost::asio::awaitable<DeliveryResult> WechatAppChannel::deliver(OutgoingMessage message) {
  std::optional<std::string> bytes;
  if (message.attachment) {
    if (auto refused = wechat_file_size_refusal(*message.attachment)) co_return *refused;
    auto read = co_await files_.read(*message.attachment);
    if (auto* failed = std::get_if<DeliveryResult>(&read)) co_return *failed;
    bytes = std::get<std::string>(std::move(read));
  }
  for (int round = 0;; ++round) {
    auto t = co_await token();
    if (auto* failed = std::get_if<DeliveryResult>(&t)) co_return *failed;
    const std::string token = std::get<std::string>(t);
    bool token_refused = false;
    DeliveryResult r = co_await send_with(token, message, bytes ? &*bytes : nullptr, token_refused);
    if (!token_refused) co_return r;
    forget_token(token);
    if (round == 1) {
      r.error += "; a fresh token was refused too";
      co_return r;  // kRetry: try again later
    }
  }
}

}  // namespace fangfan
