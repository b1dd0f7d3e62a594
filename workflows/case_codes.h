// Closed lists of the program (risk causes, discovery sources, measure types,
// ...) with the stable code each value is stored and configured by, and the
// Chinese label a clerk reads. One table per enum; the generic helpers below
// convert in both directions.
//
// Codes are part of the stored format (history details, snapshots, config):
// never rename one; add new values at the end of a table.
//
// Thread-safety: everything here is immutable data.
#pragma once

#include <array>
#include <boost/describe/enum.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace fangfan {

template <class E>
struct CodeEntry {
  E value;
  std::string_view code;
  std::string_view label;
};

// Specialised once per enum below: `static constexpr std::array<CodeEntry<E>, N> kEntries`.
template <class E>
struct CodeTable;

template <class E>
constexpr std::string_view code_of(E value) {
  for (const auto& e : CodeTable<E>::kEntries) {
    if (e.value == value) return e.code;
  }
  return "unknown";
}

template <class E>
constexpr std::string_view label_of(E value) {
  for (const auto& e : CodeTable<E>::kEntries) {
    if (e.value == value) return e.label;
  }
  return "未知";
}

// Accepts the code or the Chinese label; anything else is std::nullopt.
template <class E>
constexpr std::optional<E> parse_code(std::string_view text) {
  for (const auto& e : CodeTable<E>::kEntries) {
    if (e.code == text || e.label == text) return e.value;
  }
  return std::nullopt;
}

// 家庭成员与户主关系
enum class Relation {
  kHead,
  kSpouse,
  kChild,
  kChildInLaw,
  kGrandchild,
  kParent,
  kGrandparent,
  kSibling,
  kOther
};
BOOST_DESCRIBE_ENUM(Relation, kHead, kSpouse, kChild, kChildInLaw, kGrandchild, kParent,
                    kGrandparent, kSibling, kOther)
template <>
struct CodeTable<Relation> {
  static constexpr std::array<CodeEntry<Relation>, 9> kEntries{{
      {Relation::kHead, "head", "户主"},
      {Relation::kSpouse, "spouse", "配偶"},
      {Relation::kChild, "child", "子女"},
      {Relation::kChildInLaw, "child_in_law", "儿媳/女婿"},
      {Relation::kGrandchild, "grandchild", "孙子女"},
      {Relation::kParent, "parent", "父母"},
      {Relation::kGrandparent, "grandparent", "祖父母"},
      {Relation::kSibling, "sibling", "兄弟姐妹"},
      {Relation::kOther, "other", "其他"},
  }};
};

// 信息来源: how the case was found.
enum class DiscoverySource {
  kSelfApplication,
  kVillageScreening,
  kDepartmentAlert,
  kPetitionHotline,
  kInspection
};
BOOST_DESCRIBE_ENUM(DiscoverySource, kSelfApplication, kVillageScreening, kDepartmentAlert,
                    kPetitionHotline, kInspection)
template <>
struct CodeTable<DiscoverySource> {
  static constexpr std::array<CodeEntry<DiscoverySource>, 5> kEntries{{
      {DiscoverySource::kSelfApplication, "self_application", "农户自主申请"},
      {DiscoverySource::kVillageScreening, "village_screening", "村两委排查"},
      {DiscoverySource::kDepartmentAlert, "department_alert", "部门筛查预警"},
      {DiscoverySource::kPetitionHotline, "petition_hotline", "信访及热线"},
      {DiscoverySource::kInspection, "inspection", "书记遍访、巡视巡察审计"},
  }};
};

// 致贫/返贫风险类型 [004]
enum class RiskCause {
  kIllness,
  kDisability,
  kEducation,
  kDisaster,
  kAccident,
  kEpidemic,
  kUnstableEmployment,
  kFailedBusiness,
  kSuddenEvent,
  kOther
};
BOOST_DESCRIBE_ENUM(RiskCause, kIllness, kDisability, kEducation, kDisaster, kAccident, kEpidemic,
                    kUnstableEmployment, kFailedBusiness, kSuddenEvent, kOther)
template <>
struct CodeTable<RiskCause> {
  static constexpr std::array<CodeEntry<RiskCause>, 10> kEntries{{
      {RiskCause::kIllness, "illness", "因病"},
      {RiskCause::kDisability, "disability", "因残"},
      {RiskCause::kEducation, "education", "因学"},
      {RiskCause::kDisaster, "disaster", "因灾"},
      {RiskCause::kAccident, "accident", "因意外"},
      {RiskCause::kEpidemic, "epidemic", "因疫情"},
      {RiskCause::kUnstableEmployment, "unstable_employment", "因就业不稳"},
      {RiskCause::kFailedBusiness, "failed_business", "因产业失败"},
      {RiskCause::kSuddenEvent, "sudden_event", "因突发事件"},
      {RiskCause::kOther, "other", "其他"},
  }};
};

// 帮扶措施类型 [003][004]
enum class MeasureType {
  kIndustry,
  kEmployment,
  kSocialSecurity,
  kMedical,
  kEducation,
  kHousing,
  kDrinkingWater,
  kFamilySupport,
  kInsurance,
  kSocialAid,
  // [004] "坚持扶贫同扶志扶智结合": motivation and skills; and [004]'s "其他" (issue 14 item 7).
  kMotivation,
  kOther
};
BOOST_DESCRIBE_ENUM(MeasureType, kIndustry, kEmployment, kSocialSecurity, kMedical, kEducation,
                    kHousing, kDrinkingWater, kFamilySupport, kInsurance, kSocialAid, kMotivation,
                    kOther)
template <>
struct CodeTable<MeasureType> {
  static constexpr std::array<CodeEntry<MeasureType>, 12> kEntries{{
      {MeasureType::kIndustry, "industry", "产业帮扶"},
      {MeasureType::kEmployment, "employment", "就业帮扶"},
      {MeasureType::kSocialSecurity, "social_security", "综合保障"},
      {MeasureType::kMedical, "medical", "医疗保障"},
      {MeasureType::kEducation, "education", "教育帮扶"},
      {MeasureType::kHousing, "housing", "住房保障"},
      {MeasureType::kDrinkingWater, "drinking_water", "饮水安全"},
      {MeasureType::kFamilySupport, "family_support", "赡养扶养"},
      {MeasureType::kInsurance, "insurance", "防贫保险"},
      {MeasureType::kSocialAid, "social_aid", "社会帮扶"},
      {MeasureType::kMotivation, "motivation", "扶志扶智"},
      {MeasureType::kOther, "other", "其他"},
  }};
};

enum class MeasureStatus { kPlanned, kInPlace, kCompleted, kStopped };
BOOST_DESCRIBE_ENUM(MeasureStatus, kPlanned, kInPlace, kCompleted, kStopped)
template <>
struct CodeTable<MeasureStatus> {
  static constexpr std::array<CodeEntry<MeasureStatus>, 4> kEntries{{
      {MeasureStatus::kPlanned, "planned", "计划中"},
      {MeasureStatus::kInPlace, "in_place", "已落实"},
      {MeasureStatus::kCompleted, "completed", "已完成"},
      {MeasureStatus::kStopped, "stopped", "已停止"},
  }};
};

// Risk as the monthly monitoring sees it, compared with the month before.
enum class RiskTrend { kStable, kReduced, kIncreased };
BOOST_DESCRIBE_ENUM(RiskTrend, kStable, kReduced, kIncreased)
template <>
struct CodeTable<RiskTrend> {
  static constexpr std::array<CodeEntry<RiskTrend>, 3> kEntries{{
      {RiskTrend::kStable, "stable", "风险无变化"},
      {RiskTrend::kReduced, "reduced", "风险降低"},
      {RiskTrend::kIncreased, "increased", "风险增加"},
  }};
};

// 回头看 on an eliminated case [001].
enum class LookBackFinding { kStable, kInaccurate, kNewRisk };
BOOST_DESCRIBE_ENUM(LookBackFinding, kStable, kInaccurate, kNewRisk)
template <>
struct CodeTable<LookBackFinding> {
  static constexpr std::array<CodeEntry<LookBackFinding>, 3> kEntries{{
      {LookBackFinding::kStable, "stable", "风险稳定消除"},
      {LookBackFinding::kInaccurate, "inaccurate", "风险消除不精准"},
      {LookBackFinding::kNewRisk, "new_risk", "出现新增风险"},
  }};
};

// Requests that need township, village and city approval before the county applies them [001].
enum class ApprovalPurpose { kRollback, kClearOut };
BOOST_DESCRIBE_ENUM(ApprovalPurpose, kRollback, kClearOut)
template <>
struct CodeTable<ApprovalPurpose> {
  static constexpr std::array<CodeEntry<ApprovalPurpose>, 2> kEntries{{
      {ApprovalPurpose::kRollback, "rollback", "风险消除回退"},
      {ApprovalPurpose::kClearOut, "clear_out", "清退"},
  }};
};

// kPrefecture: [001] "由市乡村振兴局汇总核实后向三明市乡村振兴局书面申请，再上报备案后统一操作":
// the prefecture's filing after the (county-level) city's, where configured
// (ApprovalRules::prefecture_filing).
enum class ApprovalLevel { kTownship, kVillage, kCity, kPrefecture };
BOOST_DESCRIBE_ENUM(ApprovalLevel, kTownship, kVillage, kCity, kPrefecture)
template <>
struct CodeTable<ApprovalLevel> {
  static constexpr std::array<CodeEntry<ApprovalLevel>, 4> kEntries{{
      {ApprovalLevel::kTownship, "township", "乡镇"},
      {ApprovalLevel::kVillage, "village", "村"},
      {ApprovalLevel::kCity, "city", "市乡村振兴局"},
      {ApprovalLevel::kPrefecture, "prefecture", "设区市乡村振兴局"},
  }};
};

// Why a household's income fell sharply (the second hardship condition of [000]).
enum class IncomeDropCause { kNone, kDisaster, kAccident };
BOOST_DESCRIBE_ENUM(IncomeDropCause, kNone, kDisaster, kAccident)
template <>
struct CodeTable<IncomeDropCause> {
  static constexpr std::array<CodeEntry<IncomeDropCause>, 3> kEntries{{
      {IncomeDropCause::kNone, "none", "无"},
      {IncomeDropCause::kDisaster, "disaster", "因灾"},
      {IncomeDropCause::kAccident, "accident", "因意外事故"},
  }};
};

// Written notices (书面告知) given to a household, and department evidence told to its staff.
// kSupportOnly: a household with labour whose only measures are 兜底 ones (一兜了之, [001]),
// told to its township (workflows/exit_evidence.h).
enum class NoticeKind { kRejection, kClearOut, kDepartmentEvidence, kSupportOnly };
BOOST_DESCRIBE_ENUM(NoticeKind, kRejection, kClearOut, kDepartmentEvidence, kSupportOnly)
template <>
struct CodeTable<NoticeKind> {
  static constexpr std::array<CodeEntry<NoticeKind>, 4> kEntries{{
      {NoticeKind::kRejection, "rejection", "未纳入监测书面告知"},
      {NoticeKind::kClearOut, "clear_out", "清退书面告知"},
      {NoticeKind::kDepartmentEvidence, "department_evidence", "部门预警信息"},
      {NoticeKind::kSupportOnly, "support_only", "有劳动能力仅兜底帮扶"},
  }};
};

}  // namespace fangfan
