#include "workflows/exit_evidence.h"

#include <algorithm>
#include <cmath>

#include "workflows/date.h"

namespace fangfan {
namespace {

using namespace refusal;

std::string flag(bool b) { return b ? "true" : "false"; }

int year_of(Date d) { return int(std::chrono::year_month_day{d}.year()); }

std::string kind_name(const CaseData& d, const ProgramRules& r) {
  const CaseKind* k = r.find_kind(d.kind);
  return k != nullptr ? k->name : d.kind;
}

// The needs an assessor found not secure, as labels ("住房安全、饮水安全").
std::vector<std::string> insecure_needs(const BasicNeeds& n) {
  std::vector<std::string> out;
  if (!n.compulsory_education) out.emplace_back("义务教育");
  if (!n.basic_medical) out.emplace_back("基本医疗");
  if (!n.housing) out.emplace_back("住房安全");
  if (!n.drinking_water) out.emplace_back("饮水安全");
  return out;
}

// What the evaluation evidence lacks (empty: it suffices).
std::vector<std::string> evaluation_gaps(const CaseData& d, const ProgramRules& r, int this_year) {
  const ExitRules& x = r.elimination;
  const EvaluationRecord* ev = latest_evaluation(d);
  if (ev == nullptr) return {"尚未登记年度风险评估结果"};
  if (ev->year < this_year - x.evaluation_max_age_years) {
    return {"最近一次风险评估为" + std::to_string(ev->year) + "年度，已不是近期评估"};
  }
  std::vector<std::string> out;
  const std::string which = std::to_string(ev->year) + "年度风险评估";
  if (ev->result != EvaluationResult::kRiskRemoved) {
    out.push_back(which + "结论为“" + std::string{label_of(ev->result)} + "”");
  }
  const std::int64_t line = monitoring_line_fen(r, ev->year);
  if (ev->per_capita_income_fen <= line) {
    out.push_back(which + "的人均纯收入" + format_yuan(ev->per_capita_income_fen) +
                  "元未超过监测标准" + format_yuan(line) + "元");
  }
  if (auto bad = insecure_needs(ev->basic_needs); !bad.empty()) {
    out.push_back(which + "认定" + join(bad, "、") + "未保障");
  }
  return out;
}

// What the monitoring evidence lacks (empty: it suffices).
std::vector<std::string> monitoring_gaps(const CaseData& d, const ProgramRules& r) {
  const int need = r.elimination.monitoring_months;
  const int have = secure_monitoring_streak(d, r);
  if (have >= need) return {};
  return {"须有最近连续" + std::to_string(need) +
          "个月的月度监测记录收入超过监测标准、两不愁三保障和饮水安全有保障，现仅有连续" +
          std::to_string(have) + "个月"};
}

bool confirmed_at(const CaseData& d, HouseholdStatus s, ApprovalLevel level) {
  return std::any_of(
      d.status_confirmations.begin(), d.status_confirmations.end(),
      [&](const StatusConfirmation& c) { return c.status == s && c.level == level; });
}

HouseholdStatus other_status(HouseholdStatus s) {
  return s == HouseholdStatus::kGuaranteedSupport ? HouseholdStatus::kDevelopmental
                                                  : HouseholdStatus::kGuaranteedSupport;
}

// A status is in effect: guaranteed support once both confirmed; developmental once marked.
bool in_effect(const CaseData& d, HouseholdStatus s) {
  return s == HouseholdStatus::kGuaranteedSupport ? d.guaranteed_support_on.has_value()
                                                  : d.developmental_assistance_on.has_value();
}

}  // namespace

// -- guards ----------------------------------------------------------------------------------

Check elimination_kind_problem(const CaseData& d, const ProgramRules& r) {
  const ExitRules& x = r.elimination;
  if (!x.enabled || x.kinds.empty()) return std::nullopt;
  if (std::find(x.kinds.begin(), x.kinds.end(), d.kind) != x.kinds.end()) return std::nullopt;
  std::vector<std::string> names;
  for (const auto& code : x.kinds) {
    const CaseKind* k = r.find_kind(code);
    names.push_back(k != nullptr ? k->name : code);
  }
  return problem(
      kEliminationKindNotAllowed, "",
      "按本县规定，风险消除程序只适用于" + join(names, "、") + "，本案为" + kind_name(d, r));
}

Check exit_evidence_problem(const ProposeElimination& e, const CaseData& d, const ProgramRules& r) {
  const ExitRules& x = r.elimination;
  if (!x.enabled) return std::nullopt;
  const int this_year = year_of(today_of(e.meta));
  std::vector<std::string> gaps;
  switch (x.evidence) {
    case ExitEvidence::kEvaluation:
      gaps = evaluation_gaps(d, r, this_year);
      if (gaps.empty()) return std::nullopt;
      break;
    case ExitEvidence::kMonitoring:
      gaps = monitoring_gaps(d, r);
      if (gaps.empty()) return std::nullopt;
      break;
    case ExitEvidence::kEvaluationOrMonitoring: {
      auto ev = evaluation_gaps(d, r, this_year);
      if (ev.empty()) return std::nullopt;
      auto mon = monitoring_gaps(d, r);
      if (mon.empty()) return std::nullopt;
      gaps.push_back("年度风险评估不足以佐证（" + join(ev, "；") + "）");
      gaps.push_back("月度监测记录也不足以佐证（" + join(mon, "；") + "）");
      break;
    }
  }
  return problem(
      kExitEvidenceMissing, "",
      "风险消除须有家庭收入稳定超过监测标准、三保障和饮水安全有保障的佐证：" + join(gaps, "；"));
}

Check evaluation_problem(const RecordEvaluation& e, const CaseData& d) {
  const int today = year_of(today_of(e.meta));
  const Date since = china_date(d.registered_at.value_or(d.opened.at));
  if (e.year > today || e.year < year_of(since)) {
    return problem(kEvaluationYearInvalid, "year",
                   "风险评估年份" + std::to_string(e.year) + "应不早于录入当年（" +
                       std::to_string(year_of(since)) + "）、不晚于登记当年");
  }
  if (e.assessor.empty()) return problem(kAssessorMissing, "assessor", "须写明评估人");
  if (e.per_capita_income_fen < 0) {
    return problem(kEvaluationIncomeInvalid, "per_capita_income_fen", "人均纯收入不能为负数");
  }
  if (const EvaluationRecord* old = latest_evaluation(d, e.year)) {
    return problem(kEvaluationRecorded, "year",
                   std::to_string(e.year) + "年度的风险评估结果已于" +
                       format_date(china_date(old->recorded_at)) + "登记");
  }
  return std::nullopt;
}

Check status_confirmation_problem(const ConfirmHouseholdStatus& e, const CaseData& d) {
  const std::string status{label_of(e.status)};
  if (e.level != ApprovalLevel::kVillage && e.level != ApprovalLevel::kTownship) {
    return problem(kConfirmationLevelWrong, "level", "“" + status + "”由村、乡镇两级确认");
  }
  if (e.meta.reason.empty()) {
    return problem(kReasonMissing, "meta.reason", "确认意见须写明具体意见");
  }
  if (in_effect(d, e.status)) {
    return problem(kStatusInEffect, "status", "该户已认定为“" + status + "”");
  }
  if (confirmed_at(d, e.status, e.level)) {
    return problem(kStatusConfirmationRecorded, "level",
                   std::string{label_of(e.level)} + "对“" + status + "”的确认意见已经登记");
  }
  const HouseholdStatus other = other_status(e.status);
  if (in_effect(d, other)) {
    return problem(
        kStatusConflict, "status",
        "该户已认定为“" + std::string{label_of(other)} + "”，不能再确认为“" + status + "”");
  }
  if (e.status == HouseholdStatus::kDevelopmental) {
    const bool in_place = std::any_of(d.measures.begin(), d.measures.end(), [](const Measure& m) {
      return (m.type == MeasureType::kIndustry || m.type == MeasureType::kEmployment) &&
             (m.status == MeasureStatus::kInPlace || m.status == MeasureStatus::kCompleted);
    });
    if (!in_place) return problem(kNoMeasureInPlace, "", "尚无已落实的产业或就业帮扶措施");
  }
  return std::nullopt;
}

Check developmental_confirmed_problem(const CaseData& d) {
  std::vector<std::string> missing;
  for (auto level : {ApprovalLevel::kVillage, ApprovalLevel::kTownship}) {
    if (!confirmed_at(d, HouseholdStatus::kDevelopmental, level)) {
      missing.emplace_back(label_of(level));
    }
  }
  if (missing.empty()) return std::nullopt;
  return problem(
      kDevelopmentalNotConfirmed, "",
      "已实施开发式帮扶须经乡村两级确认后标注，尚缺" + join(missing, "、") + "的确认意见");
}

// -- actions ---------------------------------------------------------------------------------

void record_evaluation(const RecordEvaluation& e, CaseData& d, const ProgramRules& r, Effects& fx) {
  EvaluationRecord rec;
  rec.year = e.year;
  rec.result = e.result;
  rec.per_capita_income_fen = e.per_capita_income_fen;
  rec.basic_needs = e.basic_needs;
  rec.assessor = e.assessor;
  rec.recorded_by = e.meta.actor;
  rec.recorded_at = e.meta.at;
  d.evaluations.push_back(rec);
  fx.details.emplace_back("year", std::to_string(e.year));
  fx.details.emplace_back("result", std::string{code_of(e.result)});
  fx.details.emplace_back("per_capita_income_yuan", format_yuan(e.per_capita_income_fen));
  fx.details.emplace_back("above_line",
                          flag(e.per_capita_income_fen > monitoring_line_fen(r, e.year)));
  fx.details.emplace_back("compulsory_education", flag(e.basic_needs.compulsory_education));
  fx.details.emplace_back("basic_medical", flag(e.basic_needs.basic_medical));
  fx.details.emplace_back("housing", flag(e.basic_needs.housing));
  fx.details.emplace_back("drinking_water", flag(e.basic_needs.drinking_water));
  fx.details.emplace_back("assessor", e.assessor);
}

void confirm_household_status(const ConfirmHouseholdStatus& e, CaseData& d, const ProgramRules&,
                              Effects& fx) {
  d.status_confirmations.push_back({e.status, e.level, e.meta.reason, e.meta.actor, e.meta.at});
  fx.details.emplace_back("status", std::string{code_of(e.status)});
  fx.details.emplace_back("level", std::string{code_of(e.level)});
  const bool both = status_confirmed(d, e.status);
  fx.details.emplace_back("confirmed", flag(both));
  if (both && e.status == HouseholdStatus::kGuaranteedSupport) {
    d.guaranteed_support_on = today_of(e.meta);
    fx.details.emplace_back("guaranteed_support_on", format_date(*d.guaranteed_support_on));
  }
}

// -- reads -----------------------------------------------------------------------------------

bool status_confirmed(const CaseData& d, HouseholdStatus status) {
  return confirmed_at(d, status, ApprovalLevel::kVillage) &&
         confirmed_at(d, status, ApprovalLevel::kTownship);
}

const EvaluationRecord* latest_evaluation(const CaseData& d, int year) {
  const EvaluationRecord* best = nullptr;
  for (const auto& ev : d.evaluations) {
    if (year != 0 && ev.year != year) continue;
    if (best == nullptr || ev.year > best->year ||
        (ev.year == best->year && ev.recorded_at >= best->recorded_at)) {
      best = &ev;
    }
  }
  return best;
}

std::int64_t monitoring_line_fen(const ProgramRules& r, int year) {
  // The line in force for that year ([rules.eligibility] lines by year); before every configured
  // year, the base line (exit evidence is never judged by a missing line).
  const std::optional<EligibilityLine> in_force = line_in_force(r.eligibility, year);
  return std::llround((in_force ? in_force->line_yuan : r.eligibility.monitoring_line_yuan) * 100);
}

int secure_monitoring_streak(const CaseData& d, const ProgramRules& r) {
  std::vector<const MonitoringRecord*> records;
  for (const auto& m : d.monitoring) records.push_back(&m);
  std::sort(records.begin(), records.end(),
            [](const auto* a, const auto* b) { return a->account.month > b->account.month; });
  const auto persons = static_cast<std::int64_t>(d.household.members.size());
  int streak = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const MonitoringRecord& m = *records[i];
    const std::int64_t line = monitoring_line_fen(r, static_cast<int>(m.account.month.year()));
    if (i > 0 && m.account.month + std::chrono::months{1} != records[i - 1]->account.month) break;
    // The month's income for a year, per person, compared without division: 超过 = strictly.
    const bool above = persons > 0 && m.account.net_income_fen() * 12 > line * persons;
    if (!above || !m.basic_needs_secure || !m.drinking_water_safe ||
        m.risk == RiskTrend::kIncreased) {
      break;
    }
    ++streak;
  }
  return streak;
}

bool support_only(const CaseData& d) {
  if (!d.household.anyone_can_work() || d.guaranteed_support_on) return false;
  int support = 0;
  for (const auto& m : d.measures) {
    if (m.status == MeasureStatus::kStopped) continue;
    if (m.type != MeasureType::kSocialSecurity) return false;
    ++support;
  }
  return support > 0;
}

Notice support_only_notice(const CaseData& d, const EventMeta& m) {
  int able = 0;
  for (const auto& member : d.household.members) able += member.able_to_work ? 1 : 0;
  Notice n;
  n.kind = NoticeKind::kSupportOnly;
  n.case_id = d.case_id;
  n.household_code = d.household.code;
  n.reason = "有劳动能力仅落实兜底保障措施";
  n.text = "家中有" + std::to_string(able) +
           "名有劳动能力的成员，帮扶措施仅有综合保障（低保、特困供养、临时救助等）兜底措施，"
           "请核实并落实开发式帮扶，避免“一兜了之”。";
  n.issued = stamp_of(m);
  n.roles = {"township_clerk"};
  n.message_type = "support_only_household";
  return n;
}

}  // namespace fangfan

namespace fangfan {

bool parse_exit_evidence(std::string_view text, ExitEvidence& out) {
  for (auto e : {ExitEvidence::kEvaluation, ExitEvidence::kMonitoring,
                 ExitEvidence::kEvaluationOrMonitoring}) {
    if (exit_evidence_code(e) == text) {
      out = e;
      return true;
    }
  }
  return false;
}

std::string_view exit_evidence_code(ExitEvidence e) {
  switch (e) {
    case ExitEvidence::kEvaluation:
      return "evaluation";
    case ExitEvidence::kMonitoring:
      return "monitoring";
    case ExitEvidence::kEvaluationOrMonitoring:
      break;
  }
  return "evaluation_or_monitoring";
}

}  // namespace fangfan
