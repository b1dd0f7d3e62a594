#include "workflows/case_machine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "tests/workflows/case_fixture.h"
#include "workflows/program_rules.h"

namespace fangfan {
namespace {

using testing::at;
using testing::CaseWalk;
using testing::PeopleGenerator;

class CaseMachineTest : public ::testing::Test {
 protected:
  CaseWalk walk(std::string kind = "marginal", bool emergency = false, int size = 3,
                bool nobody_can_work = false) {
    const std::string id = "C" + std::to_string(++cases_);
    return CaseWalk(rules_, id, std::move(kind),
                    people_.household("3713020010010" + std::to_string(cases_), "371302001001",
                                      size, nobody_can_work),
                    at("2024-05-06T09:00"), emergency);
  }
  std::vector<std::string> states_of(const CaseWalk& w) {
    std::vector<std::string> out;
    for (const auto& h : w.history()) {
      if (out.empty() || out.back() != h.after) out.push_back(h.after);
    }
    return out;
  }
  // One case in each reachable state (and one not yet opened, "new", when `with_new`): the
  // marginal emergency case through recognition and elimination, one found ineligible, one
  // cleared out.
  std::vector<CaseWalk> one_case_per_state(bool with_new) {
    std::vector<CaseWalk> walks;
    auto a = walk("marginal", true);
    if (with_new) walks.push_back(a);
    a.open();
    walks.push_back(a);
    a.ok(a.start_verification());
    walks.push_back(a);
    a.ok(a.eligible_verification());
    walks.push_back(a);
    a.ok(a.review_pass());
    walks.push_back(a);
    a.ok(a.county_pass());
    walks.push_back(a);
    a.days(6);
    a.ok(a.close_publicity());
    walks.push_back(a);
    a.ok(ProposeElimination{a.meta()});
    walks.push_back(a);
    a.ok(RecordEliminationReview{a.meta(), true});
    walks.push_back(a);
    a.ok(RecordTownshipReview{a.meta(), true});
    walks.push_back(a);
    a.days(6);
    a.ok(CloseEliminationPublicity{a.meta()});
    walks.push_back(a);
    auto b = walk();
    b.open();
    b.ok(b.start_verification());
    b.ok(b.ineligible_verification());
    walks.push_back(b);
    auto c = walk();
    c.recognise();
    c.approve(ApprovalPurpose::kClearOut);
    c.ok(ApplyClearOut{c.meta("不符合条件")});
    walks.push_back(c);
    return walks;
  }

  ProgramRules rules_ = testing::test_rules();
  PeopleGenerator people_{20240506};
  int cases_ = 0;
};

// -- recognition -----------------------------------------------------------------

TEST_F(CaseMachineTest, FullRecognitionReportsEveryStep) {
  auto w = walk("marginal");
  EXPECT_EQ(w.state(), "new");
  EXPECT_EQ(w.machine().version(), 0);

  auto o = w.ok(w.open_event());
  EXPECT_EQ(w.state(), "discovered");
  EXPECT_EQ(o.entry.before, "new");
  EXPECT_EQ(o.step_started, kStepHouseholdVerification);
  EXPECT_FALSE(o.step_ended);
  EXPECT_FALSE(o.assistance_started);

  o = w.ok(w.start_verification());
  EXPECT_EQ(w.state(), "household_verification");
  EXPECT_FALSE(o.step_started);  // the verification step runs since discovery
  EXPECT_FALSE(o.step_ended);

  o = w.ok(w.eligible_verification());
  EXPECT_EQ(w.state(), "democratic_review");
  EXPECT_EQ(o.step_ended, kStepHouseholdVerification);
  EXPECT_EQ(o.step_started, kStepDemocraticReview);
  ASSERT_TRUE(w.data().verification);
  EXPECT_TRUE(w.data().verification->eligible);
  EXPECT_EQ(w.data().verification->per_capita_income_fen, 649999);

  o = w.ok(w.review_pass());
  EXPECT_EQ(w.state(), "county_review");
  EXPECT_EQ(o.step_ended, kStepDemocraticReview);
  EXPECT_EQ(o.step_started, kStepCountyReview);

  o = w.ok(w.county_pass());
  EXPECT_EQ(w.state(), "village_publicity");
  EXPECT_EQ(o.step_ended, kStepCountyReview);
  EXPECT_EQ(o.step_started, kStepVillagePublicity);

  w.days(6);
  o = w.ok(w.close_publicity());
  EXPECT_EQ(w.state(), "registered");
  EXPECT_EQ(o.step_ended, kStepVillagePublicity);
  EXPECT_FALSE(o.step_started);
  EXPECT_TRUE(o.assistance_started);
  EXPECT_TRUE(w.machine().assisted());
  EXPECT_TRUE(w.data().registered_at);
  EXPECT_EQ(w.machine().version(), 6);
  EXPECT_TRUE(o.notices.empty());
}

TEST_F(CaseMachineTest, ShortKindSkipsReviewAndPublicity) {
  auto w = walk("monitored_formerly_poor");
  w.recognise();
  EXPECT_EQ(states_of(w), (std::vector<std::string>{"discovered", "household_verification",
                                                    "county_review", "registered"}));
  // county_review -> registered ends the step and starts none.
  EXPECT_EQ(w.history().back().event, "record_county_review");
}

TEST_F(CaseMachineTest, EveryKindFollowsItsConfiguredSteps) {
  for (const auto& kind : testing::all_kinds()) {
    SCOPED_TRACE(kind);
    auto w = walk(kind);
    w.recognise();
    std::vector<std::string> steps;
    for (const auto& s : states_of(w)) {
      const auto* info = find_case_state(s);
      if (!info->step.empty() && (steps.empty() || steps.back() != info->step)) {
        steps.emplace_back(info->step);
      }
    }
    EXPECT_EQ(steps, rules_.find_kind(kind)->steps);
  }
}

TEST_F(CaseMachineTest, IneligibleAtVerificationIsRejectedWithAWrittenNotice) {
  auto w = walk();
  w.open();
  w.ok(w.start_verification());
  auto o = w.ok(w.ineligible_verification());
  EXPECT_EQ(w.state(), "rejected");
  EXPECT_EQ(o.step_ended, kStepHouseholdVerification);
  ASSERT_EQ(o.notices.size(), 1u);
  const Notice& n = o.notices[0];
  EXPECT_EQ(n.kind, NoticeKind::kRejection);
  EXPECT_EQ(n.household_code, w.household().code);
  EXPECT_EQ(n.reason, "家庭年人均可支配收入6500.00元，不低于监测线6500.00元");
  EXPECT_NE(n.text.find("经入户核实，家庭年人均可支配收入6500.00元"), std::string::npos) << n.text;
  EXPECT_NE(n.text.find("暂不纳入监测帮扶范围"), std::string::npos);
  EXPECT_EQ(n.text.find(w.household().members[0].id_number), std::string::npos);
  EXPECT_EQ(w.data().notices, o.notices);
  EXPECT_EQ(w.data().closing_reason, n.reason);

  auto r = w.refused(w.visit());
  EXPECT_EQ(r.message, "案件已结案，结果为“未纳入监测（已书面告知）”，不能登记走访记录");
}

TEST_F(CaseMachineTest, ExclusionAtVerificationUsesTheConfiguredSentence) {
  auto w = walk();
  w.open();
  w.ok(w.start_verification());
  auto e = w.eligible_verification();
  e.exclusions = {{"town_housing", "2022年在县城购房"}};
  auto o = w.ok(e);
  EXPECT_EQ(w.state(), "rejected");
  ASSERT_EQ(o.notices.size(), 1u);
  EXPECT_EQ(o.notices[0].reason,
            "存在原则上不纳入监测的情形：在城镇购买商品房（拆迁安置除外）（2022年在县城购房）");
}

TEST_F(CaseMachineTest, IncompleteVerificationIsRefused) {
  auto w = walk();
  w.open();
  w.ok(w.start_verification());
  auto e = w.eligible_verification();
  e.accounts.pop_back();
  auto r = w.refused(e);
  EXPECT_EQ(r.message,
            "案件处于“入户核实”阶段，不能登记入户核实结果：收入计算期（2023年5月至2024年4月）"
            "的收支记录不全，缺少2024年4月");
  e = w.eligible_verification();
  e.discretion = Discretion{"", "县乡村振兴局刘*"};
  EXPECT_EQ(w.refused(e).reason, "酌情纳入须写明理由");
}

TEST_F(CaseMachineTest, DiscretionaryAdmissionIsRecordedWithItsActor) {
  auto w = walk();
  w.open();
  w.ok(w.start_verification());
  auto e = w.ineligible_verification();
  e.discretion = Discretion{"无稳定收入来源，支出明显高于收入", "县乡村振兴局刘*"};
  auto o = w.ok(e);
  EXPECT_EQ(w.state(), "democratic_review");
  EXPECT_TRUE(w.data().verification->discretionary);
  bool actor_in_details = false;
  for (const auto& [k, v] : o.entry.details) {
    if (k == "discretion_actor" && v == "县乡村振兴局刘*") actor_in_details = true;
  }
  EXPECT_TRUE(actor_in_details);
}

// Issue 14 item 4 (eligibility per year): [000] "2024年省定监测线确定为6500元", the income
// "计算周期为农户发现月份的上年度本月到本年度上月" — the line is a year's, chosen by the discovery
// month, so a later reader of the history (a look-back, an inspection) must see which year's line
// decided and the line itself to the fen. Both outcomes of household verification record them.
TEST_F(CaseMachineTest, VerificationRecordsTheYearAndTheFenOfTheLineThatDecided) {
  ProgramRules rules = rules_;  // 2024: 6500 yuan
  rules.eligibility.other_years = {{2025, 7000}, {2023, 6000}};
  struct Row {
    const char* start;
    bool eligible;
    const char* line_year;
    const char* line_fen;
  };
  const std::vector<Row> rows = {
      {"2024-05-06T09:00", true, "2024", "650000"},
      {"2024-05-06T09:00", false, "2024", "650000"},
      {"2025-06-02T09:00", true, "2025", "700000"},
      {"2026-03-02T09:00", true, "2025", "700000"},  // no 2026 line: 2025's is in force
      {"2023-11-06T09:00", false, "2023", "600000"},
  };
  int n = 0;
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.start) + (row.eligible ? " eligible" : " ineligible"));
    ++n;
    CaseWalk w(rules, "Y" + std::to_string(n), "marginal",
               people_.household("37130200100199" + std::to_string(n), "371302001001", 3, false),
               at(row.start));
    w.open();
    w.ok(w.start_verification());
    auto e = row.eligible ? w.eligible_verification() : w.ineligible_verification();
    // The fixture's accounts sit at 6500 yuan a head: scale them to the year's line.
    const std::int64_t line = std::stoll(row.line_fen);
    for (auto& a : e.accounts) {
      a.wage_income_fen = a.wage_income_fen * line / 650000;
      a.medical_expense_fen = a.medical_expense_fen * line / 650000;
    }
    const Outcome o = w.ok(e);
    std::map<std::string, std::string> details(o.entry.details.begin(), o.entry.details.end());
    EXPECT_EQ(details["eligible"], row.eligible ? "true" : "false");
    EXPECT_EQ(details["monitoring_line_year"], row.line_year);
    EXPECT_EQ(details["monitoring_line_fen"], row.line_fen);
    EXPECT_EQ(details["monitoring_line_yuan"], format_yuan(line));
  }
}

TEST_F(CaseMachineTest, DemocraticReviewGuards) {
  auto w = walk();
  w.open();
  w.ok(w.start_verification());
  w.ok(w.eligible_verification());
  auto r = w.refused(RecordDemocraticReview{w.meta(), true, false});
  EXPECT_EQ(r.reason, "农户尚未签订授权核查家庭资产信息承诺书，不能报县级审核");
  r = w.refused(RecordDemocraticReview{w.meta(), false, false});
  EXPECT_EQ(r.reason, "民主评议未通过时须写明原因（将书面告知农户）");
  auto o =
      w.ok(RecordDemocraticReview{w.meta("村民代表多数认为家庭经营收入未如实申报"), false, false});
  EXPECT_EQ(w.state(), "rejected");
  ASSERT_EQ(o.notices.size(), 1u);
  EXPECT_EQ(o.notices[0].step, kStepDemocraticReview);
  EXPECT_EQ(o.notices[0].reason, "村民代表多数认为家庭经营收入未如实申报");
  EXPECT_NE(o.notices[0].text.find("：经民主评议，村民代表多数认为家庭经营收入未如实申报。"),
            std::string::npos)
      << o.notices[0].text;
  EXPECT_EQ(o.notices[0].text.find("民主评议未通过"), std::string::npos) << o.notices[0].text;
}

TEST_F(CaseMachineTest, CountyCrossCheckRejectsWithTheNamedReason) {
  auto w = walk();
  w.open();
  w.ok(w.start_verification());
  w.ok(w.eligible_verification());
  w.ok(w.review_pass());
  auto r = w.refused(RecordCountyReview{w.meta(), {{"yacht", ""}}, ""});
  EXPECT_EQ(r.reason, "排除情形“yacht”不在本地配置的不纳入情形清单中");
  auto o = w.ok(RecordCountyReview{w.meta(), {{"car", "公安车辆信息比对"}}, ""});
  EXPECT_EQ(w.state(), "rejected");
  EXPECT_EQ(o.step_ended, kStepCountyReview);
  ASSERT_EQ(o.notices.size(), 1u);
  EXPECT_EQ(
      o.notices[0].reason,
      "信息比对发现存在原则上不纳入监测的情形：拥有并经常使用高档乘用车辆（公安车辆信息比对）");
  EXPECT_EQ(w.data().cross_check_exclusions.size(), 1u);
}

TEST_F(CaseMachineTest, CountyReviewMayRejectForAnotherReason) {
  auto w = walk("monitored_formerly_poor");
  w.open();
  w.ok(w.start_verification());
  w.ok(w.eligible_verification());
  EXPECT_EQ(w.state(), "county_review");
  auto o = w.ok(RecordCountyReview{w.meta(), {}, "家庭成员中有财政供养人员"});
  EXPECT_EQ(w.state(), "rejected");
  EXPECT_EQ(o.notices.at(0).reason, "家庭成员中有财政供养人员");
}

TEST_F(CaseMachineTest, PublicityObjectionReturnsToReview) {
  auto w = walk("instant");
  w.open();
  w.ok(w.start_verification());
  w.ok(w.eligible_verification());
  w.ok(w.review_pass());
  w.ok(w.county_pass());
  EXPECT_EQ(w.refused(PublicityObjection{w.meta()}).reason, "须写明公示异议的内容");
  auto o = w.ok(PublicityObjection{w.meta("有村民反映该户有营运车辆")});
  EXPECT_EQ(w.state(), "democratic_review");
  EXPECT_EQ(o.step_ended, kStepVillagePublicity);
  EXPECT_EQ(o.step_started, kStepDemocraticReview);
  EXPECT_FALSE(w.data().publicity_started_at);
  EXPECT_EQ(w.data().objections, std::vector<std::string>{"有村民反映该户有营运车辆"});
  w.ok(w.review_pass());
  w.ok(w.county_pass());
  EXPECT_EQ(w.state(), "village_publicity");
}

TEST_F(CaseMachineTest, PublicityLastsFiveDays) {
  auto w = walk();
  w.open();
  w.ok(w.start_verification());
  w.ok(w.eligible_verification());
  w.ok(w.review_pass());
  w.ok(w.county_pass());  // publicity from 2024-05-06
  // [000] "公示期5天": 05-07..05-11 are the five days; on the fifth itself it is still running.
  w.days(5);
  auto r = w.refused(w.close_publicity());
  EXPECT_EQ(r.message,
            "案件处于“村级公示”阶段，不能结束村级公示并录入监测对象：村级公示期为5天"
            "（2024-05-06起公示，2024-05-11公示期满），2024-05-12起才能结束公示");
  w.days(1);
  w.ok(w.close_publicity());
  EXPECT_EQ(w.state(), "registered");
}

TEST_F(CaseMachineTest, ExactRefusalSentenceForAStateThatDoesNotAcceptTheEvent) {
  auto w = walk();
  w.open();
  w.ok(w.start_verification());
  w.ok(w.eligible_verification());
  w.ok(w.review_pass());
  w.ok(w.county_pass());
  auto r = w.refused(w.eligible_verification());
  EXPECT_EQ(r.message, "案件处于“村级公示”阶段，不能登记入户核实结果");
  EXPECT_EQ(r.reason, "");
  EXPECT_EQ(r.state, "village_publicity");
  EXPECT_EQ(r.event, "record_verification");
}

TEST_F(CaseMachineTest, OpeningIsValidated) {
  auto w = walk();
  auto e = w.open_event();
  e.household.members.at(1).name = "王芳";
  e.household.members.at(1).id_number = "110105194912310023";
  auto r = w.refused(e);
  EXPECT_EQ(
      r.message,
      "案件尚未建档，不能建档登记发现的农户：第2位成员（王*）的身份证号校验位错误：应为X，实际为3");

  e = w.open_event();
  e.kind = "unknown";
  EXPECT_EQ(w.refused(e).reason, "监测对象类型“unknown”未在本地配置中");
  e = w.open_event();
  e.risk_causes.clear();
  EXPECT_EQ(w.refused(e).reason, "至少应选择一种致贫返贫风险类型");
  e = w.open_event();
  e.risk_causes = {RiskCause::kIllness, RiskCause::kIllness};
  EXPECT_EQ(w.refused(e).reason, "风险类型“因病”重复");
  e = w.open_event();
  e.emergency = true;
  e.emergency_reason.clear();
  EXPECT_EQ(w.refused(e).reason, "标记为紧急（先帮扶、后认定）的案件须写明紧急原因");
  e = w.open_event();
  e.meta.actor.clear();
  EXPECT_EQ(w.refused(e).reason, "未填写操作人");
  e = w.open_event();
  e.case_id.clear();
  EXPECT_EQ(w.refused(e).reason, "案件编号未填写");

  w.open();
  EXPECT_EQ(w.refused(w.open_event()).message,
            "案件处于“已发现待入户核实”阶段，不能建档登记发现的农户");
}

TEST_F(CaseMachineTest, NothingButOpeningOnANewMachine) {
  auto w = walk();
  EXPECT_EQ(w.refused(w.visit()).message, "案件尚未建档，不能登记走访记录");
  EXPECT_EQ(w.refused(w.start_verification()).message, "案件尚未建档，不能开始入户核实");
}

TEST_F(CaseMachineTest, EventsMayNotGoBackInTime) {
  auto w = walk();
  w.open();
  auto e = w.start_verification();
  e.meta.at = w.data().opened.at - std::chrono::seconds{1};
  auto r = w.refused(e);
  EXPECT_EQ(r.reason,
            "事件时间（2024-05-06T09:09:59+08:00）早于本案上一次记录的时间"
            "（2024-05-06T09:10:00+08:00）");
  e.meta.at = w.data().opened.at;  // the same instant is fine
  w.ok(e);
}

// -- assist first, recognise later -------------------------------------------------

TEST_F(CaseMachineTest, OnlyEmergencyCasesAreAssistedDuringRecognition) {
  auto w = walk("sudden", false);
  w.open();
  auto r = w.refused(w.assign_officer());
  EXPECT_EQ(r.message,
            "案件处于“已发现待入户核实”阶段，不能指定帮扶责任人：案件尚未录入为监测对象；只有标记为"
            "紧急（先帮扶、后认定）的案件才能在认定期间开展帮扶");
  // Household changes are accepted during recognition whatever the flag.
  Household h = w.household();
  h.members[0].able_to_work = false;
  w.ok(UpdateHousehold{w.meta(), h});
}

TEST_F(CaseMachineTest, EmergencyAssistanceStaysInHistoryWhenRejected) {
  auto w = walk("sudden", true);
  auto o = w.ok(w.open_event());
  EXPECT_TRUE(o.assistance_started);
  EXPECT_TRUE(w.machine().assisted());
  w.ok(w.assign_officer());
  w.ok(w.measure(MeasureType::kSocialAid));
  w.ok(w.visit());
  w.ok(w.start_verification());
  w.ok(w.visit());
  w.ok(w.eligible_verification());
  w.ok(w.review_pass());
  o = w.ok(RecordCountyReview{w.meta(), {{"company", "市场监管比对：注册企业一家"}}, ""});
  EXPECT_EQ(w.state(), "rejected");
  EXPECT_TRUE(o.assistance_ended);
  EXPECT_FALSE(w.machine().assisted());
  EXPECT_EQ(w.data().measures.size(), 1u);
  EXPECT_EQ(w.data().visits.size(), 2u);
  int visits_in_history = 0;
  for (const auto& h : w.history()) visits_in_history += h.event == "record_visit";
  EXPECT_EQ(visits_in_history, 2);
}

// -- assistance ----------------------------------------------------------------------

TEST_F(CaseMachineTest, VisitNeedsAnOfficer) {
  auto w = walk();
  w.recognise();
  auto r = w.refused(w.visit());
  EXPECT_EQ(r.message,
            "案件处于“监测帮扶”阶段，不能登记走访记录：尚未指定帮扶责任人，须先指定帮扶责任人才能登"
            "记走访");
  w.ok(w.assign_officer());
  auto o = w.ok(w.visit());
  EXPECT_EQ(o.entry.before, "registered");
  EXPECT_EQ(o.entry.after, "registered");
  EXPECT_FALSE(o.step_started);
  EXPECT_FALSE(o.step_ended);
  ASSERT_EQ(w.data().visits.size(), 1u);
  EXPECT_EQ(w.data().visits[0].officer, "第一书记赵*");

  auto future = w.visit();
  future.date = china_date(future.meta.at) + std::chrono::days{1};
  EXPECT_EQ(w.refused(future).reason, "走访日期2024-05-18晚于登记日期");
  auto early = w.visit();
  early.date = *parse_date("2024-05-05");
  EXPECT_EQ(w.refused(early).reason, "走访日期2024-05-05早于案件建档日期2024-05-06");
  auto blank = w.visit();
  blank.findings.clear();
  EXPECT_EQ(w.refused(blank).reason, "须写明走访发现的情况");
}

TEST_F(CaseMachineTest, MeasuresAndTheirStatus) {
  auto w = walk();
  w.recognise();
  w.ok(w.measure(MeasureType::kEmployment, MeasureStatus::kPlanned));
  auto o = w.ok(UpdateMeasure{w.meta(), 1, MeasureStatus::kInPlace});
  EXPECT_EQ(w.data().measures[0].status, MeasureStatus::kInPlace);
  EXPECT_EQ(o.entry.details.at(1), (std::pair<std::string, std::string>{"from", "planned"}));
  EXPECT_EQ(w.refused(UpdateMeasure{w.meta(), 1, MeasureStatus::kInPlace}).reason,
            "编号为1的帮扶措施已经是“已落实”");
  EXPECT_EQ(w.refused(UpdateMeasure{w.meta(), 2, MeasureStatus::kInPlace}).reason,
            "没有编号为2的帮扶措施");
  w.ok(UpdateMeasure{w.meta(), 1, MeasureStatus::kCompleted});
  EXPECT_EQ(w.refused(UpdateMeasure{w.meta(), 1, MeasureStatus::kStopped}).reason,
            "编号为1的帮扶措施已完成，不能再更改状态");
  auto blank = w.measure(MeasureType::kHousing);
  blank.description.clear();
  EXPECT_EQ(w.refused(blank).reason, "须写明帮扶措施的内容");
}

TEST_F(CaseMachineTest, MonitoringOncePerMonthAndNotInTheFuture) {
  auto w = walk();
  w.recognise();
  using std::chrono::June;
  using std::chrono::May;
  using std::chrono::year;
  w.ok(w.monitoring(year{2024} / May));
  EXPECT_EQ(w.refused(w.monitoring(year{2024} / May)).reason, "2024年5月的监测记录已经登记");
  EXPECT_EQ(w.refused(w.monitoring(year{2024} / June)).reason,
            "不能登记未来月份（2024年6月）的监测记录");
  w.days(20);
  w.ok(w.monitoring(year{2024} / June));
  EXPECT_EQ(w.data().monitoring.size(), 2u);
}

TEST_F(CaseMachineTest, DevelopmentalAssistanceMark) {
  auto w = walk();
  w.recognise();
  const Date today = china_date(w.now());
  EXPECT_EQ(w.refused(MarkDevelopmental{w.meta(), today}).reason, "尚无已落实的产业或就业帮扶措施");
  w.ok(w.measure(MeasureType::kMedical));
  EXPECT_EQ(w.refused(MarkDevelopmental{w.meta(), today}).reason, "尚无已落实的产业或就业帮扶措施");
  w.ok(w.measure(MeasureType::kIndustry));
  // Issue 14: [001] "经乡村两级确认后" — the mark needs the village's and township's confirmation.
  EXPECT_EQ(w.refused(MarkDevelopmental{w.meta(), today}).reason,
            "已实施开发式帮扶须经乡村两级确认后标注，尚缺村、乡镇的确认意见");
  w.ok(ConfirmHouseholdStatus{w.meta("产业帮扶已落实"), HouseholdStatus::kDevelopmental,
                              ApprovalLevel::kVillage});
  w.ok(ConfirmHouseholdStatus{w.meta("同意"), HouseholdStatus::kDevelopmental,
                              ApprovalLevel::kTownship});
  w.ok(MarkDevelopmental{w.meta(), today});
  EXPECT_EQ(w.data().developmental_assistance_on, today);
  EXPECT_EQ(w.refused(MarkDevelopmental{w.meta(), today}).reason,
            "已于2024-05-17标注已实施开发式帮扶");

  // Confirmed guaranteed support (not the members' flags) rules the mark out.
  auto v = walk("marginal", false, 2, true);
  v.recognise();
  v.ok(v.measure(MeasureType::kEmployment));
  v.ok(ConfirmHouseholdStatus{v.meta("整户无劳动能力"), HouseholdStatus::kGuaranteedSupport,
                              ApprovalLevel::kVillage});
  v.ok(ConfirmHouseholdStatus{v.meta("同意"), HouseholdStatus::kGuaranteedSupport,
                              ApprovalLevel::kTownship});
  EXPECT_EQ(v.refused(MarkDevelopmental{v.meta(), china_date(v.now())}).reason,
            "该户已认定为整户无劳动能力兜底保障户，不标注开发式帮扶");
}

TEST_F(CaseMachineTest, HouseholdUpdatesAreValidatedAndKeepTheCode) {
  auto w = walk();
  w.recognise();
  Household h = w.household();
  h.code = w.household().code + "9";  // well formed, but another household
  EXPECT_EQ(w.refused(UpdateHousehold{w.meta(), h}).reason,
            "户编号不能更改（原为" + w.household().code + "）");
  h = w.household();
  h.members.pop_back();
  auto o = w.ok(UpdateHousehold{w.meta(), h});
  EXPECT_EQ(w.data().household.members.size(), 2u);
  EXPECT_EQ(o.entry.details.at(0), (std::pair<std::string, std::string>{"members_before", "3"}));
}

TEST_F(CaseMachineTest, OfficerIsReassigned) {
  auto w = walk();
  w.recognise();
  w.ok(w.assign_officer("驻村队员甲"));
  auto o = w.ok(w.assign_officer("驻村队员乙"));
  EXPECT_EQ(w.data().officer, "驻村队员乙");
  EXPECT_EQ(o.entry.details.at(0),
            (std::pair<std::string, std::string>{"previous_officer", "驻村队员甲"}));
  EXPECT_EQ(w.refused(w.assign_officer("")).reason, "须写明帮扶责任人");
}

// -- exit -------------------------------------------------------------------------------

TEST_F(CaseMachineTest, EliminationProcedure) {
  auto w = walk();
  w.recognise();
  auto o = w.ok(ProposeElimination{w.meta()});
  EXPECT_EQ(w.state(), "elimination_review");
  EXPECT_EQ(o.step_started, kStepEliminationReview);
  EXPECT_FALSE(o.assistance_ended);
  o = w.ok(RecordEliminationReview{w.meta(), true});
  EXPECT_EQ(w.state(), "township_elimination_review");
  EXPECT_EQ(o.step_ended, kStepEliminationReview);
  EXPECT_EQ(o.step_started, kStepTownshipEliminationReview);
  o = w.ok(RecordTownshipReview{w.meta(), true});
  EXPECT_EQ(w.state(), "elimination_publicity");
  EXPECT_EQ(o.step_started, kStepEliminationPublicity);
  w.days(5);
  auto r = w.refused(CloseEliminationPublicity{w.meta()});
  EXPECT_EQ(
      r.reason,
      "风险消除公示期为5天（2024-05-17起公示，2024-05-22公示期满），2024-05-23起才能结束公示");
  w.days(1);
  o = w.ok(CloseEliminationPublicity{w.meta()});
  EXPECT_EQ(w.state(), "eliminated");
  EXPECT_EQ(o.step_ended, kStepEliminationPublicity);
  EXPECT_TRUE(o.assistance_ended);
  EXPECT_TRUE(w.data().eliminated_at);
}

TEST_F(CaseMachineTest, EliminationReviewsMayKeepTheCaseAssisted) {
  auto w = walk();
  w.recognise();
  w.ok(ProposeElimination{w.meta()});
  EXPECT_EQ(w.refused(RecordEliminationReview{w.meta(), false}).reason,
            "民主评议认为风险未消除时须写明原因");
  auto o = w.ok(RecordEliminationReview{w.meta("家中仍有重病患者"), false});
  EXPECT_EQ(w.state(), "registered");
  EXPECT_EQ(o.step_ended, kStepEliminationReview);
  w.ok(ProposeElimination{w.meta()});
  w.ok(RecordEliminationReview{w.meta(), true});
  EXPECT_EQ(w.refused(RecordTownshipReview{w.meta(), false}).reason,
            "乡镇审核不同意风险消除时须写明原因");
  w.ok(RecordTownshipReview{w.meta("收入不稳定"), false});
  EXPECT_EQ(w.state(), "registered");
  w.ok(ProposeElimination{w.meta()});
  w.ok(RecordEliminationReview{w.meta(), true});
  w.ok(RecordTownshipReview{w.meta(), true});
  EXPECT_EQ(w.refused(EliminationObjection{w.meta()}).reason, "须写明公示异议的内容");
  o = w.ok(EliminationObjection{w.meta("有村民反映该户仍有大额医疗支出")});
  EXPECT_EQ(w.state(), "elimination_review");
  EXPECT_EQ(o.step_ended, kStepEliminationPublicity);
  EXPECT_EQ(o.step_started, kStepEliminationReview);
}

// Issue 14: the status village and township confirmed decides, not the members' flags ([001]
// "由乡村两级进行认定").
TEST_F(CaseMachineTest, NoEliminationWhenNobodyCanWork) {
  auto w = walk("marginal", false, 2, true);
  w.recognise();
  w.ok(ConfirmHouseholdStatus{w.meta("整户无劳动能力"), HouseholdStatus::kGuaranteedSupport,
                              ApprovalLevel::kVillage});
  w.ok(ConfirmHouseholdStatus{w.meta("同意"), HouseholdStatus::kGuaranteedSupport,
                              ApprovalLevel::kTownship});
  auto r = w.refused(ProposeElimination{w.meta()});
  EXPECT_EQ(r.message,
            "案件处于“监测帮扶”阶段，不能提出风险消除：该户已经乡村两级认定为整户无劳动能力兜底"
            "保障户，按规定暂不标注风险消除");

  // A household confirmed during the publicity is refused at the mark.
  auto v = walk();
  v.recognise();
  v.ok(ProposeElimination{v.meta()});
  v.ok(RecordEliminationReview{v.meta(), true});
  v.ok(RecordTownshipReview{v.meta(), true});
  v.ok(ConfirmHouseholdStatus{v.meta("整户无劳动能力"), HouseholdStatus::kGuaranteedSupport,
                              ApprovalLevel::kVillage});
  v.ok(ConfirmHouseholdStatus{v.meta("同意"), HouseholdStatus::kGuaranteedSupport,
                              ApprovalLevel::kTownship});
  v.days(6);
  EXPECT_EQ(v.refused(CloseEliminationPublicity{v.meta()}).reason,
            "该户已经乡村两级认定为整户无劳动能力兜底保障户，按规定暂不标注风险消除");
}

TEST_F(CaseMachineTest, LookBackAndRollbackNeedThreeApprovals) {
  auto w = walk();
  w.recognise();
  w.eliminate();
  EXPECT_EQ(
      w.refused(w.visit()).reason,
      "风险已消除的案件不再登记帮扶记录；如风险消除不精准，请先登记回头看结果并申请风险消除回退");
  EXPECT_EQ(w.refused(RecordApproval{w.meta("同意"), ApprovalPurpose::kRollback,
                                     ApprovalLevel::kTownship})
                .reason,
            "须先在回头看中认定风险消除不精准，才能申请风险消除回退");
  w.ok(RecordLookBack{w.meta(), LookBackFinding::kStable});
  EXPECT_EQ(w.refused(RecordLookBack{w.meta(), LookBackFinding::kInaccurate}).reason,
            "回头看发现问题时须写明具体情况");
  w.ok(RecordLookBack{w.meta("收入未稳定超过监测线"), LookBackFinding::kInaccurate});
  EXPECT_EQ(
      w.refused(ApplyRollback{w.meta()}).reason,
      "风险消除回退须经乡镇、村两级审核并报市乡村振兴局同意，尚缺乡镇、村、市乡村振兴局的审核意见");
  EXPECT_EQ(w.refused(RecordApproval{w.meta("同意"), ApprovalPurpose::kClearOut,
                                     ApprovalLevel::kTownship})
                .reason,
            "已标注风险消除的案件只能登记风险消除回退的审核意见");
  w.ok(RecordApproval{w.meta("同意"), ApprovalPurpose::kRollback, ApprovalLevel::kTownship});
  EXPECT_EQ(
      w.refused(RecordApproval{w.meta("同意"), ApprovalPurpose::kRollback, ApprovalLevel::kCity})
          .reason,
      "须先登记乡镇和村两级审核意见，才能登记市乡村振兴局对风险消除回退的审核意见");
  EXPECT_EQ(w.refused(RecordApproval{w.meta("同意"), ApprovalPurpose::kRollback,
                                     ApprovalLevel::kTownship})
                .reason,
            "乡镇对风险消除回退的审核意见已经登记");
  w.ok(RecordApproval{w.meta("同意"), ApprovalPurpose::kRollback, ApprovalLevel::kVillage});
  EXPECT_EQ(w.refused(ApplyRollback{w.meta()}).reason,
            "风险消除回退须经乡镇、村两级审核并报市乡村振兴局同意，尚缺市乡村振兴局的审核意见");
  w.ok(RecordApproval{w.meta("同意"), ApprovalPurpose::kRollback, ApprovalLevel::kCity});
  auto o = w.ok(ApplyRollback{w.meta()});
  EXPECT_EQ(w.state(), "registered");
  EXPECT_TRUE(o.assistance_started);
  EXPECT_TRUE(w.data().approvals.empty());
  EXPECT_FALSE(w.data().eliminated_at);
  EXPECT_TRUE(w.data().rolled_back_at);

  // A second elimination needs a new look-back before another rollback.
  w.eliminate();
  EXPECT_EQ(w.refused(RecordApproval{w.meta("同意"), ApprovalPurpose::kRollback,
                                     ApprovalLevel::kTownship})
                .reason,
            "须先在回头看中认定风险消除不精准，才能申请风险消除回退");
}

TEST_F(CaseMachineTest, ApprovalsNeedAnOpinion) {
  auto w = walk();
  w.recognise();
  EXPECT_EQ(
      w.refused(RecordApproval{w.meta(), ApprovalPurpose::kClearOut, ApprovalLevel::kTownship})
          .reason,
      "审核意见须写明具体意见");
  w.eliminate();
  w.ok(RecordLookBack{w.meta("收入未稳定超过监测线"), LookBackFinding::kInaccurate});
  EXPECT_EQ(
      w.refused(RecordApproval{w.meta(), ApprovalPurpose::kRollback, ApprovalLevel::kTownship})
          .reason,
      "审核意见须写明具体意见");
}

TEST_F(CaseMachineTest, RollbackApprovalsLapseWithALaterLookBack) {
  auto w = walk();
  w.recognise();
  w.eliminate();
  w.ok(RecordLookBack{w.meta("收入未稳定超过监测线"), LookBackFinding::kInaccurate});
  w.approve(ApprovalPurpose::kRollback);
  // A later look-back finds the household stable: the rollback request it rested on is gone.
  w.ok(RecordLookBack{w.meta(), LookBackFinding::kStable});
  EXPECT_TRUE(w.data().approvals.empty());
  EXPECT_EQ(w.refused(ApplyRollback{w.meta()}).reason,
            "最近一次回头看未认定风险消除不精准，不能执行风险回退");
  // Found inaccurate again: the three levels must approve again.
  w.ok(RecordLookBack{w.meta("收入核算有误"), LookBackFinding::kInaccurate});
  EXPECT_EQ(
      w.refused(ApplyRollback{w.meta()}).reason,
      "风险消除回退须经乡镇、村两级审核并报市乡村振兴局同意，尚缺乡镇、村、市乡村振兴局的审核意见");
  w.approve(ApprovalPurpose::kRollback);
  w.ok(ApplyRollback{w.meta()});
  EXPECT_EQ(w.state(), "registered");
}

TEST_F(CaseMachineTest, ClearOutApprovalsLapseWhenTheCaseMoves) {
  auto w = walk();
  w.recognise();
  w.approve(ApprovalPurpose::kClearOut);
  w.eliminate();
  EXPECT_TRUE(w.data().approvals.empty());
  w.ok(RecordLookBack{w.meta("收入核算有误"), LookBackFinding::kInaccurate});
  w.approve(ApprovalPurpose::kRollback);
  w.ok(ApplyRollback{w.meta()});
  EXPECT_EQ(w.state(), "registered");
  EXPECT_EQ(w.refused(ApplyClearOut{w.meta("家庭成员有财政供养人员")}).reason,
            "清退须经乡镇、村两级审核并报市乡村振兴局同意，尚缺乡镇、村、市乡村振兴局的审核意见");
  // Also when an elimination review sends the case back to assistance.
  w.approve(ApprovalPurpose::kClearOut);
  w.ok(ProposeElimination{w.meta()});
  w.ok(RecordEliminationReview{w.meta("收入不稳定"), false});
  EXPECT_EQ(w.state(), "registered");
  EXPECT_TRUE(w.data().approvals.empty());
  EXPECT_FALSE(w.refused(ApplyClearOut{w.meta("家庭成员有财政供养人员")}).reason.empty());
}

TEST_F(CaseMachineTest, ReIdentificationAsksForANewLinkedCase) {
  auto w = walk("unstable");
  w.recognise();
  w.eliminate();
  EXPECT_EQ(w.refused(ReIdentify{w.meta(), "", {RiskCause::kAccident}}).reason,
            "须先在回头看中发现新增风险，才能重新识别为监测对象");
  w.ok(RecordLookBack{w.meta("户主务工受伤"), LookBackFinding::kNewRisk});
  EXPECT_EQ(w.refused(ReIdentify{w.meta(), "", {}}).reason, "至少应选择一种致贫返贫风险类型");
  EXPECT_EQ(w.refused(ReIdentify{w.meta(), "nope", {RiskCause::kAccident}}).reason,
            "监测对象类型“nope”未在本地配置中");
  auto o = w.ok(ReIdentify{w.meta(), "", {RiskCause::kAccident}});
  EXPECT_EQ(w.state(), "eliminated");
  ASSERT_TRUE(o.new_case);
  EXPECT_EQ(o.new_case->previous_case_id, w.data().case_id);
  EXPECT_EQ(o.new_case->kind, "unstable");
  EXPECT_EQ(o.new_case->household, w.data().household);
  EXPECT_EQ(w.refused(ReIdentify{w.meta(), "", {RiskCause::kAccident}})
                .reason.find("本次回头看发现的新增风险已于"),
            0u);

  // The caller opens the new case, linked to the old one.
  CaseMachine next(rules_);
  OpenCase open;
  open.meta = {"镇扶贫办李*", w.now() + std::chrono::hours{1}, "回头看发现新增风险"};
  open.case_id = "C-new";
  open.kind = o.new_case->kind;
  open.household = o.new_case->household;
  open.source = DiscoverySource::kVillageScreening;
  open.risk_causes = o.new_case->risk_causes;
  open.previous_case_id = o.new_case->previous_case_id;
  auto r = next.handle(open);
  ASSERT_TRUE(r.accepted());
  EXPECT_EQ(next.data().previous_case_id, w.data().case_id);
}

TEST_F(CaseMachineTest, ClearOutNeedsTownshipVillageAndCity) {
  auto w = walk();
  w.recognise();
  EXPECT_EQ(w.refused(RecordApproval{w.meta("同意"), ApprovalPurpose::kRollback,
                                     ApprovalLevel::kTownship})
                .reason,
            "监测帮扶中的案件只能登记清退的审核意见；风险消除回退只适用于已标注风险消除的案件");
  w.ok(RecordApproval{w.meta("同意"), ApprovalPurpose::kClearOut, ApprovalLevel::kVillage});
  w.ok(RecordApproval{w.meta("同意"), ApprovalPurpose::kClearOut, ApprovalLevel::kTownship});
  EXPECT_EQ(w.refused(ApplyClearOut{w.meta("家庭成员有财政供养人员")}).reason,
            "清退须经乡镇、村两级审核并报市乡村振兴局同意，尚缺市乡村振兴局的审核意见");
  w.ok(RecordApproval{w.meta("同意"), ApprovalPurpose::kClearOut, ApprovalLevel::kCity});
  EXPECT_EQ(w.refused(ApplyClearOut{w.meta()}).reason, "清退须写明原因（将书面告知农户）");
  auto o = w.ok(ApplyClearOut{w.meta("家庭成员有财政供养人员")});
  EXPECT_EQ(w.state(), "cleared_out");
  EXPECT_TRUE(o.assistance_ended);
  ASSERT_EQ(o.notices.size(), 1u);
  EXPECT_EQ(o.notices[0].kind, NoticeKind::kClearOut);
  EXPECT_NE(o.notices[0].text.find("原因：家庭成员有财政供养人员"), std::string::npos);
  EXPECT_EQ(w.refused(ProposeElimination{w.meta()}).message,
            "案件已结案，结果为“已清退”，不能提出风险消除");
}

// -- restore --------------------------------------------------------------------------

TEST_F(CaseMachineTest, RestoreRebuildsEveryState) {
  // One case per reachable state, restored from its snapshot: same state, version, data,
  // and the same answer to the next event.
  std::vector<CaseWalk> walks = one_case_per_state(false);

  std::set<std::string> seen;
  for (auto& w : walks) {
    const CaseSnapshot snap = w.machine().snapshot();
    seen.insert(snap.state);
    auto restored = CaseMachine::restore(rules_, snap);
    ASSERT_TRUE(std::holds_alternative<CaseMachine>(restored)) << std::get<std::string>(restored);
    CaseMachine& m = std::get<CaseMachine>(restored);
    EXPECT_EQ(m.state(), snap.state);
    EXPECT_EQ(m.version(), snap.version);
    EXPECT_EQ(m.snapshot(), snap);
    EXPECT_EQ(m.assisted(), w.machine().assisted());
    // Same answer to the same next event.
    const CaseEvent next = RecordVisit{w.meta(), china_date(w.now()), "第一书记赵*", "回访"};
    auto r1 = w.machine().handle(next);
    auto r2 = m.handle(next);
    ASSERT_EQ(r1.accepted(), r2.accepted()) << snap.state;
    if (r1.accepted()) {
      EXPECT_EQ(r1.outcome().entry, r2.outcome().entry);
    } else {
      EXPECT_EQ(r1.refusal().message, r2.refusal().message);
    }
    EXPECT_EQ(m.snapshot(), w.machine().snapshot());
  }
  // Every state but "new" was covered.
  EXPECT_EQ(seen.size(), case_states().size() - 1);
}

TEST_F(CaseMachineTest, RestoreRefusesBadSnapshots) {
  auto w = walk();
  w.recognise();
  CaseSnapshot s = w.machine().snapshot();
  auto bad = s;
  bad.state = "registred";
  EXPECT_EQ(std::get<std::string>(CaseMachine::restore(rules_, bad)),
            "案件C1的存储状态“registred”不是可恢复的案件状态");
  bad = s;
  bad.state = "new";
  EXPECT_TRUE(std::holds_alternative<std::string>(CaseMachine::restore(rules_, bad)));
  bad = s;
  bad.version = 0;
  EXPECT_EQ(std::get<std::string>(CaseMachine::restore(rules_, bad)),
            "案件C1的存储状态版本号0无效");
  bad = s;
  bad.case_id = "C2";
  EXPECT_EQ(std::get<std::string>(CaseMachine::restore(rules_, bad)),
            "案件C2的存储状态与其数据中的案件编号“C1”不一致");
  ProgramRules other = rules_;
  other.case_kinds.clear();
  EXPECT_EQ(std::get<std::string>(CaseMachine::restore(other, s)),
            "案件C1的存储状态的监测对象类型“marginal”未在本地配置中");
}

// -- every (state, event) pair ------------------------------------------------------------

// Which events each state accepts at all (before guards), per program-rules.md. Every other
// pair must be refused with "案件处于“…”阶段，不能…" and no reason.
const std::map<std::string, std::set<std::string>>& accepted_events() {
  static const std::set<std::string> routine{"assign_officer",    "add_measure",
                                             "update_measure",    "record_visit",
                                             "record_monitoring", "mark_developmental",
                                             "update_household",  "record_department_evidence",
                                             "record_evaluation", "confirm_household_status"};
  auto with_routine = [&](std::set<std::string> s) {
    s.insert(routine.begin(), routine.end());
    return s;
  };
  static const std::map<std::string, std::set<std::string>> kAccepted{
      {"new", {"open_case"}},
      {"discovered", with_routine({"start_verification"})},
      {"household_verification", with_routine({"record_verification"})},
      {"democratic_review", with_routine({"record_democratic_review"})},
      {"county_review", with_routine({"record_county_review"})},
      {"village_publicity", with_routine({"publicity_objection", "close_publicity"})},
      {"registered", with_routine({"propose_elimination", "record_approval", "apply_clear_out"})},
      {"elimination_review", with_routine({"record_elimination_review"})},
      {"township_elimination_review", with_routine({"record_township_review"})},
      {"elimination_publicity",
       with_routine({"elimination_objection", "close_elimination_publicity"})},
      // Only household changes pass the guard there, but the state has the row.
      {"eliminated",
       with_routine({"record_look_back", "record_approval", "apply_rollback", "re_identify"})},
      {"rejected", {}},
      {"cleared_out", {}},
  };
  return kAccepted;
}

std::vector<CaseEvent> one_of_each(CaseWalk& w) {
  const Date today = china_date(w.now());
  return {
      w.open_event(),
      w.start_verification(),
      w.eligible_verification(),
      w.review_pass(),
      w.county_pass(),
      PublicityObjection{w.meta("异议")},
      w.close_publicity(),
      w.assign_officer(),
      w.measure(MeasureType::kIndustry),
      UpdateMeasure{w.meta(), 1, MeasureStatus::kCompleted},
      w.visit(),
      w.monitoring(month_of(today)),
      MarkDevelopmental{w.meta(), today},
      UpdateHousehold{w.meta(), w.household()},
      ProposeElimination{w.meta()},
      RecordEliminationReview{w.meta(), true},
      RecordTownshipReview{w.meta(), true},
      EliminationObjection{w.meta("异议")},
      CloseEliminationPublicity{w.meta()},
      RecordLookBack{w.meta(), LookBackFinding::kStable},
      RecordApproval{w.meta("同意"), ApprovalPurpose::kRollback, ApprovalLevel::kTownship},
      ApplyRollback{w.meta()},
      ApplyClearOut{w.meta("原因")},
      ReIdentify{w.meta(), "", {RiskCause::kIllness}},
      RecordDepartmentEvidence{w.meta("", "system:feeds"), "civil_affairs", "civil_affairs",
                               "2024-05", "new_assistance", "新纳入低保", "救助类别低保",
                               std::nullopt, "", "王*"},
      RecordEvaluation{w.meta(), 2024, EvaluationResult::kRiskRemoved, 800000, {}, "县扶贫办张*"},
      ConfirmHouseholdStatus{w.meta("同意"), HouseholdStatus::kGuaranteedSupport,
                             ApprovalLevel::kVillage}};
}

TEST_F(CaseMachineTest, EveryStateRefusesEveryEventItDoesNotAccept) {
  // Reach each state, then offer one event of each type.
  std::vector<CaseWalk> walks = one_case_per_state(true);

  std::set<std::string> states;
  int refusals = 0;
  for (auto& w : walks) {
    const std::string state = w.state();
    states.insert(state);
    const auto& accepted = accepted_events().at(state);
    for (const auto& event : one_of_each(w)) {
      const std::string name{event_name(event)};
      CaseWalk probe = w;  // each event on a fresh copy of the case
      auto r = probe.send(event);
      if (accepted.contains(name)) {
        // Accepted, or refused by a guard that says why.
        if (!r.accepted()) {
          EXPECT_FALSE(r.refusal().reason.empty()) << state << " " << name;
        }
        continue;
      }
      ++refusals;
      ASSERT_FALSE(r.accepted()) << state << " accepted " << name;
      EXPECT_EQ(r.refusal().reason, "") << state << " " << name;
      const auto* info = find_case_state(state);
      const std::string expected =
          state == "new" ? "案件尚未建档，不能" + std::string{event_label(event)}
          : info->closed ? "案件已结案，结果为“" + std::string{info->label} + "”，不能" +
                               std::string{event_label(event)}
                         : "案件处于“" + std::string{info->label} + "”阶段，不能" +
                               std::string{event_label(event)};
      EXPECT_EQ(r.refusal().message, expected);
    }
  }
  EXPECT_EQ(states.size(), case_states().size());
  EXPECT_GT(refusals, 150);
}

TEST_F(CaseMachineTest, RestoredMachineAnswersEveryEventAsTheOriginal) {
  // restore() sets the stored state without an event: the restored machine must then dispatch
  // every event type through that state's rows exactly as the machine that walked there.
  std::vector<CaseWalk> walks = one_case_per_state(false);
  const auto in_state = [&walks](const std::string& state) {
    return *std::find_if(walks.begin(), walks.end(),
                         [&](const CaseWalk& w) { return w.state() == state; });
  };
  auto r = in_state("registered");  // registered, with the approvals a clear-out needs
  r.approve(ApprovalPurpose::kClearOut);
  auto e = in_state("eliminated");
  e.ok(RecordLookBack{e.meta("收入未稳定超过监测线"), LookBackFinding::kInaccurate});
  e.approve(ApprovalPurpose::kRollback);  // eliminated, ready to roll back
  walks.push_back(r);
  walks.push_back(e);

  std::set<std::string> states;
  int accepted = 0;
  for (auto& w : walks) {
    const CaseSnapshot snap = w.machine().snapshot();
    states.insert(snap.state);
    for (const auto& event : one_of_each(w)) {
      SCOPED_TRACE(snap.state + " " + std::string{event_name(event)});
      auto restored = CaseMachine::restore(rules_, snap);
      ASSERT_TRUE(std::holds_alternative<CaseMachine>(restored));
      CaseMachine& m = std::get<CaseMachine>(restored);
      CaseMachine original = w.machine();
      const EventResult r1 = original.handle(event);
      const EventResult r2 = m.handle(event);
      ASSERT_EQ(r1.accepted(), r2.accepted());
      if (r1.accepted()) {
        ++accepted;
        EXPECT_EQ(r1.outcome().entry, r2.outcome().entry);
      } else {
        EXPECT_EQ(r1.refusal().message, r2.refusal().message);
        EXPECT_EQ(r1.refusal().code, r2.refusal().code);
      }
      EXPECT_EQ(m.state(), original.state());
      EXPECT_EQ(m.snapshot(), original.snapshot());
    }
  }
  EXPECT_EQ(states.size(), case_states().size() - 1);
  // Besides routine records, each state's own transitions were taken from the restored state.
  EXPECT_GT(accepted, 60);
}

TEST(CaseKinds, ConfigCheck) {
  EXPECT_FALSE(case_kind_problem({"unstable",
                                  "脱贫不稳定户",
                                  {kStepHouseholdVerification, kStepDemocraticReview,
                                   kStepCountyReview, kStepVillagePublicity}}));
  EXPECT_FALSE(case_kind_problem(
      {"monitored", "脱贫监测户", {kStepHouseholdVerification, kStepCountyReview}}));
  EXPECT_EQ(*case_kind_problem({"x", "x", {"visit"}}),
            "监测对象类型“x”的认定步骤“visit”不是认定程序中的步骤");
  EXPECT_EQ(*case_kind_problem({"x", "x", {kStepCountyReview, kStepHouseholdVerification}}),
            "监测对象类型“x”的认定步骤顺序不对或有重复：应按入户核实、民主评议、县级审核比对、"
            "村级公示的顺序");
  EXPECT_EQ(*case_kind_problem({"", "x", {}}), "监测对象类型缺少代码");
}

}  // namespace
}  // namespace fangfan
