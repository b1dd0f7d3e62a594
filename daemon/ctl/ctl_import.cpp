#include "daemon/ctl/ctl_import.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <filesystem>
#include <fstream>

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

// Imports write a transaction per row: give a large file time.
constexpr auto kImportTimeout = std::chrono::minutes(30);

constexpr const char* kUsageText =
    "用法 (usage):\n"
    "  fangfanctl import FILE --kind visits|cases [--name NAME] [--bad-rows OUT.csv] [--json]\n"
    "  fangfanctl import show ID [--bad-rows OUT.csv] [--json]\n"
    "  (FILE: CSV in UTF-8 or GBK, or XLSX; --api ADDR:PORT, --token TOKEN, or FANGFAN_API / "
    "FANGFAN_TOKEN, or ~/.config/fangfan/ctl.toml)\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << "fangfanctl: " << problem << "\n";
  err << kUsageText;
  return ctl::kUsage;
}

// One request; the reply of a 2xx answer, else the reason printed to `err`.
std::optional<HttpReply> request(const ApiTarget& target, http::verb method,
                                 const std::string& path, const std::string& body,
                                 std::ostream& err) {
  auto result = http_call(target, method, path, body, kImportTimeout);
  if (auto* problem = std::get_if<std::string>(&result)) {
    err << "fangfanctl: " << *problem << "\n";
    return std::nullopt;
  }
  HttpReply& reply = std::get<HttpReply>(result);
  if (reply.status < 200 || reply.status >= 300) {
    err << "fangfanctl: " << api_error_message(reply) << "\n";
    return std::nullopt;
  }
  return std::move(reply);
}

bool save_bad_rows(const ApiTarget& target, const json::object& run, const std::string& file,
                   std::ostream& out, std::ostream& err) {
  const std::string path = ctl::json_text(run, "bad_rows_csv");
  auto reply = request(target, http::verb::get, path, "", err);
  if (!reply) return false;
  std::ofstream f(file, std::ios::binary | std::ios::trunc);
  f << reply->body;
  f.close();
  if (!f) {
    err << "fangfanctl: 无法写入文件 " << file << " (cannot write " << file << ")\n";
    return false;
  }
  out << "错误行已保存到 (bad rows saved to) " << file << "\n";
  return true;
}

// Prints the report of one run; returns the exit status it calls for.
int report(const ApiTarget& target, const HttpReply& reply, bool as_json,
           const std::optional<std::string>& bad_rows_file, std::ostream& out, std::ostream& err) {
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  if (ec || !v.is_object() || !v.get_object().contains("import")) {
    err << "fangfanctl: 服务器的回答不是导入结果 (the server's answer is not an import report)\n";
    return ctl::kFailed;
  }
  const json::object& body = v.get_object();
  const json::object& run = body.at("import").as_object();
  if (as_json) {
    out << reply.body << "\n";
  } else {
    out << "导入 (import) " << ctl::json_text(run, "id") << "：" << ctl::json_text(run, "file_name")
        << "（" << ctl::json_text(run, "format") << "，" << ctl::json_text(run, "kind") << "）\n";
    out << "共 " << ctl::json_text(run, "rows_total") << " 行 (rows)：已登记 (applied) "
        << ctl::json_text(run, "applied") << "，重复 (duplicate) "
        << ctl::json_text(run, "duplicate") << "，错误 (bad) " << ctl::json_text(run, "bad")
        << "\n";
    std::vector<std::vector<std::string>> rows;
    if (const auto* bad = body.if_contains("bad_rows"); bad && bad->is_array()) {
      for (const auto& r : bad->get_array()) {
        if (!r.is_object()) continue;
        const auto& o = r.get_object();
        rows.push_back(
            {ctl::json_text(o, "line"), ctl::json_text(o, "field"), ctl::json_text(o, "reason")});
      }
    }
    if (!rows.empty()) {
      out << "\n";
      print_table(out, {"行 (line)", "列 (column)", "原因 (reason)"}, rows);
      const std::string total = ctl::json_text(run, "bad");
      if (std::to_string(rows.size()) != total) {
        out << "（只列出前 " << rows.size() << " 行，共 " << total
            << " 行；用 --bad-rows 保存全部）(first " << rows.size() << " of " << total
            << " shown; --bad-rows saves them all)\n";
      }
    }
  }
  bool saved = true;
  const bool any_bad = ctl::json_text(run, "bad") != "0";
  if (bad_rows_file && any_bad) saved = save_bad_rows(target, run, *bad_rows_file, out, err);
  return any_bad || !saved ? ctl::kFailed : ctl::kOk;
}

}  // namespace

int run_import_command(std::vector<std::string> args, const CtlEnvironment& env, std::ostream& out,
                       std::ostream& err) {
  auto target = ctl::target_or_report(args, env, err);
  if (!target) return ctl::kUsage;
  const bool as_json = ctl::take_switch(args, "--json");
  std::string problem;
  const auto kind = ctl::take_option(args, "--kind", problem);
  const auto name = ctl::take_option(args, "--name", problem);
  const auto bad_rows_file = ctl::take_option(args, "--bad-rows", problem);
  if (!problem.empty()) return usage(err, problem);

  if (args.size() == 2 && args[0] == "show") {
    if (kind || name)
      return usage(
          err, "import show 不接受 --kind 或 --name (import show takes neither --kind nor --name)");
    long long id = 0;
    auto [end, ec] = std::from_chars(args[1].data(), args[1].data() + args[1].size(), id);
    if (ec != std::errc{} || end != args[1].data() + args[1].size() || id <= 0) {
      return usage(err, "导入编号应为正整数 (the import ID must be a positive whole number)");
    }
    auto reply =
        request(*target, http::verb::get, "/api/v1/imports/" + std::to_string(id), "", err);
    if (!reply) return ctl::kFailed;
    return report(*target, *reply, as_json, bad_rows_file, out, err);
  }
  if (args.size() != 1) return usage(err, args.empty() ? "缺少文件名 (FILE is missing)" : "");
  if (!kind) return usage(err, "缺少 --kind visits|cases (--kind is missing)");
  if (*kind != "visits" && *kind != "cases") {
    return usage(err, "--kind 应为 visits 或 cases (--kind must be visits or cases)");
  }
  auto bytes = ctl::read_input(args[0], err);
  if (!bytes) return ctl::kFailed;
  const std::string file_name = name.value_or(
      args[0] == "-" ? std::string("stdin") : std::filesystem::path(args[0]).filename().string());
  const std::string path =
      "/api/v1/imports" + ctl::query_string({{"kind", *kind}, {"name", file_name}});
  auto reply = request(*target, http::verb::post, path, *bytes, err);
  if (!reply) return ctl::kFailed;
  return report(*target, *reply, as_json, bad_rows_file, out, err);
}

}  // namespace fangfan
