// The inputs of a case (events) and what handling one returns (an outcome or
// a refusal), plus the stable names and Chinese labels of the case's states.
//
// Every event carries EventMeta: who (actor), when (at, passed in — the core
// reads no clock) and an optional reason. Some events require the reason (a
// rejection, an objection, a clear-out): the machine refuses them without it.
// Each event type has a stable `kName` (stored in history) and a `kLabel`
// (the verb phrase a refusal sentence uses: "不能登记入户核实结果").
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <boost/describe/class.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "workflows/case_records.h"
#include "workflows/exit_records.h"

namespace fangfan {

struct EventMeta {
  std::string actor;
  TimePoint at{};
  std::string reason;
};

// -- recognition (认定程序) --------------------------------------------------

// A household found by one of the sources; opens the case. The household
// verification step (5 working days) starts now.
struct OpenCase {
  static constexpr std::string_view kName = "open_case";
  static constexpr std::string_view kLabel = "建档登记发现的农户";
  EventMeta meta;
  std::string case_id;
  std::string kind;  // a ProgramRules::case_kinds code
  Household household;
  DiscoverySource source = DiscoverySource::kSelfApplication;
  std::vector<RiskCause> risk_causes;
  bool emergency = false;  // 先帮扶、后认定: assistance may be recorded at once
  std::string emergency_reason;
  std::string previous_case_id;  // when re-identified from an eliminated case
  // Opened from a department alert (预警线索): its id. Then `source` must be department_alert
  // (that source without an alert stays allowed: imports use it). Whether the alert exists and
  // is open is the writer's check, not the machine's.
  std::optional<std::int64_t> alert_id;
};

// The township (or the insurer [004]) starts the household visit.
struct StartVerification {
  static constexpr std::string_view kName = "start_verification";
  static constexpr std::string_view kLabel = "开始入户核实";
  EventMeta meta;
  std::string verifier;
};

// 入户核实结果: the income records of the window and what the verifier saw.
// Meets the standard -> review; does not -> rejected with a written notice;
// records incomplete -> refused.
struct RecordVerification {
  static constexpr std::string_view kName = "record_verification";
  static constexpr std::string_view kLabel = "登记入户核实结果";
  EventMeta meta;
  std::vector<MonthlyAccount> accounts;
  HardshipFindings hardship;
  std::vector<ExclusionFinding> exclusions;
  std::optional<Discretion> discretion;
};

// 民主评议. Passing requires the signed asset-check authorisation
// (授权核查家庭资产信息承诺书); failing requires a reason (it goes into the notice).
struct RecordDemocraticReview {
  static constexpr std::string_view kName = "record_democratic_review";
  static constexpr std::string_view kLabel = "登记民主评议结果";
  EventMeta meta;
  bool passed = false;
  bool asset_authorisation_signed = false;
};

// 县级审核与信息比对 (police, housing, market regulation, civil-service records).
// Any exclusion found, or a rejection reason, rejects the case with a notice.
struct RecordCountyReview {
  static constexpr std::string_view kName = "record_county_review";
  static constexpr std::string_view kLabel = "登记县级审核比对结果";
  EventMeta meta;
  std::vector<ExclusionFinding> exclusions;
  std::string rejection;  // another reason to reject, if any
};

// An objection during village publicity sends the case back to review.
// meta.reason is the objection.
struct PublicityObjection {
  static constexpr std::string_view kName = "publicity_objection";
  static constexpr std::string_view kLabel = "登记村级公示异议";
  EventMeta meta;
};

// Publicity ended without objection: the county enters the household (录入).
struct ClosePublicity {
  static constexpr std::string_view kName = "close_publicity";
  static constexpr std::string_view kLabel = "结束村级公示并录入监测对象";
  EventMeta meta;
};

// -- assistance (帮扶) --------------------------------------------------------
// Accepted once registered, and during recognition for emergency cases.

struct AssignOfficer {
  static constexpr std::string_view kName = "assign_officer";
  static constexpr std::string_view kLabel = "指定帮扶责任人";
  EventMeta meta;
  std::string officer;
};

struct AddMeasure {
  static constexpr std::string_view kName = "add_measure";
  static constexpr std::string_view kLabel = "登记帮扶措施";
  EventMeta meta;
  MeasureType measure_type = MeasureType::kIndustry;  // not `type`: the API's envelope has that
  std::string description;
  Date start_date{};
  MeasureStatus status = MeasureStatus::kPlanned;
};

struct UpdateMeasure {
  static constexpr std::string_view kName = "update_measure";
  static constexpr std::string_view kLabel = "更新帮扶措施状态";
  EventMeta meta;
  int measure_id = 0;
  MeasureStatus status = MeasureStatus::kInPlace;
};

struct RecordVisit {
  static constexpr std::string_view kName = "record_visit";
  static constexpr std::string_view kLabel = "登记走访记录";
  EventMeta meta;
  Date date{};
  std::string officer;
  std::string findings;
};

struct RecordMonitoring {
  static constexpr std::string_view kName = "record_monitoring";
  static constexpr std::string_view kLabel = "登记月度监测记录";
  EventMeta meta;
  MonitoringRecord record;  // record.recorded is filled from meta
};

// A major event in the household (重大变故), [003]: "乡镇、村如发现边缘户和脱贫不稳定贫困户家庭
// 成员发生大病、重大意外伤害、抚（赡）养人病故等情况的，应及时向镇（街）扶贫办报告". Recorded in
// the case's history; with [rules.alert_loop] it marks an alert that the township and the county
// learn of at once (workflows/alert_loop.h). `kind`: death, serious_illness, accident, disaster.
struct RecordMajorEvent {
  static constexpr std::string_view kName = "record_major_event";
  static constexpr std::string_view kLabel = "报告重大变故";
  EventMeta meta;
  Date date{};
  std::string kind;
  std::string member_name;  // the member it befell ("" = the household)
  std::string description;
};

// "已实施开发式帮扶" [001].
struct MarkDevelopmental {
  static constexpr std::string_view kName = "mark_developmental";
  static constexpr std::string_view kLabel = "标注已实施开发式帮扶";
  EventMeta meta;
  Date date{};
};

// Family changes (births, deaths, ability to work). Accepted in every state
// that is not closed; the household code cannot change.
struct UpdateHousehold {
  static constexpr std::string_view kName = "update_household";
  static constexpr std::string_view kLabel = "更新家庭成员信息";
  EventMeta meta;
  Household household;
};

// -- exit (风险消除), look-back, rollback, clear-out --------------------------

struct ProposeElimination {
  static constexpr std::string_view kName = "propose_elimination";
  static constexpr std::string_view kLabel = "提出风险消除";
  EventMeta meta;
};

struct RecordEliminationReview {
  static constexpr std::string_view kName = "record_elimination_review";
  static constexpr std::string_view kLabel = "登记风险消除民主评议结果";
  EventMeta meta;
  bool passed = false;
};

struct RecordTownshipReview {
  static constexpr std::string_view kName = "record_township_review";
  static constexpr std::string_view kLabel = "登记风险消除乡镇审核结果";
  EventMeta meta;
  bool passed = false;
};

struct EliminationObjection {
  static constexpr std::string_view kName = "elimination_objection";
  static constexpr std::string_view kLabel = "登记风险消除公示异议";
  EventMeta meta;
};

// The county marks 风险消除 after the 5-day publicity.
struct CloseEliminationPublicity {
  static constexpr std::string_view kName = "close_elimination_publicity";
  static constexpr std::string_view kLabel = "结束风险消除公示并标注风险消除";
  EventMeta meta;
};

// 回头看. meta.reason describes what was found (required unless stable).
struct RecordLookBack {
  static constexpr std::string_view kName = "record_look_back";
  static constexpr std::string_view kLabel = "登记回头看结果";
  EventMeta meta;
  LookBackFinding finding = LookBackFinding::kStable;
};

// One level's approval of a rollback or clear-out request. meta.reason is the opinion (required).
// Pending approvals lapse when the case changes state or a new look-back is recorded.
struct RecordApproval {
  static constexpr std::string_view kName = "record_approval";
  static constexpr std::string_view kLabel = "登记审核意见";
  EventMeta meta;
  ApprovalPurpose purpose = ApprovalPurpose::kRollback;
  ApprovalLevel level = ApprovalLevel::kTownship;
};

// 风险回退: eliminated -> registered, once township, village and city approved.
struct ApplyRollback {
  static constexpr std::string_view kName = "apply_rollback";
  static constexpr std::string_view kLabel = "执行风险回退";
  EventMeta meta;
};

// 清退: registered -> cleared_out, once township, village and city approved.
// meta.reason is required (it goes into the notice).
struct ApplyClearOut {
  static constexpr std::string_view kName = "apply_clear_out";
  static constexpr std::string_view kLabel = "执行清退";
  EventMeta meta;
};

// New risk found at look-back: the household is identified again as a NEW
// case linked to this one. This case stays eliminated; the outcome carries a
// NewCaseRequest the caller turns into an OpenCase for the new case.
struct ReIdentify {
  static constexpr std::string_view kName = "re_identify";
  static constexpr std::string_view kLabel = "重新识别为监测对象";
  EventMeta meta;
  std::string kind;  // the kind of the new case; empty = same kind as this one
  std::vector<RiskCause> risk_causes;
  bool emergency = false;
  std::string emergency_reason;
};

// -- department feeds (行业部门数据) ------------------------------------------

// 部门预警信息: a department's row raised a signal on a member of this household. Recorded by
// fangfan itself (the feed intake, actor "system:feeds"), never by a user: no API token may post
// it (daemon/api/case_access.h). Accepted in every state of a case that is opened and not closed;
// it never moves the case. The case's assistance officer and township clerk are told; a
// cross-check hit (`exclusion`) on a case in county review is told to the county office too,
// and only shown: the county review decides.
struct RecordDepartmentEvidence {
  static constexpr std::string_view kName = "record_department_evidence";
  static constexpr std::string_view kLabel = "记录部门预警信息";
  EventMeta meta;
  std::string department;  // a [[departments]] code
  std::string feed;        // the [[feeds]] source
  std::string period;      // "YYYY-MM"
  std::string rule;        // the signal rule's stable name
  std::string rule_label;  // its label; empty: the name is shown
  std::string summary;     // a sentence
  std::optional<std::int64_t> alert_id;
  std::string exclusion;    // an exclusion code of [rules.eligibility.exclusions]; "" when none
  std::string member_name;  // the matched member's name, as the department gave it
};

// 部门落实情况: a department's answer to the list it was sent (workflows/lists.h) says what it did
// for a member of this household (低保 granted from a date, medical assistance paid, a school
// subsidy). Recorded by fangfan itself (the feedback intake, actor "department:<code>"), never by
// a user: no API token may post it. Appends an in-place measure whose description names the
// department ("县民政局：低保（月保障金额600元）"). Accepted wherever assistance is and during
// recognition whatever the emergency (the department acted on its own rules); refused after
// elimination. The same department, period, member, description and start date twice is refused
// (department_measure_recorded): replaying an answer never doubles a measure.
struct RecordDepartmentMeasure {
  static constexpr std::string_view kName = "record_department_measure";
  static constexpr std::string_view kLabel = "记录部门落实的帮扶措施";
  EventMeta meta;
  std::string department;        // a [[departments]] code
  std::string department_name;   // what people read ("县民政局")
  std::string feed;              // the feedback [[feeds]] source
  std::string period;            // the answered list's period, "YYYY-MM-DD"
  std::string member_id_number;  // one of the household's members
  std::string member_name;       // as the department gave it (masked in history)
  MeasureType measure_type = MeasureType::kSocialSecurity;
  std::string measure;       // what the department did, e.g. "低保"
  std::string amount;        // yuan, canonical ("600", "1200.5"); "" when none
  std::string amount_label;  // the department's header of the amount ("月保障金额"); "" = "金额"
  Date start_date{};         // from the row, else the list's day
};

// -- exit evidence and household status (issue 14) ----------------------------

// 第四季度风险评估结果 [000] "县扶贫办每年第四季度组织开展监测对象返贫致贫风险变化情况评估": the
// result for a monitoring object, closing that year's evaluation task in the same transaction.
// Accepted while the case is a monitoring object (registered or in the elimination steps); one
// per year. A proposal of elimination may rest on it (workflows/exit_evidence.h).
struct RecordEvaluation {
  static constexpr std::string_view kName = "record_evaluation";
  static constexpr std::string_view kLabel = "登记风险评估结果";
  EventMeta meta;
  int year = 0;
  EvaluationResult result = EvaluationResult::kRiskPersisting;
  std::int64_t per_capita_income_fen = 0;  // 家庭年人均纯收入
  BasicNeeds basic_needs;                  // 三保障 and drinking water; each defaults to secure
  std::string assessor;                    // 评估人
};

// One level's confirmation (乡村两级认定/确认 [001]) of a household status: 整户无劳动能力兜底
// 保障户 takes effect once village and township both confirmed; 已实施开发式帮扶 is then marked by
// mark_developmental. meta.reason is the level's opinion (required). Assisted cases only.
struct ConfirmHouseholdStatus {
  static constexpr std::string_view kName = "confirm_household_status";
  static constexpr std::string_view kLabel = "登记户类型确认意见";
  EventMeta meta;
  HouseholdStatus status = HouseholdStatus::kGuaranteedSupport;
  ApprovalLevel level = ApprovalLevel::kVillage;  // village or township
};

// -- descriptions ------------------------------------------------------------
// The payload of each event as a client sends it, described once: the API's decoder, its list of
// known fields and the field table of docs/api.md are derived from these (daemon/api/event_json.h).
// `meta` is not described (the API reads `reason` beside the payload; actor and time are the
// server's), nor are members the server fills (OpenCase::case_id and previous_case_id).
BOOST_DESCRIBE_STRUCT(OpenCase, (),
                      (household, kind, source, risk_causes, emergency, emergency_reason, alert_id))
BOOST_DESCRIBE_STRUCT(StartVerification, (), (verifier))
BOOST_DESCRIBE_STRUCT(RecordVerification, (), (accounts, hardship, exclusions, discretion))
BOOST_DESCRIBE_STRUCT(RecordDemocraticReview, (), (passed, asset_authorisation_signed))
BOOST_DESCRIBE_STRUCT(RecordCountyReview, (), (exclusions, rejection))
BOOST_DESCRIBE_STRUCT(PublicityObjection, (), ())
BOOST_DESCRIBE_STRUCT(ClosePublicity, (), ())
BOOST_DESCRIBE_STRUCT(AssignOfficer, (), (officer))
BOOST_DESCRIBE_STRUCT(AddMeasure, (), (measure_type, description, start_date, status))
BOOST_DESCRIBE_STRUCT(UpdateMeasure, (), (measure_id, status))
BOOST_DESCRIBE_STRUCT(RecordVisit, (), (date, officer, findings))
BOOST_DESCRIBE_STRUCT(RecordMonitoring, (), (record))
BOOST_DESCRIBE_STRUCT(MarkDevelopmental, (), (date))
BOOST_DESCRIBE_STRUCT(RecordMajorEvent, (), (date, kind, member_name, description))
BOOST_DESCRIBE_STRUCT(UpdateHousehold, (), (household))
BOOST_DESCRIBE_STRUCT(ProposeElimination, (), ())
BOOST_DESCRIBE_STRUCT(RecordEliminationReview, (), (passed))
BOOST_DESCRIBE_STRUCT(RecordTownshipReview, (), (passed))
BOOST_DESCRIBE_STRUCT(EliminationObjection, (), ())
BOOST_DESCRIBE_STRUCT(CloseEliminationPublicity, (), ())
BOOST_DESCRIBE_STRUCT(RecordLookBack, (), (finding))
BOOST_DESCRIBE_STRUCT(RecordApproval, (), (purpose, level))
BOOST_DESCRIBE_STRUCT(ApplyRollback, (), ())
BOOST_DESCRIBE_STRUCT(ApplyClearOut, (), ())
BOOST_DESCRIBE_STRUCT(ReIdentify, (), (kind, risk_causes, emergency, emergency_reason))
BOOST_DESCRIBE_STRUCT(RecordDepartmentEvidence, (),
                      (department, feed, period, rule, rule_label, summary, alert_id, exclusion,
                       member_name))
BOOST_DESCRIBE_STRUCT(RecordDepartmentMeasure, (),
                      (department, department_name, feed, period, member_id_number, member_name,
                       measure_type, measure, amount, amount_label, start_date))
BOOST_DESCRIBE_STRUCT(RecordEvaluation, (),
                      (year, result, per_capita_income_fen, basic_needs, assessor))
BOOST_DESCRIBE_STRUCT(ConfirmHouseholdStatus, (), (status, level))

// The described members a client may leave out (the default above applies); every other
// described member is required. Specialised for the events that have such members.
template <class E>
struct OptionalFields {
  static constexpr std::array<std::string_view, 0> kNames{};
};
template <>
struct OptionalFields<OpenCase> {
  static constexpr std::array<std::string_view, 4> kNames{"risk_causes", "emergency",
                                                          "emergency_reason", "alert_id"};
};
template <>
struct OptionalFields<RecordVerification> {
  static constexpr std::array<std::string_view, 3> kNames{"hardship", "exclusions", "discretion"};
};
template <>
struct OptionalFields<RecordDemocraticReview> {
  static constexpr std::array<std::string_view, 1> kNames{"asset_authorisation_signed"};
};
template <>
struct OptionalFields<RecordCountyReview> {
  static constexpr std::array<std::string_view, 2> kNames{"exclusions", "rejection"};
};
template <>
struct OptionalFields<AddMeasure> {
  static constexpr std::array<std::string_view, 1> kNames{"status"};
};
template <>
struct OptionalFields<RecordVisit> {
  static constexpr std::array<std::string_view, 1> kNames{"findings"};
};
template <>
struct OptionalFields<RecordMajorEvent> {
  static constexpr std::array<std::string_view, 2> kNames{"member_name", "description"};
};
template <>
struct OptionalFields<ReIdentify> {
  static constexpr std::array<std::string_view, 4> kNames{"kind", "risk_causes", "emergency",
                                                          "emergency_reason"};
};
template <>
struct OptionalFields<RecordDepartmentEvidence> {
  static constexpr std::array<std::string_view, 3> kNames{"rule_label", "alert_id", "exclusion"};
};
template <>
struct OptionalFields<RecordDepartmentMeasure> {
  static constexpr std::array<std::string_view, 2> kNames{"amount", "amount_label"};
};
template <>
struct OptionalFields<RecordEvaluation> {
  static constexpr std::array<std::string_view, 1> kNames{"basic_needs"};
};

// Events only fangfan itself records (no API token may post them); history shows them like any.
template <class E>
inline constexpr bool kSystemOnly = false;
template <>
inline constexpr bool kSystemOnly<RecordDepartmentEvidence> = true;
template <>
inline constexpr bool kSystemOnly<RecordDepartmentMeasure> = true;

using CaseEvent = std::variant<
    OpenCase, StartVerification, RecordVerification, RecordDemocraticReview, RecordCountyReview,
    PublicityObjection, ClosePublicity, AssignOfficer, AddMeasure, UpdateMeasure, RecordVisit,
    RecordMonitoring, MarkDevelopmental, UpdateHousehold, RecordDepartmentEvidence,
    RecordDepartmentMeasure, ProposeElimination, RecordEliminationReview, RecordTownshipReview,
    EliminationObjection, CloseEliminationPublicity, RecordLookBack, RecordApproval, ApplyRollback,
    ApplyClearOut, ReIdentify, RecordMajorEvent, RecordEvaluation, ConfirmHouseholdStatus>;

std::string_view event_name(const CaseEvent& event);
// kSystemOnly of the event's type.
bool system_only(const CaseEvent& event);
std::string_view event_label(const CaseEvent& event);
const EventMeta& event_meta(const CaseEvent& event);

// -- results -----------------------------------------------------------------

// What the caller must do to open the new case of a re-identification.
struct NewCaseRequest {
  std::string previous_case_id;
  std::string kind;
  Household household;
  std::vector<RiskCause> risk_causes;
  bool emergency = false;
  std::string emergency_reason;
  bool operator==(const NewCaseRequest&) const = default;
};

// An accepted event: the history row to append (in the same transaction as
// the new snapshot), the procedure step that started and/or ended (so timers
// can be created and cancelled in that transaction), whether the household
// began or stopped being assisted (visit and monitoring duties), written
// notices to deliver, and a new case to open.
struct Outcome {
  HistoryEntry entry;
  std::optional<std::string> step_started;
  std::optional<std::string> step_ended;
  bool assistance_started = false;
  bool assistance_ended = false;
  std::vector<Notice> notices;
  std::optional<NewCaseRequest> new_case;
};

// A refused event. Nothing changed.
struct Refusal {
  std::string state;   // stable state name
  std::string event;   // event name
  std::string reason;  // why, when a condition failed; empty when the state never accepts the event
  std::string message;  // the whole sentence, e.g. "案件处于“村级公示”阶段，不能登记入户核实结果"
  // A stable machine code a client can switch on (snake_case; every code, with its meaning, is
  // listed once in workflows/refusal_codes.h), e.g. "not_in_this_state" when the state never
  // accepts the event (reason then empty), "village_not_configured".
  std::string code;
  // The payload field the refusal concerns ("household.members[2].id_number"), empty when none.
  std::string field;
};

// What the caller knows of the household around an event (the core does no I/O): the
// repository loads it in the transaction that writes the event, and the machine's household
// guards decide with it. The defaults are a household that raises no objection.
struct HouseholdContext {
  // Whether the county's config knows the village of the household the event names (OpenCase,
  // UpdateHousehold).
  bool village_configured = true;
  // Another case of the household in progress (formatted id, stable state name); empty id: none.
  // Loaded for an opening and for an event on a case not in progress (a rollback makes it one).
  std::string case_in_progress_id;
  std::string case_in_progress_state;
  // The stored case OpenCase::previous_case_id names: whether it exists, and its household code
  // (std::nullopt: not looked up).
  bool previous_case_exists = true;
  std::optional<std::string> previous_case_household;
};

class [[nodiscard]] EventResult {
 public:
  EventResult(Outcome outcome) : value_(std::move(outcome)) {}  // NOLINT: implicit by design
  EventResult(Refusal refusal) : value_(std::move(refusal)) {}  // NOLINT

  bool accepted() const { return std::holds_alternative<Outcome>(value_); }
  // REQUIRES: accepted().
  const Outcome& outcome() const { return std::get<Outcome>(value_); }
  // REQUIRES: !accepted().
  const Refusal& refusal() const { return std::get<Refusal>(value_); }

 private:
  std::variant<Outcome, Refusal> value_;
};

// -- states ------------------------------------------------------------------

// Whether a household in a state is assisted (visits and monitoring due).
enum class Assisted { kNever, kIfEmergency, kAlways };

struct CaseStateInfo {
  std::string_view name;   // stored; never renamed
  std::string_view label;  // shown
  std::string_view step;   // the procedure step (kStep...) running in this state, or ""
  Assisted assisted = Assisted::kNever;
  bool closed = false;  // rejected or cleared out: accepts no event
  // A case in progress (在监测/在办): a household has at most one. Every state but "new", the
  // closed ones and "eliminated" (风险已消除: the household may be identified again).
  bool in_progress = false;
  // A monitoring object (监测对象): registered or in the elimination steps. The Q4 risk
  // evaluation covers these.
  bool monitoring_object = false;
};

// Every state, "new" (a machine before OpenCase) first.
const std::vector<CaseStateInfo>& case_states();
// The names of the states for which `fact` holds, in table order (for SQL IN lists and filters).
std::vector<std::string_view> case_state_names(bool (*fact)(const CaseStateInfo&));
// nullptr for an unknown name.
const CaseStateInfo* find_case_state(std::string_view name);
// The state's in_progress fact; false for an unknown name. Closed (rejected, cleared out) and
// eliminated cases leave the household free for a new case.
bool case_in_progress(std::string_view state);
// Chinese label of a procedure step name ("入户核实"), or the name itself.
std::string_view step_label(std::string_view step);

}  // namespace fangfan
