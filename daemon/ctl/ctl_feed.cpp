#include "daemon/ctl/ctl_feed.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <fstream>

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using ctl::json_text;

// Taking a large file in writes in chunks: give it time.
constexpr auto kRunTimeout = std::chrono::minutes(30);

constexpr const char* kUsageText =
    "用法 (usage):\n"
    "  fangfanctl feed list [--json]\n"
    "  fangfanctl feed runs [--department D] [--feed F] [--period P] [--limit N] [--json]\n"
    "  fangfanctl feed run FEED|DEPARTMENT [--period P] [--json]\n"
    "  (P: YYYY-MM for a data feed, the list's day YYYY-MM-DD for a feedback feed)\n"
    "  fangfanctl feed quarantine [--run ID] [--csv OUT.csv] [--json]\n"
    "  fangfanctl feed fix RUN FILE [--json]\n"
    "  fangfanctl alerts [--township T] [--status open|case_opened|dismissed] [--feed F] "
    "[--stage S] [--limit N] [--json]\n"
    "  fangfanctl alert show ID [--json]\n"
    "  fangfanctl alert open ID FILE.json [--json]\n"
    "  fangfanctl alert dismiss ID --reason TEXT [--json]\n"
    "  fangfanctl alert step ID ACTION [--reason TEXT] [--department CODE] [--days N] [--json]\n"
    "  (--api ADDR:PORT|unix:PATH, --token TOKEN, or FANGFAN_API / FANGFAN_TOKEN, or "
    "~/.config/fangfan/ctl.toml)\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << "fangfanctl: " << problem << "\n";
  err << kUsageText;
  return ctl::kUsage;
}

// Takes the named options out of `args` as query pairs; false (usage printed) on a problem.
bool take_options(std::vector<std::string>& args, const std::vector<std::string>& names,
                  std::vector<std::pair<std::string, std::string>>& query, std::ostream& err) {
  for (const auto& name : names) {
    std::string problem;
    auto value = ctl::take_option(args, "--" + name, problem);
    if (!problem.empty()) {
      usage(err, problem);
      return false;
    }
    if (value) query.emplace_back(name, *value);
  }
  return true;
}

void print_report(std::ostream& out, const json::object& r) {
  const std::string status = json_text(r, "status");
  if (status == "already_taken") {
    out << "这份数据已取过，未重复处理 (the same data was taken before, run "
        << json_text(r, "same_as_run") << "; nothing applied twice)\n";
    return;
  }
  out << "取数 (run) " << json_text(r, "run_id") << "：" << status << "\n";
  if (status == "failed") out << "原因 (why)：" << json_text(r, "error") << "\n";
  out << "读取 (read) " << json_text(r, "rows_read") << "，接收 (accepted) "
      << json_text(r, "rows_accepted") << "，匹配 (matched) " << json_text(r, "rows_matched")
      << "，隔离 (quarantined) " << json_text(r, "rows_quarantined") << "，重复 (duplicate) "
      << json_text(r, "rows_duplicate") << "，预警 (alerts) " << json_text(r, "alerts_raised")
      << "\n";
}

std::vector<std::string> run_row(const json::object& o) {
  return {json_text(o, "id"),
          json_text(o, "feed"),
          json_text(o, "period"),
          json_text(o, "status"),
          json_text(o, "trigger"),
          json_text(o, "rows_read"),
          json_text(o, "rows_accepted"),
          json_text(o, "rows_matched"),
          json_text(o, "rows_quarantined"),
          json_text(o, "alerts_raised"),
          json_text(o, "started_at"),
          json_text(o, "source")};
}
const std::vector<std::string> kRunHeader = {"ID",          "FEED",   "PERIOD",   "STATUS",
                                             "TRIGGER",     "READ",   "ACCEPTED", "MATCHED",
                                             "QUARANTINED", "ALERTS", "STARTED",  "SOURCE"};

int feed_command(std::vector<std::string> args, const ApiTarget& target, std::ostream& out,
                 std::ostream& err) {
  if (args.empty()) return usage(err, "缺少子命令 (missing subcommand)");
  const std::string sub = args.front();
  args.erase(args.begin());
  const bool as_json = ctl::take_switch(args, "--json");
  std::vector<std::pair<std::string, std::string>> query;

  if (sub == "list") {
    if (!args.empty()) return usage(err, "多余的参数 (unexpected argument) " + args[0]);
    auto answer = ctl::call(target, http::verb::get, "/api/v1/feeds", "", as_json, out, err);
    if (!answer) return ctl::kFailed;
    if (as_json) return ctl::kOk;
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : answer->at("feeds").as_array()) {
      const json::object& o = f.as_object();
      std::string days;
      for (const auto& s : o.at("schedules").as_array()) {
        if (!days.empty()) days += "; ";
        days += json::serialize(s.as_object().at("days_of_month"));
      }
      const json::value& last = o.at("last_run");
      rows.push_back(
          {json_text(o, "name"), json_text(o, "department_name"), json_text(o, "source"), days,
           last.is_object()
               ? json_text(last.as_object(), "period") + " " + json_text(last.as_object(), "status")
               : "-"});
    }
    print_table(out, {"FEED", "DEPARTMENT", "SOURCE", "DAYS", "LAST RUN"}, rows);
    return ctl::kOk;
  }
  if (sub == "runs") {
    if (!take_options(args, {"department", "feed", "period", "limit"}, query, err)) {
      return ctl::kUsage;
    }
    if (!args.empty()) return usage(err, "多余的参数 (unexpected argument) " + args[0]);
    auto answer = ctl::call(target, http::verb::get,
                            "/api/v1/feeds/runs" + ctl::query_string(query), "", as_json, out, err);
    if (!answer) return ctl::kFailed;
    if (as_json) return ctl::kOk;
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : answer->at("runs").as_array()) rows.push_back(run_row(r.as_object()));
    if (rows.empty()) {
      out << "还没有取数记录 (no runs yet)\n";
      return ctl::kOk;
    }
    print_table(out, kRunHeader, rows);
    out << "共 " << json_text(*answer, "total") << " 次 (runs in all)\n";
    return ctl::kOk;
  }
  if (sub == "run") {
    if (!take_options(args, {"period"}, query, err)) return ctl::kUsage;
    if (args.size() != 1) return usage(err, "需要一个数据源或部门 (one FEED or DEPARTMENT)");
    json::object body;
    for (const auto& [k, v] : query) body[k] = v;
    auto answer = ctl::call(target, http::verb::post, "/api/v1/feeds/" + args[0] + "/runs",
                            json::serialize(body), as_json, out, err, kRunTimeout);
    if (!answer) return ctl::kFailed;
    if (!as_json) print_report(out, *answer);
    return json_text(*answer, "status") == "failed" ? ctl::kFailed : ctl::kOk;
  }
  if (sub == "quarantine") {
    std::string problem;
    auto run = ctl::take_option(args, "--run", problem);
    auto csv = ctl::take_option(args, "--csv", problem);
    if (!problem.empty()) return usage(err, problem);
    if (!args.empty()) return usage(err, "多余的参数 (unexpected argument) " + args[0]);
    if (!run) {
      auto answer =
          ctl::call(target, http::verb::get, "/api/v1/feeds/runs?limit=1000", "", false, out, err);
      if (!answer) return ctl::kFailed;
      json::array with_bad;
      std::vector<std::vector<std::string>> rows;
      for (const auto& r : answer->at("runs").as_array()) {
        const json::object& o = r.as_object();
        if (o.at("rows_quarantined").to_number<std::int64_t>() == 0) continue;
        with_bad.push_back(o);
        rows.push_back(run_row(o));
      }
      if (as_json) {
        out << json::serialize(json::object{{"runs", with_bad}}) << "\n";
      } else if (rows.empty()) {
        out << "没有被隔离的行 (no quarantined rows)\n";
      } else {
        print_table(out, kRunHeader, rows);
        out << "用 --run ID 查看各行 (show the rows with --run ID)\n";
      }
      return ctl::kOk;
    }
    const std::string base = "/api/v1/feeds/runs/" + *run + "/bad-rows";
    if (csv) {
      auto result = http_call(target, http::verb::get, base + "?format=csv", "", kRunTimeout);
      if (auto* p = std::get_if<std::string>(&result)) {
        err << "fangfanctl: " << *p << "\n";
        return ctl::kFailed;
      }
      const HttpReply& reply = std::get<HttpReply>(result);
      if (reply.status != 200) {
        err << "fangfanctl: " << api_error_message(reply) << "\n";
        return ctl::kFailed;
      }
      std::ofstream f(*csv, std::ios::binary | std::ios::trunc);
      f << reply.body;
      f.close();
      if (!f) {
        err << "fangfanctl: 无法写入文件 " << *csv << " (cannot write " << *csv << ")\n";
        return ctl::kFailed;
      }
      out << "错误行已保存到 (bad rows saved to) " << *csv << "；改正后用 feed fix " << *run
          << " 文件 重新提交 (correct it, then feed fix)\n";
      return ctl::kOk;
    }
    // Every row, page by page: a long list is never cut short.
    json::array all;
    std::int64_t total = 0;
    for (std::int64_t offset = 0;; offset += 1000) {
      auto answer =
          ctl::call(target, http::verb::get, base + "?limit=1000&offset=" + std::to_string(offset),
                    "", false, out, err);
      if (!answer) return ctl::kFailed;
      total = answer->at("total").to_number<std::int64_t>();
      const json::array& rows = answer->at("rows").as_array();
      for (const auto& r : rows) all.push_back(r);
      if (rows.empty() || static_cast<std::int64_t>(all.size()) >= total) break;
    }
    if (as_json) {
      out << json::serialize(json::object{{"rows", all}, {"total", total}}) << "\n";
      return ctl::kOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : all) {
      const json::object& o = r.as_object();
      rows.push_back({json_text(o, "line"), json_text(o, "header"), json_text(o, "reason"),
                      json_text(o, "fixed_by_run").empty() ? "" : "已改正 (fixed)"});
    }
    if (rows.empty()) {
      out << "这次取数没有被隔离的行 (the run has no quarantined rows)\n";
      return ctl::kOk;
    }
    print_table(out, {"LINE", "COLUMN", "REASON", "FIXED"}, rows);
    out << "共 " << total << " 行 (rows in all)\n";
    return ctl::kOk;
  }
  if (sub == "fix") {
    if (args.size() != 2) return usage(err, "需要取数编号和文件 (RUN and FILE)");
    auto bytes = ctl::read_input(args[1], err);
    if (!bytes) return ctl::kFailed;
    const std::string name = std::filesystem::path(args[1]).filename().string();
    auto answer =
        ctl::call(target, http::verb::post,
                  "/api/v1/feeds/runs/" + args[0] + "/fix" + ctl::query_string({{"name", name}}),
                  *bytes, as_json, out, err, kRunTimeout);
    if (!answer) return ctl::kFailed;
    if (!as_json) print_report(out, *answer);
    return json_text(*answer, "status") == "failed" ? ctl::kFailed : ctl::kOk;
  }
  return usage(err, "未知子命令 (unknown subcommand) " + sub);
}

int alerts_command(std::vector<std::string> args, const ApiTarget& target, std::ostream& out,
                   std::ostream& err) {
  const bool as_json = ctl::take_switch(args, "--json");
  std::vector<std::pair<std::string, std::string>> query;
  if (!take_options(args, {"township", "status", "feed", "stage", "limit"}, query, err)) {
    return ctl::kUsage;
  }
  if (!args.empty()) return usage(err, "多余的参数 (unexpected argument) " + args[0]);
  auto answer = ctl::call(target, http::verb::get, "/api/v1/alerts" + ctl::query_string(query), "",
                          as_json, out, err);
  if (!answer) return ctl::kFailed;
  if (as_json) return ctl::kOk;
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : answer->at("alerts").as_array()) {
    const json::object& o = a.as_object();
    rows.push_back({json_text(o, "id"), json_text(o, "status"), json_text(o, "rule_label"),
                    json_text(o, "name"), json_text(o, "id_number"), json_text(o, "place"),
                    json_text(o, "period"), json_text(o, "case_id")});
  }
  if (rows.empty()) {
    out << "没有预警 (no alerts)\n";
    return ctl::kOk;
  }
  print_table(out, {"ID", "STATUS", "RULE", "NAME", "ID NUMBER", "PLACE", "PERIOD", "CASE"}, rows);
  out << "共 " << json_text(*answer, "total") << " 条 (alerts in all)\n";
  return ctl::kOk;
}

int alert_command(std::vector<std::string> args, const ApiTarget& target, std::ostream& out,
                  std::ostream& err) {
  const bool as_json = ctl::take_switch(args, "--json");
  if (args.size() < 2) return usage(err, "需要子命令和预警编号 (a subcommand and an alert ID)");
  const std::string sub = args[0];
  const std::string id = args[1];
  args.erase(args.begin(), args.begin() + 2);
  const std::string base = "/api/v1/alerts/" + id;
  if (sub == "show") {
    if (!args.empty()) return usage(err, "多余的参数 (unexpected argument) " + args[0]);
    auto answer = ctl::call(target, http::verb::get, base, "", as_json, out, err);
    if (!answer) return ctl::kFailed;
    if (as_json) return ctl::kOk;
    const json::object& a = answer->at("alert").as_object();
    out << "预警 (alert) " << id << "：" << json_text(a, "rule_label") << "，"
        << json_text(a, "name") << "（" << json_text(a, "id_number") << "），"
        << json_text(a, "place") << "，" << json_text(a, "status") << "\n";
    for (const auto& h : answer->at("history").as_array()) {
      const json::object& o = h.as_object();
      out << "  " << json_text(o, "at") << "  " << json_text(o, "event") << "  "
          << json_text(o, "actor") << "  " << json::serialize(o.at("details")) << "\n";
    }
    return ctl::kOk;
  }
  if (sub == "open") {
    if (args.size() != 1) return usage(err, "需要案件文件 (FILE.json with the case)");
    auto body = ctl::read_input(args[0], err);
    if (!body) return ctl::kFailed;
    auto answer = ctl::call(target, http::verb::post, base + "/case", *body, as_json, out, err);
    if (!answer) return ctl::kFailed;
    if (!as_json) {
      out << "已由预警 " << id << " 建档，案件 (case) " << json_text(*answer, "case_id") << "\n";
    }
    return ctl::kOk;
  }
  if (sub == "dismiss") {
    std::string problem;
    auto reason = ctl::take_option(args, "--reason", problem);
    if (!problem.empty()) return usage(err, problem);
    if (!reason || reason->empty()) return usage(err, "需要 --reason 说明理由 (--reason TEXT)");
    if (!args.empty()) return usage(err, "多余的参数 (unexpected argument) " + args[0]);
    auto answer = ctl::call(target, http::verb::post, base + "/dismiss",
                            json::serialize(json::object{{"reason", *reason}}), as_json, out, err);
    if (!answer) return ctl::kFailed;
    if (!as_json) out << "预警 " << id << " 已排除 (dismissed)\n";
    return ctl::kOk;
  }
  if (sub == "step") {  // a step of a monitored case's alert loop (workflows/alert_loop.h)
    if (args.empty()) {
      return usage(err, "需要办理动作 (ACTION: confirm|dismiss|assign|assisted|close|return)");
    }
    json::object body{{"action", args[0]}};
    args.erase(args.begin());
    std::string problem;
    for (const char* option : {"--reason", "--department"}) {
      if (auto v = ctl::take_option(args, option, problem)) body[std::string(option + 2)] = *v;
    }
    if (auto days = ctl::take_option(args, "--days", problem)) {
      const auto n = std::atoi(days->c_str());
      if (n <= 0 && *days != "0") return usage(err, "--days 应为工作日数 (--days N)");
      body["days"] = n;
    }
    if (!problem.empty()) return usage(err, problem);
    if (!args.empty()) return usage(err, "多余的参数 (unexpected argument) " + args[0]);
    auto answer = ctl::call(target, http::verb::post, base + "/step", json::serialize(body),
                            as_json, out, err);
    if (!answer) return ctl::kFailed;
    if (!as_json)
      out << "预警 " << id << " 现处于 (now at) " << json_text(*answer, "stage") << "\n";
    return ctl::kOk;
  }
  return usage(err, "未知子命令 (unknown subcommand) " + sub);
}

}  // namespace

int run_feed_command(const std::string& command, std::vector<std::string> args,
                     const CtlEnvironment& env, std::ostream& out, std::ostream& err) {
  const auto target = ctl::target_or_report(args, env, err);
  if (!target) return ctl::kUsage;
  if (command == "feed") return feed_command(std::move(args), *target, out, err);
  if (command == "alerts") return alerts_command(std::move(args), *target, out, err);
  return alert_command(std::move(args), *target, out, err);
}

}  // namespace fangfan
