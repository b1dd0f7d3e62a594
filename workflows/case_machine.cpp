// The case machine's Boost.MSM definition: the one transition table, and the
// small class of case_machine.h around it. What each guard checks and what
// each action records lives in case_logic.cpp; this unit only sequences them.
//
// Refusals are never silent: a state without a row for the event reaches
// no_transition(), a row whose guards all fail returns HANDLED_GUARD_REJECT
// with the failing guard's sentence, an exception reaches exception_caught();
// CaseMachine::Impl::apply() turns each into a Refusal. Events are processed
// on a copy of the machine that replaces the original only when accepted, so
// a refusal changes nothing.
//
// State identity: each state names itself on entry (Named<>::on_entry); the
// name, not MSM's numeric id, is what the outside sees and stores. restore()
// drives the fresh machine from "new" to the stored state with a RestoreTo
// event that only "new" accepts, running no action.
//
// Compile cost: MSM's cost grows with event types × rows, and g++'s full debug
// info for MSM's types is enormous (a first draft with per-state internal
// tables and one restore event per state passed 14 GB at -g). So the seven
// routine records (assistance, household changes) are one MSM event type
// (RoutineEvent, a variant; case_logic dispatches), restore is one event type
// with a guard per target, and CMake builds this file with -g1 (line tables
// only): about 20 s of CPU and 1.4 GB, against 41 s and 3.4 GB at -g.

#include "workflows/case_machine.h"

#include <boost/mpl/vector.hpp>
#include <boost/msm/back/state_machine.hpp>
#include <boost/msm/front/functor_row.hpp>
#include <boost/msm/front/state_machine_def.hpp>
#include <type_traits>

#include "workflows/case_logic.h"

namespace fangfan {
namespace {

namespace msm = boost::msm;
namespace mpl = boost::mpl;
using msm::front::none;
using msm::front::Row;

// What one process_event() call leaves behind besides the new state and data.
struct Scratch {
  std::vector<std::string> notes;  // sentences of failed refusing guards
  bool no_transition = false;
  std::string exception;
  Effects effects;

  void note(std::string sentence) {
    for (const auto& n : notes) {
      if (n == sentence) return;
    }
    notes.push_back(std::move(sentence));
  }
};

// -- guard and action adapters -------------------------------------------------

// Every row's first guard: the event's own fields and meta (payload_problem).
struct Valid {
  template <class E, class Fsm, class S, class T>
  bool operator()(const E& e, Fsm& fsm, S&, T&) const {
    auto problem = payload_problem(e, fsm.data, *fsm.rules);
    if (!problem) return true;
    fsm.scratch.note(std::move(*problem));
    return false;
  }
};

// A refusing guard: F returns the sentence of why not, or std::nullopt.
template <auto F>
struct Check {
  template <class E, class Fsm, class S, class T>
  bool operator()(const E& e, Fsm& fsm, S&, T&) const {
    std::optional<std::string> problem;
    if constexpr (std::is_invocable_v<decltype(F), const E&, const CaseData&,
                                      const ProgramRules&>) {
      problem = F(e, fsm.data, *fsm.rules);
    } else {
      problem = F(fsm.data, *fsm.rules);
    }
    if (!problem) return true;
    fsm.scratch.note(std::move(*problem));
    return false;
  }
};

// A branch guard: chooses between rows, never explains a refusal by itself.
template <auto F>
struct If {
  template <class E, class Fsm, class S, class T>
  bool operator()(const E& e, Fsm& fsm, S&, T&) const {
    if constexpr (std::is_invocable_v<decltype(F), const E&, const CaseData&,
                                      const ProgramRules&>) {
      return F(e, fsm.data, *fsm.rules);
    } else {
      return F(fsm.data, *fsm.rules);
    }
  }
};

template <auto F>
struct IfNot {
  template <class E, class Fsm, class S, class T>
  bool operator()(const E& e, Fsm& fsm, S& s, T& t) const {
    return !If<F>{}(e, fsm, s, t);
  }
};

struct Always {
  template <class E, class Fsm, class S, class T>
  bool operator()(const E&, Fsm&, S&, T&) const {
    return true;
  }
};

// Guards in order, stopping at the first that fails.
template <class... G>
struct All {
  template <class E, class Fsm, class S, class T>
  bool operator()(const E& e, Fsm& fsm, S& s, T& t) const {
    return (G{}(e, fsm, s, t) && ...);
  }
};

template <class E>
const EventMeta& meta_of(const E& e) {
  return e.meta;
}
const EventMeta& meta_of(const RoutineEvent& e) { return routine_meta(e); }

// An action: records the event time, then the case_logic verb.
template <auto F>
struct Do {
  template <class E, class Fsm, class S, class T>
  void operator()(const E& e, Fsm& fsm, S&, T&) const {
    fsm.data.last_event_at = meta_of(e).at;
    F(e, fsm.data, *fsm.rules, fsm.scratch.effects);
  }
};

// A row whose guards start with Valid.
template <class Source, class Event, class Target, class Action, class... Guards>
using On = Row<Source, Event, Target, Action, All<Valid, Guards...>>;

// -- states --------------------------------------------------------------------

template <class Self>
struct Named : msm::front::state<> {
  template <class Event, class Fsm>
  void on_entry(const Event&, Fsm& fsm) {
    fsm.state_name = Self::kName;
  }
};

struct New : Named<New> {
  static constexpr std::string_view kName = "new";
};
struct Discovered : Named<Discovered> {
  static constexpr std::string_view kName = "discovered";
};
struct HouseholdVerification : Named<HouseholdVerification> {
  static constexpr std::string_view kName = "household_verification";
};
struct DemocraticReview : Named<DemocraticReview> {
  static constexpr std::string_view kName = "democratic_review";
};
struct CountyReview : Named<CountyReview> {
  static constexpr std::string_view kName = "county_review";
};
struct VillagePublicity : Named<VillagePublicity> {
  static constexpr std::string_view kName = "village_publicity";
};
struct Registered : Named<Registered> {
  static constexpr std::string_view kName = "registered";
};
struct EliminationReview : Named<EliminationReview> {
  static constexpr std::string_view kName = "elimination_review";
};
struct TownshipEliminationReview : Named<TownshipEliminationReview> {
  static constexpr std::string_view kName = "township_elimination_review";
};
struct EliminationPublicity : Named<EliminationPublicity> {
  static constexpr std::string_view kName = "elimination_publicity";
};
struct Eliminated : Named<Eliminated> {
  static constexpr std::string_view kName = "eliminated";
};
struct Rejected : Named<Rejected> {
  static constexpr std::string_view kName = "rejected";
};
struct ClearedOut : Named<ClearedOut> {
  static constexpr std::string_view kName = "cleared_out";
};

// Only restore() sends this, to a fresh machine.
struct RestoreTo {
  std::string_view state;
};

template <class S>
struct Is {
  template <class Fsm, class Src, class Tgt>
  bool operator()(const RestoreTo& e, Fsm&, Src&, Tgt&) const {
    return e.state == S::kName;
  }
};

// -- the machine ---------------------------------------------------------------

struct CaseFsmDef : msm::front::state_machine_def<CaseFsmDef> {
  const ProgramRules* rules = nullptr;
  CaseData data;
  std::string_view state_name = New::kName;
  Scratch scratch;

  using initial_state = New;

  // clang-format off
  struct transition_table : mpl::vector<
      //  Start                      Event                      Next                       Action                                 Guards (after Valid)
      // -- recognition: 核实 → 评议 → 比对 → 公示 → 录入
      On< New,                       OpenCase,                  Discovered,                Do<&open_case>>,
      On< Discovered,                StartVerification,         HouseholdVerification,     Do<&start_verification>>,
      On< HouseholdVerification,     RecordVerification,        DemocraticReview,          Do<&pass_verification>,                Check<&verification_incomplete_problem>, If<&meets_standard>, If<&has_democratic_review>>,
      On< HouseholdVerification,     RecordVerification,        CountyReview,              Do<&pass_verification>,                Check<&verification_incomplete_problem>, If<&meets_standard>, IfNot<&has_democratic_review>>,
      On< HouseholdVerification,     RecordVerification,        Rejected,                  Do<&reject_at_verification>,           Check<&verification_incomplete_problem>, IfNot<&meets_standard>>,
      On< DemocraticReview,          RecordDemocraticReview,    CountyReview,              Do<&pass_democratic_review>,           If<&democratic_review_passed>, Check<&asset_authorisation_problem>>,
      On< DemocraticReview,          RecordDemocraticReview,    Rejected,                  Do<&reject_at_democratic_review>,      IfNot<&democratic_review_passed>>,
      On< CountyReview,              RecordCountyReview,        VillagePublicity,          Do<&start_publicity>,                  If<&cross_check_clear>, If<&has_village_publicity>>,
      On< CountyReview,              RecordCountyReview,        Registered,                Do<&register_after_county_review>,     If<&cross_check_clear>, IfNot<&has_village_publicity>>,
      On< CountyReview,              RecordCountyReview,        Rejected,                  Do<&reject_at_county_review>,          IfNot<&cross_check_clear>>,
      On< VillagePublicity,          PublicityObjection,        DemocraticReview,          Do<&record_publicity_objection>,       If<&has_democratic_review>>,
      On< VillagePublicity,          PublicityObjection,        CountyReview,              Do<&record_publicity_objection>,       IfNot<&has_democratic_review>>,
      On< VillagePublicity,          ClosePublicity,            Registered,                Do<&register_after_publicity>,         Check<&publicity_period_problem>>,
      // -- risk elimination: 民主评议 → 乡镇审核 → 公示（5天）→ 标注风险消除
      On< Registered,                ProposeElimination,        EliminationReview,         Do<&propose_elimination>,              Check<&guaranteed_support_problem>>,
      On< EliminationReview,         RecordEliminationReview,   TownshipEliminationReview, Do<&pass_elimination_review>,          If<&elimination_review_passed>>,
      On< EliminationReview,         RecordEliminationReview,   Registered,                Do<&keep_after_elimination_review>,    IfNot<&elimination_review_passed>>,
      On< TownshipEliminationReview, RecordTownshipReview,      EliminationPublicity,      Do<&start_elimination_publicity>,      If<&township_review_passed>>,
      On< TownshipEliminationReview, RecordTownshipReview,      Registered,                Do<&keep_after_township_review>,       IfNot<&township_review_passed>>,
      On< EliminationPublicity,      EliminationObjection,      EliminationReview,         Do<&record_elimination_objection>>,
      On< EliminationPublicity,      CloseEliminationPublicity, Eliminated,                Do<&eliminate>,                        Check<&elimination_publicity_period_problem>, Check<&guaranteed_support_problem>>,
      // -- clear-out (清退) of a registered case: township, village, then city approve
      On< Registered,                RecordApproval,            none,                      Do<&record_approval>,                  Check<&clear_out_approval_problem>>,
      On< Registered,                ApplyClearOut,             ClearedOut,                Do<&clear_out>,                        Check<&clear_out_approvals_problem>>,
      // -- look-back (回头看), rollback (风险回退), re-identification of an eliminated case
      On< Eliminated,                RecordLookBack,            none,                      Do<&record_look_back>>,
      On< Eliminated,                RecordApproval,            none,                      Do<&record_approval>,                  Check<&rollback_approval_problem>>,
      On< Eliminated,                ApplyRollback,             Registered,                Do<&roll_back>,                        Check<&rollback_approvals_problem>>,
      On< Eliminated,                ReIdentify,                none,                      Do<&re_identify>,                      Check<&re_identification_problem>>,
      // -- routine records (assistance, household changes): never move the case
      On< Discovered,                RoutineEvent,              none,                      Do<&record_routine>,                   Check<&routine_in_recognition_problem>>,
      On< HouseholdVerification,     RoutineEvent,              none,                      Do<&record_routine>,                   Check<&routine_in_recognition_problem>>,
      On< DemocraticReview,          RoutineEvent,              none,                      Do<&record_routine>,                   Check<&routine_in_recognition_problem>>,
      On< CountyReview,              RoutineEvent,              none,                      Do<&record_routine>,                   Check<&routine_in_recognition_problem>>,
      On< VillagePublicity,          RoutineEvent,              none,                      Do<&record_routine>,                   Check<&routine_in_recognition_problem>>,
      On< Registered,                RoutineEvent,              none,                      Do<&record_routine>,                   Check<&routine_while_assisted_problem>>,
      On< EliminationReview,         RoutineEvent,              none,                      Do<&record_routine>,                   Check<&routine_while_assisted_problem>>,
      On< TownshipEliminationReview, RoutineEvent,              none,                      Do<&record_routine>,                   Check<&routine_while_assisted_problem>>,
      On< EliminationPublicity,      RoutineEvent,              none,                      Do<&record_routine>,                   Check<&routine_while_assisted_problem>>,
      On< Eliminated,                RoutineEvent,              none,                      Do<&record_routine>,                   Check<&routine_after_elimination_problem>>,
      // -- restore(): from a fresh machine straight to the stored state, no action
      Row<New, RestoreTo, Discovered,                none, Is<Discovered>>,
      Row<New, RestoreTo, HouseholdVerification,     none, Is<HouseholdVerification>>,
      Row<New, RestoreTo, DemocraticReview,          none, Is<DemocraticReview>>,
      Row<New, RestoreTo, CountyReview,              none, Is<CountyReview>>,
      Row<New, RestoreTo, VillagePublicity,          none, Is<VillagePublicity>>,
      Row<New, RestoreTo, Registered,                none, Is<Registered>>,
      Row<New, RestoreTo, EliminationReview,         none, Is<EliminationReview>>,
      Row<New, RestoreTo, TownshipEliminationReview, none, Is<TownshipEliminationReview>>,
      Row<New, RestoreTo, EliminationPublicity,      none, Is<EliminationPublicity>>,
      Row<New, RestoreTo, Eliminated,                none, Is<Eliminated>>,
      Row<New, RestoreTo, Rejected,                  none, Is<Rejected>>,
      Row<New, RestoreTo, ClearedOut,                none, Is<ClearedOut>>
  > {};
  // clang-format on

  template <class Fsm, class Event>
  void no_transition(const Event&, Fsm&, int) {
    scratch.no_transition = true;
  }

  template <class Fsm, class Event>
  void exception_caught(const Event&, Fsm&, std::exception& e) {
    scratch.exception = e.what();
  }
};

using CaseFsm = msm::back::state_machine<CaseFsmDef>;

bool assisted_in(std::string_view state, const CaseData& data) {
  const CaseStateInfo* info = find_case_state(state);
  if (info == nullptr) return false;
  return info->assisted == Assisted::kAlways ||
         (info->assisted == Assisted::kIfEmergency && data.emergency);
}

std::string refusal_prefix(std::string_view state, std::string_view event_label) {
  const CaseStateInfo* info = find_case_state(state);
  if (state == New::kName) return "案件尚未建档，不能" + std::string{event_label};
  if (info != nullptr && info->closed) {
    // Quotes, not brackets: closed states' labels carry their own brackets.
    return "案件已结案，结果为“" + std::string{info->label} + "”，不能" + std::string{event_label};
  }
  const std::string label = info != nullptr ? std::string{info->label} : std::string{state};
  return "案件处于“" + label + "”阶段，不能" + std::string{event_label};
}

}  // namespace

struct CaseMachine::Impl {
  CaseFsm fsm;
  std::int64_t version = 0;

  explicit Impl(const ProgramRules& rules) {
    fsm.rules = &rules;
    fsm.start();
  }

  template <class E>
  EventResult apply(const E& event) {
    Impl trial = *this;
    trial.fsm.scratch = Scratch{};
    const std::string_view before = trial.fsm.state_name;
    msm::back::HandledEnum handled;
    if constexpr (std::is_constructible_v<RoutineEvent, const E&>) {
      handled = trial.fsm.process_event(RoutineEvent{event});
    } else {
      handled = trial.fsm.process_event(event);
    }
    Scratch& s = trial.fsm.scratch;

    if (handled == msm::back::HANDLED_TRUE && s.exception.empty()) {
      Outcome out;
      HistoryEntry& h = out.entry;
      h.case_id = trial.fsm.data.case_id;
      h.version = version + 1;
      h.before = std::string{before};
      h.after = std::string{trial.fsm.state_name};
      h.event = std::string{E::kName};
      h.actor = event.meta.actor;
      h.at = event.meta.at;
      h.reason = event.meta.reason;
      h.details = std::move(s.effects.details);
      // Approvals belong to the request of the state they were given in (清退 while registered,
      // 回退 while eliminated): any change of state ends that request, so they lapse.
      if (h.before != h.after) trial.fsm.data.approvals.clear();
      const std::string_view step_before = find_case_state(h.before)->step;
      const std::string_view step_after = find_case_state(h.after)->step;
      if (step_before != step_after) {
        if (!step_before.empty()) out.step_ended = std::string{step_before};
        if (!step_after.empty()) out.step_started = std::string{step_after};
      }
      const bool was_assisted = assisted_in(h.before, fsm.data);
      const bool is_assisted = assisted_in(h.after, trial.fsm.data);
      out.assistance_started = !was_assisted && is_assisted;
      out.assistance_ended = was_assisted && !is_assisted;
      out.notices = std::move(s.effects.notices);
      out.new_case = std::move(s.effects.new_case);
      trial.fsm.scratch = Scratch{};
      trial.version = version + 1;
      *this = std::move(trial);
      return out;
    }

    Refusal r;
    r.state = std::string{before};
    r.event = std::string{E::kName};
    const std::string prefix = refusal_prefix(before, E::kLabel);
    if (!s.exception.empty()) {
      r.reason = "处理时发生内部错误（" + s.exception + "），未作任何更改";
    } else if (!s.notes.empty()) {
      for (const auto& n : s.notes) {
        if (!r.reason.empty()) r.reason += "；";
        r.reason += n;
      }
    } else if (handled == msm::back::HANDLED_GUARD_REJECT || !s.no_transition) {
      // Every refusing guard explains itself; reaching here means a table row
      // is missing its explanation. Still refuse, and say so.
      r.reason = "不满足办理条件";
    }
    r.message = r.reason.empty() ? prefix : prefix + "：" + r.reason;
    return r;
  }
};

CaseMachine::CaseMachine(const ProgramRules& rules) : impl_(std::make_unique<Impl>(rules)) {}
CaseMachine::CaseMachine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaseMachine::~CaseMachine() = default;
CaseMachine::CaseMachine(const CaseMachine& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
CaseMachine& CaseMachine::operator=(const CaseMachine& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
CaseMachine::CaseMachine(CaseMachine&& other) noexcept = default;
CaseMachine& CaseMachine::operator=(CaseMachine&& other) noexcept = default;

std::variant<CaseMachine, std::string> CaseMachine::restore(const ProgramRules& rules,
                                                            const CaseSnapshot& snapshot) {
  const std::string which = "案件" + snapshot.case_id + "的存储状态";
  const CaseStateInfo* info = find_case_state(snapshot.state);
  if (info == nullptr || snapshot.state == New::kName) {
    return which + "“" + snapshot.state + "”不是可恢复的案件状态";
  }
  if (snapshot.version < 1) return which + "版本号" + std::to_string(snapshot.version) + "无效";
  if (snapshot.data.case_id != snapshot.case_id) {
    return which + "与其数据中的案件编号“" + snapshot.data.case_id + "”不一致";
  }
  if (rules.find_kind(snapshot.data.kind) == nullptr) {
    return which + "的监测对象类型“" + snapshot.data.kind + "”未在本地配置中";
  }
  auto impl = std::make_unique<Impl>(rules);
  if (impl->fsm.process_event(RestoreTo{info->name}) != msm::back::HANDLED_TRUE ||
      impl->fsm.state_name != snapshot.state) {
    return which + "“" + snapshot.state + "”无法恢复";
  }
  impl->fsm.data = snapshot.data;
  impl->fsm.scratch = Scratch{};
  impl->version = snapshot.version;
  return CaseMachine{std::move(impl)};
}

EventResult CaseMachine::handle(const CaseEvent& event) {
  return std::visit([this](const auto& e) { return impl_->apply(e); }, event);
}

std::string_view CaseMachine::state() const { return impl_->fsm.state_name; }
std::int64_t CaseMachine::version() const { return impl_->version; }
const CaseData& CaseMachine::data() const { return impl_->fsm.data; }

CaseSnapshot CaseMachine::snapshot() const {
  return {impl_->fsm.data.case_id, std::string{impl_->fsm.state_name}, impl_->version,
          impl_->fsm.data};
}

bool CaseMachine::assisted() const { return assisted_in(impl_->fsm.state_name, impl_->fsm.data); }

}  // namespace fangfan
