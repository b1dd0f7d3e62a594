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

struct EligibilityRules {
  // Per-capita annual disposable income below which a household may be included (yuan).
  double monitoring_line_yuan = 6500;
  int year = 2024;
  std::string province = "山东省";
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
  int year = 0, month = 0, day = 0;  // the last day (a plain date; the period ends with it)
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
};

struct ProgramRules {
  EligibilityRules eligibility;
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

// The minimum length of a publicity step in days, from ProgramRules::deadlines
// (period; 5 when the step is not configured).
int publicity_days(const ProgramRules& rules, std::string_view step);

}  // namespace fangfan
