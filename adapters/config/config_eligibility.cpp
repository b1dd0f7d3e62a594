// [rules.eligibility]: the monitoring standard as data (issue 14 item 4), per province and year.
//
//   [rules.eligibility]
//   province = "山东省"               # the county's province: must be [county] province
//   year = 2024                        # the year of this line
//   monitoring_line_yuan = 6500
//   comparison = "below"               # "below" 低于 (<) | "not_above" 不高于 (≤)
//   join = "all"                       # all: below the line AND one condition; any: OR
//   conditions = ["rigid_expense", "income_drop"]
//   [[rules.eligibility.lines]]        # other years: year, monitoring_line_yuan, comparison,
//                                      # join, conditions (defaults as above)
//   [rules.eligibility.instant]        # 即时帮扶户 [002]: case_kinds, conditions
//   [rules.eligibility.exclusions]     # code = sentence
#include <set>

#include "adapters/config/config_reader.h"
#include "workflows/program_rules.h"

namespace fangfan::config_detail {
namespace {

std::vector<std::string> read_conditions(Reader& r, std::vector<std::string> fallback,
                                         bool required_if_present) {
  if (!r.table().contains("conditions")) return fallback;
  std::vector<std::string> out = r.strings("conditions");
  std::set<std::string> seen;
  for (const auto& c : out) {
    if (!known_condition(c)) {
      r.error("conditions", "'" + c +
                                "' is not a condition (rigid_expense, income_drop, "
                                "rigid_expense_over_income, basic_needs_unmet)");
    } else if (!seen.insert(c).second) {
      r.error("conditions", "'" + c + "' is listed twice");
    }
  }
  if (required_if_present && out.empty()) r.error("conditions", "must name at least one condition");
  return out;
}

// The keys a year's standard has, at the top of [rules.eligibility] and in each of its lines.
void read_standard(Reader& r, double& line_yuan, LineComparison& comparison, LineJoin& join,
                   std::vector<std::string>& conditions, bool line_required) {
  if (auto v = r.number("monitoring_line_yuan", line_required)) {
    if (*v <= 0) r.error("monitoring_line_yuan", "must be a positive amount in yuan");
    line_yuan = *v;
  }
  if (auto v = r.string("comparison", false)) {
    if (*v == "below") {
      comparison = LineComparison::kBelow;
    } else if (*v == "not_above") {
      comparison = LineComparison::kNotAbove;
    } else {
      r.error("comparison",
              "must be \"below\" (低于, <) or \"not_above\" (不高于, ≤), got '" + *v + "'");
    }
  }
  if (auto v = r.string("join", false)) {
    if (*v == "all") {
      join = LineJoin::kAll;
    } else if (*v == "any") {
      join = LineJoin::kAny;
    } else {
      r.error("join", "must be \"all\" (line AND a condition) or \"any\" (OR), got '" + *v + "'");
    }
  }
  conditions = read_conditions(r, conditions, join == LineJoin::kAll);
}

}  // namespace

void read_eligibility(Reader& rules, Config& c, Errors& errors) {
  const toml::table* t = rules.table("eligibility");
  if (!t) return;
  Reader e(*t, rules.key_path("eligibility"), errors);
  EligibilityRules& el = c.rules.eligibility;
  if (auto v = e.integer_in("year", 2000, 2100, "")) el.year = int(*v);
  if (auto v = e.string("province")) {
    el.province = *v;
    if (!c.county.province.empty() && *v != c.county.province) {
      e.error("province", "is '" + *v + "' but the county is in '" + c.county.province +
                              "' ([county] province): a county applies its own province's line");
    }
  }
  read_standard(e, el.monitoring_line_yuan, el.comparison, el.join, el.conditions, true);

  std::set<int> years{el.year};
  e.each_table("lines", false, [&](Reader& l) {
    EligibilityLine line;
    if (auto v = l.integer_in("year", 2000, 2100, "")) {
      line.year = int(*v);
      if (!years.insert(line.year).second) {
        l.error("year", "the line of " + std::to_string(line.year) + " is configured twice");
      }
    }
    read_standard(l, line.line_yuan, line.comparison, line.join, line.conditions, true);
    el.other_years.push_back(std::move(line));
  });

  if (const toml::table* x = e.table("instant", false)) {
    Reader ir(*x, e.key_path("instant"), errors);
    el.instant.case_kinds = ir.strings("case_kinds");
    for (const auto& k : el.instant.case_kinds) {
      if (c.rules.find_kind(k) == nullptr) {
        ir.error("case_kinds", "'" + k + "' is not a case kind of [[rules.case_kinds]]");
      }
    }
    el.instant.conditions = read_conditions(ir, el.instant.conditions, true);
  }

  if (const toml::table* x = e.table("exclusions", false)) {
    Reader xr(*x, e.key_path("exclusions"), errors);
    for (auto&& [k, v] : *x) {
      if (auto s = xr.string(k.str())) el.exclusions[std::string(k.str())] = *s;
    }
  }
}

}  // namespace fangfan::config_detail
