#include "adapters/reports/report_loader.h"

#include <limits>
#include <map>

#include "adapters/storage/campaign_store.h"
#include "adapters/storage/case_json.h"
#include "adapters/storage/count_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/evaluation_store.h"

namespace fangfan {
namespace {

using soci::into;
using soci::use;

// Every case with its household's township (the pure report keeps what it counts).
std::variant<std::vector<ReportCase>, ReportRefusal> load_cases(soci::session& session) {
  std::vector<ReportCase> out;
  std::optional<std::string> problem;
  guarded("读取报表案件失败 (loading the cases of a report failed)", [&] {
    long long id = 0, version = 0;
    std::string township, state, data;
    soci::statement st =
        (session.prepare << "SELECT c.id, h.township_code, c.state, c.version, c.data"
                            " FROM cases c JOIN households h ON h.code = c.household_code"
                            " ORDER BY c.id",
         into(id), into(township), into(state), into(version), into(data));
    st.execute();
    while (st.fetch()) {
      auto parsed = case_data_from_json(data);
      if (auto* error = std::get_if<std::string>(&parsed)) {
        if (!problem) problem = "案件 " + std::to_string(id) + " 的数据无法读取 (" + *error + ")";
        continue;
      }
      ReportCase c;
      c.township_code = township;
      c.snapshot.case_id = std::to_string(id);
      c.snapshot.state = state;
      c.snapshot.version = version;
      c.snapshot.data = std::move(std::get<CaseData>(parsed));
      out.push_back(std::move(c));
    }
  });
  if (problem) return ReportRefusal{*problem};
  return out;
}

DutyState duty_state(const std::string& name) {
  if (name == "done") return DutyState::kDone;
  if (name == "cancelled") return DutyState::kCancelled;
  return DutyState::kOpen;
}

// Duties matching `where` (a fixed SQL condition with one :t time parameter).
std::vector<DutyRecord> load_duties(soci::session& session, const std::string& where, TimePoint t) {
  return guarded("读取报表事项失败 (loading the duties of a report failed)", [&] {
    std::vector<DutyRecord> out;
    long long id = 0, due_at = 0, closed_at = 0, at = to_epoch(t);
    soci::indicator closed_ind = soci::i_null;
    std::string kind, subject, township, village, officer, state;
    soci::statement st =
        (session.prepare << "SELECT id, kind, subject, township_code, village_code, officer,"
                            " due_at, state, closed_at FROM duties WHERE " +
                                where + " ORDER BY due_at, id",
         into(id), into(kind), into(subject), into(township), into(village), into(officer),
         into(due_at), into(state), into(closed_at, closed_ind), use(at, "t"));
    st.execute();
    while (st.fetch()) {
      DutyRecord d;
      d.id = id;
      d.kind = kind;
      d.subject = subject;
      d.township_code = township;
      d.village_code = village;
      d.officer = officer;
      d.due_at = from_epoch(due_at);
      d.state = duty_state(state);
      if (closed_ind == soci::i_ok) d.closed_at = from_epoch(closed_at);
      out.push_back(std::move(d));
    }
    return out;
  });
}

std::vector<ReportFeedRun> load_done_runs(soci::session& session) {
  return guarded("读取部门数据批次失败 (loading the feed runs of a report failed)", [&] {
    std::vector<ReportFeedRun> out;
    std::string department;
    long long quarantined = 0, started = 0;
    soci::statement st = (session.prepare << "SELECT department, rows_quarantined, started_at"
                                             " FROM feed_runs WHERE status = 'done'",
                          into(department), into(quarantined), into(started));
    st.execute();
    while (st.fetch()) out.push_back({department, quarantined, from_epoch(started)});
    return out;
  });
}

std::vector<ReportMovement> load_movements(soci::session& session, TimePoint from, TimePoint to) {
  return guarded("读取案件历史失败 (loading the case history of a report failed)", [&] {
    std::vector<ReportMovement> out;
    long long f = to_epoch(from), t = to_epoch(to), at = 0;
    std::string township, event, before, after;
    soci::statement st =
        (session.prepare << "SELECT h.township_code, ch.event, ch.before_state, ch.after_state,"
                            " ch.at FROM case_history ch JOIN cases c ON c.id = ch.case_id"
                            " JOIN households h ON h.code = c.household_code"
                            " WHERE ch.at >= :f AND ch.at < :t ORDER BY ch.id",
         into(township), into(event), into(before), into(after), into(at), use(f, "f"),
         use(t, "t"));
    st.execute();
    while (st.fetch()) out.push_back({township, event, before, after, from_epoch(at)});
    return out;
  });
}

}  // namespace

std::variant<ReportTable, ReportRefusal> load_report(soci::session& session, const Config& config,
                                                     const WorkingDayCalendar* calendar,
                                                     const ReportRequest& r) {
  const ReportSetting& s = r.setting;
  const Date day = china_date(r.as_of);
  if (r.name == "households" || r.name == "measures") {
    auto cases = load_cases(session);
    if (auto* refusal = std::get_if<ReportRefusal>(&cases)) return *refusal;
    const auto& loaded = std::get<std::vector<ReportCase>>(cases);
    if (r.name == "households") return households_report(s, config.rules, loaded, day);
    return measures_report(s, loaded, day);
  }
  if (r.name == "overdue") {
    return overdue_report(s, config.county.code,
                          load_duties(session, "state = 'open' AND due_at <= :t", r.as_of),
                          r.as_of);
  }
  if (r.name == "exchange") {
    // Every duty of a feed, a list or a feedback due before the period's end, if any.
    const TimePoint until = r.to.value_or(from_epoch(std::numeric_limits<long long>::max() / 4));
    auto duties =
        load_duties(session, "kind IN ('feed', 'list', 'feedback') AND due_at <= :t", until);
    return exchange_report(s, config.rules, duties, load_done_runs(session), r.from, r.to, r.as_of);
  }
  if (r.name == "movements") {
    if (!r.from || !r.to) {
      return ReportRefusal{"增减变动报表需要起止日期 (the movements report needs from and to)"};
    }
    return movements_report(s, load_movements(session, *r.from, *r.to), *r.from, *r.to);
  }
  if (r.name == "evaluation") {
    std::map<std::string, ReportEvaluation> by_township;
    for (const auto& [township, c] : count_evaluation_duties(session, r.year, r.as_of)) {
      by_township[township] = {township, c.tasks, c.done, c.open, c.overdue, c.cancelled};
    }
    // What the tasks found (record_evaluation), by the household's township.
    for (const auto& [township, c] : count_evaluation_results(session, r.year)) {
      ReportEvaluation& e = by_township[township];
      e.township_code = township;
      e.risk_removed = c.risk_removed, e.risk_persisting = c.risk_persisting;
      e.new_risk = c.new_risk;
    }
    std::vector<ReportEvaluation> counts;
    for (auto& [township, e] : by_township) counts.push_back(std::move(e));
    return evaluation_report(s, r.year, counts);
  }
  if (r.name == "campaign") {
    const std::optional<Campaign> campaign = find_campaign(config.rules.campaigns, r.campaign);
    if (!campaign || !calendar) {
      return ReportRefusal{"没有名为 " + r.campaign + " 的专项行动 (no campaign named " +
                           r.campaign + ")"};
    }
    auto progress = campaign_progress(session, config, *calendar, r.campaign, r.as_of);
    if (auto* refusal = std::get_if<CampaignRefusal>(&progress)) {
      return ReportRefusal{refusal->message};
    }
    std::vector<ReportMilestone> milestones;
    for (const MilestoneStatus& m : std::get<std::vector<MilestoneStatus>>(progress)) {
      milestones.push_back(
          {m.milestone, m.label, m.township_code, m.last_day, m.done_at, m.behind});
    }
    return campaign_report(s, campaign->label, milestones);
  }
  return ReportRefusal{"没有名为 " + r.name + " 的报表 (no report named " + r.name + ")"};
}

}  // namespace fangfan
