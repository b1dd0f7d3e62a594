// [[lists]]: the lists each department receives on its kind = "list" schedule days (行业部门名单,
// workflows/list_rules.h documents every field), and [storage] files (where produced lists are
// kept). A list no schedule sends is an error, as is a list schedule without a list (nothing
// would ever be sent while the county believes it is), and a list nobody can receive.
//
//   [[lists]]
//   name = "civil_affairs"  department = "civil_affairs"
//   rows = "household" | "member"   members = "all" | "school_age" | "disabled"
//   risk_causes = ["illness"]  columns = ["household_code", ...]
//   folder = "state/departments/civil_affairs"   # relative to this file
//   robot_group = "县民政局工作群"  app_to_clerks = true
//   http_url = "https://..."  http_token(_env|_file) = "..."  http_hmac_secret(_env|_file) = "..."
//   encrypt = false  csv = true
//   answer_within_working_days = 10  remind_before_working_days = 2
//   escalation = [{ after_working_days = 0, to = "department_clerk" }, ...]
#include <set>

#include "adapters/config/config_reader.h"
#include "workflows/case_codes.h"
#include "workflows/lists.h"

namespace fangfan::config_detail {
namespace {

std::vector<const Person*> clerks_of(const Config& c, const std::string& department) {
  std::vector<const Person*> out;
  for (const Person& p : c.people) {
    if (p.role == Role::kDepartmentClerk && p.scope == department) out.push_back(&p);
  }
  return out;
}

void read_delivery(Reader& r, DepartmentList& l, const Config& c, const fs::path& dir) {
  ListDelivery& d = l.delivery;
  if (auto v = r.string("folder", false)) {
    if (v->empty()) {
      r.error("folder", "must not be empty (leave it out for no drop folder)");
    } else {
      d.folder = resolve(dir, *v).string();
    }
  }
  if (auto v = r.string("robot_group", false)) {
    d.robot_group = *v;
    const bool known =
        std::any_of(c.channels.wechat_robot.groups.begin(), c.channels.wechat_robot.groups.end(),
                    [&](const WechatRobotGroup& g) { return g.name == *v; });
    if (!c.channels.wechat_robot.enabled) {
      r.error("robot_group", "needs [channels.wechat_robot] enabled = true");
    } else if (!known) {
      r.error("robot_group", "group '" + *v + "' is not one of [channels.wechat_robot] groups");
    }
  }
  d.app_to_clerks = r.boolean("app_to_clerks", false).value_or(false);
  if (d.app_to_clerks) {
    const std::vector<const Person*> clerks = clerks_of(c, l.department);
    if (!c.channels.wechat_app.enabled) {
      r.error("app_to_clerks", "needs [channels.wechat_app] enabled = true");
    } else if (clerks.empty()) {
      r.error("app_to_clerks",
              "no [[people]] with role department_clerk and scope '" + l.department + "'");
    } else {
      for (const Person* p : clerks) {
        if (p->wechat.empty()) {
          r.error("app_to_clerks", "department clerk " + p->name + " has no wechat id");
        }
      }
    }
  }
  if (auto v = r.string("http_url", false)) {
    if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0) {
      r.error("http_url", "must start with http:// or https://");
    }
    d.http_url = *v;
  }
  d.http_token = secret(r, "http_token", dir, false);
  d.http_hmac_secret = secret(r, "http_hmac_secret", dir, false);
  const bool signed_post = r.table().get("http_token") || r.table().get("http_token_env") ||
                           r.table().get("http_token_file") || r.table().get("http_hmac_secret") ||
                           r.table().get("http_hmac_secret_env") ||
                           r.table().get("http_hmac_secret_file");
  if (signed_post && d.http_url.empty()) {
    r.errors().add(r.table().source(), r.path(), "http_token and http_hmac_secret need http_url");
  }
  d.encrypt = r.boolean("encrypt", false).value_or(false);
  if (d.encrypt && clerks_of(c, l.department).empty()) {
    r.error("encrypt",
            "the zip's password goes to the department's clerks: no [[people]] with "
            "role department_clerk and scope '" +
                l.department + "'");
  }
  d.csv = r.boolean("csv", false).value_or(false);
  if (d.folder.empty() && d.robot_group.empty() && !d.app_to_clerks && d.http_url.empty()) {
    r.errors().add(r.table().source(), r.path(),
                   "needs at least one delivery: folder, robot_group, app_to_clerks or http_url");
  }
}

DepartmentList read_list(Reader& r, const Config& c, const fs::path& dir) {
  DepartmentList l;
  auto name = r.string("name");
  l.name = name.value_or("");
  if (name && l.name.empty()) r.error("name", "must not be empty");
  if (l.name.find('/') != std::string::npos) r.error("name", "must not contain '/'");
  if (auto d = r.string("department")) {
    l.department = *d;
    bool known = false;
    for (const Department& dep : c.departments) {
      if (dep.code == *d) {
        l.department_name = dep.name;
        known = true;
      }
    }
    if (!known) {
      r.error("department", "department '" + *d + "' is not defined under [[departments]]");
    }
  }
  if (auto v = r.string("rows", false)) {
    if (*v == "household") {
      l.rows = ListRows::kHousehold;
    } else if (*v == "member") {
      l.rows = ListRows::kMember;
    } else {
      r.error("rows", "must be \"household\" or \"member\", got '" + *v + "'");
    }
  }
  if (auto v = r.string("members", false)) {
    if (*v == "all") {
      l.members = MemberFilter::kAll;
    } else if (*v == "school_age") {
      l.members = MemberFilter::kSchoolAge;
    } else if (*v == "disabled") {
      l.members = MemberFilter::kDisabled;
    } else {
      r.error("members", "must be \"all\", \"school_age\" or \"disabled\", got '" + *v + "'");
    }
  }
  for (const std::string& cause : r.strings("risk_causes", false)) {
    if (auto parsed = parse_code<RiskCause>(cause)) {
      l.risk_causes.emplace_back(code_of(*parsed));
    } else {
      r.error("risk_causes", "'" + cause + "' is not a risk cause (illness, disability, ...)");
    }
  }
  if (r.table().get("columns")) {
    r.not_empty("columns");
    std::set<std::string> seen;
    for (const std::string& col : r.strings("columns")) {
      if (find_list_column(col) == nullptr) {
        r.error("columns", "'" + col + "' is not a list column (household_code, township, ...)");
      } else if (!seen.insert(col).second) {
        r.error("columns", "column '" + col + "' is listed twice");
      }
      l.columns.push_back(col);
    }
  } else {
    l.columns = default_list_columns();
  }
  read_delivery(r, l, c, dir);
  if (auto v = r.integer_in("answer_within_working_days", 1, 60, "working days", false)) {
    l.feedback.period = int(*v);
  }
  if (auto v = r.integer_in("remind_before_working_days", 0, 60, "working days", false)) {
    l.feedback.remind_before_working_days = int(*v);
  }
  r.each_table("escalation", false, [&](Reader& rung) {
    EscalationRung e;
    if (auto v = rung.integer_in("after_working_days", 0, 250, "working days")) {
      e.after_working_days = int(*v);
    }
    if (auto v = rung.string("to")) {
      if (!parse_role(*v)) rung.error("to", "is not a role: '" + *v + "'");
      e.to_role = *v;
    }
    if (!l.feedback.escalation.empty() &&
        e.after_working_days < l.feedback.escalation.back().after_working_days) {
      rung.error("after_working_days", "rungs must be in increasing order of working days");
    }
    l.feedback.escalation.push_back(e);
  });
  return l;
}

const toml::array* schedule_tables(const toml::table& root) {
  if (auto* rules = root.get("rules"); rules && rules->is_table()) {
    if (auto* s = rules->as_table()->get("schedules"); s && s->is_array()) return s->as_array();
  }
  return nullptr;
}

// Every list schedule names a list of its department; every list is sent by a schedule.
void check_list_schedules(Reader& top, const Config& c, Errors& errors) {
  const toml::array* tables = schedule_tables(top.table());
  std::set<std::string> used;
  for (size_t i = 0; tables && i < c.rules.schedules.size() && i < tables->size(); ++i) {
    const Schedule& s = c.rules.schedules[i];
    const toml::table* t = tables->get(i)->as_table();
    if (!t || s.kind != "list") continue;
    const std::string key = "rules.schedules[" + Reader::item_label(*tables->get(i), i) + "].list";
    const toml::node* n = t->get("list");
    const toml::source_region& where = n ? n->source() : t->source();
    if (s.list.empty()) {
      errors.add(where, key,
                 "is required for kind = \"list\": name the [[lists]] list this schedule sends");
      continue;
    }
    const DepartmentList* l = c.rules.lists.find(s.list);
    if (!l) {
      errors.add(where, key, "list '" + s.list + "' is not defined under [[lists]]");
    } else if (l->department != s.department) {
      errors.add(where, key,
                 "list '" + s.list + "' is of department '" + l->department +
                     "', this schedule of '" + s.department + "'");
    }
    used.insert(s.list);
  }
  const toml::node* lists = top.table().get("lists");
  const toml::array* list_tables = lists ? lists->as_array() : nullptr;
  for (size_t i = 0; list_tables && i < c.rules.lists.lists.size(); ++i) {
    const DepartmentList& l = c.rules.lists.lists[i];
    if (l.name.empty() || used.count(l.name) || i >= list_tables->size()) continue;
    errors.add(list_tables->get(i)->source(),
               "lists[" + Reader::item_label(*list_tables->get(i), i) + "]",
               "no [[rules.schedules]] with kind = \"list\" sends list '" + l.name +
                   "': add one (list = \"" + l.name + "\") or remove the list");
  }
}

}  // namespace

void read_lists(Reader& top, Config& c, const fs::path& dir, Errors& errors) {
  std::set<std::string> names;
  top.each_table("lists", false, [&](Reader& r) {
    DepartmentList l = read_list(r, c, dir);
    if (!l.name.empty() && !names.insert(l.name).second) {
      r.error("name", "list '" + l.name + "' is defined twice");
    }
    c.rules.lists.lists.push_back(std::move(l));
  });
  check_list_schedules(top, c, errors);
}

void link_feedback_feeds(Config& c) {
  for (DepartmentList& l : c.rules.lists.lists) {
    for (const FeedSource& f : c.rules.feeds.sources) {
      if (!f.answers_list.empty() && f.answers_list == l.name) l.feedback_feed = f.name;
    }
  }
}

}  // namespace fangfan::config_detail
