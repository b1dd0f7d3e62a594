// [rules.evaluation] and [[rules.campaigns]]: the recurring county work of issue 5 (the Q4 risk
// evaluation of every monitoring object, and campaigns with milestones per township). Both are
// optional: without [rules.evaluation] no evaluation tasks are opened; without campaigns none run.
//
//   [rules.evaluation]
//   opens = "10-08"                 # MM-DD in Q4; 08:00 on the first working day on/after it
//   period = 40                     # counted from the opening day, like a step's period
//   unit = "working_days"           # or "calendar_days"
//   remind_before_working_days = 5
//   owner = "county_office"         # the role that owes it (default county_office)
//   escalation = [{ after_working_days = 0, to = "county_office" }, ...]
//
//   [[rules.campaigns]]
//   name = "screening_2023"  label = "..."  starts = 2023-04-01  owner = "township_clerk"
//   [[rules.campaigns.milestones]]
//   name = "plan"  label = "..."  due = 2023-04-30  remind_before_working_days = 2
//   escalation = [...]
// Dates may be TOML dates or "YYYY-MM-DD" strings; with `yearly = true` they are "MM-DD" and the
// campaign runs every year (issue 14 item 7), each run named "<name>_<YYYY>".
#include <set>

#include "adapters/config/config_reader.h"
#include "workflows/date.h"

namespace fangfan::config_detail {
namespace {

// The same ladder rules as the step deadlines' (config_loader.cpp): rungs in increasing order of
// working days, each to a known role.
std::vector<EscalationRung> read_work_ladder(Reader& r) {
  std::vector<EscalationRung> ladder;
  r.each_table("escalation", false, [&](Reader& rung) {
    EscalationRung e;
    if (auto v = rung.integer("after_working_days")) {
      if (*v < 0 || *v > 250) {
        rung.error("after_working_days",
                   "must be from 0 to 250 working days, got " + std::to_string(*v));
      }
      e.after_working_days = static_cast<int>(*v);
    }
    if (auto v = rung.string("to")) {
      if (!parse_role(*v)) rung.error("to", "is not a role: '" + *v + "'");
      e.to_role = *v;
    }
    if (!ladder.empty() && e.after_working_days < ladder.back().after_working_days) {
      rung.error("after_working_days", "rungs must be in increasing order of working days");
    }
    ladder.push_back(e);
  });
  return ladder;
}

// A date given as a TOML date or as "YYYY-MM-DD".
std::optional<Date> read_date(Reader& r, std::string_view key) {
  const toml::node* n = r.node(key, true);
  if (!n) return std::nullopt;
  if (const auto* d = n->as_date()) {
    const toml::date v = d->get();
    const std::chrono::year_month_day ymd{std::chrono::year{v.year},
                                          std::chrono::month{unsigned(v.month)},
                                          std::chrono::day{unsigned(v.day)}};
    if (ymd.ok()) return Date{ymd};
  } else if (const auto* s = n->as_string()) {
    if (auto d = parse_date(s->get())) return d;
  }
  r.error(key, "must be a date like 2023-04-30");
  return std::nullopt;
}

// A yearly campaign's date, "MM-DD" (every year's); returned in leap 2024, which admits every
// MM-DD, for ordering. A 02-29 is refused: it would miss three years in four.
std::optional<Date> read_month_day(Reader& r, std::string_view key) {
  auto s = r.string(key);
  if (!s) return std::nullopt;
  const auto d = parse_date("2024-" + *s);
  if (s->size() != 5 || !d || *s == "02-29") {
    r.error(key, "a yearly campaign's dates are a month and day like \"10-15\", got '" + *s + "'");
    return std::nullopt;
  }
  return d;
}

void split(Date d, int& year, int& month, int& day) {
  const std::chrono::year_month_day ymd{d};
  year = int(ymd.year());
  month = int(unsigned(ymd.month()));
  day = int(unsigned(ymd.day()));
}

std::string read_owner(Reader& r, const std::string& fallback) {
  auto owner = r.string("owner", false);
  if (!owner) return fallback;
  if (!parse_role(*owner)) {
    r.error("owner", "'" + *owner + "' is not a role");
    return fallback;
  }
  return *owner;
}

void read_evaluation(Reader& rules, Config& c, Errors& errors) {
  const toml::table* t = rules.table("evaluation", false);
  if (!t) return;
  Reader r(*t, rules.key_path("evaluation"), errors);
  EvaluationRules& e = c.rules.evaluation;
  e.enabled = true;
  if (auto opens = r.string("opens")) {
    // "MM-DD" in the fourth quarter (第四季度).
    const auto date = parse_date("2024-" + *opens);  // a leap year admits every MM-DD
    if (opens->size() != 5 || !date) {
      r.error("opens", "must be a month and day like \"10-08\", got '" + *opens + "'");
    } else {
      const std::chrono::year_month_day ymd{*date};
      e.open_month = int(unsigned(ymd.month()));
      e.open_day = int(unsigned(ymd.day()));
      if (e.open_month < 10) {
        r.error("opens", "the risk evaluation opens in the fourth quarter (October to December)");
      }
    }
  }
  if (auto p = r.integer("period")) {
    if (*p <= 0 || *p > 366) {
      r.error("period", "must be from 1 to 366 days, got " + std::to_string(*p));
    }
    e.deadline.period = static_cast<int>(*p);
  }
  if (auto u = r.string("unit")) {
    if (*u == "working_days") {
      e.deadline.unit = DayUnit::kWorkingDays;
    } else if (*u == "calendar_days") {
      e.deadline.unit = DayUnit::kCalendarDays;
    } else {
      r.error("unit", "must be \"working_days\" or \"calendar_days\", got '" + *u + "'");
    }
  }
  if (auto b = r.integer_in("remind_before_working_days", 0, 60, "working days", false)) {
    e.deadline.remind_before_working_days = static_cast<int>(*b);
  }
  e.owner_role = read_owner(r, e.owner_role);
  e.deadline.escalation = read_work_ladder(r);
}

void read_campaigns(Reader& rules, Config& c) {
  std::set<std::string> names;
  rules.each_table("campaigns", false, [&](Reader& r) {
    Campaign campaign;
    campaign.name = r.string("name").value_or("");
    if (!campaign.name.empty() && campaign.name.find('/') != std::string::npos) {
      r.error("name", "must not contain '/'");
    } else if (!campaign.name.empty() && !names.insert(campaign.name).second) {
      r.error("name", "campaign '" + campaign.name + "' is defined twice");
    }
    campaign.label = r.string("label").value_or("");
    campaign.yearly = r.boolean("yearly", false).value_or(false);
    auto date_of = [&](Reader& at, std::string_view key) {
      return campaign.yearly ? read_month_day(at, key) : read_date(at, key);
    };
    const std::optional<Date> starts = date_of(r, "starts");
    if (starts) split(*starts, campaign.start_year, campaign.start_month, campaign.start_day);
    if (campaign.yearly) campaign.start_year = 0;
    campaign.owner_role = read_owner(r, campaign.owner_role);

    std::set<std::string> milestones;
    std::optional<Date> previous;
    r.not_empty("milestones");
    r.each_table("milestones", true, [&](Reader& m) {
      CampaignMilestone ms;
      ms.name = m.string("name").value_or("");
      if (!ms.name.empty() && ms.name.find('/') != std::string::npos) {
        m.error("name", "must not contain '/'");
      } else if (!ms.name.empty() && !milestones.insert(ms.name).second) {
        m.error("name", "milestone '" + ms.name + "' is defined twice in this campaign");
      }
      ms.label = m.string("label").value_or("");
      if (const std::optional<Date> due = date_of(m, "due")) {
        split(*due, ms.year, ms.month, ms.day);
        if (campaign.yearly) ms.year = 0;
        if (starts && *due < *starts) {
          m.error("due", "is before the campaign starts (" + format_date(*starts) + ")");
        } else if (previous && *due < *previous) {
          m.error("due", "milestones must be listed in the order they fall due");
        }
        previous = due;
      }
      if (auto b = m.integer_in("remind_before_working_days", 0, 60, "working days", false)) {
        ms.remind_before_working_days = static_cast<int>(*b);
      }
      ms.escalation = read_work_ladder(m);
      campaign.milestones.push_back(std::move(ms));
    });
    c.rules.campaigns.push_back(std::move(campaign));
  });
}

// [rules.approvals]: the prefecture's filing after the city bureau's [001] (issue 14 item 7).
void read_approvals(Reader& rules, Config& c, Errors& errors) {
  const toml::table* t = rules.table("approvals", false);
  if (!t) return;
  Reader r(*t, rules.key_path("approvals"), errors);
  if (auto v = r.boolean("prefecture_filing")) c.rules.approvals.prefecture_filing = *v;
}

}  // namespace

void read_work(Reader& rules, Config& c, const fs::path& dir, Errors& errors) {
  (void)dir;  // no paths in these sections
  read_evaluation(rules, c, errors);
  read_campaigns(rules, c);
  read_approvals(rules, c, errors);
}

}  // namespace fangfan::config_detail
