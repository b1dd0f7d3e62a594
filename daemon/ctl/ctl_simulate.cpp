#include "daemon/ctl/ctl_simulate.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <optional>

#include "workflows/date.h"
#include "workflows/message_templates.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

// A year of a county's timers runs in one request: give it time.
constexpr std::chrono::minutes kTimeout{10};

constexpr const char* kUsageText =
    "用法 (usage):\n"
    "  fangfanctl simulate --from YYYY-MM-DD --to YYYY-MM-DD [--json]\n"
    "  (--api ADDR:PORT, --token TOKEN, or FANGFAN_API / FANGFAN_TOKEN, or "
    "~/.config/fangfan/ctl.toml)\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << "fangfanctl simulate: " << problem << "\n";
  err << kUsageText;
  return kUsage;
}

std::string text(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return "";
  if (v->is_string()) return std::string(v->get_string());
  return json::serialize(*v);
}

// "2025-03-03T09:00:00+08:00" -> "2025-03-03 09:00" (China time, as the server gives it).
std::string short_time(const std::string& t) {
  if (t.size() < 16) return t;
  return t.substr(0, 10) + " " + t.substr(11, 5);
}

// One line per message: line breaks in a rendered text become " / ".
std::string one_line(std::string s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') continue;
    if (s[i] == '\n') {
      out += " / ";
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string timer_label(const json::object& m) {
  const std::string kind = text(m, "timer_kind");
  const std::string step = text(m, "step");
  if (kind == "escalation")
    return step + " 第" + text(m, "rung") + "级 (rung " + text(m, "rung") + ")";
  return step + " " + kind;
}

}  // namespace

int run_simulate_command(std::vector<std::string> args, const CtlEnvironment& env,
                         std::ostream& out, std::ostream& err) {
  auto resolved = resolve_api_target(args, env);
  if (auto* problem = std::get_if<std::string>(&resolved)) {
    err << "fangfanctl: " << *problem << "\n";
    return kUsage;
  }
  const ApiTarget& target = std::get<ApiTarget>(resolved);
  std::optional<std::string> from, to;
  bool as_json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--json") {
      as_json = true;
    } else if ((args[i] == "--from" || args[i] == "--to") && i + 1 < args.size()) {
      if (!parse_date(args[i + 1])) {
        return usage(err, args[i] + " 的值“" + args[i + 1] +
                              "”不是有效日期，应为 YYYY-MM-DD (not a date: use YYYY-MM-DD)");
      }
      (args[i] == "--from" ? from : to) = args[i + 1];
      ++i;
    } else {
      return usage(err, "不认识的参数“" + args[i] + "” (unknown argument)");
    }
  }
  if (!from || !to) return usage(err, "需要 --from 和 --to (both --from and --to are needed)");

  json::object request;
  request["from"] = *from;
  request["to"] = *to;
  auto result =
      http_call(target, http::verb::post, "/api/v1/simulate", json::serialize(request), kTimeout);
  if (auto* problem = std::get_if<std::string>(&result)) {
    err << "fangfanctl: " << *problem << "\n";
    return kFailed;
  }
  const HttpReply& reply = std::get<HttpReply>(result);
  if (reply.status < 200 || reply.status >= 300) {
    err << "fangfanctl: " << api_error_message(reply) << "\n";
    return kFailed;
  }
  if (as_json) {
    out << reply.body;
    if (!reply.body.empty() && reply.body.back() != '\n') out << "\n";
    return kOk;
  }
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  if (ec || !v.is_object()) {
    err << "fangfanctl: 服务器的回答不是 JSON 对象 (the server's answer is not a JSON object)\n";
    return kFailed;
  }
  const json::object& body = v.get_object();
  std::vector<std::vector<std::string>> rows;
  if (const json::value* list = body.if_contains("messages"); list && list->is_array()) {
    for (const auto& item : list->get_array()) {
      if (!item.is_object()) continue;
      const json::object& m = item.get_object();
      rows.push_back({short_time(text(m, "at")), timer_label(m), text(m, "case_id"),
                      mask_staff_recipient(text(m, "recipient")), text(m, "message_type"),
                      one_line(text(m, "text"))});
    }
  }
  if (rows.empty()) {
    out << "从 " << *from << " 到 " << *to
        << " 没有提醒或督办消息 (no reminders or escalations from " << *from << " through " << *to
        << ")\n";
    return kOk;
  }
  print_table(out, {"TIME", "TIMER", "CASE", "RECIPIENT", "TYPE", "TEXT"}, rows);
  out << rows.size() << " 条消息，" << text(body, "timers_fired")
      << " 个定时提醒触发；未发送任何消息 (" << rows.size() << " messages from "
      << text(body, "timers_fired") << " timers; nothing was sent)\n";
  return kOk;
}

}  // namespace fangfan
