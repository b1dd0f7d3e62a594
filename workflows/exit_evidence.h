// Exit with evidence and the household statuses village and township confirm (issue 14 items 1
// and 5), as guards, actions and reads the case machine and the reports use.
//
// Evidence of exit. [000]
// "对致贫风险已消除的边缘易致贫户，按照'民主评议—乡镇审核—村级公示（5天）'的程序
// 退出监测和帮扶范围"; [001] looks back on
// "家庭收入是否稳定超过监测范围、'三保障'和饮水安全是否持续巩固". With [rules.elimination]
// configured (ExitRules), propose_elimination needs
//   - a case kind the rule names (`kinds`), and
//   - the evidence it names: the latest Q4 evaluation (record_evaluation) of this year or of at
//     most `evaluation_max_age_years` before, saying risk removed, per-capita income above the
//     monitoring line and 义务教育、基本医疗、住房安全 and drinking water secure; or the latest
//     `monitoring_months` monthly monitoring records, consecutive months, each with the month's
//     income × 12 per person above the line, 两不愁三保障 and water secure and risk not increased;
//     or either. "Above" is strictly above (超过).
// The refusal says each condition that is missing.
//
// Household statuses. [001] "整户无劳动能力兜底保障的监测对象暂不标注'风险消除'…由乡村两级进行认定"
// and "已落实开发式帮扶措施的，经乡村两级确认后，及时…标识'已实施开发式帮扶'". Each level (village,
// township) confirms once (confirm_household_status, with its opinion); 整户无劳动能力兜底保障户
// takes effect on the second confirmation (guaranteed_support_on), and mark_developmental needs
// both developmental confirmations. The two statuses exclude each other. The elimination guard
// and the developmental guard read the confirmed status, not the members' flags.
//
// 一兜了之. A household with someone able to work, not confirmed as guaranteed support, whose
// measures (not stopped) are all 综合保障 (低保, 特困供养, 临时救助, pensions) is flagged
// (support_only) in the monthly reports and to its township.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>

#include "workflows/case_logic.h"

namespace fangfan {

// -- guards (Check: std::nullopt = passes)
// The case's kind may be marked risk-eliminated (ExitRules::kinds).
Check elimination_kind_problem(const CaseData& d, const ProgramRules& r);
// The evidence the rule names is on the case; the sentence lists what is missing.
Check exit_evidence_problem(const ProposeElimination& e, const CaseData& d, const ProgramRules& r);
// A Q4 evaluation's payload and its year (one per year, not before the case was registered).
Check evaluation_problem(const RecordEvaluation& e, const CaseData& d);
// A confirmation's level (village or township), opinion, and that it is new and does not
// conflict with the other status.
Check status_confirmation_problem(const ConfirmHouseholdStatus& e, const CaseData& d);
// mark_developmental: village and township confirmed the developmental status.
Check developmental_confirmed_problem(const CaseData& d);

// -- actions (what an accepted event records)
void record_evaluation(const RecordEvaluation& e, CaseData& d, const ProgramRules& r, Effects& fx);
void confirm_household_status(const ConfirmHouseholdStatus& e, CaseData& d, const ProgramRules& r,
                              Effects& fx);

// -- reads
// Both village and township confirmed `status`.
bool status_confirmed(const CaseData& d, HouseholdStatus status);
// The latest evaluation recorded for `year`; any year when `year` is 0. nullptr when none.
const EvaluationRecord* latest_evaluation(const CaseData& d, int year = 0);
// The monitoring line in fen in force for `year` (line_in_force of [rules.eligibility]; the base
// line when every configured year is later).
std::int64_t monitoring_line_fen(const ProgramRules& r, int year);
// How many of the latest monitoring records, consecutive months back from the latest, are
// above the line with needs and water secure and risk not increased.
int secure_monitoring_streak(const CaseData& d, const ProgramRules& r);
// 一兜了之: someone can work, no confirmed guaranteed support, and every measure not stopped
// (at least one) is 综合保障.
bool support_only(const CaseData& d);
// The township's notice of a support_only household (message type support_only_household, to
// the township clerk).
Notice support_only_notice(const CaseData& d, const EventMeta& m);

}  // namespace fangfan
