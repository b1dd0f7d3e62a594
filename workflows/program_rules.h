// The program's rules as a deployment configures them (program-rules.md: every
// value marked *config*). Loaded and validated once by adapters/config, then
// passed to the core by const&. Defaults follow the Shandong 2024 notice [000]
// and the Linyi implementation [002]; a county overrides them in its TOML file.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/deadline_rules.h"
#include "workflows/exit_rules.h"
#include "workflows/feed_rules.h"
#include "workflows/list_rules.h"
#include "workflows/report_rules.h"

namespace fangfan {

// Steps of the procedures, by the names the project stores and configures.
// (核实, 评议, 比对, 公示; then 风险消除's review, township review and publicity.)
inline constexpr const char* kStepHouseholdVerification = "household_verification";  // 入户核实
inline constexpr const char* kStepDemocraticReview = "democratic_review";            // 民主评议
inline constexpr const char* kStepCountyReview = "county_review";          // 审核/信息比对
inline constexpr const char* kStepVillagePublicity = "village_publicity";  // 村级公示
inline constexpr const char* kStepEliminationReview = "elimination_review";  // 风险消除 民主评议
inline constexpr const char* kStepTownshipEliminationReview = "township_elimination_review";
inline constexpr const char* kStepEliminationPublicity = "elimination_publicity";  // 风险消除 公示

// -- eligibility as data (issue 14 item 4): the line, its comparison and the conditions per
// province and year. Read by adapters/config/config_eligibility.cpp; applied by
// workflows/eligibility.h.

// How income is compared with the line: [000] "低于省定监测线" (<), [004] "不高于5200元" (≤).
enum class LineComparison { kBelow, kNotAbove };
// How the line combines with the hardship conditions: [000] below the line AND one of them
// ("且符合以下条件之一"); [002] below the line OR one of them ("低于5000元的农户，以及…的农户").
enum class LineJoin { kAll, kAny };

// Hardship conditions (the verifier's findings with the income window's sums), by code.
// [000] (a): rigid spending from illness, disability or education exceeds the window's income
// AND 两不愁三保障 or drinking water is affected.
inline constexpr const char* kConditionRigidExpense = "rigid_expense";
// [000] (b): income sharply reduced by disaster or accident, with temporary hardship.
inline constexpr const char* kConditionIncomeDrop = "income_drop";
// [002] 即时帮扶户: rigid spending clearly exceeds last year's income (刚性支出明显超过上年度收入).
inline constexpr const char* kConditionRigidExpenseOverIncome = "rigid_expense_over_income";
// [002] 即时帮扶户: 未达到"三保障" (the verifier found 两不愁三保障 or water affected).
inline constexpr const char* kConditionBasicNeedsUnmet = "basic_needs_unmet";

// One year's standard: the line, how income compares with it, and the conditions that go with.
struct EligibilityLine {
  int year = 2024;
  double line_yuan = 6500;
  LineComparison comparison = LineComparison::kBelow;
  LineJoin join = LineJoin::kAll;
  std::vector<std::string> conditions{kConditionRigidExpense, kConditionIncomeDrop};
};

// [002]'s instant-assistance route (即时帮扶户) as its own rule: for the listed case kinds, one
// of `conditions` admits the household whatever its income ("刚性支出明显超过上年度收入或未达到
// '三保障'"). No case kinds = no such route.
struct InstantRule {
  std::vector<std::string> case_kinds;
  std::vector<std::string> conditions{kConditionRigidExpenseOverIncome, kConditionBasicNeedsUnmet};
};

struct EligibilityRules {
  // Per-capita annual disposable income below which a household may be included (yuan).
  double monitoring_line_yuan = 6500;
  int year = 2024;                  // the year of this line (its first year in force)
  std::string province = "山东省";  // the province whose standard this is ([county] province)
  LineComparison comparison = LineComparison::kBelow;
  LineJoin join = LineJoin::kAll;
  std::vector<std::string> conditions{kConditionRigidExpense, kConditionIncomeDrop};
  // Other years' standards of the same province ([[rules.eligibility.lines]]).
  std::vector<EligibilityLine> other_years;
  InstantRule instant;
  // Exclusion conditions by code (car, town_housing, company, unwilling_supporters, ...)
  // with the sentence shown when one blocks inclusion.
  std::map<std::string, std::string> exclusions;
};

// A case kind (监测对象类型) and the steps of the recognition procedure it runs.
// household_verification and county_review always apply.
struct CaseKind {
  std::string code;  // e.g. "unstable"
  std::string name;  // e.g. "脱贫不稳定户"
  std::vector<std::string> steps;
};

struct VisitRules {
  int per_month = 2;      // 每月走访两次
  int reminder_day = 20;  // remind when fewer than per_month are recorded by this day
  std::vector<EscalationRung> escalation;  // counted from the month's end
};

struct MonitoringRules {
  int per_month = 1;  // 每月动态监测
  int reminder_day = 25;
  std::vector<EscalationRung> escalation;
};

// A recurring job on fixed days of the month: a department feed pull or a list send-out.
struct Schedule {
  std::string name;        // e.g. "medical_insurance_feed"
  std::string kind;        // "feed", "list" or "report" (the monthly report workbook)
  std::string department;  // department code, e.g. "medical_insurance" ("report": optional)
  std::string feed;        // kind "feed": the [[feeds]] source it runs (workflows/feed_rules.h)
  std::string list;        // kind "list": the [[lists]] list it sends (workflows/list_rules.h)
  std::vector<int> days_of_month;  // e.g. {5}, or {1, 15}
  std::vector<int> months;         // empty = every month; {3, 9} for education
  int hour = 8;                    // China time
};

// -- recurring work (issue 5): Q4 risk evaluation and campaigns. Read by
// adapters/config/config_work.cpp; deadlines computed by workflows/deadlines.h.

// 第四季度风险评估: every monitoring object gets a task each year.
struct EvaluationRules {
  bool enabled = false;  // false when the config has no [rules.evaluation]
  int open_month = 10;   // the task opens at 08:00 China time on the first working
  int open_day = 8;      // day on or after this date, every year
  // Counted from the opening day like a step's period (the opening day does not count).
  StepDeadline deadline{40, DayUnit::kWorkingDays, 5, {}};
  std::string owner_role = "county_office";  // who does it (program-rules.md: the county)
};

// One milestone of a campaign, due the same day for every township.
struct CampaignMilestone {
  std::string name;                  // "plan"
  std::string label;                 // "制定工作方案"
  int year = 0, month = 0, day = 0;  // the last day (a plain date; the period ends with it;
                                     // year 0 in a yearly campaign: MM-DD of every year)
  int remind_before_working_days = 2;
  std::vector<EscalationRung> escalation;
};

// A campaign with milestones per township (e.g. the 2023 screening [001]).
struct Campaign {
  std::string name;   // "screening_2023"; stable, stored in duty keys
  std::string label;  // "2023年防返贫集中排查"
  int start_year = 0, start_month = 0, start_day = 0;  // duties open at 08:00 this day
  std::string owner_role = "township_clerk";           // who owes each milestone
  std::vector<CampaignMilestone> milestones;           // in due order
  // A campaign that recurs every year ([000] "每年第四季度集中开展一次全面排查"): its dates are
  // MM-DD (years 0) and each year's run is its own campaign, campaign_of_year(): named
  // "<name>_<YYYY>", labelled "<YYYY>年<label>" (issue 14 item 7).
  bool yearly = false;
};

// A yearly campaign's run of `year` (dates of that year); a one-off campaign as it is.
Campaign campaign_of_year(const Campaign& campaign, int year);

// The campaigns that may have work in `year`: every one-off campaign, and each yearly campaign's
// runs of the year before (its ladder may reach into January) and of `year` (the seeding skips
// those not started yet or over). Not the year after: its calendar may not be published yet.
std::vector<Campaign> campaigns_around(const std::vector<Campaign>& campaigns, int year);

// The configured campaign or yearly run called `name` ("screening_2023", "q4_screening_2025").
std::optional<Campaign> find_campaign(const std::vector<Campaign>& campaigns,
                                      std::string_view name);

// Who approves a rollback (风险消除回退) or clear-out (清退) [001]: township and village, then the
// city bureau; where `prefecture_filing`, then also the prefecture's filing ("向三明市乡村振兴局
// 书面申请，再上报备案后统一操作") before the change is made. [rules.approvals]; issue 14 item 7.
struct ApprovalRules {
  bool prefecture_filing = false;
};

// -- registration (issue 14 item 2): [000] "第一时间安排帮扶责任人";
// [002] "对即时帮扶户要安排帮扶责任人，制定帮扶计划". When assistance starts (registration, or
// 先帮扶 in an emergency) the case owes an assistance officer and a plan (a measure): a duty
// "assignment/<case>" owed by `owner_role`, due `deadline.period` working days after (1 = the same
// or the next working day, "at once"), told at once to `notify_roles`, with its reminder and
// ladder. Read from [rules.assignment] (adapters/config/config_loop.cpp); no table, no duty.
struct AssignmentRules {
  bool enabled = false;
  StepDeadline deadline{1, DayUnit::kWorkingDays, 0, {}};
  std::string owner_role = "township_clerk";
  std::vector<std::string> notify_roles{"township_clerk", "village_officer"};
};

struct ProgramRules {
  EligibilityRules eligibility;
  ApprovalRules approvals;
  std::vector<CaseKind> case_kinds;
  std::map<std::string, StepDeadline> deadlines;  // keyed by step name
  VisitRules visits;
  MonitoringRules monitoring;
  std::vector<Schedule> schedules;
  // -- recurring work (issue 5)
  EvaluationRules evaluation;
  std::vector<Campaign> campaigns;
  // -- department feeds (issue 12): [[feeds]] and [rules.alerts]; see workflows/feed_rules.h.
  FeedsConfig feeds;
  // -- department lists (issue 13): [[lists]]; see workflows/list_rules.h.
  ListsConfig lists;
  // -- the monthly report workbook (issue 13): kind = "report" schedules; workflows/report_rules.h.
  MonthlyReportsConfig monthly_reports;
  // -- registration duty (issue 14 item 2): [rules.assignment]
  AssignmentRules assignment;
  // -- exit evidence (issue 14): [rules.elimination]; see workflows/exit_rules.h.
  ExitRules elimination;

  const CaseKind* find_kind(const std::string& code) const {
    for (const auto& k : case_kinds) {
      if (k.code == code) return &k;
    }
    return nullptr;
  }
};

// Why a configured case kind cannot be used (unknown step names, steps out of
// procedure order), or std::nullopt. For the config loader.
std::optional<std::string> case_kind_problem(const CaseKind& kind);

// The standard in force for a household whose accounts are assessed for `year` (the year of its
// discovery month, whose income window [000] names): the configured year nearest before or equal
// to it. std::nullopt when every configured year is later.
std::optional<EligibilityLine> line_in_force(const EligibilityRules& rules, int year);

// Whether `code` is a hardship condition fangfan knows (kCondition*).
bool known_condition(std::string_view code);

// Why `step` cannot share the deadline window of `window` (StepDeadline::shared_window), or
// std::nullopt: the window must be a step of the same procedure that comes right before it
// (household_verification → democratic_review; elimination_review →
// township_elimination_review).
std::optional<std::string> shared_window_problem(std::string_view step, std::string_view window);

// The minimum length of a publicity step in days, from ProgramRules::deadlines
// (period; 5 when the step is not configured).
int publicity_days(const ProgramRules& rules, std::string_view step);

}  // namespace fangfan
