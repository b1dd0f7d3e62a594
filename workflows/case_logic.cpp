#include "workflows/case_logic.h"

#include <algorithm>
#include <set>
#include <type_traits>

#include "workflows/date.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

using Problem = std::optional<std::string>;

Date today_of(const EventMeta& m) { return china_date(m.at); }

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string flag(bool b) { return b ? "true" : "false"; }

template <class E>
std::string codes(const std::vector<E>& values) {
  std::string out;
  for (auto v : values) {
    if (!out.empty()) out += ",";
    out += code_of(v);
  }
  return out;
}

Problem meta_problem(const EventMeta& m, const CaseData& d) {
  if (m.actor.empty()) return "未填写操作人";
  if (m.at < d.last_event_at) {
    return "事件时间（" + format_time(m.at) + "）早于本案上一次记录的时间（" +
           format_time(d.last_event_at) + "）";
  }
  return std::nullopt;
}

Problem require_reason(const EventMeta& m, const char* sentence) {
  if (m.reason.empty()) return std::string{sentence};
  return std::nullopt;
}

Problem risk_causes_problem(const std::vector<RiskCause>& causes) {
  if (causes.empty()) return "至少应选择一种致贫返贫风险类型";
  std::set<RiskCause> seen;
  for (auto c : causes) {
    if (!seen.insert(c).second) {
      return "风险类型“" + std::string{label_of(c)} + "”重复";
    }
  }
  return std::nullopt;
}

Stamp stamp_of(const EventMeta& m) { return {m.actor, m.at}; }

const CaseKind* kind_of(const CaseData& d, const ProgramRules& r) { return r.find_kind(d.kind); }

bool kind_has(const CaseData& d, const ProgramRules& r, std::string_view step) {
  const CaseKind* k = kind_of(d, r);
  if (k == nullptr) return false;
  return std::find(k->steps.begin(), k->steps.end(), step) != k->steps.end();
}

std::string head_label(const Household& h) {
  const Member* head = h.head();
  return (head ? mask_name(head->name) : std::string{"（户主未登记）"}) + "户（户编号" + h.code +
         "）";
}

Notice make_notice(NoticeKind kind, const CaseData& d, std::string_view step,
                   const std::string& reason, const EventMeta& m) {
  Notice n;
  n.kind = kind;
  n.case_id = d.case_id;
  n.household_code = d.household.code;
  n.step = std::string{step};
  n.reason = reason;
  n.issued = stamp_of(m);
  if (kind == NoticeKind::kRejection) {
    n.text = head_label(d.household) + "：经" + std::string{step_label(step)} + "，" + reason +
             "。根据防止返贫动态监测标准，您家暂不纳入监测帮扶范围。如对结果有异议，"
             "可向所在乡镇（街道）扶贫办反映。（" +
             format_date(today_of(m)) + "）";
  } else {
    n.text = head_label(d.household) +
             "：经乡镇、村两级审核并报市乡村振兴局同意，您家已退出防止返贫监测帮扶范围（清退），"
             "原因：" +
             reason + "。如对结果有异议，可向所在乡镇（街道）扶贫办反映。（" +
             format_date(today_of(m)) + "）";
  }
  return n;
}

void issue_notice(Notice n, CaseData& d, Effects& fx) {
  fx.details.emplace_back("notice", std::string{code_of(n.kind)});
  d.notices.push_back(n);
  fx.notices.push_back(std::move(n));
}

EligibilityDecision decide(const RecordVerification& e, const CaseData& d, const ProgramRules& r) {
  EligibilityInput in;
  in.accounts = e.accounts;
  in.discovered = month_of(china_date(d.opened.at));
  in.persons = static_cast<int>(d.household.members.size());
  in.hardship = e.hardship;
  in.exclusions = e.exclusions;
  in.discretion = e.discretion;
  return assess_eligibility(in, r.eligibility);
}

void record_verification_result(const RecordVerification& e, const EligibilityDecision& dec,
                                CaseData& d, Effects& fx) {
  VerificationRecord& v = d.verification ? *d.verification : d.verification.emplace();
  v.recorded = stamp_of(e.meta);
  v.accounts = e.accounts;
  v.hardship = e.hardship;
  v.exclusions = e.exclusions;
  v.discretion = e.discretion;
  v.eligible = dec.verdict == EligibilityVerdict::kEligible;
  v.discretionary = dec.discretionary;
  v.per_capita_income_fen = dec.income.per_capita_fen();
  v.conclusion = dec.reason;
  fx.details.emplace_back("eligible", flag(v.eligible));
  fx.details.emplace_back("per_capita_income_yuan", format_yuan(v.per_capita_income_fen));
  fx.details.emplace_back("monitoring_line_yuan", format_yuan(dec.line_fen));
  fx.details.emplace_back("income_window", format_month(dec.income.window.first) + ".." +
                                               format_month(dec.income.window.last));
  fx.details.emplace_back("rigid_expense_hardship", flag(dec.rigid_expense_hardship));
  fx.details.emplace_back("income_drop_hardship", flag(dec.income_drop_hardship));
  if (dec.discretionary) {
    fx.details.emplace_back("discretionary", "true");
    fx.details.emplace_back("discretion_actor", e.discretion->actor);
  }
  if (!dec.excluded_by.empty()) fx.details.emplace_back("excluded_by", dec.excluded_by);
  fx.details.emplace_back("conclusion", dec.reason);
}

void record_review(std::string_view step, const EventMeta& m, bool passed, CaseData& d,
                   Effects& fx) {
  d.reviews.push_back({std::string{step}, stamp_of(m), passed, m.reason});
  fx.details.emplace_back("step", std::string{step});
  fx.details.emplace_back("passed", flag(passed));
}

std::string cross_check_reason(const RecordCountyReview& e, const ProgramRules& r) {
  std::vector<std::string> parts;
  if (auto s = exclusion_sentence(e.exclusions, r.eligibility)) {
    parts.push_back("信息比对发现存在原则上不纳入监测的情形：" + *s);
  }
  if (!e.rejection.empty()) parts.push_back(e.rejection);
  return join(parts, "；");
}

int period_days(const ProgramRules& rules, std::string_view step) {
  auto it = rules.deadlines.find(std::string{step});
  return it == rules.deadlines.end() ? StepDeadline{}.period : it->second.period;
}

Problem period_problem(std::string_view step, const std::optional<TimePoint>& started,
                       const EventMeta& m, const ProgramRules& r) {
  const int days = period_days(r, step);
  const Date start = china_date(started.value_or(m.at));
  const Date earliest = start + std::chrono::days{days};
  if (today_of(m) >= earliest) return std::nullopt;
  return std::string{step_label(step)} + "期为" + std::to_string(days) + "天（" +
         format_date(start) + "起公示），" + format_date(earliest) + "起才能结束公示";
}

// The look-back recorded since the case was last eliminated, if any.
const LookBack* latest_look_back(const CaseData& d) {
  if (d.look_backs.empty() || !d.eliminated_at) return nullptr;
  const LookBack& last = d.look_backs.back();
  return last.stamp.at >= *d.eliminated_at ? &last : nullptr;
}

std::vector<ApprovalLevel> missing_levels(const CaseData& d, ApprovalPurpose purpose) {
  std::vector<ApprovalLevel> missing;
  for (auto level : {ApprovalLevel::kTownship, ApprovalLevel::kVillage, ApprovalLevel::kCity}) {
    const bool have = std::any_of(d.approvals.begin(), d.approvals.end(), [&](const Approval& a) {
      return a.purpose == purpose && a.level == level;
    });
    if (!have) missing.push_back(level);
  }
  return missing;
}

Problem approval_order_problem(const RecordApproval& e, const CaseData& d) {
  const auto missing = missing_levels(d, e.purpose);
  if (std::find(missing.begin(), missing.end(), e.level) == missing.end()) {
    return std::string{label_of(e.level)} + "对" + std::string{label_of(e.purpose)} +
           "的审核意见已经登记";
  }
  if (e.level == ApprovalLevel::kCity && missing.size() > 1) {
    return "须先登记乡镇和村两级审核意见，才能登记市乡村振兴局对" +
           std::string{label_of(e.purpose)} + "的审核意见";
  }
  return std::nullopt;
}

Problem approvals_complete_problem(const CaseData& d, ApprovalPurpose purpose) {
  const auto missing = missing_levels(d, purpose);
  if (missing.empty()) return std::nullopt;
  std::vector<std::string> labels;
  for (auto l : missing) labels.emplace_back(label_of(l));
  return std::string{label_of(purpose)} + "须经乡镇、村两级审核并报市乡村振兴局同意，尚缺" +
         join(labels, "、") + "的审核意见";
}

void drop_approvals(CaseData& d, ApprovalPurpose purpose) {
  std::erase_if(d.approvals, [purpose](const Approval& a) { return a.purpose == purpose; });
}

Problem household_change_problem(const Household& h, const CaseData& d, const EventMeta& m) {
  auto problems = household_problems(h, today_of(m));
  if (!problems.empty()) return join(problems, "；");
  if (h.code != d.household.code) return "户编号不能更改（原为" + d.household.code + "）";
  return std::nullopt;
}

void household_details(const Household& h, Effects& fx) {
  fx.details.emplace_back("household_code", h.code);
  fx.details.emplace_back("village_code", h.village_code);
  fx.details.emplace_back("members", std::to_string(h.members.size()));
  fx.details.emplace_back("able_to_work", std::to_string(std::count_if(
                                              h.members.begin(), h.members.end(),
                                              [](const Member& x) { return x.able_to_work; })));
}

}  // namespace

// -- payload checks ------------------------------------------------------------

Problem payload_problem(const OpenCase& e, const CaseData& d, const ProgramRules& r) {
  if (auto p = meta_problem(e.meta, d)) return p;
  if (e.case_id.empty()) return "案件编号未填写";
  if (r.find_kind(e.kind) == nullptr) return "监测对象类型“" + e.kind + "”未在本地配置中";
  if (auto problems = household_problems(e.household, today_of(e.meta)); !problems.empty()) {
    return join(problems, "；");
  }
  if (auto p = risk_causes_problem(e.risk_causes)) return p;
  if (e.emergency && e.emergency_reason.empty()) {
    return "标记为紧急（先帮扶、后认定）的案件须写明紧急原因";
  }
  if (e.previous_case_id == e.case_id) return "关联的原案件不能是本案件";
  return std::nullopt;
}

Problem payload_problem(const StartVerification& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  if (e.verifier.empty()) return "须写明入户核实人员";
  return std::nullopt;
}

Problem payload_problem(const RecordVerification& e, const CaseData& d, const ProgramRules&) {
  return meta_problem(e.meta, d);
}

Problem payload_problem(const RecordDemocraticReview& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  if (!e.passed) return require_reason(e.meta, "民主评议未通过时须写明原因（将书面告知农户）");
  return std::nullopt;
}

Problem payload_problem(const RecordCountyReview& e, const CaseData& d, const ProgramRules& r) {
  if (auto p = meta_problem(e.meta, d)) return p;
  return unknown_exclusion_problem(e.exclusions, r.eligibility);
}

Problem payload_problem(const PublicityObjection& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  return require_reason(e.meta, "须写明公示异议的内容");
}

Problem payload_problem(const ClosePublicity& e, const CaseData& d, const ProgramRules&) {
  return meta_problem(e.meta, d);
}

Problem payload_problem(const AssignOfficer& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  if (e.officer.empty()) return "须写明帮扶责任人";
  return std::nullopt;
}

Problem payload_problem(const AddMeasure& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  if (e.description.empty()) return "须写明帮扶措施的内容";
  if (e.start_date == Date{}) return "须填写帮扶措施的开始日期";
  return std::nullopt;
}

Problem payload_problem(const UpdateMeasure& e, const CaseData& d, const ProgramRules&) {
  return meta_problem(e.meta, d);
}

Problem payload_problem(const RecordVisit& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  if (e.officer.empty()) return "须写明走访人";
  if (e.findings.empty()) return "须写明走访发现的情况";
  if (e.date > today_of(e.meta)) return "走访日期" + format_date(e.date) + "晚于登记日期";
  if (e.date < china_date(d.opened.at)) {
    return "走访日期" + format_date(e.date) + "早于案件建档日期" +
           format_date(china_date(d.opened.at));
  }
  return std::nullopt;
}

Problem payload_problem(const RecordMonitoring& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  if (auto problems = account_problems({e.record.account}); !problems.empty()) {
    return problems.front();
  }
  if (e.record.account.month > month_of(today_of(e.meta))) {
    return "不能登记未来月份（" + format_month_cn(e.record.account.month) + "）的监测记录";
  }
  return std::nullopt;
}

Problem payload_problem(const MarkDevelopmental& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  if (e.date > today_of(e.meta) || e.date < china_date(d.opened.at)) {
    return "开发式帮扶落实日期" + format_date(e.date) + "应不早于建档日期、不晚于登记当天";
  }
  return std::nullopt;
}

Problem payload_problem(const UpdateHousehold& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  return household_change_problem(e.household, d, e.meta);
}

Problem payload_problem(const ProposeElimination& e, const CaseData& d, const ProgramRules&) {
  return meta_problem(e.meta, d);
}

Problem payload_problem(const RecordEliminationReview& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  if (!e.passed) return require_reason(e.meta, "民主评议认为风险未消除时须写明原因");
  return std::nullopt;
}

Problem payload_problem(const RecordTownshipReview& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  if (!e.passed) return require_reason(e.meta, "乡镇审核不同意风险消除时须写明原因");
  return std::nullopt;
}

Problem payload_problem(const EliminationObjection& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  return require_reason(e.meta, "须写明公示异议的内容");
}

Problem payload_problem(const CloseEliminationPublicity& e, const CaseData& d,
                        const ProgramRules&) {
  return meta_problem(e.meta, d);
}

Problem payload_problem(const RecordLookBack& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  if (e.finding != LookBackFinding::kStable) {
    return require_reason(e.meta, "回头看发现问题时须写明具体情况");
  }
  return std::nullopt;
}

Problem payload_problem(const RecordApproval& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  return require_reason(e.meta, "审核意见须写明具体意见");
}

Problem payload_problem(const ApplyRollback& e, const CaseData& d, const ProgramRules&) {
  return meta_problem(e.meta, d);
}

Problem payload_problem(const ApplyClearOut& e, const CaseData& d, const ProgramRules&) {
  if (auto p = meta_problem(e.meta, d)) return p;
  return require_reason(e.meta, "清退须写明原因（将书面告知农户）");
}

Problem payload_problem(const ReIdentify& e, const CaseData& d, const ProgramRules& r) {
  if (auto p = meta_problem(e.meta, d)) return p;
  if (!e.kind.empty() && r.find_kind(e.kind) == nullptr) {
    return "监测对象类型“" + e.kind + "”未在本地配置中";
  }
  if (auto p = risk_causes_problem(e.risk_causes)) return p;
  if (e.emergency && e.emergency_reason.empty()) {
    return "标记为紧急（先帮扶、后认定）的案件须写明紧急原因";
  }
  return std::nullopt;
}

// -- refusing guards -----------------------------------------------------------

Problem verification_incomplete_problem(const RecordVerification& e, const CaseData& d,
                                        const ProgramRules& r) {
  const auto dec = decide(e, d, r);
  if (dec.verdict == EligibilityVerdict::kIncomplete) return dec.reason;
  return std::nullopt;
}

Problem asset_authorisation_problem(const RecordDemocraticReview& e, const CaseData&,
                                    const ProgramRules&) {
  if (e.asset_authorisation_signed) return std::nullopt;
  return "农户尚未签订授权核查家庭资产信息承诺书，不能报县级审核";
}

Problem publicity_period_problem(const ClosePublicity& e, const CaseData& d,
                                 const ProgramRules& r) {
  return period_problem(kStepVillagePublicity, d.publicity_started_at, e.meta, r);
}

Problem elimination_publicity_period_problem(const CloseEliminationPublicity& e, const CaseData& d,
                                             const ProgramRules& r) {
  return period_problem(kStepEliminationPublicity, d.elimination_publicity_started_at, e.meta, r);
}

Problem emergency_problem(const CaseData& d, const ProgramRules&) {
  if (d.emergency) return std::nullopt;
  return "案件尚未录入为监测对象；只有标记为紧急（先帮扶、后认定）的案件才能在认定期间开展帮扶";
}

Problem measure_problem(const UpdateMeasure& e, const CaseData& d, const ProgramRules&) {
  auto it = std::find_if(d.measures.begin(), d.measures.end(),
                         [&](const Measure& m) { return m.id == e.measure_id; });
  const std::string which = "编号为" + std::to_string(e.measure_id) + "的帮扶措施";
  if (it == d.measures.end()) return "没有" + which;
  if (it->status == MeasureStatus::kCompleted || it->status == MeasureStatus::kStopped) {
    return which + std::string{label_of(it->status)} + "，不能再更改状态";
  }
  if (it->status == e.status) return which + "已经是“" + std::string{label_of(e.status)} + "”";
  return std::nullopt;
}

Problem officer_problem(const RecordVisit&, const CaseData& d, const ProgramRules&) {
  if (!d.officer.empty()) return std::nullopt;
  return "尚未指定帮扶责任人，须先指定帮扶责任人才能登记走访";
}

Problem monitoring_month_problem(const RecordMonitoring& e, const CaseData& d,
                                 const ProgramRules&) {
  const auto month = e.record.account.month;
  const bool dup =
      std::any_of(d.monitoring.begin(), d.monitoring.end(),
                  [month](const MonitoringRecord& m) { return m.account.month == month; });
  if (dup) return format_month_cn(month) + "的监测记录已经登记";
  return std::nullopt;
}

Problem developmental_problem(const MarkDevelopmental&, const CaseData& d, const ProgramRules&) {
  if (d.developmental_assistance_on) {
    return "已于" + format_date(*d.developmental_assistance_on) + "标注已实施开发式帮扶";
  }
  if (!d.household.anyone_can_work()) {
    return "家庭成员均无劳动能力，应落实兜底保障，不标注开发式帮扶";
  }
  const bool in_place = std::any_of(d.measures.begin(), d.measures.end(), [](const Measure& m) {
    return (m.type == MeasureType::kIndustry || m.type == MeasureType::kEmployment) &&
           (m.status == MeasureStatus::kInPlace || m.status == MeasureStatus::kCompleted);
  });
  if (!in_place) return "尚无已落实的产业或就业帮扶措施";
  return std::nullopt;
}

Problem guaranteed_support_problem(const CaseData& d, const ProgramRules&) {
  if (d.household.anyone_can_work()) return std::nullopt;
  return "该户家庭成员均无劳动能力，属整户无劳动能力兜底保障户，按规定暂不标注风险消除";
}

Problem rollback_approval_problem(const RecordApproval& e, const CaseData& d, const ProgramRules&) {
  if (e.purpose != ApprovalPurpose::kRollback) {
    return "已标注风险消除的案件只能登记风险消除回退的审核意见";
  }
  const LookBack* lb = latest_look_back(d);
  if (lb == nullptr || lb->finding != LookBackFinding::kInaccurate) {
    return "须先在回头看中认定风险消除不精准，才能申请风险消除回退";
  }
  return approval_order_problem(e, d);
}

Problem clear_out_approval_problem(const RecordApproval& e, const CaseData& d,
                                   const ProgramRules&) {
  if (e.purpose != ApprovalPurpose::kClearOut) {
    return "监测帮扶中的案件只能登记清退的审核意见；风险消除回退只适用于已标注风险消除的案件";
  }
  return approval_order_problem(e, d);
}

Problem rollback_approvals_problem(const ApplyRollback&, const CaseData& d, const ProgramRules&) {
  // Approvals are dropped on each new look-back, but the rollback itself must still rest on the
  // latest look-back's finding, not on an earlier one.
  const LookBack* lb = latest_look_back(d);
  if (lb == nullptr || lb->finding != LookBackFinding::kInaccurate) {
    return "最近一次回头看未认定风险消除不精准，不能执行风险回退";
  }
  return approvals_complete_problem(d, ApprovalPurpose::kRollback);
}

Problem clear_out_approvals_problem(const ApplyClearOut&, const CaseData& d, const ProgramRules&) {
  return approvals_complete_problem(d, ApprovalPurpose::kClearOut);
}

Problem re_identification_problem(const ReIdentify&, const CaseData& d, const ProgramRules&) {
  const LookBack* lb = latest_look_back(d);
  if (lb == nullptr || lb->finding != LookBackFinding::kNewRisk) {
    return "须先在回头看中发现新增风险，才能重新识别为监测对象";
  }
  if (d.reidentified_at && *d.reidentified_at >= lb->stamp.at) {
    return "本次回头看发现的新增风险已于" + format_time(*d.reidentified_at) + "重新识别";
  }
  return std::nullopt;
}

const EventMeta& routine_meta(const RoutineEvent& e) {
  return std::visit([](const auto& x) -> const EventMeta& { return x.meta; }, e);
}

Problem payload_problem(const RoutineEvent& e, const CaseData& d, const ProgramRules& r) {
  return std::visit([&](const auto& x) { return payload_problem(x, d, r); }, e);
}

namespace {

// Each routine record's own condition.
Problem routine_condition_problem(const RoutineEvent& e, const CaseData& d, const ProgramRules& r) {
  return std::visit(
      [&](const auto& x) -> Problem {
        using E = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<E, UpdateMeasure>) return measure_problem(x, d, r);
        if constexpr (std::is_same_v<E, RecordVisit>) return officer_problem(x, d, r);
        if constexpr (std::is_same_v<E, RecordMonitoring>) return monitoring_month_problem(x, d, r);
        if constexpr (std::is_same_v<E, MarkDevelopmental>) return developmental_problem(x, d, r);
        return std::nullopt;
      },
      e);
}

bool is_household_update(const RoutineEvent& e) {
  return std::holds_alternative<UpdateHousehold>(e);
}

}  // namespace

Problem routine_in_recognition_problem(const RoutineEvent& e, const CaseData& d,
                                       const ProgramRules& r) {
  if (!is_household_update(e)) {
    if (auto p = emergency_problem(d, r)) return p;
  }
  return routine_condition_problem(e, d, r);
}

Problem routine_while_assisted_problem(const RoutineEvent& e, const CaseData& d,
                                       const ProgramRules& r) {
  return routine_condition_problem(e, d, r);
}

Problem routine_after_elimination_problem(const RoutineEvent& e, const CaseData&,
                                          const ProgramRules&) {
  if (is_household_update(e)) return std::nullopt;
  return "风险已消除的案件不再登记帮扶记录；如风险消除不精准，请先登记回头看结果并申请风险消除回退";
}

// -- branch predicates ---------------------------------------------------------

bool meets_standard(const RecordVerification& e, const CaseData& d, const ProgramRules& r) {
  return decide(e, d, r).verdict == EligibilityVerdict::kEligible;
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

// -- actions -------------------------------------------------------------------

void open_case(const OpenCase& e, CaseData& d, const ProgramRules&, Effects& fx) {
  d.case_id = e.case_id;
  d.kind = e.kind;
  d.household = e.household;
  d.source = e.source;
  d.risk_causes = e.risk_causes;
  d.emergency = e.emergency;
  d.emergency_reason = e.emergency_reason;
  d.previous_case_id = e.previous_case_id;
  d.opened = stamp_of(e.meta);
  fx.details.emplace_back("kind", e.kind);
  fx.details.emplace_back("source", std::string{code_of(e.source)});
  household_details(e.household, fx);
  fx.details.emplace_back("risk_causes", codes(e.risk_causes));
  fx.details.emplace_back("emergency", flag(e.emergency));
  if (e.emergency) fx.details.emplace_back("emergency_reason", e.emergency_reason);
  if (!e.previous_case_id.empty()) fx.details.emplace_back("previous_case_id", e.previous_case_id);
}

void start_verification(const StartVerification& e, CaseData& d, const ProgramRules&, Effects& fx) {
  VerificationRecord& v = d.verification.emplace();
  v.verifier = e.verifier;
  v.started = stamp_of(e.meta);
  fx.details.emplace_back("verifier", e.verifier);
}

void pass_verification(const RecordVerification& e, CaseData& d, const ProgramRules& r,
                       Effects& fx) {
  record_verification_result(e, decide(e, d, r), d, fx);
}

void reject_at_verification(const RecordVerification& e, CaseData& d, const ProgramRules& r,
                            Effects& fx) {
  const auto dec = decide(e, d, r);
  record_verification_result(e, dec, d, fx);
  d.closing_reason = dec.reason;
  issue_notice(
      make_notice(NoticeKind::kRejection, d, kStepHouseholdVerification, dec.reason, e.meta), d,
      fx);
}

void pass_democratic_review(const RecordDemocraticReview& e, CaseData& d, const ProgramRules&,
                            Effects& fx) {
  record_review(kStepDemocraticReview, e.meta, true, d, fx);
  fx.details.emplace_back("asset_authorisation_signed", flag(e.asset_authorisation_signed));
}

void reject_at_democratic_review(const RecordDemocraticReview& e, CaseData& d, const ProgramRules&,
                                 Effects& fx) {
  record_review(kStepDemocraticReview, e.meta, false, d, fx);
  d.closing_reason = "民主评议未通过：" + e.meta.reason;
  issue_notice(make_notice(NoticeKind::kRejection, d, kStepDemocraticReview, e.meta.reason, e.meta),
               d, fx);
}

void start_publicity(const RecordCountyReview& e, CaseData& d, const ProgramRules&, Effects& fx) {
  record_review(kStepCountyReview, e.meta, true, d, fx);
  d.publicity_started_at = e.meta.at;
  fx.details.emplace_back("publicity_from", format_date(today_of(e.meta)));
}

void register_after_county_review(const RecordCountyReview& e, CaseData& d, const ProgramRules&,
                                  Effects& fx) {
  record_review(kStepCountyReview, e.meta, true, d, fx);
  d.registered_at = e.meta.at;
  fx.details.emplace_back("registered_on", format_date(today_of(e.meta)));
}

void reject_at_county_review(const RecordCountyReview& e, CaseData& d, const ProgramRules& r,
                             Effects& fx) {
  record_review(kStepCountyReview, e.meta, false, d, fx);
  d.cross_check_exclusions = e.exclusions;
  d.closing_reason = cross_check_reason(e, r);
  if (!e.exclusions.empty()) fx.details.emplace_back("excluded_by", e.exclusions.front().code);
  issue_notice(make_notice(NoticeKind::kRejection, d, kStepCountyReview, d.closing_reason, e.meta),
               d, fx);
}

void record_publicity_objection(const PublicityObjection& e, CaseData& d, const ProgramRules&,
                                Effects& fx) {
  d.objections.push_back(e.meta.reason);
  d.publicity_started_at.reset();
  fx.details.emplace_back("objection", e.meta.reason);
}

void register_after_publicity(const ClosePublicity& e, CaseData& d, const ProgramRules&,
                              Effects& fx) {
  d.registered_at = e.meta.at;
  fx.details.emplace_back("publicity_from", format_date(china_date(*d.publicity_started_at)));
  fx.details.emplace_back("registered_on", format_date(today_of(e.meta)));
}

void assign_officer(const AssignOfficer& e, CaseData& d, const ProgramRules&, Effects& fx) {
  if (!d.officer.empty()) fx.details.emplace_back("previous_officer", d.officer);
  d.officer = e.officer;
  d.officer_assigned = stamp_of(e.meta);
  fx.details.emplace_back("officer", e.officer);
}

void add_measure(const AddMeasure& e, CaseData& d, const ProgramRules&, Effects& fx) {
  Measure m;
  m.id = static_cast<int>(d.measures.size()) + 1;
  m.type = e.measure_type;
  m.description = e.description;
  m.start_date = e.start_date;
  m.status = e.status;
  m.recorded = stamp_of(e.meta);
  d.measures.push_back(m);
  fx.details.emplace_back("measure_id", std::to_string(m.id));
  fx.details.emplace_back("type", std::string{code_of(m.type)});
  fx.details.emplace_back("status", std::string{code_of(m.status)});
  fx.details.emplace_back("start_date", format_date(m.start_date));
}

void update_measure(const UpdateMeasure& e, CaseData& d, const ProgramRules&, Effects& fx) {
  for (auto& m : d.measures) {
    if (m.id != e.measure_id) continue;
    fx.details.emplace_back("measure_id", std::to_string(m.id));
    fx.details.emplace_back("from", std::string{code_of(m.status)});
    fx.details.emplace_back("to", std::string{code_of(e.status)});
    m.status = e.status;
  }
}

void record_visit(const RecordVisit& e, CaseData& d, const ProgramRules&, Effects& fx) {
  d.visits.push_back({e.date, e.officer, e.findings, stamp_of(e.meta)});
  fx.details.emplace_back("date", format_date(e.date));
  fx.details.emplace_back("officer", e.officer);
}

void record_monitoring(const RecordMonitoring& e, CaseData& d, const ProgramRules&, Effects& fx) {
  MonitoringRecord rec = e.record;
  rec.recorded = stamp_of(e.meta);
  d.monitoring.push_back(rec);
  fx.details.emplace_back("month", format_month(rec.account.month));
  fx.details.emplace_back("net_income_yuan", format_yuan(rec.account.net_income_fen()));
  fx.details.emplace_back("rigid_expense_yuan", format_yuan(rec.account.rigid_expense_fen()));
  fx.details.emplace_back("basic_needs_secure", flag(rec.basic_needs_secure));
  fx.details.emplace_back("drinking_water_safe", flag(rec.drinking_water_safe));
  fx.details.emplace_back("risk", std::string{code_of(rec.risk)});
}

void mark_developmental(const MarkDevelopmental& e, CaseData& d, const ProgramRules&, Effects& fx) {
  d.developmental_assistance_on = e.date;
  fx.details.emplace_back("date", format_date(e.date));
}

void update_household(const UpdateHousehold& e, CaseData& d, const ProgramRules&, Effects& fx) {
  fx.details.emplace_back("members_before", std::to_string(d.household.members.size()));
  d.household = e.household;
  household_details(e.household, fx);
}

void propose_elimination(const ProposeElimination&, CaseData& d, const ProgramRules&, Effects& fx) {
  household_details(d.household, fx);
  fx.details.emplace_back("measures", std::to_string(d.measures.size()));
  fx.details.emplace_back("visits", std::to_string(d.visits.size()));
}

void pass_elimination_review(const RecordEliminationReview& e, CaseData& d, const ProgramRules&,
                             Effects& fx) {
  record_review(kStepEliminationReview, e.meta, true, d, fx);
}

void keep_after_elimination_review(const RecordEliminationReview& e, CaseData& d,
                                   const ProgramRules&, Effects& fx) {
  record_review(kStepEliminationReview, e.meta, false, d, fx);
}

void start_elimination_publicity(const RecordTownshipReview& e, CaseData& d, const ProgramRules&,
                                 Effects& fx) {
  record_review(kStepTownshipEliminationReview, e.meta, true, d, fx);
  d.elimination_publicity_started_at = e.meta.at;
  fx.details.emplace_back("publicity_from", format_date(today_of(e.meta)));
}

void keep_after_township_review(const RecordTownshipReview& e, CaseData& d, const ProgramRules&,
                                Effects& fx) {
  record_review(kStepTownshipEliminationReview, e.meta, false, d, fx);
}

void record_elimination_objection(const EliminationObjection& e, CaseData& d, const ProgramRules&,
                                  Effects& fx) {
  d.objections.push_back(e.meta.reason);
  d.elimination_publicity_started_at.reset();
  fx.details.emplace_back("objection", e.meta.reason);
}

void eliminate(const CloseEliminationPublicity& e, CaseData& d, const ProgramRules&, Effects& fx) {
  d.eliminated_at = e.meta.at;
  fx.details.emplace_back("publicity_from",
                          format_date(china_date(*d.elimination_publicity_started_at)));
  fx.details.emplace_back("eliminated_on", format_date(today_of(e.meta)));
}

void record_look_back(const RecordLookBack& e, CaseData& d, const ProgramRules&, Effects& fx) {
  d.look_backs.push_back({e.finding, e.meta.reason, stamp_of(e.meta)});
  // A new look-back replaces the finding earlier approvals were given for: they lapse.
  d.approvals.clear();
  fx.details.emplace_back("finding", std::string{code_of(e.finding)});
}

void record_approval(const RecordApproval& e, CaseData& d, const ProgramRules&, Effects& fx) {
  d.approvals.push_back({e.purpose, e.level, e.meta.reason, stamp_of(e.meta)});
  fx.details.emplace_back("purpose", std::string{code_of(e.purpose)});
  fx.details.emplace_back("level", std::string{code_of(e.level)});
}

void roll_back(const ApplyRollback& e, CaseData& d, const ProgramRules&, Effects& fx) {
  fx.details.emplace_back("eliminated_on", format_date(china_date(*d.eliminated_at)));
  d.rolled_back_at = e.meta.at;
  d.eliminated_at.reset();
  d.elimination_publicity_started_at.reset();
  drop_approvals(d, ApprovalPurpose::kRollback);
}

void clear_out(const ApplyClearOut& e, CaseData& d, const ProgramRules&, Effects& fx) {
  d.closing_reason = e.meta.reason;
  drop_approvals(d, ApprovalPurpose::kClearOut);
  issue_notice(make_notice(NoticeKind::kClearOut, d, "", e.meta.reason, e.meta), d, fx);
}

void re_identify(const ReIdentify& e, CaseData& d, const ProgramRules&, Effects& fx) {
  d.reidentified_at = e.meta.at;
  NewCaseRequest req;
  req.previous_case_id = d.case_id;
  req.kind = e.kind.empty() ? d.kind : e.kind;
  req.household = d.household;
  req.risk_causes = e.risk_causes;
  req.emergency = e.emergency;
  req.emergency_reason = e.emergency_reason;
  fx.details.emplace_back("new_case_kind", req.kind);
  fx.details.emplace_back("risk_causes", codes(e.risk_causes));
  fx.new_case = std::move(req);
}

void record_routine(const RoutineEvent& e, CaseData& d, const ProgramRules& r, Effects& fx) {
  std::visit(
      [&](const auto& x) {
        using E = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<E, AssignOfficer>) assign_officer(x, d, r, fx);
        if constexpr (std::is_same_v<E, AddMeasure>) add_measure(x, d, r, fx);
        if constexpr (std::is_same_v<E, UpdateMeasure>) update_measure(x, d, r, fx);
        if constexpr (std::is_same_v<E, RecordVisit>) record_visit(x, d, r, fx);
        if constexpr (std::is_same_v<E, RecordMonitoring>) record_monitoring(x, d, r, fx);
        if constexpr (std::is_same_v<E, MarkDevelopmental>) mark_developmental(x, d, r, fx);
        if constexpr (std::is_same_v<E, UpdateHousehold>) update_household(x, d, r, fx);
      },
      e);
}

// -- configuration -------------------------------------------------------------

std::optional<std::string> case_kind_problem(const CaseKind& kind) {
  static const std::vector<std::string_view> kOrder{
      kStepHouseholdVerification, kStepDemocraticReview, kStepCountyReview, kStepVillagePublicity};
  if (kind.code.empty()) return "监测对象类型缺少代码";
  size_t last = 0;
  bool first = true;
  for (const auto& step : kind.steps) {
    auto it = std::find(kOrder.begin(), kOrder.end(), step);
    if (it == kOrder.end()) {
      return "监测对象类型“" + kind.code + "”的认定步骤“" + step + "”不是认定程序中的步骤";
    }
    const size_t pos = static_cast<size_t>(it - kOrder.begin());
    if (!first && pos <= last) {
      return "监测对象类型“" + kind.code +
             "”的认定步骤顺序不对或有重复：应按入户核实、民主评议、"
             "县级审核比对、村级公示的顺序";
    }
    first = false;
    last = pos;
  }
  return std::nullopt;
}

int publicity_days(const ProgramRules& rules, std::string_view step) {
  return period_days(rules, step);
}

}  // namespace fangfan
