// WeChat Work application message (企业微信应用消息): a token from
// GET {base_url}/cgi-bin/gettoken?corpid=ID&corpsecret=SECRET, cached until
// five minutes before its expires_in; then POST
// {base_url}/cgi-bin/message/send?access_token=TOKEN with
// {"touser", "msgtype":"text", "agentid", "text":{"content"}}.
// A token answer (40014 invalid, 42001 expired, 41001 missing) drops the
// cached token, fetches a new one and sends once more. The recipient is the
// person's WeChat Work user id; "invaliduser" naming it is a permanent failure.
// A message with an attachment (a department list to a department clerk) goes as a file
// message: the checked file (attachment.h) is uploaded to {base_url}/cgi-bin/media/upload
// ?access_token=TOKEN&type=file (multipart part "media"), and the answer's media_id is sent as
// {"touser", "msgtype":"file", "agentid", "file":{"media_id"}}. A token refused at either step
// is refreshed once, as for text.
// Token and secret only travel in URLs, never in errors or logs.
// Thread-safety: deliver() may run from several coroutines; the token cache is
// locked (two coroutines may both fetch when it is empty; the later one wins).
#pragma once

#include <chrono>
#include <mutex>
#include <variant>

#include "adapters/channels/attachment.h"
#include "adapters/channels/channel.h"
#include "adapters/config/config.h"
#include "adapters/http/http_client.h"
#include "workflows/clock.h"

namespace fangfan {

struct WechatToken {
  std::string value;
  TimePoint expires_at{};
};

HttpRequest build_token_request(const WechatAppConfig& config, std::chrono::milliseconds timeout);
// The token (expiring five minutes early), or why there is none.
std::variant<WechatToken, DeliveryResult> parse_token_answer(
    const HttpResponse& response, TimePoint now, std::chrono::system_clock::time_point wall_now);

HttpRequest build_app_request(const WechatAppConfig& config, const std::string& token,
                              const OutgoingMessage& message, std::chrono::milliseconds timeout);
HttpRequest build_app_upload_request(const WechatAppConfig& config, const std::string& token,
                                     const Attachment& attachment, std::string bytes,
                                     std::chrono::milliseconds timeout);
HttpRequest build_app_file_request(const WechatAppConfig& config, const std::string& token,
                                   const std::string& touser, const std::string& media_id,
                                   std::chrono::milliseconds timeout);
// `token_refused` is set when the answer was a token error (refresh and retry).
DeliveryResult classify_app_answer(const HttpResponse& response,
                                   std::chrono::system_clock::time_point now, bool& token_refused);

class WechatAppChannel final : public Channel {
 public:
  WechatAppChannel(WechatAppConfig config, HttpClient& http, const Clock& clock,
                   std::chrono::milliseconds timeout);
  const std::string& name() const override { return name_; }
  boost::asio::awaitable<DeliveryResult> deliver(OutgoingMessage message) override;

  int tokens_fetched() const;  // for tests and metrics

 private:
  boost::asio::awaitable<std::variant<std::string, DeliveryResult>> token();
  void forget_token(const std::string& token);
  // One try with `token`: upload (when `bytes`) and send. `token_refused` as classify_app_answer.
  boost::asio::awaitable<DeliveryResult> send_with(const std::string& token,
                                                   const OutgoingMessage& message,
                                                   const std::string* bytes, bool& token_refused);

  std::string name_ = "wechat_app";
  WechatAppConfig config_;
  HttpClient& http_;
  const Clock& clock_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  std::optional<WechatToken> token_;
  int fetched_ = 0;
  AttachmentReader files_;
};

}  // namespace fangfan
