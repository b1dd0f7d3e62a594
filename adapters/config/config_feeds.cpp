// [[feeds]] and [rules.alerts]: department feeds (行业部门数据) and the verification of the
// alerts they raise (workflows/feed_rules.h documents every field). A kind = "feed" schedule
// names its source with `feed`; a feed no schedule runs is an error, as is a feed schedule
// without a source (nothing would ever be pulled while the county believes it is).
//
//   [[feeds]]
//   name = "civil_affairs"  department = "civil_affairs"  source = "folder"   # or "http"
//   folder = "state/feeds/civil_affairs"   # relative to this file; processed_folder likewise
//   file_pattern = "民政救助-{period}.*"  settle_seconds = 30  poll_minutes = 10
//   url = "https://host/export?month={period}"  token_env = "NAME" | token_file = "path"
//   token_header = "Authorization"  attempts = 3  key_fields = []  max_expanded_mib = 512
//   columns = { id_number = "身份证号", ... }   escalation = [{ after_working_days = 0, to = ...}]
//   [[feeds.rules]]  name = "..."  label = "..."  exclusion = "car"
//   conditions = [{ field = "category", one_of = [...] } | at_least = N
//                 | share_of_income_at_least = 0.5 ]
//
//
//   [[feeds]]  kind = "feedback"  list = "<[[lists]] name>"  measure_type = "social_security"
//   (a department's answer to its list, 落实情况: no schedule runs it, no rules or ladder of its
//   own; columns must map id_number and measure, and may map measure_type, start_date, amount)
//
//   [rules.alerts]  period = 5  unit = "working_days"  remind_before_working_days = 1
//   owner = "township_clerk"  escalation = [...]
#include <map>
#include <set>

#include "adapters/config/config_reader.h"
#include "workflows/case_codes.h"

namespace fangfan::config_detail {
namespace {

bool is_http_url(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

FeedCondition read_condition(Reader& r, const FeedSource& feed) {
  FeedCondition c;
  if (auto field = r.string("field")) {
    c.field = *field;
    if (!feed.columns.empty() && !feed.columns.count(c.field)) {
      r.error("field", "field '" + c.field + "' is not one of this feed's columns");
    }
  }
  int tests = 0;
  if (r.table().get("one_of")) {
    ++tests;
    c.one_of = r.strings("one_of");
    r.not_empty("one_of");
  }
  if (auto v = r.number("at_least", false)) {
    ++tests;
    c.at_least = *v;
  }
  if (auto v = r.number("share_of_income_at_least", false)) {
    ++tests;
    if (*v < 0 || *v > 1) {
      r.error("share_of_income_at_least", "must be a share from 0 to 1, got " + std::to_string(*v));
    }
    c.share_of_income_at_least = *v;
  }
  if (tests != 1) {
    r.errors().add(r.table().source(), r.path(),
                   "needs exactly one test: one_of, at_least or share_of_income_at_least");
  }
  return c;
}

// What {period} stands for in a file name or URL.
const char* period_words(const FeedSource& f) {
  return f.answers_list.empty() ? "(the month, YYYY-MM)" : "(the list's day, YYYY-MM-DD)";
}

// kind = "feedback" (after its list and columns): the default measure type, the columns it
// needs, and no keys of data feeds.
void read_feedback(Reader& r, FeedSource& f) {
  const bool typed_rows = f.columns.count("measure_type") != 0;
  if (auto type = r.string("measure_type", !typed_rows)) {
    if (!parse_code<MeasureType>(*type)) {
      std::string codes;
      for (const auto& e : CodeTable<MeasureType>::kEntries) {
        codes += (codes.empty() ? "" : ", ") + std::string(e.code);
      }
      r.error("measure_type", "'" + *type + "' is not a measure type (" + codes + ")");
    }
    f.measure_type = *type;
  }
  if (r.table().get("columns") && !f.columns.count("measure")) {
    r.error("columns", "must map measure (措施内容) in a feedback feed: what the department did");
  }
  for (const char* key : {"rules", "escalation"}) {
    if (r.node(key, false)) {
      r.error(key,
              "is only for data feeds: a feedback feed raises no alerts, and its reminders and "
              "ladder are its list's (answer_within_working_days, escalation)");
    }
  }
}

void read_source_location(Reader& r, FeedSource& f, const fs::path& dir) {
  const bool folder = f.kind == FeedSourceKind::kFolder;
  // Keys of the other kind of source would do nothing: refused.
  for (const char* key : {"folder", "processed_folder", "file_pattern", "settle_seconds"}) {
    if (!folder && r.node(key, false)) r.error(key, "is only for source = \"folder\"");
  }
  for (const char* key : {"url", "token", "token_file", "token_env", "token_header", "attempts"}) {
    if (folder && r.node(key, false)) r.error(key, "is only for source = \"http\"");
  }
  if (folder) {
    if (auto v = r.string("folder")) {
      if (v->empty()) {
        r.error("folder", "must not be empty");
      } else {
        f.folder = resolve(dir, *v).string();
      }
    }
    if (auto v = r.string("processed_folder", false)) {
      f.processed_folder = resolve(dir, *v).string();
    } else if (!f.folder.empty()) {
      f.processed_folder = (fs::path(f.folder) / "processed").string();
    }
    if (auto v = r.string("file_pattern", false)) {
      if (v->find("{period}") == std::string::npos) {
        r.error("file_pattern",
                std::string("must contain {period} ") + period_words(f) + ", got '" + *v + "'");
      }
      f.file_pattern = *v;
    }
    if (auto v = r.integer_in("settle_seconds", 0, 3600, "seconds", false)) {
      f.settle_seconds = int(*v);
    }
    return;
  }
  if (auto v = r.string("url")) {
    if (!is_http_url(*v)) {
      r.error("url", "must start with http:// or https://");
    } else if (v->find("{period}") == std::string::npos) {
      r.error("url", std::string("must contain {period} ") + period_words(f));
    }
    f.url = *v;
  }
  f.token = secret(r, "token", dir, false);
  if (auto v = r.string("token_header", false)) {
    if (v->empty()) r.error("token_header", "must not be empty");
    f.token_header = *v;
  }
  if (auto v = r.integer_in("attempts", 1, 10, "attempts", false)) f.attempts = int(*v);
}

FeedSource read_feed(Reader& r, const Config& c, const fs::path& dir) {
  FeedSource f;
  auto name = r.string("name");
  f.name = name.value_or("");
  if (name && f.name.empty()) r.error("name", "must not be empty");
  if (f.name.find('/') != std::string::npos) r.error("name", "must not contain '/'");
  if (auto d = r.string("department")) {
    f.department = *d;
    for (const Department& dep : c.departments) {
      if (dep.code == *d) f.department_name = dep.name;
    }
    const bool known = std::any_of(c.departments.begin(), c.departments.end(),
                                   [&](const Department& x) { return x.code == *d; });
    if (!known)
      r.error("department", "department '" + *d + "' is not defined under [[departments]]");
  }
  bool feedback = false;
  if (auto k = r.string("kind", false)) {
    if (*k == "feedback") {
      feedback = true;
    } else if (*k != "data") {
      r.error("kind", "must be \"data\" or \"feedback\", got '" + *k + "'");
    }
  }
  // Known before the source: its file name or URL holds a day, not a month.
  if (feedback) {
    if (auto list = r.string("list")) {
      if (list->empty()) r.error("list", "must name a [[lists]] list");
      f.answers_list = *list;
    }
  }
  for (const char* key : {"list", "measure_type"}) {
    if (!feedback && r.node(key, false)) r.error(key, "is only for kind = \"feedback\"");
  }
  if (auto s = r.string("source")) {
    if (*s == "folder") {
      f.kind = FeedSourceKind::kFolder;
    } else if (*s == "http") {
      f.kind = FeedSourceKind::kHttp;
    } else {
      r.error("source", "must be \"folder\" or \"http\", got '" + *s + "'");
    }
  }
  read_source_location(r, f, dir);
  if (auto v = r.integer_in("poll_minutes", 1, 1440, "minutes", false)) f.poll_minutes = int(*v);
  if (auto v = r.integer_in("max_expanded_mib", 1, 65536, "MiB", false)) {
    f.max_expanded_mib = int(*v);
  }
  if (const toml::table* t = r.table("columns")) {
    Reader cols(*t, r.key_path("columns"), r.errors());
    for (auto&& [k, v] : *t) {
      const std::string field(k.str());
      if (auto header = cols.string(field)) {
        if (header->empty()) cols.error(field, "must name the department's column header");
        f.columns[field] = *header;
      }
    }
    if (!t->get("id_number")) {
      r.error("columns", "must map id_number (身份证号): rows are matched by ID number");
    }
  }
  if (feedback) read_feedback(r, f);
  f.key_fields = r.strings("key_fields", false);
  for (const std::string& k : f.key_fields) {
    if (!f.columns.count(k)) r.error("key_fields", "field '" + k + "' is not one of the columns");
  }
  if (feedback) return f;  // no rules nor ladder (refused by read_feedback)
  f.escalation = read_escalation_ladder(r);
  std::set<std::string> rule_names;
  r.each_table("rules", false, [&](Reader& rr) {
    FeedRule rule;
    rule.name = rr.string("name").value_or("");
    if (!rule.name.empty() && !rule_names.insert(rule.name).second) {
      rr.error("name", "rule '" + rule.name + "' is defined twice in this feed");
    }
    rule.label = rr.string("label").value_or("");
    if (auto x = rr.string("exclusion", false)) {
      if (!c.rules.eligibility.exclusions.count(*x)) {
        rr.error("exclusion", "'" + *x + "' is not an exclusion of [rules.eligibility.exclusions]");
      }
      rule.exclusion = *x;
    }
    rr.not_empty("conditions");
    rr.each_table("conditions", true,
                  [&](Reader& cr) { rule.conditions.push_back(read_condition(cr, f)); });
    f.rules.push_back(std::move(rule));
  });
  return f;
}

// The [[rules.schedules]] tables as written, for errors at their lines.
const toml::array* schedule_tables(const toml::table& root) {
  if (auto* rules = root.get("rules"); rules && rules->is_table()) {
    if (auto* s = rules->as_table()->get("schedules"); s && s->is_array()) return s->as_array();
  }
  return nullptr;
}

void check_schedules(Reader& top, const Config& c, Errors& errors) {
  auto known = [&](const std::string& code) {
    return std::any_of(c.departments.begin(), c.departments.end(),
                       [&](const Department& d) { return d.code == code; });
  };
  const toml::array* tables = schedule_tables(top.table());
  std::set<std::string> used;
  for (size_t i = 0; tables && i < c.rules.schedules.size() && i < tables->size(); ++i) {
    const Schedule& s = c.rules.schedules[i];
    const toml::table* t = tables->get(i)->as_table();
    if (!t) continue;
    const std::string key = "rules.schedules[" + Reader::item_label(*tables->get(i), i) + "].feed";
    const toml::node* n = t->get("feed");
    const toml::source_region& where = n ? n->source() : t->source();
    if (s.kind == "feed" && s.feed.empty()) {
      errors.add(where, key,
                 "is required for kind = \"feed\": name the [[feeds]] source this schedule runs");
    } else if (s.kind == "feed") {
      const FeedSource* f = c.rules.feeds.find(s.feed);
      if (!f) {
        errors.add(where, key, "feed '" + s.feed + "' is not defined under [[feeds]]");
      } else if (!f->answers_list.empty()) {
        errors.add(where, key,
                   "feed '" + s.feed +
                       "' is kind = \"feedback\": it is looked for while its list's answer is "
                       "due, never run by a schedule");
      } else if (f->department != s.department && known(s.department) && known(f->department)) {
        // (An unknown department is reported where it is written, once.)
        errors.add(where, key,
                   "feed '" + s.feed + "' is of department '" + f->department +
                       "', this schedule of '" + s.department + "'");
      }
      used.insert(s.feed);
    }
  }
  const toml::node* feeds = top.table().get("feeds");
  const toml::array* feed_tables = feeds ? feeds->as_array() : nullptr;
  for (size_t i = 0; feed_tables && i < c.rules.feeds.sources.size(); ++i) {
    const FeedSource& f = c.rules.feeds.sources[i];
    if (f.name.empty() || used.count(f.name) || i >= feed_tables->size()) continue;
    // A feedback feed is looked for while its list's answer is due (check_feedback_lists).
    const toml::table* t = feed_tables->get(i)->as_table();
    if (const toml::node* k = t ? t->get("kind") : nullptr;
        k && k->value<std::string>() == std::optional<std::string>("feedback")) {
      continue;
    }
    errors.add(feed_tables->get(i)->source(),
               "feeds[" + Reader::item_label(*feed_tables->get(i), i) + "]",
               "no [[rules.schedules]] with kind = \"feed\" runs feed '" + f.name +
                   "': add one (feed = \"" + f.name + "\") or remove the feed");
  }
}

}  // namespace

void read_alerts(Reader& rules, Config& c, Errors& errors) {
  const toml::table* t = rules.table("alerts", false);
  if (!t) return;
  Reader r(*t, rules.key_path("alerts"), errors);
  AlertRules& a = c.rules.feeds.alerts;
  // Every key is optional: AlertRules holds the defaults (5 working days, [000], [002]).
  if (auto p = r.integer_in("period", 1, 60, "days", false)) a.deadline.period = int(*p);
  if (auto u = r.string("unit", false)) {
    if (*u == "working_days") {
      a.deadline.unit = DayUnit::kWorkingDays;
    } else if (*u == "calendar_days") {
      a.deadline.unit = DayUnit::kCalendarDays;
    } else {
      r.error("unit", "must be \"working_days\" or \"calendar_days\", got '" + *u + "'");
    }
  }
  if (auto b = r.integer_in("remind_before_working_days", 0, 60, "working days", false)) {
    a.deadline.remind_before_working_days = int(*b);
  }
  if (auto owner = r.string("owner", false)) {
    if (!parse_role(*owner)) {
      r.error("owner", "'" + *owner + "' is not a role");
    } else {
      a.owner_role = *owner;
    }
  }
  a.deadline.escalation = read_escalation_ladder(r);
}

void read_feeds(Reader& top, Config& c, const fs::path& dir, Errors& errors) {
  std::set<std::string> names;
  top.each_table("feeds", false, [&](Reader& r) {
    FeedSource f = read_feed(r, c, dir);
    if (!f.name.empty() && !names.insert(f.name).second) {
      r.error("name", "feed '" + f.name + "' is defined twice");
    }
    c.rules.feeds.sources.push_back(std::move(f));
  });
  check_schedules(top, c, errors);
}

void check_feedback_lists(Reader& top, Config& c, Errors& errors) {
  const toml::node* feeds = top.table().get("feeds");
  const toml::array* tables = feeds ? feeds->as_array() : nullptr;
  std::map<std::string, std::string> answered;  // list -> the feed answering it
  for (size_t i = 0; tables && i < c.rules.feeds.sources.size() && i < tables->size(); ++i) {
    const FeedSource& f = c.rules.feeds.sources[i];
    const toml::table* t = tables->get(i)->as_table();
    if (f.answers_list.empty() || !t) continue;
    const toml::node* n = t->get("list");
    const toml::source_region& where = n ? n->source() : t->source();
    const std::string key = "feeds[" + Reader::item_label(*tables->get(i), i) + "].list";
    DepartmentList* list = nullptr;
    for (DepartmentList& l : c.rules.lists.lists) {
      if (l.name == f.answers_list) list = &l;
    }
    if (list == nullptr) {
      errors.add(where, key, "list '" + f.answers_list + "' is not defined under [[lists]]");
    } else if (list->department != f.department) {
      errors.add(where, key,
                 "list '" + f.answers_list + "' goes to department '" + list->department +
                     "', this feed is of '" + f.department + "'");
    } else if (auto [it, added] = answered.emplace(f.answers_list, f.name); !added) {
      errors.add(where, key,
                 "list '" + f.answers_list + "' is answered by feed '" + it->second +
                     "' already: one feedback feed per list");
    } else {
      list->feedback_feed = f.name;
    }
  }
}

}  // namespace fangfan::config_detail
