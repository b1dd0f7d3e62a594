#include "daemon/ctl/ctl_simulate.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

#include "workflows/date.h"
#include "workflows/message_templates.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using ctl::json_text;
using ctl::kFailed;
using ctl::kOk;
using ctl::kUsage;

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
  const std::string kind = json_text(m, "timer_kind");
  const std::string step = json_text(m, "step");
  if (kind == "escalation")
    return step + " 第" + json_text(m, "rung") + "级 (rung " + json_text(m, "rung") + ")";
  return step + " " + kind;
}

}  // namespace

int run_simulate_command(std::vector<std::string> args, const CtlEnvironment& env,
                         std::ostream& out, std::ostream& err) {
  const std::optional<ApiTarget> resolved = ctl::target_or_report(args, env, err);
  if (!resolved) return kUsage;
  const ApiTarget& target = *resolved;
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
  const std::optional<json::object> answer =
      ctl::call(target, http::verb::post, "/api/v1/simulate", json::serialize(request), as_json,
                out, err, kTimeout);
  if (!answer) return kFailed;
  if (as_json) return kOk;
  const json::object& body = *answer;
  std::vector<std::vector<std::string>> rows;
  if (const json::value* list = body.if_contains("messages"); list && list->is_array()) {
    for (const auto& item : list->get_array()) {
      if (!item.is_object()) continue;
      const json::object& m = item.get_object();
      rows.push_back({short_time(json_text(m, "at")), timer_label(m), json_text(m, "case_id"),
                      mask_staff_recipient(json_text(m, "recipient")), json_text(m, "message_type"),
                      one_line(json_text(m, "text"))});
    }
  }
  if (rows.empty()) {
    out << "从 " << *from << " 到 " << *to
        << " 没有提醒或督办消息 (no reminders or escalations from " << *from << " through " << *to
        << ")\n";
    return kOk;
  }
  print_table(out, {"TIME", "TIMER", "CASE", "RECIPIENT", "TYPE", "TEXT"}, rows);
  out << rows.size() << " 条消息，" << json_text(body, "timers_fired")
      << " 个定时提醒触发；未发送任何消息 (" << rows.size() << " messages from "
      << json_text(body, "timers_fired") << " timers; nothing was sent)\n";
  return kOk;
}

}  // namespace fangfan
