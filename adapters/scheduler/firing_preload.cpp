#include "adapters/scheduler/firing_preload.h"

#include "adapters/scheduler/timer_payload_codec.h"
#include "adapters/storage/decoded_cases.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/firing_cases.h"

namespace fangfan::scheduler_detail {

bool reads_case_duties(const DutyRecord& duty, const DutyNotice& notice, int rung) {
  return (duty.kind == kDutyVisits || duty.kind == kDutyMonitoring) &&
         notice.notice == DutyNoticeKind::kOverdue && rung == 0;
}

FiringPreload::FiringPreload(const std::vector<TimerRecord>& timers) {
  payloads_.reserve(timers.size());
  rungs_.reserve(timers.size());
  for (const TimerRecord& timer : timers) {
    payloads_.push_back(decode_timer_payload(timer.payload));
    rungs_.push_back(timer.rung);
  }
}

void FiringPreload::read(soci::session& session) {
  std::vector<std::int64_t> duty_ids;
  for (const DecodedPayload& decoded : payloads_) {
    if (const auto* payload = std::get_if<TimerPayload>(&decoded)) {
      if (const auto* notice = std::get_if<DutyNotice>(payload); notice && notice->duty_id != 0) {
        duty_ids.push_back(notice->duty_id);
      }
    }
  }
  // The reads take the ids in any order, repeats allowed (they sort them for their chunks).
  try {
    std::vector<std::int64_t> case_ids;
    for (DutyRecord& duty : load_duties(session, duty_ids)) {
      if (duty.case_id) case_ids.push_back(*duty.case_id);
      const std::int64_t id = duty.id;
      duties_.emplace(id, std::move(duty));
    }
    // The cases whose duties a firing of the batch reads (reads_case_duties).
    std::vector<std::int64_t> duty_case_ids;
    for (std::size_t i = 0; i < payloads_.size(); ++i) {
      const auto* payload = std::get_if<TimerPayload>(&payloads_[i]);
      const auto* notice = payload != nullptr ? std::get_if<DutyNotice>(payload) : nullptr;
      if (notice == nullptr) continue;
      auto duty = duties_.find(notice->duty_id);
      if (duty != duties_.end() && duty->second.case_id &&
          reads_case_duties(duty->second, *notice, rungs_[i])) {
        duty_case_ids.push_back(*duty->second.case_id);
      }
    }
    for (const std::int64_t id : case_ids) cases_.emplace(id, std::nullopt);
    DecodedCases& memo = DecodedCases::of_process();
    read_cases_data(session, case_ids, [&](std::int64_t id, const std::string& text) {
      if (std::optional<CaseData> known = memo.find(id, text)) {
        cases_[id] = std::move(*known);
        return;
      }
      // Not remembered here: a case fires rarely twice before it changes, and the memo's room is
      // for the cases the API writes. Only what a firing reads is decoded (firing_cases.h).
      auto data = firing_case_data_from_json(text);
      if (auto* readable = std::get_if<CaseData>(&data)) {
        cases_[id] = std::move(*readable);
      } else {
        cases_.erase(id);  // unreadable: the single read says so, for its timer alone
      }
    });
    for (const std::int64_t id : duty_case_ids) case_duties_[id];  // a case may have none
    for (DutyRecord& duty : duties_of_cases(session, duty_case_ids)) {
      const std::int64_t id = *duty.case_id;
      case_duties_[id].push_back(std::move(duty));
    }
  } catch (...) {
    duties_.clear();
    cases_.clear();
    case_duties_.clear();
    throw;
  }
}

DutyRecord* FiringPreload::duty(std::int64_t duty_id) {
  if (dropped_) return nullptr;
  auto it = duties_.find(duty_id);
  if (it == duties_.end()) return nullptr;
  // A duty without a case is not preloaded for use: its timer drops the preload anyway.
  if (!it->second.case_id || touched_.contains(*it->second.case_id)) return nullptr;
  return &it->second;
}

std::optional<CaseData>* FiringPreload::case_data(std::int64_t case_id) {
  if (dropped_ || touched_.contains(case_id)) return nullptr;
  auto it = cases_.find(case_id);
  return it == cases_.end() ? nullptr : &it->second;
}

std::vector<DutyRecord>* FiringPreload::case_duties(std::int64_t case_id) {
  if (dropped_ || touched_.contains(case_id)) return nullptr;
  auto it = case_duties_.find(case_id);
  return it == case_duties_.end() ? nullptr : &it->second;
}

}  // namespace fangfan::scheduler_detail
