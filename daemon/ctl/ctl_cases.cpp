#include "daemon/ctl/ctl_cases.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <optional>

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

using ctl::json_text;
using ctl::kFailed;
using ctl::kOk;
using ctl::kUsage;
using ctl::take_option;
using ctl::take_switch;

constexpr const char* kUsageText =
    "用法 (usage):\n"
    "  fangfanctl case open FILE.json [--json]\n"
    "  fangfanctl case event ID FILE.json [--type T] [--json]\n"
    "  fangfanctl cases [--state S] [--kind K] [--township T] [--village V] [--officer O] "
    "[--json]\n"
    "  (FILE may be - for standard input; --api ADDR:PORT|unix:PATH, --token TOKEN, or "
    "FANGFAN_API / FANGFAN_TOKEN, or ~/.config/fangfan/ctl.toml)\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << "fangfanctl: " << problem << "\n";
  err << kUsageText;
  return kUsage;
}

void print_case_line(const json::object& answer, std::ostream& out) {
  const json::value* c = answer.if_contains("case");
  if (c == nullptr || !c->is_object()) return;
  const json::object& o = c->get_object();
  out << "案件 (case) " << json_text(o, "id") << "：" << json_text(o, "state_label") << " ("
      << json_text(o, "state") << ")，版本 (version) " << json_text(o, "version") << "\n";
  if (const json::value* n = answer.if_contains("new_case_id"); n && !n->is_null()) {
    out << "新案件 (new case) " << json::serialize(*n) << "\n";
  }
}

}  // namespace

bool is_case_api_command(const std::vector<std::string>& args) {
  return !args.empty() && (args[0] == "open" || args[0] == "event");
}

int run_case_api_command(std::vector<std::string> args, const CtlEnvironment& env,
                         std::ostream& out, std::ostream& err) {
  const auto target = ctl::target_or_report(args, env, err);
  if (!target) return kUsage;
  const bool as_json = take_switch(args, "--json");
  std::string problem;
  const std::optional<std::string> type = take_option(args, "--type", problem);
  if (!problem.empty()) return usage(err, problem);

  std::string path;
  std::string file;
  if (args.size() == 2 && args[0] == "open") {
    path = "/api/v1/cases";
    file = args[1];
    if (type) return usage(err, "--type 只用于 case event (--type is for case event only)");
  } else if (args.size() == 3 && args[0] == "event") {
    long long id = 0;
    auto [end, ec] = std::from_chars(args[1].data(), args[1].data() + args[1].size(), id);
    if (ec != std::errc{} || end != args[1].data() + args[1].size() || id <= 0) {
      return usage(err, "“" + args[1] + "”不是有效的案件编号 (not a case ID)");
    }
    path = "/api/v1/cases/" + std::to_string(id) + "/events";
    file = args[2];
  } else {
    return usage(err, "");
  }
  auto body = ctl::read_input(file, err);
  if (!body) return kFailed;
  if (type) {
    boost::system::error_code ec;
    json::value v = json::parse(*body, ec);
    if (ec || !v.is_object()) {
      err << "fangfanctl: " << file << " 不是 JSON 对象 (is not a JSON object)\n";
      return kFailed;
    }
    v.get_object()["type"] = *type;
    *body = json::serialize(v);
  }
  auto answer = ctl::call(*target, http::verb::post, path, *body, as_json, out, err);
  if (!answer) return kFailed;
  if (!as_json) print_case_line(*answer, out);
  return kOk;
}

int run_cases_command(std::vector<std::string> args, const CtlEnvironment& env, std::ostream& out,
                      std::ostream& err) {
  const auto target = ctl::target_or_report(args, env, err);
  if (!target) return kUsage;
  const bool as_json = take_switch(args, "--json");
  std::vector<std::pair<std::string, std::string>> filters;
  for (const char* name : {"state", "kind", "township", "village", "officer"}) {
    std::string problem;
    auto value = take_option(args, std::string("--") + name, problem);
    if (!problem.empty()) return usage(err, problem);
    if (value) filters.emplace_back(name, *value);
  }
  if (!args.empty()) return usage(err, "多余的参数 (unexpected argument) " + args[0]);
  auto answer = ctl::call(*target, http::verb::get, "/api/v1/cases" + ctl::query_string(filters),
                          "", as_json, out, err);
  if (!answer) return kFailed;
  if (as_json) return kOk;
  std::vector<std::vector<std::string>> rows;
  if (const json::value* cases = answer->if_contains("cases"); cases && cases->is_array()) {
    for (const auto& c : cases->get_array()) {
      if (!c.is_object()) continue;
      const json::object& o = c.get_object();
      rows.push_back({json_text(o, "id"), json_text(o, "state_label"), json_text(o, "kind"),
                      json_text(o, "household_code"), json_text(o, "village_code"),
                      json_text(o, "officer"), json_text(o, "version")});
    }
  }
  print_table(out, {"ID", "STATE", "KIND", "HOUSEHOLD", "VILLAGE", "OFFICER", "VERSION"}, rows);
  return kOk;
}

}  // namespace fangfan
