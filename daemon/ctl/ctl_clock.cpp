#include "daemon/ctl/ctl_clock.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <optional>

#include "workflows/date.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

// Advancing a simulated year fires every timer of the county in between: give it time.
constexpr std::chrono::minutes kAdvanceTimeout{10};

constexpr const char* kUsageText =
    "用法 (usage):\n"
    "  fangfanctl clock [--json]                  the daemon's time (simulated or not)\n"
    "  fangfanctl clock advance DURATION [--json] move a simulated clock: 3d, 12h, 1d12h\n"
    "  (--api ADDR:PORT, --token TOKEN, or FANGFAN_API / FANGFAN_TOKEN, or "
    "~/.config/fangfan/ctl.toml)\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << "fangfanctl clock: " << problem << "\n";
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

std::string text(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return "";
  if (v->is_string()) return std::string(v->get_string());
  return json::serialize(*v);
}

// Sends the request; the parsed JSON object on a 2xx answer, else prints the reason.
std::optional<json::object> call(const ApiTarget& target, http::verb method,
                                 const std::string& path, const std::string& body,
                                 std::chrono::milliseconds timeout, std::ostream& err) {
  auto result = http_call(target, method, path, body, timeout);
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
  return std::move(v.get_object());
}

}  // namespace

int run_clock_command(std::vector<std::string> args, const CtlEnvironment& env, std::ostream& out,
                      std::ostream& err) {
  auto resolved = resolve_api_target(args, env);
  if (auto* problem = std::get_if<std::string>(&resolved)) {
    err << "fangfanctl: " << *problem << "\n";
    return kUsage;
  }
  const ApiTarget& target = std::get<ApiTarget>(resolved);
  const bool as_json = take_switch(args, "--json");

  if (args.empty()) {
    auto body = call(target, http::verb::get, "/api/v1/clock", "", std::chrono::seconds(30), err);
    if (!body) return kFailed;
    if (as_json) {
      out << json::serialize(*body) << "\n";
    } else {
      const bool simulated = body->contains("simulated") && (*body)["simulated"].is_bool() &&
                             (*body)["simulated"].get_bool();
      out << text(*body, "now")
          << (simulated ? "  模拟时钟 (simulated clock)" : "  系统时钟 (system clock)") << "\n";
    }
    return kOk;
  }
  if (args[0] != "advance") return usage(err, "不认识的参数“" + args[0] + "” (unknown argument)");
  if (args.size() != 2) return usage(err, "advance 需要一个时长，如 3d (needs one duration)");
  // Checked here too, so a typo never reaches the daemon.
  if (!parse_duration(args[1]) || parse_duration(args[1])->count() <= 0) {
    return usage(err, "“" + args[1] +
                          "”不是有效的时长，应为正整数加单位 d、h、m，如 3d、12h、1d12h (not a "
                          "duration: whole numbers with d, h or m, e.g. 3d, 12h, 1d12h)");
  }
  json::object request;
  request["by"] = args[1];
  auto body = call(target, http::verb::post, "/api/v1/clock/advance", json::serialize(request),
                   kAdvanceTimeout, err);
  if (!body) return kFailed;
  if (as_json) {
    out << json::serialize(*body) << "\n";
    return kOk;
  }
  out << "时钟从 " << text(*body, "from") << " 拨到 " << text(*body, "now") << "，触发 "
      << text(*body, "timers_fired") << " 个定时提醒，新增 " << text(*body, "messages_queued")
      << " 条消息 (clock moved from " << text(*body, "from") << " to " << text(*body, "now") << ": "
      << text(*body, "timers_fired") << " timers fired, " << text(*body, "messages_queued")
      << " messages queued)\n";
  return kOk;
}

}  // namespace fangfan
