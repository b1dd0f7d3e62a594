// WeChat Work group robot (企业微信群机器人): POST
// {base_url}/cgi-bin/webhook/send?key=KEY with {"msgtype":"text"|"markdown",...}.
// The recipient is a configured group name (or "name@scope", matched to the
// group configured for that scope); the group's key is a secret and only
// travels in the URL. Text ≤ 2048 bytes, markdown ≤ 4096 bytes (cut with "…");
// mentioned_mobile_list only in text. Success is errcode 0 in the body; 45009
// (20 messages a minute per group) is a rate limit.
// A message with an attachment (a department list) goes as a file message instead of text:
// the checked file (attachment.h) is uploaded to {base_url}/cgi-bin/webhook/upload_media
// ?key=KEY&type=file (multipart part "media"), and the answer's media_id is sent as
// {"msgtype":"file","file":{"media_id"}}. A failed upload is classified like a send; each
// attempt uploads again (a media_id lives three days and only for the robot that uploaded it).
// Thread-safe.
#pragma once

#include <chrono>
#include <variant>

#include "adapters/channels/attachment.h"
#include "adapters/channels/channel.h"
#include "adapters/config/config.h"
#include "adapters/http/http_client.h"
#include "workflows/clock.h"

namespace fangfan {

HttpRequest build_robot_request(const WechatRobotConfig& config, const WechatRobotGroup& group,
                                const OutgoingMessage& message, std::chrono::milliseconds timeout);

HttpRequest build_robot_upload_request(const WechatRobotConfig& config,
                                       const WechatRobotGroup& group, const Attachment& attachment,
                                       std::string bytes, std::chrono::milliseconds timeout);
HttpRequest build_robot_file_request(const WechatRobotConfig& config, const WechatRobotGroup& group,
                                     const std::string& media_id,
                                     std::chrono::milliseconds timeout);

DeliveryResult classify_robot_answer(const HttpResponse& response,
                                     std::chrono::system_clock::time_point now);

class WechatRobotChannel final : public Channel {
 public:
  // `wall_clock`: the real time Retry-After dates are read against.
  WechatRobotChannel(WechatRobotConfig config, HttpClient& http, const Clock& wall_clock,
                     std::chrono::milliseconds timeout);
  const std::string& name() const override { return name_; }
  boost::asio::awaitable<DeliveryResult> deliver(OutgoingMessage message) override;
  // The group the recipient reaches (its name); the recipient itself when none does.
  std::string pacing_key(const std::string& recipient) const override;

 private:
  boost::asio::awaitable<DeliveryResult> deliver_file(const WechatRobotGroup& group,
                                                      const Attachment& attachment);

  std::string name_ = "wechat_robot";
  WechatRobotConfig config_;
  HttpClient& http_;
  const Clock& wall_clock_;
  std::chrono::milliseconds timeout_;
  AttachmentReader files_;
};

}  // namespace fangfan
