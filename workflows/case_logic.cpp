#include "workflows/case_logic.h"

#include <algorithm>

#include "workflows/date.h"

namespace fangfan {

const EventMeta& routine_meta(const RoutineEvent& e) {
  return std::visit([](const auto& x) -> const EventMeta& { return x.meta; }, e);
}

Date today_of(const EventMeta& m) { return china_date(m.at); }

Stamp stamp_of(const EventMeta& m) { return {m.actor, m.at}; }

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string department_measure_description(const RecordDepartmentMeasure& e) {
  std::string out =
      (e.department_name.empty() ? e.department : e.department_name) + "：" + e.measure;
  if (!e.amount.empty()) {
    out +=
        "（" + (e.amount_label.empty() ? std::string("金额") : e.amount_label) + e.amount + "元）";
  }
  return out;
}

const Measure* recorded_department_measure(const RecordDepartmentMeasure& e, const CaseData& d) {
  const std::string description = department_measure_description(e);
  for (const Measure& m : d.measures) {
    if (m.department == e.department && m.source_period == e.period &&
        m.member_id_number == e.member_id_number && m.description == description &&
        m.start_date == e.start_date) {
      return &m;
    }
  }
  return nullptr;
}

EligibilityDecision decide_verification(const RecordVerification& e, const CaseData& d,
                                        const ProgramRules& r) {
  EligibilityInput in;
  in.accounts = e.accounts;
  in.discovered = month_of(china_date(d.opened.at));
  in.persons = static_cast<int>(d.household.members.size());
  in.hardship = e.hardship;
  in.exclusions = e.exclusions;
  in.discretion = e.discretion;
  in.case_kind = d.kind;
  return assess_eligibility(in, r.eligibility);
}

const LookBack* latest_look_back(const CaseData& d) {
  if (d.look_backs.empty() || !d.eliminated_at) return nullptr;
  const LookBack& last = d.look_backs.back();
  return last.stamp.at >= *d.eliminated_at ? &last : nullptr;
}

std::vector<ApprovalLevel> missing_levels(const CaseData& d, ApprovalPurpose purpose,
                                          const ProgramRules& r) {
  std::vector<ApprovalLevel> missing;
  std::vector<ApprovalLevel> levels{ApprovalLevel::kTownship, ApprovalLevel::kVillage,
                                    ApprovalLevel::kCity};
  if (r.approvals.prefecture_filing) levels.push_back(ApprovalLevel::kPrefecture);
  for (auto level : levels) {
    const bool have = std::any_of(d.approvals.begin(), d.approvals.end(), [&](const Approval& a) {
      return a.purpose == purpose && a.level == level;
    });
    if (!have) missing.push_back(level);
  }
  return missing;
}

}  // namespace fangfan
