#include "adapters/storage/campaign_store.h"

#include <map>
#include <utility>

#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/epoch.h"
#include "workflows/deadlines.h"
#include "workflows/duties.h"

namespace fangfan {
namespace {

using soci::into;
using soci::use;

// A one-off campaign or a yearly campaign's run ("q4_screening_2025").
std::optional<Campaign> configured_campaign(const Config& config, std::string_view name) {
  return find_campaign(config.rules.campaigns, name);
}

CampaignRefusal no_campaign(std::string_view name) {
  return {"没有名为 " + std::string(name) + " 的专项行动 (no campaign named " + std::string(name) +
          " is configured)"};
}

Date milestone_date(const CampaignMilestone& m) {
  return Date{std::chrono::year{m.year} / std::chrono::month(static_cast<unsigned>(m.month)) /
              std::chrono::day(static_cast<unsigned>(m.day))};
}

}  // namespace

std::variant<TimePoint, CampaignRefusal> record_milestone_done(
    soci::session& session, const Config& config, std::string_view campaign,
    std::string_view milestone, std::string_view township, std::string_view actor, TimePoint now) {
  const std::optional<Campaign> c = configured_campaign(config, campaign);
  if (!c) return no_campaign(campaign);
  bool known = false;
  for (const CampaignMilestone& m : c->milestones) known = known || m.name == milestone;
  if (!known) {
    return CampaignRefusal{"专项行动 " + c->name + " 没有名为 " + std::string(milestone) +
                           " 的节点 (campaign " + c->name + " has no milestone " +
                           std::string(milestone) + ")"};
  }
  if (config.find_township(township) == nullptr) {
    return CampaignRefusal{"没有编号为 " + std::string(township) + " 的乡镇 (no township " +
                           std::string(township) + " is configured)"};
  }
  WriteTransaction tx(session);
  const std::string name(campaign), step(milestone), place(township), who(actor);
  long long done_at = to_epoch(now);
  guarded("记录专项行动进度失败 (recording campaign progress failed)", [&] {
    session << "INSERT INTO campaign_progress (campaign, milestone, township, done_at, actor)"
               " VALUES (:campaign, :milestone, :township, :done_at, :actor)"
               " ON CONFLICT (campaign, milestone, township) DO NOTHING",
        use(name), use(step), use(place), use(done_at), use(who);
    session << "SELECT done_at FROM campaign_progress WHERE campaign = :campaign"
               " AND milestone = :milestone AND township = :township",
        use(name), use(step), use(place), into(done_at);
  });
  if (std::optional<DutyRecord> duty = find_duty(session, campaign_duty_key(name, step, place))) {
    if (close_duty(session, duty->id, now)) cancel_duty_timers(session, *duty);
  }
  tx.commit();
  return from_epoch(done_at);
}

std::variant<std::vector<MilestoneStatus>, CampaignRefusal> campaign_progress(
    soci::session& session, const Config& config, const WorkingDayCalendar& calendar,
    std::string_view campaign, TimePoint now) {
  const std::optional<Campaign> c = configured_campaign(config, campaign);
  if (!c) return no_campaign(campaign);
  std::map<std::pair<std::string, std::string>, std::pair<TimePoint, std::string>> done;
  guarded("读取专项行动进度失败 (reading campaign progress failed)", [&] {
    const std::string name(campaign);
    std::string milestone, township, actor;
    long long at = 0;
    soci::statement st =
        (session.prepare << "SELECT milestone, township, done_at, actor FROM campaign_progress"
                            " WHERE campaign = :campaign",
         use(name), into(milestone), into(township), into(at), into(actor));
    st.execute();
    while (st.fetch()) done[{milestone, township}] = {from_epoch(at), actor};
  });
  const CalendarResult<TimePoint> opens = campaign_opens(*c, calendar);
  std::vector<MilestoneStatus> out;
  for (const CampaignMilestone& m : c->milestones) {
    std::optional<TimePoint> due;
    if (opens) {
      if (CalendarResult<Deadline> d = milestone_deadline(m, *opens, calendar)) due = d->due;
    }
    for (const Township& t : config.townships) {
      MilestoneStatus s;
      s.milestone = m.name;
      s.label = m.label;
      s.township_code = t.code;
      s.township_name = t.name;
      s.last_day = milestone_date(m);
      if (auto it = done.find({m.name, t.code}); it != done.end()) {
        s.done_at = it->second.first;
        s.actor = it->second.second;
      }
      s.behind = !s.done_at && due && now >= *due;
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace fangfan
