// Shared by the case machine tests: the rules of a test county, event
// builders, and CaseWalk, which drives one case and checks every step's
// bookkeeping (version, history before/after, refusal changes nothing).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/people.h"
#include "workflows/case_machine.h"
#include "workflows/date.h"

namespace fangfan::testing {

inline TimePoint at(const char* text) {
  auto t = parse_time(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(TimePoint{});
}

// Six kinds: the four full ones of program-rules.md, Linyi's short 脱贫监测户, and 回退.
inline ProgramRules test_rules() {
  ProgramRules r;
  r.eligibility.monitoring_line_yuan = 6500;
  r.eligibility.exclusions = {
      {"car", "拥有并经常使用高档乘用车辆"},
      {"town_housing", "在城镇购买商品房（拆迁安置除外）"},
      {"company", "注册公司、企业并雇佣他人从事经营性活动且收益较高"},
      {"unwilling_supporters", "法定赡养、抚养、扶养人有能力但不履行义务"},
  };
  const std::vector<std::string> full{kStepHouseholdVerification, kStepDemocraticReview,
                                      kStepCountyReview, kStepVillagePublicity};
  const std::vector<std::string> short_steps{kStepHouseholdVerification, kStepCountyReview};
  r.case_kinds = {
      {"unstable", "脱贫不稳定户", full},
      {"marginal", "边缘易致贫户", full},
      {"sudden", "突发严重困难户", full},
      {"instant", "即时帮扶户", full},
      {"monitored_formerly_poor", "脱贫监测户", short_steps},
      {"rollback", "回退", full},
  };
  r.deadlines[kStepVillagePublicity] = StepDeadline{5, DayUnit::kCalendarDays, 1, {}};
  r.deadlines[kStepEliminationPublicity] = StepDeadline{5, DayUnit::kCalendarDays, 1, {}};
  return r;
}

inline const std::vector<std::string>& all_kinds() {
  static const std::vector<std::string> kKinds{
      "unstable", "marginal", "sudden", "instant", "monitored_formerly_poor", "rollback"};
  return kKinds;
}

// Twelve months of the window of `discovered`; the totals sit in the first
// month so a threshold can be hit to the fen.
inline std::vector<MonthlyAccount> window_accounts(std::chrono::year_month discovered,
                                                   std::int64_t net_fen, std::int64_t rigid_fen) {
  std::vector<MonthlyAccount> out;
  const IncomeWindow w = income_window(discovered);
  for (auto m = w.first; m <= w.last; m += std::chrono::months{1}) {
    MonthlyAccount a;
    a.month = m;
    if (m == w.first) {
      a.wage_income_fen = net_fen;
      a.medical_expense_fen = rigid_fen;
    }
    out.push_back(a);
  }
  return out;
}

// Drives one case. Every send() checks the bookkeeping of an accepted event
// (version +1, history before/after and event name) or that a refusal changed
// nothing; accepted events and history are kept for replay tests.
class CaseWalk {
 public:
  CaseWalk(const ProgramRules& rules, std::string case_id, std::string kind, Household household,
           TimePoint start, bool emergency = false)
      : rules_(rules),
        machine_(rules),
        case_id_(std::move(case_id)),
        kind_(std::move(kind)),
        household_(std::move(household)),
        now_(start),
        emergency_(emergency) {}

  CaseMachine& machine() { return machine_; }
  const CaseData& data() const { return machine_.data(); }
  std::string state() const { return std::string{machine_.state()}; }
  const std::vector<CaseEvent>& accepted() const { return accepted_; }
  const std::vector<HistoryEntry>& history() const { return history_; }
  const Household& household() const { return household_; }
  TimePoint now() const { return now_; }
  void days(int n) { now_ += std::chrono::days{n}; }
  void hours(int n) { now_ += std::chrono::hours{n}; }

  EventMeta meta(std::string reason = "", std::string actor = "镇扶贫办李*") {
    now_ += std::chrono::minutes{10};
    return {std::move(actor), now_, std::move(reason)};
  }

  EventResult send(const CaseEvent& event) {
    const CaseSnapshot before = machine_.snapshot();
    EventResult r = machine_.handle(event);
    if (r.accepted()) {
      const HistoryEntry& h = r.outcome().entry;
      EXPECT_EQ(machine_.version(), before.version + 1);
      EXPECT_EQ(h.version, machine_.version());
      EXPECT_EQ(h.before, before.state);
      EXPECT_EQ(h.after, machine_.state());
      EXPECT_EQ(h.event, event_name(event));
      EXPECT_EQ(h.actor, event_meta(event).actor);
      EXPECT_EQ(h.at, event_meta(event).at);
      EXPECT_EQ(h.case_id, machine_.data().case_id);
      accepted_.push_back(event);
      history_.push_back(h);
    } else {
      EXPECT_EQ(machine_.snapshot(), before) << "a refusal changed the case";
      EXPECT_EQ(r.refusal().state, before.state);
      EXPECT_EQ(r.refusal().event, event_name(event));
      EXPECT_FALSE(r.refusal().message.empty());
    }
    return r;
  }

  Outcome ok(const CaseEvent& event) {
    EventResult r = send(event);
    EXPECT_TRUE(r.accepted()) << event_name(event)
                              << " refused: " << (r.accepted() ? "" : r.refusal().message);
    return r.accepted() ? r.outcome() : Outcome{};
  }

  Refusal refused(const CaseEvent& event) {
    EventResult r = send(event);
    EXPECT_FALSE(r.accepted()) << event_name(event) << " was accepted in " << state();
    return r.accepted() ? Refusal{} : r.refusal();
  }

  // -- events with sensible payloads ------------------------------------------

  OpenCase open_event() {
    OpenCase e;
    e.meta = meta("", "村委会王*");
    e.case_id = case_id_;
    e.kind = kind_;
    e.household = household_;
    e.source = DiscoverySource::kSelfApplication;
    e.risk_causes = {RiskCause::kIllness};
    e.emergency = emergency_;
    if (emergency_) e.emergency_reason = "房屋因洪灾倒塌";
    return e;
  }
  std::chrono::year_month discovered_month() const {
    return month_of(china_date(machine_.data().opened.at));
  }
  StartVerification start_verification() { return {meta(), "镇扶贫办李*"}; }
  // Per capita 1 fen below the line, rigid spending above income.
  RecordVerification eligible_verification() {
    RecordVerification e;
    e.meta = meta();
    const auto persons = static_cast<std::int64_t>(household_.members.size());
    const std::int64_t net = 650000 * persons - 1;
    e.accounts = window_accounts(discovered_month(), net, net + 1);
    e.hardship.basic_needs_affected = true;
    return e;
  }
  RecordVerification ineligible_verification() {
    RecordVerification e = eligible_verification();
    const auto persons = static_cast<std::int64_t>(household_.members.size());
    e.accounts = window_accounts(discovered_month(), 650000 * persons, 650000 * persons + 1);
    return e;
  }
  RecordDemocraticReview review_pass() { return {meta(), true, true}; }
  RecordCountyReview county_pass() { return {meta(), {}, ""}; }
  ClosePublicity close_publicity() { return {meta()}; }
  AssignOfficer assign_officer(std::string officer = "第一书记赵*") {
    return {meta(), std::move(officer)};
  }
  AddMeasure measure(MeasureType type, MeasureStatus status = MeasureStatus::kInPlace) {
    return {meta(), type, "帮扶措施", china_date(now_), status};
  }
  RecordVisit visit() { return {meta(), china_date(now_), "第一书记赵*", "收入稳定，住房安全"}; }
  RecordMonitoring monitoring(std::chrono::year_month month) {
    RecordMonitoring e;
    e.meta = meta();
    e.record.account.month = month;
    e.record.account.wage_income_fen = 300000;
    return e;
  }

  // Steps of the procedure, each expected to be accepted.
  void open() { ok(open_event()); }
  // Recognition up to registration, following the kind's steps.
  void recognise() {
    ok(open_event());
    recognise_rest();
  }
  // From "discovered" to "registered".
  void recognise_rest() {
    ok(start_verification());
    days(2);
    ok(eligible_verification());
    if (state() == "democratic_review") {
      days(1);
      ok(review_pass());
    }
    days(2);
    ok(county_pass());
    if (state() == "village_publicity") {
      days(6);
      ok(close_publicity());
    }
    EXPECT_EQ(state(), "registered");
  }
  void eliminate() {
    ok(ProposeElimination{meta()});
    ok(RecordEliminationReview{meta(), true});
    ok(RecordTownshipReview{meta(), true});
    days(6);
    ok(CloseEliminationPublicity{meta()});
    EXPECT_EQ(state(), "eliminated");
  }
  void approve(ApprovalPurpose purpose) {
    for (auto level : {ApprovalLevel::kTownship, ApprovalLevel::kVillage, ApprovalLevel::kCity}) {
      ok(RecordApproval{meta("同意"), purpose, level});
    }
  }

 private:
  const ProgramRules& rules_;
  CaseMachine machine_;
  std::string case_id_;
  std::string kind_;
  Household household_;
  TimePoint now_;
  bool emergency_;
  std::vector<CaseEvent> accepted_;
  std::vector<HistoryEntry> history_;
};

}  // namespace fangfan::testing
