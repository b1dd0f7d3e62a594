#include "adapters/channels/make_channels.h"

#include <algorithm>

#include "adapters/channels/file_channel.h"
#include "adapters/channels/folder_channel.h"
#include "adapters/channels/list_http_channel.h"
#include "adapters/channels/sms_aliyun.h"
#include "adapters/channels/sms_tencent.h"
#include "adapters/channels/webhook_channel.h"
#include "adapters/channels/wechat_app.h"
#include "adapters/channels/wechat_robot.h"

namespace fangfan {

std::vector<std::shared_ptr<Channel>> make_channels(const Config& config, HttpClient& http,
                                                    const Clock& clock, const Clock& wall_clock) {
  const ChannelsConfig& c = config.channels;
  const std::chrono::milliseconds timeout = std::chrono::seconds(c.http.timeout_seconds);
  std::vector<std::shared_ptr<Channel>> out;
  if (c.file.enabled) out.push_back(std::make_shared<FileChannel>(c.file.path, clock));
  if (c.wechat_robot.enabled) {
    out.push_back(std::make_shared<WechatRobotChannel>(c.wechat_robot, http, wall_clock, timeout));
  }
  if (c.wechat_app.enabled) {
    out.push_back(std::make_shared<WechatAppChannel>(c.wechat_app, http, wall_clock, timeout));
  }
  if (c.sms_aliyun.enabled) {
    out.push_back(std::make_shared<SmsAliyunChannel>(c.sms_aliyun, http, wall_clock, timeout));
  }
  if (c.sms_tencent.enabled) {
    out.push_back(std::make_shared<SmsTencentChannel>(c.sms_tencent, http, wall_clock, timeout));
  }
  if (c.webhook.enabled)
    out.push_back(std::make_shared<WebhookChannel>(c.webhook, http, wall_clock, timeout));
  // Department lists: drop folders need no settings of their own; the HTTP endpoints are the
  // lists'. Each runs when a [[lists]] entry (folders: or a monthly report) delivers that way.
  const auto& reports = config.rules.monthly_reports.reports;
  if (any_list_folder(config.rules.lists) ||
      std::any_of(reports.begin(), reports.end(),
                  [](const auto& r) { return !r.folder.empty(); })) {
    out.push_back(std::make_shared<FolderChannel>());
  }
  if (any_list_http(config.rules.lists)) {
    out.push_back(std::make_shared<ListHttpChannel>(config.rules.lists, http, wall_clock, timeout));
  }
  return out;
}

HttpClientOptions http_client_options(const Config& config) {
  HttpClientOptions o;
  o.max_in_flight = config.channels.http.max_in_flight;
  o.max_host_connections = config.channels.http.max_host_connections;
  o.max_total_connections = std::max(o.max_in_flight, o.max_host_connections);
  return o;
}

}  // namespace fangfan
