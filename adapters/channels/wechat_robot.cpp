#include "adapters/channels/wechat_robot.h"

#include <boost/json.hpp>

#include "adapters/channels/gateway_common.h"
#include "adapters/channels/signing.h"

namespace fangfan {

namespace json = boost::json;
using Outcome = DeliveryResult::Outcome;

std::string WechatRobotChannel::pacing_key(const std::string& recipient) const {
  const WechatRobotGroup* group = find_robot_group(config_, recipient);
  return group ? "group:" + group->name : recipient;
}

HttpRequest build_robot_request(const WechatRobotConfig& config, const WechatRobotGroup& group,
                                const OutgoingMessage& message, std::chrono::milliseconds timeout) {
  json::object body;
  if (config.format == "markdown") {
    body["msgtype"] = "markdown";
    body["markdown"] = json::object{{"content", truncate_utf8(message.text, 4096)}};
  } else {
    json::object text{{"content", truncate_utf8(message.text, 2048)}};
    if (!group.mentioned_mobiles.empty()) {
      json::array list;
      for (const auto& m : group.mentioned_mobiles) list.emplace_back(m);
      text["mentioned_mobile_list"] = std::move(list);
    }
    body["msgtype"] = "text";
    body["text"] = std::move(text);
  }
  HttpRequest r;
  r.method = "POST";
  r.url = config.base_url + "/cgi-bin/webhook/send?key=" + percent_encode(group.key);
  r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  r.body = json::serialize(body);
  r.timeout = timeout;
  return r;
}

HttpRequest build_robot_upload_request(const WechatRobotConfig& config,
                                       const WechatRobotGroup& group, const Attachment& attachment,
                                       std::string bytes, std::chrono::milliseconds timeout) {
  return wechat_upload_request(config.base_url + "/cgi-bin/webhook/upload_media?key=" +
                                   percent_encode(group.key) + "&type=file",
                               attachment, std::move(bytes), timeout);
}

HttpRequest build_robot_file_request(const WechatRobotConfig& config, const WechatRobotGroup& group,
                                     const std::string& media_id,
                                     std::chrono::milliseconds timeout) {
  HttpRequest r;
  r.method = "POST";
  r.url = config.base_url + "/cgi-bin/webhook/send?key=" + percent_encode(group.key);
  r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  r.body = json::serialize(
      json::object{{"msgtype", "file"}, {"file", json::object{{"media_id", media_id}}}});
  r.timeout = timeout;
  return r;
}

DeliveryResult classify_robot_answer(const HttpResponse& response,
                                     std::chrono::system_clock::time_point now) {
  if (auto r = classify_http(response, now, "WeChat Work robot")) return *r;
  json::error_code ec;
  json::value v = json::parse(response.body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  const json::value* code = o ? o->if_contains("errcode") : nullptr;
  if (!code || !code->is_int64()) {
    return DeliveryResult::failed(
        Outcome::kRetry, std::to_string(response.status),
        "WeChat Work robot answered HTTP " + std::to_string(response.status) +
            " without an errcode (not a WeChat answer; is base_url right?)");
  }
  std::string msg;
  if (const json::value* m = o->if_contains("errmsg"); m && m->is_string()) {
    msg = std::string(m->as_string());
  }
  return wechat_result(long(code->as_int64()), msg, "");
}

WechatRobotChannel::WechatRobotChannel(WechatRobotConfig config, HttpClient& http,
                                       const Clock& wall_clock, std::chrono::milliseconds timeout)
    : config_(std::move(config)), http_(http), wall_clock_(wall_clock), timeout_(timeout) {}

boost::asio::awaitable<DeliveryResult> WechatRobotChannel::deliver(OutgoingMessage message) {
  const WechatRobotGroup* group = find_robot_group(config_, message.recipient);
  if (!group) {
    co_return DeliveryResult::failed(
        Outcome::kPermanent, "",
        "no WeChat Work robot group '" + message.recipient + "' in [channels.wechat_robot] groups");
  }
  if (message.attachment) co_return co_await deliver_file(*group, *message.attachment);
  HttpResponse response =
      co_await http_.send(build_robot_request(config_, *group, message, timeout_));
  co_return classify_robot_answer(response,
                                  std::chrono::system_clock::time_point(wall_clock_.now()));
}

boost::asio::awaitable<DeliveryResult> WechatRobotChannel::deliver_file(
    const WechatRobotGroup& group, const Attachment& attachment) {
  if (auto refused = wechat_file_size_refusal(attachment)) co_return *refused;
  auto bytes = co_await files_.read(attachment);
  if (auto* failed = std::get_if<DeliveryResult>(&bytes)) co_return *failed;
  HttpResponse uploaded = co_await http_.send(build_robot_upload_request(
      config_, group, attachment, std::get<std::string>(std::move(bytes)), timeout_));
  bool token_refused = false;  // the robot has no token; its key errors are permanent
  auto media =
      wechat_media_answer(uploaded, std::chrono::system_clock::time_point(wall_clock_.now()),
                          "WeChat Work robot upload_media", token_refused);
  if (auto* failed = std::get_if<DeliveryResult>(&media)) co_return *failed;
  HttpResponse response = co_await http_.send(
      build_robot_file_request(config_, group, std::get<std::string>(media), timeout_));
  co_return classify_robot_answer(response,
                                  std::chrono::system_clock::time_point(wall_clock_.now()));
}

}  // namespace fangfan
