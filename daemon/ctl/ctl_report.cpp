#include "daemon/ctl/ctl_report.h"

#include <boost/json/parse.hpp>
#include <fstream>

#include "adapters/reports/report_files.h"
#include "adapters/reports/report_json.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;

constexpr const char* kUsageText =
    "用法 (usage):\n"
    "  fangfanctl report NAME [--township T] [--as-of DATE] [--from D --to D] [--year Y]\n"
    "                    [--format table|csv|xlsx|json] [-o FILE]\n"
    "  fangfanctl report campaign CAMPAIGN [...]\n"
    "  NAME: households 户数人数 · measures 帮扶措施 · overdue 逾期事项 · exchange 部门数据交换 ·\n"
    "        movements 增减变动 · evaluation 风险评估进度\n"
    "  (--api ADDR:PORT|unix:PATH, --token TOKEN, or FANGFAN_API / FANGFAN_TOKEN, or "
    "~/.config/fangfan/ctl.toml)\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << "fangfanctl: " << problem << "\n";
  err << kUsageText;
  return ctl::kUsage;
}

// A path segment: report and campaign names are letters, digits, '_' and '-'.
std::string segment(const std::string& text) { return ctl::query_string({{"x", text}}).substr(3); }

}  // namespace

int run_report_command(std::vector<std::string> args, const CtlEnvironment& env, std::ostream& out,
                       std::ostream& err) {
  const auto target = ctl::target_or_report(args, env, err);
  if (!target) return ctl::kUsage;
  std::string problem;
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [option, key] :
       std::vector<std::pair<std::string, std::string>>{{"--township", "township"},
                                                        {"--as-of", "as_of"},
                                                        {"--from", "from"},
                                                        {"--to", "to"},
                                                        {"--year", "year"}}) {
    if (auto v = ctl::take_option(args, option, problem)) query.emplace_back(key, *v);
  }
  const std::string format = ctl::take_option(args, "--format", problem).value_or("table");
  const auto file = ctl::take_option(args, "-o", problem);
  if (!problem.empty()) return usage(err, problem);
  if (format != "table" && format != "csv" && format != "xlsx" && format != "json") {
    return usage(err,
                 "--format 应为 table、csv、xlsx 或 json (format must be table, csv, xlsx "
                 "or json)");
  }
  if (format == "xlsx" && !file) return usage(err, "xlsx 需要 -o FILE (xlsx needs -o FILE)");
  std::string path;
  if (args.size() == 1 && args[0] != "campaign") {
    path = "/api/v1/reports/" + segment(args[0]);
  } else if (args.size() == 2 && args[0] == "campaign") {
    path = "/api/v1/reports/campaign/" + segment(args[1]);
  } else {
    return usage(err, "");
  }
  query.emplace_back("format", format == "table" ? "json" : format);
  auto result = http_call(*target, http::verb::get, path + ctl::query_string(query));
  if (auto* p = std::get_if<std::string>(&result)) {
    err << "fangfanctl: " << *p << "\n";
    return ctl::kFailed;
  }
  const HttpReply& reply = std::get<HttpReply>(result);
  if (reply.status != 200) {
    err << "fangfanctl: " << api_error_message(reply) << "\n";
    return ctl::kFailed;
  }
  std::string text = reply.body;
  if (format == "table") {
    boost::system::error_code ec;
    const auto value = boost::json::parse(reply.body, ec);
    const auto table = ec ? std::nullopt : report_from_json(value);
    if (!table) {
      err << "fangfanctl: 服务器的回答不是报表 (the server's answer is not a report)\n";
      return ctl::kFailed;
    }
    text = report_text(*table);
  }
  if (!file) {
    out << text;
    return ctl::kOk;
  }
  std::ofstream f(*file, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) {
    err << "fangfanctl: 无法写入文件 " << *file << " (cannot write " << *file << ")\n";
    return ctl::kFailed;
  }
  out << "报表已保存到 (report saved to) " << *file << "\n";
  return ctl::kOk;
}

}  // namespace fangfan
