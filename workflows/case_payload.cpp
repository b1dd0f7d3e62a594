#include "workflows/case_payload.h"

#include <set>

#include "workflows/alert_loop.h"
#include "workflows/date.h"
#include "workflows/feeds.h"
#include "workflows/message_templates.h"
#include "workflows/text_rules.h"
#include "workflows/text_walk.h"

namespace fangfan {
namespace {

using namespace refusal;

Check meta_problem(const EventMeta& m, const CaseData& d) {
  if (m.actor.empty()) return problem(kActorMissing, "meta.actor", "未填写操作人");
  if (m.at < d.last_event_at) {
    return problem(kEventBeforeLast, "meta.at",
                   "事件时间（" + format_time(m.at) + "）早于本案上一次记录的时间（" +
                       format_time(d.last_event_at) + "）");
  }
  return std::nullopt;
}

Check require_reason(const EventMeta& m, const char* sentence) {
  if (m.reason.empty()) return problem(kReasonMissing, "meta.reason", sentence);
  return std::nullopt;
}

Check risk_causes_problem(const std::vector<RiskCause>& causes) {
  if (causes.empty()) {
    return problem(kRiskCausesMissing, "risk_causes", "至少应选择一种致贫返贫风险类型");
  }
  std::set<RiskCause> seen;
  for (size_t i = 0; i < causes.size(); ++i) {
    if (!seen.insert(causes[i]).second) {
      return problem(kRiskCauseRepeated, "risk_causes[" + std::to_string(i) + "]",
                     "风险类型“" + std::string{label_of(causes[i])} + "”重复");
    }
  }
  return std::nullopt;
}

Check kind_problem(const std::string& kind, const ProgramRules& r) {
  if (r.find_kind(kind) != nullptr) return std::nullopt;
  return problem(kKindNotConfigured, "kind", "监测对象类型“" + kind + "”未在本地配置中");
}

Check emergency_reason_problem(bool emergency, const std::string& reason) {
  if (!emergency || !reason.empty()) return std::nullopt;
  return problem(kEmergencyReasonMissing, "emergency_reason",
                 "标记为紧急（先帮扶、后认定）的案件须写明紧急原因");
}

// Several sentences about one household read as one, as they always have; the code and field
// are the first problem's.
Check household_problem(const Household& h, const EventMeta& m) {
  auto problems = household_field_problems(h, today_of(m));
  if (problems.empty()) return std::nullopt;
  Problem first = problems.front();
  std::vector<std::string> sentences;
  for (auto& p : problems) sentences.push_back(std::move(p.sentence));
  first.sentence = join(sentences, "；");
  return first;
}

Check alert_id_problem(const std::optional<std::int64_t>& alert_id) {
  if (!alert_id || *alert_id > 0) return std::nullopt;
  return problem(kAlertIdInvalid, "alert_id",
                 "部门预警线索编号应为正整数，实际为" + std::to_string(*alert_id));
}

// "YYYY-MM" with a month 01..12 (a feed's period).
bool is_period(std::string_view p) {
  auto digit = [&](std::size_t i) { return p[i] >= '0' && p[i] <= '9'; };
  if (p.size() != 7 || p[4] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6}) {
    if (!digit(i)) return false;
  }
  const int month = (p[5] - '0') * 10 + (p[6] - '0');
  return month >= 1 && month <= 12;
}

// The first text of the event with a refused character (text_rules.h), before any check that
// might quote it.
Check text_fields_problem(const CaseEvent& e) {
  Check found;
  text_walk::walk_event(e, [&](const std::string& text, const std::string& path) {
    found = text_problem(text, shape_of_field(path), path, "字段 " + path + " ");
    return found.has_value();
  });
  return found;
}

// -- one check per event kind (after meta_problem)

Check fields_problem(const OpenCase& e, const CaseData&, const ProgramRules& r) {
  if (e.case_id.empty()) return problem(kCaseIdMissing, "case_id", "案件编号未填写");
  if (auto p = kind_problem(e.kind, r)) return p;
  if (auto p = household_problem(e.household, e.meta)) return p;
  // The code is the village's where the household is found (text_rules.h).
  if (auto p =
          household_code_problem(e.household.code, e.household.village_code, "household.code")) {
    return p;
  }
  if (auto p = risk_causes_problem(e.risk_causes)) return p;
  if (auto p = emergency_reason_problem(e.emergency, e.emergency_reason)) return p;
  if (e.previous_case_id == e.case_id) {
    return problem(kPreviousCaseIsSelf, "previous_case_id", "关联的原案件不能是本案件");
  }
  if (auto p = alert_id_problem(e.alert_id)) return p;
  // A case opened from an alert was found by a department's screening (部门筛查预警). The
  // reverse is allowed: imports bring that source without an alert.
  if (e.alert_id && e.source != DiscoverySource::kDepartmentAlert) {
    return problem(kAlertSourceMismatch, "source",
                   "由部门预警线索建档的案件，发现来源须为“" +
                       std::string{label_of(DiscoverySource::kDepartmentAlert)} + "”，实际为“" +
                       std::string{label_of(e.source)} + "”");
  }
  return std::nullopt;
}

Check fields_problem(const StartVerification& e, const CaseData&, const ProgramRules&) {
  if (e.verifier.empty()) return problem(kVerifierMissing, "verifier", "须写明入户核实人员");
  return std::nullopt;
}

Check fields_problem(const RecordDemocraticReview& e, const CaseData&, const ProgramRules&) {
  if (!e.passed) return require_reason(e.meta, "民主评议未通过时须写明原因（将书面告知农户）");
  return std::nullopt;
}

Check fields_problem(const RecordCountyReview& e, const CaseData&, const ProgramRules& r) {
  if (auto s = unknown_exclusion_problem(e.exclusions, r.eligibility)) {
    return problem(kExclusionUnknown, "exclusions", *s);
  }
  return std::nullopt;
}

Check fields_problem(const PublicityObjection& e, const CaseData&, const ProgramRules&) {
  return require_reason(e.meta, "须写明公示异议的内容");
}

Check fields_problem(const AssignOfficer& e, const CaseData&, const ProgramRules&) {
  if (e.officer.empty()) return problem(kOfficerMissing, "officer", "须写明帮扶责任人");
  return std::nullopt;
}

Check fields_problem(const AddMeasure& e, const CaseData&, const ProgramRules&) {
  if (e.description.empty()) {
    return problem(kMeasureDescriptionMissing, "description", "须写明帮扶措施的内容");
  }
  if (e.start_date == Date{}) {
    return problem(kMeasureStartDateMissing, "start_date", "须填写帮扶措施的开始日期");
  }
  return std::nullopt;
}

Check fields_problem(const RecordVisit& e, const CaseData& d, const ProgramRules&) {
  if (e.officer.empty()) return problem(kOfficerMissing, "officer", "须写明走访人");
  if (e.findings.empty()) return problem(kVisitFindingsMissing, "findings", "须写明走访发现的情况");
  if (e.date > today_of(e.meta)) {
    return problem(kVisitDateOutOfRange, "date", "走访日期" + format_date(e.date) + "晚于登记日期");
  }
  if (e.date < china_date(d.opened.at)) {
    return problem(kVisitDateOutOfRange, "date",
                   "走访日期" + format_date(e.date) + "早于案件建档日期" +
                       format_date(china_date(d.opened.at)));
  }
  return std::nullopt;
}

Check fields_problem(const RecordMonitoring& e, const CaseData&, const ProgramRules&) {
  if (auto problems = account_problems({e.record.account}); !problems.empty()) {
    return problem(kAccountInvalid, "record.account", problems.front());
  }
  if (e.record.account.month > month_of(today_of(e.meta))) {
    return problem(kMonitoringMonthInFuture, "record.account.month",
                   "不能登记未来月份（" + format_month_cn(e.record.account.month) + "）的监测记录");
  }
  return std::nullopt;
}

Check fields_problem(const RecordMajorEvent& e, const CaseData& d, const ProgramRules&) {
  if (!major_event_kind_label(e.kind)) {
    return problem(
        kMajorEventKindUnknown, "kind",
        "重大变故类型应为 death（病故）、serious_illness（大病）、accident（重大意外伤害）"
        "或 disaster（灾害）");
  }
  if (e.date > today_of(e.meta) || e.date < china_date(d.opened.at)) {
    return problem(kMajorEventDateOutOfRange, "date",
                   "重大变故日期" + format_date(e.date) + "应不早于建档日期、不晚于登记当天");
  }
  return std::nullopt;
}

Check fields_problem(const MarkDevelopmental& e, const CaseData& d, const ProgramRules&) {
  if (e.date > today_of(e.meta) || e.date < china_date(d.opened.at)) {
    return problem(kDevelopmentalDateOutOfRange, "date",
                   "开发式帮扶落实日期" + format_date(e.date) + "应不早于建档日期、不晚于登记当天");
  }
  return std::nullopt;
}

Check fields_problem(const UpdateHousehold& e, const CaseData& d, const ProgramRules&) {
  // A household that moves to another village keeps its code: no prefix rule here.
  if (auto p = household_problem(e.household, e.meta)) return p;
  if (e.household.code != d.household.code) {
    return problem(kHouseholdCodeChanged, "household.code",
                   "户编号不能更改（原为" + d.household.code + "）");
  }
  return std::nullopt;
}

Check fields_problem(const RecordEliminationReview& e, const CaseData&, const ProgramRules&) {
  if (!e.passed) return require_reason(e.meta, "民主评议认为风险未消除时须写明原因");
  return std::nullopt;
}

Check fields_problem(const RecordTownshipReview& e, const CaseData&, const ProgramRules&) {
  if (!e.passed) return require_reason(e.meta, "乡镇审核不同意风险消除时须写明原因");
  return std::nullopt;
}

Check fields_problem(const EliminationObjection& e, const CaseData&, const ProgramRules&) {
  return require_reason(e.meta, "须写明公示异议的内容");
}

Check fields_problem(const RecordLookBack& e, const CaseData&, const ProgramRules&) {
  if (e.finding != LookBackFinding::kStable) {
    return require_reason(e.meta, "回头看发现问题时须写明具体情况");
  }
  return std::nullopt;
}

Check fields_problem(const RecordApproval& e, const CaseData&, const ProgramRules&) {
  return require_reason(e.meta, "审核意见须写明具体意见");
}

Check fields_problem(const ApplyClearOut& e, const CaseData&, const ProgramRules&) {
  return require_reason(e.meta, "清退须写明原因（将书面告知农户）");
}

Check fields_problem(const ReIdentify& e, const CaseData&, const ProgramRules& r) {
  if (!e.kind.empty()) {
    if (auto p = kind_problem(e.kind, r)) return p;
  }
  if (auto p = risk_causes_problem(e.risk_causes)) return p;
  return emergency_reason_problem(e.emergency, e.emergency_reason);
}

Check fields_problem(const RecordDepartmentEvidence& e, const CaseData&, const ProgramRules& r) {
  struct Required {
    const std::string* value;
    const char* field;
    const char* label;
  };
  const Required required[] = {
      {&e.department, "department", "部门"}, {&e.feed, "feed", "数据源"},
      {&e.period, "period", "数据期"},       {&e.rule, "rule", "预警规则"},
      {&e.summary, "summary", "预警说明"},   {&e.member_name, "member_name", "成员姓名"}};
  for (const Required& x : required) {
    if (x.value->empty()) {
      return problem(kEvidenceFieldMissing, x.field, std::string{"部门预警信息须写明"} + x.label);
    }
  }
  if (!is_period(e.period)) {
    return problem(kEvidencePeriodInvalid, "period",
                   "数据期应为 YYYY-MM 格式的月份，实际为“" + e.period + "”");
  }
  if (auto p = alert_id_problem(e.alert_id)) return p;
  if (!e.exclusion.empty() && !r.eligibility.exclusions.contains(e.exclusion)) {
    return problem(kExclusionUnknown, "exclusion", "不纳入情形“" + e.exclusion + "”未在本地配置中");
  }
  // History details and messages never hold an unmasked ID or phone number.
  for (const auto& [value, field] :
       {std::pair{&e.summary, "summary"}, std::pair{&e.rule_label, "rule_label"},
        std::pair{&e.member_name, "member_name"}}) {
    if (contains_unmasked_identifiers(*value)) {
      return problem(kEvidenceUnmaskedIdentifier, field,
                     "部门预警信息含有未脱敏的身份证号或手机号，不予记录");
    }
  }
  return std::nullopt;
}

Check fields_problem(const RecordDepartmentMeasure& e, const CaseData&, const ProgramRules&) {
  struct Required {
    const std::string* value;
    const char* field;
    const char* label;
  };
  const Required required[] = {{&e.department, "department", "部门"},
                               {&e.feed, "feed", "数据源"},
                               {&e.period, "period", "名单期"},
                               {&e.member_id_number, "member_id_number", "成员身份证号"},
                               {&e.measure, "measure", "措施内容"}};
  for (const Required& x : required) {
    if (x.value->empty()) {
      return problem(kDepartmentMeasureFieldMissing, x.field,
                     std::string{"部门落实措施须写明"} + x.label);
    }
  }
  if (e.period.size() != 10 || !parse_date(e.period)) {
    return problem(kDepartmentMeasurePeriodInvalid, "period",
                   "名单期应为 YYYY-MM-DD 格式的日期，实际为“" + e.period + "”");
  }
  if (!e.amount.empty() && canonical_amount(e.amount) != e.amount) {
    return problem(kDepartmentMeasureAmountInvalid, "amount",
                   "金额应为以元为单位的数额（如 600 或 1200.5），实际为“" + e.amount + "”");
  }
  // The description goes into history and messages: never an unmasked ID or phone number.
  for (const auto& [value, field] :
       {std::pair{&e.measure, "measure"}, std::pair{&e.amount_label, "amount_label"},
        std::pair{&e.department_name, "department_name"},
        std::pair{&e.member_name, "member_name"}}) {
    if (contains_unmasked_identifiers(*value)) {
      return problem(kDepartmentMeasureUnmaskedIdentifier, field,
                     "部门落实措施含有未脱敏的身份证号或手机号，不予记录");
    }
  }
  return std::nullopt;
}

// Events whose only payload is their meta.
template <class E>
Check fields_problem(const E&, const CaseData&, const ProgramRules&) {
  return std::nullopt;
}

}  // namespace

Check payload_problem(const CaseEvent& e, const CaseData& d, const ProgramRules& r) {
  if (auto p = text_fields_problem(e)) return p;
  return std::visit(
      [&](const auto& x) -> Check {
        if (auto p = meta_problem(x.meta, d)) return p;
        return fields_problem(x, d, r);
      },
      e);
}

Check payload_problem(const RoutineEvent& e, const CaseData& d, const ProgramRules& r) {
  return std::visit([&](const auto& x) { return payload_problem(CaseEvent{x}, d, r); }, e);
}

}  // namespace fangfan
