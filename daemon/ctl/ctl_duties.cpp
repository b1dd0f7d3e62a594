#include "daemon/ctl/ctl_duties.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using ctl::json_text;

constexpr const char* kUsageText =
    "用法 (usage):\n"
    "  fangfanctl overdue  [--township T] [--village V] [--officer NAME] [--limit N] [--json]\n"
    "  fangfanctl due-soon [--days N] [--township T] [--village V] [--officer NAME] [--limit N] "
    "[--json]\n"
    "  (--api ADDR:PORT|unix:PATH, --token TOKEN, or FANGFAN_API / FANGFAN_TOKEN, or "
    "~/.config/fangfan/ctl.toml)\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << "fangfanctl: " << problem << "\n";
  err << kUsageText;
  return ctl::kUsage;
}

void print_counts(std::ostream& out, const json::object& answer, const char* key,
                  const char* title) {
  const json::value* v = answer.if_contains(key);
  if (!v || !v->is_object() || v->get_object().empty()) return;
  std::vector<std::vector<std::string>> rows;
  for (const auto& kv : v->get_object()) {
    rows.push_back({std::string(kv.key()), json::serialize(kv.value())});
  }
  out << "\n";
  print_table(out, {title, "COUNT"}, rows);
}

}  // namespace

int run_duties_command(const std::string& command, std::vector<std::string> args,
                       const CtlEnvironment& env, std::ostream& out, std::ostream& err) {
  const auto target = ctl::target_or_report(args, env, err);
  if (!target) return ctl::kUsage;
  const bool overdue = command == "overdue";
  const bool as_json = ctl::take_switch(args, "--json");
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::string> names = {"township", "village", "officer", "limit"};
  if (!overdue) names.insert(names.begin(), "days");
  for (const auto& name : names) {
    std::string problem;
    auto value = ctl::take_option(args, "--" + name, problem);
    if (!problem.empty()) return usage(err, problem);
    if (value) query.emplace_back(name, *value);
  }
  if (!args.empty()) return usage(err, "多余的参数 (unexpected argument) " + args[0]);
  const std::string path =
      std::string(overdue ? "/api/v1/overdue" : "/api/v1/due-soon") + ctl::query_string(query);
  auto answer = ctl::call(*target, http::verb::get, path, "", as_json, out, err);
  if (!answer) return ctl::kFailed;
  if (as_json) return ctl::kOk;

  std::vector<std::vector<std::string>> rows;
  if (const json::value* list = answer->if_contains("duties"); list && list->is_array()) {
    for (const auto& d : list->get_array()) {
      if (!d.is_object()) continue;
      const json::object& o = d.get_object();
      rows.push_back({json_text(o, "id"), json_text(o, "due_date"),
                      json_text(o, overdue ? "days_overdue" : "days_left"), json_text(o, "kind"),
                      json_text(o, "subject"), json_text(o, "case_id"),
                      json_text(o, "village_code").empty() ? json_text(o, "township_code")
                                                           : json_text(o, "village_code"),
                      json_text(o, "owner_role"), json_text(o, "officer")});
    }
  }
  if (rows.empty()) {
    out << (overdue ? "没有逾期事项 (nothing is overdue)\n"
                    : "近期没有到期事项 (nothing falls due)\n");
    return ctl::kOk;
  }
  print_table(out,
              {"ID", "LAST DAY", overdue ? "DAYS LATE" : "DAYS LEFT", "KIND", "SUBJECT", "CASE",
               "PLACE", "OWNER", "OFFICER"},
              rows);
  print_counts(out, *answer, "by_township", "TOWNSHIP");
  print_counts(out, *answer, "by_officer", "OFFICER");
  return ctl::kOk;
}

}  // namespace fangfan
