// What a case remembers, as plain values: the case data the machine's guards
// and actions read and write, the snapshot that storage keeps, and the history
// entries each accepted event produces.
//
// Storage: a snapshot is meant to be stored as plain columns (case_id, state,
// version, and for queries data.kind, data.household.code, data.emergency,
// data.opened_at) plus `data` as one JSON text. Every struct and enum here is
// described with Boost.Describe, so Boost.JSON's value_from/value_to convert
// them; an adapter only adds conversions for TimePoint, Date and
// std::chrono::year_month. Equality operators let round-trip tests compare.
//
// History entries are appended, never updated; `details` are flat key -> value
// strings that never contain an unmasked ID number or phone number.
// Thread-safety: plain values.
#pragma once

#include <boost/describe/class.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "workflows/case_codes.h"
#include "workflows/clock.h"
#include "workflows/eligibility.h"
#include "workflows/exit_records.h"
#include "workflows/household.h"

namespace fangfan {

// Who did something and when (every record made by an event carries it).
struct Stamp {
  std::string actor;
  TimePoint at{};
  bool operator==(const Stamp&) const = default;
};
BOOST_DESCRIBE_STRUCT(Stamp, (), (actor, at))

// 入户核实 as recorded.
struct VerificationRecord {
  std::string verifier;  // who visits: township staff, or the insurer [004]
  Stamp started;
  std::optional<Stamp> recorded;  // set when the result is recorded
  std::vector<MonthlyAccount> accounts;
  HardshipFindings hardship;
  std::vector<ExclusionFinding> exclusions;
  std::optional<Discretion> discretion;
  bool eligible = false;
  bool discretionary = false;
  std::int64_t per_capita_income_fen = 0;
  std::string conclusion;  // the sentence of the eligibility decision
  bool operator==(const VerificationRecord&) const = default;
};
BOOST_DESCRIBE_STRUCT(VerificationRecord, (),
                      (verifier, started, recorded, accounts, hardship, exclusions, discretion,
                       eligible, discretionary, per_capita_income_fen, conclusion))

// A review decision: democratic review, county review, or the steps of risk elimination.
struct ReviewRecord {
  std::string step;  // a kStep... name
  Stamp stamp;
  bool passed = false;
  std::string reason;
  bool operator==(const ReviewRecord&) const = default;
};
BOOST_DESCRIBE_STRUCT(ReviewRecord, (), (step, stamp, passed, reason))

// A measure recorded by a user (add_measure), or one a department reported in its answer to its
// list (record_department_measure, 部门落实情况): then `department`, `source_period` and
// `member_id_number` say whose answer, to which list and for which member (data stored before
// they existed loads with them empty: a user's measure).
struct Measure {
  int id = 0;  // 1, 2, ... within the case
  MeasureType type = MeasureType::kIndustry;
  std::string description;
  Date start_date{};
  MeasureStatus status = MeasureStatus::kPlanned;
  Stamp recorded;
  std::string department;        // a [[departments]] code; "" when a user recorded it
  std::string source_period;     // the answered list's period "YYYY-MM-DD"; "" likewise
  std::string member_id_number;  // the member the department acted for; "" likewise
  bool operator==(const Measure&) const = default;
};
BOOST_DESCRIBE_STRUCT(Measure, (),
                      (id, type, description, start_date, status, recorded, department,
                       source_period, member_id_number))

struct Visit {
  Date date{};
  std::string officer;
  std::string findings;
  Stamp recorded;
  bool operator==(const Visit&) const = default;
};
BOOST_DESCRIBE_STRUCT(Visit, (), (date, officer, findings, recorded))

// 月度动态监测 [003][004].
struct MonitoringRecord {
  MonthlyAccount account;          // the month and its income and spending
  bool basic_needs_secure = true;  // 两不愁三保障
  bool drinking_water_safe = true;
  std::string family_changes;  // births, deaths, marriages, moves
  std::string policy_status;   // what the departments implemented
  RiskTrend risk = RiskTrend::kStable;
  std::string notes;
  Stamp recorded;
  bool operator==(const MonitoringRecord&) const = default;
};
BOOST_DESCRIBE_STRUCT(MonitoringRecord, (),
                      (account, basic_needs_secure, drinking_water_safe, family_changes,
                       policy_status, risk, notes, recorded))

struct LookBack {
  LookBackFinding finding = LookBackFinding::kStable;
  std::string notes;
  Stamp stamp;
  bool operator==(const LookBack&) const = default;
};
BOOST_DESCRIBE_STRUCT(LookBack, (), (finding, notes, stamp))

struct Approval {
  ApprovalPurpose purpose = ApprovalPurpose::kRollback;
  ApprovalLevel level = ApprovalLevel::kTownship;
  std::string opinion;
  Stamp stamp;
  bool operator==(const Approval&) const = default;
};
BOOST_DESCRIBE_STRUCT(Approval, (), (purpose, level, opinion, stamp))

// A notice an accepted event leaves for people to be told: 书面告知 (the text given to the
// household, with the reason; the township clerk hands it over), or department evidence (部门
// 预警信息) for the case's staff. `roles` and `message_type` say who is told and as which outbox
// message type (workflows/message_templates.h); the writer of the outbox only follows them.
struct Notice {
  NoticeKind kind = NoticeKind::kRejection;
  std::string case_id;
  std::string household_code;
  std::string step;    // the step that decided, e.g. "household_verification"; "" when none
  std::string reason;  // the reason alone
  std::string text;    // the full text
  Stamp issued;
  std::vector<std::string> roles;  // role names, e.g. {"assistance_officer", "township_clerk"}
  std::string message_type;        // e.g. "written_notice"
  bool operator==(const Notice&) const = default;
};
BOOST_DESCRIBE_STRUCT(Notice, (),
                      (kind, case_id, household_code, step, reason, text, issued, roles,
                       message_type))

// 部门预警信息: a department's data raised a signal (预警线索) on a member of this household
// (issue 12). The feed intake records it; it is evidence and changes nothing else in the case.
// A cross-check hit (比对: `exclusion` set) while the case is in county review is shown to the
// county office, never applied: the county decides in its review.
struct DepartmentEvidence {
  std::string department;                // a [[departments]] code
  std::string feed;                      // the [[feeds]] source
  std::string period;                    // "YYYY-MM"
  std::string rule;                      // the signal rule's stable name
  std::string rule_label;                // what people read, e.g. "新纳入低保"
  std::string summary;                   // a sentence: what the department's row says
  std::optional<std::int64_t> alert_id;  // the alert (预警线索) it was raised as, if any
  std::string exclusion;                 // an exclusion code of a cross-check hit; "" when none
  std::string member_name;               // the matched member, as the department gave it
  bool shown_to_county_office = false;   // an exclusion hit during county review
  Stamp recorded;
  bool operator==(const DepartmentEvidence&) const = default;
};
BOOST_DESCRIBE_STRUCT(DepartmentEvidence, (),
                      (department, feed, period, rule, rule_label, summary, alert_id, exclusion,
                       member_name, shown_to_county_office, recorded))

struct CaseData {
  std::string case_id;
  std::string kind;  // CaseKind::code
  Household household;
  DiscoverySource source = DiscoverySource::kSelfApplication;
  std::vector<RiskCause> risk_causes;
  bool emergency = false;  // 先帮扶、后认定
  std::string emergency_reason;
  std::string previous_case_id;  // set when re-identified from an older case
  // The department alert (预警线索, source department_alert) the case was opened from, if any.
  std::optional<std::int64_t> alert_id;
  Stamp opened;
  TimePoint last_event_at{};

  // Recognition.
  std::optional<VerificationRecord> verification;
  std::vector<ReviewRecord> reviews;  // every review decision, in order
  std::vector<ExclusionFinding> cross_check_exclusions;
  std::vector<std::string> objections;  // publicity objections, in order
  std::optional<TimePoint> publicity_started_at;
  std::optional<TimePoint> registered_at;

  // Assistance.
  std::string officer;  // 帮扶责任人; empty until assigned
  std::optional<Stamp> officer_assigned;
  std::vector<Measure> measures;
  std::vector<Visit> visits;
  std::vector<MonitoringRecord> monitoring;
  std::optional<Date> developmental_assistance_on;      // 已实施开发式帮扶
  std::vector<DepartmentEvidence> department_evidence;  // in order of recording

  // Exit and after.
  std::optional<TimePoint> elimination_publicity_started_at;
  std::optional<TimePoint> eliminated_at;
  std::vector<LookBack> look_backs;
  std::optional<TimePoint> reidentified_at;
  std::vector<Approval> approvals;  // pending approvals of the open rollback/clear-out request
  std::optional<TimePoint> rolled_back_at;
  std::vector<Notice> notices;
  std::string closing_reason;  // why the case was rejected or cleared out

  // Exit evidence and household status (issue 14; workflows/exit_records.h).
  std::vector<EvaluationRecord> evaluations;  // Q4 evaluations, in order of recording
  std::vector<StatusConfirmation> status_confirmations;
  std::optional<Date> guaranteed_support_on;  // 整户无劳动能力兜底保障户, once both confirmed

  bool operator==(const CaseData&) const = default;
};
BOOST_DESCRIBE_STRUCT(CaseData, (),
                      (case_id, kind, household, source, risk_causes, emergency, emergency_reason,
                       previous_case_id, alert_id, opened, last_event_at, verification, reviews,
                       cross_check_exclusions, objections, publicity_started_at, registered_at,
                       officer, officer_assigned, measures, visits, monitoring,
                       developmental_assistance_on, department_evidence,
                       elimination_publicity_started_at, eliminated_at, look_backs, reidentified_at,
                       approvals, rolled_back_at, notices, closing_reason, evaluations,
                       status_confirmations, guaranteed_support_on))

// What storage keeps to rebuild a machine: the stable state name, the case
// data and the version (incremented by every accepted event; storage refuses a
// write whose expected version is stale).
struct CaseSnapshot {
  std::string case_id;
  std::string state;  // a name from case_state_names()
  std::int64_t version = 0;
  CaseData data;
  bool operator==(const CaseSnapshot&) const = default;
};
BOOST_DESCRIBE_STRUCT(CaseSnapshot, (), (case_id, state, version, data))

using Details = std::vector<std::pair<std::string, std::string>>;

// One accepted event.
struct HistoryEntry {
  std::string case_id;
  std::int64_t version = 0;  // the case version this event produced (1 for the opening)
  std::string before;        // state names
  std::string after;
  std::string event;  // event name, e.g. "record_verification"
  std::string actor;
  TimePoint at{};
  std::string reason;
  Details details;
  bool operator==(const HistoryEntry&) const = default;
};
BOOST_DESCRIBE_STRUCT(HistoryEntry, (),
                      (case_id, version, before, after, event, actor, at, reason, details))

}  // namespace fangfan
