#include "adapters/channels/gateway_common.h"

#include <openssl/rand.h>

#include <boost/json.hpp>
#include <random>

#include "adapters/channels/attachment.h"
#include "adapters/channels/signing.h"

namespace fangfan {

namespace json = boost::json;
using Outcome = DeliveryResult::Outcome;

std::optional<DeliveryResult> classify_http(const HttpResponse& response,
                                            std::chrono::system_clock::time_point now,
                                            std::string_view gateway) {
  const std::string who(gateway);
  if (!response.ok())
    return DeliveryResult::failed(Outcome::kRetry, "", who + ": " + response.error);
  std::optional<std::chrono::seconds> wait;
  if (auto v = response.header("retry-after")) wait = parse_retry_after(*v, now);
  if (response.status == 429) {
    return DeliveryResult::failed(
        Outcome::kRetry, "429",
        who + " answered HTTP 429 (too many requests)" +
            (wait ? ", retry after " + std::to_string(wait->count()) + " s" : std::string()),
        wait);
  }
  if (response.status >= 500 || response.status == 408) {
    return DeliveryResult::failed(Outcome::kRetry, std::to_string(response.status),
                                  who + " answered HTTP " + std::to_string(response.status) +
                                      " (the gateway is failing; trying again later)",
                                  wait);
  }
  return std::nullopt;
}

WechatErrorClass wechat_error_class(long errcode) {
  switch (errcode) {
    case 0:
      return WechatErrorClass::kOk;
    case -1:  // system busy
      return WechatErrorClass::kRetry;
    case 45009:  // api freq out of limit
    case 45033:  // concurrent calls out of limit
    case 45047:  // too many messages
      return WechatErrorClass::kRateLimited;
    case 40014:  // invalid access_token
    case 42001:  // access_token expired
    case 41001:  // access_token missing
      return WechatErrorClass::kToken;
    default:
      // 93000 bad robot key, 81013 all recipients invalid, 60020 IP not
      // trusted, 40003 bad user, 40001/40013 bad credentials, 40056 bad
      // agentid, 44004 empty content, ...: sending again would fail again.
      return WechatErrorClass::kPermanent;
  }
}

DeliveryResult wechat_result(long errcode, std::string_view errmsg, std::string message_id) {
  const std::string code = std::to_string(errcode);
  const std::string text =
      "WeChat Work answered errcode " + code + " (" + std::string(errmsg) + ")";
  switch (wechat_error_class(errcode)) {
    case WechatErrorClass::kOk:
      return DeliveryResult::sent(std::move(message_id), code);
    case WechatErrorClass::kRetry:
    case WechatErrorClass::kToken:
      return DeliveryResult::failed(Outcome::kRetry, code, text);
    case WechatErrorClass::kRateLimited:
      return DeliveryResult::failed(Outcome::kRateLimited, code, text, kDefaultRateLimitWait);
    case WechatErrorClass::kPermanent:
      break;
  }
  return DeliveryResult::failed(Outcome::kPermanent, code, text);
}

std::optional<DeliveryResult> wechat_file_size_refusal(const Attachment& attachment) {
  if (attachment.size >= kWechatFileMin && attachment.size <= kWechatFileMax) return std::nullopt;
  return DeliveryResult::failed(
      Outcome::kPermanent, "file_size",
      "文件大小超出企业微信限制 (WeChat Work takes files of 5 bytes to 20 MB): " +
          attachment.file_name + " is " + std::to_string(attachment.size) + " bytes");
}

HttpRequest wechat_upload_request(std::string url, const Attachment& attachment, std::string bytes,
                                  std::chrono::milliseconds timeout) {
  MultipartBody form;
  // The filename is what the receivers see; filelength as WeChat's own example sends it.
  form.add_file("media", attachment.file_name, std::move(bytes), "application/octet-stream", true);
  MultipartBody::Encoded encoded = form.encode();
  HttpRequest r;
  r.method = "POST";
  r.url = std::move(url);
  r.headers = {{"Content-Type", encoded.content_type}};
  r.body = std::move(encoded.body);
  r.timeout = timeout;
  return r;
}

std::variant<std::string, DeliveryResult> wechat_media_answer(
    const HttpResponse& response, std::chrono::system_clock::time_point now,
    std::string_view gateway, bool& token_refused) {
  token_refused = false;
  const std::string who(gateway);
  if (auto r = classify_http(response, now, who)) return *r;
  json::error_code ec;
  json::value v = json::parse(response.body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  const json::value* code = o ? o->if_contains("errcode") : nullptr;
  if (!code || !code->is_int64()) {
    return DeliveryResult::failed(Outcome::kRetry, std::to_string(response.status),
                                  who + " answered HTTP " + std::to_string(response.status) +
                                      " without an errcode (not a WeChat answer; is base_url "
                                      "right?)");
  }
  std::string msg;
  if (const json::value* m = o->if_contains("errmsg"); m && m->is_string()) {
    msg = std::string(m->as_string());
  }
  const long errcode = long(code->as_int64());
  if (errcode != 0) {
    token_refused = wechat_error_class(errcode) == WechatErrorClass::kToken;
    DeliveryResult r = wechat_result(errcode, msg, "");
    r.error = "uploading the file failed: " + r.error;
    return r;
  }
  const json::value* media = o->if_contains("media_id");
  if (!media || !media->is_string() || media->as_string().empty()) {
    return DeliveryResult::failed(Outcome::kRetry, "0", who + " answered without a media_id");
  }
  return std::string(media->as_string());
}

std::string truncate_utf8(std::string text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  const std::string ellipsis = "…";
  size_t cut = max_bytes > ellipsis.size() ? max_bytes - ellipsis.size() : 0;
  // Back up to the start of a character (not a 10xxxxxx continuation byte).
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  if (text.size() + ellipsis.size() <= max_bytes) text += ellipsis;
  return text;
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), int(bytes)) != 1) {
    std::random_device rd;
    for (char& c : raw) c = char(rd());
  }
  return hex(raw);
}

std::string json_answer_id(const std::string& body) {
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  const boost::json::value* i = v.as_object().if_contains("id");
  if (i && i->is_string()) return std::string(i->as_string());
  if (i && i->is_int64()) return std::to_string(i->as_int64());
  return "";
}

std::string said_briefly(const std::string& body) {
  std::string said = truncate_utf8(body, 200);
  for (char& c : said) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return said;
}

}  // namespace fangfan
