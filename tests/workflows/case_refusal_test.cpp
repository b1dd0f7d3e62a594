// Refusal codes and fields: every refusal of the case machine carries a stable code from
// refusal_codes() and the payload field it concerns; the household guards decide with the
// context the caller passes in.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "tests/workflows/case_fixture.h"
#include "workflows/case_machine.h"
#include "workflows/refusal_codes.h"

namespace fangfan {
namespace {

using testing::at;
using testing::CaseWalk;
using testing::PeopleGenerator;

bool listed(std::string_view code) {
  for (const auto& c : refusal_codes()) {
    if (c.code == code) return true;
  }
  return false;
}

TEST(RefusalCodes, EachCodeOnceInSnakeCaseWithAMeaning) {
  std::set<std::string_view> seen;
  for (const auto& c : refusal_codes()) {
    EXPECT_TRUE(seen.insert(c.code).second) << c.code << " listed twice";
    EXPECT_FALSE(c.meaning_zh.empty()) << c.code;
    ASSERT_FALSE(c.code.empty());
    for (char ch : c.code) {
      EXPECT_TRUE((ch >= 'a' && ch <= 'z') || ch == '_') << c.code;
    }
  }
  EXPECT_TRUE(listed(refusal::kNotInThisState));
  EXPECT_TRUE(listed(refusal::kVillageNotConfigured));
  EXPECT_FALSE(listed("no_such_code"));
}

class CaseRefusalTest : public ::testing::Test {
 protected:
  CaseWalk walk(bool emergency = false) {
    const std::string id = "C" + std::to_string(++cases_);
    return CaseWalk(
        rules_, id, "marginal",
        people_.household("3713020010010" + std::to_string(cases_), "371302001001", 3, false),
        at("2024-05-06T09:00"), emergency);
  }

  ProgramRules rules_ = testing::test_rules();
  PeopleGenerator people_{20240506};
  int cases_ = 0;
};

struct Row {
  const char* what;
  // Brings the walk to the state under test and returns the event it must refuse.
  std::function<CaseEvent(CaseWalk&)> event;
  std::string code;
  std::string field;
};

TEST_F(CaseRefusalTest, EveryRefusalHasItsCodeAndField) {
  using namespace refusal;
  const auto opened = [](CaseWalk& w) { w.open(); };
  const auto registered = [](CaseWalk& w) { w.recognise(); };
  const std::vector<Row> rows{
      {"a new machine takes only an opening", [](CaseWalk& w) -> CaseEvent { return w.visit(); },
       std::string{kNotInThisState}, ""},
      {"the state is checked before the payload",
       [](CaseWalk& w) -> CaseEvent {
         auto e = w.visit();
         e.meta.actor.clear();
         return e;
       },
       std::string{kNotInThisState}, ""},
      {"no actor",
       [](CaseWalk& w) -> CaseEvent {
         auto e = w.open_event();
         e.meta.actor.clear();
         return e;
       },
       std::string{kActorMissing}, "meta.actor"},
      {"no case id",
       [](CaseWalk& w) -> CaseEvent {
         auto e = w.open_event();
         e.case_id.clear();
         return e;
       },
       std::string{kCaseIdMissing}, "case_id"},
      {"an unknown kind",
       [](CaseWalk& w) -> CaseEvent {
         auto e = w.open_event();
         e.kind = "unknown";
         return e;
       },
       std::string{kKindNotConfigured}, "kind"},
      {"a wrong check digit of the second member",
       [](CaseWalk& w) -> CaseEvent {
         auto e = w.open_event();
         e.household.members.at(1).id_number = "110105194912310023";
         return e;
       },
       std::string{kIdNumberInvalid}, "household.members[1].id_number"},
      {"a member without a name",
       [](CaseWalk& w) -> CaseEvent {
         auto e = w.open_event();
         e.household.members.at(2).name.clear();
         return e;
       },
       std::string{kMemberNameMissing}, "household.members[2].name"},
      {"no phone",
       [](CaseWalk& w) -> CaseEvent {
         auto e = w.open_event();
         e.household.phone.clear();
         return e;
       },
       std::string{kPhoneMissing}, "household.phone"},
      {"a risk cause twice",
       [](CaseWalk& w) -> CaseEvent {
         auto e = w.open_event();
         e.risk_causes = {RiskCause::kIllness, RiskCause::kIllness};
         return e;
       },
       std::string{kRiskCauseRepeated}, "risk_causes[1]"},
      {"an emergency without its reason",
       [](CaseWalk& w) -> CaseEvent {
         auto e = w.open_event();
         e.emergency = true;
         e.emergency_reason.clear();
         return e;
       },
       std::string{kEmergencyReasonMissing}, "emergency_reason"},
      {"linked to itself",
       [](CaseWalk& w) -> CaseEvent {
         auto e = w.open_event();
         e.previous_case_id = e.case_id;
         return e;
       },
       std::string{kPreviousCaseIsSelf}, "previous_case_id"},
      {"no verifier",
       [&](CaseWalk& w) -> CaseEvent {
         opened(w);
         auto e = w.start_verification();
         e.verifier.clear();
         return e;
       },
       std::string{kVerifierMissing}, "verifier"},
      {"back in time",
       [&](CaseWalk& w) -> CaseEvent {
         opened(w);
         auto e = w.start_verification();
         e.meta.at = w.data().opened.at - std::chrono::seconds{1};
         return e;
       },
       std::string{kEventBeforeLast}, "meta.at"},
      {"income records missing",
       [&](CaseWalk& w) -> CaseEvent {
         opened(w);
         w.ok(w.start_verification());
         auto e = w.eligible_verification();
         e.accounts.pop_back();
         return e;
       },
       std::string{kIncomeRecordsIncomplete}, "accounts"},
      {"an unknown exclusion at verification",
       [&](CaseWalk& w) -> CaseEvent {
         opened(w);
         w.ok(w.start_verification());
         auto e = w.eligible_verification();
         e.exclusions.push_back({"yacht", ""});
         return e;
       },
       std::string{kExclusionUnknown}, "exclusions"},
      {"a review passed without the authorisation",
       [&](CaseWalk& w) -> CaseEvent {
         opened(w);
         w.ok(w.start_verification());
         w.ok(w.eligible_verification());
         return RecordDemocraticReview{w.meta(), true, false};
       },
       std::string{kAssetAuthorisationMissing}, "asset_authorisation_signed"},
      {"a review failed without a reason",
       [&](CaseWalk& w) -> CaseEvent {
         opened(w);
         w.ok(w.start_verification());
         w.ok(w.eligible_verification());
         return RecordDemocraticReview{w.meta(), false, false};
       },
       std::string{kReasonMissing}, "meta.reason"},
      {"publicity closed early",
       [&](CaseWalk& w) -> CaseEvent {
         opened(w);
         w.ok(w.start_verification());
         w.ok(w.eligible_verification());
         w.ok(w.review_pass());
         w.ok(w.county_pass());
         return w.close_publicity();
       },
       std::string{kPublicityNotOver}, ""},
      {"a verification result during publicity",
       [&](CaseWalk& w) -> CaseEvent {
         opened(w);
         w.ok(w.start_verification());
         w.ok(w.eligible_verification());
         w.ok(w.review_pass());
         w.ok(w.county_pass());
         return w.eligible_verification();
       },
       std::string{kNotInThisState}, ""},
      {"assistance during recognition of a case that is not an emergency",
       [&](CaseWalk& w) -> CaseEvent {
         opened(w);
         return w.assign_officer();
       },
       std::string{kNotEmergency}, ""},
      {"a visit before an officer is assigned",
       [&](CaseWalk& w) -> CaseEvent {
         registered(w);
         return w.visit();
       },
       std::string{kOfficerNotAssigned}, ""},
      {"an unknown measure",
       [&](CaseWalk& w) -> CaseEvent {
         registered(w);
         return UpdateMeasure{w.meta(), 7, MeasureStatus::kCompleted};
       },
       std::string{kMeasureUnknown}, "measure_id"},
      {"monitoring of a future month",
       [&](CaseWalk& w) -> CaseEvent {
         registered(w);
         return w.monitoring(month_of(china_date(w.now())) + std::chrono::months{2});
       },
       std::string{kMonitoringMonthInFuture}, "record.account.month"},
      {"a household update that changes the code",
       [&](CaseWalk& w) -> CaseEvent {
         registered(w);
         Household h = w.household();
         h.code += "9";
         return UpdateHousehold{w.meta(), h};
       },
       std::string{kHouseholdCodeChanged}, "household.code"},
      {"a household update with a bad ID number",
       [&](CaseWalk& w) -> CaseEvent {
         registered(w);
         Household h = w.household();
         h.members.at(0).id_number = "123";
         return UpdateHousehold{w.meta(), h};
       },
       std::string{kIdNumberInvalid}, "household.members[0].id_number"},
      {"a clear-out without approvals",
       [&](CaseWalk& w) -> CaseEvent {
         registered(w);
         return ApplyClearOut{w.meta("家庭收入稳定")};
       },
       std::string{kApprovalsMissing}, ""},
      {"a rollback approval while registered",
       [&](CaseWalk& w) -> CaseEvent {
         registered(w);
         return RecordApproval{w.meta("同意"), ApprovalPurpose::kRollback,
                               ApprovalLevel::kTownship};
       },
       std::string{kApprovalPurposeWrong}, "purpose"},
      {"a city approval before the township's and the village's",
       [&](CaseWalk& w) -> CaseEvent {
         registered(w);
         return RecordApproval{w.meta("同意"), ApprovalPurpose::kClearOut, ApprovalLevel::kCity};
       },
       std::string{kApprovalOutOfOrder}, "level"},
      {"assistance after elimination",
       [&](CaseWalk& w) -> CaseEvent {
         registered(w);
         w.eliminate();
         return w.assign_officer();
       },
       std::string{kAssistanceAfterElimination}, ""},
      {"a re-identification without a look-back finding new risk",
       [&](CaseWalk& w) -> CaseEvent {
         registered(w);
         w.eliminate();
         return ReIdentify{w.meta(), "", {RiskCause::kIllness}, false, ""};
       },
       std::string{kLookBackNoNewRisk}, ""},
      {"a routine record of a rejected case",
       [&](CaseWalk& w) -> CaseEvent {
         opened(w);
         w.ok(w.start_verification());
         w.ok(w.ineligible_verification());
         EXPECT_EQ(w.state(), "rejected");
         return UpdateHousehold{w.meta(), w.household()};
       },
       std::string{kNotInThisState}, ""},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    auto w = walk();
    const CaseEvent event = row.event(w);
    const Refusal r = w.refused(event);
    EXPECT_EQ(r.code, row.code) << r.message;
    EXPECT_EQ(r.field, row.field) << r.message;
    EXPECT_TRUE(listed(r.code)) << r.code;
    if (r.code == refusal::kNotInThisState) {
      EXPECT_EQ(r.reason, "");
    } else {
      EXPECT_FALSE(r.reason.empty());
    }
  }
}

// The household guards: the caller (the repository) loads the context, the machine decides.
TEST_F(CaseRefusalTest, HouseholdGuardsDecideWithTheContextPassedIn) {
  auto w = walk();
  const OpenCase e = w.open_event();
  const std::string code = e.household.code;
  struct Context {
    const char* what;
    HouseholdContext context;
    std::string code;
    std::string field;
    std::string reason;
  };
  HouseholdContext unknown_village;
  unknown_village.village_configured = false;
  HouseholdContext in_progress;
  in_progress.case_in_progress_id = "12";
  in_progress.case_in_progress_state = "discovered";
  HouseholdContext no_previous;
  no_previous.previous_case_exists = false;
  HouseholdContext other_household;
  other_household.previous_case_household = "H999";
  const std::vector<Context> rows{
      {"village not configured", unknown_village, std::string{refusal::kVillageNotConfigured},
       "household.village_code",
       "农户所在村（代码 " + e.household.village_code +
           "）不在本县的配置中，请先在配置文件中添加该村"},
      {"another case in progress", in_progress, std::string{refusal::kCaseInProgress},
       "household.code", "农户 " + code + " 已有进行中的案件 12（已发现待入户核实），不能重复建档"},
      {"previous case unknown", no_previous, std::string{refusal::kPreviousCaseUnknown},
       "previous_case_id", "关联的原案件 P7 不存在"},
      {"previous case of another household", other_household,
       std::string{refusal::kPreviousCaseOtherHousehold}, "previous_case_id",
       "关联的原案件 P7 属于另一农户（H999）"},
  };
  for (const Context& row : rows) {
    SCOPED_TRACE(row.what);
    OpenCase linked = e;
    linked.previous_case_id = "P7";
    CaseMachine machine(rules_);
    const EventResult r = machine.handle(linked, row.context);
    ASSERT_FALSE(r.accepted());
    EXPECT_EQ(r.refusal().code, row.code);
    EXPECT_EQ(r.refusal().field, row.field);
    EXPECT_EQ(r.refusal().reason, row.reason);
    EXPECT_EQ(r.refusal().message, "不能建档登记发现的农户：" + row.reason);
    EXPECT_EQ(r.refusal().state, "new");
    EXPECT_EQ(r.refusal().event, "open_case");
    EXPECT_EQ(machine.state(), "new");
    EXPECT_EQ(machine.version(), 0);
  }

  // The payload is checked before the household: a bad payload is refused for itself.
  OpenCase bad = e;
  bad.meta.actor.clear();
  CaseMachine machine(rules_);
  EXPECT_EQ(machine.handle(bad, unknown_village).refusal().code, refusal::kActorMissing);

  // A household that raises no objection, and a previous case of the same household.
  HouseholdContext fine;
  fine.previous_case_household = code;
  OpenCase linked = e;
  linked.previous_case_id = "P7";
  EXPECT_TRUE(machine.handle(linked, fine).accepted());
  EXPECT_EQ(machine.state(), "discovered");
}

// The household guards on a case already open: a move to a village the config does not know,
// and a rollback while another case of the household is in progress. Decided by the machine with
// the context passed in, as at opening; a refusal changes nothing.
TEST_F(CaseRefusalTest, HouseholdGuardsOfAnOpenCaseDecideWithTheContextPassedIn) {
  HouseholdContext unknown_village;
  unknown_village.village_configured = false;
  HouseholdContext other_case;
  other_case.case_in_progress_id = "12";
  other_case.case_in_progress_state = "county_review";
  const HouseholdContext fine;

  // Cases in each region of states: recognition, assisted, eliminated (ready to roll back).
  auto recognising = walk(true);
  recognising.open();
  auto assisted = walk();
  assisted.recognise();
  auto eliminated = walk();
  eliminated.recognise();
  eliminated.eliminate();
  eliminated.ok(
      RecordLookBack{eliminated.meta("收入未稳定超过监测线"), LookBackFinding::kInaccurate});
  auto unapproved = eliminated;
  eliminated.approve(ApprovalPurpose::kRollback);

  const auto moved = [](CaseWalk& w, std::string village) -> CaseEvent {
    Household h = w.household();
    h.village_code = std::move(village);
    return UpdateHousehold{w.meta("迁入新村"), h};
  };
  const std::string village = "371302001001";  // the walks' own village
  const std::string move_reason =
      "农户所在村（代码 371302009009）不在本县的配置中，请先在配置文件中添加该村";
  const std::string update_label{UpdateHousehold::kLabel};
  struct Case {
    const char* what;
    CaseWalk* walk;
    std::function<CaseEvent(CaseWalk&)> event;
    HouseholdContext context;
    std::string code;  // empty: accepted
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases{
      {"recognition: move to an unknown village", &recognising,
       [&](CaseWalk& w) { return moved(w, "371302009009"); }, unknown_village,
       std::string{refusal::kVillageNotConfigured}, "household.village_code",
       "不能" + update_label + "：" + move_reason},
      {"assisted: move to an unknown village", &assisted,
       [&](CaseWalk& w) { return moved(w, "371302009009"); }, unknown_village,
       std::string{refusal::kVillageNotConfigured}, "household.village_code",
       "不能" + update_label + "：" + move_reason},
      {"eliminated: move to an unknown village", &eliminated,
       [&](CaseWalk& w) { return moved(w, "371302009009"); }, unknown_village,
       std::string{refusal::kVillageNotConfigured}, "household.village_code",
       "不能" + update_label + "：" + move_reason},
      {"a household that stays in a village the config dropped", &assisted,
       [&](CaseWalk& w) { return moved(w, village); }, unknown_village, "", "", ""},
      {"a move to a configured village", &assisted,
       [&](CaseWalk& w) { return moved(w, "371302001002"); }, fine, "", "", ""},
      {"other records ignore the village", &assisted,
       [](CaseWalk& w) -> CaseEvent { return w.assign_officer(); }, unknown_village, "", "", ""},
      {"rollback while another case is in progress", &eliminated,
       [](CaseWalk& w) -> CaseEvent { return ApplyRollback{w.meta()}; }, other_case,
       std::string{refusal::kCaseInProgress}, "",
       "不能" + std::string{ApplyRollback::kLabel} + "：农户 " + eliminated.household().code +
           " 已有进行中的案件 "
           "12（县级审核比对），同一农户不能同时有两个进行中的案件，请先办结该案件"},
      // The state's own conditions come first, as when the repository refused after them.
      {"rollback approvals are checked first", &unapproved,
       [](CaseWalk& w) -> CaseEvent { return ApplyRollback{w.meta()}; }, other_case,
       std::string{refusal::kApprovalsMissing}, "", ""},
      {"records of an eliminated case ignore other cases", &eliminated,
       [](CaseWalk& w) -> CaseEvent {
         return RecordLookBack{w.meta(), LookBackFinding::kStable};
       },
       other_case, "", "", ""},
      {"rollback of a household with no other case", &eliminated,
       [](CaseWalk& w) -> CaseEvent { return ApplyRollback{w.meta()}; }, fine, "", "", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    CaseMachine machine = c.walk->machine();
    const CaseSnapshot before = machine.snapshot();
    const EventResult r = machine.handle(c.event(*c.walk), c.context);
    if (c.code.empty()) {
      EXPECT_TRUE(r.accepted()) << r.refusal().message;
      continue;
    }
    ASSERT_FALSE(r.accepted());
    EXPECT_EQ(r.refusal().code, c.code);
    EXPECT_EQ(r.refusal().field, c.field);
    if (!c.message.empty()) {
      EXPECT_EQ(r.refusal().message, c.message);
    }
    EXPECT_EQ(machine.snapshot(), before);
  }
}

}  // namespace
}  // namespace fangfan
