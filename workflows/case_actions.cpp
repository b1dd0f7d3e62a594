#include "workflows/case_actions.h"

#include <algorithm>

#include "workflows/date.h"
#include "workflows/exit_evidence.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

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
  // The household has no channel: the township clerk prints the notice and hands it over.
  n.roles = {"township_clerk"};
  n.message_type = "written_notice";
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

// A sentence that ends with a full stop (a department's summary may or may not have one).
std::string end_sentence(const std::string& s) {
  if (s.empty() || s.ends_with("。") || s.ends_with("！") || s.ends_with("？")) return s;
  return s + "。";
}

void issue_notice(Notice n, CaseData& d, Effects& fx) {
  fx.details.emplace_back("notice", std::string{code_of(n.kind)});
  d.notices.push_back(n);
  fx.notices.push_back(std::move(n));
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
  // Which year's standard decided, and its line to the fen: the line changes year by year, and
  // a later reader (a look-back, an inspection) must see the one that applied.
  fx.details.emplace_back("monitoring_line_year", std::to_string(dec.line_year));
  fx.details.emplace_back("monitoring_line_fen", std::to_string(dec.line_fen));
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

void drop_approvals(CaseData& d, ApprovalPurpose purpose) {
  std::erase_if(d.approvals, [purpose](const Approval& a) { return a.purpose == purpose; });
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
  d.alert_id = e.alert_id;
  d.opened = stamp_of(e.meta);
  fx.details.emplace_back("kind", e.kind);
  fx.details.emplace_back("source", std::string{code_of(e.source)});
  household_details(e.household, fx);
  fx.details.emplace_back("risk_causes", codes(e.risk_causes));
  fx.details.emplace_back("emergency", flag(e.emergency));
  if (e.emergency) fx.details.emplace_back("emergency_reason", e.emergency_reason);
  if (!e.previous_case_id.empty()) fx.details.emplace_back("previous_case_id", e.previous_case_id);
  if (e.alert_id) fx.details.emplace_back("alert_id", std::to_string(*e.alert_id));
}

void start_verification(const StartVerification& e, CaseData& d, const ProgramRules&, Effects& fx) {
  VerificationRecord& v = d.verification.emplace();
  v.verifier = e.verifier;
  v.started = stamp_of(e.meta);
  fx.details.emplace_back("verifier", e.verifier);
}

void pass_verification(const RecordVerification& e, CaseData& d, const ProgramRules& r,
                       Effects& fx) {
  record_verification_result(e, decide_verification(e, d, r), d, fx);
}

void reject_at_verification(const RecordVerification& e, CaseData& d, const ProgramRules& r,
                            Effects& fx) {
  const auto dec = decide_verification(e, d, r);
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

// The event lives in the history only (the alert loop reads it from there); the member's name is
// masked like every household name in history details.
void record_major_event(const RecordMajorEvent& e, CaseData&, const ProgramRules&, Effects& fx) {
  fx.details.emplace_back("date", format_date(e.date));
  fx.details.emplace_back("kind", e.kind);
  fx.details.emplace_back("member", mask_name(e.member_name));
  fx.details.emplace_back("description", e.description);
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

void record_department_evidence(const RecordDepartmentEvidence& e, CaseData& d,
                                const ProgramRules& r, Effects& fx) {
  const CaseStateInfo* state = find_case_state(fx.state);
  const std::string_view step = state != nullptr ? state->step : std::string_view{};
  DepartmentEvidence ev;
  ev.department = e.department;
  ev.feed = e.feed;
  ev.period = e.period;
  ev.rule = e.rule;
  ev.rule_label = e.rule_label;
  ev.summary = e.summary;
  ev.alert_id = e.alert_id;
  ev.exclusion = e.exclusion;
  ev.member_name = e.member_name;
  // 比对 answers belong to the county review: a hit then is shown to the county office, which
  // decides in that review (never applied here). Outside it the case's staff are told alone.
  ev.shown_to_county_office = !e.exclusion.empty() && step == kStepCountyReview;
  ev.recorded = stamp_of(e.meta);
  d.department_evidence.push_back(ev);

  const std::string label = e.rule_label.empty() ? e.rule : e.rule_label;
  fx.details.emplace_back("department", e.department);
  fx.details.emplace_back("feed", e.feed);
  fx.details.emplace_back("period", e.period);
  fx.details.emplace_back("rule", e.rule);
  fx.details.emplace_back("rule_label", label);
  fx.details.emplace_back("member", mask_name(e.member_name));
  fx.details.emplace_back("summary", e.summary);
  if (e.alert_id) fx.details.emplace_back("alert_id", std::to_string(*e.alert_id));
  if (!e.exclusion.empty()) fx.details.emplace_back("exclusion", e.exclusion);
  if (ev.shown_to_county_office) fx.details.emplace_back("shown_to", "county_office");

  Notice n;
  n.kind = NoticeKind::kDepartmentEvidence;
  n.case_id = d.case_id;
  n.household_code = d.household.code;
  n.step = std::string{step};
  n.reason = label;
  n.text = "部门预警（" + e.department + "，" + e.period + "）：" + label + "，涉及成员" +
           mask_name(e.member_name) + "。" + end_sentence(e.summary);
  if (ev.shown_to_county_office) {
    const auto it = r.eligibility.exclusions.find(e.exclusion);
    const std::string what = it != r.eligibility.exclusions.end() ? it->second : e.exclusion;
    n.text += "信息比对提示可能存在不纳入监测的情形（" + what +
              "），请在县级审核比对时核实；系统未作处理。";
  }
  n.issued = ev.recorded;
  n.roles = {"assistance_officer", "township_clerk"};
  if (ev.shown_to_county_office) n.roles.push_back("county_office");
  n.message_type = "department_evidence";
  fx.notices.push_back(std::move(n));
}

void record_department_measure(const RecordDepartmentMeasure& e, CaseData& d, const ProgramRules&,
                               Effects& fx) {
  Measure m;
  m.id = static_cast<int>(d.measures.size()) + 1;
  m.type = e.measure_type;
  m.description = department_measure_description(e);
  m.start_date = e.start_date;
  // The department reports what it has done: in place from its start date.
  m.status = MeasureStatus::kInPlace;
  m.recorded = stamp_of(e.meta);
  m.department = e.department;
  m.source_period = e.period;
  m.member_id_number = e.member_id_number;
  d.measures.push_back(m);
  fx.details.emplace_back("measure_id", std::to_string(m.id));
  fx.details.emplace_back("type", std::string{code_of(m.type)});
  fx.details.emplace_back("status", std::string{code_of(m.status)});
  fx.details.emplace_back("start_date", format_date(m.start_date));
  fx.details.emplace_back("department", e.department);
  fx.details.emplace_back("feed", e.feed);
  fx.details.emplace_back("period", e.period);
  fx.details.emplace_back("member", mask_name(e.member_name));
  fx.details.emplace_back("description", m.description);
}

void record_routine(const RoutineEvent& e, CaseData& d, const ProgramRules& r, Effects& fx) {
  const bool support_only_before = support_only(d);
  std::visit(
      [&](const auto& x) {
        using E = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<E, AssignOfficer>) assign_officer(x, d, r, fx);
        if constexpr (std::is_same_v<E, AddMeasure>) add_measure(x, d, r, fx);
        if constexpr (std::is_same_v<E, UpdateMeasure>) update_measure(x, d, r, fx);
        if constexpr (std::is_same_v<E, RecordVisit>) record_visit(x, d, r, fx);
        if constexpr (std::is_same_v<E, RecordMonitoring>) record_monitoring(x, d, r, fx);
        if constexpr (std::is_same_v<E, RecordMajorEvent>) record_major_event(x, d, r, fx);
        if constexpr (std::is_same_v<E, MarkDevelopmental>) mark_developmental(x, d, r, fx);
        if constexpr (std::is_same_v<E, UpdateHousehold>) update_household(x, d, r, fx);
        if constexpr (std::is_same_v<E, RecordDepartmentEvidence>) {
          record_department_evidence(x, d, r, fx);
        }
        if constexpr (std::is_same_v<E, RecordDepartmentMeasure>) {
          record_department_measure(x, d, r, fx);
        }
        if constexpr (std::is_same_v<E, RecordEvaluation>) record_evaluation(x, d, r, fx);
        if constexpr (std::is_same_v<E, ConfirmHouseholdStatus>) {
          confirm_household_status(x, d, r, fx);
        }
      },
      e);
  // 一兜了之 [001]: the record that makes an able household's measures all 兜底 ones tells the
  // township once (the monthly measures report lists every such household).
  const CaseStateInfo* state = find_case_state(fx.state);
  const bool assisted = state != nullptr && state->assisted != Assisted::kNever;
  if (assisted && !support_only_before && support_only(d)) {
    fx.details.emplace_back("support_only", "true");
    fx.notices.push_back(support_only_notice(d, routine_meta(e)));
  }
}

}  // namespace fangfan
