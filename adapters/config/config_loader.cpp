// TOML → Config. A Reader wraps each table, remembers which keys were read and
// reports the rest as unknown, so a misspelt key is an error instead of a
// silently ignored setting.
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "adapters/config/config.h"
#include "adapters/config/config_reader.h"
#include "workflows/id_number.h"
#include "workflows/program_rules.h"

namespace fangfan {
namespace {

using namespace config_detail;  // NOLINT: the reader vocabulary of this folder
namespace fs = std::filesystem;

const std::set<std::string> kLogLevels = {"trace", "debug",    "info", "warn",
                                          "error", "critical", "off"};
const std::set<std::string> kChannels = {"file",       "wechat_robot", "wechat_app",
                                         "sms_aliyun", "sms_tencent",  "webhook"};
const std::set<std::string> kSteps = {kStepHouseholdVerification, kStepDemocraticReview,
                                      kStepCountyReview,          kStepVillagePublicity,
                                      kStepEliminationReview,     kStepTownshipEliminationReview,
                                      kStepEliminationPublicity};

void read_rules(Reader& r, Config& c, const fs::path& dir, Errors& errors) {
  ProgramRules& rules = c.rules;
  r.not_empty("case_kinds");
  r.each_table("case_kinds", true, [&](Reader& k) {
    CaseKind kind;
    kind.code = k.string("code").value_or("");
    kind.name = k.string("name").value_or("");
    kind.steps = k.strings("steps");
    // Unknown steps, wrong order, repeats: the core's own rule for a procedure.
    if (!kind.code.empty()) {
      if (auto problem = case_kind_problem(kind)) k.error("steps", *problem);
    }
    for (const char* must : {kStepHouseholdVerification, kStepCountyReview}) {
      if (std::find(kind.steps.begin(), kind.steps.end(), must) == kind.steps.end()) {
        k.error("steps", std::string("every procedure must include ") + must);
      }
    }
    if (!kind.code.empty() && rules.find_kind(kind.code)) {
      k.error("code", "case kind '" + kind.code + "' is defined twice");
    }
    rules.case_kinds.push_back(std::move(kind));
  });

  read_eligibility(r, c, errors);  // -- after the case kinds (config_eligibility.cpp)

  if (const toml::table* t = r.table("deadlines")) {
    Reader d(*t, r.key_path("deadlines"), errors);
    for (auto&& [k, v] : *t) {
      std::string step(k.str());
      const toml::table* st = d.table(step);
      if (!st) continue;
      if (!kSteps.count(step)) {
        errors.add(k.source(), d.key_path(step), "is not a step fangfan knows");
        continue;
      }
      Reader s(*st, d.key_path(step), errors);
      StepDeadline dl;
      if (auto p = s.integer("period")) {
        if (*p <= 0)
          s.error("period",
                  "deadline must be a positive number of days, got " + std::to_string(*p));
        else if (*p > 366)
          s.error("period", Reader::range_message(1, 366, "days", *p));
        else
          dl.period = int(*p);
      }
      if (auto u = s.string("unit")) {
        const bool publicity = step == "village_publicity" || step == "elimination_publicity";
        if (*u == "working_days" && publicity)
          // The case machine holds a publicity open for `period` calendar days (公示 5 天) and
          // has no calendar; counting the deadline in working days would disagree with it.
          s.error("unit",
                  "a publicity period counts calendar days (公示期按自然日计算): use "
                  "\"calendar_days\"");
        else if (*u == "working_days")
          dl.unit = DayUnit::kWorkingDays;
        else if (*u == "calendar_days")
          dl.unit = DayUnit::kCalendarDays;
        else
          s.error("unit", "must be \"working_days\" or \"calendar_days\", got '" + *u + "'");
      }
      if (auto b = s.integer_in("remind_before_working_days", 0, 60, "working days", false)) {
        dl.remind_before_working_days = int(*b);
      }
      dl.escalation = read_escalation_ladder(s);
      if (auto w = s.string("shared_window", false)) {
        if (auto problem = shared_window_problem(step, *w)) s.error("shared_window", *problem);
        dl.shared_window = *w;
      }
      rules.deadlines[step] = std::move(dl);
    }
  }
  for (const auto& [step, dl] : rules.deadlines) {
    if (!dl.shared_window.empty() && !rules.deadlines.count(dl.shared_window)) {
      errors.add(
          r.table().source(), r.key_path("deadlines." + step + ".shared_window"),
          "shares the window of '" + dl.shared_window + "', which has no deadline configured");
    }
  }
  for (const auto& kind : rules.case_kinds) {
    for (const auto& s : kind.steps) {
      if (kSteps.count(s) && !rules.deadlines.count(s)) {
        errors.add(r.table().source(), r.key_path("deadlines." + s),
                   "case kind '" + kind.code + "' uses step '" + s +
                       "' but no deadline is configured for it");
      }
    }
  }

  auto read_monthly = [&](const char* key, int& per_month, int& reminder_day,
                          std::vector<EscalationRung>& ladder) {
    const toml::table* t = r.table(key);
    if (!t) return;
    Reader m(*t, r.key_path(key), errors);
    if (auto v = m.integer_in("per_month", 1, 31, "times a month")) per_month = int(*v);
    if (auto v = m.integer("reminder_day")) {
      if (*v < 1 || *v > 28)
        m.error("reminder_day", "must be a day of the month from 1 to 28");
      else
        reminder_day = int(*v);
    }
    ladder = read_escalation_ladder(m);
  };
  read_monthly("visits", rules.visits.per_month, rules.visits.reminder_day,
               rules.visits.escalation);
  read_monthly("monitoring", rules.monitoring.per_month, rules.monitoring.reminder_day,
               rules.monitoring.escalation);

  r.each_table("schedules", false, [&](Reader& s) {
    Schedule sc;
    sc.name = s.string("name").value_or("");
    sc.kind = s.string("kind").value_or("");
    if (!sc.kind.empty() && sc.kind != "feed" && sc.kind != "list" && sc.kind != "report") {
      s.error("kind", "must be \"feed\", \"list\" or \"report\", got '" + sc.kind + "'");
    }
    // The monthly report goes to the county office: a department is optional there.
    sc.department = s.string("department", sc.kind != "report").value_or("");
    sc.feed = s.string("feed", false).value_or("");  // checked against [[feeds]] by read_feeds
    sc.list = s.string("list", false).value_or("");  // checked against [[lists]] by read_lists
    if (sc.kind == "list" && !sc.feed.empty()) s.error("feed", "is only for kind = \"feed\"");
    if (sc.kind == "feed" && !sc.list.empty()) s.error("list", "is only for kind = \"list\"");
    // An empty days_of_month would never run; an empty months list means every month.
    sc.days_of_month = s.integers("days_of_month", 1, 28, "(a day of the month)", true, true);
    sc.months = s.integers("months", 1, 12, "(a month)", false);
    if (auto h = s.integer("hour", false)) {
      if (*h < 0 || *h > 23)
        s.error("hour", "must be an hour from 0 to 23");
      else
        sc.hour = int(*h);
    }
    if (sc.kind == "report") {
      if (!sc.feed.empty()) s.error("feed", "is only for kind = \"feed\"");
      if (!sc.list.empty()) s.error("list", "is only for kind = \"list\"");
      read_report_schedule(s, c, dir, sc);  // -- the monthly report (config_reports.cpp)
    }
    rules.schedules.push_back(std::move(sc));
  });
}

void check_references(Config& c, Reader& top, Errors& errors) {
  // Departments named by schedules must exist.
  const toml::array* sched = nullptr;
  if (auto* rules = top.table().get("rules"); rules && rules->is_table()) {
    if (auto* s = rules->as_table()->get("schedules"); s && s->is_array()) sched = s->as_array();
  }
  for (size_t i = 0; i < c.rules.schedules.size(); ++i) {
    const auto& s = c.rules.schedules[i];
    bool known = std::any_of(c.departments.begin(), c.departments.end(),
                             [&](const Department& d) { return d.code == s.department; });
    if (!known && !s.department.empty() && sched && i < sched->size()) {
      const toml::node* n = sched->get(i)->as_table()->get("department");
      errors.add(n ? n->source() : sched->source(),
                 "rules.schedules[" + Reader::item_label(*sched->get(i), i) + "].department",
                 "department '" + s.department + "' is not defined under [[departments]]");
    }
  }
}

// -- scale-out: [storage] outbox_lease_seconds acts only where several daemons share a database
// (PostgreSQL). A message on the wire renews nothing, so a lease shorter than a send's whole
// HTTP timeout and the write of its answer would let a neighbour send it again meanwhile.
void check_outbox_lease(Reader& top, const Config& c, Errors& errors) {
  const toml::table* storage = top.table("storage", false);
  const toml::node* lease = storage ? storage->get("outbox_lease_seconds") : nullptr;
  if (c.storage_url.rfind("sqlite3://", 0) == 0) {
    if (lease) {
      errors.add(lease->source(), "storage.outbox_lease_seconds",
                 "only for a postgresql:// url: one daemon per SQLite file holds no lease");
    }
    return;
  }
  const int timeout = c.channels.http.timeout_seconds;
  if (c.outbox_lease > std::chrono::seconds(2 * timeout)) return;
  const toml::table* channels = top.table("channels", false);
  const toml::node* http = channels ? channels->get("http") : nullptr;
  const toml::node* at = lease                      ? lease
                         : http && http->is_table() ? http->as_table()->get("timeout_seconds")
                                                    : nullptr;
  if (!at) return;
  errors.add(at->source(), lease ? "storage.outbox_lease_seconds" : "channels.http.timeout_seconds",
             "[storage] outbox_lease_seconds (" + std::to_string(c.outbox_lease.count()) +
                 ") must be more than twice [channels.http] timeout_seconds (" +
                 std::to_string(timeout) +
                 "): a message on the wire renews no lease and would be sent again by another "
                 "daemon");
}

void read_config(Reader& top, Config& c, const fs::path& dir, Errors& errors) {
  if (const toml::table* t = top.table("county")) {
    Reader r(*t, "county", errors);
    auto code = r.string("code");
    c.county.code = code.value_or("");
    if (code && !all_digits(c.county.code, 6)) {
      r.error("code", "a county code has 6 digits, got '" + c.county.code + "'");
    }
    c.county.name = r.string("name").value_or("");
    c.county.province = r.string("province").value_or("");
  }

  std::set<std::string> codes;
  top.not_empty("townships");
  top.each_table("townships", true, [&](Reader& r) {
    Township t;
    auto code = r.string("code");
    t.code = code.value_or("");
    t.name = r.string("name").value_or("");
    if (code) {
      if (!all_digits(t.code, 9) || t.code.rfind(c.county.code, 0) != 0) {
        r.error("code", "a township code has 9 digits and begins with the county code " +
                            c.county.code + ", got '" + t.code + "'");
      } else if (!codes.insert(t.code).second) {
        r.error("code", "township " + t.code + " is defined twice");
      }
    }
    c.townships.push_back(std::move(t));
  });

  top.not_empty("villages");
  top.each_table("villages", true, [&](Reader& r) {
    Village v;
    const auto code = r.string("code");
    v.code = code.value_or("");
    v.name = r.string("name").value_or("");
    const auto township = r.string("township");
    v.township = township.value_or("");
    if (!township) {
      // missing: already reported
    } else if (v.township.empty()) {
      // "" is a prefix of every code: any 12 digits would pass as this village's code.
      r.error("township", "must not be empty: name the township of [[townships]] it belongs to");
    } else if (!c.find_township(v.township)) {
      r.error("township",
              "township '" + v.township + "' is referenced but not defined under [[townships]]");
    } else if (code && (!all_digits(v.code, 12) || v.code.rfind(v.township, 0) != 0)) {
      r.error("code", "a village code has 12 digits and begins with its township's code " +
                          v.township + ", got '" + v.code + "'");
    } else if (code && !codes.insert(v.code).second) {
      r.error("code", "village " + v.code + " is defined twice");
    }
    c.villages.push_back(std::move(v));
  });

  top.each_table("departments", true, [&](Reader& r) {
    Department d;
    auto code = r.string("code");
    d.code = code.value_or("");
    d.name = r.string("name").value_or("");
    if (code && d.code.empty()) {
      r.error("code", "must not be empty");
    } else if (!d.code.empty() && !codes.insert(d.code).second) {
      r.error("code", "'" + d.code + "' is defined twice");
    }
    c.departments.push_back(std::move(d));
  });

  top.not_empty("people");
  top.each_table("people", true, [&](Reader& r) {
    Person p;
    p.name = r.string("name").value_or("");
    bool known_role = false;
    if (auto role = r.string("role")) {
      if (auto parsed = parse_role(*role)) {
        p.role = *parsed;
        known_role = true;
      } else {
        r.error(
            "role",
            "'" + *role +
                "' is not a role (county_admin, county_office, township_head, "
                "township_clerk, village_officer, assistance_officer, department_clerk, auditor)");
      }
    }
    const auto scope = r.string("scope");
    p.scope = scope.value_or("");
    if (scope && known_role) {
      // By role, as API tokens are granted (a village officer a village, ...).
      if (auto problem = person_scope_problem(c, p)) r.error("scope", *problem);
    }
    p.phone = r.string("phone", false).value_or("");
    if (!p.phone.empty() && !is_mainland_mobile(p.phone)) {
      r.error("phone", "'" + mask_phone(p.phone) +
                           "' is not a mainland mobile number (11 digits starting 13-19)");
    }
    p.wechat = r.string("wechat", false).value_or("");
    p.channels = r.strings("channels", false);
    if (p.channels.empty()) p.channels = {"file"};
    for (const auto& ch : p.channels) {
      if (!kChannels.count(ch)) r.error("channels", "'" + ch + "' is not a channel fangfan knows");
      if (ch.rfind("sms", 0) == 0 && p.phone.empty())
        r.error("channels", "channel " + ch + " needs a phone");
      if (ch.rfind("wechat_app", 0) == 0 && p.wechat.empty())
        r.error("channels", "channel wechat_app needs a wechat id");
    }
    c.people.push_back(std::move(p));
  });

  if (const toml::table* t = top.table("storage")) {
    Reader r(*t, "storage", errors);
    if (auto url = r.string("url")) {
      if (url->rfind("sqlite3://", 0) == 0) {
        std::string path = url->substr(10);
        if (path.empty()) r.error("url", "sqlite3:// needs a file path");
        c.storage_url = "sqlite3://" + resolve(dir, path).string();
      } else if (url->rfind("postgresql://", 0) == 0 || url->rfind("postgres://", 0) == 0) {
        c.storage_url = *url;
      } else {
        r.error("url", "must start with sqlite3:// or postgresql://");
      }
    }
    // Produced department lists are kept here (never deleted): lists/<list>/<period>/.
    const auto files = r.string("files", false);
    if (files && files->empty()) r.error("files", "must be a folder path, e.g. state/files");
    c.files_dir = resolve(dir, files && !files->empty() ? *files : std::string("state/files"));
    // -- scale-out: several daemons on one PostgreSQL (checked against the HTTP timeout below)
    if (auto lease = r.integer_in("outbox_lease_seconds", 30, 86400, "seconds", false)) {
      c.outbox_lease = std::chrono::seconds(*lease);
    }
  }

  if (const toml::table* t = top.table("log", false)) {
    Reader r(*t, "log", errors);
    if (auto lvl = r.string("level", false)) {
      if (!kLogLevels.count(*lvl))
        r.error("level", "must be one of trace, debug, info, warn, error, critical, off");
      c.log_level = *lvl;
    }
  }

  if (const toml::table* t = top.table("calendar")) {
    Reader r(*t, "calendar", errors);
    if (auto d = r.string("dir")) {
      c.calendar_dir = resolve(dir, *d);
      std::error_code ec;
      if (!fs::is_directory(c.calendar_dir, ec)) {
        r.error("dir", "folder " + c.calendar_dir.string() + " does not exist");
      }
    }
  }

  if (const toml::table* t = top.table("api", false)) {
    Reader r(*t, "api", errors);
    if (auto l = r.string("listen", false)) {
      auto colon = l->rfind(':');
      if (colon == std::string::npos || colon + 1 == l->size()) {
        r.error("listen", "must be ADDRESS:PORT, e.g. 127.0.0.1:8470");
      }
      c.api_listen = *l;
    }
    if (auto sock = r.string("socket", false)) {
      // sun_path holds 107 bytes: a longer path cannot be bound.
      if (sock->empty()) {
        r.error("socket", "must be a file path, e.g. state/fangfan.sock");
      } else if (resolve(dir, *sock).string().size() > 107) {
        r.error("socket", "path " + resolve(dir, *sock).string() +
                              " is longer than a Unix socket allows (107 bytes)");
      } else {
        c.api_socket = resolve(dir, *sock);
      }
    }
    // -- connections: one client cannot take every slot (the server holds 256), and an idle
    // connection gives its slot back soon.
    if (auto n = r.integer_in("max_connections_per_client", 1, 256, "connections", false)) {
      c.api_max_connections_per_client = int(*n);
    }
    if (auto s = r.integer_in("header_timeout_seconds", 1, 30, "seconds", false)) {
      c.api_header_timeout_seconds = int(*s);
    }
  }

  if (const toml::table* t = top.table("daemon", false)) {
    Reader r(*t, "daemon", errors);
    if (auto s = r.integer_in("shutdown_timeout_seconds", 1, 3600, "seconds", false)) {
      c.shutdown_timeout_seconds = int(*s);
    }
  }

  if (const toml::table* t = top.table("channels")) {
    Reader r(*t, "channels", errors);
    if (const toml::table* f = r.table("file", false)) {
      Reader fr(*f, "channels.file", errors);
      c.channels.file.enabled = fr.boolean("enabled", false).value_or(true);
      if (auto p = fr.string("path")) c.channels.file.path = resolve(dir, *p);
    } else {
      c.channels.file.enabled = false;
    }
    read_channels(r, c, dir, errors);  // -- gateways (config_channels.cpp)
  }
  check_outbox_lease(top, c, errors);

  if (const toml::table* t = top.table("rules")) {
    Reader r(*t, "rules", errors);
    read_rules(r, c, dir, errors);
    read_work(r, c, dir, errors);    // -- recurring work (config_work.cpp)
    read_elimination(r, c, errors);  // -- exit evidence (config_exit.cpp)
    read_alerts(r, c, errors);       // -- department feeds (config_feeds.cpp)
    read_assignment(r, c, errors);   // -- registration duty (config_loop.cpp)
    read_alert_loop(r, c, errors);   // -- monitoring alert loop (config_loop.cpp)
  }
  read_lists(top, c, dir, errors);  // -- department lists (config_lists.cpp)
  read_feeds(top, c, dir, errors);
  link_feedback_feeds(c);
  read_delivery(top, c, dir, errors);
  check_references(c, top, errors);
  check_reach(top, c, errors);
  check_feedback_lists(top, c, errors);  // -- department feeds (config_feeds.cpp)
}

ConfigResult finish(const toml::table& root, const fs::path& display, Errors& errors) {
  auto config = std::make_shared<Config>();
  config->file = display;
  {
    Reader top(root, "", errors);
    read_config(top, *config, display.parent_path(), errors);
  }  // ~Reader reports unknown top-level keys
  std::stable_sort(errors.list.begin(), errors.list.end(),
                   [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
  if (!errors.list.empty()) return std::move(errors.list);
  return std::shared_ptr<const Config>(std::move(config));
}

}  // namespace

const char* role_name(Role r) {
  switch (r) {
    case Role::kCountyAdmin:
      return "county_admin";
    case Role::kCountyOffice:
      return "county_office";
    case Role::kTownshipHead:
      return "township_head";
    case Role::kTownshipClerk:
      return "township_clerk";
    case Role::kVillageOfficer:
      return "village_officer";
    case Role::kAssistanceOfficer:
      return "assistance_officer";
    case Role::kDepartmentClerk:
      return "department_clerk";
    case Role::kAuditor:
      return "auditor";
  }
  return "?";
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role r :
       {Role::kCountyAdmin, Role::kCountyOffice, Role::kTownshipHead, Role::kTownshipClerk,
        Role::kVillageOfficer, Role::kAssistanceOfficer, Role::kDepartmentClerk, Role::kAuditor}) {
    if (name == role_name(r)) return r;
  }
  return std::nullopt;
}

std::string address_for(const Person& person, std::string_view channel) {
  if (channel.rfind("sms", 0) == 0) return person.phone;
  if (channel == "wechat_app") return person.wechat;
  return person.name + "@" + person.scope;
}

const Township* Config::find_township(std::string_view code) const {
  for (const auto& t : townships) {
    if (t.code == code) return &t;
  }
  return nullptr;
}

const Village* Config::find_village(std::string_view code) const {
  for (const auto& v : villages) {
    if (v.code == code) return &v;
  }
  return nullptr;
}

std::optional<ScopeLevel> Config::scope_level(std::string_view code) const {
  if (code == county.code) return ScopeLevel::kCounty;
  if (find_township(code)) return ScopeLevel::kTownship;
  if (find_village(code)) return ScopeLevel::kVillage;
  return std::nullopt;
}

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

ConfigResult load_config_text(std::string_view text, const fs::path& display_name,
                              LoadOptions options) {
  Errors errors{display_name.string(), {}, options.read_secrets, options.today};
  try {
    toml::table root = toml::parse(text, display_name.string());
    return finish(root, display_name, errors);
  } catch (const toml::parse_error& e) {
    errors.list.push_back({display_name.string(), int(e.source().begin.line), "",
                           "not valid TOML: " + std::string(e.description())});
    return std::move(errors.list);
  }
}

ConfigResult load_config(const fs::path& file, LoadOptions options) {
  std::error_code ec;
  fs::path absolute = fs::absolute(file, ec);
  if (ec) absolute = file;
  std::ifstream in(absolute, std::ios::binary);
  if (!in) {
    return std::vector<ConfigError>{
        {file.string(), 0, "", "cannot read the configuration file (missing or not readable)"}};
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return load_config_text(buf.str(), absolute.lexically_normal(), options);
}

std::vector<EscalationRung> config_detail::read_escalation_ladder(Reader& r) {
  std::vector<EscalationRung> ladder;
  r.each_table("escalation", false, [&](Reader& rung) {
    EscalationRung e;
    if (auto v = rung.integer_in("after_working_days", 0, 250, "working days")) {
      e.after_working_days = int(*v);
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

}  // namespace fangfan
