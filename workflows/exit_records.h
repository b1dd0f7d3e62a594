// What a case remembers of its exit evidence and its household status (issue 14 items 1 and 5),
// as plain values next to case_records.h: the Q4 risk evaluation's result (年度风险评估), and the
// village and township confirmations of a household status [001] — 整户无劳动能力兜底保障户 and
// 已实施开发式帮扶 — each taking effect once both levels have confirmed.
//
// Codes are part of the stored format (snapshots, history details, the API): never rename one.
// Thread-safety: plain values and immutable tables.
#pragma once

#include <array>
#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <cstdint>
#include <string>

#include "workflows/case_codes.h"
#include "workflows/clock.h"

namespace fangfan {

// The Q4 evaluation's finding on a monitoring object [000] "评估监测对象返贫致贫风险变化情况".
enum class EvaluationResult { kRiskRemoved, kRiskPersisting, kNewRisk };
BOOST_DESCRIBE_ENUM(EvaluationResult, kRiskRemoved, kRiskPersisting, kNewRisk)
template <>
struct CodeTable<EvaluationResult> {
  static constexpr std::array<CodeEntry<EvaluationResult>, 3> kEntries{{
      {EvaluationResult::kRiskRemoved, "risk_removed", "风险已消除"},
      {EvaluationResult::kRiskPersisting, "risk_persisting", "风险未消除"},
      {EvaluationResult::kNewRisk, "new_risk", "出现新增风险"},
  }};
};

// A status of the household that village and township confirm [001] ("由乡村两级进行认定",
// "经乡村两级确认后").
enum class HouseholdStatus { kGuaranteedSupport, kDevelopmental };
BOOST_DESCRIBE_ENUM(HouseholdStatus, kGuaranteedSupport, kDevelopmental)
template <>
struct CodeTable<HouseholdStatus> {
  static constexpr std::array<CodeEntry<HouseholdStatus>, 2> kEntries{{
      {HouseholdStatus::kGuaranteedSupport, "guaranteed_support", "整户无劳动能力兜底保障户"},
      {HouseholdStatus::kDevelopmental, "developmental", "已实施开发式帮扶"},
  }};
};

// 两不愁三保障 and drinking water as an assessor found them: true = secure.
struct BasicNeeds {
  bool compulsory_education = true;  // 义务教育有保障
  bool basic_medical = true;         // 基本医疗有保障
  bool housing = true;               // 住房安全有保障
  bool drinking_water = true;        // 饮水安全有保障
  bool all_secure() const {
    return compulsory_education && basic_medical && housing && drinking_water;
  }
  bool operator==(const BasicNeeds&) const = default;
};
BOOST_DESCRIBE_STRUCT(BasicNeeds, (),
                      (compulsory_education, basic_medical, housing, drinking_water))

// One Q4 evaluation of the case (record_evaluation).
struct EvaluationRecord {
  int year = 0;  // the evaluation's year (the Q4 task it closes)
  EvaluationResult result = EvaluationResult::kRiskPersisting;
  std::int64_t per_capita_income_fen = 0;  // 家庭年人均纯收入, as assessed
  BasicNeeds basic_needs;
  std::string assessor;     // who assessed (评估人)
  std::string recorded_by;  // who recorded it (the event's actor)
  TimePoint recorded_at{};
  bool operator==(const EvaluationRecord&) const = default;
};
BOOST_DESCRIBE_STRUCT(EvaluationRecord, (),
                      (year, result, per_capita_income_fen, basic_needs, assessor, recorded_by,
                       recorded_at))

// One level's confirmation of a household status (confirm_household_status). The level is the
// approvals' ApprovalLevel; only village and township confirm a status.
struct StatusConfirmation {
  HouseholdStatus status = HouseholdStatus::kGuaranteedSupport;
  ApprovalLevel level = ApprovalLevel::kVillage;
  std::string opinion;
  std::string actor;
  TimePoint at{};
  bool operator==(const StatusConfirmation&) const = default;
};
BOOST_DESCRIBE_STRUCT(StatusConfirmation, (), (status, level, opinion, actor, at))

}  // namespace fangfan
