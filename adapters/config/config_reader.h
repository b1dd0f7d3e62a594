// Internal to adapters/config: the pieces each config_*.cpp file uses to read
// its own sections. A Reader wraps one TOML table, remembers which keys were
// read and reports the rest as unknown when it is destroyed, so a misspelt key
// is an error instead of a silently ignored setting. Errors collects every
// problem with file, line and dotted key; nothing here throws.
//
// A section reader is a free function `void read_X(Reader& parent, Config& c,
// const fs::path& dir, Errors& errors)` declared at the bottom of this file and
// called once from read_config() in config_loader.cpp.
#pragma once

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config/config.h"

namespace fangfan::config_detail {

namespace fs = std::filesystem;

struct Errors {
  std::string file;
  std::vector<ConfigError> list;
  bool read_secrets = true;   // LoadOptions::read_secrets of this load
  std::optional<Date> today;  // LoadOptions::today of this load
  void add(const toml::source_region& where, std::string key, std::string message) {
    list.push_back({file, int(where.begin.line), std::move(key), std::move(message)});
  }
};

inline std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "a whole number";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "true/false";
    case toml::node_type::array:
      return "a list";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

class Reader {
 public:
  Reader(const toml::table& table, std::string path, Errors& errors)
      : table_(table), path_(std::move(path)), errors_(errors) {}
  Reader(const Reader&) = delete;
  ~Reader() { report_unknown(); }

  std::string key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  const std::string& path() const { return path_; }
  const toml::table& table() const { return table_; }
  Errors& errors() { return errors_; }

  const toml::node* node(std::string_view key, bool required) {
    used_.insert(std::string(key));
    const toml::node* n = table_.get(key);
    if (!n && required) {
      errors_.add(table_.source(), key_path(key), "is required but missing");
    }
    return n;
  }

  void error(std::string_view key, std::string message) {
    const toml::node* n = table_.get(key);
    errors_.add(n ? n->source() : table_.source(), key_path(key), std::move(message));
  }

  std::optional<std::string> string(std::string_view key, bool required = true) {
    const toml::node* n = node(key, required);
    if (!n) return std::nullopt;
    if (auto v = n->value<std::string>(); v && n->is_string()) return *v;
    errors_.add(n->source(), key_path(key), "must be a string, got " + type_name(*n));
    return std::nullopt;
  }

  std::optional<int64_t> integer(std::string_view key, bool required = true) {
    const toml::node* n = node(key, required);
    if (!n) return std::nullopt;
    if (n->is_integer()) return n->as_integer()->get();
    errors_.add(n->source(), key_path(key), "must be a whole number, got " + type_name(*n));
    return std::nullopt;
  }

  // A whole number from `lo` to `hi`; out of range is an error naming the range, e.g.
  // "must be from 0 to 250 working days, got 9223372036854775807", and yields nothing.
  std::optional<int64_t> integer_in(std::string_view key, int64_t lo, int64_t hi,
                                    std::string_view unit, bool required = true) {
    auto v = integer(key, required);
    if (!v) return std::nullopt;
    if (*v < lo || *v > hi) {
      error(key, range_message(lo, hi, unit, *v));
      return std::nullopt;
    }
    return v;
  }

  static std::string range_message(int64_t lo, int64_t hi, std::string_view unit, int64_t got) {
    // The sentence a reader of logs already knows for a count below one, with the range added.
    if (lo == 1 && got < 1) {
      return "must be a positive number (1 to " + std::to_string(hi) + (unit.empty() ? "" : " ") +
             std::string(unit) + "), got " + std::to_string(got);
    }
    return "must be from " + std::to_string(lo) + " to " + std::to_string(hi) +
           (unit.empty() ? "" : " ") + std::string(unit) + ", got " + std::to_string(got);
  }

  std::optional<double> number(std::string_view key, bool required = true) {
    const toml::node* n = node(key, required);
    if (!n) return std::nullopt;
    if (n->is_integer()) return double(n->as_integer()->get());
    if (n->is_floating_point()) return n->as_floating_point()->get();
    errors_.add(n->source(), key_path(key), "must be a number, got " + type_name(*n));
    return std::nullopt;
  }

  std::optional<bool> boolean(std::string_view key, bool required = true) {
    const toml::node* n = node(key, required);
    if (!n) return std::nullopt;
    if (n->is_boolean()) return n->as_boolean()->get();
    errors_.add(n->source(), key_path(key), "must be true or false, got " + type_name(*n));
    return std::nullopt;
  }

  const toml::table* table(std::string_view key, bool required = true) {
    const toml::node* n = node(key, required);
    if (!n) return nullptr;
    if (n->is_table()) return n->as_table();
    errors_.add(n->source(), key_path(key), "must be a table, got " + type_name(*n));
    return nullptr;
  }

  const toml::array* array(std::string_view key, bool required = true) {
    const toml::node* n = node(key, required);
    if (!n) return nullptr;
    if (n->is_array()) return n->as_array();
    errors_.add(n->source(), key_path(key), "must be a list, got " + type_name(*n));
    return nullptr;
  }

  // A list of strings; wrong elements are reported one by one.
  std::vector<std::string> strings(std::string_view key, bool required = true) {
    std::vector<std::string> out;
    const toml::array* a = array(key, required);
    if (!a) return out;
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::node& n = *a->get(i);
      if (n.is_string()) {
        out.push_back(n.as_string()->get());
      } else {
        errors_.add(n.source(), key_path(key) + "[" + std::to_string(i + 1) + "]",
                    "must be a string, got " + type_name(n));
      }
    }
    return out;
  }

  // A list of whole numbers each from `lo` to `hi`; `non_empty`: an empty list is an error.
  std::vector<int> integers(std::string_view key, int lo, int hi, std::string_view unit,
                            bool required = true, bool non_empty = false) {
    std::vector<int> out;
    const toml::array* a = array(key, required);
    if (!a) return out;
    if (non_empty && a->empty()) {
      errors_.add(a->source(), key_path(key), "must not be empty");
      return out;
    }
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::node& n = *a->get(i);
      const std::string item = key_path(key) + "[" + std::to_string(i + 1) + "]";
      if (!n.is_integer()) {
        errors_.add(n.source(), item, "must be a whole number, got " + type_name(n));
      } else if (const int64_t v = n.as_integer()->get(); v < lo || v > hi) {
        errors_.add(n.source(), item, range_message(lo, hi, unit, v));
      } else {
        out.push_back(int(v));
      }
    }
    return out;
  }

  // How an error names the i-th (from 0) element of a list: counted from 1 as people count,
  // with its name or code when it has one, e.g. "3 郑海峰" in people[3 郑海峰].phone.
  static std::string item_label(const toml::node& n, size_t i) {
    std::string label = std::to_string(i + 1);
    if (const toml::table* t = n.as_table()) {
      for (const char* key : {"name", "code"}) {
        if (const toml::node* v = t->get(key); v && v->is_string()) {
          return label + " " + v->as_string()->get();
        }
      }
    }
    return label;
  }

  // `key = []` where the list must have items (a county without townships, a campaign without
  // milestones); a missing or mistyped key is left to the reading call.
  void not_empty(std::string_view key) {
    const toml::node* n = table_.get(key);
    if (const toml::array* a = n ? n->as_array() : nullptr; a && a->empty()) {
      errors_.add(a->source(), key_path(key), "must not be empty");
    }
  }

  // Tables in an array of tables ([[name]]); each yields a Reader.
  template <class Fn>
  void each_table(std::string_view key, bool required, Fn&& fn) {
    const toml::array* a = array(key, required);
    if (!a) return;
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::node& n = *a->get(i);
      std::string item = key_path(key) + "[" + item_label(n, i) + "]";
      if (!n.is_table()) {
        errors_.add(n.source(), item, "must be a table, got " + type_name(n));
        continue;
      }
      Reader r(*n.as_table(), item, errors_);
      fn(r);
    }
  }

 private:
  void report_unknown() {
    for (auto&& [k, v] : table_) {
      if (!used_.count(std::string(k.str()))) {
        errors_.add(k.source(), key_path(k.str()), "unknown key (not a setting fangfan knows)");
      }
    }
  }

  const toml::table& table_;
  std::string path_;
  Errors& errors_;
  std::set<std::string> used_;
};

inline bool all_digits(std::string_view s, size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

inline fs::path resolve(const fs::path& base_dir, const std::string& p) {
  fs::path path(p);
  return (path.is_absolute() ? path : base_dir / path).lexically_normal();
}

// config_people.cpp: why `p.scope` cannot be the scope of `p.role`, as a sentence, or nullopt.
// The rule API tokens follow (daemon/api/auth.cpp check_token_grant), applied to people: a
// village officer needs a village of the configuration, township roles a township, county roles
// the county, an assistance officer a township or village, a department clerk a department (or
// the county), an auditor any place. Never empty: "" is a prefix of every code.
std::optional<std::string> person_scope_problem(const Config& c, const Person& p);

// config_channels.cpp, after every section is read: whether each person can be reached on
// their channels (a wechat_robot group for their place, an SMS template for every message type
// they will receive). Errors name people[N name].channels. Reads the wall clock once: a
// campaign whose last milestone is before today sends nothing, so needs no template.
void check_reach(Reader& top, const Config& c, Errors& errors);

// -- section readers, one per config_*.cpp file (each called once from read_config)
// config_delivery.cpp: [delivery] and [templates].
void read_delivery(Reader& top, Config& c, const fs::path& dir, Errors& errors);

// -- the monitoring standard (config_eligibility.cpp): [rules.eligibility], read from the [rules]
// table's Reader after [[rules.case_kinds]] (its instant route names case kinds).
void read_eligibility(Reader& rules, Config& c, Errors& errors);

// -- recurring work (config_work.cpp): [rules.evaluation] and [[rules.campaigns]], read from
// the [rules] table's Reader after read_rules.
void read_work(Reader& rules, Config& c, const fs::path& dir, Errors& errors);

// -- exit evidence (config_exit.cpp): [rules.elimination], read from the [rules] table's Reader
// after read_rules (it checks the case kind codes).
void read_elimination(Reader& rules, Config& c, Errors& errors);

// config_channels.cpp: a secret given as `key`, `key_file` (resolved against `dir`) or `key_env`
// (exactly one when required); "" when absent, or when this load reads no secrets.
std::string secret(Reader& r, const std::string& key, const fs::path& dir, bool required);

// -- department feeds (config_feeds.cpp): [rules.alerts], read from the [rules] table's Reader
// after read_work; then [[feeds]], read from the top Reader after [rules] (it checks the feed
// schedules and needs departments and exclusions).
void read_alerts(Reader& rules, Config& c, Errors& errors);
// -- registration duty and the monitoring alert loop (config_loop.cpp): [rules.assignment] and
// [rules.alert_loop], read from the [rules] table's Reader.
void read_assignment(Reader& rules, Config& c, Errors& errors);
void read_alert_loop(Reader& rules, Config& c, Errors& errors);
void read_feeds(Reader& top, Config& c, const fs::path& dir, Errors& errors);
// After every section is read ([[lists]] included, whatever their order): each kind = "feedback"
// feed answers a configured list of its own department, one feed per list; fills
// DepartmentList::feedback_feed. Errors name feeds[N name].list.
void check_feedback_lists(Reader& top, Config& c, Errors& errors);

// -- department lists (config_lists.cpp): [[lists]], read from the top Reader after [rules] and
// [channels] and before [[feeds]] (a feedback feed names its list); it checks the list
// schedules. link_feedback_feeds() then names each list's feedback feed (after read_feeds).
void read_lists(Reader& top, Config& c, const fs::path& dir, Errors& errors);
void link_feedback_feeds(Config& c);

// -- the monthly report workbook (config_reports.cpp): the report keys of one kind = "report"
// schedule `s` (reports, folder, robot_group, app_to_county_office), read from that schedule's
// Reader after [channels] and [[people]]; adds its MonthlyReport to c.rules.monthly_reports.
void read_report_schedule(Reader& schedule, Config& c, const fs::path& dir, const Schedule& s);

// An [[...escalation]] ladder (steps, feeds, alerts, the registration duty and the alert loop):
// rungs in increasing order of working days (0..250), each to a known role. Defined in
// config_loader.cpp.
std::vector<EscalationRung> read_escalation_ladder(Reader& r);

// -- gateways (config_channels.cpp): [channels.http] and the gateway sections, read from the
// [channels] table's Reader after [channels.file].
void read_channels(Reader& channels, Config& c, const fs::path& dir, Errors& errors);

}  // namespace fangfan::config_detail
