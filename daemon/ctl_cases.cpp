#include "daemon/ctl_cases.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

constexpr const char* kUsageText =
    "用法 (usage):\n"
    "  fangfanctl case open FILE.json [--json]\n"
    "  fangfanctl case event ID FILE.json [--type T] [--json]\n"
    "  fangfanctl cases [--state S] [--kind K] [--township T] [--village V] [--officer O] "
    "[--json]\n"
    "  (FILE may be - for standard input; --api ADDR:PORT, --token TOKEN, or FANGFAN_API / "
    "FANGFAN_TOKEN, or ~/.config/fangfan/ctl.toml)\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << "fangfanctl: " << problem << "\n";
  err << kUsageText;
  return kUsage;
}

bool take_switch(std::vector<std::string>& args, const std::string& name) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == name) {
      args.erase(it);
      return true;
    }
  }
  return false;
}

// Takes "--name VALUE"; nullopt when absent; an error sentence in `problem` when VALUE is missing.
std::optional<std::string> take_option(std::vector<std::string>& args, const std::string& name,
                                       std::string& problem) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == name) {
      if (std::next(it) == args.end()) {
        problem = name + " 需要一个值 (needs a value)";
        return std::nullopt;
      }
      std::string value = *std::next(it);
      args.erase(it, std::next(it, 2));
      return value;
    }
  }
  return std::nullopt;
}

std::optional<std::string> read_file(const std::string& name, std::ostream& err) {
  std::stringstream text;
  if (name == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(name, std::ios::binary);
    if (!in) {
      err << "fangfanctl: 无法读取文件 " << name << " (cannot read " << name << ")\n";
      return std::nullopt;
    }
    text << in.rdbuf();
  }
  return text.str();
}

std::string text(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return "";
  if (v->is_string()) return std::string(v->get_string());
  return json::serialize(*v);
}

// Sends the request; returns the parsed JSON object of a 2xx answer, else prints the reason.
std::optional<json::object> call(const ApiTarget& target, http::verb method,
                                 const std::string& path, const std::string& body, bool raw_json,
                                 std::ostream& out, std::ostream& err) {
  auto result = http_call(target, method, path, body);
  if (auto* problem = std::get_if<std::string>(&result)) {
    err << "fangfanctl: " << *problem << "\n";
    return std::nullopt;
  }
  const HttpReply& reply = std::get<HttpReply>(result);
  if (reply.status < 200 || reply.status >= 300) {
    err << "fangfanctl: " << api_error_message(reply) << "\n";
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  if (ec || !v.is_object()) {
    err << "fangfanctl: 服务器的回答不是 JSON 对象 (the server's answer is not a JSON object)\n";
    return std::nullopt;
  }
  if (raw_json) out << reply.body << "\n";
  return std::move(v.get_object());
}

void print_case_line(const json::object& answer, std::ostream& out) {
  const json::value* c = answer.if_contains("case");
  if (c == nullptr || !c->is_object()) return;
  const json::object& o = c->get_object();
  out << "案件 (case) " << text(o, "id") << "：" << text(o, "state_label") << " ("
      << text(o, "state") << ")，版本 (version) " << text(o, "version") << "\n";
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
  auto resolved = resolve_api_target(args, env);
  if (auto* problem = std::get_if<std::string>(&resolved)) {
    err << "fangfanctl: " << *problem << "\n";
    return kUsage;
  }
  const ApiTarget& target = std::get<ApiTarget>(resolved);
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
  auto body = read_file(file, err);
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
  auto answer = call(target, http::verb::post, path, *body, as_json, out, err);
  if (!answer) return kFailed;
  if (!as_json) print_case_line(*answer, out);
  return kOk;
}

int run_cases_command(std::vector<std::string> args, const CtlEnvironment& env, std::ostream& out,
                      std::ostream& err) {
  auto resolved = resolve_api_target(args, env);
  if (auto* problem = std::get_if<std::string>(&resolved)) {
    err << "fangfanctl: " << *problem << "\n";
    return kUsage;
  }
  const ApiTarget& target = std::get<ApiTarget>(resolved);
  const bool as_json = take_switch(args, "--json");
  std::string query;
  for (const char* name : {"state", "kind", "township", "village", "officer"}) {
    std::string problem;
    auto value = take_option(args, std::string("--") + name, problem);
    if (!problem.empty()) return usage(err, problem);
    if (!value) continue;
    query += (query.empty() ? "?" : "&") + std::string(name) + "=";
    for (unsigned char ch : *value) {  // percent-encode everything but unreserved characters
      if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
        query += static_cast<char>(ch);
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", ch);
        query += hex;
      }
    }
  }
  if (!args.empty()) return usage(err, "多余的参数 (unexpected argument) " + args[0]);
  auto answer = call(target, http::verb::get, "/api/v1/cases" + query, "", as_json, out, err);
  if (!answer) return kFailed;
  if (as_json) return kOk;
  std::vector<std::vector<std::string>> rows;
  if (const json::value* cases = answer->if_contains("cases"); cases && cases->is_array()) {
    for (const auto& c : cases->get_array()) {
      if (!c.is_object()) continue;
      const json::object& o = c.get_object();
      rows.push_back({text(o, "id"), text(o, "state_label"), text(o, "kind"),
                      text(o, "household_code"), text(o, "village_code"), text(o, "officer"),
                      text(o, "version")});
    }
  }
  print_table(out, {"ID", "STATE", "KIND", "HOUSEHOLD", "VILLAGE", "OFFICER", "VERSION"}, rows);
  return kOk;
}

}  // namespace fangfan
