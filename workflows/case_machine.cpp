// The case machine's Boost.MSM definition: the one transition table, and the
// small class of case_machine.h around it. What a payload must satisfy lives in
// case_payload.cpp, what each guard checks in case_guards.cpp, what each action
// records in case_actions.cpp; this unit only sequences them.
//
// handle() decides in three steps: (1) does the state accept the event at all
// (a row in the table for the state and event type, or for routine records a
// row for the state's region)? if not, "not_in_this_state"; (2) is the payload
// valid (payload_problem, once)? (3) process_event: the guards decide. A row
// whose guards all fail returns HANDLED_GUARD_REJECT with the failing guards'
// problems, an exception reaches exception_caught(); Impl::apply() turns each
// into a Refusal with its code and field. Events are processed on a copy of the
// machine that replaces the original only when accepted, so a refusal changes
// nothing.
//
// State identity: each state names itself on entry (Named<>::on_entry); the
// name, not MSM's numeric id, is what the outside sees and stores. restore()
// puts a fresh machine straight into the stored state (enter_named: no event,
// no row, no action), so the table holds only the program's transitions.
//
// Regions: routine records (assistance, household changes) never move the case
// and are accepted alike in every state of a region (recognition, assisted,
// eliminated: the state table's `assisted` fact). They are rows of the
// machine's own internal_transition_table, which MSM tries in every state, one
// row per region with the region as its first guard.
//
// Compile cost: MSM's cost grows with event types x rows, and g++'s full debug
// info for MSM's types is enormous. So the nine routine records are one MSM
// event type (RoutineEvent, a variant; case_actions dispatches), restore needs
// no event, and CMake builds this file with -g1 (line tables only): about 20 s
// of CPU and 1.4 GB, against 41 s and 3.4 GB at -g.

#include "workflows/case_machine.h"

#include <boost/mpl/count_if.hpp>
#include <boost/mpl/vector.hpp>
#include <boost/msm/back/state_machine.hpp>
#include <boost/msm/front/functor_row.hpp>
#include <boost/msm/front/state_machine_def.hpp>
#include <type_traits>

#include "workflows/case_actions.h"
#include "workflows/case_guards.h"
#include "workflows/case_payload.h"
#include "workflows/exit_evidence.h"

namespace fangfan {
namespace {

namespace msm = boost::msm;
namespace mpl = boost::mpl;
using msm::front::Internal;
using msm::front::none;
using msm::front::Row;

// What one process_event() call leaves behind besides the new state and data.
struct Scratch {
  std::vector<Problem> problems;  // of failed refusing guards, each once
  bool no_transition = false;
  std::string exception;
  Effects effects;

  // Rows of one event exclude each other by their branch predicates, but a refusing guard shared
  // by several rows (verification incomplete) fails in each: say it once.
  void note(Problem p) {
    for (const auto& q : problems) {
      if (q == p) return;
    }
    problems.push_back(std::move(p));
  }
};

// -- guard and action adapters -------------------------------------------------

// A refusing guard: F returns the Problem of why not, or std::nullopt.
template <auto F>
struct Refuse {
  template <class E, class Fsm, class S, class T>
  bool operator()(const E& e, Fsm& fsm, S&, T&) const {
    Check problem;
    if constexpr (std::is_invocable_v<decltype(F), const E&, const CaseData&,
                                      const ProgramRules&>) {
      problem = F(e, fsm.data, *fsm.rules);
    } else if constexpr (std::is_invocable_v<decltype(F), const E&, const HouseholdContext&>) {
      problem = F(e, *fsm.household);
    } else if constexpr (std::is_invocable_v<decltype(F), const E&, const CaseData&,
                                             const HouseholdContext&>) {
      problem = F(e, fsm.data, *fsm.household);
    } else if constexpr (std::is_invocable_v<decltype(F), const CaseData&,
                                             const HouseholdContext&>) {
      problem = F(fsm.data, *fsm.household);
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

// An action: records the event time and tells the verb the state it runs in, then the verb.
template <auto F>
struct Do {
  template <class E, class Fsm, class S, class T>
  void operator()(const E& e, Fsm& fsm, S&, T&) const {
    fsm.data.last_event_at = meta_of(e).at;
    fsm.scratch.effects.state = fsm.state_name;
    F(e, fsm.data, *fsm.rules, fsm.scratch.effects);
  }
};

// A row with its guards in order (none: always).
template <class Source, class Event, class Target, class Action, class... Guards>
using On = Row<Source, Event, Target, Action, All<Guards...>>;

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

// Where a state stands for routine records: its region, from the state table's `assisted` fact
// (recognition: only if emergency; assisted: always), plus the eliminated state, which accepts
// household changes only. New and closed states accept none.
enum class Region { kNone, kRecognition, kAssisted, kEliminated };

Region region_of(std::string_view state) {
  const CaseStateInfo* info = find_case_state(state);
  if (info == nullptr || info->closed || state == New::kName) return Region::kNone;
  switch (info->assisted) {
    case Assisted::kIfEmergency:
      return Region::kRecognition;
    case Assisted::kAlways:
      return Region::kAssisted;
    case Assisted::kNever:
      break;
  }
  return Region::kEliminated;
}

// A region guard: the first guard of each routine row.
template <Region R>
struct In {
  template <class E, class Fsm, class S, class T>
  bool operator()(const E&, Fsm& fsm, S&, T&) const {
    return region_of(fsm.state_name) == R;
  }
};

// -- the machine ---------------------------------------------------------------

struct CaseFsmDef : msm::front::state_machine_def<CaseFsmDef> {
  const ProgramRules* rules = nullptr;
  const HouseholdContext* household = nullptr;  // set only while an event is processed
  CaseData data;
  std::string_view state_name = New::kName;
  Scratch scratch;

  using initial_state = New;

  // clang-format off
  struct transition_table : mpl::vector<
      //  Start                      Event                      Next                       Action                                 Guards
      // -- recognition: 核实 → 评议 → 比对 → 公示 → 录入
      On< New,                       OpenCase,                  Discovered,                Do<&open_case>,                        Refuse<&household_context_problem>>,
      On< Discovered,                StartVerification,         HouseholdVerification,     Do<&start_verification>>,
      On< HouseholdVerification,     RecordVerification,        DemocraticReview,          Do<&pass_verification>,                Refuse<&verification_incomplete_problem>, If<&meets_standard>, If<&has_democratic_review>>,
      On< HouseholdVerification,     RecordVerification,        CountyReview,              Do<&pass_verification>,                Refuse<&verification_incomplete_problem>, If<&meets_standard>, IfNot<&has_democratic_review>>,
      On< HouseholdVerification,     RecordVerification,        Rejected,                  Do<&reject_at_verification>,           Refuse<&verification_incomplete_problem>, IfNot<&meets_standard>>,
      On< DemocraticReview,          RecordDemocraticReview,    CountyReview,              Do<&pass_democratic_review>,           If<&democratic_review_passed>, Refuse<&asset_authorisation_problem>>,
      On< DemocraticReview,          RecordDemocraticReview,    Rejected,                  Do<&reject_at_democratic_review>,      IfNot<&democratic_review_passed>>,
      On< CountyReview,              RecordCountyReview,        VillagePublicity,          Do<&start_publicity>,                  If<&cross_check_clear>, If<&has_village_publicity>>,
      On< CountyReview,              RecordCountyReview,        Registered,                Do<&register_after_county_review>,     If<&cross_check_clear>, IfNot<&has_village_publicity>>,
      On< CountyReview,              RecordCountyReview,        Rejected,                  Do<&reject_at_county_review>,          IfNot<&cross_check_clear>>,
      On< VillagePublicity,          PublicityObjection,        DemocraticReview,          Do<&record_publicity_objection>,       If<&has_democratic_review>>,
      On< VillagePublicity,          PublicityObjection,        CountyReview,              Do<&record_publicity_objection>,       IfNot<&has_democratic_review>>,
      On< VillagePublicity,          ClosePublicity,            Registered,                Do<&register_after_publicity>,         Refuse<&publicity_period_problem>>,
      // -- risk elimination: 民主评议 → 乡镇审核 → 公示（5天）→ 标注风险消除
      On< Registered,                ProposeElimination,        EliminationReview,         Do<&propose_elimination>,              Refuse<&guaranteed_support_problem>, Refuse<&elimination_kind_problem>, Refuse<&exit_evidence_problem>>,
      On< EliminationReview,         RecordEliminationReview,   TownshipEliminationReview, Do<&pass_elimination_review>,          If<&elimination_review_passed>>,
      On< EliminationReview,         RecordEliminationReview,   Registered,                Do<&keep_after_elimination_review>,    IfNot<&elimination_review_passed>>,
      On< TownshipEliminationReview, RecordTownshipReview,      EliminationPublicity,      Do<&start_elimination_publicity>,      If<&township_review_passed>>,
      On< TownshipEliminationReview, RecordTownshipReview,      Registered,                Do<&keep_after_township_review>,       IfNot<&township_review_passed>>,
      On< EliminationPublicity,      EliminationObjection,      EliminationReview,         Do<&record_elimination_objection>>,
      On< EliminationPublicity,      CloseEliminationPublicity, Eliminated,                Do<&eliminate>,                        Refuse<&elimination_publicity_period_problem>, Refuse<&guaranteed_support_problem>>,
      // -- clear-out (清退) of a registered case: township, village, then city approve
      On< Registered,                RecordApproval,            none,                      Do<&record_approval>,                  Refuse<&clear_out_approval_problem>>,
      On< Registered,                ApplyClearOut,             ClearedOut,                Do<&clear_out>,                        Refuse<&clear_out_approvals_problem>>,
      // -- look-back (回头看), rollback (风险回退), re-identification of an eliminated case
      On< Eliminated,                RecordLookBack,            none,                      Do<&record_look_back>>,
      On< Eliminated,                RecordApproval,            none,                      Do<&record_approval>,                  Refuse<&rollback_approval_problem>>,
      On< Eliminated,                ApplyRollback,             Registered,                Do<&roll_back>,                        Refuse<&rollback_approvals_problem>, Refuse<&second_case_problem>>,
      On< Eliminated,                ReIdentify,                none,                      Do<&re_identify>,                      Refuse<&re_identification_problem>>
  > {};

  // Routine records (assistance, household changes): never move the case; one row per region,
  // tried by MSM in whatever state the case is in after the state's own rows.
  struct internal_transition_table : mpl::vector<
      //        Event          Action               Guards
      Internal< RoutineEvent,  Do<&record_routine>, All<In<Region::kRecognition>, Refuse<&routine_in_recognition_problem>, Refuse<&household_move_problem>>>,
      Internal< RoutineEvent,  Do<&record_routine>, All<In<Region::kAssisted>,    Refuse<&routine_while_assisted_problem>, Refuse<&household_move_problem>>>,
      Internal< RoutineEvent,  Do<&record_routine>, All<In<Region::kEliminated>,  Refuse<&routine_after_elimination_problem>, Refuse<&household_move_problem>>>
  > {};
  // clang-format on

  // Reached for every routine record (no state has a row for it; MSM then tries the internal
  // table above), and otherwise never: handle() refuses events a state does not accept before
  // they enter the machine. MSM's default asserts, so this override must stay.
  template <class Fsm, class Event>
  void no_transition(const Event&, Fsm&, int) {
    scratch.no_transition = true;
  }

  template <class Fsm, class Event>
  void exception_caught(const Event&, Fsm&, std::exception& e) {
    scratch.exception = e.what();
  }
};

// Whether state S has a row for event E in the table (at compile time: the table is the one
// description of which state accepts which event).
template <class S, class E>
struct HasRow {
  template <class R>
  struct Match
      : mpl::bool_<std::is_same_v<typename R::Source, S> && std::is_same_v<typename R::Evt, E>> {};
  static constexpr bool value =
      mpl::count_if<CaseFsmDef::transition_table, Match<mpl::_1>>::value > 0;
};

template <class... S>
struct StateList {};
using AllStates =
    StateList<New, Discovered, HouseholdVerification, DemocraticReview, CountyReview,
              VillagePublicity, Registered, EliminationReview, TownshipEliminationReview,
              EliminationPublicity, Eliminated, Rejected, ClearedOut>;

template <class E, class... S>
bool has_row(std::string_view state, StateList<S...>) {
  return ((state == S::kName && HasRow<S, E>::value) || ...);
}

// Whether the state accepts the event at all (a guard may still refuse it).
template <class E>
bool accepts(std::string_view state) {
  if constexpr (std::is_constructible_v<RoutineEvent, const E&>) {
    return region_of(state) != Region::kNone;
  } else {
    return has_row<E>(state, AllStates{});
  }
}

using CaseFsm = msm::back::state_machine<CaseFsmDef>;

// Puts a started machine in a stored state without an event or a row: MSM writes its active
// state id only in serialize() (its Boost.Serialization support), so this one-field "archive"
// hands it the id of S from MSM's own table and ignores every other field. The id lives only
// in memory; what is stored and compared is the name.
struct ActiveStateArchive {
  int id;
  template <class T>
  ActiveStateArchive& operator&(T& field) {
    if constexpr (std::is_same_v<T, int[1]>) field[0] = id;
    return *this;
  }
};

template <class S>
bool enter(CaseFsm& fsm) {
  constexpr int id = msm::back::get_state_id<CaseFsm::stt, S>::value;
  ActiveStateArchive archive{id};
  fsm.serialize(archive, 0);
  if (fsm.current_state()[0] != id) return false;
  fsm.state_name = S::kName;
  return true;
}

// Enters the state named `name`; false for a name no state has (or "new": nothing to restore).
template <class... S>
bool enter_named(CaseFsm& fsm, std::string_view name, StateList<S...>) {
  return ((name == S::kName && !std::is_same_v<S, New> && enter<S>(fsm)) || ...);
}

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

  // (1) does the state accept E at all, (2) is the payload valid, (3) the table's guards decide.
  template <class E>
  EventResult apply(const E& event, const CaseEvent& whole, const HouseholdContext& household) {
    const std::string_view before = fsm.state_name;
    if (!accepts<E>(before)) {
      return refuse<E>(before, problem(refusal::kNotInThisState, "", ""));
    }
    if (auto p = payload_problem(whole, fsm.data, *fsm.rules)) return refuse<E>(before, *p);

    Impl trial = *this;
    trial.fsm.scratch = Scratch{};
    trial.fsm.household = &household;
    msm::back::HandledEnum handled;
    if constexpr (std::is_constructible_v<RoutineEvent, const E&>) {
      handled = trial.fsm.process_event(RoutineEvent{event});
    } else {
      handled = trial.fsm.process_event(event);
    }
    trial.fsm.household = nullptr;
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

    if (!s.exception.empty()) {
      return refuse<E>(before, problem(refusal::kInternalError, "",
                                       "处理时发生内部错误（" + s.exception + "），未作任何更改"));
    }
    if (s.problems.empty()) {
      // Every refusing guard explains itself; reaching here means a table row is missing its
      // explanation. Still refuse, and say so.
      return refuse<E>(before, problem(refusal::kConditionNotMet, "", "不满足办理条件"));
    }
    // The code and field are the first problem's; the sentence says every problem found.
    Problem first = s.problems.front();
    std::vector<std::string> sentences;
    for (auto& p : s.problems) sentences.push_back(std::move(p.sentence));
    first.sentence = join(sentences, "；");
    return refuse<E>(before, first);
  }

  template <class E>
  static Refusal refuse(std::string_view state, const Problem& p) {
    Refusal r;
    r.state = std::string{state};
    r.event = std::string{E::kName};
    r.reason = p.sentence;
    r.code = p.code;
    r.field = p.field;
    // A problem of the household's context is not the case state's doing: the sentence does
    // not name the state.
    const std::string prefix =
        p.about_household ? "不能" + std::string{E::kLabel} : refusal_prefix(state, E::kLabel);
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
  if (!enter_named(impl->fsm, snapshot.state, AllStates{})) {
    return which + "“" + snapshot.state + "”无法恢复";
  }
  impl->fsm.data = snapshot.data;
  impl->fsm.scratch = Scratch{};
  impl->version = snapshot.version;
  return CaseMachine{std::move(impl)};
}

EventResult CaseMachine::handle(const CaseEvent& event) {
  return handle(event, HouseholdContext{});
}

EventResult CaseMachine::handle(const CaseEvent& event, const HouseholdContext& household) {
  return std::visit([&](const auto& e) { return impl_->apply(e, event, household); }, event);
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
