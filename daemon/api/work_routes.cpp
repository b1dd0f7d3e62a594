// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/api/work_routes.h"

#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <charconv>
#include <map>

#include "adapters/storage/campaign_store.h"
#include "adapters/storage/count_store.h"
#include "adapters/storage/evaluation_store.h"
#include "daemon/api/auth.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

// A one-off campaign or a yearly campaign's run ("q4_screening_2025").
Campaign configured_campaign(const Config& config, const std::string& name) {
  if (std::optional<Campaign> c = find_campaign(config.rules.campaigns, name)) return *c;
  throw ApiError::not_found("没有名为 " + name + " 的专项行动 (no campaign named " + name + ")");
}

awaitable<ApiResponse> show_progress(ApiServices& services, ApiRequest& req) {
  auto config = req.config;
  const Campaign campaign = configured_campaign(*config, req.param("campaign"));
  auto calendar = services.calendar ? services.calendar() : nullptr;
  if (!calendar) {
    throw ApiError::unavailable("工作日历尚未加载 (the working-day calendar is not loaded)");
  }
  const TimePoint now = services.clock.now();
  auto load = [config, calendar, name = campaign.name, now](soci::session& s) {
    return campaign_progress(s, *config, *calendar, name, now);
  };
  auto result = co_await services.storage.run(std::move(load));
  if (auto* refusal = std::get_if<CampaignRefusal>(&result)) {
    throw ApiError::not_found(refusal->message);
  }
  const auto& statuses = std::get<std::vector<MilestoneStatus>>(result);
  json::array rows;
  // Township -> its milestones behind, in milestone order.
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> behind;
  for (const auto& m : statuses) {
    if (!scope_covers(*config, req.actor().scope, m.township_code)) continue;
    json::object o;
    o["milestone"] = m.milestone;
    o["label"] = m.label;
    o["township"] = m.township_code;
    o["township_name"] = m.township_name;
    o["last_day"] = format_date(m.last_day);
    o["done_at"] = m.done_at ? json::value(format_time(*m.done_at)) : json::value(nullptr);
    o["actor"] = m.actor;
    o["behind"] = m.behind;
    rows.push_back(std::move(o));
    if (m.behind) {
      auto& entry = behind[m.township_code];
      entry.first = m.township_name;
      entry.second.push_back(m.milestone);
    }
  }
  std::vector<std::pair<std::string, std::pair<std::string, std::vector<std::string>>>> worst(
      behind.begin(), behind.end());
  // Most milestones behind first; ties in township code order (stable).
  std::stable_sort(worst.begin(), worst.end(), [](const auto& a, const auto& b) {
    return a.second.second.size() > b.second.second.size();
  });
  json::array named;
  for (const auto& [code, entry] : worst) {
    json::array milestones;
    for (const auto& m : entry.second) milestones.push_back(json::value(m));
    named.push_back(json::object{
        {"township", code}, {"township_name", entry.first}, {"milestones", milestones}});
  }
  json::object body;
  body["campaign"] = campaign.name;
  body["label"] = campaign.label;
  body["now"] = format_time(now);
  body["milestones"] = std::move(rows);
  body["behind"] = std::move(named);
  co_return ApiResponse::json(body);
}

awaitable<ApiResponse> mark_done(ApiServices& services, ApiRequest& req) {
  auto config = req.config;
  const Campaign campaign = configured_campaign(*config, req.param("campaign"));
  const std::string milestone = req.param("milestone");
  bool known = false;
  for (const auto& m : campaign.milestones) known = known || m.name == milestone;
  if (!known) {
    throw ApiError::not_found("专项行动 " + campaign.name + " 没有名为 " + milestone +
                              " 的节点 (campaign " + campaign.name + " has no milestone " +
                              milestone + ")");
  }
  const JsonFields body = req.json();
  body.reject_unknown({"township"});
  const std::string township = body.string("township");
  if (!config->find_township(township)) {
    throw ApiError::not_found("没有代码为 " + township + " 的乡镇 (no township " + township + ")");
  }
  require_scope(req, township);  // before anything is written
  const TimePoint now = services.clock.now();
  auto record = [config, name = campaign.name, milestone, township, actor = req.actor().holder,
                 now](soci::session& s) {
    return record_milestone_done(s, *config, name, milestone, township, actor, now);
  };
  auto result = co_await services.storage.run(std::move(record));
  if (auto* refusal = std::get_if<CampaignRefusal>(&result)) {
    throw ApiError::not_found(refusal->message);
  }
  const TimePoint done_at = std::get<TimePoint>(result);
  spdlog::info("campaign.milestone_done campaign={} milestone={} township={} by=\"{}\"",
               campaign.name, milestone, township, req.actor().holder);
  json::object o;
  o["campaign"] = campaign.name;
  o["milestone"] = milestone;
  o["township"] = township;
  o["done_at"] = format_time(done_at);
  co_return ApiResponse::json(o);
}

awaitable<ApiResponse> show_evaluation(ApiServices& services, ApiRequest& req) {
  auto config = req.config;
  const std::string& text = req.param("year");
  int year = 0;
  if (text.size() != 4 || std::from_chars(text.data(), text.data() + 4, year).ec != std::errc{}) {
    throw ApiError::bad_request("year",
                                "年份应为四位数字，如 2025 (the year must have four digits, "
                                "e.g. 2025)");
  }
  const TimePoint now = services.clock.now();
  auto load = [year, now](soci::session& s) { return count_evaluation_duties(s, year, now); };
  const auto counts = co_await services.storage.run(std::move(load));
  // The results recorded (record_evaluation): what the tasks found, not only that they closed.
  auto load_results = [year](soci::session& s) { return count_evaluation_results(s, year); };
  const auto results = co_await services.storage.run(std::move(load_results));
  json::array rows, behind;
  for (const Township& t : config->townships) {
    if (!scope_covers(*config, req.actor().scope, t.code)) continue;
    auto it = counts.find(t.code);
    const EvaluationCount c = it == counts.end() ? EvaluationCount{} : it->second;
    json::object o{{"township", t.code},      {"township_name", t.name}, {"tasks", c.tasks},
                   {"done", c.done},          {"open", c.open},          {"overdue", c.overdue},
                   {"cancelled", c.cancelled}};
    auto r = results.find(t.code);
    const EvaluationResultCount rc = r == results.end() ? EvaluationResultCount{} : r->second;
    o["risk_removed"] = rc.risk_removed;
    o["risk_persisting"] = rc.risk_persisting;
    o["new_risk"] = rc.new_risk;
    if (c.overdue > 0) behind.push_back(o);
    rows.push_back(std::move(o));
  }
  json::object body;
  body["year"] = year;
  body["now"] = format_time(now);
  body["townships"] = std::move(rows);
  body["behind"] = std::move(behind);
  co_return ApiResponse::json(body);
}

}  // namespace

void register_work_routes(Router& router, ApiServices& services) {
  router.add(http::verb::get, "/api/v1/campaigns/{campaign}/progress",
             [&services](ApiRequest& req) { return show_progress(services, req); });
  router.add(http::verb::post, "/api/v1/campaigns/{campaign}/milestones/{milestone}/done",
             [&services](ApiRequest& req) { return mark_done(services, req); });
  router.add(http::verb::get, "/api/v1/evaluations/{year}/progress",
             [&services](ApiRequest& req) { return show_evaluation(services, req); });
}

}  // namespace fangfan
