#include "daemon/ctl/ctl_work.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using ctl::json_text;

constexpr const char* kUsageText =
    "用法 (usage):\n"
    "  fangfanctl duty done ID [--json]                        办结已登记结果的风险评估任务\n"
    "  fangfanctl campaign progress NAME [--json]              专项行动各乡镇进度\n"
    "  fangfanctl campaign done NAME MILESTONE --township CODE [--json]\n"
    "  fangfanctl evaluation progress YEAR [--json]            风险评估各乡镇进度\n"
    "  (--api ADDR:PORT|unix:PATH, --token TOKEN, or FANGFAN_API / FANGFAN_TOKEN, or "
    "~/.config/fangfan/ctl.toml)\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << "fangfanctl: " << problem << "\n";
  err << kUsageText;
  return ctl::kUsage;
}

// A path segment: the names are the configuration's own (letters, digits, '_', '-').
std::string segment(const std::string& text) { return ctl::query_string({{"x", text}}).substr(3); }

const json::array* array_of(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

int duty_done(const ApiTarget& target, const std::string& id, bool as_json, std::ostream& out,
              std::ostream& err) {
  auto answer = ctl::call(target, http::verb::post, "/api/v1/duties/" + segment(id) + "/done", "{}",
                          as_json, out, err);
  if (!answer) return ctl::kFailed;
  if (!as_json) {
    out << "待办 " << json_text(*answer, "id") << " 已办结 (" << json_text(*answer, "duty_key")
        << " done at " << json_text(*answer, "done_at") << " by " << json_text(*answer, "by")
        << ")\n";
  }
  return ctl::kOk;
}

int campaign_progress(const ApiTarget& target, const std::string& name, bool as_json,
                      std::ostream& out, std::ostream& err) {
  auto answer =
      ctl::call(target, http::verb::get, "/api/v1/campaigns/" + segment(name) + "/progress", "",
                as_json, out, err);
  if (!answer) return ctl::kFailed;
  if (as_json) return ctl::kOk;
  std::vector<std::vector<std::string>> rows;
  if (const json::array* list = array_of(*answer, "milestones")) {
    for (const auto& m : *list) {
      if (!m.is_object()) continue;
      const json::object& o = m.get_object();
      const bool behind =
          o.if_contains("behind") && o.at("behind").is_bool() && o.at("behind").get_bool();
      rows.push_back({json_text(o, "township_name"), json_text(o, "milestone"),
                      json_text(o, "label"), json_text(o, "last_day"),
                      json_text(o, "done_at").empty() ? (behind ? "逾期 (late)" : "")
                                                      : json_text(o, "done_at").substr(0, 10),
                      json_text(o, "actor")});
    }
  }
  out << json_text(*answer, "campaign") << " " << json_text(*answer, "label") << "（"
      << json_text(*answer, "now").substr(0, 10) << "）\n";
  print_table(out, {"TOWNSHIP", "MILESTONE", "LABEL", "LAST DAY", "DONE", "BY"}, rows);
  if (const json::array* behind = array_of(*answer, "behind"); behind && !behind->empty()) {
    out << "\n落后的乡镇 (townships behind):\n";
    for (const auto& b : *behind) {
      if (!b.is_object()) continue;
      out << "  " << json_text(b.get_object(), "township_name") << " "
          << json_text(b.get_object(), "milestones") << "\n";
    }
  }
  return ctl::kOk;
}

int campaign_done(const ApiTarget& target, const std::string& name, const std::string& milestone,
                  const std::string& township, bool as_json, std::ostream& out, std::ostream& err) {
  const std::string body = json::serialize(json::object{{"township", township}});
  auto answer = ctl::call(
      target, http::verb::post,
      "/api/v1/campaigns/" + segment(name) + "/milestones/" + segment(milestone) + "/done", body,
      as_json, out, err);
  if (!answer) return ctl::kFailed;
  if (!as_json) {
    out << json_text(*answer, "campaign") << " " << json_text(*answer, "milestone") << " "
        << json_text(*answer, "township") << " 已完成 (done at " << json_text(*answer, "done_at")
        << ")\n";
  }
  return ctl::kOk;
}

int evaluation_progress(const ApiTarget& target, const std::string& year, bool as_json,
                        std::ostream& out, std::ostream& err) {
  auto answer =
      ctl::call(target, http::verb::get, "/api/v1/evaluations/" + segment(year) + "/progress", "",
                as_json, out, err);
  if (!answer) return ctl::kFailed;
  if (as_json) return ctl::kOk;
  std::vector<std::vector<std::string>> rows;
  if (const json::array* list = array_of(*answer, "townships")) {
    for (const auto& t : *list) {
      if (!t.is_object()) continue;
      const json::object& o = t.get_object();
      rows.push_back({json_text(o, "township_name"), json_text(o, "tasks"), json_text(o, "done"),
                      json_text(o, "open"), json_text(o, "overdue"), json_text(o, "cancelled")});
    }
  }
  out << json_text(*answer, "year") << " 年第四季度风险评估（"
      << json_text(*answer, "now").substr(0, 10) << "）\n";
  print_table(out, {"TOWNSHIP", "TASKS", "DONE", "OPEN", "OVERDUE", "CANCELLED"}, rows);
  return ctl::kOk;
}

}  // namespace

int run_work_command(const std::string& command, std::vector<std::string> args,
                     const CtlEnvironment& env, std::ostream& out, std::ostream& err) {
  const auto target = ctl::target_or_report(args, env, err);
  if (!target) return ctl::kUsage;
  const bool as_json = ctl::take_switch(args, "--json");
  std::string problem;
  const auto township = ctl::take_option(args, "--township", problem);
  if (!problem.empty()) return usage(err, problem);
  const std::string sub = args.empty() ? "" : args[0];
  if (command == "duty" && sub == "done" && args.size() == 2) {
    return duty_done(*target, args[1], as_json, out, err);
  }
  if (command == "campaign" && sub == "progress" && args.size() == 2) {
    return campaign_progress(*target, args[1], as_json, out, err);
  }
  if (command == "campaign" && sub == "done" && args.size() == 3) {
    if (!township) return usage(err, "缺少 --township (which township finished it?)");
    return campaign_done(*target, args[1], args[2], *township, as_json, out, err);
  }
  if (command == "evaluation" && sub == "progress" && args.size() == 2) {
    return evaluation_progress(*target, args[1], as_json, out, err);
  }
  return usage(err, "");
}

}  // namespace fangfan
