#include "workflows/case_guards.h"

#include <algorithm>

#include "workflows/date.h"
#include "workflows/deadlines.h"
#include "workflows/exit_evidence.h"

namespace fangfan {
namespace {

using namespace refusal;

bool kind_has(const CaseData& d, const ProgramRules& r, std::string_view step) {
  const CaseKind* k = r.find_kind(d.kind);
  if (k == nullptr) return false;
  return std::find(k->steps.begin(), k->steps.end(), step) != k->steps.end();
}

Check period_problem(std::string_view step, const std::optional<TimePoint>& started,
                     const EventMeta& m, const ProgramRules& r) {
  const int days = publicity_days(r, step);
  const Date start = china_date(started.value_or(m.at));
  const Date earliest = publicity_closes_on(start, days);  // [000] "公示期5天": whole days
  if (today_of(m) >= earliest) return std::nullopt;
  return problem(kPublicityNotOver, "",
                 std::string{step_label(step)} + "期为" + std::to_string(days) + "天（" +
                     format_date(start) + "起公示，" +
                     format_date(earliest - std::chrono::days{1}) + "公示期满），" +
                     format_date(earliest) + "起才能结束公示");
}

Check approval_order_problem(const RecordApproval& e, const CaseData& d, const ProgramRules& r) {
  if (e.level == ApprovalLevel::kPrefecture && !r.approvals.prefecture_filing) {
    return problem(kApprovalLevelNotConfigured, "level",
                   "本县的" + std::string{label_of(e.purpose)} +
                       "不需要设区市乡村振兴局备案（[rules.approvals] prefecture_filing）");
  }
  const auto missing = missing_levels(d, e.purpose, r);
  if (std::find(missing.begin(), missing.end(), e.level) == missing.end()) {
    return problem(kApprovalRecorded, "level",
                   std::string{label_of(e.level)} + "对" + std::string{label_of(e.purpose)} +
                       "的审核意见已经登记");
  }
  auto lacks = [&](ApprovalLevel l) {
    return std::find(missing.begin(), missing.end(), l) != missing.end();
  };
  const bool below_missing = lacks(ApprovalLevel::kTownship) || lacks(ApprovalLevel::kVillage);
  if (e.level == ApprovalLevel::kCity && below_missing) {
    return problem(kApprovalOutOfOrder, "level",
                   "须先登记乡镇和村两级审核意见，才能登记市乡村振兴局对" +
                       std::string{label_of(e.purpose)} + "的审核意见");
  }
  // [001]: the prefecture files what the city has collected and verified.
  if (e.level == ApprovalLevel::kPrefecture && (below_missing || lacks(ApprovalLevel::kCity))) {
    return problem(kApprovalOutOfOrder, "level",
                   "须先登记乡镇、村两级和市乡村振兴局的审核意见，才能登记设区市乡村振兴局对" +
                       std::string{label_of(e.purpose)} + "的备案");
  }
  return std::nullopt;
}

Check approvals_complete_problem(const CaseData& d, ApprovalPurpose purpose,
                                 const ProgramRules& r) {
  const auto missing = missing_levels(d, purpose, r);
  if (missing.empty()) return std::nullopt;
  std::vector<std::string> labels;
  for (auto l : missing) labels.emplace_back(label_of(l));
  const std::string filing = r.approvals.prefecture_filing ? "、报设区市乡村振兴局备案" : "";
  return problem(kApprovalsMissing, "",
                 std::string{label_of(purpose)} + "须经乡镇、村两级审核并报市乡村振兴局同意" +
                     filing + "，尚缺" + join(labels, "、") + "的审核意见");
}

// Before registration only emergency cases are assisted (先帮扶、后认定).
Check emergency_problem(const CaseData& d) {
  if (d.emergency) return std::nullopt;
  return problem(kNotEmergency, "",
                 "案件尚未录入为监测对象；只有标记为紧急（先帮扶、后认定）的案件才能在认定期间"
                 "开展帮扶");
}

Check measure_problem(const UpdateMeasure& e, const CaseData& d) {
  auto it = std::find_if(d.measures.begin(), d.measures.end(),
                         [&](const Measure& m) { return m.id == e.measure_id; });
  const std::string which = "编号为" + std::to_string(e.measure_id) + "的帮扶措施";
  if (it == d.measures.end()) return problem(kMeasureUnknown, "measure_id", "没有" + which);
  if (it->status == MeasureStatus::kCompleted || it->status == MeasureStatus::kStopped) {
    return problem(kMeasureClosed, "measure_id",
                   which + std::string{label_of(it->status)} + "，不能再更改状态");
  }
  if (it->status == e.status) {
    return problem(kMeasureStatusUnchanged, "status",
                   which + "已经是“" + std::string{label_of(e.status)} + "”");
  }
  return std::nullopt;
}

// A visit needs an assigned officer.
Check officer_problem(const CaseData& d) {
  if (!d.officer.empty()) return std::nullopt;
  return problem(kOfficerNotAssigned, "", "尚未指定帮扶责任人，须先指定帮扶责任人才能登记走访");
}

Check monitoring_month_problem(const RecordMonitoring& e, const CaseData& d) {
  const auto month = e.record.account.month;
  const bool dup =
      std::any_of(d.monitoring.begin(), d.monitoring.end(),
                  [month](const MonitoringRecord& m) { return m.account.month == month; });
  if (dup) {
    return problem(kMonitoringMonthRecorded, "record.account.month",
                   format_month_cn(month) + "的监测记录已经登记");
  }
  return std::nullopt;
}

Check developmental_problem(const CaseData& d) {
  if (d.developmental_assistance_on) {
    return problem(kDevelopmentalAlreadyMarked, "",
                   "已于" + format_date(*d.developmental_assistance_on) + "标注已实施开发式帮扶");
  }
  // [001] "经乡村两级确认后": the confirmed statuses decide, not the members' flags.
  if (d.guaranteed_support_on) {
    return problem(kNobodyCanWork, "", "该户已认定为整户无劳动能力兜底保障户，不标注开发式帮扶");
  }
  const bool in_place = std::any_of(d.measures.begin(), d.measures.end(), [](const Measure& m) {
    return (m.type == MeasureType::kIndustry || m.type == MeasureType::kEmployment) &&
           (m.status == MeasureStatus::kInPlace || m.status == MeasureStatus::kCompleted);
  });
  if (!in_place) return problem(kNoMeasureInPlace, "", "尚无已落实的产业或就业帮扶措施");
  return developmental_confirmed_problem(d);
}

// A department's measure names a member of this household and is not recorded yet.
Check department_measure_problem(const RecordDepartmentMeasure& e, const CaseData& d) {
  const auto& members = d.household.members;
  const bool member = std::any_of(members.begin(), members.end(), [&](const Member& m) {
    return m.id_number == e.member_id_number;
  });
  if (!member) {
    return problem(kDepartmentMeasureMemberUnknown, "member_id_number",
                   "部门落实措施所涉成员不是本户家庭成员");
  }
  if (const Measure* m = recorded_department_measure(e, d)) {
    return problem(kDepartmentMeasureRecorded, "",
                   "该措施已于" + format_date(china_date(m->recorded.at)) + "登记（措施" +
                       std::to_string(m->id) + "），不重复登记");
  }
  return std::nullopt;
}

// Each routine record's own condition.
Check routine_condition_problem(const RoutineEvent& e, const CaseData& d) {
  return std::visit(
      [&](const auto& x) -> Check {
        using E = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<E, UpdateMeasure>) return measure_problem(x, d);
        if constexpr (std::is_same_v<E, RecordVisit>) return officer_problem(d);
        if constexpr (std::is_same_v<E, RecordMonitoring>) return monitoring_month_problem(x, d);
        if constexpr (std::is_same_v<E, MarkDevelopmental>) return developmental_problem(d);
        if constexpr (std::is_same_v<E, RecordDepartmentMeasure>) {
          return department_measure_problem(x, d);
        }
        if constexpr (std::is_same_v<E, RecordEvaluation>) return evaluation_problem(x, d);
        if constexpr (std::is_same_v<E, ConfirmHouseholdStatus>) {
          return status_confirmation_problem(x, d);
        }
        return std::nullopt;
      },
      e);
}

bool is_household_update(const RoutineEvent& e) {
  return std::holds_alternative<UpdateHousehold>(e);
}

// Department evidence is a fact the county learnt, whatever the case is doing: never refused
// for the state (closed cases accept no event at all).
bool is_evidence(const RoutineEvent& e) {
  return std::holds_alternative<RecordDepartmentEvidence>(e);
}

// A department's measure is what the department did on its own rules: recorded during
// recognition whatever the emergency (a list holds instant-assistance households too).
bool is_department_measure(const RoutineEvent& e) {
  return std::holds_alternative<RecordDepartmentMeasure>(e);
}

Problem about_household(std::string_view code, std::string field, std::string sentence) {
  Problem p = problem(code, std::move(field), std::move(sentence));
  p.about_household = true;
  return p;
}

}  // namespace

// -- recognition ---------------------------------------------------------------------

Check verification_incomplete_problem(const RecordVerification& e, const CaseData& d,
                                      const ProgramRules& r) {
  const auto dec = decide_verification(e, d, r);
  if (dec.verdict == EligibilityVerdict::kIncomplete) {
    return problem(dec.incomplete_code, dec.incomplete_field, dec.reason);
  }
  return std::nullopt;
}

Check asset_authorisation_problem(const RecordDemocraticReview& e, const CaseData&,
                                  const ProgramRules&) {
  if (e.asset_authorisation_signed) return std::nullopt;
  return problem(kAssetAuthorisationMissing, "asset_authorisation_signed",
                 "农户尚未签订授权核查家庭资产信息承诺书，不能报县级审核");
}

Check publicity_period_problem(const ClosePublicity& e, const CaseData& d, const ProgramRules& r) {
  return period_problem(kStepVillagePublicity, d.publicity_started_at, e.meta, r);
}

Check elimination_publicity_period_problem(const CloseEliminationPublicity& e, const CaseData& d,
                                           const ProgramRules& r) {
  return period_problem(kStepEliminationPublicity, d.elimination_publicity_started_at, e.meta, r);
}

// -- routine records -----------------------------------------------------------------

Check routine_in_recognition_problem(const RoutineEvent& e, const CaseData& d,
                                     const ProgramRules&) {
  // The Q4 evaluation covers monitoring objects only (case_events.h, monitoring_object).
  if (std::holds_alternative<RecordEvaluation>(e)) {
    return problem(kNotMonitoringObject, "",
                   "案件尚未录入为监测对象，年度风险评估只针对已录入的监测对象");
  }
  if (!is_household_update(e) && !is_evidence(e) && !is_department_measure(e)) {
    if (auto p = emergency_problem(d)) return p;
  }
  return routine_condition_problem(e, d);
}

Check routine_while_assisted_problem(const RoutineEvent& e, const CaseData& d,
                                     const ProgramRules&) {
  return routine_condition_problem(e, d);
}

Check routine_after_elimination_problem(const RoutineEvent& e, const CaseData&,
                                        const ProgramRules&) {
  if (is_household_update(e) || is_evidence(e)) return std::nullopt;
  return problem(kAssistanceAfterElimination, "",
                 "风险已消除的案件不再登记帮扶记录；如风险消除不精准，请先登记回头看结果并申请"
                 "风险消除回退");
}

// -- elimination, look-back, rollback, clear-out, re-identification -------------------

Check guaranteed_support_problem(const CaseData& d, const ProgramRules&) {
  // The status village and township confirmed (confirm_household_status), not the members'
  // flags: [001] "由乡村两级进行认定".
  if (!d.guaranteed_support_on) return std::nullopt;
  return problem(kGuaranteedSupport, "",
                 "该户已经乡村两级认定为整户无劳动能力兜底保障户，按规定暂不标注风险消除");
}

Check rollback_approval_problem(const RecordApproval& e, const CaseData& d, const ProgramRules& r) {
  if (e.purpose != ApprovalPurpose::kRollback) {
    return problem(kApprovalPurposeWrong, "purpose",
                   "已标注风险消除的案件只能登记风险消除回退的审核意见");
  }
  const LookBack* lb = latest_look_back(d);
  if (lb == nullptr || lb->finding != LookBackFinding::kInaccurate) {
    return problem(kLookBackNotInaccurate, "",
                   "须先在回头看中认定风险消除不精准，才能申请风险消除回退");
  }
  return approval_order_problem(e, d, r);
}

Check clear_out_approval_problem(const RecordApproval& e, const CaseData& d,
                                 const ProgramRules& r) {
  if (e.purpose != ApprovalPurpose::kClearOut) {
    return problem(kApprovalPurposeWrong, "purpose",
                   "监测帮扶中的案件只能登记清退的审核意见；风险消除回退只适用于已标注风险消除的"
                   "案件");
  }
  return approval_order_problem(e, d, r);
}

Check rollback_approvals_problem(const ApplyRollback&, const CaseData& d, const ProgramRules& r) {
  // Approvals are dropped on each new look-back, but the rollback itself must still rest on the
  // latest look-back's finding, not on an earlier one.
  const LookBack* lb = latest_look_back(d);
  if (lb == nullptr || lb->finding != LookBackFinding::kInaccurate) {
    return problem(kLookBackNotInaccurate, "",
                   "最近一次回头看未认定风险消除不精准，不能执行风险回退");
  }
  return approvals_complete_problem(d, ApprovalPurpose::kRollback, r);
}

Check clear_out_approvals_problem(const ApplyClearOut&, const CaseData& d, const ProgramRules& r) {
  return approvals_complete_problem(d, ApprovalPurpose::kClearOut, r);
}

Check re_identification_problem(const ReIdentify&, const CaseData& d, const ProgramRules&) {
  const LookBack* lb = latest_look_back(d);
  if (lb == nullptr || lb->finding != LookBackFinding::kNewRisk) {
    return problem(kLookBackNoNewRisk, "", "须先在回头看中发现新增风险，才能重新识别为监测对象");
  }
  if (d.reidentified_at && *d.reidentified_at >= lb->stamp.at) {
    return problem(kAlreadyReidentified, "",
                   "本次回头看发现的新增风险已于" + format_time(*d.reidentified_at) + "重新识别");
  }
  return std::nullopt;
}

// -- the household around an opening -------------------------------------------------

Check household_context_problem(const OpenCase& e, const HouseholdContext& h) {
  const Household& household = e.household;
  if (!h.village_configured) {
    return about_household(kVillageNotConfigured, "household.village_code",
                           "农户所在村（代码 " + household.village_code +
                               "）不在本县的配置中，请先在配置文件中添加该村");
  }
  if (!h.case_in_progress_id.empty()) {
    const CaseStateInfo* info = find_case_state(h.case_in_progress_state);
    const std::string label = info != nullptr ? std::string{info->label} : h.case_in_progress_state;
    return about_household(kCaseInProgress, "household.code",
                           "农户 " + household.code + " 已有进行中的案件 " + h.case_in_progress_id +
                               "（" + label + "），不能重复建档");
  }
  if (!e.previous_case_id.empty()) {
    if (!h.previous_case_exists) {
      return about_household(kPreviousCaseUnknown, "previous_case_id",
                             "关联的原案件 " + e.previous_case_id + " 不存在");
    }
    if (h.previous_case_household && *h.previous_case_household != household.code) {
      return about_household(kPreviousCaseOtherHousehold, "previous_case_id",
                             "关联的原案件 " + e.previous_case_id + " 属于另一农户（" +
                                 *h.previous_case_household + "）");
    }
  }
  return std::nullopt;
}

Check household_move_problem(const RoutineEvent& e, const CaseData& d, const HouseholdContext& h) {
  const auto* update = std::get_if<UpdateHousehold>(&e);
  if (update == nullptr || h.village_configured) return std::nullopt;
  const std::string& village = update->household.village_code;
  // A village the config has since dropped does not block records of a household that stays.
  if (village == d.household.village_code) return std::nullopt;
  return about_household(
      kVillageNotConfigured, "household.village_code",
      "农户所在村（代码 " + village + "）不在本县的配置中，请先在配置文件中添加该村");
}

Check second_case_problem(const CaseData& d, const HouseholdContext& h) {
  if (h.case_in_progress_id.empty()) return std::nullopt;
  const CaseStateInfo* info = find_case_state(h.case_in_progress_state);
  const std::string label = info != nullptr ? std::string{info->label} : h.case_in_progress_state;
  return about_household(kCaseInProgress, "",
                         "农户 " + d.household.code + " 已有进行中的案件 " + h.case_in_progress_id +
                             "（" + label +
                             "），同一农户不能同时有两个进行中的案件，请先办结该案件");
}

// -- branch predicates ---------------------------------------------------------------

bool meets_standard(const RecordVerification& e, const CaseData& d, const ProgramRules& r) {
  return decide_verification(e, d, r).verdict == EligibilityVerdict::kEligible;
}

bool democratic_review_passed(const RecordDemocraticReview& e, const CaseData&,
                              const ProgramRules&) {
  return e.passed;
}

bool cross_check_clear(const RecordCountyReview& e, const CaseData&, const ProgramRules&) {
  return e.exclusions.empty() && e.rejection.empty();
}

bool elimination_review_passed(const RecordEliminationReview& e, const CaseData&,
                               const ProgramRules&) {
  return e.passed;
}

bool township_review_passed(const RecordTownshipReview& e, const CaseData&, const ProgramRules&) {
  return e.passed;
}

bool has_democratic_review(const CaseData& d, const ProgramRules& r) {
  return kind_has(d, r, kStepDemocraticReview);
}

bool has_village_publicity(const CaseData& d, const ProgramRules& r) {
  return kind_has(d, r, kStepVillagePublicity);
}

}  // namespace fangfan
