// What the HTTP gateways share: reading the transport and the HTTP status of
// an answer, WeChat Work's errcode classes, and text limits.
//
// Classes (issue 6): network errors, timeouts, 5xx and 429 (honouring
// Retry-After) → kRetry; the provider's rate-limit answer → kRateLimited;
// a refusal of this message or of our credentials → kPermanent with the
// provider's code and text. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "adapters/channels/channel.h"
#include "adapters/http/http_client.h"

namespace fangfan {

// How long a rate-limited message waits when the provider does not say.
inline constexpr std::chrono::seconds kDefaultRateLimitWait{60};

// A transport failure, 429 or 5xx as a DeliveryResult; nullopt when the
// answer came with another status and its body decides. `gateway` names the
// provider in the error sentence.
std::optional<DeliveryResult> classify_http(const HttpResponse& response,
                                            std::chrono::system_clock::time_point now,
                                            std::string_view gateway);

// WeChat Work errcode classes (group robot and application messages).
enum class WechatErrorClass { kOk, kRetry, kRateLimited, kToken, kPermanent };
WechatErrorClass wechat_error_class(long errcode);
// The DeliveryResult for a WeChat answer's errcode/errmsg (kToken → kRetry).
DeliveryResult wechat_result(long errcode, std::string_view errmsg, std::string message_id);

// WeChat Work files (robot upload_media, application media/upload): a multipart POST of the
// bytes as the part "media" with filename and filelength; the answer's media_id then goes in a
// msgtype "file" message. WeChat takes files of 5 bytes to 20 MB.
inline constexpr std::uint64_t kWechatFileMin = 5;
inline constexpr std::uint64_t kWechatFileMax = 20 * 1024 * 1024;
// A permanent refusal when the attachment's size is outside what WeChat Work takes.
std::optional<DeliveryResult> wechat_file_size_refusal(const Attachment& attachment);
HttpRequest wechat_upload_request(std::string url, const Attachment& attachment, std::string bytes,
                                  std::chrono::milliseconds timeout);
// The media_id of an upload answer, or why there is none (errcode classes as wechat_result;
// an answer without errcode or media_id is retried). `token_refused` is set for a token errcode.
std::variant<std::string, DeliveryResult> wechat_media_answer(
    const HttpResponse& response, std::chrono::system_clock::time_point now,
    std::string_view gateway, bool& token_refused);

// `text` cut to at most `max_bytes` bytes without splitting a UTF-8 character;
// a cut text ends with "…" (within the limit).
std::string truncate_utf8(std::string text, size_t max_bytes);

// A JSON-answering HTTP endpoint (the county webhook, a department's list endpoint): the "id" of
// a 2xx answer's JSON object (string or integer; "" when none) as the provider's id, and for
// another status at most 200 bytes of what it said, on one line (never the whole body in a log).
std::string json_answer_id(const std::string& body);
std::string said_briefly(const std::string& body);

// 40 hex digits of randomness (nonces).
std::string random_hex(size_t bytes);

}  // namespace fangfan
