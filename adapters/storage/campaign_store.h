// Campaign progress (专项行动进度): which township finished which milestone of a configured
// campaign (config [[rules.campaigns]]), and which are behind. Table `campaign_progress`, one row
// per (campaign, milestone, township) done; the milestone's duty (workflows/duties.h
// campaign_duty_key) is closed and its pending timers cancelled in the same transaction.
//
// Errors: StorageError (see database.h); an unknown campaign, milestone or township is a
// sentence (CampaignRefusal), nothing written.
// Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/config/config.h"
#include "workflows/calendar.h"
#include "workflows/clock.h"

namespace fangfan {

struct CampaignRefusal {
  std::string message;  // "没有名为 screening_2023 的专项行动"
};

// Records that `township` finished `milestone` (idempotent: a second report keeps the first
// row and returns its time). Runs in its own WriteTransaction.
std::variant<TimePoint, CampaignRefusal> record_milestone_done(
    soci::session& session, const Config& config, std::string_view campaign,
    std::string_view milestone, std::string_view township, std::string_view actor, TimePoint now);

struct MilestoneStatus {
  std::string milestone;
  std::string label;
  std::string township_code;
  std::string township_name;
  Date last_day{};
  std::optional<TimePoint> done_at;
  std::string actor;
  bool behind = false;  // not done and overdue at `now` (see workflows/deadlines.h)
};

// Every (milestone, township) of the campaign in milestone order, then township order.
// Refused for an unknown campaign; a calendar gap makes `behind` false for that milestone.
std::variant<std::vector<MilestoneStatus>, CampaignRefusal> campaign_progress(
    soci::session& session, const Config& config, const WorkingDayCalendar& calendar,
    std::string_view campaign, TimePoint now);

}  // namespace fangfan
