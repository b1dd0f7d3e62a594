#include "daemon/ctl/ctl_clock.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

#include "workflows/date.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using ctl::json_text;
using ctl::kFailed;
using ctl::kOk;
using ctl::kUsage;

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

}  // namespace

int run_clock_command(std::vector<std::string> args, const CtlEnvironment& env, std::ostream& out,
                      std::ostream& err) {
  const std::optional<ApiTarget> resolved = ctl::target_or_report(args, env, err);
  if (!resolved) return kUsage;
  const ApiTarget& target = *resolved;
  const bool as_json = ctl::take_switch(args, "--json");

  if (args.empty()) {
    auto body = ctl::call(target, http::verb::get, "/api/v1/clock", "", as_json, out, err);
    if (!body) return kFailed;
    if (!as_json) {
      const bool simulated = body->contains("simulated") && (*body)["simulated"].is_bool() &&
                             (*body)["simulated"].get_bool();
      out << json_text(*body, "now")
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
  auto body = ctl::call(target, http::verb::post, "/api/v1/clock/advance", json::serialize(request),
                        as_json, out, err, kAdvanceTimeout);
  if (!body) return kFailed;
  if (as_json) return kOk;
  out << "时钟从 " << json_text(*body, "from") << " 拨到 " << json_text(*body, "now") << "，触发 "
      << json_text(*body, "timers_fired") << " 个定时提醒，新增 "
      << json_text(*body, "messages_queued") << " 条消息 (clock moved from "
      << json_text(*body, "from") << " to " << json_text(*body, "now") << ": "
      << json_text(*body, "timers_fired") << " timers fired, "
      << json_text(*body, "messages_queued") << " messages queued)\n";
  return kOk;
}

}  // namespace fangfan
