#include "daemon/ctl/ctl_outbox.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>

#include "workflows/message_templates.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

using ctl::kFailed;
using ctl::kOk;
using ctl::kUsage;
using ctl::take_switch;

constexpr const char* kUsageText =
    "用法 (usage):\n"
    "  fangfanctl outbox [--status pending|sending|sent|failed|dead|cancelled] [--limit N] "
    "[--json]\n"
    "  fangfanctl outbox retry ID [--json]\n"
    "  fangfanctl outbox cancel ID [--json]\n"
    "  (--api ADDR:PORT, --token TOKEN, or FANGFAN_API / FANGFAN_TOKEN, or "
    "~/.config/fangfan/ctl.toml)\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << "fangfanctl outbox: " << problem << "\n";
  err << kUsageText;
  return kUsage;
}

std::string text(const json::object& o, const char* key) { return ctl::json_text(o, key); }

// "2025-03-03T09:00:00+08:00" -> "2025-03-03 09:00" (the table is in China time anyway).
std::string short_time(const std::string& t) {
  if (t.size() < 16) return t;
  return t.substr(0, 10) + " " + t.substr(11, 5);
}

std::vector<std::string> row(const json::object& m) {
  return {text(m, "id"),
          text(m, "status"),
          text(m, "channel"),
          mask_recipient(text(m, "recipient")),
          text(m, "message_type"),
          text(m, "attempts"),
          short_time(text(m, "next_attempt_at")),
          text(m, "hold_reason"),
          text(m, "last_error")};
}

const std::vector<std::string> kHeader = {"ID",           "STATUS",  "CHANNEL",
                                          "RECIPIENT",    "TYPE",    "ATTEMPTS",
                                          "NEXT ATTEMPT", "WAITING", "LAST ERROR"};

// The shared call (ctl_http.h); a POST carries an empty JSON object.
std::optional<json::object> call(const ApiTarget& target, http::verb method,
                                 const std::string& path, bool raw_json, std::ostream& out,
                                 std::ostream& err) {
  return ctl::call(target, method, path, method == http::verb::post ? "{}" : "", raw_json, out,
                   err);
}

}  // namespace

int run_outbox_command(std::vector<std::string> args, const CtlEnvironment& env, std::ostream& out,
                       std::ostream& err) {
  auto resolved = resolve_api_target(args, env);
  if (auto* problem = std::get_if<std::string>(&resolved)) {
    err << "fangfanctl: " << *problem << "\n";
    return kUsage;
  }
  const ApiTarget& target = std::get<ApiTarget>(resolved);
  const bool as_json = take_switch(args, "--json");

  if (!args.empty() && (args[0] == "retry" || args[0] == "cancel")) {
    const std::string action = args[0];
    if (args.size() != 2) return usage(err, action + " 需要一个消息编号 (needs one message ID)");
    long long id = 0;
    auto [end, ec] = std::from_chars(args[1].data(), args[1].data() + args[1].size(), id);
    if (ec != std::errc{} || end != args[1].data() + args[1].size() || id <= 0) {
      return usage(err, "“" + args[1] + "”不是有效的消息编号 (not a message ID)");
    }
    auto body = call(target, http::verb::post,
                     "/api/v1/outbox/" + std::to_string(id) + "/" + action, as_json, out, err);
    if (!body) return kFailed;
    if (!as_json) {
      const json::value* m = body->if_contains("message");
      const std::string status = m && m->is_object() ? text(m->get_object(), "status") : "";
      out << (action == "retry" ? "消息 " + std::to_string(id) + " 已重新排队，状态 " + status +
                                      " (message " + std::to_string(id) + " requeued)\n"
                                : "消息 " + std::to_string(id) + " 已取消，状态 " + status +
                                      " (message " + std::to_string(id) + " cancelled)\n");
    }
    return kOk;
  }

  std::string path = "/api/v1/outbox";
  std::string sep = "?";
  for (std::size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--status" || args[i] == "--limit") && i + 1 < args.size()) {
      // Values are plain words and numbers; the server validates them.
      if (args[i + 1].find_first_of("&?#% ") != std::string::npos) {
        return usage(err, args[i] + " 的值无效 (invalid value)");
      }
      path += sep + args[i].substr(2) + "=" + args[i + 1];
      sep = "&";
      ++i;
    } else {
      return usage(err, "不认识的参数“" + args[i] + "” (unknown argument)");
    }
  }
  auto body = call(target, http::verb::get, path, as_json, out, err);
  if (!body) return kFailed;
  if (as_json) return kOk;
  std::vector<std::vector<std::string>> rows;
  if (const json::value* list = body->if_contains("messages"); list && list->is_array()) {
    for (const auto& m : list->get_array()) {
      if (m.is_object()) rows.push_back(row(m.get_object()));
    }
  }
  if (rows.empty()) {
    out << "没有消息 (no messages)\n";
    return kOk;
  }
  print_table(out, kHeader, rows);
  return kOk;
}

}  // namespace fangfan
