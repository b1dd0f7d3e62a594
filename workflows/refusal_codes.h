// The stable machine codes of a refused case event (Refusal::code), each with one line of
// meaning, and Problem: one cause of a refusal as the payload checks and guards report it.
//
// A code never changes once published: clients switch on it, docs/api.md lists it, and the
// importer picks the column of a refused row from Problem::field, not from the sentence.
// refusal_codes() enumerates every code, so a test can check that each code the machine
// returns is listed and the docs can print the table.
// Thread-safety: constants and a function returning a static table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fangfan::refusal {

// -- the state never accepts the event
inline constexpr std::string_view kNotInThisState = "not_in_this_state";
// -- meta (every event)
inline constexpr std::string_view kActorMissing = "actor_missing";
inline constexpr std::string_view kEventBeforeLast = "event_before_last";
inline constexpr std::string_view kReasonMissing = "reason_missing";
// A control or invisible character, or bytes that are not UTF-8, in any text field (text_rules.h).
inline constexpr std::string_view kTextCharacterRefused = "text_character_refused";
// -- opening and re-identification payloads
inline constexpr std::string_view kCaseIdMissing = "case_id_missing";
inline constexpr std::string_view kKindNotConfigured = "kind_not_configured";
inline constexpr std::string_view kRiskCausesMissing = "risk_causes_missing";
inline constexpr std::string_view kRiskCauseRepeated = "risk_cause_repeated";
inline constexpr std::string_view kEmergencyReasonMissing = "emergency_reason_missing";
inline constexpr std::string_view kPreviousCaseIsSelf = "previous_case_is_self";
inline constexpr std::string_view kAlertIdInvalid = "alert_id_invalid";
inline constexpr std::string_view kAlertSourceMismatch = "alert_source_mismatch";
// -- household payloads (opening, household changes)
inline constexpr std::string_view kHouseholdCodeMissing = "household_code_missing";
inline constexpr std::string_view kVillageCodeMissing = "village_code_missing";
inline constexpr std::string_view kHouseholdCodeInvalid = "household_code_invalid";
inline constexpr std::string_view kVillageCodeInvalid = "village_code_invalid";
inline constexpr std::string_view kPhoneMissing = "phone_missing";
inline constexpr std::string_view kPhoneInvalid = "phone_invalid";
inline constexpr std::string_view kMembersMissing = "members_missing";
inline constexpr std::string_view kHeadMissing = "head_missing";
inline constexpr std::string_view kHeadRepeated = "head_repeated";
inline constexpr std::string_view kMemberNameMissing = "member_name_missing";
inline constexpr std::string_view kIdNumberInvalid = "id_number_invalid";
inline constexpr std::string_view kIdNumberRepeated = "id_number_repeated";
inline constexpr std::string_view kHouseholdCodeChanged = "household_code_changed";
// -- other payloads
inline constexpr std::string_view kVerifierMissing = "verifier_missing";
inline constexpr std::string_view kExclusionUnknown = "exclusion_unknown";
inline constexpr std::string_view kOfficerMissing = "officer_missing";
inline constexpr std::string_view kMeasureDescriptionMissing = "measure_description_missing";
inline constexpr std::string_view kMeasureStartDateMissing = "measure_start_date_missing";
inline constexpr std::string_view kVisitFindingsMissing = "visit_findings_missing";
inline constexpr std::string_view kVisitDateOutOfRange = "visit_date_out_of_range";
inline constexpr std::string_view kAccountInvalid = "account_invalid";
inline constexpr std::string_view kMonitoringMonthInFuture = "monitoring_month_in_future";
inline constexpr std::string_view kMajorEventKindUnknown = "major_event_kind_unknown";
inline constexpr std::string_view kMajorEventDateOutOfRange = "major_event_date_out_of_range";
inline constexpr std::string_view kDevelopmentalDateOutOfRange = "developmental_date_out_of_range";
inline constexpr std::string_view kEvidenceFieldMissing = "evidence_field_missing";
inline constexpr std::string_view kEvidencePeriodInvalid = "evidence_period_invalid";
inline constexpr std::string_view kEvidenceUnmaskedIdentifier = "evidence_unmasked_identifier";
// -- department measures (record_department_measure, a department's answer to its list)
inline constexpr std::string_view kDepartmentMeasureFieldMissing =
    "department_measure_field_missing";
inline constexpr std::string_view kDepartmentMeasurePeriodInvalid =
    "department_measure_period_invalid";
inline constexpr std::string_view kDepartmentMeasureAmountInvalid =
    "department_measure_amount_invalid";
inline constexpr std::string_view kDepartmentMeasureUnmaskedIdentifier =
    "department_measure_unmasked_identifier";
inline constexpr std::string_view kDepartmentMeasureMemberUnknown =
    "department_measure_member_unknown";
inline constexpr std::string_view kDepartmentMeasureRecorded = "department_measure_recorded";
// -- guards of recognition
inline constexpr std::string_view kIncomeRecordsIncomplete = "income_records_incomplete";
// No monitoring line is configured for the year a household is assessed in (issue 14 item 4).
inline constexpr std::string_view kMonitoringLineMissing = "monitoring_line_missing";
// A prefecture filing where the county's rules need none (issue 14 item 7).
inline constexpr std::string_view kApprovalLevelNotConfigured = "approval_level_not_configured";
inline constexpr std::string_view kDiscretionIncomplete = "discretion_incomplete";
inline constexpr std::string_view kAssetAuthorisationMissing = "asset_authorisation_missing";
inline constexpr std::string_view kPublicityNotOver = "publicity_not_over";
// -- guards of assistance
inline constexpr std::string_view kNotEmergency = "not_emergency";
inline constexpr std::string_view kMeasureUnknown = "measure_unknown";
inline constexpr std::string_view kMeasureClosed = "measure_closed";
inline constexpr std::string_view kMeasureStatusUnchanged = "measure_status_unchanged";
inline constexpr std::string_view kOfficerNotAssigned = "officer_not_assigned";
inline constexpr std::string_view kMonitoringMonthRecorded = "monitoring_month_recorded";
inline constexpr std::string_view kDevelopmentalAlreadyMarked = "developmental_already_marked";
inline constexpr std::string_view kNobodyCanWork = "nobody_can_work";
inline constexpr std::string_view kNoMeasureInPlace = "no_measure_in_place";
inline constexpr std::string_view kAssistanceAfterElimination = "assistance_after_elimination";
// -- guards of elimination, look-back, rollback, clear-out, re-identification
inline constexpr std::string_view kGuaranteedSupport = "guaranteed_support";
inline constexpr std::string_view kApprovalPurposeWrong = "approval_purpose_wrong";
inline constexpr std::string_view kLookBackNotInaccurate = "look_back_not_inaccurate";
inline constexpr std::string_view kApprovalRecorded = "approval_recorded";
inline constexpr std::string_view kApprovalOutOfOrder = "approval_out_of_order";
inline constexpr std::string_view kApprovalsMissing = "approvals_missing";
inline constexpr std::string_view kLookBackNoNewRisk = "look_back_no_new_risk";
inline constexpr std::string_view kAlreadyReidentified = "already_reidentified";
// -- household guards (the context the caller loads: HouseholdContext)
inline constexpr std::string_view kVillageNotConfigured = "village_not_configured";
inline constexpr std::string_view kCaseInProgress = "case_in_progress";
inline constexpr std::string_view kPreviousCaseUnknown = "previous_case_unknown";
inline constexpr std::string_view kPreviousCaseOtherHousehold = "previous_case_other_household";
// -- exit evidence and household status (issue 14: workflows/exit_evidence.h)
inline constexpr std::string_view kNotMonitoringObject = "not_monitoring_object";
inline constexpr std::string_view kEvaluationYearInvalid = "evaluation_year_invalid";
inline constexpr std::string_view kEvaluationRecorded = "evaluation_recorded";
inline constexpr std::string_view kAssessorMissing = "assessor_missing";
inline constexpr std::string_view kEvaluationIncomeInvalid = "evaluation_income_invalid";
inline constexpr std::string_view kConfirmationLevelWrong = "confirmation_level_wrong";
inline constexpr std::string_view kStatusConfirmationRecorded = "status_confirmation_recorded";
inline constexpr std::string_view kStatusInEffect = "status_in_effect";
inline constexpr std::string_view kStatusConflict = "status_conflict";
inline constexpr std::string_view kDevelopmentalNotConfirmed = "developmental_not_confirmed";
inline constexpr std::string_view kEliminationKindNotAllowed = "elimination_kind_not_allowed";
inline constexpr std::string_view kExitEvidenceMissing = "exit_evidence_missing";
// -- the machine itself
inline constexpr std::string_view kInternalError = "internal_error";
inline constexpr std::string_view kConditionNotMet = "condition_not_met";

}  // namespace fangfan::refusal

namespace fangfan {

struct RefusalCodeInfo {
  std::string_view code;
  std::string_view meaning_zh;
};

// Every code above, once, in the order above.
const std::vector<RefusalCodeInfo>& refusal_codes();

// One cause of a refusal: the code, the payload field it concerns ("household.members[2].
// id_number"; empty when it concerns no one field) and the sentence a clerk reads (without the
// "案件处于…阶段，不能…" prefix the machine adds).
struct Problem {
  std::string code;
  std::string field;
  std::string sentence;
  // The cause lies in the household's context, not in the case's state: the refusal sentence
  // then reads "不能<event>：<sentence>" without naming the state.
  bool about_household = false;
  bool operator==(const Problem&) const = default;
};

inline Problem problem(std::string_view code, std::string field, std::string sentence) {
  return {std::string{code}, std::move(field), std::move(sentence)};
}

}  // namespace fangfan
