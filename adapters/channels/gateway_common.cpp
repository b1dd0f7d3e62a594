#include "adapters/channels/gateway_common.h"

#include <openssl/rand.h>

#include <random>

#include "adapters/channels/signing.h"

namespace fangfan {

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

}  // namespace fangfan
